/* views: the JSON documents behind the web UI's views (profile metadata, top, peek, source), one
 * function per view. Each writes one JSON document into the caller's buffer and allocates nothing
 * that outlives the call; the profile and config are borrowed. Errors (a bad sample index, a
 * regexp that does not compile) return -1 with err (PW_EINVAL: HTTP 400). */
#ifndef PPROFWEB_VIEWS_H
#define PPROFWEB_VIEWS_H

#include "pprofweb/buf.h"
#include "pprofweb/config.h"
#include "pprofweb/err.h"
#include "pprofweb/profile.h"
#include "pprofweb/query.h"

/* A comparison (base=ID or diff_base=ID in the URL): the view's profile is then the compared
 * one, built as pprof's -base / -diff_base build it. */
struct pw_view_compare {
    const char *kind;              /* "base" or "diff_base" */
    const char *id, *name;         /* the base profile's id and name */
    const struct pw_profile *base; /* the base profile as held (not negated) */
    const struct pw_profile *orig; /* the compared profile as held, before the comparison */
    bool normalize;                /* norm=t: pprof's -normalize */
    /* base= in the flame graph: the diff_base comparison of the same two profiles, whose
     * samples keep base and new apart (see pw_flame_build_split); else NULL. */
    const struct pw_profile *split;
};

struct pw_view_args {
    const struct pw_profile *p;
    const char *id;                 /* the profile's id */
    const char *name;               /* its file name or label, for "File:" */
    const struct pw_config *cfg;    /* the server's settings with the URL's applied */
    const struct pw_config *base;   /* the server's initial settings (command-line flags) */
    const struct pw_params *params; /* the URL parameters (for view-specific ones) */
    const struct pw_view_compare *cmp; /* NULL unless the URL compares with a base */
    /* Names the app serving the view, unique in the process (NULL: ""). Caches of data derived
     * from a profile key it by scope, id and settings, never by the profile's address, which a
     * later profile may reuse once this one is freed. */
    const char *scope;
};

typedef int (*pw_view_fn)(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err);

/* {"id","name","sample_types":[{"type","unit","total"}],"sample_index","time","duration",
 *  "comments":[],"memstats","label_keys":{"string":[],"numeric":[]},"base":"query"...}. */
int pw_view_meta(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err);
/* The top table: every node with flat, cum, percentages and the legend. */
int pw_view_top(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err);
/* Callers and callees of the functions matching f, at line granularity (pprof's peek). */
int pw_view_peek(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err);
/* Annotated source of the functions matching f (at most 50), pprof's weblist. */
int pw_view_source(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err);

/* The call graph (graph_view.c): pprof's -dot graph laid out as inline SVG, with the legend lines
 * and a node table; PW_ETOOBIG (HTTP 413) when it has too many nodes to lay out. */
int pw_view_graph(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err);

/* The goroutines summary (goroutines_view.c): identical stacks grouped with count, states,
 * wait range (minutes), created_by and frames, largest first; 404 for other profiles. */
int pw_view_goroutines(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err);

/* The GC cycles of a gctrace log (gctrace_view.c, gctrace.h's JSON); 404 for other profiles. */
int pw_view_gctrace(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err);

/* Checks the settings against the profile (sample index, regexps, tag filters) without computing
 * a view; used to answer a page request with 400 before its data is fetched. */
int pw_view_check(const struct pw_view_args *a, struct pw_err *err);

/* The base values of a comparison's top rows (compare_view.c): NULL without a comparison, with
 * mean=t, or when the base profile cannot take the settings. Rows absent from the base are 0.
 * The rows are shared with later views of the same base and settings (a small cache): borrowed
 * until pw_compare_rows_release. */
struct pw_compare_rows;
struct pw_text_item;
struct pw_compare_rows *pw_compare_rows_new(const struct pw_view_args *a);
void pw_compare_rows_base(const struct pw_compare_rows *t, const struct pw_text_item *row,
                          int64_t *flat, int64_t *cum);
void pw_compare_rows_release(struct pw_compare_rows *t);

/* Pieces every view document shares (views_json.c), for the view modules. */
struct pw_json;
/* "view", "id", "name" and "query" (the effective settings), which every view starts with. */
void pw_view_json_common(struct pw_json *j, const struct pw_view_args *a, const char *view);
/* "warnings": what pprof prints on stderr (warn, one per line), as an array. */
void pw_view_json_warnings(struct pw_json *j, const struct pw_buf *warn);
/* A percentage as pprof formats it, without its padding, as a string value. */
void pw_view_json_pct(struct pw_json *j, int64_t v, int64_t total);

#endif
