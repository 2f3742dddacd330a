/* flame_view: the flame graph's JSON view (/api/flamegraph) and the choice of boxes one response
 * carries.
 *
 * In: the view arguments (views.h) and the URL parameters of this view: w (drawing width in CSS
 * pixels, default 1200), minpx (narrowest box drawn, default 1), node (a tree node id: send that
 * subtree) and p (pivot regexp). The tree itself comes from flame.c and is kept in a small cache
 * of recent trees, so zooming (node=...) reuses the tree built for the first response instead of
 * re-running the report pipeline. Trees are keyed by the app's scope, the profile's id and the
 * canonical settings, never by the profile's address. With the stacks the cache keeps the side
 * roots' trees expanded for any common width (FLAME_ROOTS_WIDTH), so a page's first request
 * only writes the boxes its width shows, whatever width it asks.
 * Out: a compact document (flame.h describes it): a string table, frames as string indexes and
 * boxes as rows of numbers. Children narrower than minpx at width w are merged into one "other"
 * box per parent, so a response holds at most about w boxes per depth level whatever the
 * profile's size, and never more than PW_FLAME_MAX_SENT (minpx grows until it fits).
 * Cached trees are owned by the cache (reference counted, the oldest dropped past
 * FLAME_CACHE_TREES); nothing else outlives a call. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/flame.h"
#include "pprofweb/graph.h"
#include "pprofweb/json.h"
#include "pprofweb/measurement.h"
#include "pprofweb/regex.h"
#include "pprofweb/report.h"
#include "pprofweb/views.h"
#include "pprofweb/wrap.h"

/* Trees kept for zoom requests: each is up to tens of MB on a million-sample profile. */
#define FLAME_CACHE_TREES 4
/* The side roots' trees kept with the stacks are expanded down to boxes 1 px wide at this many
 * CSS pixels (a 4K screen at one device pixel per CSS pixel), so that a page of any common width
 * is answered without merging the stacks again (35-45 ms on a 100 MB profile, most of the
 * request); a wider request, or one with minpx under 1, builds its own tree. Finer costs more
 * at the build, which the warm-up at start usually does, for little: the build's cost is mostly
 * reading every stack once. */
#define FLAME_ROOTS_WIDTH 4000
/* Widths accepted in w: a narrower request is a phone, a wider one a wall of monitors. */
#define FLAME_MIN_WIDTH 100
#define FLAME_MAX_WIDTH 20000
#define FLAME_DEFAULT_WIDTH 1200

/* --- box selection and JSON --- */

/* Deduplicated string table of one response. */
struct strtab {
    const char **s;
    size_t n, cap;
    uint32_t *slots; /* index + 1, 0 empty */
    size_t n_slots;
};

static size_t str_hash(const char *s)
{
    size_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static uint32_t strtab_add(struct strtab *t, const char *s)
{
    if ((t->n + 1) * 2 > t->n_slots) {
        size_t ns = t->n_slots ? t->n_slots * 2 : 256;
        free(t->slots);
        t->slots = pw_xcalloc(ns, sizeof(*t->slots));
        t->n_slots = ns;
        for (size_t i = 0; i < t->n; i++) {
            size_t h = str_hash(t->s[i]) & (ns - 1);
            while (t->slots[h])
                h = (h + 1) & (ns - 1);
            t->slots[h] = (uint32_t)i + 1;
        }
    }
    size_t h = str_hash(s) & (t->n_slots - 1);
    while (t->slots[h]) {
        if (strcmp(t->s[t->slots[h] - 1], s) == 0)
            return t->slots[h] - 1;
        h = (h + 1) & (t->n_slots - 1);
    }
    PW_GROW(t->s, t->cap, t->n + 1);
    t->s[t->n] = s;
    t->slots[h] = (uint32_t)t->n + 1;
    return (uint32_t)t->n++;
}

/* State of one response. */
struct writer {
    const struct pw_flame *f;
    const struct pw_flame_tree *t;
    struct pw_json *j;
    bool emit;             /* false: only count boxes */
    bool drop_negative;
    bool extra_w;          /* send w (diff or mean: not |cum|) */
    int64_t min_w;         /* narrowest box kept, in raw weight */
    size_t count;          /* boxes written or counted */
    uint32_t *frame_ix;    /* flame frame -> response frame index + 1 */
    uint32_t *frames;      /* response frame -> flame frame */
    size_t n_frames, cap_frames;
    uint32_t *kids;        /* scratch: children of one node */
    size_t cap_kids;
};

static int cmp_kids(const void *a, const void *b, void *ctx)
{
    const struct writer *w = ctx;
    const struct pw_flame_node *x = &w->t->nodes[*(const uint32_t *)a];
    const struct pw_flame_node *y = &w->t->nodes[*(const uint32_t *)b];
    int c = strcmp(w->f->frames[x->frame].name, w->f->frames[y->frame].name);
    if (c)
        return c;
    return x->frame < y->frame ? -1 : x->frame > y->frame;
}

static void put_int(struct pw_json *j, int64_t v)
{
    char tmp[24], *e = tmp + sizeof(tmp), *s = e;
    uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
    do {
        *--s = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--s = '-';
    pw_json_raw(j, s, (size_t)(e - s));
}

static int64_t frame_index(struct writer *w, uint32_t frame)
{
    if (frame == PW_NONE)
        return -1;
    if (!w->frame_ix[frame]) {
        PW_GROW(w->frames, w->cap_frames, w->n_frames + 1);
        w->frames[w->n_frames++] = frame;
        w->frame_ix[frame] = (uint32_t)w->n_frames;
    }
    return w->frame_ix[frame] - 1;
}

/* One box: id, parent position, frame, cum, flat, flags [, w]. */
static void put_box(struct writer *w, int64_t id, int64_t parent, int64_t frame, int64_t cum,
                    int64_t flat, uint32_t flags, int64_t wt)
{
    w->count++;
    if (!w->emit)
        return;
    put_int(w->j, id);
    put_int(w->j, parent);
    put_int(w->j, frame);
    put_int(w->j, cum);
    put_int(w->j, flat);
    put_int(w->j, flags);
    if (w->extra_w)
        put_int(w->j, wt);
}

/* An entry of the traversal stack: a node to write below the box at position parent, or (other)
 * the "other" box of node's small children, node's box being at position parent. */
struct item {
    uint32_t node;
    bool other;
    int64_t parent;
};

/* The children of node (next to each other). */
#define FOR_CHILDREN(t, c, node)                                                                   \
    for (uint32_t c = (t)->nodes[node].first_child;                                                \
         c < (t)->nodes[node].first_child + (t)->nodes[node].n_children; c++)

static bool dropped(const struct writer *w, uint32_t id)
{
    return w->drop_negative && w->t->nodes[id].cum < 0;
}

static bool visible(const struct writer *w, uint32_t id)
{
    int64_t wt = pw_flame_weight(&w->t->nodes[id]);
    return wt >= w->min_w && wt > 0;
}

/* Sums node's children that are too narrow to draw into sum; returns how many there are. */
static int64_t small_children(const struct writer *w, uint32_t node, struct pw_flame_node *sum)
{
    const struct pw_flame_tree *t = w->t;
    int64_t count = 0;
    memset(sum, 0, sizeof(*sum));
    FOR_CHILDREN(t, c, node) {
        if (dropped(w, c) || visible(w, c))
            continue;
        const struct pw_flame_node *n = &t->nodes[c];
        sum->cum = pw_wadd(sum->cum, n->cum);
        sum->cum_div = pw_wadd(sum->cum_div, n->cum_div);
        sum->flat = pw_wadd(sum->flat, n->flat);
        sum->flat_div = pw_wadd(sum->flat_div, n->flat_div);
        sum->pos = pw_wadd(sum->pos, n->pos);
        count++;
    }
    return count;
}

static void push(struct item **stack, size_t *n, size_t *cap, struct item it)
{
    PW_GROW(*stack, *cap, *n + 1);
    (*stack)[(*n)++] = it;
}

/* Writes (or counts) the tree: preorder, children by name, the children too narrow to draw
 * merged into one "other" box after the others (left out, with the parent flagged truncated,
 * when even their sum is too narrow). */
static void walk(struct writer *w)
{
    const struct pw_flame_tree *t = w->t;
    struct item *stack = NULL;
    size_t n_stack = 0, cap_stack = 0;
    push(&stack, &n_stack, &cap_stack, (struct item){0, false, -1});
    while (n_stack) {
        struct item it = stack[--n_stack];
        const struct pw_flame_node *n = &t->nodes[it.node];
        struct pw_flame_node small;
        int64_t n_small = small_children(w, it.node, &small);
        if (it.other) {
            put_box(w, -n_small, it.parent, -1, pw_flame_cum(&small), pw_flame_flat(&small), 0,
                    pw_flame_weight(&small));
            continue;
        }
        int64_t pos = (int64_t)w->count;
        uint32_t flags = n->flags | (n_small ? PW_FLAME_TRUNCATED : 0);
        put_box(w, n->seq, it.parent, frame_index(w, n->frame), pw_flame_cum(n),
                pw_flame_flat(n), flags, pw_flame_weight(n));
        if (n_small && pw_flame_weight(&small) >= w->min_w && pw_flame_weight(&small) > 0)
            push(&stack, &n_stack, &cap_stack, (struct item){it.node, true, pos});
        size_t n_kids = 0;
        FOR_CHILDREN(t, c, it.node) {
            if (dropped(w, c) || !visible(w, c))
                continue;
            PW_GROW(w->kids, w->cap_kids, n_kids + 1);
            w->kids[n_kids++] = c;
        }
        if (n_kids > 1)
            qsort_r(w->kids, n_kids, sizeof(*w->kids), cmp_kids, w);
        for (size_t k = n_kids; k-- > 0;)
            push(&stack, &n_stack, &cap_stack, (struct item){w->kids[k], false, pos});
    }
    free(stack);
}

static void json_lines(struct pw_json *j, const char *key, const char *const *lines, size_t n)
{
    pw_json_key(j, key);
    pw_json_arr_begin(j);
    for (size_t i = 0; i < n; i++)
        pw_json_str(j, lines[i]);
    pw_json_arr_end(j);
}

/* A package or namespace for colours: the import path and package of a Go name
 * ("example.com/x/pkg.(*T).M" -> "example.com/x/pkg"), the namespace of a C++ name
 * ("std::vector<int>::at" -> "std"), else the part before the first dot. */
static void package_of(const char *fn, struct pw_buf *out)
{
    size_t n = strlen(fn), end = n, start = 0;
    for (size_t i = 0; i < n; i++) {
        if (fn[i] == '(' || fn[i] == '<' || fn[i] == ' ' || fn[i] == '[') {
            end = i;
            break;
        }
    }
    for (size_t i = 0; i < end; i++)
        if (fn[i] == '/')
            start = i + 1;
    for (size_t i = start; i < end; i++) {
        if (fn[i] == '.' || (fn[i] == ':' && i + 1 < end && fn[i + 1] == ':')) {
            end = i;
            break;
        }
    }
    pw_buf_add(out, fn, end);
}

/* Strings of one response, deduplicated; copies kept in an arena. */
static uint32_t add_string(struct strtab *st, struct pw_arena *a, const char *s)
{
    size_t before = st->n;
    uint32_t ix = strtab_add(st, s);
    if (st->n != before)
        st->s[ix] = pw_arena_strdup(a, s);
    return ix;
}

/* The frames sent, as string indexes: name, short name, file, package, function. */
static void write_frames(struct writer *w)
{
    struct strtab st = {0};
    struct pw_arena a;
    pw_arena_init(&a);
    struct pw_buf tmp;
    pw_buf_init(&tmp, 1 << 20);
    pw_json_key(w->j, "frames");
    pw_json_arr_begin(w->j);
    for (size_t i = 0; i < w->n_frames; i++) {
        const struct pw_flame_frame *fr = &w->f->frames[w->frames[i]];
        put_int(w->j, add_string(&st, &a, fr->name));
        pw_buf_reset(&tmp);
        const char *fn = *fr->fn ? fr->fn : fr->name;
        pw_shorten_function_name(fn, strlen(fn), &tmp);
        put_int(w->j, add_string(&st, &a, pw_buf_str(&tmp)));
        put_int(w->j, add_string(&st, &a, fr->file));
        pw_buf_reset(&tmp);
        package_of(fr->fn, &tmp);
        put_int(w->j, add_string(&st, &a, pw_buf_str(&tmp)));
        put_int(w->j, add_string(&st, &a, fr->fn));
    }
    pw_json_arr_end(w->j);
    json_lines(w->j, "strings", st.s, st.n);
    free(st.s);
    free(st.slots);
    pw_buf_release(&tmp);
    pw_arena_release(&a);
}

static void write_nodes(struct writer *w, const struct pw_flame_tree *t, int64_t min_w)
{
    w->t = t;
    w->emit = true;
    w->count = 0;
    w->min_w = min_w;
    pw_json_key(w->j, "nodes");
    pw_json_arr_begin(w->j);
    walk(w);
    pw_json_arr_end(w->j);
}

/* The response document: settings and legend, then
 *   "fields": names of the numbers of one box: id, parent, frame, cum, flat, flags (and w,
 *             the raw width, in diffs and with -mean);
 *   "nodes": the boxes in preorder (children by name, each parent's "other" box last), each
 *            len(fields) numbers: id is the seq naming the node with its depth (node=SEQ.DEPTH
 *            asks for its subtree; -N for an "other" box merging N boxes), parent the position
 *            of the parent box (-1 for the first), frame an index into frames (-1: a root or
 *            "other");
 *   "callers": {"nodes"} the pivot's callers, nearest first (pivot mode, side 0 root only);
 *   "ancestors": [[seq, frame, cum, w], ...] from the side's root to the box's parent;
 *   "frames": 5 string indexes per frame (name, short name, file, package, function) and
 *   "strings". */
int pw_flame_write(const struct pw_flame *f, const struct pw_flame_request *req,
                   struct pw_json *j, struct pw_err *err)
{
    uint32_t width = req->width ? req->width : FLAME_DEFAULT_WIDTH;
    double min_px = req->min_px > 0 ? req->min_px : 1;
    /* The side roots built ahead (the page's first request) when fine enough; else trees of
     * this request's own, freed below. */
    bool reuse = req->seq == PW_NONE && req->side <= (f->pivot ? 1 : 0) &&
                 req->roots[req->side] && (!f->pivot || req->roots[1]) &&
                 min_px / width >= req->roots_frac;
    struct pw_flame_tree *own = NULL, *own_callers = NULL;
    const struct pw_flame_tree *t = reuse ? req->roots[req->side] : NULL;
    if (!t) {
        t = own = pw_flame_tree_new(f, req->seq, req->depth, req->side, min_px / width, err);
        if (!t)
            return -1;
    }
    const struct pw_flame_tree *callers = NULL;
    if (f->pivot && t->side == 0 && t->depth == 0) {
        callers = reuse ? req->roots[1] : NULL;
        if (!callers) {
            callers = own_callers = pw_flame_tree_new(f, PW_NONE, 0, 1, min_px / width, err);
            if (!callers) {
                pw_flame_tree_free(own);
                return -1;
            }
        }
    }
    struct writer w = {.f = f, .j = j, .drop_negative = req->drop_negative,
                       .extra_w = f->diff || f->mean};
    w.frame_ix = pw_xcalloc(f->n_frames ? f->n_frames : 1, sizeof(*w.frame_ix));
    int64_t root_w = pw_flame_weight(&t->nodes[0]);
    for (;;) {
        w.t = t;
        w.emit = false;
        w.count = 0;
        w.min_w = pw_flame_min_weight(root_w, min_px / width);
        walk(&w);
        if (callers) {
            w.t = callers;
            walk(&w);
        }
        for (size_t i = 0; i < w.n_frames; i++)
            w.frame_ix[w.frames[i]] = 0;
        w.n_frames = 0;
        if (w.count <= PW_FLAME_MAX_SENT || min_px > 1e6)
            break;
        min_px *= 2;
    }
    int64_t min_w = pw_flame_min_weight(root_w, min_px / width);

    char tmp[PW_VALUE_MAX];
    int64_t total = f->total;
    if (f->ratio > 0 && f->ratio != 1)
        total = pw_go_int64((double)total * f->ratio);
    pw_scaled_label(tmp, sizeof(tmp), total, f->sample_unit, f->output_unit);
    pw_json_kint(j, "total", f->total);
    pw_json_kstr(j, "total_fmt", tmp);
    pw_json_kstr(j, "sample_type", f->sample_type);
    pw_json_kstr(j, "unit", f->sample_unit);
    pw_json_kstr(j, "output_unit", f->output_unit);
    pw_json_kdouble(j, "ratio", f->ratio);
    pw_json_kbool(j, "mean", f->mean);
    pw_json_kbool(j, "diff", f->diff);
    pw_json_kbool(j, "diff_base", f->diff_base);
    pw_json_kstr(j, "granularity", f->granularity);
    json_lines(j, "legend", f->legend, f->n_legend);
    json_lines(j, "warnings", f->warnings, f->n_warnings);
    pw_json_key(j, "pivot");
    pw_json_str(j, f->pivot ? f->pivot_re : NULL);
    pw_json_kstr(j, "side", t->side ? "callers" : "callees");
    pw_json_kint(j, "depth", t->depth);
    pw_json_kint(j, "width", width);
    pw_json_kdouble(j, "min_px", min_px);
    pw_json_key(j, "fields");
    pw_json_arr_begin(j);
    static const char *const fields[] = {"id", "parent", "frame", "cum", "flat", "flags", "w"};
    for (size_t i = 0; i < (w.extra_w ? 7u : 6u); i++)
        pw_json_str(j, fields[i]);
    pw_json_arr_end(j);
    write_nodes(&w, t, min_w);
    if (callers) {
        pw_json_key(j, "callers");
        pw_json_obj_begin(j);
        write_nodes(&w, callers, pw_flame_min_weight(pw_flame_weight(&callers->nodes[0]),
                                                     min_px / width));
        pw_json_obj_end(j);
    }
    pw_json_key(j, "ancestors");
    pw_json_arr_begin(j);
    for (uint32_t i = 0; i < t->depth; i++) {
        const struct pw_flame_ancestor *an = &t->ancestors[i];
        pw_json_arr_begin(j);
        put_int(j, t->nodes[0].seq);
        put_int(j, frame_index(&w, an->frame));
        put_int(j, an->cum_div ? pw_wdiv(an->cum, an->cum_div) : an->cum);
        put_int(j, 2 * an->pos - an->cum);
        pw_json_arr_end(j);
    }
    pw_json_arr_end(j);
    pw_json_kint(j, "pivot_frame",
                 f->pivot_frame == PW_NONE ? -1 : frame_index(&w, f->pivot_frame));
    write_frames(&w);
    free(w.frame_ix);
    free(w.frames);
    free(w.kids);
    pw_flame_tree_free(own);
    pw_flame_tree_free(own_callers);
    return 0;
}

/* --- tree cache --- */

/* A built tree shared by the cache and the requests using it. While one request builds it, f is
 * NULL and the others asking for the same key wait for it (cache_cv) instead of building it too. */
struct cached_tree {
    char *key; /* scope, profile id and canonical settings (tree_key) */
    struct pw_flame *f;
    struct pw_flame_tree *roots[2]; /* side roots at 1 / FLAME_ROOTS_WIDTH, or NULL */
    int refs;           /* one for the cache while listed, one per request using it */
    unsigned long used; /* last use, for eviction */
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cache_cv = PTHREAD_COND_INITIALIZER;
static struct cached_tree *cache[FLAME_CACHE_TREES];
static unsigned long cache_clock;

/* Drops one reference; called with cache_mu held. */
static void unref(struct cached_tree *t)
{
    if (--t->refs > 0)
        return;
    pw_flame_free(t->f);
    pw_flame_tree_free(t->roots[0]);
    pw_flame_tree_free(t->roots[1]);
    free(t->key);
    free(t);
}

static struct cached_tree *cache_find(const char *key)
{
    for (size_t i = 0; i < FLAME_CACHE_TREES; i++) {
        struct cached_tree *t = cache[i];
        if (t && strcmp(t->key, key) == 0) {
            t->refs++;
            t->used = ++cache_clock;
            return t;
        }
    }
    return NULL;
}

/* Lists t in the cache in place of the least recently used tree that is not being built (the
 * cache may grow past FLAME_CACHE_TREES entries only while every slot is being built: then t is
 * not listed). Called with cache_mu held. */
static void cache_insert(struct cached_tree *t)
{
    size_t victim = FLAME_CACHE_TREES;
    for (size_t i = 0; i < FLAME_CACHE_TREES; i++) {
        if (!cache[i]) {
            victim = i;
            break;
        }
        if (cache[i]->f && (victim == FLAME_CACHE_TREES || cache[i]->used < cache[victim]->used))
            victim = i;
    }
    if (victim == FLAME_CACHE_TREES)
        return;
    if (cache[victim])
        unref(cache[victim]);
    cache[victim] = t;
    t->refs++;
}

static void cache_remove(struct cached_tree *t)
{
    for (size_t i = 0; i < FLAME_CACHE_TREES; i++) {
        if (cache[i] == t) {
            cache[i] = NULL;
            unref(t);
        }
    }
}

/* The tree for key (which names p: tree_key), built when not cached; a request asking for a
 * tree another one is building waits for it. Release with release_tree(). */
static struct cached_tree *get_tree(const struct pw_profile *p, const char *key,
                                    const struct pw_config *cfg, const char *pivot,
                                    const struct pw_profile *split, struct pw_err *err)
{
    pthread_mutex_lock(&cache_mu);
    struct cached_tree *t;
    while ((t = cache_find(key)) && !t->f) {
        pthread_cond_wait(&cache_cv, &cache_mu);
        unref(t); /* the builder failed (and removed it) or finished: look again */
    }
    if (t) {
        pthread_mutex_unlock(&cache_mu);
        return t;
    }
    t = pw_xcalloc(1, sizeof(*t));
    t->key = pw_xmalloc(strlen(key) + 1);
    strcpy(t->key, key);
    t->refs = 1;
    t->used = ++cache_clock;
    cache_insert(t);
    pthread_mutex_unlock(&cache_mu);

    struct pw_flame *f = pw_flame_build_split(p, split, cfg, pivot, err);
    if (f && pw_regex_budget_exceeded()) {
        /* built with regexps cut short: wrong, never kept (the request answers the error) */
        pw_flame_free(f);
        f = NULL;
        pw_fail(err, PW_EINVAL, "regexp matching budget exceeded");
    }

    /* Built before the tree is published, so the requests waiting for it find them. Without
     * them (past PW_FLAME_MAX_NODES, say) each request builds its own. */
    if (f) {
        struct pw_err ignored = {0};
        for (uint8_t side = 0; side <= (f->pivot ? 1 : 0); side++)
            t->roots[side] = pw_flame_tree_new(f, PW_NONE, 0, side, 1.0 / FLAME_ROOTS_WIDTH,
                                               &ignored);
        if (!t->roots[0] || (f->pivot && !t->roots[1])) {
            pw_flame_tree_free(t->roots[0]);
            pw_flame_tree_free(t->roots[1]);
            t->roots[0] = t->roots[1] = NULL;
        }
    }

    pthread_mutex_lock(&cache_mu);
    if (f)
        t->f = f;
    else
        cache_remove(t);
    pthread_cond_broadcast(&cache_cv);
    if (!f) {
        unref(t);
        t = NULL;
    }
    pthread_mutex_unlock(&cache_mu);
    return t;
}

static void release_tree(struct cached_tree *t)
{
    pthread_mutex_lock(&cache_mu);
    unref(t);
    pthread_mutex_unlock(&cache_mu);
}

/* --- the view --- */

/* What a tree depends on: the app (scope), the profile's id and every setting, in their
 * canonical query form (settings added to the config later fold in by themselves), and the
 * pivot. Not the profile's address: once the store frees a profile, a newly decoded one may get
 * the same address. */
static void tree_key(const struct pw_view_args *a, const struct pw_config *cfg, const char *pivot,
                     struct pw_buf *key)
{
    pw_buf_adds(key, a->scope ? a->scope : "");
    pw_buf_addc(key, '\n');
    pw_buf_adds(key, a->id ? a->id : "");
    pw_buf_addc(key, '\n');
    pw_query_format(cfg, NULL, key);
    pw_buf_adds(key, "\np=");
    pw_buf_adds(key, pivot ? pivot : "");
}

/* A numeric URL parameter within [lo, hi]; def when absent. */
static int num_param(const struct pw_params *ps, const char *key, double lo, double hi, double def,
                     double *out, struct pw_err *err)
{
    const char *s = pw_params_get(ps, key);
    *out = def;
    if (!s || !*s)
        return 0;
    char *end;
    double v = strtod(s, &end);
    if (*end || !(v >= lo && v <= hi))
        return pw_fail(err, PW_EINVAL, "bad %s=%.40s: want a number from %g to %g", key, s, lo,
                       hi);
    *out = v;
    return 0;
}

int pw_view_flame(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err)
{
    /* pprof's flame graph forces filefunctions; here g= still chooses another. */
    struct pw_config cfg = *a->cfg;
    if (!pw_params_get(a->params, "g") || !*pw_params_get(a->params, "g"))
        cfg.granularity = PW_G_FILEFUNCTIONS;
    cfg.trim = false;
    double width, min_px;
    if (num_param(a->params, "w", FLAME_MIN_WIDTH, FLAME_MAX_WIDTH, FLAME_DEFAULT_WIDTH, &width,
                  err) ||
        num_param(a->params, "minpx", 0.01, 1000, 1, &min_px, err))
        return -1;
    struct pw_flame_request req = {.seq = PW_NONE,
                                   .width = (uint32_t)width,
                                   .min_px = min_px,
                                   .drop_negative = cfg.drop_negative};
    const char *node = pw_params_get(a->params, "node");
    if (node && *node) {
        unsigned long seq, depth;
        char end;
        if (sscanf(node, "%lu.%lu%c", &seq, &depth, &end) != 2 || seq >= PW_NONE ||
            depth >= PW_NONE)
            return pw_fail(err, PW_EINVAL, "bad node=%.40s: want SEQ.DEPTH", node);
        req.seq = (uint32_t)seq;
        req.depth = (uint32_t)depth;
    }
    const char *side = pw_params_get(a->params, "side");
    if (side && strcmp(side, "callers") == 0)
        req.side = 1;
    const char *pivot = pw_params_get(a->params, "p");

    struct pw_buf key;
    pw_buf_init(&key, 1 << 20);
    tree_key(a, &cfg, pivot, &key);
    /* The tree depends on which comparison built the profile: name it (norm is in the
     * settings above). */
    if (a->cmp)
        pw_buf_addf(&key, "\n%s=%s", a->cmp->kind, a->cmp->id);
    struct cached_tree *t = get_tree(a->p, pw_buf_str(&key), &cfg, pivot,
                                     a->cmp ? a->cmp->split : NULL, err);
    pw_buf_release(&key);
    if (!t)
        return -1;

    struct pw_json j;
    pw_json_init(&j, out);
    pw_json_obj_begin(&j);
    pw_view_json_common(&j, a, "flamegraph");
    req.roots[0] = t->roots[0];
    req.roots[1] = t->roots[1];
    req.roots_frac = 1.0 / FLAME_ROOTS_WIDTH;
    int rc = pw_flame_write(t->f, &req, &j, err);
    pw_json_obj_end(&j);
    release_tree(t);
    if (rc)
        pw_buf_reset(out);
    return rc;
}
