/* Unit tests for summary: on every real profile of the corpus and testdata, at every
 * granularity, with and without inlines, for every sample type and with focus, ignore, hide and
 * show, the one-pass summary gives exactly the top report's total and every node's flat and cum
 * (nodes compared by name, as the series adds them up), or hands the snapshot to the full
 * report; the Go heap and CPU profiles must be answered by the summary itself. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/decode.h"
#include "pprofweb/graph.h"
#include "pprofweb/report.h"
#include "pprofweb/source.h"
#include "pprofweb/summary.h"
#include "pprofweb/wrap.h"

struct row {
    const char *name;
    int64_t flat, cum;
};

struct rows {
    struct row *r;
    size_t n, cap;
};

static void add(struct rows *rs, const char *name, int64_t flat, int64_t cum)
{
    if (!flat && !cum)
        return;
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 64;
        rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
    }
    rs->r[rs->n++] = (struct row){name, flat, cum};
}

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const struct row *)a)->name, ((const struct row *)b)->name);
}

/* Sorted by name, rows of one name added up (the series does the same). */
static void merge_names(struct rows *rs)
{
    if (rs->n == 0)
        return; /* an empty profile: no rows (and qsort wants an array) */
    qsort(rs->r, rs->n, sizeof(*rs->r), cmp_row);
    size_t k = 0;
    for (size_t i = 0; i < rs->n; i++) {
        if (k && !strcmp(rs->r[k - 1].name, rs->r[i].name)) {
            rs->r[k - 1].flat = pw_wadd(rs->r[k - 1].flat, rs->r[i].flat);
            rs->r[k - 1].cum = pw_wadd(rs->r[k - 1].cum, rs->r[i].cum);
        } else {
            rs->r[k++] = rs->r[i];
        }
    }
    rs->n = k;
}

static size_t answered, handed_over, compared;


/* Compares summary and report on one profile at cfg; returns whether the summary answered. */
static bool compare(const char *path, const unsigned char *data, size_t len,
                    const struct pw_profile *p, const struct pw_config *cfg, const char *what)
{
    struct pw_summary s;
    struct pw_err serr = {0}, rerr = {0};
    /* Read twice through one reader: the second read reuses the tables the first prepared. */
    struct pw_summary_reader *reader = pw_summary_reader_new();
    int rc = pw_summary_read(reader, data, len, NULL, cfg, &s, &serr);
    if (rc == 0) {
        pw_summary_release(&s);
        rc = pw_summary_read(reader, data, len, NULL, cfg, &s, &serr);
    }
    struct pw_config rc_cfg = *cfg;
    rc_cfg.trim = false;
    struct pw_report *rep = pw_report_new(p, "top", NULL, &rc_cfg, NULL, &rerr);
    if (rc == PW_SUMMARY_FULL) {
        handed_over++;
        pw_report_free(rep);
        pw_summary_reader_free(reader);
        return false;
    }
    if (rc < 0 || !rep) {
        CHECK(rc < 0 && !rep, "%s %s: summary %s, report %s", path, what,
              rc < 0 ? serr.msg : "answered", rep ? "answered" : rerr.msg);
        pw_report_free(rep);
        if (rc == 0)
            pw_summary_release(&s);
        pw_summary_reader_free(reader);
        return rc == 0;
    }
    answered++;
    struct pw_graph *g = pw_report_graph(rep);
    struct rows want = {0}, got = {0};
    for (size_t i = 0; i < g->n_nodes; i++)
        add(&want, g->nodes[i]->printable_name, pw_node_flat_value(g->nodes[i]),
            pw_node_cum_value(g->nodes[i]));
    for (size_t i = 0; i < s.n_nodes; i++)
        add(&got, s.nodes[i].name, s.nodes[i].flat, s.nodes[i].cum);
    merge_names(&want);
    merge_names(&got);
    bool same = want.n == got.n && s.total == rep->total &&
                !strcmp(s.sample_type, rep->opt.sample_type) &&
                !strcmp(s.unit, rep->opt.sample_unit);
    size_t bad = 0;
    for (size_t i = 0; same && i < want.n; i++)
        if (strcmp(want.r[i].name, got.r[i].name) || want.r[i].flat != got.r[i].flat ||
            want.r[i].cum != got.r[i].cum) {
            same = false;
            bad = i;
        }
    compared += want.n;
    CHECK(same, "%s %s: total %lld/%lld, %zu/%zu nodes, first difference at %s", path, what,
          (long long)s.total, (long long)rep->total, got.n, want.n,
          bad < want.n ? want.r[bad].name : "-");
    free(want.r);
    free(got.r);
    pw_summary_release(&s);
    pw_summary_reader_free(reader);
    pw_report_free(rep);
    return true;
}

static void check_profile(const char *path)
{
    unsigned char *data;
    size_t len;
    struct pw_err err = {0};
    if (pw_read_file(path, 1 << 30, &data, &len, &err))
        return;
    struct pw_profile *p = pw_source_prepare_bytes(data, len, &err);
    if (!p) {
        free(data);
        return;
    }
    static const enum pw_granularity grans[] = {PW_G_FUNCTIONS, PW_G_FILEFUNCTIONS, PW_G_FILES,
                                               PW_G_LINES, PW_G_ADDRESSES};
    static const char *const filters[][4] = {
        {NULL, NULL, NULL, NULL},           {"main|net", NULL, NULL, NULL},
        {NULL, "runtime", NULL, NULL},      {NULL, NULL, "runtime\\.", NULL},
        {NULL, NULL, NULL, "main|http"},    {"alloc|read", "gc", "sync", NULL},
        {"^nothing matches$", NULL, NULL, NULL}};
    bool any = false;
    for (uint32_t si = 0; si < p->n_sample_types; si++) {
        for (size_t gi = 0; gi < sizeof(grans) / sizeof(*grans); gi++) {
            for (int inl = 0; inl < 2; inl++) {
                for (size_t fi = 0; fi < sizeof(filters) / sizeof(*filters); fi++) {
                    /* Every combination on the first sample type, the plain one on the rest. */
                    if (si > 0 && (fi > 0 || gi > 0))
                        continue;
                    struct pw_config cfg;
                    pw_config_default(&cfg);
                    cfg.sample_index = pw_s(p, p->sample_types[si].type);
                    cfg.granularity = grans[gi];
                    cfg.noinlines = inl;
                    cfg.focus = filters[fi][0];
                    cfg.ignore = filters[fi][1];
                    cfg.hide = filters[fi][2];
                    cfg.show = filters[fi][3];
                    char what[200];
                    snprintf(what, sizeof(what), "si=%s g=%s noinlines=%d filters=%zu",
                             cfg.sample_index, pw_granularity_name(cfg.granularity), inl, fi);
                    any |= compare(path, data, len, p, &cfg, what);
                }
            }
        }
    }
    /* The profiles series are made of: the summary must answer them itself. */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strstr(base, ".pb") && (strstr(base, "heap") || strstr(base, "cpu")) &&
        !strstr(base, "stripped") && !strstr(base, "nomappings"))
        CHECK(any, "%s: the summary answered no setting", path);
    pw_profile_free(p);
    free(data);
}

static void check_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || strstr(de->d_name, ".tsv"))
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        check_profile(path);
    }
    closedir(d);
}

/* Settings the summary leaves to the report, and a bad regexp, are handed over. */
static void check_handed_over(void)
{
    const char *path = "testdata/profiles/shop.heap-t1.pb.gz";
    unsigned char *data;
    size_t len;
    struct pw_err err = {0};
    if (pw_read_file(path, 1 << 30, &data, &len, &err)) {
        CHECK(0, "%s: %s", path, err.msg);
        return;
    }
    struct pw_config cfg;
    struct pw_summary s;
    pw_config_default(&cfg);
    cfg.tagfocus = "bytes=1k:";
    CHECK_INTEQ(pw_summary_read(NULL, data, len, NULL, &cfg, &s, &err), PW_SUMMARY_FULL);
    pw_config_default(&cfg);
    cfg.focus = "(";
    CHECK_INTEQ(pw_summary_read(NULL, data, len, NULL, &cfg, &s, &err), PW_SUMMARY_FULL);
    pw_config_default(&cfg);
    cfg.sample_index = "no_such_type";
    CHECK_INTEQ(pw_summary_read(NULL, data, len, NULL, &cfg, &s, &err), -1);
    CHECK(strstr(err.msg, "no_such_type") != NULL, "error names the sample type: %s", err.msg);
    const unsigned char text[] = "heap profile: 1: 2 [3: 4] @ heap/1048576\n";
    pw_config_default(&cfg);
    CHECK_INTEQ(pw_summary_read(NULL, text, sizeof(text) - 1, NULL, &cfg, &s, &err),
                PW_SUMMARY_FULL);
    free(data);
}

int main(void)
{
    check_dir("testdata/profiles");
    check_dir("../shared/corpus/public");
    check_dir("../shared/corpus/local/profiles");
    check_handed_over();
    printf("# summary answered %zu settings (%zu node rows compared), handed %zu to the report\n",
           answered, compared, handed_over);
    CHECK(answered > 100, "the summary answered only %zu settings", answered);
    return harness_done();
}
