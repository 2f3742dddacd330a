/* graph_view: the JSON document of the web UI's graph view (pprof's /ui/, the call graph).
 *
 * In: the borrowed profile and the request's settings. It builds the report pprof's -dot builds
 * (report.h: same trimming by n, nf, ef, the same node order and N1..Nk node names), writes its
 * DOT text without the legend box (the page shows the legend lines above the graph, as every
 * view does) and lays it out with Graphviz (layout.h) into inline SVG. Out: one JSON document
 * with the legend lines, the SVG, and a node table mapping the SVG's node titles (N1...) to
 * function names and values, so the page can build menus and search without reading names
 * back out of the SVG. Too many nodes to lay out is PW_ETOOBIG (HTTP 413) with advice to lower
 * n. Nothing allocated here outlives the call. */
#include <stdio.h>
#include <string.h>

#include "pprofweb/dotgraph.h"
#include "pprofweb/graph.h"
#include "pprofweb/json.h"
#include "pprofweb/layout.h"
#include "pprofweb/limits.h"
#include "pprofweb/measurement.h"
#include "pprofweb/report.h"
#include "pprofweb/views.h"

static void format_value(char *dst, size_t cap, int64_t value, void *ctx)
{
    char tmp[PW_VALUE_MAX];
    snprintf(dst, cap, "%s", pw_report_format_value(ctx, value, tmp));
}

/* The node table: "N<i>" is the i-th node of the graph, as pw_compose_dot names them. */
static void json_nodes(struct pw_json *j, struct pw_report *r, const struct pw_graph *g)
{
    pw_json_key(j, "nodes");
    pw_json_arr_begin(j);
    size_t n_items;
    const struct pw_text_item *items = pw_report_text_items(r, &n_items);
    for (size_t i = 0; i < g->n_nodes && i < n_items; i++) {
        const struct pw_text_item *it = &items[i];
        char id[32];
        snprintf(id, sizeof(id), "N%zu", i + 1);
        pw_json_obj_begin(j);
        pw_json_kstr(j, "id", id);
        pw_json_kstr(j, "name", it->name);
        if (it->inline_label[0])
            pw_json_kstr(j, "inline", it->inline_label);
        pw_json_kint(j, "flat", it->flat);
        pw_json_kstr(j, "flat_fmt", it->flat_fmt);
        pw_json_key(j, "flat_pct");
        pw_view_json_pct(j, it->flat, r->total);
        pw_json_kint(j, "cum", it->cum);
        pw_json_kstr(j, "cum_fmt", it->cum_fmt);
        pw_json_key(j, "cum_pct");
        pw_view_json_pct(j, it->cum, r->total);
        pw_json_obj_end(j);
    }
    pw_json_arr_end(j);
}

/* Lays out the report's graph into svg (inline SVG). */
static int layout(struct pw_report *r, struct pw_graph *g, struct pw_buf *svg,
                  struct pw_layout_info *info, struct pw_err *err)
{
    if (g->n_nodes > PW_MAX_LAYOUT_NODES)
        return pw_fail(err, PW_ETOOBIG,
                       "graph has %zu nodes, more than the %d that can be laid out: lower the "
                       "node count (n)",
                       g->n_nodes, PW_MAX_LAYOUT_NODES);
    /* The title is the graph's name in the DOT text: escaped here, as pprof does not. */
    struct pw_buf title;
    pw_buf_init(&title, 1 << 16);
    pw_dot_escape(&title, r->opt.title);
    struct pw_dot_config c = {
        .title = pw_buf_str(&title),
        .format_value = format_value,
        .format_ctx = r,
        .total = r->total,
    };
    struct pw_buf dot;
    pw_buf_init(&dot, PW_MAX_LAYOUT_INPUT + 1);
    pw_compose_dot(&dot, g, NULL, NULL, &c);
    int rc;
    if (dot.overflow)
        rc = pw_fail(err, PW_ETOOBIG, "graph text larger than %zu bytes: lower the node count (n)",
                     PW_MAX_LAYOUT_INPUT);
    else
        rc = pw_layout_render(dot.data, dot.len, PW_LAYOUT_INLINE, svg, info, err);
    pw_buf_release(&dot);
    pw_buf_release(&title);
    return rc;
}

int pw_view_graph(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err)
{
    struct pw_buf warn;
    pw_buf_init(&warn, 1 << 20);
    struct pw_report *r = pw_report_new(a->p, "dot", NULL, a->cfg, &warn, err);
    if (!r) {
        pw_buf_release(&warn);
        return -1;
    }
    if (pw_report_graph_check(r, err)) {
        pw_report_free(r);
        pw_buf_release(&warn);
        return -1;
    }
    struct pw_graph *g = pw_report_graph(r);
    struct pw_buf svg;
    pw_buf_init(&svg, 0);
    struct pw_layout_info info;
    int rc = layout(r, g, &svg, &info, err);
    if (rc == 0) {
        struct pw_json j;
        pw_json_init(&j, out);
        pw_json_obj_begin(&j);
        pw_view_json_common(&j, a, "graph");
        /* pprof's legend lines (full headers, as in its graph), without the link line. */
        size_t n;
        const char **labels = pw_report_labels(r, true, &n);
        pw_json_key(&j, "legend");
        pw_json_arr_begin(&j);
        for (size_t i = 0; i < n; i++)
            if (labels[i][0] != '\n')
                pw_json_str(&j, labels[i]);
        pw_json_arr_end(&j);
        char tmp[PW_VALUE_MAX];
        pw_json_kint(&j, "total", r->total);
        pw_json_kstr(&j, "total_fmt", pw_report_format_value(r, r->total, tmp));
        pw_json_kstr(&j, "sample_type", r->opt.sample_type);
        pw_json_kstr(&j, "unit", r->opt.output_unit);
        pw_view_json_warnings(&j, &warn);
        json_nodes(&j, r, g);
        pw_json_kint(&j, "edges", info.edges);
        pw_json_kdouble(&j, "width", info.width_pt);
        pw_json_kdouble(&j, "height", info.height_pt);
        pw_json_key(&j, "svg");
        pw_json_strn(&j, svg.data ? svg.data : "", svg.len);
        pw_json_obj_end(&j);
    }
    pw_buf_release(&svg);
    pw_buf_release(&warn);
    pw_report_free(r);
    return rc;
}
