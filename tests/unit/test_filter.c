/* Unit tests for filter.c and prune.c: pprof's focus/ignore/hide/show/show_from, tag filters,
 * FilterTagsByName, Prune, RemoveUninteresting, PruneFrom and applyFocus, on small profiles built
 * here. Expected stacks follow pprof's profile/filter.go and prune.go semantics. */
#include <stdarg.h>
#include <stdlib.h>

#include "harness.h"
#include "pprofweb/buf.h"
#include "pprofweb/filter.h"
#include "pprofweb/regex.h"

/* --- building profiles --- */

static uint32_t add_func(struct pw_profile *p, const char *name, const char *file)
{
    struct pw_function *f = pw_add_function(p);
    f->id = p->n_functions;
    f->name = pw_intern_cstr(p, name);
    f->filename = pw_intern_cstr(p, file);
    return p->n_functions - 1;
}

/* A location with n lines (innermost first), as function indexes. */
static uint32_t add_loc(struct pw_profile *p, uint32_t mapping, int n, ...)
{
    struct pw_location *l = pw_add_location(p);
    l->id = p->n_locations;
    l->mapping = mapping;
    l->n_lines = (uint32_t)n;
    l->lines = pw_arena_calloc(&p->arena, (size_t)(n ? n : 1), sizeof(*l->lines));
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        int f = va_arg(ap, int);
        l->lines[i].function = f < 0 ? PW_NONE : (uint32_t)f;
        l->lines[i].line = 10 + i;
    }
    va_end(ap);
    return p->n_locations - 1;
}

/* A sample with value v and n locations, leaf first. */
static struct pw_sample *add_sample(struct pw_profile *p, int64_t v, int n, ...)
{
    struct pw_sample *s = pw_add_sample(p);
    s->values = pw_arena_calloc(&p->arena, 1, sizeof(int64_t));
    s->values[0] = v;
    s->n_locs = (uint32_t)n;
    s->locs = pw_arena_calloc(&p->arena, (size_t)(n ? n : 1), sizeof(uint32_t));
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        s->locs[i] = (uint32_t)va_arg(ap, int);
    va_end(ap);
    return s;
}

static void add_str_label(struct pw_profile *p, struct pw_sample *s, const char *k, const char *v)
{
    struct pw_label *l = pw_arena_calloc(&p->arena, s->n_labels + 1, sizeof(*l));
    if (s->n_labels)
        memcpy(l, s->labels, sizeof(*l) * s->n_labels);
    l[s->n_labels] = (struct pw_label){.key = pw_intern_cstr(p, k), .str = pw_intern_cstr(p, v)};
    s->labels = l;
    s->n_labels++;
}

static void add_num_label(struct pw_profile *p, struct pw_sample *s, const char *k, int64_t v,
                          const char *unit)
{
    struct pw_label *l = pw_arena_calloc(&p->arena, s->n_labels + 1, sizeof(*l));
    if (s->n_labels)
        memcpy(l, s->labels, sizeof(*l) * s->n_labels);
    l[s->n_labels] = (struct pw_label){.key = pw_intern_cstr(p, k),
                                       .is_num = true,
                                       .num = v,
                                       .unit = unit ? pw_intern_cstr(p, unit) : 0};
    s->labels = l;
    s->n_labels++;
}

/* Function indexes of the standard profile. */
enum { F_MAIN, F_FOO, F_BAR, F_MALLOC, F_NEW, F_OP, N_F };
/* Location indexes: L_BARFOO holds bar inlined into foo. */
enum { L_MAIN, L_FOO, L_BAR, L_MALLOC, L_BARFOO, L_NOFUNC, L_NEW, L_OP };

/* main -> foo -> bar -> malloc, etc.; one mapping /bin/app (for L_MAIN only). */
static struct pw_profile *standard(void)
{
    struct pw_profile *p = pw_profile_new();
    struct pw_value_type vt = {pw_intern_cstr(p, "samples"), pw_intern_cstr(p, "count")};
    pw_set_sample_types(p, &vt, 1);
    struct pw_mapping *m = pw_add_mapping(p);
    m->id = 1;
    m->file = pw_intern_cstr(p, "/bin/app");
    add_func(p, "main.main", "main.go");
    add_func(p, "main.foo", "foo.go");
    add_func(p, "main.bar", "bar.go");
    add_func(p, "malloc", "malloc.c");
    add_func(p, "operator new(unsigned long)", "new.cc");
    add_func(p, ".ns::(anonymous namespace)::Run(int)", "run.cc");
    add_loc(p, 0, 1, F_MAIN);
    add_loc(p, PW_NONE, 1, F_FOO);
    add_loc(p, PW_NONE, 1, F_BAR);
    add_loc(p, PW_NONE, 1, F_MALLOC);
    add_loc(p, PW_NONE, 2, F_BAR, F_FOO);
    add_loc(p, PW_NONE, 1, -1);
    add_loc(p, PW_NONE, 1, F_NEW);
    add_loc(p, PW_NONE, 1, F_OP);
    add_sample(p, 1, 4, L_MALLOC, L_BAR, L_FOO, L_MAIN);
    add_sample(p, 2, 2, L_FOO, L_MAIN);
    add_sample(p, 4, 2, L_BARFOO, L_MAIN);
    add_sample(p, 8, 2, L_NOFUNC, L_MAIN);
    return p;
}

/* Renders the profile's samples as "v:frame;frame|...", leaf first, inlined lines joined by
 * '+', functionless lines as "?". */
static const char *render(const struct pw_profile *p, struct pw_buf *b)
{
    pw_buf_reset(b);
    for (size_t i = 0; i < p->n_samples; i++) {
        const struct pw_sample *s = &p->samples[i];
        pw_buf_addf(b, "%s%lld:", i ? "|" : "", (long long)s->values[0]);
        for (uint32_t j = 0; j < s->n_locs; j++) {
            const struct pw_location *l = &p->locations[s->locs[j]];
            if (j)
                pw_buf_addc(b, ';');
            for (uint32_t k = 0; k < l->n_lines; k++) {
                uint32_t f = l->lines[k].function;
                pw_buf_addf(b, "%s%s", k ? "+" : "",
                            f == PW_NONE ? "?" : pw_s(p, p->functions[f].name));
            }
        }
    }
    return pw_buf_str(b);
}

static struct pw_regex *rx(const char *s)
{
    struct pw_err err = {0};
    struct pw_regex *re = pw_regex_compile(s, &err);
    if (!re)
        printf("# bad test regexp %s: %s\n", s, err.msg);
    return re;
}

/* --- FilterSamplesByName, ShowFrom --- */

struct name_case {
    const char *focus, *ignore, *hide, *show;
    const char *want;
    struct pw_name_matches matched;
};

static const struct name_case name_cases[] = {
    /* no filter still drops nothing with a stack */
    {NULL,
     NULL,
     NULL,
     NULL,
     "1:malloc;main.bar;main.foo;main.main|2:main.foo;main.main|"
     "4:main.bar+main.foo;main.main|8:?;main.main",
     {1, 0, 0, 0}},
    {"foo",
     NULL,
     NULL,
     NULL,
     "1:malloc;main.bar;main.foo;main.main|2:main.foo;main.main|"
     "4:main.bar+main.foo;main.main",
     {1, 0, 0, 0}},
    {"nothing", NULL, NULL, NULL, "", {0, 0, 0, 0}},
    /* the mapping file counts as a name */
    {"^/bin/app$",
     "malloc",
     NULL,
     NULL,
     "2:main.foo;main.main|4:main.bar+main.foo;main.main|"
     "8:?;main.main",
     {1, 1, 0, 0}},
    {NULL, "bar", NULL, NULL, "2:main.foo;main.main|8:?;main.main", {1, 1, 0, 0}},
    /* hide drops frames and inlined lines; a stack left empty drops the sample */
    {NULL,
     NULL,
     "bar",
     NULL,
     "1:malloc;main.foo;main.main|2:main.foo;main.main|"
     "4:main.foo;main.main|8:?;main.main",
     {1, 0, 1, 0}},
    {NULL, NULL, "main\\.", NULL, "1:malloc|8:?", {1, 0, 1, 0}},
    /* show keeps matching lines and lines without a function */
    {NULL, NULL, NULL, "foo", "1:main.foo|2:main.foo|4:main.foo|8:?", {1, 0, 0, 1}},
    /* hide runs first, then show sees what is left; the functionless line counts as shown */
    {NULL, NULL, "foo", "foo", "8:?", {1, 0, 1, 1}},
};

static void test_filter_by_name(void)
{
    struct pw_buf b;
    pw_buf_init(&b, 0);
    for (size_t i = 0; i < sizeof name_cases / sizeof *name_cases; i++) {
        const struct name_case *c = &name_cases[i];
        struct pw_profile *p = standard();
        struct pw_regex *f = c->focus ? rx(c->focus) : NULL, *ig = c->ignore ? rx(c->ignore) : NULL;
        struct pw_regex *h = c->hide ? rx(c->hide) : NULL, *sh = c->show ? rx(c->show) : NULL;
        struct pw_name_matches m;
        pw_filter_samples_by_name(p, f, ig, h, sh, &m);
        CHECK_STREQ(render(p, &b), c->want);
        CHECK(m.focus == c->matched.focus && m.ignore == c->matched.ignore &&
                  m.hide == c->matched.hide && m.show == c->matched.show,
              "case %zu: matched flags %d%d%d%d", i, m.focus, m.ignore, m.hide, m.show);
        pw_regex_free(f);
        pw_regex_free(ig);
        pw_regex_free(h);
        pw_regex_free(sh);
        pw_profile_free(p);
    }

    /* a sample without locations goes even with no filter, as in pprof */
    struct pw_profile *p = standard();
    add_sample(p, 16, 0);
    pw_filter_samples_by_name(p, NULL, NULL, NULL, NULL, NULL);
    CHECK_INTEQ(p->n_samples, 4);
    pw_profile_free(p);
    pw_buf_release(&b);
}

static void test_show_from(void)
{
    struct pw_buf b;
    pw_buf_init(&b, 0);
    struct pw_profile *p = standard();
    CHECK(!pw_show_from(p, NULL), "NULL does nothing");
    CHECK_INTEQ(p->n_samples, 4);
    struct pw_regex *re = rx("main\\.foo");
    CHECK(pw_show_from(p, re), "matched");
    /* stacks start at the rootmost foo; in the inlined location the outer foo line stays */
    CHECK_STREQ(render(p, &b), "1:malloc;main.bar;main.foo|2:main.foo|4:main.bar+main.foo");
    pw_regex_free(re);
    pw_profile_free(p);

    p = standard();
    re = rx("main\\.bar");
    pw_show_from(p, re);
    /* lines above the outermost match go: bar+foo becomes bar */
    CHECK_STREQ(render(p, &b), "1:malloc;main.bar|4:main.bar");
    pw_regex_free(re);
    pw_profile_free(p);
    pw_buf_release(&b);
}

/* --- tag filters --- */

static struct pw_profile *labelled(void)
{
    struct pw_profile *p = standard();
    add_num_label(p, &p->samples[0], "bytes", 512, "bytes");
    add_str_label(p, &p->samples[0], "task", "sort");
    add_num_label(p, &p->samples[1], "bytes", 2048, "bytes");
    add_str_label(p, &p->samples[1], "task", "sha");
    add_num_label(p, &p->samples[2], "bytes", 40960, NULL); /* unit from another sample */
    add_num_label(p, &p->samples[3], "pod", 7, NULL);       /* unit: the key itself */
    return p;
}

struct tag_case {
    const char *focus, *ignore;
    const char *want_values; /* values of kept samples */
    const char *want_warn;
};

static const struct tag_case tag_cases[] = {
    {"bytes=1kB", NULL, "", "tagfocus:Interpreted '1kB' as range, not regexp\n"},
    {"bytes=2kB", NULL, "2", "tagfocus:Interpreted '2kB' as range, not regexp\n"},
    {"bytes=1kB:", NULL, "2 4", "tagfocus:Interpreted '1kB:' as range, not regexp\n"},
    {"bytes=:1kB", NULL, "1", "tagfocus:Interpreted ':1kB' as range, not regexp\n"},
    {"bytes=2kB:40kB", NULL, "2 4", "tagfocus:Interpreted '2kB:40kB' as range, not regexp\n"},
    /* a unitless range never equals a value in bytes: the units differ */
    {"2048", NULL, "", "tagfocus:Interpreted '2048' as range, not regexp\n"},
    {"pod=7", NULL, "8", "tagfocus:Interpreted '7' as range, not regexp\n"},
    {NULL, "bytes=:64B", "1 2 4 8", "tagignore:Interpreted ':64B' as range, not regexp\n"},
    /* a mismatched second unit is not a range: it is a regexp on string values */
    {"bytes=1kB:2ms", NULL, "", ""},
    {"task=so", NULL, "1", ""},
    {"task=so,sh", NULL, "1 2", ""},
    {"task:s,sha", NULL, "2", ""},
    {"parked-1", NULL, "", ""},
    {NULL, "task=sort", "2 4 8", ""},
};

static void test_tag_filters(void)
{
    struct pw_buf b, warn;
    pw_buf_init(&b, 0);
    pw_buf_init(&warn, 0);
    for (size_t i = 0; i < sizeof tag_cases / sizeof *tag_cases; i++) {
        const struct tag_case *c = &tag_cases[i];
        struct pw_profile *p = labelled();
        struct pw_err err = {0};
        pw_buf_reset(&warn);
        struct pw_tag_filter *f = pw_tag_filter_compile(p, "tagfocus", c->focus, &warn, &err);
        struct pw_tag_filter *ig = pw_tag_filter_compile(p, "tagignore", c->ignore, &warn, &err);
        CHECK(err.code == PW_OK, "case %zu: %s", i, err.msg);
        pw_filter_samples_by_tag(p, f, ig, NULL, NULL);
        pw_buf_reset(&b);
        for (size_t s = 0; s < p->n_samples; s++)
            pw_buf_addf(&b, "%s%lld", s ? " " : "", (long long)p->samples[s].values[0]);
        CHECK(strcmp(pw_buf_str(&b), c->want_values) == 0,
              "case %zu (%s/%s): kept \"%s\", want \"%s\"", i, c->focus, c->ignore, pw_buf_str(&b),
              c->want_values);
        CHECK_STREQ(pw_buf_str(&warn), c->want_warn);
        pw_tag_filter_free(f);
        pw_tag_filter_free(ig);
        pw_profile_free(p);
    }

    struct pw_profile *p = labelled();
    struct pw_err err = {0};
    CHECK(!pw_tag_filter_compile(p, "tagfocus", "task=(", NULL, &err), "bad regexp");
    CHECK_STREQ(err.msg, "parsing tagfocus regexp: error parsing regexp: missing closing ): `(`");
    CHECK(!pw_tag_filter_compile(p, "tagfocus", "bytes=99999999999999999999:", NULL, &err),
          "number out of range is an error, not a crash");
    CHECK(strstr(err.msg, "value out of range") != NULL, "message: %s", err.msg);

    bool sm, hm;
    struct pw_regex *hide = rx("^task$");
    pw_filter_tags_by_name(p, NULL, hide, &sm, &hm);
    CHECK(sm && hm, "tag show/hide matched");
    CHECK_INTEQ(p->samples[0].n_labels, 1);
    CHECK_STREQ(pw_s(p, p->samples[0].labels[0].key), "bytes");
    pw_regex_free(hide);
    struct pw_regex *show = rx("nothing");
    pw_filter_tags_by_name(p, show, NULL, &sm, &hm);
    CHECK(!sm && !hm, "nothing matched");
    CHECK_INTEQ(p->samples[0].n_labels, 0);
    pw_regex_free(show);
    pw_profile_free(p);
    pw_buf_release(&b);
    pw_buf_release(&warn);
}

/* --- prune.c --- */

static void test_simplify(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"malloc", "malloc"},
        {"foo(int, char)", "foo"},
        {".foo(int)", "foo"},
        {"ns::(anonymous namespace)::Run(int)", "ns::(anonymous namespace)::Run"},
        {"Foo::operator()(int) const", "Foo::operator()"},
        {"(anonymous namespace)", "(anonymous namespace)"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len = strlen(cases[i].in);
        const char *s = pw_simplify_func(cases[i].in, &len);
        CHECK(len == strlen(cases[i].want) && memcmp(s, cases[i].want, len) == 0,
              "simplify %s: got %.*s", cases[i].in, (int)len, s);
    }
}

static void test_prune(void)
{
    struct pw_buf b;
    pw_buf_init(&b, 0);
    struct pw_profile *p = standard();
    add_sample(p, 16, 2, L_MALLOC, L_NEW);
    add_sample(p, 32, 3, L_MALLOC, L_NEW, L_MAIN);
    struct pw_regex *drop = rx("^(malloc|operator new)$");
    pw_profile_prune(p, drop, NULL);
    /* the matched leaf frames go; a stack of only matching frames is kept whole */
    CHECK_STREQ(render(p, &b), "1:main.bar;main.foo;main.main|2:main.foo;main.main|"
                               "4:main.bar+main.foo;main.main|8:?;main.main|"
                               "16:malloc;operator new(unsigned long)|"
                               "32:main.main");
    pw_regex_free(drop);
    pw_profile_free(p);

    /* Prune from the root: the rootmost match cuts everything beneath it */
    p = standard();
    drop = rx("^main\\.foo$");
    struct pw_regex *keep = rx("^nothing$");
    pw_profile_prune(p, drop, keep);
    CHECK_STREQ(render(p, &b), "1:main.main|2:main.main|4:main.main|8:?;main.main");
    pw_regex_free(keep);
    /* keep rescues a frame from drop */
    pw_profile_free(p);
    p = standard();
    keep = rx("foo");
    pw_profile_prune(p, drop, keep);
    CHECK_STREQ(render(p, &b), "1:malloc;main.bar;main.foo;main.main|2:main.foo;main.main|"
                               "4:main.bar+main.foo;main.main|8:?;main.main");
    pw_regex_free(keep);
    pw_regex_free(drop);
    pw_profile_free(p);

    /* an inlined match drops the lines beneath it but keeps the location */
    p = standard();
    drop = rx("^main\\.bar$");
    pw_profile_prune(p, drop, NULL);
    CHECK_STREQ(render(p, &b), "1:main.foo;main.main|2:main.foo;main.main|"
                               "4:main.foo;main.main|8:?;main.main");
    pw_regex_free(drop);
    pw_profile_free(p);

    /* RemoveUninteresting compiles ^(drop_frames)$ and simplifies names first */
    p = standard();
    p->drop_frames = pw_intern_cstr(p, "malloc|operator new|ns::.*");
    struct pw_err err = {0};
    CHECK_INTEQ(pw_profile_remove_uninteresting(p, &err), 0);
    CHECK_STREQ(render(p, &b), "1:main.bar;main.foo;main.main|2:main.foo;main.main|"
                               "4:main.bar+main.foo;main.main|8:?;main.main");
    p->drop_frames = pw_intern_cstr(p, "a(");
    CHECK_INTEQ(pw_profile_remove_uninteresting(p, &err), -1);
    CHECK_STREQ(err.msg,
                "failed to compile regexp a(: error parsing regexp: missing closing ): `^(a()$`");
    pw_profile_free(p);

    /* PruneFrom keeps the leafmost match and its callers */
    p = standard();
    drop = rx("main\\.(foo|bar)");
    pw_profile_prune_from(p, drop);
    CHECK_STREQ(render(p, &b), "1:main.bar;main.foo;main.main|2:main.foo;main.main|"
                               "4:main.bar+main.foo;main.main|8:?;main.main");
    pw_regex_free(drop);
    drop = rx("^main\\.foo$");
    pw_profile_prune_from(p, drop);
    CHECK_STREQ(render(p, &b), "1:main.foo;main.main|2:main.foo;main.main|"
                               "4:main.foo;main.main|8:?;main.main");
    pw_regex_free(drop);
    pw_profile_free(p);
    pw_buf_release(&b);
}

/* --- applyFocus --- */

static void test_apply_focus(void)
{
    struct pw_buf b, warn;
    pw_buf_init(&b, 0);
    pw_buf_init(&warn, 0);
    struct pw_config cfg;
    pw_config_default(&cfg);
    struct pw_err err = {0};

    struct pw_profile *p = labelled();
    cfg.focus = "nothing";
    cfg.show_from = "nothing";
    cfg.tagfocus = "bytes=1kB:";
    cfg.tagshow = "nothing";
    CHECK_INTEQ(pw_apply_focus(p, &cfg, &warn, &err), 0);
    CHECK_STREQ(pw_buf_str(&warn), "tagfocus:Interpreted '1kB:' as range, not regexp\n"
                                   "Focus expression matched no samples\n"
                                   "ShowFrom expression matched no samples\n"
                                   "TagFocus expression matched no samples\n"
                                   "TagShow expression matched no samples\n");
    CHECK_INTEQ(p->n_samples, 0);
    pw_profile_free(p);

    /* errors come in pprof's order and name the option */
    pw_config_default(&cfg);
    cfg.ignore = "[";
    cfg.focus = "(";
    p = labelled();
    pw_buf_reset(&warn);
    CHECK_INTEQ(pw_apply_focus(p, &cfg, &warn, &err), -1);
    CHECK_STREQ(err.msg, "parsing focus regexp: error parsing regexp: missing closing ): `(`");
    CHECK_INTEQ(err.code, PW_EINVAL);
    CHECK_INTEQ(p->n_samples, 4);
    cfg.focus = NULL;
    CHECK_INTEQ(pw_apply_focus(p, &cfg, &warn, &err), -1);
    CHECK_STREQ(err.msg, "parsing ignore regexp: error parsing regexp: missing closing ]: `[`");
    pw_config_default(&cfg);
    cfg.prune_from = "*";
    cfg.tagignore = "1:2";
    CHECK_INTEQ(pw_apply_focus(p, &cfg, &warn, &err), -1);
    CHECK_STREQ(err.msg, "parsing prune_from regexp: error parsing regexp: missing argument to "
                         "repetition operator: `*`");
    CHECK_STREQ(pw_buf_str(&warn), "tagignore:Interpreted '1:2' as range, not regexp\n");
    pw_profile_free(p);

    /* a bad taghide fails only after the other filters ran */
    pw_config_default(&cfg);
    cfg.ignore = "malloc";
    cfg.taghide = "+";
    p = labelled();
    pw_buf_reset(&warn);
    CHECK_INTEQ(pw_apply_focus(p, &cfg, &warn, &err), -1);
    CHECK_STREQ(err.msg, "parsing taghide regexp: error parsing regexp: missing argument to "
                         "repetition operator: `+`");
    CHECK_INTEQ(p->n_samples, 3);

    /* everything at once, on a fresh profile */
    pw_config_default(&cfg);
    cfg.focus = "main";
    cfg.hide = "bar";
    cfg.prune_from = "foo";
    cfg.tagignore = "task=sha";
    pw_profile_free(p);
    p = labelled();
    pw_buf_reset(&warn);
    CHECK_INTEQ(pw_apply_focus(p, &cfg, &warn, &err), 0);
    CHECK_STREQ(render(p, &b), "1:main.foo;main.main|4:main.foo;main.main|8:?;main.main");
    CHECK_STREQ(pw_buf_str(&warn), "");
    pw_profile_free(p);
    pw_buf_release(&b);
    pw_buf_release(&warn);
}

int main(void)
{
    test_filter_by_name();
    test_show_from();
    test_tag_filters();
    test_simplify();
    test_prune();
    test_apply_focus();
    return harness_done();
}
