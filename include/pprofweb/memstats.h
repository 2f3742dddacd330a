/* memstats: the "# runtime.MemStats" block Go writes at the end of its ?debug=1 heap page, read
 * into named fields, plus the figures people derive from them. The caller owns the struct (no
 * allocation); pw_memstats_json writes the grouped, documented form /api/meta serves. */
#ifndef PPROFWEB_MEMSTATS_H
#define PPROFWEB_MEMSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pprofweb/err.h"

/* runtime.MemStats keeps the last 256 pauses in a circular buffer. */
#define PW_MEMSTATS_PAUSES 256

/* Fields as Go names them (bytes unless said); "X = inuse / sys" lines fill X_inuse and X_sys. */
struct pw_memstats {
    uint64_t alloc, total_alloc, sys, lookups, mallocs, frees;
    uint64_t heap_alloc, heap_sys, heap_idle, heap_inuse, heap_released, heap_objects;
    uint64_t stack_inuse, stack_sys, mspan_inuse, mspan_sys, mcache_inuse, mcache_sys;
    uint64_t buck_hash_sys, gc_sys, other_sys;
    uint64_t next_gc, last_gc /* ns since 1970 */, num_gc, num_forced_gc, max_rss;
    double gc_cpu_fraction;
    bool debug_gc;
    uint64_t pause_ns[PW_MEMSTATS_PAUSES]; /* circular: the latest is [(num_gc + 255) % 256] */
    uint64_t pause_end[PW_MEMSTATS_PAUSES];
    uint32_t n_pause_ns; /* entries the block gave */
    uint64_t seen;       /* bit i: field i of the module's table was present */
};

/* Pause statistics over the recorded pauses (min(num_gc, 256) of them), in nanoseconds. */
struct pw_memstats_pauses {
    uint32_t count;
    uint64_t last, p50, p90, p99, max;
};

/* Parses a block that starts at "# runtime.MemStats" (lines "# Name = value"; unknown names are
 * skipped, as newer Go adds fields). -1 with PW_ECORRUPT and "memstats line N: ..." for a known
 * field whose value is malformed. */
int pw_memstats_parse(const char *text, size_t len, struct pw_memstats *ms, struct pw_err *err);

/* Held by the heap but free (HeapIdle - HeapReleased) and in use by the process as the OS sees
 * it (Sys - HeapReleased); 0 when the subtraction would go below zero. */
uint64_t pw_memstats_heap_free(const struct pw_memstats *ms);
uint64_t pw_memstats_process(const struct pw_memstats *ms);
void pw_memstats_pauses(const struct pw_memstats *ms, struct pw_memstats_pauses *out);

/* Writes {"groups":[{"name","figures":[{"name","value","unit","doc"}]}],"pauses":{...}}: unit
 * is "bytes", "count", "ns", "fraction" or "time" (ns since 1970). */
struct pw_json;
void pw_memstats_json(const struct pw_memstats *ms, struct pw_json *j);

#endif
