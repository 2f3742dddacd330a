/* views_json: the JSON documents of the web UI's views. Each view builds a pprof report
 * (report.h) of the matching command on the borrowed profile, with the request's settings
 * adjusted as pprof's web UI adjusts them (peek: line granularity, f is both the focus and the
 * symbol; source: f is the symbol too), and writes the report's rows, headers and warnings as
 * JSON. Formatted numbers are the report's own strings, so the page shows exactly what the text
 * reports print; raw numbers are sent beside them for sorting and colouring.
 * Nothing allocated here outlives a call; the report is freed before returning. */
#include "pprofweb/views.h"

#include <stdlib.h>
#include <string.h>

#include "pprofweb/filter.h"
#include "pprofweb/gofmt.h"
#include "pprofweb/graph.h"
#include "pprofweb/json.h"
#include "pprofweb/memstats.h"
#include "pprofweb/measurement.h"
#include "pprofweb/parallel.h"
#include "pprofweb/regex.h"
#include "pprofweb/report.h"
#include "pprofweb/wrap.h"

/* Writes a percentage as pprof formats it, without its padding. */
void pw_view_json_pct(struct pw_json *j, int64_t v, int64_t total)
{
    char tmp[PW_PERCENT_MAX];
    pw_json_str(j, pw_percentage_trimmed(tmp, v, total));
}

static void json_lines(struct pw_json *j, const char *key, const char **lines, size_t n)
{
    pw_json_key(j, key);
    pw_json_arr_begin(j);
    for (size_t i = 0; i < n; i++)
        pw_json_str(j, lines[i]);
    pw_json_arr_end(j);
}

/* Warnings pprof prints on stderr, one per line, as an array. */
void pw_view_json_warnings(struct pw_json *j, const struct pw_buf *warn)
{
    pw_json_key(j, "warnings");
    pw_json_arr_begin(j);
    const char *s = warn->data ? warn->data : "";
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        if (n)
            pw_json_strn(j, s, n);
        s += n + (nl ? 1 : 0);
    }
    pw_json_arr_end(j);
}

/* "compare": what the view compares, for the page's words ("heap 14:05 minus heap 13:05"). */
static void json_compare(struct pw_json *j, const struct pw_view_compare *c)
{
    char t[96];
    pw_json_key(j, "compare");
    pw_json_obj_begin(j);
    pw_json_kstr(j, "kind", c->kind);
    pw_json_kbool(j, "normalize", c->normalize);
    pw_json_kint(j, "time_nanos", c->orig->time_nanos);
    pw_json_key(j, "base");
    pw_json_obj_begin(j);
    pw_json_kstr(j, "id", c->id);
    pw_json_kstr(j, "name", c->name);
    pw_json_kint(j, "time_nanos", c->base->time_nanos);
    pw_go_time_string(c->base->time_nanos, t, sizeof(t));
    pw_json_kstr(j, "time", c->base->time_nanos ? t : "");
    pw_json_obj_end(j);
    pw_json_obj_end(j);
}

/* Fields every view document starts with. */
void pw_view_json_common(struct pw_json *j, const struct pw_view_args *a, const char *view)
{
    pw_json_kstr(j, "view", view);
    pw_json_kstr(j, "id", a->id);
    pw_json_kstr(j, "name", a->name);
    struct pw_buf q;
    pw_buf_init(&q, 1 << 20);
    pw_query_format(a->cfg, NULL, &q);
    pw_json_kstr(j, "query", pw_buf_str(&q));
    pw_buf_release(&q);
    if (a->cmp)
        json_compare(j, a->cmp);
}

/* The legend is pprof's report labels, or for the source listing its profile labels only (as
 * pprof's source page: the listing has no trimmed graph to account for). */
static void json_report_header(struct pw_json *j, struct pw_report *r)
{
    size_t n;
    const char **labels = r->opt.format == PW_REPORT_LIST ? pw_report_profile_labels(r, &n)
                                                          : pw_report_labels(r, false, &n);
    json_lines(j, "legend", labels, n);
    char tmp[PW_VALUE_MAX];
    pw_json_kint(j, "total", r->total);
    pw_json_kstr(j, "total_fmt", pw_report_format_value(r, r->total, tmp));
    pw_json_kstr(j, "sample_type", r->opt.sample_type);
    pw_json_kstr(j, "unit", r->opt.output_unit);
}

int pw_view_check(const struct pw_view_args *a, struct pw_err *err)
{
    const struct pw_config *c = a->cfg;
    uint32_t si;
    if (pw_sample_index(a->p, c->sample_index, &si, err))
        return -1;
    const struct {
        const char *name, *value;
    } res[] = {{"focus", c->focus}, {"ignore", c->ignore},       {"hide", c->hide},
               {"show", c->show},   {"show_from", c->show_from}, {"prune_from", c->prune_from},
               {"tagshow", c->tagshow}, {"taghide", c->taghide}};
    for (size_t i = 0; i < sizeof(res) / sizeof(*res); i++) {
        if (!res[i].value || !*res[i].value)
            continue;
        struct pw_regex *re = pw_regex_compile(res[i].value, err);
        if (!re)
            return pw_err_prefix(err, "parsing %s regexp: ", res[i].name);
        pw_regex_free(re);
    }
    const struct {
        const char *name, *value;
    } tags[] = {{"tagfocus", c->tagfocus}, {"tagignore", c->tagignore}};
    for (size_t i = 0; i < 2; i++) {
        if (!tags[i].value || !*tags[i].value)
            continue;
        err->code = PW_OK;
        struct pw_tag_filter *f = pw_tag_filter_compile(a->p, tags[i].name, tags[i].value,
                                                        NULL, err);
        if (!f && err->code != PW_OK)
            return -1;
        pw_tag_filter_free(f);
    }
    return 0;
}

/* --- meta --- */

static bool has_key(const pw_str *keys, size_t n, pw_str k)
{
    for (size_t i = 0; i < n; i++)
        if (keys[i] == k)
            return true;
    return false;
}

/* The label keys samples carry, string and numeric, in first-seen order. */
static void json_label_keys(struct pw_json *j, const struct pw_profile *p)
{
    pw_str *skeys = NULL, *nkeys = NULL;
    size_t ns = 0, nn = 0, cs = 0, cn = 0;
    for (size_t i = 0; i < p->n_samples; i++) {
        const struct pw_sample *s = &p->samples[i];
        for (uint32_t k = 0; k < s->n_labels; k++) {
            const struct pw_label *l = &s->labels[k];
            if (l->is_num && !has_key(nkeys, nn, l->key)) {
                PW_GROW(nkeys, cn, nn + 1);
                nkeys[nn++] = l->key;
            } else if (!l->is_num && !has_key(skeys, ns, l->key)) {
                PW_GROW(skeys, cs, ns + 1);
                skeys[ns++] = l->key;
            }
        }
    }
    pw_json_key(j, "label_keys");
    pw_json_obj_begin(j);
    pw_json_key(j, "string");
    pw_json_arr_begin(j);
    for (size_t i = 0; i < ns; i++)
        pw_json_str(j, pw_s(p, skeys[i]));
    pw_json_arr_end(j);
    pw_json_key(j, "numeric");
    pw_json_arr_begin(j);
    for (size_t i = 0; i < nn; i++)
        pw_json_str(j, pw_s(p, nkeys[i]));
    pw_json_arr_end(j);
    pw_json_obj_end(j);
    free(skeys);
    free(nkeys);
}

int pw_view_meta(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err)
{
    const struct pw_profile *p = a->p;
    uint32_t si, def;
    if (pw_sample_index(p, a->cfg->sample_index, &si, err))
        return -1;
    if (pw_sample_index(p, NULL, &def, err))
        return -1;
    struct pw_json j;
    pw_json_init(&j, out);
    pw_json_obj_begin(&j);
    pw_view_json_common(&j, a, "meta");
    struct pw_buf q;
    pw_buf_init(&q, 1 << 20);
    pw_query_format(a->base, NULL, &q);
    pw_json_kstr(&j, "base_query", pw_buf_str(&q));
    pw_buf_release(&q);

    /* Per sample type: the total of absolute values (pprof's total) and whether any is
     * negative (a diff). */
    int64_t *totals = pw_xcalloc(p->n_sample_types + 1, sizeof(*totals));
    bool negative = false;
    for (size_t i = 0; i < p->n_samples; i++) {
        for (uint32_t k = 0; k < p->n_sample_types; k++) {
            int64_t v = p->samples[i].values[k];
            negative |= v < 0;
            totals[k] += v < 0 ? -(uint64_t)v : (uint64_t)v;
        }
    }
    pw_json_key(&j, "sample_types");
    pw_json_arr_begin(&j);
    for (uint32_t k = 0; k < p->n_sample_types; k++) {
        const char *unit = pw_s(p, p->sample_types[k].unit);
        char label[PW_VALUE_MAX];
        pw_label(label, sizeof(label), totals[k], unit);
        pw_json_obj_begin(&j);
        pw_json_kstr(&j, "type", pw_s(p, p->sample_types[k].type));
        pw_json_kstr(&j, "unit", unit);
        pw_json_kint(&j, "total", totals[k]);
        pw_json_kstr(&j, "total_fmt", label);
        pw_json_obj_end(&j);
    }
    pw_json_arr_end(&j);
    free(totals);
    pw_json_kint(&j, "sample_index", si);
    pw_json_kint(&j, "default_sample_index", def);
    pw_json_kint(&j, "samples", (int64_t)p->n_samples);
    pw_json_kbool(&j, "diff", negative);
    char tmp[128];
    if (p->time_nanos) {
        pw_go_time_string(p->time_nanos, tmp, sizeof(tmp));
        pw_json_kstr(&j, "time", tmp);
    }
    pw_json_kint(&j, "time_nanos", p->time_nanos);
    if (p->duration_nanos) {
        pw_go_duration_string(p->duration_nanos, tmp, sizeof(tmp));
        pw_json_kstr(&j, "duration", tmp);
    }
    pw_json_kint(&j, "duration_nanos", p->duration_nanos);
    if (p->has_period_type) {
        pw_json_key(&j, "period_type");
        pw_json_obj_begin(&j);
        pw_json_kstr(&j, "type", pw_s(p, p->period_type.type));
        pw_json_kstr(&j, "unit", pw_s(p, p->period_type.unit));
        pw_json_obj_end(&j);
    }
    pw_json_kint(&j, "period", p->period);
    pw_json_key(&j, "comments");
    pw_json_arr_begin(&j);
    for (uint32_t i = 0; i < p->n_comments; i++)
        if (!p->memstats || strcmp(pw_s(p, p->comments[i]), p->memstats)) /* shown on its own */
            pw_json_str(&j, pw_s(p, p->comments[i]));
    pw_json_arr_end(&j);
    pw_json_kstr(&j, "memstats", p->memstats);
    struct pw_memstats ms;
    if (p->memstats && !pw_memstats_parse(p->memstats, strlen(p->memstats), &ms, NULL)) {
        pw_json_key(&j, "memstats_fields");
        pw_memstats_json(&ms, &j);
    }
    pw_json_kbool(&j, "names_from_comments", p->names_from_comments);
    pw_json_kbool(&j, "gctrace", p->gctrace != NULL);
    json_label_keys(&j, p);
    pw_json_key(&j, "mappings");
    pw_json_arr_begin(&j);
    for (uint32_t i = 0; i < p->n_mappings; i++) {
        const struct pw_mapping *m = &p->mappings[i];
        pw_json_obj_begin(&j);
        pw_json_kstr(&j, "file", pw_s(p, m->file));
        pw_json_kstr(&j, "build_id", pw_s(p, m->build_id));
        pw_json_obj_end(&j);
    }
    pw_json_arr_end(&j);
    pw_json_obj_end(&j);
    return 0;
}

/* --- top --- */

/* A comparison's row: flat and cum of the base and of the new profile (the row's flat and cum
 * are the change), formatted as the report formats values. */
static void json_base_new(struct pw_json *j, struct pw_report *r,
                          const struct pw_compare_rows *cmp, const struct pw_text_item *it,
                          struct pw_format_memo *values)
{
    int64_t flat, cum;
    pw_compare_rows_base(cmp, it, &flat, &cum);
    const struct {
        const char *key, *fmt_key;
        int64_t v;
    } vals[] = {{"base_flat", "base_flat_fmt", flat},
                {"base_cum", "base_cum_fmt", cum},
                {"new_flat", "new_flat_fmt", it->flat + flat},
                {"new_cum", "new_cum_fmt", it->cum + cum}};
    for (size_t i = 0; i < 4; i++) {
        pw_json_kint(j, vals[i].key, vals[i].v);
        pw_json_kstr(j, vals[i].fmt_key, pw_report_format_value_memo(values, r, vals[i].v));
    }
}

/* Rows of a top written by two threads from this many: a large profile's top has tens of
 * thousands of rows, a few hundred MB of instructions of number formatting and escaping. */
#define TOP_ROWS_PARALLEL 4096

/* Rows [from, to) of a top, written into j (whose container is the rows array). */
struct rows_part {
    struct pw_report *r;
    const struct pw_text_item *items;
    const struct pw_compare_rows *cmp;
    size_t from, to;
    int64_t sum; /* flat of the rows before from */
    struct pw_json j;
    struct pw_buf buf; /* the second part's rows, appended to the document once done */
};

static void *write_rows(void *arg)
{
    struct rows_part *part = arg;
    struct pw_json *j = &part->j;
    struct pw_report *r = part->r;
    /* Rows repeat the same few values: each is formatted once (sum_pct, nearly always new, is
     * not kept). */
    struct pw_arena memo_arena;
    pw_arena_init(&memo_arena);
    struct pw_format_memo pcts, values;
    pw_format_memo_init(&pcts, &memo_arena);
    pw_format_memo_init(&values, &memo_arena);
    int64_t sum = part->sum;
    for (size_t i = part->from; i < part->to && !j->out->overflow; i++) {
        const struct pw_text_item *it = &part->items[i];
        sum = pw_wadd(sum, it->flat);
        pw_json_obj_begin(j);
        pw_json_key(j, "name");
        pw_json_strn(j, it->name, it->name_len);
        if (*it->inline_label)
            pw_json_kstr(j, "inline", it->inline_label);
        pw_json_kint(j, "flat", it->flat);
        pw_json_kstr(j, "flat_fmt", it->flat_fmt);
        pw_json_kstr(j, "flat_pct", pw_report_percentage_memo(&pcts, it->flat, r->total));
        pw_json_key(j, "sum_pct");
        pw_view_json_pct(j, sum, r->total);
        pw_json_kint(j, "cum", it->cum);
        pw_json_kstr(j, "cum_fmt", it->cum_fmt);
        pw_json_kstr(j, "cum_pct", pw_report_percentage_memo(&pcts, it->cum, r->total));
        if (part->cmp)
            json_base_new(j, r, part->cmp, it, &values);
        pw_json_obj_end(j);
    }
    pw_format_memo_release(&pcts);
    pw_format_memo_release(&values);
    pw_arena_release(&memo_arena);
    return NULL;
}

int pw_view_top(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err)
{
    struct pw_buf warn;
    pw_buf_init(&warn, 1 << 20);
    struct pw_report *r = pw_report_new(a->p, "top", NULL, a->cfg, &warn, err);
    if (!r) {
        pw_buf_release(&warn);
        return -1;
    }
    size_t n;
    struct pw_text_item *items = pw_report_text_items(r, &n);
    struct pw_compare_rows *cmp = pw_compare_rows_new(a);
    struct pw_json j;
    pw_json_init(&j, out);
    pw_json_obj_begin(&j);
    pw_view_json_common(&j, a, "top");
    json_report_header(&j, r);
    pw_view_json_warnings(&j, &warn);
    pw_json_key(&j, "rows");
    pw_json_arr_begin(&j);
    /* The first part writes into the document, the second into a buffer of its own whose writer
     * starts inside the rows array, after a row. */
    size_t n_parts = n >= TOP_ROWS_PARALLEL ? 2 : 1;
    struct rows_part parts[2];
    for (size_t k = 0; k < n_parts; k++)
        parts[k] = (struct rows_part){
            .r = r, .items = items, .cmp = cmp, .from = n * k / n_parts,
            .to = n * (k + 1) / n_parts, .j = j};
    if (n_parts == 2) {
        for (size_t i = 0; i < parts[1].from; i++)
            parts[1].sum = pw_wadd(parts[1].sum, items[i].flat);
        pw_buf_init(&parts[1].buf, out->max);
        pw_json_init(&parts[1].j, &parts[1].buf);
        parts[1].j.depth = j.depth;
        parts[1].j.has_items[j.depth - 1] = true;
    }
    pw_parallel_run(write_rows, parts, sizeof(*parts), n_parts);
    j = parts[0].j;
    if (n_parts == 2) {
        pw_buf_add(out, parts[1].buf.data, parts[1].buf.len);
        if (parts[1].buf.overflow)
            out->overflow = 1;
        pw_buf_release(&parts[1].buf);
    }
    pw_json_arr_end(&j);
    pw_json_obj_end(&j);
    pw_compare_rows_release(cmp);
    pw_report_free(r);
    pw_buf_release(&warn);
    return 0;
}

/* --- peek --- */

/* pprof's web peek: f is the focus (applied by the URL) and the symbol regexp, at line
 * granularity. */
static void json_edges(struct pw_json *j, struct pw_report *r, const char *key,
                       const struct pw_edge_list *l, struct pw_edge **tmp, int64_t cum,
                       bool callers)
{
    pw_edges_sort(l, tmp);
    pw_json_key(j, key);
    pw_json_arr_begin(j);
    for (uint32_t i = 0; i < l->n; i++) {
        const struct pw_edge *e = tmp[i];
        const struct pw_node *other = callers ? e->src : e->dest;
        char v[PW_VALUE_MAX];
        pw_json_obj_begin(j);
        pw_json_key(j, "name");
        pw_json_strn(j, other->printable_name, other->printable_name_len);
        pw_json_kint(j, "weight", e->weight);
        pw_json_kstr(j, "weight_fmt", pw_report_format_value(r, e->weight, v));
        pw_json_key(j, "pct");
        pw_view_json_pct(j, e->weight, cum);
        if (e->is_inline)
            pw_json_kbool(j, "inline", true);
        pw_json_obj_end(j);
    }
    pw_json_arr_end(j);
}

int pw_view_peek(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err)
{
    const char *sym = a->cfg->focus;
    if (!sym || !*sym)
        return pw_fail(err, PW_EINVAL, "peek needs a function regexp: add f=REGEXP to the URL");
    struct pw_config cfg = *a->cfg;
    cfg.granularity = PW_G_LINES;
    struct pw_buf warn;
    pw_buf_init(&warn, 1 << 20);
    struct pw_report *r = pw_report_new(a->p, "peek", sym, &cfg, &warn, err);
    if (!r) {
        pw_buf_release(&warn);
        return -1;
    }
    struct pw_graph *g = pw_report_graph(r);
    struct pw_json j;
    pw_json_init(&j, out);
    pw_json_obj_begin(&j);
    pw_view_json_common(&j, a, "peek");
    json_report_header(&j, r);
    pw_view_json_warnings(&j, &warn);
    pw_json_key(&j, "entries");
    pw_json_arr_begin(&j);
    struct pw_edge **tmp = NULL;
    size_t cap = 0, matched = 0;
    int64_t sum = 0;
    for (size_t i = 0; i < g->n_nodes && !out->overflow; i++) {
        const struct pw_node *n = g->nodes[i];
        if (r->opt.symbol_rx &&
            !pw_regex_match(r->opt.symbol_rx, n->printable_name, n->printable_name_len))
            continue;
        matched++;
        int64_t flat = pw_node_flat_value(n), cum = pw_node_cum_value(n);
        sum = pw_wadd(sum, flat);
        char f[PW_VALUE_MAX], c[PW_VALUE_MAX];
        PW_GROW(tmp, cap, (size_t)n->in.n + n->out.n + 1);
        pw_json_obj_begin(&j);
        pw_json_key(&j, "name");
        pw_json_strn(&j, n->printable_name, n->printable_name_len);
        pw_json_kint(&j, "flat", flat);
        pw_json_kstr(&j, "flat_fmt", pw_report_format_value(r, flat, f));
        pw_json_key(&j, "flat_pct");
        pw_view_json_pct(&j, flat, r->total);
        pw_json_key(&j, "sum_pct");
        pw_view_json_pct(&j, sum, r->total);
        pw_json_kint(&j, "cum", cum);
        pw_json_kstr(&j, "cum_fmt", pw_report_format_value(r, cum, c));
        pw_json_key(&j, "cum_pct");
        pw_view_json_pct(&j, cum, r->total);
        json_edges(&j, r, "callers", &n->in, tmp, cum, true);
        json_edges(&j, r, "callees", &n->out, tmp, cum, false);
        pw_json_obj_end(&j);
    }
    free(tmp);
    pw_json_arr_end(&j);
    pw_json_obj_end(&j);
    int rc = 0;
    if (matched == 0) {
        pw_buf_reset(out);
        rc = pw_fail(err, PW_EINVAL, "no matches found for regexp: %.200s", sym);
    }
    pw_report_free(r);
    pw_buf_release(&warn);
    return rc;
}

/* --- source --- */

int pw_view_source(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err)
{
    const char *sym = a->cfg->focus;
    if (!sym || !*sym)
        return pw_fail(err, PW_EINVAL,
                       "source needs a function regexp: add f=REGEXP to the URL");
    struct pw_buf warn, text;
    pw_buf_init(&warn, 1 << 20);
    pw_buf_init(&text, 0);
    struct pw_report *r = pw_report_new(a->p, "list", sym, a->cfg, &warn, err);
    int rc = -1;
    if (r && pw_report_print_source(r, &text, err) == 0) {
        struct pw_json j;
        pw_json_init(&j, out);
        pw_json_obj_begin(&j);
        pw_view_json_common(&j, a, "source");
        json_report_header(&j, r);
        pw_view_json_warnings(&j, &warn);
        pw_json_key(&j, "text");
        pw_json_strn(&j, text.data ? text.data : "", text.len);
        pw_json_obj_end(&j);
        rc = 0;
    }
    pw_report_free(r);
    pw_buf_release(&warn);
    pw_buf_release(&text);
    return rc;
}
