/* dotgraph: pprof's graph.ComposeDot. Writes the DOT text of a trimmed, sorted graph: a legend
 * box, one box per node (label, font size from flat weight, color from cum weight), up to
 * PW_MAX_NODELETS label-tag nodelets per node with numeric tags collapsed into ranges, and the
 * edges sorted by weight. Output follows pprof's text byte for byte, including which strings are
 * escaped (names and tooltips) and which are not (file names, tag names): the output is Graphviz
 * input, never HTML. Everything is appended to the caller's buffer; the graph is not modified. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/buf.h"
#include "pprofweb/dotgraph.h"
#include "pprofweb/graph_internal.h"
#include "pprofweb/measurement.h"
#include "pprofweb/wrap.h"

#define VALUE_MAX 128

void pw_dot_escape_n(struct pw_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\')
            pw_buf_adds(out, "\\\\");
        else if (s[i] == '"')
            pw_buf_adds(out, "\\\"");
        else if (s[i] == '\n')
            pw_buf_adds(out, "\\l");
        else
            pw_buf_addc(out, s[i]);
    }
}

void pw_dot_escape(struct pw_buf *out, const char *s)
{
    pw_dot_escape_n(out, s, strlen(s));
}

/* Appends the n bytes at s with every occurrence of from replaced by to (strings.Replace with
 * n = -1). */
static void replace_all(struct pw_buf *out, const char *s, size_t n, const char *from,
                        const char *to)
{
    size_t fl = strlen(from);
    const char *end = s + n, *hit;
    while ((hit = memmem(s, (size_t)(end - s), from, fl)) != NULL) {
        pw_buf_add(out, s, (size_t)(hit - s));
        pw_buf_adds(out, to);
        s = hit + fl;
    }
    pw_buf_add(out, s, (size_t)(end - s));
}

void pw_dot_multiline_name(const struct pw_node_info *info, struct pw_buf *out)
{
    /* Each step reads one buffer and writes the other. */
    struct pw_buf a, b;
    pw_buf_init(&a, 0);
    pw_buf_init(&b, 0);
    pw_shorten_function_name(info->name, info->name_len, &a);
    pw_dot_escape_n(&b, pw_buf_str(&a), a.len);
    pw_buf_reset(&a);
    replace_all(&a, pw_buf_str(&b), b.len, "::", "\\n");
    pw_buf_reset(&b);
    replace_all(&b, pw_buf_str(&a), a.len, "[...]", "[\xe2\x80\xa6]");
    pw_buf_reset(&a);
    replace_all(&a, pw_buf_str(&b), b.len, ".", "\\n");
    struct pw_arena arena;
    pw_arena_init(&arena);
    struct pw_node_info copy = *info;
    copy.name = pw_buf_str(&a);
    copy.name_len = (uint32_t)a.len;
    if (copy.file_len)
        copy.file = gx_go_base(copy.file, copy.file_len, &arena, &copy.file_len);
    pw_node_info_name(&copy, "\\n", out);
    pw_buf_adds(out, "\\n");
    pw_arena_release(&arena);
    pw_buf_release(&a);
    pw_buf_release(&b);
}

/* Go's uint8(f) on amd64: through int64, out-of-range and NaN giving 0x80...0. */
static unsigned go_uint8(double f)
{
    int64_t v = (f > -9223372036854775808.0 && f < 9223372036854775808.0) ? (int64_t)f
                                                                            : INT64_MIN;
    return (unsigned)(uint8_t)v;
}

void pw_dot_color(char dst[8], double score, bool background)
{
    const double shift = 0.7;
    double saturation = background ? 0.1 : 1.0;
    double value = background ? 0.93 : 0.7;
    /* math.Max/Min propagate NaN, as fmax/fmin do not */
    if (!isnan(score))
        score = score < -1.0 ? -1.0 : score > 1.0 ? 1.0 : score;
    if (fabs(score) < 0.2)
        saturation *= fabs(score) / 0.2;
    if (score > 0.0)
        score = pow(score, 1.0 - shift);
    if (score < 0.0)
        score = -pow(-score, 1.0 - shift);
    double r, g, b;
    if (score < 0.0) {
        g = value;
        r = value * (1 + saturation * score);
    } else {
        r = value;
        g = value * (1 - saturation * score);
    }
    b = value * (1 - saturation);
    snprintf(dst, 8, "#%02x%02x%02x", go_uint8(r * 255.0), go_uint8(g * 255.0),
             go_uint8(b * 255.0));
}

struct dot {
    struct pw_buf *out;
    const struct pw_dot_config *c;
    pw_dot_attrs_fn attrs;
    void *attrs_ctx;
};

static void fmt_value(const struct dot *d, int64_t v, char dst[VALUE_MAX])
{
    if (d->c->format_value)
        d->c->format_value(dst, VALUE_MAX, v, d->c->format_ctx);
    else
        snprintf(dst, VALUE_MAX, "%lld", (long long)v);
}

/* strings.TrimSpace(measurement.Percentage(v, total)) */
static void add_percentage(struct pw_buf *out, int64_t v, int64_t total)
{
    char p[PW_PERCENT_MAX];
    pw_buf_adds(out, pw_percentage_trimmed(p, v, total));
}

static void add_legend(const struct dot *d)
{
    const struct pw_dot_config *c = d->c;
    if (c->n_labels == 0)
        return;
    pw_buf_adds(d->out, "subgraph cluster_L { \"");
    pw_dot_escape(d->out, c->labels[0]);
    pw_buf_adds(d->out, "\" [shape=box fontsize=16 label=\"");
    for (size_t i = 0; i < c->n_labels; i++) {
        if (i)
            pw_buf_adds(d->out, "\\l");
        pw_dot_escape(d->out, c->labels[i]);
    }
    pw_buf_adds(d->out, "\\l\"");
    if (c->legend_url && c->legend_url[0])
        pw_buf_addf(d->out, " URL=\"%s\" target=\"_blank\"", c->legend_url);
    if (c->title && c->title[0])
        pw_buf_addf(d->out, " tooltip=\"%s\"", c->title);
    pw_buf_adds(d->out, "] }\n");
}

static void add_node(const struct dot *d, const struct pw_node *n, int id, double max_flat)
{
    struct pw_buf *out = d->out;
    int64_t flat = pw_node_flat_value(n), cum = pw_node_cum_value(n);
    const struct pw_dot_node_attrs *a = d->attrs ? d->attrs(n, d->attrs_ctx) : NULL;
    char flat_s[VALUE_MAX], cum_s[VALUE_MAX];
    fmt_value(d, flat, flat_s);
    memcpy(cum_s, flat_s, sizeof cum_s);

    pw_buf_addf(out, "N%d [label=\"", id);
    if (a && a->formatter)
        a->formatter(&n->info, out, a->formatter_ctx);
    else
        pw_dot_multiline_name(&n->info, out);
    if (flat != 0) {
        pw_buf_addf(out, "%s (", flat_s);
        add_percentage(out, flat, d->c->total);
        pw_buf_addc(out, ')');
    } else {
        pw_buf_addc(out, '0');
    }
    if (cum != flat) {
        pw_buf_adds(out, flat != 0 ? "\\n" : " ");
        fmt_value(d, cum, cum_s);
        pw_buf_addf(out, "of %s (", cum_s);
        add_percentage(out, cum, d->c->total);
        pw_buf_addc(out, ')');
    }
    int font = 8;
    if (max_flat != 0 && flat != 0 && (double)pw_wabs(flat) <= max_flat)
        font += (int)ceil(16.0 * sqrt((double)pw_wabs(flat) / max_flat));
    const char *shape = a && a->shape && a->shape[0] ? a->shape : "box";
    pw_buf_addf(out, "\" id=\"node%d\" fontsize=%d shape=%s tooltip=\"", id, font, shape);
    pw_dot_escape_n(out, n->printable_name, n->printable_name_len);
    double score = (double)cum / (double)pw_wabs(d->c->total);
    char fg[8], bg[8];
    pw_dot_color(fg, score, false);
    pw_dot_color(bg, score, true);
    pw_buf_addf(out, " (%s)\" color=\"%s\" fillcolor=\"%s\"", cum_s, fg, bg);
    if (a) {
        if (a->bold)
            pw_buf_adds(out, " style=\"bold,filled\"");
        if (a->peripheries != 0)
            pw_buf_addf(out, " peripheries=%d", a->peripheries);
        if (a->url && a->url[0])
            pw_buf_addf(out, " URL=\"%s\" target=\"_blank\"", a->url);
    }
    pw_buf_adds(out, "]\n");
}

/* pprof's tagDistance. */
static double tag_distance(const struct pw_tag *t, const struct pw_tag *u)
{
    double v = pw_scale(u->value, u->unit, t->unit, NULL);
    if (v < (double)t->value)
        return (double)t->value - v;
    return v - (double)t->value;
}

/* pprof's tagGroupLabel: fills the collapsed tag (name in arena). */
static void tag_group_label(struct pw_tag **grp, size_t n, struct pw_tag *out, struct pw_arena *a)
{
    char l1[VALUE_MAX], l2[VALUE_MAX];
    memset(out, 0, sizeof *out);
    if (n == 1) {
        pw_label(l1, sizeof l1, grp[0]->value, grp[0]->unit);
        out->name = pw_arena_strdup(a, l1);
        out->flat = pw_tag_flat_value(grp[0]);
        out->cum = pw_tag_cum_value(grp[0]);
        return;
    }
    const struct pw_tag *min = grp[0], *max = grp[0];
    uint64_t f = (uint64_t)min->flat, df = (uint64_t)min->flat_div;
    uint64_t c = (uint64_t)min->cum, dc = (uint64_t)min->cum_div;
    for (size_t i = 1; i < n; i++) {
        const struct pw_tag *t = grp[i];
        if (pw_go_int64(pw_scale(t->value, t->unit, min->unit, NULL)) < min->value)
            min = t;
        if (pw_go_int64(pw_scale(t->value, t->unit, max->unit, NULL)) > max->value)
            max = t;
        f += (uint64_t)t->flat;
        df += (uint64_t)t->flat_div;
        c += (uint64_t)t->cum;
        dc += (uint64_t)t->cum_div;
    }
    int64_t fv = (int64_t)f, cv = (int64_t)c;
    if ((int64_t)df != 0)
        fv = pw_wdiv(fv, (int64_t)df);
    if ((int64_t)dc != 0)
        cv = pw_wdiv(cv, (int64_t)dc);
    pw_label(l1, sizeof l1, min->value, min->unit);
    pw_label(l2, sizeof l2, max->value, max->unit);
    out->name = pw_arena_printf(a, "%s..%s", l1, l2);
    out->flat = fv;
    out->cum = cv;
}

/* pprof's collapsedTags: sorts ts (in place) and returns at most count tags, either the tags
 * themselves or group summaries allocated in the arena, in *res. */
static size_t collapsed_tags(struct pw_tag **ts, size_t n, size_t count, bool flat,
                             struct pw_tag **res, struct pw_arena *a)
{
    pw_tags_sort(ts, n, flat);
    if (n <= count) {
        memcpy(res, ts, n * sizeof *res);
        return n;
    }
    /* groups[i] lists tag indexes; the first is ts[i] */
    size_t *group_of = pw_xcalloc(n, sizeof *group_of);
    for (size_t i = 0; i < count; i++)
        group_of[i] = i;
    for (size_t j = count; j < n; j++) {
        size_t g = 0;
        double d = tag_distance(ts[j], ts[0]);
        for (size_t i = 1; i < count; i++) {
            double nd = tag_distance(ts[j], ts[i]);
            if (nd < d) {
                g = i;
                d = nd;
            }
        }
        group_of[j] = g;
    }
    struct pw_tag **grp = pw_xcalloc(n, sizeof *grp);
    for (size_t i = 0; i < count; i++) {
        size_t k = 0;
        for (size_t j = 0; j < n; j++)
            if (group_of[j] == i)
                grp[k++] = ts[j];
        struct pw_tag *t = pw_arena_calloc(a, 1, sizeof *t);
        tag_group_label(grp, k, t, a);
        res[i] = t;
    }
    free(grp);
    free(group_of);
    pw_tags_sort(res, count, flat);
    return count;
}

static void numeric_nodelets(const struct dot *d, const struct pw_tag_list *nts, bool flat_tags,
                             const char *source, struct pw_buf *out)
{
    struct pw_arena a;
    pw_arena_init(&a);
    struct pw_tag **ts = pw_xcalloc(nts->n, sizeof *ts);
    struct pw_tag **res = pw_xcalloc(nts->n, sizeof *res);
    memcpy(ts, nts->v, nts->n * sizeof *ts);
    size_t n = collapsed_tags(ts, nts->n, PW_MAX_NODELETS, flat_tags, res, &a);
    for (size_t j = 0; j < n; j++) {
        const struct pw_tag *t = res[j];
        int64_t w = pw_tag_cum_value(t);
        const char *attr = " style=\"dotted\"";
        if (flat_tags || pw_tag_flat_value(t) == pw_tag_cum_value(t)) {
            w = pw_tag_flat_value(t);
            attr = "";
        }
        if (w == 0)
            continue;
        char ws[VALUE_MAX];
        fmt_value(d, w, ws);
        pw_buf_addf(out,
                    "N%s_%zu [label = \"%s\" id=\"N%s_%zu\" fontsize=8 shape=box3d "
                    "tooltip=\"%s\"]\n",
                    source, j, t->name, source, j, ws);
        pw_buf_addf(out,
                    "%s -> N%s_%zu [label=\" %s\" weight=100 tooltip=\"%s\" "
                    "labeltooltip=\"%s\"%s]\n",
                    source, source, j, ws, ws, ws, attr);
    }
    free(ts);
    free(res);
    pw_arena_release(&a);
}

static const struct pw_tag_list *numeric_group(const struct pw_node *n, const char *labels)
{
    for (uint32_t i = 0; i < n->n_numeric_tags; i++)
        if (strcmp(n->numeric_tags[i].labels, labels) == 0)
            return n->numeric_tags[i].tags.n ? &n->numeric_tags[i].tags : NULL;
    return NULL;
}

/* pprof's addNodelets: true when anything was written. */
static bool add_nodelets(const struct dot *d, const struct pw_node *n, int id)
{
    struct pw_buf out;
    pw_buf_init(&out, 0);
    bool flat_tags = n->out.n > 0;
    size_t nt = n->label_tags.n;
    struct pw_tag **ts = pw_xcalloc(nt ? nt : 1, sizeof *ts);
    if (nt)
        memcpy(ts, n->label_tags.v, nt * sizeof *ts);
    pw_tags_sort(ts, nt, flat_tags);
    if (nt > PW_MAX_NODELETS)
        nt = PW_MAX_NODELETS;
    for (size_t i = 0; i < nt; i++) {
        const struct pw_tag *t = ts[i];
        int64_t w = flat_tags ? pw_tag_flat_value(t) : pw_tag_cum_value(t);
        if (w == 0)
            continue;
        char ws[VALUE_MAX];
        fmt_value(d, w, ws);
        pw_buf_addf(&out,
                    "N%d_%zu [label = \"%s\" id=\"N%d_%zu\" fontsize=8 shape=box3d "
                    "tooltip=\"%s\"]\n",
                    id, i, t->name, id, i, ws);
        pw_buf_addf(&out,
                    "N%d -> N%d_%zu [label=\" %s\" weight=100 tooltip=\"%s\" "
                    "labeltooltip=\"%s\"]\n",
                    id, id, i, ws, ws, ws);
        const struct pw_tag_list *nts = numeric_group(n, t->name);
        if (nts) {
            char source[64];
            snprintf(source, sizeof source, "N%d_%zu", id, i);
            numeric_nodelets(d, nts, flat_tags, source, &out);
        }
    }
    const struct pw_tag_list *nts = numeric_group(n, "");
    if (nts) {
        char source[32];
        snprintf(source, sizeof source, "N%d", id);
        numeric_nodelets(d, nts, flat_tags, source, &out);
    }
    bool any = out.len > 0;
    pw_buf_add(d->out, pw_buf_str(&out), out.len);
    pw_buf_release(&out);
    free(ts);
    return any;
}

static void add_edge(const struct dot *d, const struct pw_edge *e, int from, int to,
                     bool has_nodelets)
{
    struct pw_buf *out = d->out;
    int64_t wv = pw_edge_weight_value(e), total = d->c->total;
    char ws[VALUE_MAX];
    fmt_value(d, wv, ws);
    pw_buf_addf(out, "N%d -> N%d [label=\" %s%s\"", from, to, ws,
                e->is_inline ? "\\n (inline)" : "");
    if (total != 0) {
        /* int64 arithmetic wraps as Go's does */
        int64_t q = pw_wdiv(pw_wmul(wv, 100), total);
        int64_t m = pw_wabs(q) < 100 ? pw_wabs(q) : 100;
        int weight = 1 + (int)m;
        if (weight > 1)
            pw_buf_addf(out, " weight=%d", weight);
        q = pw_wdiv(pw_wmul(wv, 5), total);
        m = pw_wabs(q) < 5 ? pw_wabs(q) : 5;
        int width = 1 + (int)m;
        if (width > 1)
            pw_buf_addf(out, " penwidth=%d", width);
        char color[8];
        pw_dot_color(color, (double)wv / (double)pw_wabs(total), false);
        pw_buf_addf(out, " color=\"%s\"", color);
    }
    for (int i = 0; i < 2; i++) {
        pw_buf_adds(out, i == 0 ? " tooltip=\"" : " labeltooltip=\"");
        pw_dot_escape_n(out, e->src->printable_name, e->src->printable_name_len);
        pw_buf_adds(out, e->residual ? " ... " : " -> ");
        pw_dot_escape_n(out, e->dest->printable_name, e->dest->printable_name_len);
        pw_buf_addf(out, " (%s)\"", ws);
    }
    if (e->residual)
        pw_buf_adds(out, " style=\"dotted\"");
    if (has_nodelets)
        pw_buf_adds(out, " minlen=2");
    pw_buf_adds(out, "]\n");
}

void pw_compose_dot(struct pw_buf *out, const struct pw_graph *g, pw_dot_attrs_fn attrs,
                    void *attrs_ctx, const struct pw_dot_config *c)
{
    struct dot d = {out, c, attrs, attrs_ctx};
    pw_buf_addf(out, "digraph \"%s\" {\n", c->title && c->title[0] ? c->title : "unnamed");
    pw_buf_adds(out, "node [style=filled fillcolor=\"#f8f8f8\"]\n");
    add_legend(&d);
    if (g->n_nodes == 0) {
        pw_buf_adds(out, "}\n");
        return;
    }
    /* DOT ids by node id: 0 for nodes not listed, as pprof's map lookups give. */
    int *dot_id = pw_xcalloc(g->n_all ? g->n_all : 1, sizeof *dot_id);
    bool *nodelets = pw_xcalloc(g->n_all ? g->n_all : 1, sizeof *nodelets);
    double max_flat = (double)pw_wabs(pw_node_flat_value(g->nodes[0]));
    for (size_t i = 0; i < g->n_nodes; i++) {
        dot_id[g->nodes[i]->id] = (int)i + 1;
        double f = (double)pw_wabs(pw_node_flat_value(g->nodes[i]));
        if (f > max_flat)
            max_flat = f;
    }
    struct pw_edge_list all = {0};
    for (size_t i = 0; i < g->n_nodes; i++) {
        const struct pw_node *n = g->nodes[i];
        add_node(&d, n, (int)i + 1, max_flat);
        nodelets[n->id] = add_nodelets(&d, n, (int)i + 1);
        for (uint32_t j = 0; j < n->out.n; j++)
            gx_edge_list_push(&all, n->out.v[j]);
    }
    struct pw_edge **sorted = pw_xcalloc(all.n ? all.n : 1, sizeof *sorted);
    pw_edges_sort(&all, sorted);
    for (uint32_t i = 0; i < all.n; i++) {
        const struct pw_edge *e = sorted[i];
        add_edge(&d, e, dot_id[e->src->id], dot_id[e->dest->id], nodelets[e->src->id]);
    }
    free(sorted);
    free(all.v);
    free(dot_id);
    free(nodelets);
    pw_buf_adds(out, "}\n");
}
