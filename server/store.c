/* store: the profile store behind uploads, fetched URLs and lasting links.
 *
 * Layout: DIR/ID.prof holds the bytes exactly as received (gzip, raw proto or legacy text);
 * DIR/ID.meta a few "key value" lines (name, type, time, stored, size). ID is the hex of the first
 * 12 bytes of the SHA-256 of the bytes, so the same upload always gets the same link. Both files
 * are written to a temporary name, fsynced and renamed, data first: a listing shows only ids whose
 * .meta exists, so a crash never exposes a torn profile. Nothing a request sends reaches the file
 * system except a validated id.
 * Decoded profiles are cached (PW_STORE_CACHE_PROFILES, least recently used dropped first) and
 * reference counted so a request never sees its profile freed. */
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
