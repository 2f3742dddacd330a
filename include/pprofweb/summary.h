/* summary: what a series needs from one stored snapshot, read straight from its bytes: the
 * report total and every graph node's flat and cum at a granularity and refinements, and the
 * MemStats block, without building the profile's samples or the report (series.h).
 * The numbers equal those of pw_report_new(p, "top") with trimming off on the profile
 * pw_source_prepare_bytes_mode() makes of the same bytes. Bytes or settings this reader does
 * not cover (legacy text formats, unsymbolized locations, tag filters, show_from, prune_from,
 * -mean, ...) are answered with PW_SUMMARY_FULL: the caller runs the full report instead.
 * Ownership: a struct pw_summary owns its nodes; their names and its strings are its own when
 * read without a reader, else the reader's until its next read or pw_summary_reader_free. */
#ifndef PPROFWEB_SUMMARY_H
#define PPROFWEB_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "pprofweb/arena.h"
#include "pprofweb/config.h"
#include "pprofweb/err.h"

/* One graph node: several may share a name (as in the graph), their values then add up. */
struct pw_summary_node {
    const char *name; /* pprof's PrintableName */
    int64_t flat, cum;
};

struct pw_summary {
    int64_t total;
    const char *sample_type, *unit;
    struct pw_summary_node *nodes; /* nodes with a nonzero flat or cum */
    size_t n_nodes;
    const char *memstats; /* the profile's "# runtime.MemStats" text, or NULL */
    struct pw_arena arena;
};

/* pw_summary_read's answer when the full report must be run. */
#define PW_SUMMARY_FULL 1

/* Keeps the last profile tables (everything but the samples) it prepared, so the snapshots of
 * a series that share them prepare them once. One reader serves one thread, one cfg and one
 * -symbolize mode. */
struct pw_summary_reader;
struct pw_summary_reader *pw_summary_reader_new(void);
void pw_summary_reader_free(struct pw_summary_reader *r);

/* Reads data (a stored profile, gzipped or not) at cfg, with the store's -symbolize mode,
 * through r (may be NULL). Returns 0 with out filled, PW_SUMMARY_FULL (out empty) when only the
 * full report can answer, or -1 with err for settings the profile refuses (PW_EINVAL, an
 * unknown sample index). */
int pw_summary_read(struct pw_summary_reader *r, const unsigned char *data, size_t len,
                    const char *symbolize, const struct pw_config *cfg, struct pw_summary *out,
                    struct pw_err *err);
void pw_summary_release(struct pw_summary *s);

#endif
