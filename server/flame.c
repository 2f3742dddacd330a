/* flame: the flame graph's stacks and merged call trees.
 *
 * pw_flame_build() runs the report pipeline (report.h: every refinement, the sample index and the
 * granularity aggregation, exactly as for the top report) on a copy of the profile, takes the
 * frames from pprof's graph (graph.h's CreateNodes, so a frame's name is the top report's name for
 * it) and keeps each sample's stack as an array of frame ids, root first. With a pivot regexp,
 * each sample's outermost matching frame splits its stack: the callees below it form side 0 and
 * the callers, nearest first, side 1. The report and its profile copy are freed before
 * returning: a cached flame costs 5 bytes per frame of every stack.
 *
 * pw_flame_tree_new() merges the stacks through one node into pprof's call tree (one node per
 * (parent, frame), as graph.New with CallTree, so a function's outermost boxes add up to its cum
 * in top). It works level by level: at each depth the stacks are grouped by their node and a
 * per-frame stamp finds each stack's child, so no hash table is needed; nodes narrower than
 * min_w are not expanded, which bounds the work by what a response can show.
 * Not here: which boxes a response carries and the JSON (flame_view.c). */
#include "pprofweb/flame.h"

#include <stdlib.h>
#include <string.h>

#include "pprofweb/graph.h"
#include "pprofweb/measurement.h"
#include "pprofweb/parallel.h"
#include "pprofweb/regex.h"
#include "pprofweb/report.h"
#include "pprofweb/wrap.h"

/* Per-build state. */
struct builder {
    struct pw_flame *f;
    uint32_t *loc_start;  /* per location: first entry in loc_frames */
    uint32_t *loc_frames; /* frame per location line (lines[0], the innermost, first) */
    uint32_t *path;       /* scratch: frames of one sample, root first */
    uint8_t *path_inline;
    size_t cap_fr, cap_seqs;
};

/* A copy of the n bytes at s (a name, which may hold NUL bytes) as a C string for display: each
 * NUL becomes U+FFFD, as the graph's layout draws it. */
static const char *display_copy(struct pw_arena *a, const char *s, size_t n)
{
    size_t nul = 0;
    for (size_t i = 0; i < n; i++)
        nul += s[i] == 0;
    if (!nul)
        return pw_arena_strndup(a, s, n);
    char *out = pw_arena_alloc(a, n + 2 * nul + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i]) {
            *o++ = s[i];
        } else {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
        }
    }
    *o = 0;
    return out;
}

/* Copies the frames (graph nodes) out of the graph, whose strings borrow from the report. */
static void copy_frames(struct pw_flame *f, struct pw_graph *g)
{
    f->n_frames = (uint32_t)g->n_all;
    f->frames = pw_xcalloc(g->n_all ? g->n_all : 1, sizeof(*f->frames));
    for (size_t i = 0; i < g->n_all; i++) {
        const struct pw_node *n = g->all[i];
        struct pw_flame_frame *fr = &f->frames[n->id];
        fr->name = display_copy(&f->arena, n->printable_name, n->printable_name_len);
        fr->fn = display_copy(&f->arena, n->info.name, n->info.name_len);
        fr->file = display_copy(&f->arena, n->info.file, n->info.file_len);
    }
}

/* The frames of every location line, from the graph's CreateNodes. */
static void location_frames(struct builder *b, const struct pw_profile *p,
                            struct pw_node ***locs, const uint32_t *n_loc_nodes)
{
    b->loc_start = pw_xcalloc((size_t)p->n_locations + 1, sizeof(*b->loc_start));
    size_t total = 0;
    for (uint32_t i = 0; i < p->n_locations; i++) {
        b->loc_start[i] = (uint32_t)total;
        total += n_loc_nodes[i];
    }
    b->loc_start[p->n_locations] = (uint32_t)total;
    b->loc_frames = pw_xcalloc(total ? total : 1, sizeof(*b->loc_frames));
    for (uint32_t i = 0; i < p->n_locations; i++)
        for (uint32_t j = 0; j < n_loc_nodes[i]; j++)
            b->loc_frames[b->loc_start[i] + j] = locs[i][j] ? locs[i][j]->id : PW_NONE;
}

/* Writes the sample's frames, root first, to fr and whether each is inlined into its caller to
 * inl; returns their count. Room for the sample's every location line is the caller's. */
static size_t sample_frames(const struct builder *b, const struct pw_sample *s, uint32_t *fr,
                            uint8_t *inl)
{
    size_t n = 0;
    for (uint32_t i = s->n_locs; i-- > 0;) {
        uint32_t loc = s->locs[i];
        uint32_t start = b->loc_start[loc], cnt = b->loc_start[loc + 1] - start;
        for (uint32_t j = cnt; j-- > 0;) {
            uint32_t x = b->loc_frames[start + j];
            if (x == PW_NONE)
                continue;
            fr[n] = x;
            inl[n] = j != cnt - 1;
            n++;
        }
    }
    return n;
}

static const char **split_lines(struct pw_arena *a, const struct pw_buf *buf, size_t *n)
{
    size_t count = 0;
    const char *s = buf->data ? buf->data : "";
    for (const char *c = s; *c; c++)
        count += *c == '\n';
    const char **out = pw_arena_calloc(a, count + 1, sizeof(*out));
    *n = 0;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        if (len)
            out[(*n)++] = pw_arena_strndup(a, s, len);
        s += len + (nl ? 1 : 0);
    }
    return out;
}


/* Appends the frames path[from], path[from + step], ... (to excluded) as one seq. */
static void add_seq(struct builder *b, uint8_t side, size_t from, size_t to, int step, bool flat,
                    int64_t w, int64_t dw)
{
    struct pw_flame *f = b->f;
    size_t n = step > 0 ? to - from : from - to; /* wraps as the indexes do for to = -1 */
    if (f->n_fr + n > b->cap_fr) {
        size_t cap = b->cap_fr;
        PW_GROW(f->fr, cap, f->n_fr + n);
        f->inl = pw_xrealloc(f->inl, cap);
        b->cap_fr = cap;
    }
    size_t off = f->n_fr;
    for (size_t i = from; i != to; i += (size_t)step) {
        f->fr[f->n_fr] = b->path[i];
        f->inl[f->n_fr++] = b->path_inline[i];
    }
    PW_GROW(f->seqs, b->cap_seqs, f->n_seqs + 1);
    f->seqs[f->n_seqs++] = (struct pw_flame_seq){off, (uint32_t)n, side, flat, w, dw};
    if (side == 0)
        f->shown = pw_wadd(f->shown, w);
}

/* One part of the samples, whose stacks add_part collects. Without a pivot each part writes its
 * seqs from seq_off and its frames from fr_off, room set aside for all of its samples, on a
 * thread of its own; with a pivot a single part appends (add_seq). */
struct sample_part {
    struct builder *b;
    const struct pw_profile *p;
    uint32_t si;
    bool mean;
    const bool *pivot_match;
    pw_str base_key, base_true; /* "pprof::base" and "true", or PW_NONE */
    size_t from, to;            /* samples */
    size_t fr_off, seq_off;     /* where the next seq and its frames go (no pivot) */
    int64_t shown;              /* the sum of the part's values (no pivot) */
    bool diff, diff_base;       /* a negative value, a -diff_base base sample seen */
};

static void *add_part(void *arg)
{
    struct sample_part *sp = arg;
    struct builder *b = sp->b;
    struct pw_flame *f = b->f;
    const struct pw_profile *p = sp->p;
    bool labelled = sp->base_key != PW_NONE && sp->base_true != PW_NONE;
    for (size_t i = sp->from; i < sp->to; i++) {
        const struct pw_sample *s = &p->samples[i];
        int64_t w = s->values[sp->si], dw = sp->mean ? s->values[0] : 0;
        if (w == 0 && dw == 0)
            continue;
        sp->diff |= w < 0;
        if (labelled && !sp->diff_base &&
            pw_sample_has_label(p, s, sp->base_key, sp->base_true))
            sp->diff_base = true;
        if (!sp->pivot_match) {
            /* The whole stack is the seq: its frames go where add_seq would copy them. */
            size_t n = sample_frames(b, s, f->fr + sp->fr_off, f->inl + sp->fr_off);
            f->seqs[sp->seq_off++] = (struct pw_flame_seq){sp->fr_off, (uint32_t)n, 0, true, w,
                                                           dw};
            sp->fr_off += n;
            sp->shown = pw_wadd(sp->shown, w);
            continue;
        }
        size_t n = sample_frames(b, s, b->path, b->path_inline);
        size_t k = 0;
        while (k < n && !sp->pivot_match[b->path[k]])
            k++;
        if (k == n)
            continue;
        if (f->pivot_frame == PW_NONE - 1)
            f->pivot_frame = b->path[k];
        else if (f->pivot_frame != b->path[k])
            f->pivot_frame = PW_NONE;
        add_seq(b, 0, k + 1, n, 1, true, w, dw);
        add_seq(b, 1, k - 1, (size_t)-1, -1, false, w, dw);
    }
    return NULL;
}

/* Collects the stacks of every sample (for a pivot: the callees and the callers of its outermost
 * match). Without a pivot, on both threads: each half of the samples has its own room in fr and
 * seqs, and the second half's seqs then move down to follow the first's (seq ids keep the
 * samples' order; a gap is left in fr). */
static void add_samples(struct builder *b, const struct pw_profile *p, uint32_t si, bool mean,
                        const bool *pivot_match)
{
    struct pw_flame *f = b->f;
    struct sample_part parts[PW_PARALLEL_MAX_PARTS];
    size_t n_parts = pivot_match ? 1 : pw_parallel_parts(p->n_samples);
    parts[0] = (struct sample_part){.b = b, .p = p, .si = si, .mean = mean,
                                    .pivot_match = pivot_match, .base_key = PW_NONE,
                                    .base_true = PW_NONE};
    for (uint32_t i = 0; i < p->n_strings; i++) {
        if (strcmp(p->strings[i], "pprof::base") == 0)
            parts[0].base_key = i;
        else if (strcmp(p->strings[i], "true") == 0)
            parts[0].base_true = i;
    }
    /* Room for every frame at once: growing by copies would move tens of MB. */
    size_t total = 0, most = 0, k = 0;
    for (size_t i = 0; i < p->n_samples; i++) {
        while (k < n_parts && i == p->n_samples * k / n_parts) {
            parts[k] = parts[0];
            parts[k].from = i;
            parts[k].fr_off = total;
            parts[k].seq_off = i;
            k++;
        }
        size_t lines = 0;
        for (uint32_t l = 0; l < p->samples[i].n_locs; l++) {
            uint32_t loc = p->samples[i].locs[l];
            lines += b->loc_start[loc + 1] - b->loc_start[loc];
        }
        total += lines;
        most = lines > most ? lines : most;
    }
    for (; k < n_parts; k++) { /* no samples */
        parts[k] = parts[0];
        parts[k].from = parts[k].seq_off = p->n_samples;
        parts[k].fr_off = total;
    }
    for (k = 0; k < n_parts; k++)
        parts[k].to = k + 1 < n_parts ? parts[k + 1].from : p->n_samples;
    b->cap_fr = total + 1;
    f->fr = pw_xmalloc(b->cap_fr * sizeof(*f->fr));
    f->inl = pw_xmalloc(b->cap_fr);
    b->path = pw_xmalloc((most + 1) * sizeof(*b->path));
    b->path_inline = pw_xmalloc(most + 1);
    b->cap_seqs = p->n_samples * (pivot_match ? 2 : 1) + 1;
    f->seqs = pw_xmalloc(b->cap_seqs * sizeof(*f->seqs));
    pw_parallel_run(add_part, parts, sizeof(*parts), n_parts);
    for (k = 0; k < n_parts; k++) {
        const struct sample_part *sp = &parts[k];
        f->diff |= sp->diff;
        f->diff_base |= sp->diff_base;
        if (pivot_match)
            continue;
        size_t n = sp->seq_off - sp->from;
        memmove(f->seqs + f->n_seqs, f->seqs + sp->from, n * sizeof(*f->seqs));
        f->n_seqs += n;
        f->n_fr = sp->fr_off;
        f->shown = pw_wadd(f->shown, sp->shown);
    }
}

/* pprof's legend for the flame graph: the profile labels, the active filters and what the
 * tree accounts for. */
static void make_legend(struct pw_flame *f, struct pw_report *r)
{
    size_t n_labels;
    const char **labels = pw_report_profile_labels(r, &n_labels);
    size_t n = n_labels + r->opt.n_active_filters + 3;
    f->legend = pw_arena_calloc(&f->arena, n, sizeof(*f->legend));
    for (size_t i = 0; i < n_labels; i++)
        f->legend[f->n_legend++] = pw_arena_strdup(&f->arena, labels[i]);
    if (r->opt.n_active_filters) {
        f->legend[f->n_legend++] = "Active filters:";
        for (size_t i = 0; i < r->opt.n_active_filters; i++)
            f->legend[f->n_legend++] =
                pw_arena_printf(&f->arena, "   %s", r->opt.active_filters[i]);
    }
    char a[PW_VALUE_MAX], b[PW_VALUE_MAX], pct[PW_PERCENT_MAX];
    const char *p = pw_percentage(pct, f->shown, r->total);
    while (*p == ' ')
        p++;
    f->legend[f->n_legend++] =
        pw_arena_printf(&f->arena, "Showing nodes accounting for %s, %s of %s total",
                        pw_report_format_value(r, f->shown, a), p,
                        pw_report_format_value(r, r->total, b));
}

/* pprof's pivot: the frames whose name matches re. NULL with err when none does. */
static bool *match_pivot(struct pw_flame *f, const char *pivot, struct pw_err *err)
{
    struct pw_regex *re = pw_regex_compile(pivot, err);
    if (!re) {
        pw_err_prefix(err, "parsing pivot regexp: ");
        return NULL;
    }
    bool *m = pw_xcalloc(f->n_frames ? f->n_frames : 1, sizeof(*m));
    bool any = false;
    for (uint32_t i = 0; i < f->n_frames; i++) {
        m[i] = pw_regex_match_cstr(re, f->frames[i].name);
        any |= m[i];
    }
    pw_regex_free(re);
    if (!any) {
        free(m);
        pw_fail(err, PW_EINVAL, "pivot: no function matches %.200s", pivot);
        return NULL;
    }
    return m;
}

struct pw_flame *pw_flame_build(const struct pw_profile *src, const struct pw_config *cfg,
                                const char *pivot, struct pw_err *err)
{
    return pw_flame_build_split(src, NULL, cfg, pivot, err);
}

struct pw_flame *pw_flame_build_split(const struct pw_profile *src,
                                      const struct pw_profile *split,
                                      const struct pw_config *cfg_in, const char *pivot,
                                      struct pw_err *err)
{
    struct pw_config cfg = *cfg_in;
    cfg.trim = false; /* the flame graph shows every node */
    struct pw_buf warn;
    pw_buf_init(&warn, 1 << 20);
    /* With split, src gives only the settings and the total: its stacks are not read. */
    struct pw_report *r = split ? pw_report_new_settings(src, "top", &cfg, &warn, err)
                                : pw_report_new(src, "top", NULL, &cfg, &warn, err);
    if (!r) {
        pw_buf_release(&warn);
        return NULL;
    }
    /* The stacks come from split when given: the same values, summed, as src's. */
    struct pw_report *rs = split ? pw_report_new(split, "top", NULL, &cfg, NULL, err) : r;
    if (!rs) {
        pw_report_free(r);
        pw_buf_release(&warn);
        return NULL;
    }
    struct pw_profile *p = rs->prof;
    /* As pprof's report graph: file names trimmed for display first. */
    for (uint32_t i = 0; i < p->n_functions; i++) {
        struct pw_function *fn = &p->functions[i];
        const char *name = pw_s(p, fn->filename);
        const char *trimmed = pw_report_trim_path(name, r->opt.trim_path, r->opt.source_path);
        if (trimmed != name)
            fn->filename = pw_intern_cstr(p, trimmed);
    }
    struct pw_graph_options go = {
        .sample_index = r->opt.sample_index,
        .mean_divisor_index = r->opt.mean ? 0 : PW_NONE,
    };
    struct pw_node ***locs;
    uint32_t *n_loc_nodes;
    struct pw_graph *g = pw_graph_create_nodes(p, &go, &locs, &n_loc_nodes);

    struct pw_flame *f = pw_xcalloc(1, sizeof(*f));
    pw_arena_init(&f->arena);
    copy_frames(f, g);
    struct builder b = {.f = f};
    location_frames(&b, p, locs, n_loc_nodes);
    pw_graph_free(g);

    f->total = r->total;
    f->mean = r->opt.mean;
    f->ratio = r->opt.ratio;
    f->sample_type = pw_arena_strdup(&f->arena, r->opt.sample_type);
    f->sample_unit = pw_arena_strdup(&f->arena, r->opt.sample_unit);
    f->output_unit = pw_arena_strdup(&f->arena, r->opt.output_unit);
    f->granularity = pw_granularity_name(cfg.granularity);
    f->pivot_frame = PW_NONE;

    bool *match = NULL;
    int rc = 0;
    if (pivot && *pivot) {
        match = match_pivot(f, pivot, err);
        if (!match)
            rc = -1;
        f->pivot = true;
        f->pivot_re = pw_arena_strdup(&f->arena, pivot);
        f->pivot_frame = PW_NONE - 1; /* none seen yet */
    }
    if (rc == 0)
        add_samples(&b, p, r->opt.sample_index, r->opt.mean, match);
    if (f->pivot_frame == PW_NONE - 1)
        f->pivot_frame = PW_NONE;
    free(match);
    free(b.loc_start);
    free(b.loc_frames);
    free(b.path);
    free(b.path_inline);
    if (rc == 0) {
        make_legend(f, r);
        f->warnings = split_lines(&f->arena, &warn, &f->n_warnings);
    }
    if (rs != r)
        pw_report_free(rs);
    pw_report_free(r);
    pw_buf_release(&warn);
    if (rc) {
        pw_flame_free(f);
        return NULL;
    }
    return f;
}

void pw_flame_free(struct pw_flame *f)
{
    if (!f)
        return;
    free(f->frames);
    free(f->fr);
    free(f->inl);
    free(f->seqs);
    pw_arena_release(&f->arena);
    free(f);
}

/* --- merged trees --- */

/* A stack going down the tree, and its node at the current level. The seq's offset, length
 * and value ride along so each level reads the seq array only at leaves. */
struct rec {
    size_t off;
    int64_t w;
    uint32_t seq, node, len;
};

/* Tree-building state. */
struct tree_builder {
    const struct pw_flame *f;
    struct pw_flame_tree *t;
    int64_t min_w;
    struct rec *order, *next; /* stacks still going deeper, grouped by node */
    uint32_t *count;          /* counting sort of stacks by node */
    size_t cap_count;
    struct level_part {       /* a level's part (tree_level) */
        const struct pw_flame *f;
        struct pw_flame_node *parents; /* the tree's nodes, which do not move during a level */
        struct pw_flame_tree own;      /* its new nodes, numbered from 0 */
        struct rec *order;             /* its stacks: whole groups */
        size_t n;
        uint32_t d;
        uint32_t *stamp, *child_of;    /* per frame: group seen last, and its node there */
        uint32_t group;
        bool too_many;                 /* past PW_FLAME_MAX_NODES */
    } parts[PW_PARALLEL_MAX_PARTS];
};

int64_t pw_flame_cum(const struct pw_flame_node *n)
{
    return n->cum_div ? pw_wdiv(n->cum, n->cum_div) : n->cum;
}

int64_t pw_flame_flat(const struct pw_flame_node *n)
{
    return n->flat_div ? pw_wdiv(n->flat, n->flat_div) : n->flat;
}

int64_t pw_flame_weight(const struct pw_flame_node *n)
{
    return pw_wsub(pw_wmul(2, n->pos), n->cum);
}

int64_t pw_flame_min_weight(int64_t root_weight, double min_frac)
{
    double v = min_frac * (double)root_weight;
    if (!(v < 9e18))
        return INT64_MAX;
    int64_t m = (int64_t)v;
    if ((double)m < v)
        m++;
    return m < 1 ? 1 : m;
}

static uint32_t tree_node(struct pw_flame_tree *t, uint32_t parent, uint32_t frame, uint32_t seq)
{
    PW_GROW(t->nodes, t->cap_nodes, t->n_nodes + 1);
    uint32_t id = (uint32_t)t->n_nodes++;
    t->nodes[id] = (struct pw_flame_node){.parent = parent, .frame = frame, .seq = seq};
    return id;
}

static void add_to(struct pw_flame_node *n, const struct pw_flame_seq *s, bool leaf)
{
    n->cum = pw_wadd(n->cum, s->w);
    n->cum_div = pw_wadd(n->cum_div, s->dw);
    if (s->w > 0)
        n->pos = pw_wadd(n->pos, s->w);
    if (leaf && s->flat) {
        n->flat = pw_wadd(n->flat, s->w);
        n->flat_div = pw_wadd(n->flat_div, s->dw);
    }
}

/* Keeps the stacks of order[0..n) that go deeper than depth through a node wide enough to
 * expand (node ids in [lo, hi)), grouped by node; flags the nodes left unexpanded. */
static size_t regroup(struct tree_builder *tb, size_t n, uint32_t depth, uint32_t lo, uint32_t hi)
{
    struct pw_flame_tree *t = tb->t;
    size_t span = hi - lo, kept = 0;
    PW_GROW(tb->count, tb->cap_count, span + 1);
    memset(tb->count, 0, (span + 1) * sizeof(*tb->count));
    for (size_t i = 0; i < n; i++) {
        struct rec *r = &tb->order[i];
        if (r->len <= depth)
            continue;
        struct pw_flame_node *nd = &t->nodes[r->node];
        int64_t w = pw_flame_weight(nd);
        if (w < tb->min_w || w <= 0) {
            nd->flags |= PW_FLAME_TRUNCATED;
            r->node = PW_NONE;
            continue;
        }
        tb->count[r->node - lo + 1]++;
        kept++;
    }
    for (size_t i = 1; i <= span; i++)
        tb->count[i] += tb->count[i - 1];
    for (size_t i = 0; i < n; i++) {
        struct rec *r = &tb->order[i];
        if (r->node != PW_NONE && r->len > depth)
            tb->next[tb->count[r->node - lo]++] = *r;
    }
    struct rec *tmp = tb->order;
    tb->order = tb->next;
    tb->next = tmp;
    return kept;
}

/* Moves each stack of one part to the child of its node for its frame at depth d. */
static void *level_part(void *arg)
{
    struct level_part *lp = arg;
    const struct pw_flame *f = lp->f;
    struct pw_flame_tree *out = &lp->own;
    uint32_t parent = PW_NONE, d = lp->d;
    for (size_t i = 0; i < lp->n; i++) {
        struct rec *r = &lp->order[i];
        /* Stacks are read at random: ask for the next ones ahead of time. */
        if (i + 8 < lp->n)
            __builtin_prefetch(&f->fr[lp->order[i + 8].off + d]);
        if (r->node != parent) {
            parent = r->node;
            lp->group++;
            lp->parents[parent].first_child = (uint32_t)out->n_nodes;
        }
        uint32_t fr = f->fr[r->off + d];
        if (lp->stamp[fr] != lp->group) {
            if (out->n_nodes >= PW_FLAME_MAX_NODES) {
                lp->too_many = true;
                return NULL;
            }
            lp->stamp[fr] = lp->group;
            lp->child_of[fr] = tree_node(out, parent, fr, r->seq);
            lp->parents[parent].n_children++;
        }
        uint32_t c = lp->child_of[fr];
        struct pw_flame_node *n = &out->nodes[c];
        if (f->mean || r->len == d + 1) {
            add_to(n, &f->seqs[r->seq], r->len == d + 1);
        } else {
            n->cum = pw_wadd(n->cum, r->w);
            if (r->w > 0)
                n->pos = pw_wadd(n->pos, r->w);
        }
        if (f->inl[r->off + d])
            n->flags |= PW_FLAME_INLINE;
        r->node = c;
    }
    return NULL;
}

/* Moves each stack of order[0..alive) to the child of its node for its frame at depth d,
 * numbering new nodes in the order of the stacks. A large level is split in two at a boundary
 * between groups, and each part numbers its new nodes from 0 on a thread of its own (the
 * parents, of the level above, are each one part's); then the parts' nodes go to the tree's end
 * in turn, and the ids their stacks and their parents' first children hold shift with them. */
static int tree_level(struct tree_builder *tb, size_t alive, uint32_t d, struct pw_err *err)
{
    struct pw_flame_tree *t = tb->t;
    size_t half = alive / 2;
    while (half > 0 && half < alive && tb->order[half].node == tb->order[half - 1].node)
        half++;
    size_t n_parts = pw_parallel_parts(alive) > 1 && half > 0 && half < alive ? 2 : 1;
    size_t from = 0;
    for (size_t k = 0; k < n_parts; k++) {
        struct level_part *lp = &tb->parts[k];
        if (!lp->stamp) {
            lp->stamp = pw_xcalloc(tb->f->n_frames ? tb->f->n_frames : 1, sizeof(*lp->stamp));
            lp->child_of = pw_xcalloc(tb->f->n_frames ? tb->f->n_frames : 1,
                                      sizeof(*lp->child_of));
        }
        lp->f = tb->f;
        lp->parents = t->nodes;
        lp->own.n_nodes = 0;
        lp->order = tb->order + from;
        lp->n = (k + 1 < n_parts ? half : alive) - from;
        lp->d = d;
        from += lp->n;
    }
    pw_parallel_run(level_part, tb->parts, sizeof(*tb->parts), n_parts);
    size_t total = t->n_nodes;
    bool too_many = false;
    for (size_t k = 0; k < n_parts; k++) {
        too_many |= tb->parts[k].too_many;
        total += tb->parts[k].own.n_nodes;
    }
    if (too_many || total > PW_FLAME_MAX_NODES)
        return pw_fail(err, PW_ETOOBIG,
                       "the flame graph has more than %zu boxes: narrow it with a filter",
                       PW_FLAME_MAX_NODES);
    PW_GROW(t->nodes, t->cap_nodes, total);
    for (size_t k = 0; k < n_parts; k++) {
        struct level_part *lp = &tb->parts[k];
        uint32_t base = (uint32_t)t->n_nodes;
        const struct pw_flame_node *own = lp->own.nodes;
        memcpy(t->nodes + base, own, lp->own.n_nodes * sizeof(*own));
        t->n_nodes += lp->own.n_nodes;
        /* A parent's first child is the first new node naming it. */
        for (size_t i = 0; i < lp->own.n_nodes; i++)
            if (i == 0 || own[i].parent != own[i - 1].parent)
                t->nodes[own[i].parent].first_child += base;
        for (size_t i = 0; i < lp->n; i++)
            lp->order[i].node += base;
    }
    return 0;
}

/* Finds the stacks through (seq, depth) and sums the values of its ancestors. */
static size_t select_stacks(struct tree_builder *tb, uint32_t seq, uint32_t depth, uint8_t side)
{
    const struct pw_flame *f = tb->f;
    struct pw_flame_tree *t = tb->t;
    const uint32_t *path = seq == PW_NONE ? NULL : f->fr + f->seqs[seq].off;
    size_t n = 0;
    for (size_t i = 0; i < f->n_seqs; i++) {
        const struct pw_flame_seq *s = &f->seqs[i];
        if (s->side != side)
            continue;
        const uint32_t *p = f->fr + s->off;
        uint32_t k = 0;
        while (k < depth && k < s->len && p[k] == path[k])
            k++;
        for (uint32_t a = 0; a <= k && a < depth; a++) {
            struct pw_flame_ancestor *an = &t->ancestors[a];
            an->cum = pw_wadd(an->cum, s->w);
            an->cum_div = pw_wadd(an->cum_div, s->dw);
            if (s->w > 0)
                an->pos = pw_wadd(an->pos, s->w);
        }
        if (k < depth)
            continue;
        add_to(&t->nodes[0], s, s->len == depth);
        tb->order[n++] = (struct rec){s->off, s->w, (uint32_t)i, 0, s->len};
    }
    return n;
}

struct pw_flame_tree *pw_flame_tree_new(const struct pw_flame *f, uint32_t seq, uint32_t depth,
                                        uint8_t side, double min_frac, struct pw_err *err)
{
    if (seq == PW_NONE) {
        depth = 0;
        if (side > (f->pivot ? 1 : 0))
            return pw_fail(err, PW_EINVAL, "no such side of the flame graph"), NULL;
    } else if (seq >= f->n_seqs || depth > f->seqs[seq].len) {
        return pw_fail(err, PW_EINVAL, "node %u.%u is not in this flame graph", seq, depth),
               NULL;
    } else {
        side = f->seqs[seq].side;
    }
    struct pw_flame_tree *t = pw_xcalloc(1, sizeof(*t));
    t->seq = seq;
    t->side = side;
    t->depth = depth;
    t->ancestors = pw_xcalloc(depth + 1, sizeof(*t->ancestors));
    for (uint32_t a = 0; a < depth; a++)
        t->ancestors[a].frame = a ? f->fr[f->seqs[seq].off + a - 1] : PW_NONE;
    uint32_t root_frame = depth ? f->fr[f->seqs[seq].off + depth - 1] : PW_NONE;
    uint32_t root = tree_node(t, PW_NONE, root_frame, seq == PW_NONE ? 0 : seq);
    if (depth && f->inl[f->seqs[seq].off + depth - 1])
        t->nodes[root].flags |= PW_FLAME_INLINE;

    struct tree_builder tb = {.f = f, .t = t};
    size_t n = f->n_seqs ? f->n_seqs : 1;
    tb.order = pw_xmalloc(n * sizeof(*tb.order));
    tb.next = pw_xmalloc(n * sizeof(*tb.next));
    size_t alive = select_stacks(&tb, seq, depth, side);
    if (seq == PW_NONE && alive)
        t->nodes[root].seq = tb.order[0].seq;
    tb.min_w = pw_flame_min_weight(pw_flame_weight(&t->nodes[root]), min_frac);
    alive = regroup(&tb, alive, depth, 0, 1);
    int rc = 0;
    for (uint32_t d = depth; alive > 0; d++) {
        uint32_t lo = (uint32_t)t->n_nodes;
        rc = tree_level(&tb, alive, d, err);
        if (rc)
            break;
        alive = regroup(&tb, alive, d + 1, lo, (uint32_t)t->n_nodes);
    }
    free(tb.order);
    free(tb.next);
    free(tb.count);
    for (size_t k = 0; k < PW_PARALLEL_MAX_PARTS; k++) {
        free(tb.parts[k].stamp);
        free(tb.parts[k].child_of);
        free(tb.parts[k].own.nodes);
    }
    if (rc) {
        pw_flame_tree_free(t);
        return NULL;
    }
    return t;
}

void pw_flame_tree_free(struct pw_flame_tree *t)
{
    if (!t)
        return;
    free(t->nodes);
    free(t->ancestors);
    free(t);
}
