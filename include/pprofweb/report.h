/* report: pprof's report generation (internal/report and the report pipeline of
 * internal/driver). A report is built in two steps, as pprof's generateRawReport and Generate:
 *
 *   pw_report_new()      copies the profile, applies the command's setting overrides, the
 *                        focus/ignore/tag filters and the granularity aggregation, and picks
 *                        the sample value, unit and total;
 *   pw_report_generate() writes one text format (-top, -traces, -tags, -raw, -peek, -dot).
 *
 * The web server reuses the first step and reads the intermediate results (header labels, top
 * rows, the trimmed graph) to render JSON instead of text.
 *
 * Ownership: a struct pw_report owns its profile copy, its graph and every string it hands out;
 * all of it is freed by pw_report_free(). The caller's profile and config are only read (config
 * strings must outlive the report). */
#ifndef PPROFWEB_REPORT_H
#define PPROFWEB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pprofweb/arena.h"
#include "pprofweb/buf.h"
#include "pprofweb/config.h"
#include "pprofweb/err.h"
#include "pprofweb/profile.h"

struct pw_graph;
struct pw_graph_infos;
struct pw_regex;

/* pprof's report output formats (the subset pprofweb produces). */
enum pw_report_format {
    PW_REPORT_TEXT = 0, /* top, text */
    PW_REPORT_TRACES,
    PW_REPORT_TAGS,
    PW_REPORT_RAW,
    PW_REPORT_TREE, /* peek, tree */
    PW_REPORT_DOT,
    PW_REPORT_LIST,
    PW_REPORT_COMMENTS,
};

/* The unit of one numeric label key (pprof's NumLabelUnits). */
struct pw_num_label_unit {
    pw_str key;       /* in the report's profile */
    const char *unit; /* owned by the report */
};

/* pprof's report.Options, after the driver's reportOptions(). */
struct pw_report_options {
    enum pw_report_format format;
    bool cum_sort, call_tree, drop_negative, compact_labels;
    double ratio;                /* 1 / divide_by */
    const char *title;           /* basename of the first mapping's file, or "" */
    const char **active_filters; /* "focus=...", in pprof's order */
    size_t n_active_filters;
    int nodecount;
    double nodefraction, edgefraction;
    /* A top read for its values only: no edges are built, and every row's inline label is "". */
    bool no_inline_marks;

    uint32_t sample_index;   /* value extracted from each sample */
    bool mean;               /* divide by value 0 (pprof's SampleMeanDivisor) */
    const char *sample_type; /* "cpu", "mean_delay" */
    const char *sample_unit; /* as in the profile */
    const char *output_unit; /* cfg->unit, until a graph report resolves "minimum" */

    const char *symbol; /* the peek/list regexp source, or NULL */
    struct pw_regex *symbol_rx;
    const char *source_path, *trim_path;
    /* -list reads only files whose real path lies under a source_path directory. Set by
     * pw_report_new (servers must not read arbitrary files a profile names); the CLI's
     * pw_report_run clears it to read sources as pprof does. */
    bool restrict_sources;

    struct pw_num_label_unit *num_label_units;
    size_t n_num_label_units;
};

struct pw_report {
    struct pw_profile *prof; /* owned: the filtered and aggregated copy */
    struct pw_report_options opt;
    int64_t total;         /* pprof's computeTotal */
    struct pw_arena arena; /* strings handed out by the report */

    /* The trimmed graph of graph-based formats, built by pw_report_graph(), and the location
     * infos every graph of the report is built from. */
    struct pw_graph *graph;
    struct pw_graph_infos *graph_infos;
    int orig_count, dropped_nodes, dropped_edges;
};

/* Maps a command name ("top", "text", "traces", "tags", "raw", "peek", "tree", "dot", "list",
 * "comments") to its format; -1 when unknown. */
int pw_report_format_of(const char *cmd);
/* Whether command cmd (or "svg") reports only what the profile's call graph shows: top, peek,
 * dot, svg, list; not traces, tags, raw or comments, which read the samples themselves. */
bool pw_report_is_graph(const char *cmd);

/* pprof's generateRawReport: builds the report of command cmd with argument arg (the peek/list
 * regexp, or NULL) on a copy of p with settings cfg; the copy borrows from p (pw_profile_derive),
 * so p must outlive the report. pprof's stderr warnings are appended to warn (may be NULL), one
 * per line. Returns NULL with err (PW_EINVAL for bad settings, e.g. an unknown
 * sample index or a bad regexp). The caller frees the report with pw_report_free(). */
struct pw_report *pw_report_new(const struct pw_profile *p, const char *cmd, const char *arg,
                                const struct pw_config *cfg, struct pw_buf *warn,
                                struct pw_err *err);
/* The same up to the options, the total and the warnings: the profile is filtered but not
 * aggregated to the granularity, so it gives no graph or rows; for a caller that takes its rows
 * from another profile with the same samples (the flame graph of base=). */
struct pw_report *pw_report_new_settings(const struct pw_profile *p, const char *cmd,
                                         const struct pw_config *cfg, struct pw_buf *warn,
                                         struct pw_err *err);
void pw_report_free(struct pw_report *r);

/* pprof's report.Generate: appends the report in its text format to out. Returns -1 with err
 * when the format fails (e.g. "no matches found for regexp: x" for peek). */
int pw_report_generate(struct pw_report *r, struct pw_buf *out, struct pw_err *err);

/* The whole pipeline, as the CLI runs it: pw_report_new + pw_report_generate. */
int pw_report_run(struct pw_buf *out, struct pw_buf *warn, const struct pw_profile *p,
                  const char *cmd, const char *arg, const struct pw_config *cfg,
                  struct pw_err *err);
/* The same on p itself, which it takes and frees before returning: for a caller that would drop
 * p anyway, this saves copying every sample. */
int pw_report_run_consume(struct pw_buf *out, struct pw_buf *warn, struct pw_profile *p,
                          const char *cmd, const char *arg, const struct pw_config *cfg,
                          struct pw_err *err);

/* --- intermediate results, for JSON views --- */

/* Formats a sample value as the report does (ratio, then output unit) into dst; returns dst. */
#define PW_VALUE_MAX 64
const char *pw_report_format_value(const struct pw_report *r, int64_t v, char dst[PW_VALUE_MAX]);

/* Strings formatted already, by value: the rows of a report repeat the same few values (sample
 * counts times the period), and formatting one costs a snprintf. One memo serves one kind of
 * string (values of one report, or percentages of one total); its strings live in the arena
 * given, and a slot taken by another value is formatted again. */
struct pw_format_memo {
    struct pw_arena *arena;
    struct pw_memo_slot {
        int64_t v;
        const char *s; /* NULL: empty */
    } *slots;
};
void pw_format_memo_init(struct pw_format_memo *m, struct pw_arena *arena);
void pw_format_memo_release(struct pw_format_memo *m);
/* pw_report_format_value of r, whose output unit is fixed (after pw_report_graph). */
const char *pw_report_format_value_memo(struct pw_format_memo *m, const struct pw_report *r,
                                        int64_t v);
/* pw_percentage(v, total) without its leading padding, total the same on every call. */
const char *pw_report_percentage_memo(struct pw_format_memo *m, int64_t v, int64_t total);

/* pprof's newTrimmedGraph + selectOutputUnit: builds (once) the trimmed, sorted graph of the
 * report and resolves the output unit. The graph is owned by the report. */
struct pw_graph *pw_report_graph(struct pw_report *r);
/* Whether the graph of a report on p has label tags (pw_graph_has_tags with the report's label
 * keys), which it counts on a single thread. */
bool pw_report_graph_has_tags(const struct pw_profile *p);
/* Builds the graph and fails (PW_ETOOBIG) when it is a call tree too large to build
 * (PW_MAX_TREE_NODES): what graph-drawing reports check before using it. */
int pw_report_graph_check(struct pw_report *r, struct pw_err *err);

/* pprof's newGraph(nil): the untrimmed graph of the report, nodes in creation order, output
 * unit untouched; its nodes only (no edges, no tags: what the source listing reads). The caller
 * frees it with pw_graph_free(). */
struct pw_graph *pw_report_new_graph(struct pw_report *r);

/* Header lines (pprof's ProfileLabels and reportLabels). Each returns an arena array of n lines
 * owned by the report. report_labels builds the graph first. full_headers as in pprof (the DOT
 * legend). */
const char **pw_report_profile_labels(struct pw_report *r, size_t *n);
const char **pw_report_labels(struct pw_report *r, bool full_headers, size_t *n);

/* One row of the top table (pprof's TextItem). */
struct pw_text_item {
    const char *name;         /* printable node name */
    uint32_t name_len;        /* its length: it may hold NUL bytes */
    const char *inline_label; /* "", "(inline)" or "(partial-inline)" */
    int64_t flat, cum;
    const char *flat_fmt, *cum_fmt;
};
/* pprof's TextItems: the rows of the trimmed graph in report order (arena memory owned by the
 * report). */
struct pw_text_item *pw_report_text_items(struct pw_report *r, size_t *n);

/* Formats (report_text.c). Each appends to out; tree returns -1 with err when the peek regexp
 * matched nothing. */
void pw_report_print_text(struct pw_report *r, struct pw_buf *out);
void pw_report_print_traces(struct pw_report *r, struct pw_buf *out);
void pw_report_print_tags(struct pw_report *r, struct pw_buf *out);
int pw_report_print_tree(struct pw_report *r, struct pw_buf *out, struct pw_err *err);
/* -dot (pprof's printDOT, through graph.h's DOT writer) and -list (pprof's printSource). */
int pw_report_print_dot(struct pw_report *r, struct pw_buf *out, struct pw_err *err);
int pw_report_print_source(struct pw_report *r, struct pw_buf *out, struct pw_err *err);

/* pprof's -tagroot / -tagleaf (report_tagroot.c): adds label pseudo frames to the report's
 * profile; "TagRoot expression matched no samples" and the like go to warn. */
int pw_report_add_label_nodes(struct pw_report *r, const struct pw_config *cfg, struct pw_buf *warn,
                              struct pw_err *err);

/* The unit of numeric label key (pprof's NumLabelUnits lookup); "" when not a numeric key. */
const char *pw_report_num_label_unit(const struct pw_report *r, pw_str key);

/* pprof's trimPath heuristic for source file names (source.go). Returns a pointer into path. */
const char *pw_report_trim_path(const char *path, const char *trim_path, const char *search_path);

#endif
