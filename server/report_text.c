/* report_text: pprof's plain-text formats over a built report: -top (printText), -peek and
 * -tree (printTree), -traces (printTraces) and the -dot glue (GetDOT). Column widths and number
 * formats are Go's
 * ("%10s" pads by runes, percentages come from measurement.c). Output is appended to the
 * caller's buffer; strings come from the report's arena or graph. */
#include "pprofweb/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/dotgraph.h"
#include "pprofweb/graph.h"
#include "pprofweb/measurement.h"
#include "pprofweb/regex.h"
#include "pprofweb/wrap.h"

/* Go's fmt "%<width>s": pads on the left to width runes. */
static void add_padded(struct pw_buf *out, const char *s, size_t width)
{
    size_t runes = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if ((*c & 0xC0) != 0x80)
            runes++;
    if (runes < width)
        pw_buf_pad(out, ' ', width - runes);
    pw_buf_adds(out, s);
}

static void add_lines(struct pw_buf *out, const char **lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pw_buf_adds(out, lines[i]);
        pw_buf_addc(out, '\n');
    }
    if (n == 0)
        pw_buf_addc(out, '\n');
}

void pw_report_print_text(struct pw_report *r, struct pw_buf *out)
{
    size_t n_items, n_labels;
    struct pw_text_item *items = pw_report_text_items(r, &n_items);
    const char **labels = pw_report_labels(r, false, &n_labels);
    add_lines(out, labels, n_labels);
    pw_buf_addf(out, "%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum", "cum");
    int64_t flat_sum = 0;
    for (size_t i = 0; i < n_items; i++) {
        const struct pw_text_item *it = &items[i];
        char p1[PW_PERCENT_MAX], p2[PW_PERCENT_MAX], p3[PW_PERCENT_MAX];
        flat_sum = pw_wadd(flat_sum, it->flat);
        pw_buf_addf(out, "%10s %s %s %10s %s  ", it->flat_fmt,
                    pw_percentage(p1, it->flat, r->total), pw_percentage(p2, flat_sum, r->total),
                    it->cum_fmt, pw_percentage(p3, it->cum, r->total));
        pw_buf_add(out, it->name, it->name_len);
        pw_buf_addf(out, "%s%s\n", *it->inline_label ? " " : "", it->inline_label);
    }
}

static void print_edge(struct pw_report *r, struct pw_buf *out, const struct pw_edge *e,
                       int64_t cum, const struct pw_node *other)
{
    char v[PW_VALUE_MAX], pct[PW_PERCENT_MAX];
    pw_buf_addf(out, "%50s %s |   ", pw_report_format_value(r, e->weight, v),
                pw_percentage(pct, e->weight, cum));
    pw_buf_add(out, other->printable_name, other->printable_name_len);
    pw_buf_adds(out, e->is_inline ? " (inline)\n" : "\n");
}

int pw_report_print_tree(struct pw_report *r, struct pw_buf *out, struct pw_err *err)
{
    static const char separator[] =
        "----------------------------------------------------------+-------------\n";
    static const char legend[] =
        "      flat  flat%   sum%        cum   cum%   calls calls% + context \t \t \n";
    struct pw_graph *g = pw_report_graph(r);
    size_t n_labels;
    const char **labels = pw_report_labels(r, false, &n_labels);
    add_lines(out, labels, n_labels);
    pw_buf_adds(out, separator);
    pw_buf_adds(out, legend);

    int64_t flat_sum = 0;
    size_t matched = 0, cap = 0;
    struct pw_edge **edges = NULL;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const struct pw_node *n = g->nodes[i];
        int64_t flat = pw_node_flat_value(n), cum = pw_node_cum_value(n);
        if (r->opt.symbol_rx &&
            !pw_regex_match(r->opt.symbol_rx, n->printable_name, n->printable_name_len))
            continue;
        matched++;
        pw_buf_adds(out, separator);
        PW_GROW(edges, cap, (size_t)n->in.n + n->out.n + 1);
        pw_edges_sort(&n->in, edges);
        for (uint32_t j = 0; j < n->in.n; j++)
            print_edge(r, out, edges[j], cum, edges[j]->src);
        flat_sum = pw_wadd(flat_sum, flat);
        char f[PW_VALUE_MAX], c[PW_VALUE_MAX], p1[PW_PERCENT_MAX], p2[PW_PERCENT_MAX],
            p3[PW_PERCENT_MAX];
        pw_buf_addf(out, "%10s %s %s %10s %s                | ",
                    pw_report_format_value(r, flat, f), pw_percentage(p1, flat, r->total),
                    pw_percentage(p2, flat_sum, r->total), pw_report_format_value(r, cum, c),
                    pw_percentage(p3, cum, r->total));
        pw_buf_add(out, n->printable_name, n->printable_name_len);
        pw_buf_addc(out, '\n');
        pw_edges_sort(&n->out, edges);
        for (uint32_t j = 0; j < n->out.n; j++)
            print_edge(r, out, edges[j], cum, edges[j]->dest);
    }
    free(edges);
    if (g->n_nodes > 0)
        pw_buf_adds(out, separator);
    if (r->opt.symbol_rx && matched == 0)
        return pw_fail(err, PW_EINVAL, "no matches found for regexp: %s", r->opt.symbol);
    return 0;
}

/* ---- traces ---- */

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Prints the labels of one sample, "%10s:  v1 v2" per key, string keys then numeric keys, each
 * group in sorted line order (pprof sorts the formatted lines). */
static void print_sample_labels(struct pw_report *r, struct pw_buf *out, const struct pw_sample *s,
                                bool numeric)
{
    const struct pw_profile *p = r->prof;
    const char **lines = NULL;
    size_t n = 0, cap = 0;
    struct pw_buf line;
    pw_buf_init(&line, 0);
    for (uint32_t i = 0; i < s->n_labels; i++) {
        const struct pw_label *l = &s->labels[i];
        if (l->is_num != numeric)
            continue;
        bool seen = false;
        for (uint32_t j = 0; j < i && !seen; j++)
            seen = s->labels[j].key == l->key && s->labels[j].is_num == numeric;
        if (seen)
            continue;
        pw_buf_reset(&line);
        add_padded(&line, pw_s(p, l->key), 10);
        pw_buf_adds(&line, ":  ");
        const char *unit = numeric ? pw_report_num_label_unit(r, l->key) : NULL;
        bool first = true;
        for (uint32_t j = i; j < s->n_labels; j++) {
            const struct pw_label *v = &s->labels[j];
            if (v->key != l->key || v->is_num != numeric)
                continue;
            if (!first)
                pw_buf_addc(&line, ' ');
            first = false;
            if (numeric) {
                char tmp[PW_VALUE_MAX];
                pw_label(tmp, sizeof(tmp), v->num, unit);
                pw_buf_adds(&line, tmp);
            } else {
                pw_buf_adds(&line, pw_s(p, v->str));
            }
        }
        pw_buf_addc(&line, '\n');
        PW_GROW(lines, cap, n + 1);
        lines[n++] = pw_arena_strdup(&r->arena, pw_buf_str(&line));
    }
    pw_buf_release(&line);
    if (n > 1)
        qsort(lines, n, sizeof(*lines), cmp_cstr);
    for (size_t i = 0; i < n; i++)
        pw_buf_adds(out, lines[i]);
    free(lines);
}

void pw_report_print_traces(struct pw_report *r, struct pw_buf *out)
{
    static const char separator[] =
        "-----------+-------------------------------------------------------\n";
    size_t n_labels;
    const char **labels = pw_report_profile_labels(r, &n_labels);
    add_lines(out, labels, n_labels);

    const struct pw_profile *p = r->prof;
    struct pw_graph_options go = {.mean_divisor_index = PW_NONE};
    struct pw_node ***locs;
    uint32_t *n_loc_nodes;
    struct pw_graph *g = pw_graph_create_nodes(p, &go, &locs, &n_loc_nodes);
    for (size_t i = 0; i < p->n_samples; i++) {
        const struct pw_sample *s = &p->samples[i];
        size_t depth = 0;
        for (uint32_t j = 0; j < s->n_locs; j++)
            depth += n_loc_nodes[s->locs[j]];
        if (depth == 0)
            continue;
        pw_buf_adds(out, separator);
        print_sample_labels(r, out, s, false);
        print_sample_labels(r, out, s, true);
        int64_t v = s->values[r->opt.sample_index];
        int64_t d = r->opt.mean ? s->values[0] : 0;
        if (d != 0)
            v /= d;
        bool first = true;
        for (uint32_t j = 0; j < s->n_locs; j++) {
            uint32_t loc = s->locs[j];
            for (uint32_t k = 0; k < n_loc_nodes[loc]; k++) {
                const struct pw_node *node = locs[loc][k];
                char vs[PW_VALUE_MAX] = "";
                if (first)
                    pw_report_format_value(r, v, vs);
                first = false;
                pw_buf_addf(out, "%10s   ", vs);
                if (node)
                    pw_buf_add(out, node->printable_name, node->printable_name_len);
                pw_buf_adds(out, k != n_loc_nodes[loc] - 1 ? " (inline)\n" : "\n");
            }
        }
    }
    pw_buf_adds(out, separator);
    pw_graph_free(g);
}

/* DotConfig.FormatValue: the report's value format. */
static void dot_format_value(char *dst, size_t cap, int64_t value, void *ctx)
{
    char tmp[PW_VALUE_MAX];
    snprintf(dst, cap, "%s", pw_report_format_value(ctx, value, tmp));
}

/* pprof's GetDOT + printDOT. */
int pw_report_print_dot(struct pw_report *r, struct pw_buf *out, struct pw_err *err)
{
    if (pw_report_graph_check(r, err))
        return -1;
    struct pw_graph *g = pw_report_graph(r);
    size_t n_labels;
    const char **labels = pw_report_labels(r, true, &n_labels);
    struct pw_dot_config c = {
        .title = r->opt.title,
        .labels = labels,
        .n_labels = n_labels,
        .format_value = dot_format_value,
        .format_ctx = r,
        .total = r->total,
    };
    pw_compose_dot(out, g, NULL, NULL, &c);
    return 0;
}
