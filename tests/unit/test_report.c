/* Unit tests for the report module: a small CPU profile built in memory, rendered as -top,
 * -traces, -tags and -peek, compared with what Go 1.19's `go tool pprof -symbolize=none` prints
 * for the same profile (TZ=UTC). Also the intermediate API (text items, labels) and errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "pprofweb/buf.h"
#include "pprofweb/config.h"
#include "pprofweb/profile.h"
#include "pprofweb/report.h"

static void add_label(struct pw_profile *p, struct pw_sample *s, const char *key, const char *str,
                      int64_t num)
{
    struct pw_label *l = &s->labels[s->n_labels++];
    memset(l, 0, sizeof(*l));
    l->key = pw_intern_cstr(p, key);
    if (str) {
        l->str = pw_intern_cstr(p, str);
    } else {
        l->is_num = true;
        l->num = num;
    }
}

/* main.main -> main.mid -> main.leaf, main.main -> main.other; values (samples, cpu ns). */
static struct pw_profile *toy_profile(void)
{
    struct pw_profile *p = pw_profile_new();
    struct pw_value_type types[2] = {
        {pw_intern_cstr(p, "samples"), pw_intern_cstr(p, "count")},
        {pw_intern_cstr(p, "cpu"), pw_intern_cstr(p, "nanoseconds")},
    };
    pw_set_sample_types(p, types, 2);
    struct pw_mapping *m = pw_add_mapping(p);
    m->id = 1;
    m->start = 0x400000;
    m->limit = 0x500000;
    m->file = pw_intern_cstr(p, "/usr/bin/toy");
    m->build_id = pw_intern_cstr(p, "abc");
    m->has_functions = m->has_filenames = m->has_line_numbers = true;
    static const char *const names[] = {"main.main", "main.mid", "main.leaf", "main.other"};
    for (uint32_t i = 0; i < 4; i++) {
        struct pw_function *f = pw_add_function(p);
        f->id = i + 1;
        f->name = f->system_name = pw_intern_cstr(p, names[i]);
        f->filename = pw_intern_cstr(p, "/src/main.go");
        f->start_line = 10 * i;
        struct pw_location *l = pw_add_location(p);
        l->id = i + 1;
        l->mapping = 0;
        l->address = 0x401000 + i * 16;
        l->lines = pw_arena_calloc(&p->arena, 1, sizeof(*l->lines));
        l->lines[0].function = i;
        l->lines[0].line = 10 + i;
        l->n_lines = 1;
    }
    static const uint32_t stacks[4][3] = {{2, 1, 0}, {3, 0}, {1, 0}, {2, 1, 0}};
    static const uint32_t depth[4] = {3, 2, 2, 3};
    static const int64_t values[4][2] = {{3, 30000000}, {1, 10000000}, {2, 20000000},
                                         {1, 10000000}};
    for (int i = 0; i < 4; i++) {
        struct pw_sample *s = pw_add_sample(p);
        s->values = pw_arena_calloc(&p->arena, 2, sizeof(int64_t));
        memcpy(s->values, values[i], sizeof(values[i]));
        s->locs = pw_arena_calloc(&p->arena, depth[i], sizeof(uint32_t));
        memcpy(s->locs, stacks[i], depth[i] * sizeof(uint32_t));
        s->n_locs = depth[i];
        s->labels = pw_arena_calloc(&p->arena, 2, sizeof(struct pw_label));
        if (i == 0 || i == 3) {
            add_label(p, s, "request", "a", 0);
            add_label(p, s, "bytes", NULL, i == 0 ? 1024 : 2048);
        } else if (i == 1) {
            add_label(p, s, "request", "b", 0);
        }
    }
    p->time_nanos = 1500000000000000000LL;
    p->duration_nanos = 1000000000;
    p->period_type = types[1];
    p->has_period_type = true;
    p->period = 10000000;
    pw_add_comment(p, "toy comment", strlen("toy comment"));
    return p;
}

#define HEADER                                                                                     \
    "File: toy\n"                                                                                  \
    "Build ID: abc\n"                                                                              \
    "toy comment\n"                                                                                \
    "Type: cpu\n"                                                                                  \
    "Time: Jul 14, 2017 at 2:40am (UTC)\n"                                                         \
    "Duration: 1s, Total samples = 70ms ( 7.00%)\n"

static const char want_top[] = HEADER
    "Showing nodes accounting for 70ms, 100% of 70ms total\n"
    "      flat  flat%   sum%        cum   cum%\n"
    "      40ms 57.14% 57.14%       40ms 57.14%  main.leaf\n"
    "      20ms 28.57% 85.71%       60ms 85.71%  main.mid\n"
    "      10ms 14.29%   100%       10ms 14.29%  main.other\n"
    "         0     0%   100%       70ms   100%  main.main\n";

static const char want_top_cum[] = HEADER
    "Showing nodes accounting for 70ms, 100% of 70ms total\n"
    "      flat  flat%   sum%        cum   cum%\n"
    "         0     0%     0%       70ms   100%  main.main\n"
    "      20ms 28.57% 28.57%       60ms 85.71%  main.mid\n"
    "      40ms 57.14% 85.71%       40ms 57.14%  main.leaf\n"
    "      10ms 14.29%   100%       10ms 14.29%  main.other\n";

static const char want_lines_samples[] =
    "File: toy\n"
    "Build ID: abc\n"
    "toy comment\n"
    "Type: samples\n"
    "Time: Jul 14, 2017 at 2:40am (UTC)\n"
    "Duration: 1s, Total samples = 7 \n"
    "Showing nodes accounting for 7, 100% of 7 total\n"
    "      flat  flat%   sum%        cum   cum%\n"
    "         4 57.14% 57.14%          4 57.14%  main.leaf /src/main.go:12\n"
    "         2 28.57% 85.71%          6 85.71%  main.mid /src/main.go:11\n"
    "         1 14.29%   100%          1 14.29%  main.other /src/main.go:13\n"
    "         0     0%   100%          7   100%  main.main /src/main.go:10\n";

static const char want_mean[] =
    "File: toy\n"
    "Build ID: abc\n"
    "toy comment\n"
    "Type: mean_cpu\n"
    "Time: Jul 14, 2017 at 2:40am (UTC)\n"
    "Duration: 1s, Total samples = 10ms ( 1.00%)\n"
    "Showing nodes accounting for 30ms, 300.00% of 10ms total\n"
    "      flat  flat%   sum%        cum   cum%\n"
    "      10ms   100%   100%       10ms   100%  main.leaf\n"
    "      10ms   100% 200.00%       10ms   100%  main.mid\n"
    "      10ms   100% 300.00%       10ms   100%  main.other\n"
    "         0     0% 300.00%       10ms   100%  main.main\n";

static const char want_traces[] = HEADER
    "-----------+-------------------------------------------------------\n"
    "   request:  a\n"
    "     bytes:  1kB\n"
    "      30ms   main.leaf\n"
    "             main.mid\n"
    "             main.main\n"
    "-----------+-------------------------------------------------------\n"
    "   request:  b\n"
    "      10ms   main.other\n"
    "             main.main\n"
    "-----------+-------------------------------------------------------\n"
    "      20ms   main.mid\n"
    "             main.main\n"
    "-----------+-------------------------------------------------------\n"
    "   request:  a\n"
    "     bytes:  2kB\n"
    "      10ms   main.leaf\n"
    "             main.mid\n"
    "             main.main\n"
    "-----------+-------------------------------------------------------\n";

static const char want_tags[] =
    " bytes: Total 40.0ms\n"
    "        30.0ms (75.00%): 1kB\n"
    "        10.0ms (25.00%): 2kB\n"
    "\n"
    " request: Total 50.0ms\n"
    "          40.0ms (80.00%): a\n"
    "          10.0ms (20.00%): b\n"
    "\n";

static const char want_peek[] = HEADER
    "Showing nodes accounting for 70ms, 100% of 70ms total\n"
    "----------------------------------------------------------+-------------\n"
    "      flat  flat%   sum%        cum   cum%   calls calls% + context \t \t \n"
    "----------------------------------------------------------+-------------\n"
    "                                              60ms   100% |   main.main\n"
    "      20ms 28.57% 28.57%       60ms 85.71%                | main.mid\n"
    "                                              40ms 66.67% |   main.leaf\n"
    "----------------------------------------------------------+-------------\n";

/* Runs one report; returns the output (caller frees) or NULL with err filled. */
static char *run(const struct pw_profile *p, const char *cmd, const char *arg,
                 const struct pw_config *cfg, struct pw_err *err)
{
    struct pw_buf out, warn;
    pw_buf_init(&out, 0);
    pw_buf_init(&warn, 0);
    int rc = pw_report_run(&out, &warn, p, cmd, arg, cfg, err);
    pw_buf_release(&warn);
    if (rc) {
        pw_buf_release(&out);
        return NULL;
    }
    char *s = strdup(pw_buf_str(&out));
    pw_buf_release(&out);
    return s;
}

static void check_report(const struct pw_profile *p, const char *cmd, const char *arg,
                         const struct pw_config *cfg, const char *want)
{
    struct pw_err err = {0};
    char *got = run(p, cmd, arg, cfg, &err);
    CHECK(got != NULL, "%s failed: %s", cmd, err.msg);
    if (got)
        CHECK_STREQ(got, want);
    free(got);
}

static const char want_list[] =
    "Total: 70ms\n"
    "ROUTINE ======================== main.mid in main.go\n"
    "      20ms       60ms (flat, cum) 85.71% of Total\n"
    "         .          .     10:line 10\n"
    "      20ms       60ms     11:line 11\n"
    "         .          .     12:line 12\n"
    "         .          .     13:line 13\n"
    "         .          .     14:line 14\n"
    "         .          .     15:line 15\n"
    "         .          .     16:line 16\n";

/* -list: the CLI finds main.go in a parent of the source path as pprof does; a report from
 * pw_report_new (what servers use) refuses files outside the source path. */
static void check_list(void)
{
    char dir[] = "/tmp/pw_test_report_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp failed");
        return;
    }
    char path[256], sub[256];
    snprintf(path, sizeof(path), "%s/main.go", dir);
    snprintf(sub, sizeof(sub), "%s/b", dir);
    FILE *f = fopen(path, "w");
    for (int i = 1; i <= 30; i++)
        fprintf(f, "line %d\n", i);
    fclose(f);
    mkdir(sub, 0700);

    struct pw_profile *p = toy_profile();
    pw_str rel = pw_intern_cstr(p, "main.go");
    for (uint32_t i = 0; i < p->n_functions; i++)
        p->functions[i].filename = rel;
    struct pw_config cfg;
    pw_config_default(&cfg);
    cfg.source_path = sub;
    check_report(p, "list", "main.mid", &cfg, want_list);

    struct pw_err err = {0};
    struct pw_report *r = pw_report_new(p, "list", "main.mid", &cfg, NULL, &err);
    CHECK(r && r->opt.restrict_sources, "reports from pw_report_new restrict sources");
    if (r) {
        struct pw_buf out;
        pw_buf_init(&out, 0);
        CHECK_INTEQ(pw_report_print_source(r, &out, &err), 0);
        CHECK(strstr(pw_buf_str(&out), " Error: could not find file main.go on path ") != NULL,
              "restricted list must not read outside the source path: %s", pw_buf_str(&out));
        pw_buf_release(&out);
        /* Inside a root, a restricted report reads the file. */
        r->opt.source_path = dir;
        pw_buf_init(&out, 0);
        CHECK_INTEQ(pw_report_print_source(r, &out, &err), 0);
        CHECK_STREQ(pw_buf_str(&out), want_list);
        pw_buf_release(&out);
        pw_report_free(r);
    }
    pw_profile_free(p);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    struct pw_profile *p = toy_profile();
    struct pw_config cfg;
    pw_config_default(&cfg);
    struct pw_buf raw_before, raw_after;
    pw_buf_init(&raw_before, 0);
    pw_buf_init(&raw_after, 0);
    pw_profile_format_raw(p, &raw_before);

    check_report(p, "top", NULL, &cfg, want_top);
    check_report(p, "traces", NULL, &cfg, want_traces);
    check_report(p, "tags", NULL, &cfg, want_tags);
    check_report(p, "peek", "main.mid", &cfg, want_peek);

    struct pw_config c2 = cfg;
    c2.sort_cum = true;
    check_report(p, "top", NULL, &c2, want_top_cum);
    c2 = cfg;
    c2.sample_index = "0";
    c2.granularity = PW_G_LINES;
    check_report(p, "top", NULL, &c2, want_lines_samples);
    c2 = cfg;
    c2.mean = true;
    check_report(p, "top", NULL, &c2, want_mean);

    /* The caller's profile is not modified by a report: its copy borrows the samples' arrays
     * and every filter, pruning and granularity replaces them instead of writing into them. */
    const char *filters[][2] = {{"hide", "mid"}, {"show_from", "mid"}, {"prune_from", "mid"},
                                {"focus", "leaf"}, {"show", "main\\.main"}};
    for (size_t i = 0; i < sizeof filters / sizeof *filters; i++) {
        c2 = cfg;
        c2.granularity = i % 2 ? PW_G_ADDRESSES : PW_G_LINES;
        const char *f = filters[i][0], *v = filters[i][1];
        c2.hide = strcmp(f, "hide") == 0 ? v : NULL;
        c2.show_from = strcmp(f, "show_from") == 0 ? v : NULL;
        c2.prune_from = strcmp(f, "prune_from") == 0 ? v : NULL;
        c2.focus = strcmp(f, "focus") == 0 ? v : NULL;
        c2.show = strcmp(f, "show") == 0 ? v : NULL;
        struct pw_err e = {0};
        struct pw_report *fr = pw_report_new(p, "top", NULL, &c2, NULL, &e);
        CHECK(fr != NULL, "%s=%s: %s", f, v, e.msg);
        if (fr)
            CHECK(pw_report_text_items(fr, &(size_t){0}) != NULL, "%s=%s: top", f, v);
        pw_report_free(fr);
    }
    pw_profile_format_raw(p, &raw_after);
    CHECK(raw_before.len == raw_after.len && memcmp(raw_before.data, raw_after.data,
                                                    raw_before.len) == 0,
          "the profile is unchanged after reports with filters");
    pw_buf_release(&raw_before);
    pw_buf_release(&raw_after);

    /* Errors: unknown sample index, peek regexp matching nothing, bad regexp, zero divisor. */
    struct pw_err err = {0};
    c2 = cfg;
    c2.sample_index = "bogus";
    CHECK(run(p, "top", NULL, &c2, &err) == NULL && err.code == PW_EINVAL, "bad sample index");
    memset(&err, 0, sizeof(err));
    CHECK(run(p, "peek", "nomatch", &cfg, &err) == NULL, "peek without match fails");
    CHECK_STREQ(err.msg, "no matches found for regexp: nomatch");
    memset(&err, 0, sizeof(err));
    CHECK(run(p, "peek", "(", &cfg, &err) == NULL && err.code == PW_EINVAL, "bad regexp");
    CHECK(strncmp(err.msg, "parsing argument regexp (: ", 27) == 0, "regexp message: %s", err.msg);
    c2 = cfg;
    c2.divide_by = 0;
    CHECK(run(p, "top", NULL, &c2, &err) == NULL, "zero divisor");
    CHECK_STREQ(err.msg, "zero divisor specified");

    /* The intermediate API, as the web views use it. */
    struct pw_report *r = pw_report_new(p, "top", NULL, &cfg, NULL, &err);
    CHECK(r != NULL, "pw_report_new: %s", err.msg);
    if (r) {
        size_t n = 0, nl = 0;
        struct pw_text_item *items = pw_report_text_items(r, &n);
        CHECK_INTEQ(n, 4);
        if (n == 4) {
            CHECK_STREQ(items[0].name, "main.leaf");
            CHECK_INTEQ(items[0].flat, 40000000);
            CHECK_STREQ(items[0].flat_fmt, "40ms");
            CHECK_STREQ(items[3].cum_fmt, "70ms");
        }
        CHECK_INTEQ(r->total, 70000000);
        CHECK_STREQ(r->opt.output_unit, "ms");
        const char **labels = pw_report_labels(r, false, &nl);
        CHECK_INTEQ(nl, 7);
        if (nl == 7)
            CHECK_STREQ(labels[6], "Showing nodes accounting for 70ms, 100% of 70ms total");
        pw_report_free(r);
    }

    /* trimPath heuristics. */
    CHECK_STREQ(pw_report_trim_path("/proc/self/cwd/a/b.go", "", ""), "a/b.go");
    CHECK_STREQ(pw_report_trim_path("/proc/self/cwd/./a.go", "", ""), "a.go");
    CHECK_STREQ(pw_report_trim_path("/build/x/y.c", "/build", ""), "x/y.c");
    CHECK_STREQ(pw_report_trim_path("/r/proj/src/y.c", "", "/home/me/proj"), "src/y.c");
    CHECK_STREQ(pw_report_trim_path("/other/y.c", "", "/home/me/proj"), "/other/y.c");

    check_list();

    CHECK_INTEQ(pw_report_format_of("peek"), PW_REPORT_TREE);
    CHECK_INTEQ(pw_report_format_of("nope"), -1);

    pw_profile_free(p);
    return harness_done();
}
