/* store_dir: the directory backend of the store (see store_backend.h), the default.
 *
 * Layout: DIR/ID.prof holds the bytes exactly as received (gzip, raw proto or legacy text);
 * DIR/ID.meta a few "key value" lines (name, type, time, stored, size, and "snapshot 1" for a
 * watch's snapshot). Both files are written to a temporary name, fsynced and renamed, data
 * first: a listing shows only ids whose .meta exists, so a crash never exposes a torn profile.
 * Nothing a request sends reaches the file system except a validated id.
 * Series are DIR/SERIES_ID.series: "name", "type" and "updated" lines, then one "snap TIME ID"
 * or "gap TIME MESSAGE" line per snapshot in time order; every change rewrites the file
 * atomically under the series lock, so readers see the old or the new series, never half.
 * Watches are not kept here: a directory belongs to one process, whose flags start them. */
#include "pprofweb/store_backend.h"

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

struct dirb {
    char *dir;
    pthread_mutex_t series_mu; /* serializes read-modify-write of series files */
};

static const struct pw_store_ops dir_ops;

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

void *pw_store_dir_open(const char *dir, const struct pw_store_ops **ops, struct pw_err *err)
{
    if (mkdir_p(dir, err))
        return NULL;
    if (access(dir, W_OK | X_OK)) {
        pw_fail(err, PW_EIO, "store: %s is not writable: %s", dir, strerror(errno));
        return NULL;
    }
    struct dirb *d = pw_xcalloc(1, sizeof(*d));
    d->dir = strdup(dir);
    if (!d->dir)
        abort();
    pthread_mutex_init(&d->series_mu, NULL);
    *ops = &dir_ops;
    return d;
}

static void dir_close(void *b)
{
    struct dirb *d = b;
    pthread_mutex_destroy(&d->series_mu);
    free(d->dir);
    free(d);
}

const char *pw_store_dir_path(void *b, const struct pw_store_ops *ops)
{
    return ops == &dir_ops ? ((struct dirb *)b)->dir : NULL;
}

static void path_of(const struct dirb *d, const char *id, const char *ext, char *out, size_t n)
{
    snprintf(out, n, "%s/%s.%s", d->dir, id, ext);
}

/* Writes data to path atomically: a temporary file in the same directory, fsync, rename, then
 * fsync of the directory so the rename itself is durable. */
static int write_atomic(const struct dirb *d, const char *path, const void *data, size_t len,
                        struct pw_err *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", d->dir);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return pw_fail(err, PW_EIO, "store: cannot create a file in %s: %s", d->dir,
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
    int dfd = open(d->dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

static int dir_exists(void *b, const char *id, struct pw_err *err)
{
    char meta_path[4200], data_path[4200];
    path_of(b, id, "meta", meta_path, sizeof(meta_path));
    path_of(b, id, "prof", data_path, sizeof(data_path));
    return access(meta_path, F_OK) == 0 && access(data_path, F_OK) == 0;
}

static int write_meta(struct dirb *d, const struct pw_store_entry *e, struct pw_err *err)
{
    char meta_path[4200];
    path_of(d, e->id, "meta", meta_path, sizeof(meta_path));
    struct pw_buf meta;
    pw_buf_init(&meta, 1 << 16);
    pw_buf_addf(&meta, "name %s\ntype %s\ntime %lld\nstored %lld\nsize %llu\n%s", e->name,
                e->type, (long long)e->time_nanos, (long long)e->stored_at,
                (unsigned long long)e->size, e->snapshot_only ? "snapshot 1\n" : "");
    int rc = write_atomic(d, meta_path, meta.data, meta.len, err);
    pw_buf_release(&meta);
    return rc;
}

static int dir_stat(void *b, const char *id, struct pw_store_entry *out, struct pw_err *err);

/* Writes the data, then the .meta that makes it visible. */
static int dir_put(void *b, const struct pw_store_entry *e, const unsigned char *data,
                   size_t len, struct pw_err *err)
{
    struct dirb *d = b;
    struct pw_store_entry old;
    if (dir_exists(d, e->id, NULL) == 1 && dir_stat(d, e->id, &old, NULL) == 0) {
        if (old.snapshot_only && !e->snapshot_only) {
            old.snapshot_only = false;
            return write_meta(d, &old, err);
        }
        return 0;
    }
    char data_path[4200];
    path_of(d, e->id, "prof", data_path, sizeof(data_path));
    if (write_atomic(d, data_path, data, len, err))
        return -1;
    return write_meta(d, e, err);
}

static int dir_read(void *b, const char *id, unsigned char **data, size_t *len,
                    struct pw_err *err)
{
    char meta_path[4200], data_path[4200];
    path_of(b, id, "meta", meta_path, sizeof(meta_path));
    path_of(b, id, "prof", data_path, sizeof(data_path));
    if (access(meta_path, F_OK))
        return pw_fail(err, PW_ENOTFOUND, "no profile with id %s", id);
    if (pw_read_file(data_path, PW_MAX_INPUT, data, len, err))
        return pw_fail(err, err->code == PW_ENOTFOUND ? PW_ENOTFOUND : PW_EIO,
                       "profile %s: stored data unreadable", id);
    return 0;
}

static void parse_meta(const char *text, struct pw_store_entry *e)
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
            else if (!strcmp(buf, "snapshot"))
                e->snapshot_only = !strcmp(v, "1");
        }
        line += n + (end ? 1 : 0);
    }
}

static int dir_stat(void *b, const char *id, struct pw_store_entry *out, struct pw_err *err)
{
    char meta_path[4200];
    path_of(b, id, "meta", meta_path, sizeof(meta_path));
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

/* --- references from series: which profile ids some snapshot names --- */

struct idset {
    char (*ids)[PW_STORE_ID_LEN + 1];
    size_t n, cap;
};

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static bool idset_has(const struct idset *set, const char *id)
{
    return set->n && bsearch(id, set->ids, set->n, sizeof(*set->ids), cmp_id);
}

static int series_read(struct dirb *d, const char *id, struct pw_series *out,
                       struct pw_err *err);

/* Every profile id a series in the directory refers to (sorted). */
static void referenced_ids(struct dirb *d, struct idset *set)
{
    memset(set, 0, sizeof(*set));
    DIR *dd = opendir(d->dir);
    struct dirent *de;
    while (dd && (de = readdir(dd))) {
        const char *dot = strrchr(de->d_name, '.');
        if (!dot || strcmp(dot, ".series") || dot - de->d_name != PW_SERIES_ID_LEN)
            continue;
        char sid[PW_SERIES_ID_LEN + 1];
        memcpy(sid, de->d_name, PW_SERIES_ID_LEN);
        sid[PW_SERIES_ID_LEN] = 0;
        struct pw_series sr;
        if (series_read(d, sid, &sr, NULL))
            continue;
        for (size_t i = 0; i < sr.n; i++) {
            if (!sr.snaps[i].id[0])
                continue;
            PW_GROW(set->ids, set->cap, set->n + 1);
            memcpy(set->ids[set->n++], sr.snaps[i].id, PW_STORE_ID_LEN + 1);
        }
        pw_store_series_free(&sr);
    }
    if (dd)
        closedir(dd);
    if (set->n)
        qsort(set->ids, set->n, sizeof(*set->ids), cmp_id);
}

static struct pw_store_entry *dir_list(void *b, bool skip_snapshots, size_t *n,
                                       size_t *n_skipped, struct pw_err *err)
{
    struct dirb *d = b;
    *n_skipped = 0;
    struct idset refs = {0};
    if (skip_snapshots) {
        pthread_mutex_lock(&d->series_mu);
        referenced_ids(d, &refs);
        pthread_mutex_unlock(&d->series_mu);
    }
    DIR *dd = opendir(d->dir);
    if (!dd) {
        free(refs.ids);
        pw_fail(err, PW_EIO, "store: cannot list %s: %s", d->dir, strerror(errno));
        return NULL;
    }
    struct pw_store_entry *out = NULL;
    size_t cap = 0, count = 0;
    struct dirent *de;
    while ((de = readdir(dd))) {
        const char *dot = strrchr(de->d_name, '.');
        if (!dot || strcmp(dot, ".meta") || dot - de->d_name != PW_STORE_ID_LEN)
            continue;
        char id[PW_STORE_ID_LEN + 1];
        memcpy(id, de->d_name, PW_STORE_ID_LEN);
        id[PW_STORE_ID_LEN] = 0;
        if (!pw_store_id_valid(id))
            continue;
        if (idset_has(&refs, id)) {
            (*n_skipped)++;
            continue;
        }
        PW_GROW(out, cap, count + 1);
        if (dir_stat(d, id, &out[count], NULL))
            continue;
        if (skip_snapshots && out[count].snapshot_only) /* a watch's, not yet in its series */
            (*n_skipped)++;
        else
            count++;
    }
    closedir(dd);
    free(refs.ids);
    if (count)
        qsort(out, count, sizeof(*out), cmp_newest);
    *n = count;
    return out ? out : pw_xcalloc(1, sizeof(*out));
}

static uint64_t dir_disk_usage(void *b)
{
    struct dirb *d = b;
    DIR *dd = opendir(d->dir);
    uint64_t total = 0;
    struct dirent *de;
    while (dd && (de = readdir(dd))) {
        char path[4200];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", d->dir, de->d_name);
        if (de->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_blocks * 512;
    }
    if (dd)
        closedir(dd);
    return total;
}

/* --- series --- */

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

static int series_read(struct dirb *d, const char *id, struct pw_series *out,
                       struct pw_err *err)
{
    memset(out, 0, sizeof(*out));
    char path[4200];
    path_of(d, id, "series", path, sizeof(path));
    unsigned char *data;
    size_t n;
    if (pw_read_file(path, PW_MAX_SERIES_FILE, &data, &n, err))
        return pw_fail(err, PW_ENOTFOUND, "no series with id %s", id);
    data = pw_xrealloc(data, n + 1);
    data[n] = 0;
    snprintf(out->info.id, sizeof(out->info.id), "%s", id);
    series_parse((char *)data, out);
    free(data);
    return 0;
}

static int series_write(struct dirb *d, struct pw_series *sr, struct pw_err *err)
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
    path_of(d, sr->info.id, "series", path, sizeof(path));
    int rc = b.overflow ? pw_fail(err, PW_ETOOBIG, "series %s is too large to write",
                                  sr->info.id)
                        : write_atomic(d, path, b.data, b.len, err);
    pw_buf_release(&b);
    return rc;
}

static int dir_series_open(void *b, const char *id, const char *name, struct pw_err *err)
{
    struct dirb *d = b;
    pthread_mutex_lock(&d->series_mu);
    struct pw_series sr;
    int rc = 0;
    if (series_read(d, id, &sr, NULL)) {
        memset(&sr, 0, sizeof(sr));
        snprintf(sr.info.id, sizeof(sr.info.id), "%s", id);
        snprintf(sr.info.name, sizeof(sr.info.name), "%s", name);
        rc = series_write(d, &sr, err);
    }
    pw_store_series_free(&sr);
    pthread_mutex_unlock(&d->series_mu);
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

static int dir_series_append(void *b, const char *id, const struct pw_series_snapshot *snaps,
                             const char (*types)[128], size_t n, const char *holder,
                             struct pw_err *err)
{
    struct dirb *d = b;
    pthread_mutex_lock(&d->series_mu);
    struct pw_series sr;
    int rc = series_read(d, id, &sr, err);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = series_insert(&sr, &snaps[i], types[i], err);
    if (rc == 0)
        rc = series_write(d, &sr, err);
    pw_store_series_free(&sr);
    pthread_mutex_unlock(&d->series_mu);
    return rc;
}

/* Removes the snapshot-only profiles among dropped that no series refers to any more. Called
 * with the series lock held, after the trimmed series is written. */
static void free_unreferenced(struct dirb *d, struct pw_series_snapshot *dropped, size_t n)
{
    struct idset refs = {0};
    bool have_refs = false;
    for (size_t i = 0; i < n; i++) {
        const char *id = dropped[i].id;
        struct pw_store_entry e;
        if (!id[0] || dir_stat(d, id, &e, NULL) || !e.snapshot_only)
            continue;
        if (!have_refs) {
            referenced_ids(d, &refs);
            have_refs = true;
        }
        if (idset_has(&refs, id))
            continue;
        char meta_path[4200], data_path[4200];
        path_of(d, id, "meta", meta_path, sizeof(meta_path));
        path_of(d, id, "prof", data_path, sizeof(data_path));
        unlink(meta_path); /* first: the listing no longer shows it */
        unlink(data_path);
    }
    free(refs.ids);
}

static int dir_series_trim(void *b, const char *id, size_t keep_count, int64_t keep_age_nanos,
                           struct pw_err *err)
{
    struct dirb *d = b;
    pthread_mutex_lock(&d->series_mu);
    struct pw_series sr;
    int rc = series_read(d, id, &sr, err);
    if (rc == 0 && sr.n) {
        size_t drop = keep_count && sr.n > keep_count ? sr.n - keep_count : 0;
        int64_t newest = sr.snaps[sr.n - 1].time_nanos;
        while (keep_age_nanos && drop < sr.n && newest - sr.snaps[drop].time_nanos > keep_age_nanos)
            drop++;
        if (drop) {
            struct pw_series_snapshot *gone = pw_xcalloc(drop, sizeof(*gone));
            memcpy(gone, sr.snaps, drop * sizeof(*gone));
            series_drop(&sr, drop);
            rc = series_write(d, &sr, err);
            if (rc == 0)
                free_unreferenced(d, gone, drop);
            free(gone);
        }
    }
    pw_store_series_free(&sr);
    pthread_mutex_unlock(&d->series_mu);
    return rc;
}

static int dir_series_get(void *b, const char *id, struct pw_series *out, struct pw_err *err)
{
    struct dirb *d = b;
    pthread_mutex_lock(&d->series_mu);
    int rc = series_read(d, id, out, err);
    pthread_mutex_unlock(&d->series_mu);
    return rc;
}

static int cmp_updated(const void *a, const void *b)
{
    const struct pw_series_info *x = a, *y = b;
    if (x->updated_at != y->updated_at)
        return x->updated_at > y->updated_at ? -1 : 1;
    return strcmp(x->id, y->id);
}

static struct pw_series_info *dir_series_list(void *b, size_t *n, struct pw_err *err)
{
    struct dirb *d = b;
    DIR *dd = opendir(d->dir);
    if (!dd) {
        pw_fail(err, PW_EIO, "store: cannot list %s: %s", d->dir, strerror(errno));
        return NULL;
    }
    struct pw_series_info *out = pw_xcalloc(1, sizeof(*out));
    size_t cap = 1, count = 0;
    struct dirent *de;
    while ((de = readdir(dd))) {
        const char *dot = strrchr(de->d_name, '.');
        if (!dot || strcmp(dot, ".series") || dot - de->d_name != PW_SERIES_ID_LEN)
            continue;
        char id[PW_SERIES_ID_LEN + 1];
        memcpy(id, de->d_name, PW_SERIES_ID_LEN);
        id[PW_SERIES_ID_LEN] = 0;
        if (!pw_series_id_valid(id))
            continue;
        struct pw_series sr;
        if (dir_series_get(d, id, &sr, NULL))
            continue;
        PW_GROW(out, cap, count + 1);
        out[count++] = sr.info;
        pw_store_series_free(&sr);
    }
    closedir(dd);
    qsort(out, count, sizeof(*out), cmp_updated);
    *n = count;
    return out;
}

static const struct pw_store_ops dir_ops = {
    .kind = "directory",
    .close = dir_close,
    .exists = dir_exists,
    .put = dir_put,
    .read = dir_read,
    .stat = dir_stat,
    .list = dir_list,
    .disk_usage = dir_disk_usage,
    .series_open = dir_series_open,
    .series_get = dir_series_get,
    .series_list = dir_series_list,
    .series_append = dir_series_append,
    .series_trim = dir_series_trim,
};
