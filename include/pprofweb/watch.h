/* watch: the scheduler behind -watch and the start page's Watch control. Each watch fetches one
 * URL every interval (pprof's fetch rules through fetch.h: -seconds for CPU profiles, -timeout),
 * stores the profile and appends it to that URL's series (the series is named after the URL, so
 * the same flags find the same series after a restart). A failure (down, an error status, a
 * timeout, not a profile, a profile of another kind) is appended as a gap with its message and
 * the next attempt waits longer (interval x 2^k, at most PW_WATCH_MAX_BACKOFF intervals).
 * One thread per watch, asleep on a condition variable between fetches: an idle watch uses no
 * CPU, and stopping wakes it at once. A struct pw_watcher borrows the store; it must outlive it.
 * On a store that shares watches (a database, for replicas): the watches are the store's, so one
 * started or stopped on any replica is started or stopped on all (each looks every
 * PW_WATCH_SYNC_MS); every replica runs a thread per watch, but only the holder of the watch's
 * lease fetches (the others try to take the lease every quarter interval), and the lease lasts
 * 1.5 intervals, so when the holder dies another replica goes on within two intervals; a
 * snapshot is added only while its fetcher still holds the lease (checked in the same
 * transaction), so none is ever taken twice. */
#ifndef PPROFWEB_WATCH_H
#define PPROFWEB_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pprofweb/err.h"
#include "pprofweb/store.h"

struct pw_watch_options {
    struct pw_store *store;
    int timeout;            /* -timeout in seconds; 0: pprof's rule (fetch.h) */
    size_t max_bytes;       /* largest fetched profile; 0: PW_MAX_INPUT */
    size_t keep_count;      /* -watch_keep as a count (0: none) */
    int64_t keep_age_nanos; /* -watch_keep as an age (0: none) */
};

/* What the start page lists of one watch. */
struct pw_watch_info {
    char series_id[PW_SERIES_ID_LEN + 1];
    char url[512];
    long long interval_ms;
    int seconds;
    size_t fetches, failures;  /* attempts so far, and how many failed */
    int64_t last_nanos;        /* time of the last attempt (0: none yet) */
    char last_error[256];      /* of the last attempt ("" when it worked) */
    char holder[128];          /* shared store: the process fetching it ("" when none) */
};

struct pw_watcher;
/* On a store that shares watches, starts the ones it holds already. */
struct pw_watcher *pw_watcher_new(const struct pw_watch_options *o);
/* This process's name in watch leases: "host/pid/random". */
const char *pw_watcher_holder(const struct pw_watcher *w);
/* Stops every watch (waking each at once) and waits for them; on a shared store, gives their
 * leases up (the watches stay, for the other replicas and the next start). */
void pw_watcher_free(struct pw_watcher *w);

/* Starts watching url (as pprof adjusts it: "host:port/path" gets http://, seconds > 0 sets
 * ?seconds=) every interval_ms; the first fetch happens at once. Writes the series id to
 * series_id_out (PW_SERIES_ID_LEN + 1 bytes). Watching a URL already watched changes its
 * interval. PW_EINVAL for a bad URL or interval, PW_ETOOBIG past PW_MAX_WATCHES. */
int pw_watcher_start(struct pw_watcher *w, const char *url, long long interval_ms, int seconds,
                     char *series_id_out, struct pw_err *err);
/* Stops the watch of series_id (PW_ENOTFOUND when none), on every replica for a shared store;
 * its series stays. */
int pw_watcher_stop(struct pw_watcher *w, const char *series_id, struct pw_err *err);
/* The running watches, in the order they started (malloc'd; free()). */
struct pw_watch_info *pw_watcher_list(struct pw_watcher *w, size_t *n);

/* Parses an interval: "30s", "500ms", "5m", "2h", or a number of seconds; within
 * PW_MIN_WATCH_INTERVAL_MS..PW_MAX_WATCH_INTERVAL_MS. */
int pw_watch_parse_interval(const char *s, long long *ms, struct pw_err *err);
/* Parses -watch_keep: a count ("500") or an age ("24h", "7d", "90m"). */
int pw_watch_parse_keep(const char *s, size_t *count, int64_t *age_nanos, struct pw_err *err);

#endif
