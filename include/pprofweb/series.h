/* series: what a series of snapshots shows over time. For each snapshot, at the chosen settings
 * (si, granularity, focus/ignore/hide/show, noinlines, ...), the report total and every node's flat
 * and cum, computed by the same report code as the top view (so each number equals the top report
 * of that snapshot); then, per function, the growth statistics that rank what grows.
 *
 * Snapshots come in as profile ids with times; their profiles are borrowed through the caller's
 * acquire/release (the store), so this module knows nothing of where profiles live. Per-snapshot
 * results are kept in a struct pw_series_cache (shared by all requests, locked inside) keyed by
 * profile id and settings: a new snapshot costs one report, not one per snapshot.
 * Ownership: a struct pw_series_data owns everything it points to (pw_series_data_release). */
#ifndef PPROFWEB_SERIES_H
#define PPROFWEB_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pprofweb/arena.h"
#include "pprofweb/config.h"
#include "pprofweb/err.h"
#include "pprofweb/profile.h"

/* One snapshot of the input: a profile id, or a gap (id NULL) with its error. */
struct pw_series_input {
    const char *id;
    int64_t time_nanos;
    const char *error;
};

typedef const struct pw_profile *(*pw_series_acquire_fn)(void *ctx, const char *id,
                                                         struct pw_err *err);
typedef void (*pw_series_release_fn)(void *ctx, const struct pw_profile *p);
/* Reads a snapshot's stored bytes (malloc'd, the caller frees) and the -symbolize mode its
 * profile is prepared with: the series reads most snapshots from their bytes (summary.h),
 * borrowing the decoded profile only for what that reader leaves to the full report. */
typedef int (*pw_series_read_fn)(void *ctx, const char *id, unsigned char **data, size_t *len,
                                 const char **symbolize, struct pw_err *err);

struct pw_series_cache;
/* max_bytes bounds the cached per-snapshot results (least recently used dropped first). */
struct pw_series_cache *pw_series_cache_new(size_t max_bytes);
void pw_series_cache_free(struct pw_series_cache *c);
/* Snapshots computed (misses) and found (hits) since the cache was made, for tests and bench. */
void pw_series_cache_stats(struct pw_series_cache *c, size_t *hits, size_t *misses);

/* One node (function, file, line... per granularity) over the series. */
struct pw_series_fn {
    const char *name;
    int64_t *values; /* flat or cum (pw_series_data.cum) per point; 0 where absent */
};

/* The fields of Go's "# runtime.MemStats" block (the ?debug=1 heap page) charted over time. */
#define PW_SERIES_N_MEMSTATS 6
extern const char *const pw_series_memstats_names[PW_SERIES_N_MEMSTATS];

struct pw_series_data {
    size_t n_points;
    struct pw_series_input *points; /* copies (strings in arena) */
    bool *present;                  /* the snapshot has values (not a gap or unreadable) */
    int64_t *totals;                /* the report's total per point */
    const char *sample_type, *unit; /* of the selected sample value */
    bool cum;                       /* values are cum, not flat */
    struct pw_series_fn *fns;
    size_t n_fns;
    /* Per point, the MemStats fields (-1 where the snapshot has none); NULL when no snapshot
     * has a MemStats block. */
    int64_t (*memstats)[PW_SERIES_N_MEMSTATS];
    struct pw_arena arena;
};

/* Computes the series at cfg, the nodes' cum values or (cum false) their flat ones. A snapshot
 * whose profile cannot be read becomes a gap with the reason; settings the profiles refuse (an
 * unknown sample index, a bad regexp) fail the whole call with PW_EINVAL. read may be NULL
 * (every snapshot then goes through acquire and the full report). */
int pw_series_compute(struct pw_series_cache *c, const struct pw_series_input *in, size_t n,
                      const struct pw_config *cfg, bool cum, pw_series_acquire_fn acquire,
                      pw_series_release_fn release, pw_series_read_fn read, void *ctx,
                      struct pw_series_data *out, struct pw_err *err);
void pw_series_data_release(struct pw_series_data *d);

/* How one function grew over the present points. */
struct pw_growth {
    size_t fn;           /* index in data->fns */
    int64_t first, last; /* at the first and last present point */
    int64_t change;      /* last - first */
    double per_hour;     /* least-squares slope, units per hour */
    double r2;           /* coefficient of determination of that fit (0 when flat) */
    double grew;         /* share of intervals between present points where the value rose */
    double steadiness;   /* r2 x grew, 0..1: 1 is a steady leak, low is a step or noise */
    double score;        /* per_hour x steadiness^2: the default order, steady growth first */
};

/* The growth of every function, in the default order: score descending, then change
 * descending, then name. Returns a malloc'd array of data->n_fns rows. */
struct pw_growth *pw_series_growth(const struct pw_series_data *d);
/* Sorts rows by key: "score", "change", "per_hour", "steadiness", "first", "last" or "name",
 * ascending or descending; ties fall back to the default order. -1 for an unknown key. */
int pw_series_growth_sort(const struct pw_series_data *d, struct pw_growth *rows, size_t n,
                          const char *key, bool desc);

#endif
