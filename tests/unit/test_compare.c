/* Unit tests for compare.c: the URL's base=/diff_base= are read (both at once is an error, empty
 * is none); a comparison equals what the command line's pw_source_combine builds; it is built
 * once per (id, base id, kind, norm) and shared; kinds and norm are cached apart; the flame graph
 * of base= built from the diff_base comparison keeps -base's numbers; other sample
 * types fail with both profiles named; a comparison dropped from the cache stays valid while
 * borrowed. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/arena.h"
#include "pprofweb/compare.h"
#include "pprofweb/flame.h"
#include "pprofweb/limits.h"
#include "pprofweb/source.h"

static struct pw_profile *load(const char *path)
{
    struct pw_source_options o = {.sources = &path, .n_sources = 1};
    struct pw_err err = {0};
    struct pw_profile *p = pw_source_load(&o, NULL, &err);
    if (!p)
        printf("# %s: %s\n", path, err.msg);
    return p;
}

static int64_t total(const struct pw_profile *p, uint32_t k)
{
    int64_t t = 0;
    for (size_t i = 0; i < p->n_samples; i++)
        t += p->samples[i].values[k];
    return t;
}

static void test_parse(void)
{
    struct pw_arena a;
    pw_arena_init(&a);
    struct pw_params ps = {0};
    struct pw_err err = {0};
    struct pw_compare_spec spec;
    CHECK(pw_compare_parse(&ps, false, &spec, &err) == 0 && spec.kind == PW_COMPARE_NONE, "none");
    pw_params_add(&ps, &a, "diff_base", "abc", &err);
    CHECK(pw_compare_parse(&ps, true, &spec, &err) == 0 && spec.kind == PW_COMPARE_DIFF_BASE &&
              !strcmp(spec.base_id, "abc") && spec.normalize,
          "diff_base");
    pw_params_add(&ps, &a, "base", "", &err);
    CHECK(pw_compare_parse(&ps, false, &spec, &err) == 0 && spec.kind == PW_COMPARE_DIFF_BASE,
          "an empty base is none");
    ps.v[1].value = "def";
    CHECK(pw_compare_parse(&ps, false, &spec, &err) == -1 && err.code == PW_EINVAL &&
              strstr(err.msg, "base=def") && strstr(err.msg, "diff_base=abc"),
          "both: %s", err.msg);
    pw_params_release(&ps);
    pw_arena_release(&a);
}

int main(void)
{
    test_parse();
    struct pw_profile *t1 = load("testdata/profiles/shop.heap-t1.pb.gz");
    struct pw_profile *t0 = load("testdata/profiles/shop.heap-t0.pb.gz");
    struct pw_profile *cpu = load("testdata/profiles/shop.cpu.pb.gz");
    CHECK(t1 && t0 && cpu, "profiles load");
    if (!t1 || !t0 || !cpu)
        return harness_done();
    struct pw_compare *c = pw_compare_new();
    struct pw_err err = {0};
    struct pw_compare_spec base = {PW_COMPARE_BASE, "t0", false};
    struct pw_compared *h = pw_compare_get(c, "t1", t1, "t0", t0, &base, &err);
    CHECK(h != NULL, "base: %s", err.msg);
    const struct pw_profile *p = pw_compared_profile(h);
    /* -base: every sample type's total is new minus base. */
    for (uint32_t k = 0; k < t1->n_sample_types; k++)
        CHECK_INTEQ(total(p, k), total(t1, k) - total(t0, k));
    /* The same as the command line's combining step. */
    struct pw_profile *cli = pw_source_combine(pw_profile_copy(t1), pw_profile_copy(t0), false,
                                               false, &err);
    CHECK(cli && cli->n_samples == p->n_samples, "same samples as pw_source_combine");
    pw_profile_free(cli);
    struct pw_compared *h2 = pw_compare_get(c, "t1", t1, "t0", t0, &base, &err);
    CHECK(h2 == h, "built once, shared");
    struct pw_compare_spec diff = {PW_COMPARE_DIFF_BASE, "t0", false};
    struct pw_compared *hd = pw_compare_get(c, "t1", t1, "t0", t0, &diff, &err);
    CHECK(hd && hd != h, "diff_base cached apart");
    struct pw_compare_spec norm = {PW_COMPARE_BASE, "t0", true};
    struct pw_compared *hn = pw_compare_get(c, "t1", t1, "t0", t0, &norm, &err);
    CHECK(hn && hn != h, "norm cached apart");
    /* -normalize scales the new profile to the base's totals: the difference is about zero. */
    uint32_t last = t1->n_sample_types - 1;
    int64_t nt = total(pw_compared_profile(hn), last);
    CHECK(nt > -1000 && nt < 1000, "normalized difference %lld", (long long)nt);
    /* The flame graph of base= takes its boxes from the diff_base comparison: the same total,
     * legend and root value as -base's own, but as wide as base plus new. */
    struct pw_config cfg;
    pw_config_default(&cfg);
    struct pw_flame *fb = pw_flame_build(p, &cfg, NULL, &err);
    struct pw_flame *fs = pw_flame_build_split(p, pw_compared_profile(hd), &cfg, NULL, &err);
    CHECK(fb && fs, "flames: %s", err.msg);
    if (fb && fs) {
        CHECK_INTEQ(fs->total, fb->total);
        CHECK_INTEQ(fs->n_legend, fb->n_legend);
        for (size_t i = 0; i < fs->n_legend && i < fb->n_legend; i++)
            CHECK_STREQ(fs->legend[i], fb->legend[i]);
        struct pw_flame_tree *tb = pw_flame_tree_new(fb, PW_NONE, 0, 0, 0, &err);
        struct pw_flame_tree *ts = pw_flame_tree_new(fs, PW_NONE, 0, 0, 0, &err);
        uint32_t si = t1->n_sample_types - 1; /* inuse_space, the default */
        CHECK(tb && ts, "trees: %s", err.msg);
        if (tb && ts) {
            CHECK_INTEQ(pw_flame_cum(&ts->nodes[0]), pw_flame_cum(&tb->nodes[0]));
            CHECK_INTEQ(pw_flame_weight(&ts->nodes[0]), total(t1, si) + total(t0, si));
            CHECK(pw_flame_weight(&tb->nodes[0]) < total(t1, si) + total(t0, si),
                  "-base nets stacks present in both");
        }
        pw_flame_tree_free(tb);
        pw_flame_tree_free(ts);
    }
    pw_flame_free(fb);
    pw_flame_free(fs);
    pw_compare_release(c, hn);
    pw_compare_release(c, hd);
    pw_compare_release(c, h2);

    /* Other sample types: 422 naming both. */
    CHECK(pw_compare_get(c, "t1", t1, "cpu", cpu, &base, &err) == NULL && err.code == PW_ECORRUPT &&
              strstr(err.msg, "profile t1 (alloc_objects/count") &&
              strstr(err.msg, "base cpu (samples/count, cpu/nanoseconds)"),
          "types: %s", err.msg);

    /* Fill the cache past its size: h, still borrowed, keeps its profile. */
    char ids[PW_MAX_COMPARED + 2][8];
    for (int i = 0; i < PW_MAX_COMPARED + 2; i++) {
        snprintf(ids[i], sizeof(ids[i]), "x%d", i);
        struct pw_compared *x = pw_compare_get(c, ids[i], t1, "t0", t0, &base, &err);
        CHECK(x != NULL, "fill %d", i);
        pw_compare_release(c, x);
    }
    CHECK_INTEQ(total(p, 0), total(t1, 0) - total(t0, 0));
    struct pw_compared *again = pw_compare_get(c, "t1", t1, "t0", t0, &base, &err);
    CHECK(again && again != h, "evicted and rebuilt");
    pw_compare_release(c, again);
    pw_compare_release(c, h);
    pw_compare_free(c);
    pw_profile_free(t1);
    pw_profile_free(t0);
    pw_profile_free(cpu);
    return harness_done();
}
