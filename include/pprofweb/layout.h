/* layout: DOT text to SVG with Graphviz's libraries in-process (libcgraph parses, libgvc lays out
 * with the "dot" engine and renders SVG), the job pprof hands to a forked `dot -Tsvg`. Owned by
 * the graph view; this is the only module that includes Graphviz headers. The caller owns the
 * DOT text and the output buffer; nothing the module allocates outlives a call except the one
 * Graphviz context, kept for the process (pw_layout_cleanup() frees it).
 *
 * Graphviz is not thread-safe: one layout runs at a time (a global mutex). Input is capped in
 * bytes, nodes and edges (limits.h), because dot's layout time grows much faster than linearly.
 * The SVG is post-processed so that it is well-formed XML whatever names the graph holds (see
 * layout.c), and it scales to its container. */
#ifndef PPROFWEB_LAYOUT_H
#define PPROFWEB_LAYOUT_H

#include <stddef.h>

#include "pprofweb/buf.h"
#include "pprofweb/err.h"

/* Flags of pw_layout_render(). */
enum {
    /* For embedding in a page: no XML prolog, DOCTYPE or comments, and no width/height on the
     * <svg> element (its viewBox stays), so CSS sizes it. Without the flag the output is a
     * standalone document sized 100% x 100% with its viewBox (the -svg file). */
    PW_LAYOUT_INLINE = 1,
};

/* What was laid out. */
struct pw_layout_info {
    int nodes, edges;            /* in the graph, subgraphs included */
    double width_pt, height_pt;  /* the drawing's size in points */
};

/* Lays out dot (len bytes, not necessarily NUL-terminated; bytes that are NUL or not UTF-8 are
 * laid out as U+FFFD) and appends the SVG to out. info may be NULL. Errors: PW_ETOOBIG past
 * PW_MAX_LAYOUT_INPUT / _NODES / _EDGES; PW_EINVAL for text Graphviz cannot parse or lay out
 * (its message is in err), and for attributes
 * that would make Graphviz read files (image, shapefile, fontpath, ...) or links that are not
 * http(s). On error nothing is appended. */
int pw_layout_render(const char *dot, size_t len, unsigned flags, struct pw_buf *out,
                     struct pw_layout_info *info, struct pw_err *err);

/* The -svg output: pw_layout_render() with no flags. */
int pw_layout_svg(const char *dot, size_t len, struct pw_buf *out, struct pw_err *err);

/* Makes svg (len bytes, Graphviz's output) well-formed and scalable, appending the result to out:
 * references that are not XML's (&nbsp;, a bare &, &#1;) become text, control characters and
 * invalid UTF-8 become U+FFFD, and the <svg> tag loses width and height (PW_LAYOUT_INLINE, with
 * prolog and comments dropped) or gets 100% for both. Exposed for tests. */
void pw_layout_massage_svg(const char *svg, size_t len, unsigned flags, struct pw_buf *out);

/* Frees the Graphviz context (at exit, for leak checkers). Not to be called while laying out. */
void pw_layout_cleanup(void);

#endif
