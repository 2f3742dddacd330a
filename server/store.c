/* store: the profile store behind uploads, fetched URLs and lasting links.
 *
 * Layout: DIR/ID.prof holds the bytes exactly as received (gzip, raw proto or legacy text);
 * DIR/ID.meta a few "key value" lines (name, type, time, stored, size). ID is the hex of the first
 * 12 bytes of the SHA-256 of the bytes, so the same upload always gets the same link. Both files
 * are written to a temporary name, fsynced and renamed, data first: a listing shows only ids whose
 * .meta exists, so a crash never exposes a torn profile. Nothing a request sends reaches the file
 * system except a validated id.
 * Decoded profiles are cached (PW_STORE_CACHE_PROFILES, least recently used dropped first) and
 * reference counted so a request never sees its profile freed.
 * Series (see store.h) are DIR/SERIES_ID.series: "name", "type" and "updated" lines, then one
 * "snap TIME ID" or "gap TIME MESSAGE" line per snapshot in time order; every change rewrites the
 * file atomically under the series lock, so readers see the old or the new series, never half. */
#include "pprofweb/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pprofweb/buf.h"
#include "pprofweb/decode.h"
#include "pprofweb/limits.h"
#include "pprofweb/source.h"

struct cached {
    char id[PW_STORE_ID_LEN + 1];
    struct pw_profile *p;
    int refs;
    uint64_t last_used;
};

struct pw_store {
    char *dir;
    char *symbolize; /* -symbolize mode for decoding, or NULL */
    pthread_mutex_t mu;
    pthread_mutex_t series_mu; /* serializes read-modify-write of series files */
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

static int mkdir_p(const char *path, struct pw_err *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
        return pw_fail(err, PW_EINVAL, "store directory path too long");
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0700) && errno != EEXIST)
            return pw_fail(err, PW_EIO, "store: cannot create %s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0700) && errno != EEXIST)
        return pw_fail(err, PW_EIO, "store: cannot create %s: %s", tmp, strerror(errno));
    return 0;
}

struct pw_store *pw_store_open(const char *dir, struct pw_err *err)
{
    char def[4096];
    if (!dir || !*dir) {
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
        dir = def;
    }
    if (mkdir_p(dir, err))
        return NULL;
    if (access(dir, W_OK | X_OK)) {
        pw_fail(err, PW_EIO, "store: %s is not writable: %s", dir, strerror(errno));
        return NULL;
    }
    struct pw_store *s = pw_xcalloc(1, sizeof(*s));
    s->dir = strdup(dir);
    if (!s->dir)
        abort();
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->series_mu, NULL);
    return s;
}

void pw_store_free(struct pw_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_cache; i++)
        pw_profile_free(s->cache[i].p);
    free(s->cache);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->series_mu);
    free(s->symbolize);
    free(s->dir);
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
    return s->dir;
}

static void path_of(const struct pw_store *s, const char *id, const char *ext, char *out,
                    size_t n)
{
    snprintf(out, n, "%s/%s.%s", s->dir, id, ext);
}

/* Writes data to path atomically: a temporary file in the same directory, fsync, rename, then
 * fsync of the directory so the rename itself is durable. */
static int write_atomic(const struct pw_store *s, const char *path, const void *data, size_t len,
                        struct pw_err *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", s->dir);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return pw_fail(err, PW_EIO, "store: cannot create a file in %s: %s", s->dir,
                       strerror(errno));
    const unsigned char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return pw_fail(err, PW_EIO, "store: writing %s: %s", tmp, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) || close(fd)) {
        int e = errno;
        unlink(tmp);
        return pw_fail(err, PW_EIO, "store: syncing %s: %s", tmp, strerror(e));
    }
    if (rename(tmp, path)) {
        int e = errno;
        unlink(tmp);
        return pw_fail(err, PW_EIO, "store: renaming to %s: %s", path, strerror(e));
    }
    int dfd = open(s->dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* Keeps printable ASCII and UTF-8 bytes; control characters become '?'. */
static void sanitize(char *dst, size_t n, const char *src)
{
    size_t j = 0;
    for (size_t i = 0; src && src[i] && j + 1 < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[j++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    dst[j] = 0;
}

static void cache_insert(struct pw_store *s, const char *id, struct pw_profile *p, int refs)
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
    snprintf(c->id, sizeof(c->id), "%s", id);
    c->p = p;
    c->refs = refs;
    c->last_used = ++s->clock;
}

static struct cached *cache_find(struct pw_store *s, const char *id)
{
    for (size_t i = 0; i < s->n_cache; i++)
        if (!strcmp(s->cache[i].id, id))
            return &s->cache[i];
    return NULL;
}

static void content_id(const unsigned char *data, size_t len, char *id)
{
    unsigned char sum[32];
    pw_sha256(data, len, sum);
    for (int i = 0; i < PW_STORE_ID_LEN / 2; i++)
        snprintf(id + 2 * i, 3, "%02x", sum[i]);
}

static bool stored(const struct pw_store *s, const char *id)
{
    char meta_path[4200], data_path[4200];
    path_of(s, id, "meta", meta_path, sizeof(meta_path));
    path_of(s, id, "prof", data_path, sizeof(data_path));
    return access(meta_path, F_OK) == 0 && access(data_path, F_OK) == 0;
}

/* Writes the data, then the .meta that makes it visible. */
static int write_entry(struct pw_store *s, const char *id, const unsigned char *data, size_t len,
                       const char *name, const struct pw_profile *p, struct pw_err *err)
{
    char meta_path[4200], data_path[4200];
    path_of(s, id, "meta", meta_path, sizeof(meta_path));
    path_of(s, id, "prof", data_path, sizeof(data_path));
    if (write_atomic(s, data_path, data, len, err))
        return -1;
    struct pw_buf meta;
    pw_buf_init(&meta, 1 << 16);
    char clean[256];
    sanitize(clean, sizeof(clean), name && *name ? name : "upload");
    pw_buf_addf(&meta, "name %s\ntype ", clean);
    for (uint32_t i = 0; i < p->n_sample_types; i++) {
        sanitize(clean, sizeof(clean), pw_s(p, p->sample_types[i].type));
        pw_buf_addf(&meta, "%s%s", i ? "," : "", clean);
    }
    pw_buf_addf(&meta, "\ntime %lld\nstored %lld\nsize %zu\n", (long long)p->time_nanos,
                (long long)time(NULL), len);
    int rc = write_atomic(s, meta_path, meta.data, meta.len, err);
    pw_buf_release(&meta);
    return rc;
}

int pw_store_put(struct pw_store *s, const unsigned char *data, size_t len, const char *name,
                 char *id_out, struct pw_err *err)
{
    char id[PW_STORE_ID_LEN + 1];
    content_id(data, len, id);
    snprintf(id_out, PW_STORE_ID_LEN + 1, "%s", id);
    if (stored(s, id))
        return 0; /* the same bytes are stored already */

    /* Validate completely before anything is written. */
    struct pw_profile *p = pw_source_prepare_bytes_mode(data, len, s->symbolize, err);
    if (!p)
        return -1;
    if (write_entry(s, id, data, len, name, p, err)) {
        pw_profile_free(p);
        return -1;
    }
    pthread_mutex_lock(&s->mu);
    if (cache_find(s, id))
        pw_profile_free(p);
    else
        cache_insert(s, id, p, 0);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

int pw_store_put_valid(struct pw_store *s, const unsigned char *data, size_t len,
                       const char *name, const struct pw_profile *p, char *id_out,
                       struct pw_err *err)
{
    char id[PW_STORE_ID_LEN + 1];
    content_id(data, len, id);
    snprintf(id_out, PW_STORE_ID_LEN + 1, "%s", id);
    if (stored(s, id))
        return 0;
    return write_entry(s, id, data, len, name, p, err);
}

int pw_store_read(struct pw_store *s, const char *id, unsigned char **data, size_t *len,
                  struct pw_err *err)
{
    if (!pw_store_id_valid(id))
        return pw_fail(err, PW_ENOTFOUND, "no profile with id \"%.64s\"", id);
    char meta_path[4200], data_path[4200];
    path_of(s, id, "meta", meta_path, sizeof(meta_path));
    path_of(s, id, "prof", data_path, sizeof(data_path));
    if (access(meta_path, F_OK))
        return pw_fail(err, PW_ENOTFOUND, "no profile with id %s", id);
    if (pw_read_file(data_path, PW_MAX_INPUT, data, len, err))
        return pw_fail(err, err->code == PW_ENOTFOUND ? PW_ENOTFOUND : PW_EIO,
                       "profile %s: stored data unreadable", id);
    return 0;
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
    unsigned char *data;
    size_t len;
    if (pw_store_read(s, id, &data, &len, err))
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
        cache_insert(s, id, p, 1);
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

static int parse_meta(const char *text, struct pw_store_entry *e)
{
    const char *line = text;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        char buf[512];
        snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) ? n : sizeof(buf) - 1), line);
        char *sp = strchr(buf, ' ');
        if (sp) {
            *sp = 0;
            const char *v = sp + 1;
            if (!strcmp(buf, "name"))
                snprintf(e->name, sizeof(e->name), "%s", v);
            else if (!strcmp(buf, "type"))
                snprintf(e->type, sizeof(e->type), "%s", v);
            else if (!strcmp(buf, "time"))
                e->time_nanos = strtoll(v, NULL, 10);
            else if (!strcmp(buf, "stored"))
                e->stored_at = strtoll(v, NULL, 10);
            else if (!strcmp(buf, "size"))
                e->size = strtoull(v, NULL, 10);
        }
        line += n + (end ? 1 : 0);
    }
    return 0;
}

int pw_store_stat(struct pw_store *s, const char *id, struct pw_store_entry *out,
                  struct pw_err *err)
{
    if (!pw_store_id_valid(id))
        return pw_fail(err, PW_ENOTFOUND, "no profile with id \"%.64s\"", id);
    char meta_path[4200];
    path_of(s, id, "meta", meta_path, sizeof(meta_path));
    unsigned char *d;
    size_t n;
    if (pw_read_file(meta_path, 1 << 16, &d, &n, err))
        return pw_fail(err, PW_ENOTFOUND, "no profile with id %s", id);
    d = pw_xrealloc(d, n + 1);
    d[n] = 0;
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", id);
    parse_meta((const char *)d, out);
    free(d);
    return 0;
}

static int cmp_newest(const void *a, const void *b)
{
    const struct pw_store_entry *x = a, *y = b;
    if (x->stored_at != y->stored_at)
        return x->stored_at > y->stored_at ? -1 : 1;
    return strcmp(x->id, y->id);
}

struct pw_store_entry *pw_store_list(struct pw_store *s, size_t *n, struct pw_err *err)
{
    DIR *d = opendir(s->dir);
    if (!d) {
        pw_fail(err, PW_EIO, "store: cannot list %s: %s", s->dir, strerror(errno));
        return NULL;
    }
    struct pw_store_entry *out = NULL;
    size_t cap = 0, count = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *dot = strrchr(de->d_name, '.');
        if (!dot || strcmp(dot, ".meta") || dot - de->d_name != PW_STORE_ID_LEN)
            continue;
        char id[PW_STORE_ID_LEN + 1];
        memcpy(id, de->d_name, PW_STORE_ID_LEN);
        id[PW_STORE_ID_LEN] = 0;
        if (!pw_store_id_valid(id))
            continue;
        PW_GROW(out, cap, count + 1);
        if (pw_store_stat(s, id, &out[count], NULL) == 0)
            count++;
    }
    closedir(d);
    if (count)
        qsort(out, count, sizeof(*out), cmp_newest);
    *n = count;
    return out ? out : pw_xcalloc(1, sizeof(*out));
}

void pw_store_list_free(struct pw_store_entry *entries)
{
    free(entries);
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

/* Parses a series file's text into sr (lines that do not parse are skipped). */
static void series_parse(char *text, struct pw_series *sr)
{
    size_t cap = 0;
    for (char *line = text; line && *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = 0;
        char *sp = strchr(line, ' ');
        const char *v = sp ? sp + 1 : "";
        if (sp)
            *sp = 0;
        if (!strcmp(line, "name")) {
            snprintf(sr->info.name, sizeof(sr->info.name), "%s", v);
        } else if (!strcmp(line, "type")) {
            snprintf(sr->info.type, sizeof(sr->info.type), "%s", v);
        } else if (!strcmp(line, "updated")) {
            sr->info.updated_at = strtoll(v, NULL, 10);
        } else if ((!strcmp(line, "snap") || !strcmp(line, "gap")) &&
                   sr->n < PW_MAX_SERIES_SNAPSHOTS) {
            char *rest;
            long long t = strtoll(v, &rest, 10);
            struct pw_series_snapshot sn = {.time_nanos = t};
            if (*rest == ' ')
                rest++;
            bool ok = true;
            if (line[0] == 's') {
                snprintf(sn.id, sizeof(sn.id), "%s", rest);
                ok = pw_store_id_valid(sn.id);
            } else {
                snprintf(sn.error, sizeof(sn.error), "%s", rest);
                sr->info.n_gaps++;
            }
            if (ok) {
                PW_GROW(sr->snaps, cap, sr->n + 1);
                sr->snaps[sr->n++] = sn;
            }
        }
        line = end ? end + 1 : NULL;
    }
    sr->info.n_snapshots = sr->n;
}

static int series_read(struct pw_store *s, const char *id, struct pw_series *out,
                       struct pw_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!pw_series_id_valid(id))
        return pw_fail(err, PW_ENOTFOUND, "no series with id \"%.64s\"", id);
    char path[4200];
    path_of(s, id, "series", path, sizeof(path));
    unsigned char *d;
    size_t n;
    if (pw_read_file(path, PW_MAX_SERIES_FILE, &d, &n, err))
        return pw_fail(err, PW_ENOTFOUND, "no series with id %s", id);
    d = pw_xrealloc(d, n + 1);
    d[n] = 0;
    snprintf(out->info.id, sizeof(out->info.id), "%s", id);
    series_parse((char *)d, out);
    free(d);
    return 0;
}

static int series_write(struct pw_store *s, struct pw_series *sr, struct pw_err *err)
{
    struct pw_buf b;
    pw_buf_init(&b, PW_MAX_SERIES_FILE);
    sr->info.updated_at = (int64_t)time(NULL);
    pw_buf_addf(&b, "name %s\ntype %s\nupdated %lld\n", sr->info.name, sr->info.type,
                (long long)sr->info.updated_at);
    for (size_t i = 0; i < sr->n; i++) {
        const struct pw_series_snapshot *sn = &sr->snaps[i];
        if (sn->id[0])
            pw_buf_addf(&b, "snap %lld %s\n", (long long)sn->time_nanos, sn->id);
        else
            pw_buf_addf(&b, "gap %lld %s\n", (long long)sn->time_nanos, sn->error);
    }
    char path[4200];
    path_of(s, sr->info.id, "series", path, sizeof(path));
    int rc = b.overflow ? pw_fail(err, PW_ETOOBIG, "series %s is too large to write",
                                  sr->info.id)
                        : write_atomic(s, path, b.data, b.len, err);
    pw_buf_release(&b);
    return rc;
}

int pw_store_series_open(struct pw_store *s, const char *name, char *id_out, struct pw_err *err)
{
    char id[PW_SERIES_ID_LEN + 1];
    pw_store_series_id(name, id);
    snprintf(id_out, PW_SERIES_ID_LEN + 1, "%s", id);
    pthread_mutex_lock(&s->series_mu);
    struct pw_series sr;
    int rc = 0;
    if (series_read(s, id, &sr, NULL)) {
        memset(&sr, 0, sizeof(sr));
        snprintf(sr.info.id, sizeof(sr.info.id), "%s", id);
        sanitize(sr.info.name, sizeof(sr.info.name), name);
        rc = series_write(s, &sr, err);
    }
    pw_store_series_free(&sr);
    pthread_mutex_unlock(&s->series_mu);
    return rc;
}

/* Drops the first n snapshots. */
static void series_drop(struct pw_series *sr, size_t n)
{
    if (n > sr->n)
        n = sr->n;
    memmove(sr->snaps, sr->snaps + n, (sr->n - n) * sizeof(*sr->snaps));
    sr->n -= n;
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
        sanitize(sn->error, 200, error && *error ? error : "no profile");
    }
    if (!sn->time_nanos) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        sn->time_nanos = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
    return 0;
}

/* Inserts sn at its place in time order (dropping the oldest past the bound). */
static int series_insert(struct pw_series *sr, const struct pw_series_snapshot *sn,
                         const char *type, struct pw_err *err)
{
    if (sn->id[0] && sr->info.type[0] && strcmp(sr->info.type, type))
        return pw_fail(err, PW_EINVAL,
                       "snapshot %s has sample types %s, but series \"%.60s\" has %s", sn->id,
                       type, sr->info.name, sr->info.type);
    if (sn->id[0] && !sr->info.type[0])
        snprintf(sr->info.type, sizeof(sr->info.type), "%s", type);
    if (sr->n >= PW_MAX_SERIES_SNAPSHOTS)
        series_drop(sr, sr->n - PW_MAX_SERIES_SNAPSHOTS + 1);
    size_t at = sr->n;
    while (at > 0 && sr->snaps[at - 1].time_nanos > sn->time_nanos)
        at--;
    size_t cap = sr->n;
    PW_GROW(sr->snaps, cap, sr->n + 1);
    memmove(sr->snaps + at + 1, sr->snaps + at, (sr->n - at) * sizeof(*sr->snaps));
    sr->snaps[at] = *sn;
    sr->n++;
    return 0;
}

int pw_store_series_append(struct pw_store *s, const char *series_id, const char *profile_id,
                           int64_t time_nanos, const char *error, struct pw_err *err)
{
    return pw_store_series_append_many(s, series_id, &profile_id, &time_nanos, 1, error, err);
}

int pw_store_series_append_many(struct pw_store *s, const char *series_id,
                                const char *const *profile_ids, const int64_t *times, size_t n,
                                const char *error, struct pw_err *err)
{
    struct pw_series_snapshot *sn = pw_xcalloc(n + 1, sizeof(*sn));
    char(*types)[128] = pw_xcalloc(n + 1, sizeof(*types));
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = snapshot_of(s, profile_ids[i], times[i], error, &sn[i], types[i], err);
    pthread_mutex_lock(&s->series_mu);
    struct pw_series sr;
    if (rc == 0)
        rc = series_read(s, series_id, &sr, err);
    else
        memset(&sr, 0, sizeof(sr));
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = series_insert(&sr, &sn[i], types[i], err);
    if (rc == 0)
        rc = series_write(s, &sr, err);
    pw_store_series_free(&sr);
    pthread_mutex_unlock(&s->series_mu);
    free(sn);
    free(types);
    return rc;
}

int pw_store_series_trim(struct pw_store *s, const char *series_id, size_t keep_count,
                         int64_t keep_age_nanos, struct pw_err *err)
{
    pthread_mutex_lock(&s->series_mu);
    struct pw_series sr;
    int rc = series_read(s, series_id, &sr, err);
    if (rc == 0 && sr.n) {
        size_t drop = keep_count && sr.n > keep_count ? sr.n - keep_count : 0;
        int64_t newest = sr.snaps[sr.n - 1].time_nanos;
        while (keep_age_nanos && drop < sr.n && newest - sr.snaps[drop].time_nanos > keep_age_nanos)
            drop++;
        if (drop) {
            series_drop(&sr, drop);
            rc = series_write(s, &sr, err);
        }
    }
    pw_store_series_free(&sr);
    pthread_mutex_unlock(&s->series_mu);
    return rc;
}

int pw_store_series_get(struct pw_store *s, const char *series_id, struct pw_series *out,
                        struct pw_err *err)
{
    pthread_mutex_lock(&s->series_mu);
    int rc = series_read(s, series_id, out, err);
    pthread_mutex_unlock(&s->series_mu);
    return rc;
}

static int cmp_updated(const void *a, const void *b)
{
    const struct pw_series_info *x = a, *y = b;
    if (x->updated_at != y->updated_at)
        return x->updated_at > y->updated_at ? -1 : 1;
    return strcmp(x->id, y->id);
}

struct pw_series_info *pw_store_series_list(struct pw_store *s, size_t *n, struct pw_err *err)
{
    DIR *d = opendir(s->dir);
    if (!d) {
        pw_fail(err, PW_EIO, "store: cannot list %s: %s", s->dir, strerror(errno));
        return NULL;
    }
    struct pw_series_info *out = pw_xcalloc(1, sizeof(*out));
    size_t cap = 1, count = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *dot = strrchr(de->d_name, '.');
        if (!dot || strcmp(dot, ".series") || dot - de->d_name != PW_SERIES_ID_LEN)
            continue;
        char id[PW_SERIES_ID_LEN + 1];
        memcpy(id, de->d_name, PW_SERIES_ID_LEN);
        id[PW_SERIES_ID_LEN] = 0;
        struct pw_series sr;
        if (pw_store_series_get(s, id, &sr, NULL))
            continue;
        PW_GROW(out, cap, count + 1);
        out[count++] = sr.info;
        pw_store_series_free(&sr);
    }
    closedir(d);
    qsort(out, count, sizeof(*out), cmp_updated);
    *n = count;
    return out;
}

uint64_t pw_store_disk_usage(struct pw_store *s)
{
    DIR *d = opendir(s->dir);
    uint64_t total = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char path[4200];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name);
        if (de->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_blocks * 512;
    }
    if (d)
        closedir(d);
    return total;
}
