/* gctrace: logs of GODEBUG=gctrace=1 (one "gc N @T P%: ..." line per collection, mixed with a
 * program's other output) read into cycles. The caller owns struct pw_gctrace and releases it
 * with pw_gctrace_release; pw_gctrace_json writes what /api/gctrace serves. */
#ifndef PPROFWEB_GCTRACE_H
#define PPROFWEB_GCTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pprofweb/err.h"

/* Clock and CPU phases a line may give: Go 1.5 printed five, current Go three. */
#define PW_GC_PHASES 5
/* Unreadable gc lines kept with their text for display (all are counted). */
#define PW_GC_SHOWN_BAD 20

struct pw_gc_cycle {
    uint64_t n;          /* gc N */
    double at_s;         /* @T: seconds since the program started */
    double cpu_pct;      /* P%: share of CPU used by GC since start */
    double clock_ms[PW_GC_PHASES]; /* wall-clock phases: sweep termination, mark, mark termination */
    uint32_t n_clock;
    double cpu_ms_total; /* CPU time of all phases (assist + background + idle summed) */
    double heap_start_mb, heap_end_mb, heap_live_mb, goal_mb;
    double stacks_mb, globals_mb; /* -1 when the line has none (before Go 1.18) */
    uint32_t procs;
    bool forced;
};

struct pw_gctrace_bad {
    size_t line;
    char text[120];
    char why[80];
};

struct pw_gctrace {
    struct pw_gc_cycle *cycles;
    size_t n_cycles, cap_cycles;
    size_t n_lines, n_other;  /* lines read; lines that are not gc lines (the program's own) */
    size_t n_bad;             /* gc lines that could not be read */
    struct pw_gctrace_bad bad[PW_GC_SHOWN_BAD];
};

/* True when data has a "gc N @" line among its first 1000 lines. */
bool pw_gctrace_detect(const char *data, size_t len);

/* Reads every line; a gc line that cannot be read is counted and kept (its number and why), not
 * fatal. -1 with PW_ETOOBIG past PW_MAX_GCTRACE_CYCLES, PW_ECORRUPT when no line is a gc line. */
int pw_gctrace_parse(const char *data, size_t len, struct pw_gctrace *t, struct pw_err *err);
void pw_gctrace_release(struct pw_gctrace *t);

/* {"cycles":[{"n","at_s","cpu_pct","clock_ms":[],"cpu_ms","heap_start_mb","heap_end_mb",
 * "heap_live_mb","goal_mb","stacks_mb"?,"globals_mb"?,"procs","forced"}],"lines","other_lines",
 * "unreadable","unreadable_lines":[{"line","text","why"}]} */
struct pw_json;
void pw_gctrace_json(const struct pw_gctrace *t, struct pw_json *j);

#endif
