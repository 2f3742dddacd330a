/* source: pprof's fetchProfiles for pprofweb. Sources are files or http(s) URLs (fetched with
 * fetch.c, and stored when a store is given so the profile keeps a lasting link). */
#include "pprofweb/source.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/decode.h"
#include "pprofweb/encode.h"
#include "pprofweb/fetch.h"
#include "pprofweb/filter.h"
#include "pprofweb/limits.h"
#include "pprofweb/measurement.h"
#include "pprofweb/store.h"
#include "pprofweb/gonames.h"
#include "pprofweb/symbolize.h"
#include "pprofweb/symbolz.h"

static bool is_url(const char *s)
{
    return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

/* The bytes a fetched profile is kept as: its named copy (see pw_source_name_fetched), or NULL
 * for the fetched bytes. */
static unsigned char *kept_bytes(const struct pw_profile *p, bool named_remotely, size_t *len)
{
    unsigned char *out = NULL;
    struct pw_err e = {0};
    if (!named_remotely)
        return NULL;
    struct pw_profile *q = pw_profile_copy(p);
    /* The page's MemStats block rides along as a '#' comment, which pprof's legends leave out and
     * decode reads back. */
    if (q->memstats)
        pw_add_comment(q, q->memstats, strlen(q->memstats));
    if (pw_profile_encode(q, true, &out, len, &e))
        out = NULL;
    pw_profile_free(q);
    return out;
}

struct hash_job {
    const unsigned char *data;
    size_t len;
    char *id;
};

static void *hash_bytes(void *arg)
{
    struct hash_job *j = arg;
    pw_store_id_of(j->data, j->len, j->id);
    return NULL;
}

static struct pw_profile *load_one(const struct pw_source_options *o, const char *src,
                                   struct pw_buf *warn, struct pw_err *err)
{
    struct pw_profile *p = NULL;
    if (is_url(src)) {
        int timeout;
        char *url = pw_fetch_adjust_url(src, o->seconds, o->timeout, &timeout, err);
        if (!url)
            return NULL;
        unsigned char *data;
        size_t len;
        if (pw_fetch_url(url, timeout, PW_MAX_INPUT, &data, &len, err) == 0) {
            p = pw_decode(data, len, err);
            long named = 0;
            if (!p) {
                pw_err_prefix(err, "%s: ", url);
            } else {
                pw_profile_ensure_mapping(p);
                named = pw_source_name_fetched(p, url, o->symbolize, timeout, warn, err);
                if (named < 0)
                    p = (pw_profile_free(p), NULL);
            }
            if (p && o->store) {
                char id[PW_STORE_ID_LEN + 1];
                struct pw_err serr = {0};
                size_t klen = 0;
                unsigned char *kept = kept_bytes(p, named > 0, &klen);
                if (pw_store_put(o->store, kept ? kept : data, kept ? klen : len, url, id, &serr))
                    fprintf(stderr, "could not keep %s in the store: %s\n", url, serr.msg);
                else if (o->stored_id)
                    snprintf(o->stored_id, PW_STORE_ID_LEN + 1, "%s", id);
                free(kept);
            }
            free(data);
        }
        free(url);
        return p;
    }
    unsigned char *data;
    size_t len;
    if (pw_read_file(src, PW_MAX_INPUT, &data, &len, err))
        return NULL;
    /* Hashed here, from the bytes decoded, so keeping the profile in the store needs no second
     * read of the file: on a second thread, while decoding (inflating, one thread's work). */
    bool hashed = o->file_id && o->n_sources == 1 && o->n_bases == 0;
    struct hash_job hj = {.data = data, .len = len, .id = o->file_id};
    pthread_t hasher;
    bool hashing = hashed && pthread_create(&hasher, NULL, hash_bytes, &hj) == 0;
    if (hashed && !hashing)
        hash_bytes(&hj);
    p = hashed ? pw_decode(data, len, err) : pw_decode_take(data, len, err); /* take: frees */
    if (hashing)
        pthread_join(hasher, NULL);
    if (hashed && p && o->file_bytes) {
        *o->file_bytes = data;
        *o->file_len = len;
    } else if (hashed) {
        free(data);
    }
    if (!p) {
        if (hashed)
            o->file_id[0] = 0;
        pw_err_prefix(err, "%s: ", src);
    }
    if (p) {
        pw_profile_ensure_mapping(p);
        if (pw_symbolize_uses_comments(o->symbolize))
            pw_gonames_apply(p);
    }
    return p;
}

long pw_source_name_fetched(struct pw_profile *p, const char *url, const char *symbolize,
                            int timeout, struct pw_buf *warn, struct pw_err *err)
{
    bool force;
    bool comments = pw_symbolize_uses_comments(symbolize);
    if (!pw_symbolz_wanted(symbolize, &force)) {
        if (comments)
            pw_gonames_apply(p);
        return 0;
    }
    struct pw_err e = {0};
    long named = pw_symbolz(p, url, force, timeout, &e);
    if (named < 0 && !comments) { /* -symbolize=remote: pprof gives up too */
        *err = e;
        return -1;
    }
    if (named < 0 && warn && p->n_comment_frames)
        pw_buf_addf(warn, "%s; names from the profile's comments\n", e.msg);
    else if (named < 0 && warn)
        pw_buf_addf(warn, "%s\n", e.msg);
    if (named <= 0 && comments)
        pw_gonames_apply(p);
    return named < 0 ? 0 : named;
}

unsigned char *pw_source_fetched_bytes(const unsigned char *data, size_t len, const char *url,
                                       const char *symbolize, int timeout, size_t *out_len,
                                       struct pw_buf *warn)
{
    struct pw_err e = {0};
    struct pw_profile *p = pw_decode(data, len, &e);
    if (!p)
        return NULL; /* the caller's decode reports it */
    pw_profile_ensure_mapping(p);
    long named = pw_source_name_fetched(p, url, symbolize, timeout, warn, &e);
    unsigned char *out = kept_bytes(p, named > 0, out_len);
    pw_profile_free(p);
    return out;
}

/* pprof's chunkedGrab + combineProfiles: failures are reported and skipped; every profile, even
 * a single one, goes through Merge. */
static struct pw_profile *load_all(const struct pw_source_options *o, const char *const *srcs,
                                   size_t n, size_t *loaded, struct pw_buf *warn,
                                   struct pw_err *err)
{
    struct pw_profile **ps = pw_xcalloc(n ? n : 1, sizeof(*ps));
    struct pw_profile *out = NULL;
    size_t got = 0;
    for (size_t i = 0; i < n; i++) {
        struct pw_err e = {0};
        ps[got] = load_one(o, srcs[i], warn, &e);
        if (ps[got])
            got++;
        else if (warn)
            pw_buf_addf(warn, "%s\n", e.msg);
    }
    *loaded = got;
    if (got && pw_scale_profiles(ps, got, err)) {
        /* out stays NULL */
    } else if (got == 1 && o->graph_reports_only && o->n_bases == 0 &&
               pw_profile_merge_graph_neutral(ps[0])) {
        out = ps[0];
        ps[0] = NULL;
    } else if (got) {
        out = pw_profile_merge_consume(ps, got, err); /* frees ps[i] */
    }
    for (size_t i = 0; i < got; i++)
        pw_profile_free(ps[i]);
    free(ps);
    return out;
}

int pw_source_finish(struct pw_profile *p, const char *symbolize, struct pw_err *err)
{
    if (pw_symbolize(p, symbolize ? symbolize : "", err) ||
        pw_profile_remove_uninteresting(p, err))
        return -1;
    pw_profile_unsource_mappings(p);
    return pw_profile_check_valid(p, err);
}

struct pw_profile *pw_source_combine(struct pw_profile *p, struct pw_profile *base,
                                     bool diff_base, bool normalize, struct pw_err *err)
{
    if (diff_base)
        pw_profile_set_label(base, "pprof::base", "true");
    if (normalize && pw_profile_normalize(p, base, err)) {
        pw_profile_free(p);
        pw_profile_free(base);
        return NULL;
    }
    pw_profile_scale(base, -1);
    struct pw_profile *pair[2] = {p, base};
    struct pw_profile *merged = NULL;
    if (!pw_scale_profiles(pair, 2, err))
        merged = pw_profile_merge_consume(pair, 2, err); /* frees p and base */
    pw_profile_free(pair[0]);
    pw_profile_free(pair[1]);
    return merged;
}

struct pw_profile *pw_source_load(const struct pw_source_options *o, struct pw_buf *warn,
                                  struct pw_err *err)
{
    size_t n_src = 0, n_base = 0;
    if (o->file_id)
        o->file_id[0] = 0;
    if (o->file_bytes) {
        *o->file_bytes = NULL;
        *o->file_len = 0;
    }
    struct pw_profile *p = load_all(o, o->sources, o->n_sources, &n_src, warn, err);
    if (!p) {
        if (n_src == 0)
            pw_fail(err, PW_ECORRUPT, "failed to fetch any source profiles");
        return NULL;
    }
    if (o->n_bases) {
        struct pw_profile *base = load_all(o, o->bases, o->n_bases, &n_base, warn, err);
        if (!base) {
            if (n_base == 0)
                pw_fail(err, PW_ECORRUPT, "failed to fetch any base profiles");
            pw_profile_free(p);
            return NULL;
        }
        p = pw_source_combine(p, base, o->diff_base, o->normalize, err); /* frees p, base */
        if (!p)
            return NULL;
    }
    if (warn && n_src + n_base != o->n_sources + o->n_bases)
        pw_buf_addf(warn, "Fetched %zu source profiles out of %zu\n", n_src + n_base,
                    o->n_sources + o->n_bases);
    if (pw_source_finish(p, o->symbolize, err)) {
        pw_profile_free(p);
        return NULL;
    }
    return p;
}

struct pw_profile *pw_source_prepare_bytes(const unsigned char *data, size_t len,
                                           struct pw_err *err)
{
    return pw_source_prepare_bytes_mode(data, len, NULL, err);
}

struct pw_profile *pw_source_prepare_bytes_mode(const unsigned char *data, size_t len,
                                                const char *symbolize, struct pw_err *err)
{
    struct pw_profile *p = pw_decode(data, len, err);
    if (!p)
        return NULL;
    pw_profile_ensure_mapping(p);
    if (pw_symbolize_uses_comments(symbolize))
        pw_gonames_apply(p);
    struct pw_profile *merged = NULL;
    if (!pw_scale_profiles(&p, 1, err))
        merged = pw_profile_merge_consume(&p, 1, err); /* frees p */
    pw_profile_free(p);
    if (merged && pw_source_finish(merged, symbolize, err)) {
        pw_profile_free(merged);
        return NULL;
    }
    return merged;
}
