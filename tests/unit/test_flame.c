/* Unit tests for the flame graph (flame.c, flame_view.c) on corpus profiles: a function's
 * outermost boxes add up to its cum in the top report at the same settings (granularities,
 * sample indexes, focus/hide/show filters, -diff_base and -base diffs); a pivot's root is the cum
 * of the pivot function and its callers' tree carries the same total; a subtree asked by
 * (seq, depth) equals that node of the whole tree; responses stay within PW_FLAME_MAX_SENT
 * boxes and parse back into consistent widths; bad nodes and pivots are errors; side roots built
 * ahead at a finer width answer with the same bytes as trees built per request.
 * Corpus: ../shared/corpus (CORPUS overrides); profiles missing there are skipped. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/buf.h"
#include "pprofweb/config.h"
#include "pprofweb/flame.h"
#include "pprofweb/json.h"
#include "pprofweb/parallel.h"
#include "pprofweb/profile.h"
#include "pprofweb/regex.h"
#include "pprofweb/report.h"
#include "pprofweb/source.h"

static const char *corpus(void)
{
    const char *c = getenv("CORPUS");
    return c ? c : "../shared/corpus";
}

static struct pw_profile *load(const char *rel, const char *base_rel, bool diff_base)
{
    char path[512], base[512];
    snprintf(path, sizeof(path), "%s/%s", corpus(), rel);
    const char *srcs[1] = {path}, *bases[1] = {base};
    struct pw_source_options o = {.sources = srcs, .n_sources = 1, .symbolize = "none"};
    if (base_rel) {
        snprintf(base, sizeof(base), "%s/%s", corpus(), base_rel);
        o.bases = bases;
        o.n_bases = 1;
        o.diff_base = diff_base;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fclose(f);
    struct pw_err err = {0};
    struct pw_profile *p = pw_source_load(&o, NULL, &err);
    CHECK(p != NULL, "load %s: %s", rel, err.msg);
    return p;
}

/* Whether t is a tree: each node's children come after it and name it as their parent, and
 * every node but the root is one node's child. */
static bool tree_shape_ok(const char *what, const struct pw_flame_tree *t)
{
    size_t children = 0;
    for (size_t i = 0; i < t->n_nodes; i++) {
        const struct pw_flame_node *nd = &t->nodes[i];
        for (uint32_t c = nd->first_child; c < nd->first_child + nd->n_children; c++) {
            if (c <= i || c >= t->n_nodes || t->nodes[c].parent != i) {
                printf("# %s: node %zu: child %u is not its own\n", what, i, c);
                return false;
            }
        }
        children += nd->n_children;
    }
    return children + 1 == t->n_nodes;
}

/* Per frame: the sum of cum over nodes with no ancestor of the same frame. */
static void outermost_cums(const struct pw_flame *f, const struct pw_flame_tree *t, int64_t *sum)
{
    /* Preorder by explicit stack, with a per-frame count of open ancestors. */
    uint32_t *open = calloc(f->n_frames + 1, sizeof(*open));
    uint32_t *stack = malloc((t->n_nodes + 1) * sizeof(*stack));
    uint8_t *exiting = calloc(t->n_nodes + 1, 1);
    size_t n = 0;
    stack[n++] = 0;
    while (n) {
        uint32_t id = stack[--n];
        const struct pw_flame_node *nd = &t->nodes[id];
        if (exiting[id]) {
            if (nd->frame != PW_NONE)
                open[nd->frame]--;
            continue;
        }
        if (nd->frame != PW_NONE) {
            if (open[nd->frame] == 0)
                sum[nd->frame] += pw_flame_cum(nd);
            open[nd->frame]++;
        }
        exiting[id] = 1;
        stack[n++] = id;
        for (uint32_t c = 0; c < nd->n_children; c++)
            stack[n++] = nd->first_child + c;
    }
    free(open);
    free(stack);
    free(exiting);
}

static const struct pw_flame *sort_flame;

static int cmp_frame(const void *a, const void *b)
{
    return strcmp(sort_flame->frames[*(const uint32_t *)a].name,
                  sort_flame->frames[*(const uint32_t *)b].name);
}

/* The frame named name, by binary search in by_name (frame ids sorted by name); PW_NONE. */
static uint32_t find_frame(const struct pw_flame *f, const uint32_t *by_name, const char *name)
{
    size_t lo = 0, hi = f->n_frames;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(f->frames[by_name[mid]].name, name);
        if (c == 0)
            return by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return PW_NONE;
}

/* Every row of top has a frame of the same name whose outermost boxes sum to its cum. */
static void check_against_top(const char *what, const struct pw_profile *p,
                              const struct pw_config *cfg)
{
    struct pw_err err = {0};
    struct pw_flame *f = pw_flame_build(p, cfg, NULL, &err);
    CHECK(f != NULL, "%s: build: %s", what, err.msg);
    if (!f)
        return;
    struct pw_flame_tree *t = pw_flame_tree_new(f, PW_NONE, 0, 0, 0, &err);
    CHECK(t != NULL, "%s: tree: %s", what, err.msg);
    if (t && !tree_shape_ok(what, t)) {
        CHECK(false, "%s: the tree's nodes and children agree", what);
        pw_flame_tree_free(t);
        pw_flame_free(f);
        return;
    }
    struct pw_config tc = *cfg;
    tc.trim = false;
    struct pw_report *r = pw_report_new(p, "top", NULL, &tc, NULL, &err);
    CHECK(r != NULL, "%s: top: %s", what, err.msg);
    if (!t || !r) {
        pw_flame_tree_free(t);
        pw_report_free(r);
        pw_flame_free(f);
        return;
    }
    int64_t *sum = calloc(f->n_frames + 1, sizeof(*sum));
    outermost_cums(f, t, sum);
    size_t n_items;
    struct pw_text_item *items = pw_report_text_items(r, &n_items);
    size_t bad = 0, missing = 0;
    int64_t flat_sum = 0;
    uint32_t *by_name = malloc((f->n_frames + 1) * sizeof(*by_name));
    for (uint32_t k = 0; k < f->n_frames; k++)
        by_name[k] = k;
    sort_flame = f;
    qsort(by_name, f->n_frames, sizeof(*by_name), cmp_frame);
    for (size_t i = 0; i < n_items; i++) {
        flat_sum += items[i].flat;
        uint32_t fr = find_frame(f, by_name, items[i].name);
        if (fr == PW_NONE) {
            if (items[i].cum != 0 && missing++ < 3)
                printf("# %s: no frame named %s\n", what, items[i].name);
            continue;
        }
        if (sum[fr] != items[i].cum && bad++ < 3)
            printf("# %s: %s: flame %lld, top cum %lld\n", what, items[i].name,
                   (long long)sum[fr], (long long)items[i].cum);
    }
    CHECK(n_items > 0, "%s: top has rows", what);
    CHECK(bad == 0 && missing == 0, "%s: %zu of %zu functions differ from top's cum, %zu missing",
          what, bad, n_items, missing);
    /* The root holds every sample: the top rows' flat values add up to it. */
    CHECK(pw_flame_cum(&t->nodes[0]) == flat_sum, "%s: root %lld == sum of flat %lld", what,
          (long long)pw_flame_cum(&t->nodes[0]), (long long)flat_sum);
    free(sum);
    free(by_name);
    pw_report_free(r);
    pw_flame_tree_free(t);
    pw_flame_free(f);
}

static void flame_config(struct pw_config *c, enum pw_granularity g)
{
    pw_config_default(c);
    c->granularity = g;
    c->trim = false;
}

static void test_against_top(void)
{
    static const char *const files[] = {
        "public/go-cpu-large.pb.gz",       "public/go-heap-parca.pb.gz",
        "public/java-cpu-jfr-kafka-t0.pb.gz", "public/python-pyspy.pb.gz",
        "public/go-cpu-labels.pb.gz",      "public/cpp-cpu-cppbench.legacy.bin",
        "local/profiles/go119-heap-t1.pb.gz", "public/nodejs-wall.pb.gz",
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
        struct pw_profile *p = load(files[i], NULL, false);
        if (!p)
            continue;
        struct pw_config c;
        char what[256];
        static const enum pw_granularity gs[] = {PW_G_FILEFUNCTIONS, PW_G_FUNCTIONS, PW_G_LINES};
        for (size_t g = 0; g < 3; g++) {
            flame_config(&c, gs[g]);
            snprintf(what, sizeof(what), "%s g=%s", files[i], pw_granularity_name(gs[g]));
            check_against_top(what, p, &c);
        }
        flame_config(&c, PW_G_FILEFUNCTIONS);
        c.sample_index = "0";
        snprintf(what, sizeof(what), "%s si=0", files[i]);
        check_against_top(what, p, &c);
        flame_config(&c, PW_G_FUNCTIONS);
        c.noinlines = true;
        snprintf(what, sizeof(what), "%s noinlines", files[i]);
        check_against_top(what, p, &c);
        pw_profile_free(p);
    }
    /* Refinements go through the same pipeline as top. */
    struct pw_profile *p = load("public/go-cpu-large.pb.gz", NULL, false);
    if (p) {
        struct pw_config c;
        flame_config(&c, PW_G_FILEFUNCTIONS);
        c.focus = "runtime";
        check_against_top("focus=runtime", p, &c);
        flame_config(&c, PW_G_FILEFUNCTIONS);
        c.hide = "runtime\\.";
        check_against_top("hide=runtime\\.", p, &c);
        flame_config(&c, PW_G_FILEFUNCTIONS);
        c.ignore = "syscall";
        c.show = "main|runtime";
        check_against_top("ignore+show", p, &c);
        pw_profile_free(p);
    }
}

static void test_diffs(void)
{
    static const bool modes[] = {true, false};
    for (size_t m = 0; m < 2; m++) {
        struct pw_profile *p = load("local/profiles/go119-heap-t1.pb.gz",
                                    "local/profiles/go119-heap-t0.pb.gz", modes[m]);
        if (!p)
            return;
        struct pw_config c;
        flame_config(&c, PW_G_FILEFUNCTIONS);
        c.sample_index = "alloc_space";
        check_against_top(modes[m] ? "diff_base" : "base", p, &c);
        struct pw_err err = {0};
        struct pw_flame *f = pw_flame_build(p, &c, NULL, &err);
        /* -base cancels equal stacks: allocations only grow, so nothing is left negative;
         * -diff_base keeps the base's samples apart, negative. */
        CHECK(f && f->diff == modes[m], "diff detected: %d (%s)", f ? f->diff : -1, err.msg);
        if (f) {
            CHECK(f->diff_base == modes[m], "diff_base flag %d", f->diff_base);
            struct pw_flame_tree *t = pw_flame_tree_new(f, PW_NONE, 0, 0, 0, &err);
            /* The width covers growth and shrinkage, the value is the net change. */
            const struct pw_flame_node *root = &t->nodes[0];
            CHECK(pw_flame_weight(root) >= (root->cum < 0 ? -root->cum : root->cum),
                  "weight %lld >= |net| %lld", (long long)pw_flame_weight(root),
                  (long long)root->cum);
            CHECK(root->pos >= 0 && root->pos - root->cum >= 0, "growth and shrinkage >= 0");
            pw_flame_tree_free(t);
        }
        pw_flame_free(f);
        pw_profile_free(p);
    }
}

static void test_pivot_and_subtrees(void)
{
    struct pw_profile *p = load("public/go-cpu-large.pb.gz", NULL, false);
    if (!p)
        return;
    struct pw_config c;
    flame_config(&c, PW_G_FILEFUNCTIONS);
    struct pw_err err = {0};
    struct pw_report *r = pw_report_new(p, "top", NULL, &c, NULL, &err);
    size_t n_items;
    struct pw_text_item *items = pw_report_text_items(r, &n_items);
    /* Pivot on the function with the largest flat that is not a root: its callers exist. */
    const struct pw_text_item *it = &items[n_items > 3 ? 3 : 0];
    struct pw_buf re;
    pw_buf_init(&re, 0);
    pw_buf_adds(&re, "^");
    pw_regex_quote_meta(it->name, &re);
    pw_buf_adds(&re, "$");
    struct pw_flame *f = pw_flame_build(p, &c, pw_buf_str(&re), &err);
    CHECK(f != NULL, "pivot build: %s", err.msg);
    if (f) {
        CHECK(f->pivot && f->pivot_frame != PW_NONE, "pivot matched one frame");
        struct pw_flame_tree *callees = pw_flame_tree_new(f, PW_NONE, 0, 0, 0, &err);
        struct pw_flame_tree *callers = pw_flame_tree_new(f, PW_NONE, 0, 1, 0, &err);
        CHECK(callees && callers, "pivot trees: %s", err.msg);
        if (callees && callers) {
            CHECK_INTEQ(callees->nodes[0].cum, it->cum);
            CHECK_INTEQ(callers->nodes[0].cum, it->cum);
            /* Samples ending in the pivot are its flat. */
            CHECK_INTEQ(callees->nodes[0].flat, it->flat);
        }
        pw_flame_tree_free(callees);
        pw_flame_tree_free(callers);
    }
    pw_flame_free(f);
    pw_buf_release(&re);
    f = pw_flame_build(p, &c, "no such function at all", &err);
    CHECK(f == NULL && err.code == PW_EINVAL, "pivot matching nothing: %s", err.msg);
    f = pw_flame_build(p, &c, "(", &err);
    CHECK(f == NULL && err.code == PW_EINVAL, "bad pivot regexp: %s", err.msg);

    /* A subtree named (seq, depth) equals that node of the whole tree. */
    f = pw_flame_build(p, &c, NULL, &err);
    struct pw_flame_tree *all = pw_flame_tree_new(f, PW_NONE, 0, 0, 0, &err);
    size_t checked = 0;
    for (size_t id = 1; id < all->n_nodes && checked < 50; id += all->n_nodes / 50 + 1) {
        const struct pw_flame_node *nd = &all->nodes[id];
        uint32_t depth = 0;
        for (uint32_t a = (uint32_t)id; all->nodes[a].parent != PW_NONE; a = all->nodes[a].parent)
            depth++;
        struct pw_flame_tree *sub = pw_flame_tree_new(f, nd->seq, depth, 0, 0, &err);
        CHECK(sub != NULL, "subtree %u.%u: %s", nd->seq, depth, err.msg);
        if (!sub)
            continue;
        CHECK(sub->nodes[0].frame == nd->frame && sub->nodes[0].cum == nd->cum &&
                  sub->nodes[0].flat == nd->flat && sub->nodes[0].n_children == nd->n_children,
              "subtree %u.%u matches the node", nd->seq, depth);
        CHECK_INTEQ(sub->ancestors[0].cum, all->nodes[0].cum);
        pw_flame_tree_free(sub);
        checked++;
    }
    CHECK(checked > 10, "checked %zu subtrees", checked);
    struct pw_flame_tree *bad = pw_flame_tree_new(f, (uint32_t)f->n_seqs, 1, 0, 0, &err);
    CHECK(bad == NULL && err.code == PW_EINVAL, "seq out of range: %s", err.msg);
    bad = pw_flame_tree_new(f, 0, f->seqs[0].len + 1, 0, 0, &err);
    CHECK(bad == NULL && err.code == PW_EINVAL, "depth out of range: %s", err.msg);

    /* A response: within the box budget, every box at least min_px wide or an "other". */
    struct pw_buf out;
    pw_buf_init(&out, 0);
    struct pw_json j;
    pw_json_init(&j, &out);
    pw_json_obj_begin(&j);
    struct pw_flame_request req = {.seq = PW_NONE, .width = 300, .min_px = 1};
    CHECK(pw_flame_write(f, &req, &j, &err) == 0, "write: %s", err.msg);
    pw_json_obj_end(&j);
    const char *nodes = strstr(pw_buf_str(&out), "\"nodes\":[");
    size_t numbers = 0;
    for (const char *s = nodes ? nodes + 9 : ""; *s && *s != ']'; s++)
        numbers += *s == ',';
    CHECK(nodes && numbers / 6 + 1 <= 300 * 40, "boxes at width 300: %zu", numbers / 6 + 1);
    CHECK(strstr(pw_buf_str(&out), "\"frames\":[") && strstr(pw_buf_str(&out), "\"strings\":["),
          "frames and strings present");
    pw_buf_release(&out);
    pw_flame_tree_free(all);
    pw_flame_free(f);
    pw_report_free(r);
    pw_profile_free(p);
}

/* The response of req as a string (freed by the caller), or NULL with err. */
static char *write_response(const struct pw_flame *f, const struct pw_flame_request *req,
                            struct pw_err *err)
{
    struct pw_buf out;
    pw_buf_init(&out, 0);
    struct pw_json j;
    pw_json_init(&j, &out);
    pw_json_obj_begin(&j);
    int rc = pw_flame_write(f, req, &j, err);
    pw_json_obj_end(&j);
    char *s = rc ? NULL : strdup(pw_buf_str(&out));
    pw_buf_release(&out);
    return s;
}

/* Side roots built ahead at a fine min_frac answer every request at least that coarse with the
 * same bytes as a tree built for the request itself: the plain tree, a pivot's (both sides),
 * -diff_base and -base diffs, drop_negative, and a response raising its min_px to fit
 * PW_FLAME_MAX_SENT (width 20000). */
static void test_reused_roots(void)
{
    static const struct {
        const char *profile, *base, *pivot;
        bool diff_base;
    } cases[] = {
        {"public/go-cpu-large.pb.gz", NULL, NULL, false},
        {"public/go-cpu-large.pb.gz", NULL, "^runtime\\.", false},
        {"local/profiles/go119-heap-t1.pb.gz", "local/profiles/go119-heap-t0.pb.gz", NULL, true},
        {"local/profiles/go119-heap-t1.pb.gz", "local/profiles/go119-heap-t0.pb.gz", NULL, false},
    };
    static const uint32_t widths[] = {100, 300, 1400, 4000, 20000};
    static const double min_pxs[] = {1, 2.5};
    const double frac = 1.0 / 4000;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct pw_profile *p = load(cases[i].profile, cases[i].base, cases[i].diff_base);
        if (!p)
            continue;
        struct pw_config c;
        flame_config(&c, PW_G_FILEFUNCTIONS);
        struct pw_err err = {0};
        struct pw_flame *f = pw_flame_build(p, &c, cases[i].pivot, &err);
        CHECK(f != NULL, "%s: %s", cases[i].profile, err.msg);
        if (!f) {
            pw_profile_free(p);
            continue;
        }
        struct pw_flame_tree *ahead[2] = {NULL, NULL};
        for (uint8_t side = 0; side <= (f->pivot ? 1 : 0); side++)
            ahead[side] = pw_flame_tree_new(f, PW_NONE, 0, side, frac, &err);
        size_t same = 0, n = 0;
        for (size_t w = 0; w < sizeof(widths) / sizeof(*widths); w++) {
            for (size_t m = 0; m < sizeof(min_pxs) / sizeof(*min_pxs); m++) {
                for (int drop = 0; drop < 2; drop++) {
                    for (uint8_t side = 0; side <= (f->pivot ? 1 : 0); side++) {
                        struct pw_flame_request req = {.seq = PW_NONE, .side = side,
                                                       .width = widths[w],
                                                       .min_px = min_pxs[m],
                                                       .drop_negative = drop};
                        char *own = write_response(f, &req, &err);
                        req.roots[0] = ahead[0];
                        req.roots[1] = ahead[1];
                        req.roots_frac = frac;
                        char *reused = write_response(f, &req, &err);
                        n++;
                        same += own && reused && strcmp(own, reused) == 0;
                        free(own);
                        free(reused);
                    }
                }
            }
        }
        CHECK(same == n, "%s%s%s: %zu of %zu responses the same with the roots built ahead",
              cases[i].profile, cases[i].pivot ? " pivot " : "",
              cases[i].pivot ? cases[i].pivot : "", same, n);
        pw_flame_tree_free(ahead[0]);
        pw_flame_tree_free(ahead[1]);
        pw_flame_free(f);
        pw_profile_free(p);
    }
}

/* A name holding NUL bytes (invalid-utf8.pb.gz has one starting with NUL, which the top report
 * prints raw) is shown whole, each NUL as U+FFFD, not cut at the first. */
static void test_nul_name(void)
{
    struct pw_profile *p = load("public/invalid-utf8.pb.gz", NULL, false);
    if (!p)
        return;
    struct pw_config c;
    flame_config(&c, PW_G_FILEFUNCTIONS);
    struct pw_err err = {0};
    struct pw_flame *f = pw_flame_build(p, &c, NULL, &err);
    CHECK(f != NULL, "flame: %s", err.msg);
    bool found = false;
    for (uint32_t i = 0; f && i < f->n_frames; i++)
        found |= strncmp(f->frames[i].name, "\xef\xbf\xbd\x01\x02", 5) == 0 &&
                 strlen(f->frames[i].name) > 200;
    CHECK(found, "a frame named U+FFFD \\x01 \\x02 ... in full");
    pw_flame_free(f);
    pw_profile_free(p);
}

/* A profile large enough for its stacks to be collected on two threads: copies of a corpus
 * profile's samples, each with a label of its own so that none merge, some of them zero; only
 * the second half has negative values and -diff_base base samples. Every function's boxes still
 * add up to its cum in top, every sample but the zero ones is a stack, and the flags come from
 * the second half too. */
static void test_two_halves(void)
{
    struct pw_profile *p = load("public/go-cpu-large.pb.gz", NULL, false);
    if (!p)
        return;
    size_t n0 = p->n_samples, n = 2 * PW_PARALLEL_MIN_SAMPLES + 101;
    uint32_t nt = p->n_sample_types;
    pw_str copy = pw_intern_cstr(p, "copy"), base = pw_intern_cstr(p, "pprof::base"),
           yes = pw_intern_cstr(p, "true");
    int64_t sum = 0;
    size_t stacks = 0;
    for (size_t j = 0; j < n; j++) {
        struct pw_sample *s = j < n0 ? &p->samples[j] : pw_add_sample(p);
        if (j >= n0)
            *s = p->samples[j % n0];
        bool second = j >= n / 2, negative = second && j % 5 == 0;
        int64_t *v = pw_arena_alloc(&p->arena, sizeof(*v) * nt);
        for (uint32_t k = 0; k < nt; k++)
            v[k] = j % 7 == 3 ? 0 : p->samples[j % n0].values[k] * (negative ? -1 : 1);
        s->values = v;
        struct pw_label *l = pw_arena_calloc(&p->arena, 2, sizeof(*l));
        l[0] = (struct pw_label){.key = copy, .is_num = true, .num = (int64_t)j};
        l[1] = (struct pw_label){.key = base, .str = yes};
        s->labels = l;
        s->n_labels = negative ? 2 : 1;
        sum += v[nt - 1];
        stacks += v[nt - 1] != 0;
    }
    struct pw_config c;
    flame_config(&c, PW_G_FILEFUNCTIONS);
    check_against_top("two halves", p, &c);
    struct pw_err err = {0};
    struct pw_flame *f = pw_flame_build(p, &c, NULL, &err);
    CHECK(f != NULL, "two halves: %s", err.msg);
    if (f) {
        CHECK(f->n_seqs == stacks, "two halves: %zu stacks, want %zu", f->n_seqs, stacks);
        CHECK(f->shown == sum, "two halves: shown %lld, want %lld", (long long)f->shown,
              (long long)sum);
        CHECK(f->diff && f->diff_base, "two halves: diff %d, diff_base %d", f->diff,
              f->diff_base);
    }
    pw_flame_free(f);
    pw_profile_free(p);
}

int main(void)
{
    test_nul_name();
    test_against_top();
    test_diffs();
    test_pivot_and_subtrees();
    test_reused_roots();
    test_two_halves();
    return harness_done();
}
