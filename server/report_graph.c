/* report_graph: the graph side of a report (pprof's newGraph, newTrimmedGraph, selectOutputUnit,
 * formatValue, ProfileLabels, reportLabels and TextItems). It builds the report's graph with
 * graph.c, trims it with the node count and fractions of the options, resolves the "minimum"
 * output unit, and produces the header lines and top rows that the text formats print and the
 * web views render. Everything returned lives in the report's arena or graph. */
#include "pprofweb/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pprofweb/gonames.h"
#include "pprofweb/graph.h"
#include "pprofweb/limits.h"
#include "pprofweb/measurement.h"
#include "pprofweb/wrap.h"

const char *pw_report_format_value(const struct pw_report *r, int64_t v, char dst[PW_VALUE_MAX])
{
    double ratio = r->opt.ratio;
    if (ratio > 0 && ratio != 1)
        v = pw_go_int64((double)v * ratio);
    pw_scaled_label(dst, PW_VALUE_MAX, v, r->opt.sample_unit, r->opt.output_unit);
    return dst;
}

/* Slots of a memo, a power of two (the top bits of a hash pick one): the rows of a large
 * profile have some ten thousand distinct values. */
#define MEMO_SLOTS 16384

void pw_format_memo_init(struct pw_format_memo *m, struct pw_arena *arena)
{
    m->arena = arena;
    m->slots = pw_xcalloc(MEMO_SLOTS, sizeof(*m->slots));
}

void pw_format_memo_release(struct pw_format_memo *m)
{
    free(m->slots);
    m->slots = NULL;
}

static struct pw_memo_slot *memo_slot(struct pw_format_memo *m, int64_t v)
{
    uint64_t h = (uint64_t)v * 0x9e3779b97f4a7c15ull;
    return &m->slots[h >> 50 & (MEMO_SLOTS - 1)];
}

/* The text kept for v in slot, or NULL when the slot holds another value's. */
static const char *memo_hit(const struct pw_memo_slot *slot, int64_t v)
{
    return slot->s && slot->v == v ? slot->s : NULL;
}

/* Keeps s, v's text, in slot (replacing what it held) and returns the kept copy. */
static const char *memo_keep(struct pw_format_memo *m, struct pw_memo_slot *slot, int64_t v,
                             const char *s)
{
    slot->s = pw_arena_strdup(m->arena, s);
    slot->v = v;
    return slot->s;
}

const char *pw_report_format_value_memo(struct pw_format_memo *m, const struct pw_report *r,
                                        int64_t v)
{
    struct pw_memo_slot *slot = memo_slot(m, v);
    const char *hit = memo_hit(slot, v);
    char tmp[PW_VALUE_MAX];
    return hit ? hit : memo_keep(m, slot, v, pw_report_format_value(r, v, tmp));
}

const char *pw_report_percentage_memo(struct pw_format_memo *m, int64_t v, int64_t total)
{
    struct pw_memo_slot *slot = memo_slot(m, v);
    const char *hit = memo_hit(slot, v);
    char tmp[PW_PERCENT_MAX];
    return hit ? hit : memo_keep(m, slot, v, pw_percentage_trimmed(tmp, v, total));
}

/* Splits a path list on ':' (Go's filepath.SplitList); returns the count, entries in out. */
static size_t split_list(const char *s, const char **start, size_t *len, size_t max)
{
    if (!*s)
        return 0;
    size_t n = 0;
    for (;;) {
        const char *colon = strchr(s, ':');
        size_t l = colon ? (size_t)(colon - s) : strlen(s);
        if (n < max) {
            start[n] = s;
            len[n] = l;
            n++;
        }
        if (!colon)
            return n;
        s = colon + 1;
    }
}

#define MAX_PATH_LIST 64

const char *pw_report_trim_path(const char *path, const char *trim_path, const char *search_path)
{
    const char *st[MAX_PATH_LIST + 2];
    size_t ln[MAX_PATH_LIST + 2];
    char want[4096];
    if (!trim_path || !*trim_path) {
        /* Guess: cut everything up to the base name of a search path directory. */
        size_t n = split_list(search_path ? search_path : "", st, ln, MAX_PATH_LIST);
        for (size_t i = 0; i < n; i++) {
            size_t e = ln[i];
            while (e > 0 && st[i][e - 1] == '/')
                e--;
            size_t b = e;
            while (b > 0 && st[i][b - 1] != '/')
                b--;
            if (e == 0) /* Go's Base: "." for "", "/" for all slashes */
                snprintf(want, sizeof(want), "/%s/", ln[i] ? "/" : ".");
            else
                snprintf(want, sizeof(want), "/%.*s/", (int)(e - b), st[i] + b);
            const char *found = strstr(path, want);
            if (found)
                return found + strlen(want);
        }
    }
    size_t n = split_list(trim_path ? trim_path : "", st, ln, MAX_PATH_LIST);
    st[n] = "/proc/self/cwd/./";
    ln[n++] = strlen("/proc/self/cwd/./");
    st[n] = "/proc/self/cwd/";
    ln[n++] = strlen("/proc/self/cwd/");
    for (size_t i = 0; i < n; i++) {
        size_t l = ln[i];
        if (l + 2 > sizeof(want))
            continue;
        memcpy(want, st[i], l);
        if (l == 0 || want[l - 1] != '/')
            want[l++] = '/';
        if (strncmp(path, want, l) == 0)
            return path + l;
    }
    return path;
}

static void format_tag(char *dst, size_t cap, int64_t value, const char *unit, void *ctx)
{
    const struct pw_report *r = ctx;
    pw_scaled_label(dst, cap, value, unit, r->opt.output_unit);
}

/* What of pprof's graph a report needs (see pw_graph_options). */
struct graph_parts {
    enum pw_graph_edges edges;
    bool no_tags, values_only;
    bool prune_tree; /* a call tree of only the contexts the node fraction keeps */
};
static const struct graph_parts ALL_PARTS = {PW_EDGES_ALL, false, false, false};
static const struct graph_parts NODES_ONLY = {PW_EDGES_NONE, true, false, false};
static const struct graph_parts VALUES_ONLY = {PW_EDGES_NONE, true, true, false};
static const struct graph_parts PRUNED_TREE = {PW_EDGES_ALL, false, false, true};
static const struct graph_parts TEXT_PARTS = {PW_EDGES_INLINE, true, false, false};
static const struct graph_parts TREE_PARTS = {PW_EDGES_ALL, true, false, false};

/* The labels a report's graph makes tags of: numeric ones of this key only, and every string
 * one but the label a diff base's samples carry. */
#define NUM_LABEL_KEY "bytes"
#define IGNORED_LABEL_KEY "pprof::base"

bool pw_report_graph_has_tags(const struct pw_profile *p)
{
    struct pw_graph_options go = {.num_label_key = NUM_LABEL_KEY,
                                  .ignore_label_key = IGNORED_LABEL_KEY};
    return pw_graph_has_tags(p, &go);
}

/* pprof's Report.newGraph: cleans file names, then builds the graph of the report's samples
 * (only "bytes" numeric labels, no diff-base label), restricted to kept when not NULL; node
 * values come from values (a graph of every node) when it is given and can give them. */
static struct pw_graph *new_graph(struct pw_report *r, const struct pw_node_set *kept,
                                  struct graph_parts parts, const struct pw_graph *values)
{
    struct pw_profile *p = r->prof;
    const struct pw_report_options *o = &r->opt;
    bool renamed = false;
    for (uint32_t i = 0; i < p->n_functions; i++) {
        struct pw_function *f = &p->functions[i];
        const char *name = pw_s(p, f->filename);
        const char *trimmed = pw_report_trim_path(name, o->trim_path, o->source_path);
        if (trimmed != name) {
            f->filename = pw_intern_cstr(p, trimmed);
            renamed = true;
        }
    }
    const char *bytes_unit = NULL;
    for (size_t i = 0; i < o->n_num_label_units; i++)
        if (strcmp(pw_s(p, o->num_label_units[i].key), NUM_LABEL_KEY) == 0)
            bytes_unit = o->num_label_units[i].unit;
    bool callgraph_format = o->format == PW_REPORT_DOT;
    struct pw_graph_options go = {
        .sample_index = o->sample_index,
        .mean_divisor_index = o->mean ? 0 : PW_NONE,
        .format_tag = format_tag,
        .format_tag_ctx = r,
        .num_label_key = NUM_LABEL_KEY,
        .num_label_unit = bytes_unit,
        .ignore_label_key = IGNORED_LABEL_KEY,
        .obj_names = o->format == PW_REPORT_RAW || o->format == PW_REPORT_LIST,
        .call_tree = o->call_tree && callgraph_format,
        .drop_negative = o->drop_negative,
        .kept_nodes = kept,
        .values_of = values,
        .edges = parts.edges,
        .no_tags = parts.no_tags,
        .values_only = parts.values_only,
        .tree_node_fraction = parts.prune_tree ? o->nodefraction : 0,
    };
    /* pprof trims the paths again for every graph; a path trimmed twice may change again. */
    if (renamed) {
        pw_graph_infos_free(r->graph_infos);
        r->graph_infos = NULL;
        values = NULL; /* made with the infos just freed */
    }
    if (!r->graph_infos)
        r->graph_infos = pw_graph_infos_new(p, &go);
    go.infos = r->graph_infos;
    return pw_graph_new(p, &go);
}

struct pw_graph *pw_report_new_graph(struct pw_report *r)
{
    return new_graph(r, NULL, NODES_ONLY, NULL);
}

/* pprof's newTrimmedGraph: drops nodes under the node fraction, keeps the top nodecount nodes,
 * drops light tags and edges. Rebuilding from samples keeps values exact. */
static struct pw_graph *new_trimmed_graph(struct pw_report *r)
{
    const struct pw_report_options *o = &r->opt;
    bool visual = o->format == PW_REPORT_DOT;
    bool call_tree = o->call_tree && visual;
    /* Which nodes pass the node fraction needs only their values: edges and tags, the costly
     * part on large profiles, are built once the kept nodes are known, and only where the
     * report shows them: the text report needs only the edges that tell inlined calls, the
     * tree (peek) no tags. */
    struct graph_parts parts = ALL_PARTS;
    if (o->format == PW_REPORT_TEXT)
        parts = o->no_inline_marks ? NODES_ONLY : TEXT_PARTS;
    else if (o->format == PW_REPORT_TREE)
        parts = TREE_PARTS;
    struct pw_graph *g = new_graph(r, NULL, call_tree ? PRUNED_TREE : VALUES_ONLY, NULL);
    if (g->too_large)
        return g; /* refused by pw_report_graph_check: trimming it would be wasted */
    /* The graphs rebuilt with fewer nodes take the values of their nodes from this one, which
     * has them all: only the edges they show are read from the samples again. */
    struct pw_graph *all = NULL;
    int64_t total_value, cum;
    pw_nodes_sum(g->nodes, g->n_nodes, &total_value, &cum);
    /* A pruned tree: the whole tree's total and node count. */
    total_value = pw_wadd(total_value, g->pruned_flat);
    size_t n_whole = g->n_nodes + g->n_pruned;
    int64_t node_cutoff = pw_wabs(pw_go_int64((double)total_value * o->nodefraction));
    int64_t edge_cutoff = pw_wabs(pw_go_int64((double)total_value * o->edgefraction));
    r->dropped_nodes = 0;
    if (node_cutoff > 0) {
        if (call_tree) {
            struct pw_node_ptr_set kept = {0};
            pw_graph_discard_low_frequency_node_ptrs(g, node_cutoff, &kept);
            if (kept.count != n_whole) {
                r->dropped_nodes = (int)(n_whole - kept.count);
                pw_graph_trim_tree(g, &kept);
            }
            pw_node_ptr_set_release(&kept);
        } else {
            struct pw_node_set *kept = pw_graph_discard_low_frequency_nodes(g, node_cutoff);
            bool dropped = pw_node_set_count(kept) != g->n_nodes;
            r->dropped_nodes = dropped ? (int)(g->n_nodes - pw_node_set_count(kept)) : 0;
            all = g;
            g = new_graph(r, dropped ? kept : NULL, parts, all);
            pw_node_set_free(kept);
        }
    } else if (!call_tree) {
        all = g;
        g = new_graph(r, NULL, parts, all);
    }
    r->orig_count = (int)g->n_nodes;

    pw_graph_sort_nodes(g, o->cum_sort, visual);
    if (o->nodecount > 0) {
        pw_graph_trim_low_frequency_tags(g, node_cutoff);
        pw_graph_trim_low_frequency_edges(g, edge_cutoff);
        if (call_tree) {
            struct pw_node_ptr_set kept = {0};
            pw_graph_select_top_node_ptrs(g, o->nodecount, visual, &kept);
            if (kept.count != g->n_nodes) {
                pw_graph_trim_tree(g, &kept);
                pw_graph_sort_nodes(g, o->cum_sort, visual);
            }
            pw_node_ptr_set_release(&kept);
        } else {
            struct pw_node_set *kept = pw_graph_select_top_nodes(g, o->nodecount, visual);
            if (pw_node_set_count(kept) != g->n_nodes) {
                pw_graph_free(g);
                g = new_graph(r, kept, parts, all);
                pw_graph_sort_nodes(g, o->cum_sort, visual);
            }
            pw_node_set_free(kept);
        }
    }
    pw_graph_trim_low_frequency_tags(g, node_cutoff);
    r->dropped_edges = (int)pw_graph_trim_low_frequency_edges(g, edge_cutoff);
    if (visual)
        pw_graph_remove_redundant_edges(g);
    pw_graph_free(all);
    return g;
}

/* pprof's selectOutputUnit: for "minimum", the unit of the smallest non-zero node value, one
 * step larger when that is over 100 times smaller than the total. */
static void select_output_unit(struct pw_report *r, const struct pw_graph *g)
{
    struct pw_report_options *o = &r->opt;
    if (strcmp(o->output_unit, "minimum") != 0 || g->n_nodes == 0)
        return;
    int64_t min_value = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        int64_t node_min = pw_wabs(pw_node_flat_value(g->nodes[i]));
        if (node_min == 0)
            node_min = pw_wabs(pw_node_cum_value(g->nodes[i]));
        if (node_min > 0 && (min_value == 0 || node_min < min_value))
            min_value = node_min;
    }
    int64_t max_value = r->total;
    if (min_value == 0)
        min_value = max_value;
    if (o->ratio > 0 && o->ratio != 1) {
        min_value = pw_go_int64((double)min_value * o->ratio);
        max_value = pw_go_int64((double)max_value * o->ratio);
    }
    const char *min_unit, *max_unit, *unit;
    pw_scale(min_value, o->sample_unit, "minimum", &min_unit);
    pw_scale(max_value, o->sample_unit, "minimum", &max_unit);
    unit = min_unit;
    if (strcmp(min_unit, max_unit) != 0 && min_value * 100 < max_value)
        pw_scale(100 * min_value, o->sample_unit, "minimum", &unit);
    o->output_unit = *unit ? pw_arena_strdup(&r->arena, unit) : o->sample_unit;
}

int pw_report_graph_check(struct pw_report *r, struct pw_err *err)
{
    if (!pw_report_graph(r)->too_large)
        return 0;
    return pw_fail(err, PW_ETOOBIG,
                   "the call tree has more than %zu calling contexts (limit); narrow it with "
                   "focus, hide or a coarser granularity, or leave call_tree off",
                   (size_t)PW_MAX_TREE_NODES);
}

struct pw_graph *pw_report_graph(struct pw_report *r)
{
    if (!r->graph) {
        r->graph = new_trimmed_graph(r);
        select_output_unit(r, r->graph);
    }
    return r->graph;
}

/* A growable list of lines, moved into the arena when done. */
struct lines {
    const char **v;
    size_t n, cap;
};

static void lines_add(struct lines *l, const char *s)
{
    PW_GROW(l->v, l->cap, l->n + 1);
    l->v[l->n++] = s;
}

static const char **lines_finish(struct pw_report *r, struct lines *l, size_t *n)
{
    const char **out = pw_arena_calloc(&r->arena, l->n + 1, sizeof(*out));
    if (l->n)
        memcpy(out, l->v, l->n * sizeof(*out));
    free(l->v);
    *n = l->n;
    return out;
}

/* Go's time.Format "Jan 2, 2006 at 3:04pm (MST)" in the local zone. */
static const char *format_time(struct pw_report *r, int64_t nanos)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t secs = (time_t)(nanos / 1000000000);
    if (nanos % 1000000000 < 0)
        secs--;
    struct tm tm;
    if (!localtime_r(&secs, &tm))
        return "";
    int hour = tm.tm_hour % 12;
    const char *zone = tm.tm_zone && *tm.tm_zone ? tm.tm_zone : NULL;
    char zbuf[16];
    if (!zone) {
        long off = tm.tm_gmtoff;
        snprintf(zbuf, sizeof(zbuf), "%c%02ld%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
                 labs(off) / 60 % 60);
        zone = zbuf;
    }
    return pw_arena_printf(&r->arena, "Time: %s %d, %d at %d:%02d%s (%s)", months[tm.tm_mon],
                           tm.tm_mday, tm.tm_year + 1900, hour ? hour : 12, tm.tm_min,
                           tm.tm_hour < 12 ? "am" : "pm", zone);
}

static void profile_labels(struct pw_report *r, struct lines *l)
{
    const struct pw_profile *p = r->prof;
    if (p->n_mappings > 0) {
        const char *file = pw_s(p, p->mappings[0].file);
        if (*file) {
            size_t e = strlen(file);
            while (e > 0 && file[e - 1] == '/')
                e--;
            size_t b = e;
            while (b > 0 && file[b - 1] != '/')
                b--;
            lines_add(l, e == 0 ? "File: /"
                                : pw_arena_printf(&r->arena, "File: %.*s", (int)(e - b), file + b));
        }
        const char *build_id = pw_s(p, p->mappings[0].build_id);
        if (*build_id)
            lines_add(l, pw_arena_printf(&r->arena, "Build ID: %s", build_id));
    }
    for (uint32_t i = 0; i < p->n_comments; i++) {
        const char *c = pw_s(p, p->comments[i]);
        if (c[0] != '#')
            lines_add(l, c);
    }
    if (*r->opt.sample_type)
        lines_add(l, pw_arena_printf(&r->arena, "Type: %s", r->opt.sample_type));
    if (p->time_nanos != 0)
        lines_add(l, format_time(r, p->time_nanos));
    if (p->names_from_comments)
        lines_add(l, PW_GONAMES_LEGEND);
    if (p->duration_nanos != 0) {
        char duration[PW_VALUE_MAX], total[PW_VALUE_MAX], pct[PW_PERCENT_MAX];
        pw_label(duration, sizeof(duration), p->duration_nanos, "nanoseconds");
        const char *unit;
        double total_nanos = pw_scale(r->total, r->opt.sample_unit, "nanoseconds", &unit);
        const char *ratio = "";
        if (strcmp(unit, "ns") == 0 && total_nanos != 0)
            ratio = pw_arena_printf(&r->arena, "(%s)",
                                    pw_percentage(pct, (int64_t)total_nanos, p->duration_nanos));
        lines_add(l, pw_arena_printf(&r->arena, "Duration: %s, Total samples = %s %s", duration,
                                     pw_report_format_value(r, r->total, total), ratio));
    }
}

const char **pw_report_profile_labels(struct pw_report *r, size_t *n)
{
    struct lines l = {0};
    profile_labels(r, &l);
    return lines_finish(r, &l, n);
}

static const char *gen_label(struct pw_report *r, int d, const char *noun, const char *what,
                             double fraction)
{
    char v[PW_VALUE_MAX];
    pw_report_format_value(r, pw_wabs(pw_go_int64((double)r->total * fraction)), v);
    return pw_arena_printf(&r->arena, "Dropped %d %s%s (%s <= %s)", d, noun, d > 1 ? "s" : "", what,
                           v);
}

const char **pw_report_labels(struct pw_report *r, bool full_headers, size_t *n)
{
    struct pw_graph *g = pw_report_graph(r);
    const struct pw_report_options *o = &r->opt;
    struct lines l = {0};
    if (full_headers || !o->compact_labels)
        profile_labels(r, &l);
    int64_t flat_sum = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        flat_sum = pw_wadd(flat_sum, pw_node_flat_value(g->nodes[i]));
    if (o->n_active_filters > 0) {
        lines_add(&l, "Active filters:");
        for (size_t i = 0; i < o->n_active_filters; i++) {
            const char *s = o->active_filters[i];
            if (strlen(s) > 80) /* pprof cuts bytes, not runes */
                lines_add(&l, pw_arena_printf(&r->arena, "   %.80s\xe2\x80\xa6", s));
            else
                lines_add(&l, pw_arena_printf(&r->arena, "   %s", s));
        }
    }
    char a[PW_VALUE_MAX], b[PW_VALUE_MAX], pct[PW_PERCENT_MAX];
    const char *p = pw_percentage(pct, flat_sum, r->total);
    while (*p == ' ')
        p++;
    lines_add(&l, pw_arena_printf(&r->arena, "Showing nodes accounting for %s, %s of %s total",
                                  pw_report_format_value(r, flat_sum, a), p,
                                  pw_report_format_value(r, r->total, b)));
    if (r->total != 0) {
        if (r->dropped_nodes > 0)
            lines_add(&l, gen_label(r, r->dropped_nodes, "node", "cum", o->nodefraction));
        if (full_headers && r->dropped_edges > 0)
            lines_add(&l, gen_label(r, r->dropped_edges, "edge", "freq", o->edgefraction));
        if (g->n_nodes > 0 && (int)g->n_nodes < r->orig_count)
            lines_add(&l, pw_arena_printf(&r->arena, "Showing top %zu nodes out of %d", g->n_nodes,
                                          r->orig_count));
    }
    if (full_headers)
        lines_add(&l, "\nSee https://git.io/JfYMW for how to read the graph");
    return lines_finish(r, &l, n);
}

struct pw_text_item *pw_report_text_items(struct pw_report *r, size_t *n)
{
    struct pw_graph *g = pw_report_graph(r);
    struct pw_text_item *items = pw_arena_calloc(&r->arena, g->n_nodes + 1, sizeof(*items));
    struct pw_format_memo memo; /* rows share their strings: they live as long as the report */
    pw_format_memo_init(&memo, &r->arena);
    for (size_t i = 0; i < g->n_nodes; i++) {
        const struct pw_node *node = g->nodes[i];
        bool is_inline = false, not_inline = false;
        for (uint32_t j = 0; j < node->in.n; j++) {
            if (node->in.v[j]->is_inline)
                is_inline = true;
            else
                not_inline = true;
        }
        items[i].name = node->printable_name;
        items[i].name_len = node->printable_name_len;
        items[i].inline_label = is_inline ? (not_inline ? "(partial-inline)" : "(inline)") : "";
        items[i].flat = pw_node_flat_value(node);
        items[i].cum = pw_node_cum_value(node);
        items[i].flat_fmt = pw_report_format_value_memo(&memo, r, items[i].flat);
        items[i].cum_fmt = pw_report_format_value_memo(&memo, r, items[i].cum);
    }
    pw_format_memo_release(&memo);
    *n = g->n_nodes;
    return items;
}
