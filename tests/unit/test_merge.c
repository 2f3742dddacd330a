/* Unit tests for merge.c: merging a consumed single profile, in place and on two threads, gives
 * exactly what the copying merge gives (pprof's Merge of one profile): the same mappings,
 * functions, locations and samples, in the same order, with the same ids and string table, on
 * a profile full of what Merge folds: identical mappings, functions, locations and samples,
 * label orders, zero samples. Merging two consumed profiles (as a comparison does) gives
 * exactly what the key-table merge of the two gives. And merging folds what it should.
 * A profile that pw_profile_merge_graph_neutral calls neutral gives every graph report exactly
 * as its merge does, and each thing that Merge would change in such a report makes it not
 * neutral. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/buf.h"
#include "pprofweb/parallel.h"
#include "pprofweb/config.h"
#include "pprofweb/profile.h"
#include "pprofweb/report.h"

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(uint64_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state % n;
}

enum { N_FUNCS = 40, N_LOCS = 300 };

/* A profile of n samples over duplicated parts, drawn from seed. With other, it is another
 * profile of the same program: its strings are interned in another order, its mappings start
 * elsewhere, and every other sample has twice the values. */
static struct pw_profile *folding_profile(size_t n, uint64_t seed, bool other)
{
    rnd_state = seed;
    struct pw_profile *p = pw_profile_new();
    if (other) {
        pw_intern_cstr(p, "worker");
        pw_intern_cstr(p, "/lib/other.so");
        pw_intern_cstr(p, "main.f7");
    }
    struct pw_value_type types[2] = {
        {pw_intern_cstr(p, "alloc_objects"), pw_intern_cstr(p, "count")},
        {pw_intern_cstr(p, "alloc_space"), pw_intern_cstr(p, "bytes")}};
    pw_set_sample_types(p, types, 2);
    /* Mappings 0 and 1 are one to Merge (same file, size and offset), at other addresses. */
    for (int i = 0; i < 3; i++) {
        struct pw_mapping *m = pw_add_mapping(p);
        m->id = (uint64_t)i + 1;
        m->start = (i == 1 ? 0x900000 : 0x400000 + (uint64_t)i * 0x100000) + (other ? 0x3000 : 0);
        m->limit = m->start + 0x80000;
        m->file = pw_intern_cstr(p, i == 2 ? "/lib/other.so" : "/bin/app");
    }
    /* Functions k and k + N_FUNCS / 2 are alike for even k. */
    for (int i = 0; i < N_FUNCS; i++) {
        int k = i >= N_FUNCS / 2 && i % 2 == 0 ? i - N_FUNCS / 2 : i;
        char name[32];
        snprintf(name, sizeof name, "main.f%d", k);
        struct pw_function *f = pw_add_function(p);
        f->id = (uint64_t)i + 1;
        f->name = f->system_name = pw_intern_cstr(p, name);
        f->filename = pw_intern_cstr(p, k % 3 ? "main.go" : "util.go");
        f->start_line = k;
    }
    /* Every fourth location repeats an earlier one's content, in mapping 1 for mapping 0. */
    for (int i = 0; i < N_LOCS; i++) {
        struct pw_location *l = pw_add_location(p);
        l->id = (uint64_t)i + 1;
        if (i >= 4 && i % 4 == 0) {
            const struct pw_location *o = &p->locations[rnd((uint64_t)i)];
            l->mapping = o->mapping;
            l->address = o->address;
            if (o->mapping == 0) {
                l->mapping = 1;
                l->address = o->address - p->mappings[0].start + p->mappings[1].start;
            }
            l->n_lines = o->n_lines;
            l->lines = o->lines;
            continue;
        }
        uint64_t m = rnd(4);
        l->mapping = m == 3 ? PW_NONE : (uint32_t)m;
        l->address = (m == 3 ? 0x10000 : p->mappings[m].start) + rnd(0x8000);
        l->n_lines = (uint32_t)rnd(3);
        l->is_folded = rnd(9) == 0;
        l->lines = pw_arena_alloc(&p->arena, sizeof(*l->lines) * (l->n_lines + 1));
        for (uint32_t j = 0; j < l->n_lines; j++) {
            l->lines[j].function = (uint32_t)rnd(N_FUNCS);
            l->lines[j].line = (int64_t)rnd(50);
        }
    }
    static const char *const keys[] = {"handler", "worker", "phase"};
    static const char *const vals[] = {"a", "b", "c"};
    for (size_t i = 0; i < n; i++) {
        struct pw_sample *s = pw_add_sample(p);
        /* Every third sample repeats an earlier one's stack and labels, in another order. */
        const struct pw_sample *o = i > 10 && i % 3 == 0 ? &p->samples[rnd(i)] : NULL;
        s->values = pw_arena_alloc(&p->arena, 2 * sizeof(int64_t));
        s->values[0] = rnd(7) == 0 ? 0 : (int64_t)rnd(100);
        s->values[1] = s->values[0] ? (int64_t)rnd(1 << 20) - 1000 : 0;
        for (int k = 0; k < 2 && other && i % 2; k++)
            s->values[k] *= 2;
        s->n_locs = o ? o->n_locs : 1 + (uint32_t)rnd(20);
        s->locs = pw_arena_alloc(&p->arena, sizeof(uint32_t) * s->n_locs);
        for (uint32_t j = 0; j < s->n_locs; j++)
            s->locs[j] = o ? o->locs[j] : (uint32_t)rnd(N_LOCS);
        s->n_labels = o ? o->n_labels : (uint32_t)rnd(4);
        s->labels = pw_arena_alloc(&p->arena, sizeof(*s->labels) * (s->n_labels + 1));
        for (uint32_t j = 0; j < s->n_labels; j++) {
            if (o) {
                s->labels[j] = o->labels[s->n_labels - 1 - j];
                continue;
            }
            struct pw_label *l = &s->labels[j];
            *l = (struct pw_label){0};
            l->key = pw_intern_cstr(p, keys[rnd(3)]);
            if (rnd(3) == 0) {
                l->is_num = true;
                l->num = (int64_t)rnd(3) * 512;
                l->unit = pw_intern_cstr(p, "bytes");
            } else {
                l->str = pw_intern_cstr(p, vals[rnd(3)]);
            }
        }
    }
    return p;
}

/* The -raw dump and the string table, in order. */
static char *dump(const struct pw_profile *p)
{
    struct pw_buf out;
    pw_buf_init(&out, 0);
    pw_profile_format_raw(p, &out);
    pw_buf_addf(&out, "strings:");
    for (uint32_t i = 0; i < p->n_strings; i++)
        pw_buf_addf(&out, " %s", p->strings[i]);
    char *s = strdup(pw_buf_str(&out));
    pw_buf_release(&out);
    return s;
}

static void check_in_place(size_t n)
{
    struct pw_err err = {0};
    struct pw_profile *p = folding_profile(n, 0x9e3779b97f4a7c15ull + n, false);
    struct pw_profile *copied = pw_profile_merge(&p, 1, &err);
    struct pw_profile *consumed = pw_profile_merge_consume(&p, 1, &err);
    CHECK(copied && consumed && !p, "%zu samples: merged (%s)", n, err.msg);
    if (copied && consumed) {
        CHECK(copied->n_samples < n * 3 / 4, "%zu samples: only %zu folded", n,
              n - copied->n_samples);
        CHECK(copied->n_locations < N_LOCS && copied->n_functions < N_FUNCS &&
                  copied->n_mappings == 2,
              "%zu samples: %u locations, %u functions, %u mappings left", n,
              copied->n_locations, copied->n_functions, copied->n_mappings);
        char *a = dump(copied), *b = dump(consumed);
        size_t i = 0;
        while (a[i] && a[i] == b[i])
            i++;
        CHECK(strcmp(a, b) == 0, "%zu samples: in place differs at byte %zu: \"%.80s\" vs \"%.80s\"",
              n, i, b + i, a + i);
        free(a);
        free(b);
    }
    pw_profile_free(copied);
    pw_profile_free(consumed);
}

/* Two profiles of one program, the second a base as -diff_base and -base make it (labelled,
 * negated), merged as a comparison does: from working copies that borrow the profiles' arrays
 * (pw_profile_derive, values of their own), consumed. It gives exactly what the key-table merge
 * of the profiles gives, and leaves the profiles as they were. */
static void check_several(size_t n, bool diff_base)
{
    struct pw_err err = {0};
    uint64_t seed = 0x2545f4914f6cdd1dull + n;
    struct pw_profile *srcs[2] = {folding_profile(n, seed, false), folding_profile(n, seed, true)};
    if (diff_base)
        pw_profile_set_label(srcs[1], "pprof::base", "true");
    pw_profile_scale(srcs[1], -1);
    char *before[2] = {dump(srcs[0]), dump(srcs[1])};
    struct pw_profile *work[2];
    for (int i = 0; i < 2; i++) {
        work[i] = pw_profile_derive(srcs[i]);
        uint32_t nt = work[i]->n_sample_types;
        for (size_t j = 0; j < work[i]->n_samples; j++) {
            int64_t *v = pw_arena_alloc(&work[i]->arena, sizeof(*v) * nt);
            memcpy(v, work[i]->samples[j].values, sizeof(*v) * nt);
            work[i]->samples[j].values = v;
        }
    }
    struct pw_profile *copied = pw_profile_merge(srcs, 2, &err);
    struct pw_profile *consumed = pw_profile_merge_consume(work, 2, &err);
    CHECK(copied && consumed && !work[0] && !work[1], "%zu samples: merged (%s)", n, err.msg);
    if (copied && consumed) {
        CHECK(copied->n_samples < srcs[0]->n_samples + srcs[1]->n_samples &&
                  copied->n_locations < srcs[0]->n_locations + srcs[1]->n_locations &&
                  copied->n_functions < N_FUNCS,
              "%zu samples: the two did not fold (%zu samples, %u locations, %u functions)", n,
              copied->n_samples, copied->n_locations, copied->n_functions);
        char *a = dump(copied), *b = dump(consumed);
        size_t i = 0;
        while (a[i] && a[i] == b[i])
            i++;
        CHECK(strcmp(a, b) == 0, "%zu samples: two consumed differ at byte %zu: \"%.80s\" vs "
              "\"%.80s\"", n, i, b + i, a + i);
        free(a);
        free(b);
    }
    for (int i = 0; i < 2; i++) {
        char *after = dump(srcs[i]);
        CHECK(strcmp(before[i], after) == 0, "%zu samples: merging wrote into profile %d", n, i);
        free(after);
        free(before[i]);
        pw_profile_free(srcs[i]);
    }
    pw_profile_free(copied);
    pw_profile_free(consumed);
}

/* The graph reports of p, one after another, under settings a user would try. */
static char *graph_reports(const struct pw_profile *p)
{
    static const struct {
        const char *cmd, *arg;
        enum pw_granularity g;
        const char *focus, *tagfocus;
    } runs[] = {
        {"top", NULL, PW_G_FUNCTIONS, NULL, NULL},
        {"top", NULL, PW_G_ADDRESSES, NULL, NULL},
        {"top", NULL, PW_G_LINES, "main\\.f1", NULL},
        {"top", NULL, PW_G_FILES, NULL, "handler=a"},
        {"top", NULL, PW_G_FUNCTIONS, "nothing-matches", NULL},
        {"dot", NULL, PW_G_FUNCTIONS, NULL, NULL},
        {"dot", NULL, PW_G_ADDRESSES, NULL, NULL},
        {"peek", "main\\.f2", PW_G_FUNCTIONS, NULL, NULL},
    };
    struct pw_buf all;
    pw_buf_init(&all, 0);
    for (size_t i = 0; i < sizeof(runs) / sizeof(*runs); i++) {
        struct pw_config cfg;
        pw_config_default(&cfg);
        cfg.granularity = runs[i].g;
        cfg.focus = runs[i].focus;
        cfg.tagfocus = runs[i].tagfocus;
        struct pw_buf out, warn;
        pw_buf_init(&out, 0);
        pw_buf_init(&warn, 0);
        struct pw_err err = {0};
        int rc = pw_report_run(&out, &warn, p, runs[i].cmd, runs[i].arg, &cfg, &err);
        pw_buf_addf(&all, "== %s %d: rc %d %s\n%s%s", runs[i].cmd, (int)i, rc, err.msg,
                    pw_buf_str(&warn), pw_buf_str(&out));
        pw_buf_release(&out);
        pw_buf_release(&warn);
    }
    char *s = strdup(pw_buf_str(&all));
    pw_buf_release(&all);
    return s;
}

/* folding_profile without what a graph would see merged: mappings of their own, no zero or
 * negative value, every location and function reached. Equal functions, locations and samples
 * stay. */
static struct pw_profile *neutral_profile(size_t n, uint64_t seed)
{
    struct pw_profile *p = folding_profile(n, seed, false);
    p->mappings[1].file = pw_intern_cstr(p, "/bin/app2");
    for (size_t i = 0; i < p->n_samples; i++) {
        int64_t *v = p->samples[i].values;
        if (v[0] == 0 || v[1] <= 0) {
            v[0] = 3;
            v[1] = 4096 + (int64_t)i;
        }
    }
    struct pw_location *all_funcs = pw_add_location(p);
    all_funcs->id = p->n_locations;
    all_funcs->mapping = 2;
    all_funcs->address = p->mappings[2].start + 0x10;
    all_funcs->n_lines = N_FUNCS;
    all_funcs->lines = pw_arena_alloc(&p->arena, sizeof(struct pw_line) * N_FUNCS);
    for (uint32_t f = 0; f < N_FUNCS; f++)
        all_funcs->lines[f] = (struct pw_line){.function = f, .line = f + 1};
    struct pw_sample *s = pw_add_sample(p);
    s->values = pw_arena_alloc(&p->arena, 2 * sizeof(int64_t));
    s->values[0] = 1;
    s->values[1] = 100;
    s->n_locs = p->n_locations;
    s->locs = pw_arena_alloc(&p->arena, sizeof(uint32_t) * s->n_locs);
    for (uint32_t l = 0; l < s->n_locs; l++)
        s->locs[l] = l;
    return p;
}

/* Reports of p as it is and as merged; whether they are the same. */
static bool same_as_merged(const struct pw_profile *p)
{
    struct pw_profile *merged = pw_profile_compact(p);
    char *a = graph_reports(p), *b = graph_reports(merged);
    bool same = strcmp(a, b) == 0;
    if (!same) {
        size_t i = 0;
        while (a[i] && a[i] == b[i])
            i++;
        printf("# differ at byte %zu: \"%.120s\" vs \"%.120s\"\n", i, a + i, b + i);
    }
    free(a);
    free(b);
    pw_profile_free(merged);
    return same;
}

static void check_graph_neutral(void)
{
    struct pw_profile *p = neutral_profile(2000, 0x853c49e6748fea9bull);
    CHECK(pw_profile_merge_graph_neutral(p), "a profile with only equal parts is not neutral");
    struct pw_profile *merged = pw_profile_compact(p);
    CHECK(merged->n_samples < p->n_samples && merged->n_locations < p->n_locations &&
              merged->n_functions < p->n_functions,
          "Merge folded nothing: the test would not show that folding changes no report");
    pw_profile_free(merged);
    CHECK(same_as_merged(p), "graph reports of a neutral profile differ from its merge's");

    /* A value below zero, in a sample with a twin: the total adds absolute values. */
    struct pw_sample *twin = NULL, *first = NULL;
    for (size_t i = 0; i < p->n_samples && !twin; i++)
        for (size_t j = 0; j < i && !twin; j++)
            if (p->samples[i].n_locs == p->samples[j].n_locs && p->samples[i].n_labels == 0 &&
                p->samples[j].n_labels == 0 &&
                !memcmp(p->samples[i].locs, p->samples[j].locs,
                        sizeof(uint32_t) * p->samples[i].n_locs)) {
                twin = &p->samples[i];
                first = &p->samples[j];
            }
    CHECK(twin != NULL, "no two samples alike");
    if (twin) {
        int64_t was = twin->values[1];
        twin->values[1] = -first->values[1] / 2;
        CHECK(!pw_profile_merge_graph_neutral(p), "a value below zero: neutral");
        CHECK(!same_as_merged(p), "twins of opposite signs: the total should show it");
        twin->values[1] = was;
    }
    /* Two mappings Merge makes one: addresses and object files change. */
    uint32_t file1 = p->mappings[1].file;
    p->mappings[1].file = p->mappings[0].file;
    CHECK(!pw_profile_merge_graph_neutral(p), "mappings that are one: neutral");
    CHECK(!same_as_merged(p), "mappings that are one: the reports should show it");
    p->mappings[1].file = file1;
    /* A zero sample with labels. */
    struct pw_sample *z = &p->samples[5];
    int64_t v0 = z->values[0], v1 = z->values[1];
    uint32_t nl = z->n_labels;
    z->values[0] = z->values[1] = 0;
    z->n_labels = 0;
    CHECK(pw_profile_merge_graph_neutral(p), "a zero sample without labels: not neutral");
    z->n_labels = 1;
    z->labels[0] = (struct pw_label){.key = pw_intern_cstr(p, "handler"),
                                     .str = pw_intern_cstr(p, "zero")};
    CHECK(!pw_profile_merge_graph_neutral(p), "a zero sample with labels: neutral");
    z->values[0] = v0;
    z->values[1] = v1;
    z->n_labels = nl;
    /* A location no sample reaches, matching a focus nothing else matches. */
    struct pw_function *lone = pw_add_function(p);
    lone->id = p->n_functions;
    lone->name = lone->system_name = pw_intern_cstr(p, "nothing-matches");
    CHECK(!pw_profile_merge_graph_neutral(p), "a function no location has: neutral");
    struct pw_location *l = pw_add_location(p);
    l->id = p->n_locations;
    l->mapping = 0;
    l->address = p->mappings[0].start + 0x7000;
    l->n_lines = 1;
    l->lines = pw_arena_alloc(&p->arena, sizeof(*l->lines));
    l->lines[0] = (struct pw_line){.function = p->n_functions - 1, .line = 9};
    CHECK(!pw_profile_merge_graph_neutral(p), "a location no sample reaches: neutral");
    CHECK(!same_as_merged(p), "a location no sample reaches: the focus warning should show it");
    p->n_locations--;
    p->n_functions--;
    CHECK(pw_profile_merge_graph_neutral(p), "back as it was: not neutral");
    /* A comment twice. */
    pw_add_comment(p, "note", 4);
    CHECK(pw_profile_merge_graph_neutral(p), "one comment: not neutral");
    pw_add_comment(p, "note", 4);
    CHECK(!pw_profile_merge_graph_neutral(p), "a comment twice: neutral");
    pw_profile_free(p);
}

int main(void)
{
    check_graph_neutral();
    check_in_place(500);
    check_in_place(PW_PARALLEL_MIN_SAMPLES * 2); /* the keys on two threads */
    check_several(500, true);
    check_several(500, false);
    check_several(PW_PARALLEL_MIN_SAMPLES, true);
    return harness_done();
}
