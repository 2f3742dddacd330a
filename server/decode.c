/* decode: profile bytes -> struct pw_profile.
 *
 * In: a file or buffer, gzip-compressed (one or more members) or raw. Raw bytes are parsed as
 * profile.proto (decode_proto.c, with protobuf-c); when they are not a profile.proto, the legacy
 * parsers (legacy.c) are tried, as pprof does.
 * Out: a profile whose every index is valid (string, mapping, location and function references),
 * as pprof's postDecode + CheckValid would accept it.
 * Limits: input and decompressed sizes (limits.h); a gzip bomb stops at PW_MAX_DECOMPRESSED.
 * Gzip: libdeflate inflates the ordinary input (one member whose trailer gives its size) at
 * once, two to three times as fast as zlib; zlib, which streams with a cap, does every other
 * and says what is wrong with a bad one. libdeflate and zlib stay in this file, protobuf-c in
 * decode_proto.c. */
#include "pprofweb/decode.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <zlib.h>

#include "pprofweb/decode_internal.h"
#include "pprofweb/gctrace.h"
#include "pprofweb/goroutines.h"
#include "pprofweb/legacy.h"
#include "pprofweb/limits.h"

/* --- gzip --- */

/* One inflation of a gzip input (every member) into buf. A streamed one has a fixed buffer,
 * since the reader holds pointers into it, and publishes its progress a chunk at a time. */
struct gunzip {
    const unsigned char *in;
    size_t in_len;
    unsigned char *buf;
    size_t cap, n, max;
    struct pw_stream *stream; /* NULL: not streamed, buf grows up to max */
    int code;                 /* the failure: PW_ECORRUPT, PW_ETOOBIG, PW_EIO, or 0 */
    char msg[128];
};

/* Output published to a stream's reader at a time. */
#define STREAM_CHUNK ((size_t)256 << 10)

static void publish(struct gunzip *g, bool done)
{
    if (!g->stream)
        return;
    pthread_mutex_lock(&g->stream->mu);
    g->stream->avail = g->n;
    g->stream->done = done;
    pthread_cond_broadcast(&g->stream->cond);
    pthread_mutex_unlock(&g->stream->mu);
}

static int gunzip_fail(struct gunzip *g, int code, const char *msg)
{
    g->code = code;
    snprintf(g->msg, sizeof(g->msg), "%s", msg);
    return -1;
}

static int gunzip_run(struct gunzip *g)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return gunzip_fail(g, PW_EIO, "zlib initialisation failed");
    size_t consumed = 0, published = 0;
    int rc = Z_OK;
    for (;;) {
        size_t in_left = g->in_len - consumed;
        zs.next_in = (unsigned char *)g->in + consumed;
        zs.avail_in = in_left > UINT32_MAX ? UINT32_MAX : (uInt)in_left;
        if (g->n == g->cap) {
            if (g->cap >= g->max || g->stream) {
                inflateEnd(&zs);
                char msg[80];
                snprintf(msg, sizeof(msg), "more than %zu MB uncompressed (limit)", g->max >> 20);
                return gunzip_fail(g, PW_ETOOBIG, msg);
            }
            g->cap = g->cap > g->max / 2 ? g->max : g->cap * 2;
            g->buf = pw_xrealloc(g->buf, g->cap);
        }
        size_t room = g->cap - g->n;
        if (g->stream && room > STREAM_CHUNK)
            room = STREAM_CHUNK;
        zs.next_out = g->buf + g->n;
        zs.avail_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
        uInt avail_in_before = zs.avail_in;
        uInt avail_out_before = zs.avail_out;
        rc = inflate(&zs, Z_NO_FLUSH);
        consumed += avail_in_before - zs.avail_in;
        g->n += avail_out_before - zs.avail_out;
        if (g->n - published >= STREAM_CHUNK) {
            publish(g, false);
            published = g->n;
        }
        if (rc == Z_STREAM_END) {
            /* Another gzip member may follow, as Go's reader accepts. */
            if (consumed + 2 <= g->in_len && g->in[consumed] == 0x1f &&
                g->in[consumed + 1] == 0x8b) {
                inflateReset(&zs);
                continue;
            }
            break;
        }
        if (rc == Z_BUF_ERROR && zs.avail_in == 0 && consumed == g->in_len) {
            inflateEnd(&zs);
            return gunzip_fail(g, PW_ECORRUPT, "unexpected EOF");
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            int r = gunzip_fail(g, PW_ECORRUPT, zs.msg ? zs.msg : "corrupt data");
            inflateEnd(&zs);
            return r;
        }
    }
    inflateEnd(&zs);
    return 0;
}

static bool is_gzip(const unsigned char *data, size_t len)
{
    return len >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

/* ISIZE, the trailer's uncompressed size of the last member, modulo 2^32. */
static size_t gzip_isize(const unsigned char *data, size_t len)
{
    return (size_t)data[len - 4] | (size_t)data[len - 3] << 8 | (size_t)data[len - 2] << 16 |
           (size_t)data[len - 1] << 24;
}

/* Inflates a gzip input of one member into a buffer of the size its trailer gives, with
 * libdeflate. Returns -1, having kept nothing, for anything else: several members (the trailer
 * is the last one's), a size that is wrong, wrapped past 4 GiB or not below max, or corrupt
 * data; zlib then inflates it or says what is wrong, as it always did. */
static int gunzip_whole(const unsigned char *data, size_t len, size_t max, unsigned char **out,
                        size_t *out_len)
{
    if (!is_gzip(data, len) || len < 18) /* a 10-byte header and an 8-byte trailer */
        return -1;
    size_t size = gzip_isize(data, len);
    /* Deflate expands at most 1032 to 1: a larger size is a lie, not worth allocating for. */
    if (size >= max || size / 1032 > len)
        return -1;
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    if (!d)
        return -1;
    unsigned char *buf = pw_xmalloc(size);
    /* The model decoded from these bytes takes about twice their size: its pages are faulted
     * in meanwhile, by the processor inflating leaves idle. */
    struct pw_heap_warm *warm = pw_heap_warm_begin(2 * size);
    size_t in_used = 0, out_used = 0;
    enum libdeflate_result r =
        libdeflate_gzip_decompress_ex(d, data, len, buf, size, &in_used, &out_used);
    pw_heap_warm_end(warm);
    libdeflate_free_decompressor(d);
    if (r != LIBDEFLATE_SUCCESS || in_used != len || out_used != size) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = size;
    return 0;
}

/* Inflates with zlib: every member, output capped at max. */
static int gunzip_zlib(const unsigned char *data, size_t len, size_t max, unsigned char **out,
                       size_t *out_len, struct pw_err *err)
{
    struct gunzip g = {.in = data, .in_len = len, .max = max};
    g.cap = len * 4 < (1u << 20) ? (1u << 20) : len * 4;
    if (g.cap > max)
        g.cap = max;
    g.buf = pw_xmalloc(g.cap);
    if (gunzip_run(&g)) {
        free(g.buf);
        return pw_fail(err, g.code, "decompressing profile: %s", g.msg);
    }
    *out = g.buf;
    *out_len = g.n;
    return 0;
}

int pw_gunzip(const unsigned char *data, size_t len, size_t max, unsigned char **out,
              size_t *out_len, struct pw_err *err)
{
    *out = NULL;
    *out_len = 0;
    if (!is_gzip(data, len) || gunzip_whole(data, len, max, out, out_len) == 0)
        return 0;
    return gunzip_zlib(data, len, max, out, out_len, err);
}

size_t pw_stream_wait(struct pw_stream *s, size_t have, bool *done)
{
    pthread_mutex_lock(&s->mu);
    while (s->avail <= have && !s->done)
        pthread_cond_wait(&s->cond, &s->mu);
    size_t avail = s->avail;
    *done = s->done;
    pthread_mutex_unlock(&s->mu);
    return avail;
}

static void *inflate_thread(void *arg)
{
    struct gunzip *g = arg;
    gunzip_run(g); /* a failure is in g->code, for the caller */
    publish(g, true);
    return NULL;
}

/* Inflates a gzip input on a second thread while this one unpacks its samples (*early, or NULL
 * when they could not be). Returns -1, having inflated nothing, when the input is not the
 * ordinary case: small, several members (the size in the trailer is the last one's), an
 * implausible size, or a failure, which pw_gunzip then reports. */
static int gunzip_streamed(const unsigned char *data, size_t len, size_t max,
                           unsigned char **out, size_t *out_len, struct pw_early_samples **early)
{
    *early = NULL;
    if (!is_gzip(data, len) || len < PW_GUNZIP_STREAM_MIN)
        return -1;
    size_t size = gzip_isize(data, len);
    if (size < len / 2 || size >= max || size / 64 > len)
        return -1;
    struct pw_stream st = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    /* One byte more than the output, so that a member's end is read without a full buffer. */
    struct gunzip g = {.in = data, .in_len = len, .max = max, .cap = size + 1, .stream = &st};
    g.buf = pw_xmalloc(g.cap);
    st.data = g.buf;
    pthread_t thread;
    if (pthread_create(&thread, NULL, inflate_thread, &g) != 0) {
        free(g.buf);
        return -1;
    }
    *early = pw_proto_early_samples(&st);
    pthread_join(thread, NULL);
    pthread_mutex_destroy(&st.mu);
    pthread_cond_destroy(&st.cond);
    if (g.code) {
        pw_early_samples_free(*early);
        *early = NULL;
        free(g.buf);
        return -1;
    }
    *out = g.buf;
    *out_len = g.n;
    return 0;
}

/* A gctrace log as a profile without samples that keeps the log's text for its view, once the
 * log has been read (so an upload with no readable cycle is refused here). */
static struct pw_profile *gctrace_profile(const unsigned char *data, size_t len,
                                          struct pw_err *err)
{
    struct pw_gctrace t;
    if (pw_gctrace_parse((const char *)data, len, &t, err)) {
        pw_err_prefix(err, "parsing gctrace log: ");
        return NULL;
    }
    pw_gctrace_release(&t);
    struct pw_profile *p = pw_profile_new();
    struct pw_value_type vt = {pw_intern_cstr(p, "gc"), pw_intern_cstr(p, "count")};
    pw_set_sample_types(p, &vt, 1);
    p->gctrace = pw_arena_strndup(&p->arena, (const char *)data, len);
    return p;
}

/* A fetched Go heap page kept as profile.proto (source.h) carries its MemStats block as a comment
 * that starts with "# runtime.MemStats"; pprof's legends leave '#' comments out. */
static void memstats_from_comments(struct pw_profile *p)
{
    static const char tag[] = "# runtime.MemStats\n";
    for (uint32_t i = 0; i < p->n_comments && !p->memstats; i++)
        if (!strncmp(pw_s(p, p->comments[i]), tag, sizeof(tag) - 1))
            p->memstats = pw_s(p, p->comments[i]);
}

/* Decodes raw (gunzipped) bytes: profile.proto, else the legacy formats, goroutine dumps and
 * gctrace logs. */
static struct pw_profile *decode_raw(const unsigned char *data, size_t len,
                                     struct pw_early_samples *early, struct pw_err *err)
{
    if (len == 0) {
        pw_early_samples_free(early);
        pw_fail(err, PW_ECORRUPT, "parsing profile: empty input file");
        return NULL;
    }
    bool not_proto;
    char why[200] = "";
    struct pw_profile *p = pw_decode_proto(data, len, early, &not_proto, why, sizeof(why), err);
    if (!p && not_proto) {
        struct pw_err lerr = {0};
        p = pw_legacy_parse(data, len, &lerr);
        if (!p && strcmp(lerr.msg, "unrecognized profile format") == 0 &&
            pw_goroutines_detect((const char *)data, len)) {
            p = pw_goroutines_parse((const char *)data, len, &lerr);
            if (!p)
                pw_fail(err, lerr.code, "parsing goroutine dump: %s", lerr.msg);
        } else if (!p && strcmp(lerr.msg, "unrecognized profile format") == 0 &&
                   pw_gctrace_detect((const char *)data, len)) {
            p = gctrace_profile(data, len, err);
        } else if (!p) {
            if (strcmp(lerr.msg, "unrecognized profile format") == 0)
                pw_fail(err, PW_ECORRUPT,
                        "parsing profile: unrecognized profile format (not profile.proto: %s)",
                        why);
            else
                pw_fail(err, lerr.code, "parsing profile: %s", lerr.msg);
        }
    } else if (!p) {
        pw_err_prefix(err, "malformed profile: ");
    }
    if (p && pw_profile_check_valid(p, err)) {
        pw_err_prefix(err, "malformed profile: ");
        pw_profile_free(p);
        p = NULL;
    }
    if (p && !p->memstats)
        memstats_from_comments(p);
    return p;
}

/* Decodes data, freeing it (when owned) as soon as it is gunzipped: the compressed bytes, the
 * raw bytes and the model need not all be in memory at once. */
static struct pw_profile *decode(const unsigned char *data, size_t len, unsigned char *owned,
                                 struct pw_err *err)
{
    if (len > PW_MAX_INPUT) {
        free(owned);
        pw_fail(err, PW_ETOOBIG, "profile is %zu MB (limit %zu MB)", len >> 20,
                PW_MAX_INPUT >> 20);
        return NULL;
    }
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    struct pw_early_samples *early = NULL;
    if (is_gzip(data, len) && gunzip_whole(data, len, PW_MAX_DECOMPRESSED, &raw, &raw_len) &&
        gunzip_streamed(data, len, PW_MAX_DECOMPRESSED, &raw, &raw_len, &early) &&
        gunzip_zlib(data, len, PW_MAX_DECOMPRESSED, &raw, &raw_len, err)) {
        free(owned);
        return NULL;
    }
    if (raw) {
        free(owned);
        owned = raw;
        data = raw;
        len = raw_len;
    }
    struct pw_profile *p = decode_raw(data, len, early, err);
    free(owned);
    return p;
}

struct pw_profile *pw_decode(const unsigned char *data, size_t len, struct pw_err *err)
{
    return decode(data, len, NULL, err);
}

struct pw_profile *pw_decode_take(unsigned char *data, size_t len, struct pw_err *err)
{
    return decode(data, len, data, err);
}

int pw_read_file(const char *path, size_t max, unsigned char **data, size_t *len,
                 struct pw_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return pw_fail(err, errno == ENOENT ? PW_ENOTFOUND : PW_EIO, "%s: %s", path,
                       strerror(errno));
    /* A regular file is read into a buffer of its size at once (one byte more, to see that it
     * ended); pipes and the like grow the buffer as they go. */
    struct stat st;
    size_t cap = 1 << 16, n = 0;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uint64_t)st.st_size < max)
        cap = (size_t)st.st_size + 1;
    unsigned char *buf = pw_xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                fclose(f);
                free(buf);
                return pw_fail(err, PW_ETOOBIG, "%s: larger than %zu MB (limit)", path,
                               max >> 20);
            }
            cap *= 2;
            buf = pw_xrealloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                int e = errno;
                fclose(f);
                free(buf);
                return pw_fail(err, PW_EIO, "%s: %s", path, strerror(e));
            }
            break;
        }
    }
    fclose(f);
    if (n > max) {
        free(buf);
        return pw_fail(err, PW_ETOOBIG, "%s: larger than %zu MB (limit)", path, max >> 20);
    }
    *data = buf;
    *len = n;
    return 0;
}

struct pw_profile *pw_decode_file(const char *path, struct pw_err *err)
{
    unsigned char *data;
    size_t len;
    if (pw_read_file(path, PW_MAX_INPUT, &data, &len, err))
        return NULL;
    struct pw_profile *p = decode(data, len, data, err); /* frees data */
    if (!p)
        pw_err_prefix(err, "%s: ", path);
    return p;
}
