/* store: the front of the profile store (store.h), in front of a backend (store_backend.h): a
 * directory (store_dir.c) or a PostgreSQL database (store_pg.c).
 *
 * Every id is validated here, so a backend only ever sees 24 (profiles) or 16 (series) hex
 * digits. A profile's id is the hex of the first 12 bytes of the SHA-256 of its bytes, so the
 * same upload always gets the same link, in either backend. Bytes are decoded completely before
 * anything is handed to a backend: nothing corrupt is ever stored.
 * Decoded profiles are cached here, per process (PW_STORE_CACHE_PROFILES, least recently used
 * dropped first), reference counted so a request never sees its profile freed, with their
 * metadata: when the backend is unreachable (PW_EUNAVAIL) a cached profile keeps answering.
 * Series: the front turns profile ids into snapshots (time and sample types from the metadata);
 * the backend orders, checks and keeps them. Watches are the backend's when it shares them
 * between processes (a database), else the watcher keeps them in memory (watch.c). */
#include "pprofweb/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pprofweb/buf.h"
#include "pprofweb/limits.h"
#include "pprofweb/source.h"
#include "pprofweb/store_backend.h"

struct cached {
    struct pw_store_entry e;
    struct pw_profile *p;
    int refs;
    uint64_t last_used;
};

struct pw_store {
    const struct pw_store_ops *ops;
    void *b;
    char *symbolize; /* -symbolize mode for decoding, or NULL */
    pthread_mutex_t mu;
    struct cached *cache;
    size_t n_cache, cap_cache;
    uint64_t clock;
};

bool pw_store_id_valid(const char *id)
{
    size_t i = 0;
    for (; id[i]; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return false;
    return i == PW_STORE_ID_LEN;
}

bool pw_store_is_database(const char *where)
{
    return where && (!strncmp(where, "postgres://", 11) || !strncmp(where, "postgresql://", 13) ||
                     strchr(where, '=') != NULL);
}

struct pw_store *pw_store_open(const char *where, struct pw_err *err)
{
    char def[4096];
    if (!where || !*where) {
        const char *env = getenv("PPROFWEB_STORE"), *xdg = getenv("XDG_DATA_HOME"),
                   *home = getenv("HOME");
        if (env && *env)
            snprintf(def, sizeof(def), "%s", env);
        else if (xdg && *xdg)
            snprintf(def, sizeof(def), "%s/pprofweb/profiles", xdg);
        else if (home && *home)
            snprintf(def, sizeof(def), "%s/.local/share/pprofweb/profiles", home);
        else {
            pw_fail(err, PW_EINVAL, "store: no -store directory and no $HOME");
            return NULL;
        }
        where = def;
    }
    const struct pw_store_ops *ops = NULL;
    void *b = pw_store_is_database(where) ? pw_store_pg_open(where, &ops, err)
                                          : pw_store_dir_open(where, &ops, err);
    if (!b)
        return NULL;
    struct pw_store *s = pw_xcalloc(1, sizeof(*s));
    s->ops = ops;
    s->b = b;
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void pw_store_free(struct pw_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_cache; i++)
        pw_profile_free(s->cache[i].p);
    free(s->cache);
    s->ops->close(s->b);
    pthread_mutex_destroy(&s->mu);
    free(s->symbolize);
    free(s);
}

void pw_store_set_symbolize(struct pw_store *s, const char *mode)
{
    free(s->symbolize);
    s->symbolize = NULL;
    if (mode && *mode && !(s->symbolize = strdup(mode)))
        abort();
}

const char *pw_store_symbolize(const struct pw_store *s)
{
    return s->symbolize;
}

const char *pw_store_dir(const struct pw_store *s)
{
    return pw_store_dir_path(s->b, s->ops);
}

const char *pw_store_kind(const struct pw_store *s)
{
    return s->ops->kind;
}

void pw_store_sanitize(char *dst, size_t n, const char *src)
{
    size_t j = 0;
    for (size_t i = 0; src && src[i] && j + 1 < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[j++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    dst[j] = 0;
}

/* --- the cache of decoded profiles (s->mu held) --- */

static void cache_insert(struct pw_store *s, const struct pw_store_entry *e, struct pw_profile *p,
                         int refs)
{
    /* Drop the least recently used profiles nobody is using, down to the bound. */
    while (s->n_cache >= PW_STORE_CACHE_PROFILES) {
        size_t victim = SIZE_MAX;
        for (size_t i = 0; i < s->n_cache; i++)
            if (s->cache[i].refs == 0 &&
                (victim == SIZE_MAX || s->cache[i].last_used < s->cache[victim].last_used))
                victim = i;
        if (victim == SIZE_MAX)
            break; /* all in use: exceed the bound until some are released */
        pw_profile_free(s->cache[victim].p);
        s->cache[victim] = s->cache[--s->n_cache];
    }
    PW_GROW(s->cache, s->cap_cache, s->n_cache + 1);
    struct cached *c = &s->cache[s->n_cache++];
    c->e = *e;
    c->p = p;
    c->refs = refs;
    c->last_used = ++s->clock;
}

static struct cached *cache_find(struct pw_store *s, const char *id)
{
    for (size_t i = 0; i < s->n_cache; i++)
        if (!strcmp(s->cache[i].e.id, id))
            return &s->cache[i];
    return NULL;
}

void pw_store_id_of(const unsigned char *data, size_t len, char *id)
{
    unsigned char sum[32];
    pw_sha256(data, len, sum);
    for (int i = 0; i < PW_STORE_ID_LEN / 2; i++)
        snprintf(id + 2 * i, 3, "%02x", sum[i]);
}

/* The metadata of a decoded profile about to be stored. */
static void entry_of(const struct pw_profile *p, const char *id, const char *name, size_t len,
                     bool snapshot, struct pw_store_entry *e)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->id, sizeof(e->id), "%s", id);
    pw_store_sanitize(e->name, sizeof(e->name), name && *name ? name : "upload");
    struct pw_buf t;
    pw_buf_init(&t, sizeof(e->type) - 1);
    char clean[128];
    for (uint32_t i = 0; i < p->n_sample_types; i++) {
        pw_store_sanitize(clean, sizeof(clean), pw_s(p, p->sample_types[i].type));
        pw_buf_addf(&t, "%s%s", i ? "," : "", clean);
    }
    snprintf(e->type, sizeof(e->type), "%.*s", (int)t.len, t.data ? t.data : "");
    pw_buf_release(&t);
    e->time_nanos = p->time_nanos;
    e->stored_at = (int64_t)time(NULL);
    e->size = len;
    e->snapshot_only = snapshot;
}

/* Already stored: nothing to write, except that a user's own put of bytes a watch stored
 * makes them outlive the watch's snapshots. 1 when stored, 0 when not, -1 with err. */
static int already(struct pw_store *s, const char *id, bool snapshot, struct pw_err *err)
{
    int have = s->ops->exists(s->b, id, err);
    if (have != 1 || snapshot)
        return have;
    struct pw_store_entry e;
    if (s->ops->stat(s->b, id, &e, err))
        return -1;
    if (!e.snapshot_only)
        return 1;
    e.snapshot_only = false;
    return s->ops->put(s->b, &e, NULL, 0, err) ? -1 : 1;
}

int pw_store_claim(struct pw_store *s, const char *id, struct pw_err *err)
{
    if (!pw_store_id_valid(id))
        return 0;
    return already(s, id, false, err);
}

static int put(struct pw_store *s, const unsigned char *data, size_t len, const char *name,
               bool snapshot, char *id_out, struct pw_err *err)
{
    char id[PW_STORE_ID_LEN + 1];
    pw_store_id_of(data, len, id);
    snprintf(id_out, PW_STORE_ID_LEN + 1, "%s", id);
    int have = already(s, id, snapshot, err);
    if (have)
        return have < 0 ? -1 : 0;

    /* Validate completely before anything is written. */
    struct pw_profile *p = pw_source_prepare_bytes_mode(data, len, s->symbolize, err);
    if (!p)
        return -1;
    struct pw_store_entry e;
    entry_of(p, id, name, len, snapshot, &e);
    if (s->ops->put(s->b, &e, data, len, err)) {
        pw_profile_free(p);
        return -1;
    }
    pthread_mutex_lock(&s->mu);
    if (cache_find(s, id))
        pw_profile_free(p);
    else
        cache_insert(s, &e, p, 0);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

int pw_store_put(struct pw_store *s, const unsigned char *data, size_t len, const char *name,
                 char *id_out, struct pw_err *err)
{
    return put(s, data, len, name, false, id_out, err);
}

int pw_store_put_snapshot(struct pw_store *s, const unsigned char *data, size_t len,
                          const char *name, char *id_out, struct pw_err *err)
{
    return put(s, data, len, name, true, id_out, err);
}

void pw_store_describe(const struct pw_profile *p, const char *name, size_t len,
                       struct pw_store_entry *e)
{
    entry_of(p, "", name, len, false, e);
}

/* Stores data with the entry e describes (its id set here, written to id_out too). */
/* Stores data under e->id, already its pw_store_id_of. */
static int put_identified(struct pw_store *s, const unsigned char *data, size_t len,
                          struct pw_store_entry *e, struct pw_err *err)
{
    int have = already(s, e->id, false, err);
    if (have)
        return have < 0 ? -1 : 0;
    e->stored_at = (int64_t)time(NULL);
    return s->ops->put(s->b, e, data, len, err);
}

static int put_described(struct pw_store *s, const unsigned char *data, size_t len,
                         struct pw_store_entry *e, char *id_out, struct pw_err *err)
{
    pw_store_id_of(data, len, e->id);
    if (id_out != e->id)
        memcpy(id_out, e->id, sizeof(e->id));
    return put_identified(s, data, len, e, err);
}

int pw_store_put_valid(struct pw_store *s, const unsigned char *data, size_t len,
                       const char *name, const struct pw_profile *p, char *id_out,
                       struct pw_err *err)
{
    struct pw_store_entry e;
    pw_store_describe(p, name, len, &e);
    return put_described(s, data, len, &e, id_out, err);
}

int pw_store_put_valid_as(struct pw_store *s, const unsigned char *data, size_t len,
                          const char *id, const char *name, const struct pw_profile *p,
                          struct pw_err *err)
{
    struct pw_store_entry e;
    pw_store_describe(p, name, len, &e);
    snprintf(e.id, sizeof(e.id), "%s", id);
    return put_identified(s, data, len, &e, err);
}

int pw_store_put_valid_all(struct pw_store *s, struct pw_store_item *items, size_t n,
                           struct pw_err *err)
{
    if (!s->ops->put_all || n < 2) {
        for (size_t i = 0; i < n; i++)
            if (put_described(s, items[i].data, items[i].len, &items[i].entry,
                              items[i].entry.id, err))
                return -1;
        return 0;
    }
    struct pw_store_entry *e = calloc(n, sizeof(*e));
    const unsigned char **data = calloc(n, sizeof(*data));
    size_t *len = calloc(n, sizeof(*len));
    int rc = -1;
    if (!e || !data || !len) {
        pw_fail(err, PW_EIO, "out of memory storing %zu profiles", n);
        goto out;
    }
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < n; i++) {
        pw_store_id_of(items[i].data, items[i].len, items[i].entry.id);
        items[i].entry.stored_at = now;
        /* Bytes already stored are sent again: the backend keeps the old ones (and clears a
         * watch's mark), in the same transaction, so nothing can drop them in between. */
        e[i] = items[i].entry;
        data[i] = items[i].data;
        len[i] = items[i].len;
    }
    rc = s->ops->put_all(s->b, e, data, len, n, err);
out:
    free(e);
    free(data);
    free(len);
    return rc;
}

int pw_store_read(struct pw_store *s, const char *id, unsigned char **data, size_t *len,
                  struct pw_err *err)
{
    if (!pw_store_id_valid(id))
        return pw_fail(err, PW_ENOTFOUND, "no profile with id \"%.64s\"", id);
    return s->ops->read(s->b, id, data, len, err);
}

const struct pw_profile *pw_store_acquire(struct pw_store *s, const char *id, struct pw_err *err)
{
    if (!pw_store_id_valid(id)) {
        pw_fail(err, PW_ENOTFOUND, "no profile with id \"%.64s\"", id);
        return NULL;
    }
    pthread_mutex_lock(&s->mu);
    struct cached *c = cache_find(s, id);
    if (c) {
        c->refs++;
        c->last_used = ++s->clock;
        pthread_mutex_unlock(&s->mu);
        return c->p;
    }
    pthread_mutex_unlock(&s->mu);

    /* Decode outside the lock: other profiles stay available meanwhile. */
    struct pw_store_entry e;
    if (s->ops->stat(s->b, id, &e, err))
        return NULL;
    unsigned char *data;
    size_t len;
    if (s->ops->read(s->b, id, &data, &len, err))
        return NULL;
    struct pw_profile *p = pw_source_prepare_bytes_mode(data, len, s->symbolize, err);
    free(data);
    if (!p) {
        pw_err_prefix(err, "stored profile %s: ", id);
        return NULL;
    }
    pthread_mutex_lock(&s->mu);
    c = cache_find(s, id);
    if (c) { /* another request loaded it meanwhile */
        pw_profile_free(p);
        c->refs++;
        c->last_used = ++s->clock;
        p = c->p;
    } else {
        cache_insert(s, &e, p, 1);
    }
    pthread_mutex_unlock(&s->mu);
    return p;
}

void pw_store_release(struct pw_store *s, const struct pw_profile *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n_cache; i++)
        if (s->cache[i].p == p && s->cache[i].refs > 0)
            s->cache[i].refs--;
    pthread_mutex_unlock(&s->mu);
}

int pw_store_stat(struct pw_store *s, const char *id, struct pw_store_entry *out,
                  struct pw_err *err)
{
    if (!pw_store_id_valid(id))
        return pw_fail(err, PW_ENOTFOUND, "no profile with id \"%.64s\"", id);
    struct pw_err e2 = {0};
    if (s->ops->stat(s->b, id, out, &e2) == 0)
        return 0;
    if (e2.code == PW_EUNAVAIL) { /* a decoded profile keeps answering */
        pthread_mutex_lock(&s->mu);
        struct cached *c = cache_find(s, id);
        if (c)
            *out = c->e;
        pthread_mutex_unlock(&s->mu);
        if (c)
            return 0;
    }
    if (err)
        *err = e2;
    return -1;
}

struct pw_store_entry *pw_store_list(struct pw_store *s, size_t *n, struct pw_err *err)
{
    size_t skipped;
    return s->ops->list(s->b, false, n, &skipped, err);
}

struct pw_store_entry *pw_store_list_loose(struct pw_store *s, size_t *n, size_t *n_in_series,
                                           struct pw_err *err)
{
    return s->ops->list(s->b, true, n, n_in_series, err);
}

void pw_store_list_free(struct pw_store_entry *entries)
{
    free(entries);
}

uint64_t pw_store_disk_usage(struct pw_store *s)
{
    return s->ops->disk_usage(s->b);
}

/* --- series --- */

void pw_store_series_id(const char *name, char *id_out)
{
    struct pw_buf b;
    pw_buf_init(&b, 0);
    pw_buf_addf(&b, "series\n%s", name);
    unsigned char sum[32];
    pw_sha256(b.data, b.len, sum);
    pw_buf_release(&b);
    for (int i = 0; i < PW_SERIES_ID_LEN / 2; i++)
        snprintf(id_out + 2 * i, 3, "%02x", sum[i]);
}

bool pw_series_id_valid(const char *id)
{
    size_t i = 0;
    for (; id[i]; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return false;
    return i == PW_SERIES_ID_LEN;
}

void pw_store_series_free(struct pw_series *sr)
{
    free(sr->snaps);
    memset(sr, 0, sizeof(*sr));
}

int pw_store_series_open(struct pw_store *s, const char *name, char *id_out, struct pw_err *err)
{
    char id[PW_SERIES_ID_LEN + 1];
    pw_store_series_id(name, id);
    snprintf(id_out, PW_SERIES_ID_LEN + 1, "%s", id);
    char clean[256];
    pw_store_sanitize(clean, sizeof(clean), name);
    return s->ops->series_open(s->b, id, clean, err);
}

/* Fills sn for one snapshot (its profile's type into type); 0 or -1 with err. */
static int snapshot_of(struct pw_store *s, const char *profile_id, int64_t time_nanos,
                       const char *error, struct pw_series_snapshot *sn, char *type,
                       struct pw_err *err)
{
    memset(sn, 0, sizeof(*sn));
    sn->time_nanos = time_nanos;
    type[0] = 0;
    if (profile_id) {
        struct pw_store_entry e;
        if (pw_store_stat(s, profile_id, &e, err))
            return -1;
        snprintf(sn->id, sizeof(sn->id), "%s", profile_id);
        snprintf(type, 128, "%s", e.type);
        if (!sn->time_nanos)
            sn->time_nanos = e.time_nanos;
    } else {
        pw_store_sanitize(sn->error, 200, error && *error ? error : "no profile");
    }
    if (!sn->time_nanos) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        sn->time_nanos = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
    return 0;
}

static int append(struct pw_store *s, const char *series_id, const char *const *profile_ids,
                  const int64_t *times, size_t n, const char *error, const char *holder,
                  struct pw_err *err)
{
    if (!pw_series_id_valid(series_id))
        return pw_fail(err, PW_ENOTFOUND, "no series with id \"%.64s\"", series_id);
    struct pw_series_snapshot *sn = pw_xcalloc(n + 1, sizeof(*sn));
    char(*types)[128] = pw_xcalloc(n + 1, sizeof(*types));
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = snapshot_of(s, profile_ids[i], times[i], error, &sn[i], types[i], err);
    if (rc == 0)
        rc = s->ops->series_append(s->b, series_id, sn, (const char(*)[128])types, n, holder,
                                   err);
    free(sn);
    free(types);
    return rc;
}

int pw_store_series_append(struct pw_store *s, const char *series_id, const char *profile_id,
                           int64_t time_nanos, const char *error, struct pw_err *err)
{
    return append(s, series_id, &profile_id, &time_nanos, 1, error, NULL, err);
}

int pw_store_series_append_many(struct pw_store *s, const char *series_id,
                                const char *const *profile_ids, const int64_t *times, size_t n,
                                const char *error, struct pw_err *err)
{
    return append(s, series_id, profile_ids, times, n, error, NULL, err);
}

int pw_store_series_append_held(struct pw_store *s, const char *series_id,
                                const char *profile_id, int64_t time_nanos, const char *error,
                                const char *holder, struct pw_err *err)
{
    return append(s, series_id, &profile_id, &time_nanos, 1, error, holder, err);
}

int pw_store_series_trim(struct pw_store *s, const char *series_id, size_t keep_count,
                         int64_t keep_age_nanos, struct pw_err *err)
{
    if (!pw_series_id_valid(series_id))
        return pw_fail(err, PW_ENOTFOUND, "no series with id \"%.64s\"", series_id);
    return s->ops->series_trim(s->b, series_id, keep_count, keep_age_nanos, err);
}

int pw_store_series_get(struct pw_store *s, const char *series_id, struct pw_series *out,
                        struct pw_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!pw_series_id_valid(series_id))
        return pw_fail(err, PW_ENOTFOUND, "no series with id \"%.64s\"", series_id);
    return s->ops->series_get(s->b, series_id, out, err);
}

struct pw_series_info *pw_store_series_list(struct pw_store *s, size_t *n, struct pw_err *err)
{
    return s->ops->series_list(s->b, n, err);
}

/* --- watches --- */

bool pw_store_shares_watches(const struct pw_store *s)
{
    return s->ops->watch_list != NULL;
}

static int no_watches(const struct pw_store *s, struct pw_err *err)
{
    return pw_fail(err, PW_EINVAL, "a %s store keeps no watches", s->ops->kind);
}

int pw_store_watch_put(struct pw_store *s, const struct pw_store_watch *w, struct pw_err *err)
{
    if (!s->ops->watch_put)
        return no_watches(s, err);
    if (!pw_series_id_valid(w->series_id))
        return pw_fail(err, PW_EINVAL, "bad series id \"%.40s\"", w->series_id);
    return s->ops->watch_put(s->b, w, err);
}

int pw_store_watch_delete(struct pw_store *s, const char *series_id, struct pw_err *err)
{
    if (!s->ops->watch_delete)
        return no_watches(s, err);
    if (!pw_series_id_valid(series_id))
        return pw_fail(err, PW_ENOTFOUND, "no watch of series \"%.40s\"", series_id);
    return s->ops->watch_delete(s->b, series_id, err);
}

struct pw_store_watch *pw_store_watch_list(struct pw_store *s, size_t *n, struct pw_err *err)
{
    *n = 0;
    if (!s->ops->watch_list) {
        no_watches(s, err);
        return NULL;
    }
    return s->ops->watch_list(s->b, n, err);
}

int pw_store_watch_claim(struct pw_store *s, const char *series_id, const char *holder,
                         long long lease_ms, struct pw_err *err)
{
    if (!s->ops->watch_claim)
        return no_watches(s, err);
    return s->ops->watch_claim(s->b, series_id, holder, lease_ms, err);
}

int pw_store_watch_report(struct pw_store *s, const char *series_id, const char *holder, bool ok,
                          int64_t when_nanos, const char *error, struct pw_err *err)
{
    if (!s->ops->watch_report)
        return no_watches(s, err);
    char clean[256];
    pw_store_sanitize(clean, sizeof(clean), error ? error : "");
    return s->ops->watch_report(s->b, series_id, holder, ok, when_nanos, clean, err);
}

int pw_store_watch_release(struct pw_store *s, const char *series_id, const char *holder,
                           struct pw_err *err)
{
    if (!s->ops->watch_release)
        return no_watches(s, err);
    return s->ops->watch_release(s->b, series_id, holder, err);
}

/* --- copying a store --- */

int pw_store_copy(struct pw_store *from, struct pw_store *to, bool verbose, struct pw_err *err)
{
    size_t n = 0, copied = 0;
    struct pw_store_entry *e = pw_store_list(from, &n, err);
    if (!e)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned char *data;
        size_t len;
        int have = to->ops->exists(to->b, e[i].id, err);
        if (have < 0) {
            rc = -1;
            break;
        }
        if (have)
            continue;
        if (from->ops->read(from->b, e[i].id, &data, &len, err)) {
            rc = pw_err_prefix(err, "reading %s: ", e[i].id);
            break;
        }
        char id[PW_STORE_ID_LEN + 1];
        pw_store_id_of(data, len, id);
        if (strcmp(id, e[i].id)) /* never store bytes under another id: links would lie */
            rc = pw_fail(err, PW_ECORRUPT, "profile %s: its bytes do not match its id",
                         e[i].id);
        else
            rc = to->ops->put(to->b, &e[i], data, len, err);
        free(data);
        copied += rc == 0;
        if (verbose && copied && copied % 100 == 0)
            fprintf(stderr, "pprofweb: %zu of %zu profiles copied\n", copied, n);
    }
    pw_store_list_free(e);
    size_t ns = 0;
    struct pw_series_info *series = rc == 0 ? pw_store_series_list(from, &ns, err) : NULL;
    if (rc == 0 && !series)
        rc = -1;
    for (size_t i = 0; i < ns && rc == 0; i++) {
        struct pw_series sr, have;
        if (pw_store_series_get(from, series[i].id, &sr, err)) {
            rc = -1;
            break;
        }
        rc = to->ops->series_open(to->b, sr.info.id, sr.info.name, err);
        /* Snapshots the destination has already (an earlier copy) are not added twice. */
        if (rc == 0)
            rc = pw_store_series_get(to, sr.info.id, &have, err);
        if (rc == 0) {
            struct pw_series_snapshot *add = pw_xcalloc(sr.n + 1, sizeof(*add));
            char(*types)[128] = pw_xcalloc(sr.n + 1, sizeof(*types));
            size_t n_add = 0, m = 0;
            for (size_t k = 0; k < sr.n; k++) { /* both in time order */
                const struct pw_series_snapshot *sn = &sr.snaps[k];
                while (m < have.n && have.snaps[m].time_nanos < sn->time_nanos)
                    m++;
                bool dup = false;
                for (size_t x = m; x < have.n && have.snaps[x].time_nanos == sn->time_nanos; x++)
                    dup = dup || !strcmp(have.snaps[x].id, sn->id);
                if (dup)
                    continue;
                add[n_add] = *sn;
                snprintf(types[n_add], sizeof(types[n_add]), "%s", sn->id[0] ? sr.info.type : "");
                n_add++;
            }
            if (n_add)
                rc = to->ops->series_append(to->b, sr.info.id, add, (const char(*)[128])types,
                                            n_add, NULL, err);
            free(add);
            free(types);
            pw_store_series_free(&have);
        }
        pw_store_series_free(&sr);
    }
    free(series);
    if (rc == 0 && from->ops->watch_list && to->ops->watch_put) {
        size_t nw = 0;
        struct pw_store_watch *w = pw_store_watch_list(from, &nw, err);
        if (!w)
            rc = -1;
        for (size_t i = 0; i < nw && rc == 0; i++)
            rc = to->ops->watch_put(to->b, &w[i], err);
        free(w);
    }
    if (verbose && rc == 0)
        fprintf(stderr, "pprofweb: copied %zu profiles (%zu already there) and %zu series\n",
                copied, n - copied, ns);
    return rc;
}
