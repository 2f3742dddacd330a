/* store: profiles kept so links outlive the server. Content-addressed (the same bytes get the same
 * id), each stored all or nothing, loaded lazily into a bounded in-memory cache. Two backends
 * behind one API (store_backend.h): a directory (the default) and a PostgreSQL database
 * (-store postgres://...), which several pprofweb processes share, watches included. A struct
 * pw_store is shared by all request threads (it locks internally). When the database cannot be
 * reached, calls fail with PW_EUNAVAIL, except that profiles already decoded keep answering.
 * Ownership: the store owns its cached profiles; a caller borrows one between pw_store_acquire()
 * and pw_store_release(), during which it is never freed. Listings are owned by the caller
 * (pw_store_list_free). */
#ifndef PPROFWEB_STORE_H
#define PPROFWEB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pprofweb/err.h"
#include "pprofweb/profile.h"

/* Length of a store id: hex of the first 12 bytes of the SHA-256 of the stored bytes. */
#define PW_STORE_ID_LEN 24
/* Profiles kept decoded in memory at once; older ones are dropped when not in use. */
#define PW_STORE_CACHE_PROFILES 16

struct pw_store;

/* What the store knows of one profile without decoding it (its .meta file). */
struct pw_store_entry {
    char id[PW_STORE_ID_LEN + 1];
    char name[256];      /* file name or URL it came from, sanitized to printable text */
    char type[128];      /* sample types, e.g. "alloc_objects,alloc_space,inuse_objects,inuse_space" */
    int64_t time_nanos;  /* the profile's own time (0: none) */
    int64_t stored_at;   /* seconds since the epoch */
    uint64_t size;       /* bytes as stored */
    bool snapshot_only;  /* stored by a watch: its bytes go when no snapshot refers to it */
};

/* Opens a store. where starting with postgres:// or postgresql://, or a libpq "key=value"
 * string (containing '='), is a PostgreSQL database: connected and its schema created or
 * migrated before this returns (PW_EUNAVAIL when it cannot be reached). Anything else is a
 * directory (created 0700 if missing); NULL picks the default directory: $PPROFWEB_STORE, else
 * $XDG_DATA_HOME/pprofweb/profiles, else ~/.local/share/pprofweb/profiles. */
struct pw_store *pw_store_open(const char *where, struct pw_err *err);
/* True when where names a PostgreSQL database rather than a directory. */
bool pw_store_is_database(const char *where);
void pw_store_free(struct pw_store *s);
/* Sets the -symbolize mode stored profiles are prepared with (copied; NULL: pprof's default).
 * Call before the store is shared. */
void pw_store_set_symbolize(struct pw_store *s, const char *mode);
const char *pw_store_symbolize(const struct pw_store *s);
/* The store's directory; NULL for a database. */
const char *pw_store_dir(const struct pw_store *s);
/* "directory" or "postgresql". */
const char *pw_store_kind(const struct pw_store *s);

/* Validates data as a profile (fully decoded first: PW_ECORRUPT/PW_ETOOBIG with the decoder's
 * message, nothing written) and stores it under its content id, written to id_out
 * (PW_STORE_ID_LEN + 1 bytes). Storing the same bytes again is not an error. name is recorded
 * for listings. The decoded profile is kept in the cache. */
int pw_store_put(struct pw_store *s, const unsigned char *data, size_t len, const char *name,
                 char *id_out, struct pw_err *err);

/* The id data is stored under (PW_STORE_ID_LEN + 1 bytes written to id). */
void pw_store_id_of(const unsigned char *data, size_t len, char *id);
/* Whether id is stored: 1, and the profile is kept as the user's own (a watch's snapshot-only
 * mark is cleared, as pw_store_put does), 0 when not stored (or id is malformed), -1 with err
 * when the store cannot tell. Lets a caller that hashed its bytes skip reading them again. */
int pw_store_claim(struct pw_store *s, const char *id, struct pw_err *err);

/* Stores data that the caller has already decoded into p (the same checks as pw_store_put; p
 * gives the listing's type and time and stays the caller's). For profiles loaded at start. */
int pw_store_put_valid(struct pw_store *s, const unsigned char *data, size_t len,
                       const char *name, const struct pw_profile *p, char *id_out,
                       struct pw_err *err);
/* pw_store_put_valid of bytes whose id (pw_store_id_of) the caller has computed. */
int pw_store_put_valid_as(struct pw_store *s, const unsigned char *data, size_t len,
                          const char *id, const char *name, const struct pw_profile *p,
                          struct pw_err *err);

/* One profile of an upload of several: its bytes and the entry pw_store_describe made of its
 * decoded profile (which the caller may free before storing); entry.id is written by
 * pw_store_put_valid_all. */
struct pw_store_item {
    const unsigned char *data;
    size_t len;
    struct pw_store_entry entry;
};
/* The entry (name, sample types, time, size) the store keeps of a decoded profile, without id or
 * stored_at, which storing sets. */
void pw_store_describe(const struct pw_profile *p, const char *name, size_t len,
                       struct pw_store_entry *e);
/* Stores every item, all or none where the backend can keep that promise (a database: one
 * transaction, so a failure on the last item leaves none of the others stored); a directory
 * stores them one after the other, each file whole. */
int pw_store_put_valid_all(struct pw_store *s, struct pw_store_item *items, size_t n,
                           struct pw_err *err);

/* Borrows the decoded profile of id (loading it on first use). PW_ENOTFOUND for a malformed or
 * unknown id. Every successful acquire needs one pw_store_release. */
const struct pw_profile *pw_store_acquire(struct pw_store *s, const char *id, struct pw_err *err);
void pw_store_release(struct pw_store *s, const struct pw_profile *p);

/* Reads the stored bytes of id (malloc'd, caller frees). */
int pw_store_read(struct pw_store *s, const char *id, unsigned char **data, size_t *len,
                  struct pw_err *err);
/* Looks up id's metadata. */
int pw_store_stat(struct pw_store *s, const char *id, struct pw_store_entry *out,
                  struct pw_err *err);

/* Like pw_store_put, for a snapshot a watch took: marked snapshot_only, so its bytes are freed
 * once -watch_keep drops every snapshot that refers to it. */
int pw_store_put_snapshot(struct pw_store *s, const unsigned char *data, size_t len,
                          const char *name, char *id_out, struct pw_err *err);

/* Every stored profile, newest first. */
struct pw_store_entry *pw_store_list(struct pw_store *s, size_t *n, struct pw_err *err);
/* The profiles no series snapshot refers to and no watch stored, newest first (what the start
 * page lists: a series' snapshots are listed as their series); *n_in_series counts those left
 * out. */
struct pw_store_entry *pw_store_list_loose(struct pw_store *s, size_t *n, size_t *n_in_series,
                                           struct pw_err *err);
void pw_store_list_free(struct pw_store_entry *entries);

/* True when id has the form of a store id (24 lowercase hex digits). */
bool pw_store_id_valid(const char *id);

/* SHA-256 of data (sha256.c). */
void pw_sha256(const void *data, size_t len, unsigned char out[32]);

/* --- series: ordered snapshots of one kind of profile (series.h computes over them) ---
 * A series has a stable id (derived from its name, so the same URL or directory finds the same
 * series after a restart), a name, the sample types every snapshot must have, and its snapshots
 * in order: a stored profile id with its time, or a gap (a failed fetch) with the error text.
 * Every change is atomic in either backend (a directory: DIR/SERIES_ID.series rewritten
 * atomically; a database: one transaction). Listings and loaded series are owned by the caller. */

/* Length of a series id: hex of the first 8 bytes of the SHA-256 of "series\n" + its name. */
#define PW_SERIES_ID_LEN 16

struct pw_series_snapshot {
    char id[PW_STORE_ID_LEN + 1]; /* the profile; "" for a gap */
    int64_t time_nanos;           /* the profile's time, else when it was taken */
    char error[256];              /* for a gap: why there is no profile */
};

struct pw_series_info {
    char id[PW_SERIES_ID_LEN + 1];
    char name[256];     /* URL or file/directory name, sanitized */
    char type[128];     /* sample types, as in struct pw_store_entry ("" until the first profile) */
    int64_t updated_at; /* seconds since the epoch of the last change */
    size_t n_snapshots; /* profiles and gaps */
    size_t n_gaps;
};

struct pw_series {
    struct pw_series_info info;
    struct pw_series_snapshot *snaps; /* in time order */
    size_t n;
};

/* The id a series of that name has. */
void pw_store_series_id(const char *name, char *id_out);
bool pw_series_id_valid(const char *id);
/* Finds the series called name, creating it empty when missing; writes its id to id_out
 * (PW_SERIES_ID_LEN + 1 bytes). */
int pw_store_series_open(struct pw_store *s, const char *name, char *id_out, struct pw_err *err);
/* Appends a snapshot: the stored profile profile_id (whose sample types must be the series'
 * ones: PW_EINVAL naming both otherwise; the first profile sets them), or, with profile_id NULL,
 * a gap with error. time_nanos 0 takes the profile's own time, else the current time. The
 * snapshot goes at its place in time order. */
int pw_store_series_append(struct pw_store *s, const char *series_id, const char *profile_id,
                           int64_t time_nanos, const char *error, struct pw_err *err);
/* Appends n profiles at once (one write): all or none, as pw_store_series_append; a gap
 * when profile_ids[i] is NULL, with error. */
int pw_store_series_append_many(struct pw_store *s, const char *series_id,
                                const char *const *profile_ids, const int64_t *times, size_t n,
                                const char *error, struct pw_err *err);
/* Drops the oldest snapshots beyond keep_count (0: no bound) and those older than keep_age_nanos
 * before the newest (0: no bound). */
int pw_store_series_trim(struct pw_store *s, const char *series_id, size_t keep_count,
                         int64_t keep_age_nanos, struct pw_err *err);
/* Loads a series (PW_ENOTFOUND for an unknown or malformed id); free with pw_store_series_free. */
int pw_store_series_get(struct pw_store *s, const char *series_id, struct pw_series *out,
                        struct pw_err *err);
void pw_store_series_free(struct pw_series *sr);
/* Every series, most recently changed first (caller frees with free()). */
struct pw_series_info *pw_store_series_list(struct pw_store *s, size_t *n, struct pw_err *err);
/* Like pw_store_series_append_many, only while holder holds the lease of the series' watch
 * (checked in the same transaction as the insert, so a snapshot is never taken twice):
 * PW_ECONFLICT when another process took the watch over. */
int pw_store_series_append_held(struct pw_store *s, const char *series_id,
                                const char *profile_id, int64_t time_nanos, const char *error,
                                const char *holder, struct pw_err *err);
/* Bytes the store takes on disk (the directory's files, the database's tables). */
uint64_t pw_store_disk_usage(struct pw_store *s);

/* --- watches kept in the store (a database): every process sharing it sees them ---
 * A watch is fetched by one process at a time, the holder of its lease: pw_store_watch_claim
 * takes or renews it (until lease_ms from now, by the database's clock) when it is free,
 * expired or already the caller's. */
struct pw_store_watch {
    char series_id[PW_SERIES_ID_LEN + 1];
    char url[512];
    long long interval_ms;
    int seconds;
    char holder[128];          /* who holds the lease ("" when free) */
    bool lease_live;           /* the lease has not expired */
    uint64_t fetches, failures;
    int64_t last_nanos;        /* the last attempt (0: none) */
    char last_error[256];
};

/* True when the store keeps watches for every process that opens it (a database). */
bool pw_store_shares_watches(const struct pw_store *s);
/* Adds the watch (or changes its URL and interval). */
int pw_store_watch_put(struct pw_store *s, const struct pw_store_watch *w, struct pw_err *err);
/* Removes it (PW_ENOTFOUND when there is none). */
int pw_store_watch_delete(struct pw_store *s, const char *series_id, struct pw_err *err);
/* Every watch, oldest first (malloc'd; free()). */
struct pw_store_watch *pw_store_watch_list(struct pw_store *s, size_t *n, struct pw_err *err);
/* 1 when holder now holds the lease, 0 when another does, -1 with err. */
int pw_store_watch_claim(struct pw_store *s, const char *series_id, const char *holder,
                         long long lease_ms, struct pw_err *err);
/* Records an attempt's outcome (when holder still holds the lease). */
int pw_store_watch_report(struct pw_store *s, const char *series_id, const char *holder, bool ok,
                          int64_t when_nanos, const char *error, struct pw_err *err);
/* Gives the lease up (a process stopping), so another takes the watch at once. */
int pw_store_watch_release(struct pw_store *s, const char *series_id, const char *holder,
                           struct pw_err *err);

/* Copies every profile (ids kept, so links survive), series and watch of from into to (a store
 * already holding some of them keeps them). Prints progress to stderr when verbose. */
int pw_store_copy(struct pw_store *from, struct pw_store *to, bool verbose, struct pw_err *err);

#endif
