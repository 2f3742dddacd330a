/* dotgraph: pprof's graph.ComposeDot, the DOT text of a trimmed graph (-dot, and the input of the
 * web UI's graph view). Writes into a caller's buffer; borrows the graph and configuration. */
#ifndef PPROFWEB_DOTGRAPH_H
#define PPROFWEB_DOTGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pprofweb/graph.h"

struct pw_buf;

/* Formats a value as the report does (pprof's DotConfig.FormatValue); writes a NUL-terminated
 * string into dst. */
typedef void (*pw_dot_format_fn)(char *dst, size_t cap, int64_t value, void *ctx);

/* pprof's DotConfig. */
struct pw_dot_config {
    const char *title;      /* "" or NULL: "unnamed" */
    const char *legend_url; /* NULL: none */
    const char *const *labels;
    size_t n_labels;
    pw_dot_format_fn format_value;
    void *format_ctx;
    int64_t total;
};

/* pprof's DotNodeAttributes (pprof itself never sets any; kept for the web UI). */
struct pw_dot_node_attrs {
    const char *shape; /* NULL: "box" */
    bool bold;
    int peripheries;
    const char *url;
    /* Replaces the node's label text when not NULL: appends it to out. */
    void (*formatter)(const struct pw_node_info *info, struct pw_buf *out, void *ctx);
    void *formatter_ctx;
};

/* pprof's DotAttributes: attributes of a node, or NULL. */
typedef const struct pw_dot_node_attrs *(*pw_dot_attrs_fn)(const struct pw_node *n, void *ctx);

/* pprof's ComposeDot: appends the DOT text of g to out. attrs may be NULL. */
void pw_compose_dot(struct pw_buf *out, const struct pw_graph *g, pw_dot_attrs_fn attrs,
                    void *attrs_ctx, const struct pw_dot_config *c);

/* pprof's escapeForDot: \ and " escaped, newlines as \l. Appends to out. The _n form escapes the
 * n bytes at s (a Go string, which may hold NUL bytes). */
void pw_dot_escape(struct pw_buf *out, const char *s);
void pw_dot_escape_n(struct pw_buf *out, const char *s, size_t n);

/* pprof's multilinePrintableName: the node label text ending in "\n" (a literal backslash-n). */
void pw_dot_multiline_name(const struct pw_node_info *info, struct pw_buf *out);

/* pprof's dotColor: "#rrggbb" for a score in [-1, 1] (clamped). dst needs 8 bytes. */
void pw_dot_color(char dst[8], double score, bool background);

#endif
