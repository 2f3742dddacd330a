/* store_backend: what a store backend implements (store_dir.c: a directory; store_pg.c:
 * PostgreSQL). Only the store front (store.c) calls these; everything else uses store.h. The
 * front validates ids, decodes and checks profiles before anything reaches a backend, keeps the
 * cache of decoded profiles, and sanitizes names; a backend keeps bytes and metadata, series and
 * (when shared between processes) watches.
 * Ownership: a backend is created by its open function and freed by its close op; listings and
 * read bytes it returns are malloc'd and owned by the caller. Every op is called from any thread
 * at once: a backend locks internally. Errors: PW_ENOTFOUND for an unknown id, PW_EUNAVAIL when
 * the backing service cannot be reached (the HTTP layer answers 503), PW_EIO otherwise. */
#ifndef PPROFWEB_STORE_BACKEND_H
#define PPROFWEB_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pprofweb/err.h"
#include "pprofweb/store.h"

struct pw_store_ops {
    const char *kind; /* "directory" or "postgresql": for messages */
    void (*close)(void *b);
    /* 1 when id is stored, 0 when not, -1 with err when the backend cannot tell. */
    int (*exists)(void *b, const char *id, struct pw_err *err);
    /* Stores data with its metadata e (e->id set) in one step: all or nothing. Storing an id
     * already present keeps the old bytes; with e->snapshot_only false it clears the stored
     * entry's snapshot_only mark (a user now holds a link of their own to it). */
    int (*put)(void *b, const struct pw_store_entry *e, const unsigned char *data, size_t len,
               struct pw_err *err);
    int (*read)(void *b, const char *id, unsigned char **data, size_t *len, struct pw_err *err);
    int (*stat)(void *b, const char *id, struct pw_store_entry *out, struct pw_err *err);
    /* Every entry (with skip_snapshots, those neither a series snapshot refers to nor stored
     * by a watch), newest first; *n_skipped counts the left-out ones. */
    struct pw_store_entry *(*list)(void *b, bool skip_snapshots, size_t *n, size_t *n_skipped,
                                   struct pw_err *err);
    uint64_t (*disk_usage)(void *b);

    /* Series. open creates the series id (named name) when missing. */
    int (*series_open)(void *b, const char *id, const char *name, struct pw_err *err);
    int (*series_get)(void *b, const char *id, struct pw_series *out, struct pw_err *err);
    struct pw_series_info *(*series_list)(void *b, size_t *n, struct pw_err *err);
    /* Inserts n snapshots (types[i]: the sample types of snapshot i's profile, "" for a gap) at
     * their place in time order, all or none: PW_EINVAL naming both when a profile's types are
     * not the series'. With holder non-NULL, only while holder holds the lease of the series'
     * watch (checked in the same step), else PW_ECONFLICT. */
    int (*series_append)(void *b, const char *id, const struct pw_series_snapshot *snaps,
                         const char (*types)[128], size_t n, const char *holder,
                         struct pw_err *err);
    /* Drops the oldest snapshots beyond keep_count and older than keep_age_nanos before the
     * newest, then frees the stored bytes of dropped snapshot_only profiles no snapshot refers
     * to any more. */
    int (*series_trim)(void *b, const char *id, size_t keep_count, int64_t keep_age_nanos,
                       struct pw_err *err);

    /* Watches kept in the store, shared by every process that opens it. NULL in a backend
     * whose watches are the running process's alone (the directory). */
    int (*watch_put)(void *b, const struct pw_store_watch *w, struct pw_err *err);
    int (*watch_delete)(void *b, const char *series_id, struct pw_err *err);
    struct pw_store_watch *(*watch_list)(void *b, size_t *n, struct pw_err *err);
    int (*watch_claim)(void *b, const char *series_id, const char *holder, long long lease_ms,
                       struct pw_err *err);
    int (*watch_report)(void *b, const char *series_id, const char *holder, bool ok,
                        int64_t when_nanos, const char *error, struct pw_err *err);
    int (*watch_release)(void *b, const char *series_id, const char *holder, struct pw_err *err);
};

/* The directory backend (store_dir.c): dir is created 0700 when missing. */
void *pw_store_dir_open(const char *dir, const struct pw_store_ops **ops, struct pw_err *err);
/* The PostgreSQL backend (store_pg.c): conninfo is any libpq connection string or URI. Connects
 * and creates or migrates the schema before returning (PW_EUNAVAIL when unreachable). */
void *pw_store_pg_open(const char *conninfo, const struct pw_store_ops **ops,
                       struct pw_err *err);
/* The directory backend's path (NULL for another backend). */
const char *pw_store_dir_path(void *b, const struct pw_store_ops *ops);

/* Keeps printable ASCII and UTF-8 bytes of src in dst (n bytes); control characters become '?'. */
void pw_store_sanitize(char *dst, size_t n, const char *src);

#endif
