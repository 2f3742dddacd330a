/* Unit tests for series: the store's series (order, gaps, sample types checked, trimming, kept
 * across a reopen), per-snapshot values equal to each snapshot's top report, the per-snapshot
 * cache (a new snapshot computes one report), and the growth ranking (a steady leak above a step
 * and above noise). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "pprofweb/decode.h"
#include "pprofweb/report.h"
#include "pprofweb/series.h"
#include "pprofweb/store.h"
#include "pprofweb/watch.h"

static const struct pw_profile *acquire(void *ctx, const char *id, struct pw_err *err)
{
    return pw_store_acquire(ctx, id, err);
}

static void release(void *ctx, const struct pw_profile *p)
{
    pw_store_release(ctx, p);
}

static char *put_file(struct pw_store *s, const char *path, char *id)
{
    struct pw_err err = {0};
    unsigned char *data;
    size_t len;
    CHECK(pw_read_file(path, 1 << 24, &data, &len, &err) == 0, "read %s: %s", path, err.msg);
    CHECK(pw_store_put(s, data, len, path, id, &err) == 0, "put %s: %s", path, err.msg);
    free(data);
    return id;
}

/* The top report's flat and cum of name in profile id at cfg. */
static void top_of(struct pw_store *s, const char *id, const struct pw_config *cfg,
                   const char *name, int64_t *flat, int64_t *cum, int64_t *total)
{
    struct pw_err err = {0};
    const struct pw_profile *p = pw_store_acquire(s, id, &err);
    struct pw_config c = *cfg;
    c.nodecount = 0;
    struct pw_report *r = pw_report_new(p, "top", NULL, &c, NULL, &err);
    size_t n;
    struct pw_text_item *it = pw_report_text_items(r, &n);
    *flat = *cum = -1;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(it[i].name, name)) {
            *flat = it[i].flat;
            *cum = it[i].cum;
        }
    *total = r->total;
    pw_report_free(r);
    pw_store_release(s, p);
}

static void test_store_series(const char *dir)
{
    struct pw_err err = {0};
    struct pw_store *s = pw_store_open(dir, &err);
    char t0[PW_STORE_ID_LEN + 1], t1[PW_STORE_ID_LEN + 1], cpu[PW_STORE_ID_LEN + 1];
    put_file(s, "testdata/profiles/shop.heap-t0.pb.gz", t0);
    put_file(s, "testdata/profiles/shop.heap-t1.pb.gz", t1);
    put_file(s, "testdata/profiles/shop.cpu.pb.gz", cpu);

    char sid[PW_SERIES_ID_LEN + 1], sid2[PW_SERIES_ID_LEN + 1];
    CHECK(pw_store_series_open(s, "http://svc:6060/debug/pprof/heap", sid, &err) == 0, "open: %s",
          err.msg);
    CHECK(pw_series_id_valid(sid), "series id %s", sid);
    pw_store_series_open(s, "http://svc:6060/debug/pprof/heap", sid2, &err);
    CHECK_STREQ(sid2, sid); /* the same name finds the same series */
    /* Appended out of order, kept in time order. */
    CHECK(pw_store_series_append(s, sid, t1, 3000, NULL, &err) == 0, "append: %s", err.msg);
    CHECK(pw_store_series_append(s, sid, t0, 1000, NULL, &err) == 0, "append: %s", err.msg);
    CHECK(pw_store_series_append(s, sid, NULL, 2000, "connection refused\nnext", &err) == 0,
          "gap: %s", err.msg);
    /* A CPU profile is refused, and the message names both kinds. */
    CHECK(pw_store_series_append(s, sid, cpu, 4000, NULL, &err) == -1, "cpu into heap series");
    CHECK(err.code == PW_EINVAL && strstr(err.msg, "samples,cpu") &&
              strstr(err.msg, "inuse_space"),
          "message: %s", err.msg);
    CHECK(pw_store_series_append(s, "0123456789abcdef", t0, 0, NULL, &err) == -1 &&
              err.code == PW_ENOTFOUND,
          "unknown series");
    CHECK(pw_store_series_append(s, "../../etc/passwd", t0, 0, NULL, &err) == -1,
          "bad series id");
    pw_store_free(s);

    /* Reopened (a restart): everything is there. */
    s = pw_store_open(dir, &err);
    struct pw_series sr;
    CHECK(pw_store_series_get(s, sid, &sr, &err) == 0, "get: %s", err.msg);
    CHECK_INTEQ(sr.n, 3);
    CHECK_STREQ(sr.info.name, "http://svc:6060/debug/pprof/heap");
    CHECK_STREQ(sr.info.type, "alloc_objects,alloc_space,inuse_objects,inuse_space");
    CHECK_INTEQ(sr.info.n_gaps, 1);
    if (sr.n == 3) {
        CHECK_STREQ(sr.snaps[0].id, t0);
        CHECK_STREQ(sr.snaps[1].id, "");
        CHECK_STREQ(sr.snaps[1].error, "connection refused?next");
        CHECK_STREQ(sr.snaps[2].id, t1);
    }
    pw_store_series_free(&sr);
    size_t n;
    struct pw_series_info *list = pw_store_series_list(s, &n, &err);
    CHECK_INTEQ(n, 1);
    free(list);
    CHECK(pw_store_disk_usage(s) > 0, "disk usage");

    /* Trimming: by count, then by age. */
    CHECK(pw_store_series_trim(s, sid, 2, 0, &err) == 0, "trim: %s", err.msg);
    pw_store_series_get(s, sid, &sr, &err);
    CHECK(sr.n == 2 && !sr.snaps[0].id[0], "kept the newest two");
    pw_store_series_free(&sr);
    pw_store_series_trim(s, sid, 0, 500, &err);
    pw_store_series_get(s, sid, &sr, &err);
    CHECK(sr.n == 1 && !strcmp(sr.snaps[0].id, t1), "age bound kept the newest");
    pw_store_series_free(&sr);
    pw_store_free(s);
}

/* The series reads snapshots from their bytes (summary.h) when it can. */
static int read_bytes(void *ctx, const char *id, unsigned char **data, size_t *len,
                      const char **symbolize, struct pw_err *err)
{
    *symbolize = pw_store_symbolize(ctx);
    return pw_store_read(ctx, id, data, len, err);
}

/* rd NULL: every snapshot by its full report; else mostly by the summary. The numbers must be
 * the same either way. */
static void test_compute(const char *dir, pw_series_read_fn rd)
{
    struct pw_err err = {0};
    struct pw_store *s = pw_store_open(dir, &err);
    char t0[PW_STORE_ID_LEN + 1], t1[PW_STORE_ID_LEN + 1];
    put_file(s, "testdata/profiles/shop.heap-t0.pb.gz", t0);
    put_file(s, "testdata/profiles/shop.heap-t1.pb.gz", t1);
    struct pw_series_input in[3] = {
        {t0, 1000000000000, NULL}, {NULL, 1500000000000, "down"}, {t1, 2000000000000, NULL}};
    struct pw_config cfg;
    pw_config_default(&cfg);
    struct pw_series_cache *c = pw_series_cache_new(1 << 24);
    struct pw_series_data d;
    CHECK(pw_series_compute(c, in, 3, &cfg, false, acquire, release, rd, s, &d, &err) == 0,
          "compute: %s", err.msg);
    CHECK(d.present[0] && !d.present[1] && d.present[2], "gaps are not present");
    CHECK_STREQ(d.sample_type, "inuse_space");
    CHECK(d.n_fns > 3, "functions: %zu", d.n_fns);
    struct pw_series_data dc;
    CHECK(pw_series_compute(c, in, 3, &cfg, true, acquire, release, rd, s, &dc, &err) == 0,
          "compute cum: %s", err.msg);
    CHECK_INTEQ(dc.n_fns, d.n_fns);
    /* Every function's values are the top report's of its snapshot. */
    size_t checked = 0;
    for (size_t f = 0; f < d.n_fns; f++) {
        int64_t flat, cum, total;
        top_of(s, t1, &cfg, d.fns[f].name, &flat, &cum, &total);
        if (flat < 0)
            continue;
        CHECK(flat == d.fns[f].values[2] && f < dc.n_fns && !strcmp(dc.fns[f].name, d.fns[f].name) &&
                  cum == dc.fns[f].values[2],
              "%s: %lld/%lld vs %lld/%lld", d.fns[f].name, (long long)flat, (long long)cum,
              (long long)d.fns[f].values[2], (long long)dc.fns[f].values[2]);
        CHECK_INTEQ(total, d.totals[2]);
        checked++;
    }
    CHECK(checked == d.n_fns || checked > 3, "checked %zu of %zu", checked, d.n_fns);
    pw_series_data_release(&d);
    pw_series_data_release(&dc);
    size_t hits, misses;
    pw_series_cache_stats(c, &hits, &misses);
    CHECK(hits == 2 && misses == 2, "first: %zu hits %zu misses", hits, misses);

    /* Again: every snapshot from the cache. */
    pw_series_compute(c, in, 3, &cfg, false, acquire, release, rd, s, &d, &err);
    pw_series_data_release(&d);
    pw_series_cache_stats(c, &hits, &misses);
    CHECK(hits == 4 && misses == 2, "repeated: %zu hits %zu misses", hits, misses);

    /* Another sample index is another result, and a bad one fails the call with 400. */
    cfg.sample_index = "alloc_space";
    CHECK(pw_series_compute(c, in, 3, &cfg, false, acquire, release, rd, s, &d, &err) == 0,
          "alloc_space");
    CHECK_STREQ(d.sample_type, "alloc_space");
    pw_series_data_release(&d);
    cfg.sample_index = "nosuch";
    CHECK(pw_series_compute(c, in, 3, &cfg, false, acquire, release, rd, s, &d, &err) == -1 &&
              err.code == PW_EINVAL,
          "bad sample index: %s", err.msg);
    /* A snapshot that is not in the store is a gap with the reason. */
    cfg.sample_index = NULL;
    in[0].id = "000000000000000000000000";
    CHECK(pw_series_compute(c, in, 3, &cfg, false, acquire, release, rd, s, &d, &err) == 0,
          "missing");
    CHECK(!d.present[0] && d.points[0].error && strstr(d.points[0].error, "no profile"),
          "missing snapshot is a gap");
    pw_series_data_release(&d);
    pw_series_cache_free(c);
    pw_store_free(s);
}

/* A series made by hand: a leak that grows every interval, a cache that filled once, noise. */
static void test_growth(void)
{
    enum { N = 12 };
    struct pw_series_data d;
    memset(&d, 0, sizeof(d));
    pw_arena_init(&d.arena);
    d.n_points = N;
    d.points = pw_arena_calloc(&d.arena, N, sizeof(*d.points));
    d.present = pw_arena_calloc(&d.arena, N, sizeof(bool));
    static const char *names[] = {"noise", "cache", "leak", "shrinks"};
    d.n_fns = 4;
    d.fns = pw_arena_calloc(&d.arena, 4, sizeof(*d.fns));
    for (size_t f = 0; f < 4; f++) {
        d.fns[f].name = names[f];
        d.fns[f].values = pw_arena_calloc(&d.arena, N, sizeof(int64_t));
    }
    for (int i = 0; i < N; i++) {
        d.points[i].time_nanos = (int64_t)i * 60 * 1000000000LL; /* a minute apart */
        d.present[i] = i != 5;                                    /* one gap */
        d.fns[0].values[i] = (i % 3) * 4000000;                     /* up and down */
        d.fns[1].values[i] = i >= 2 ? 50000000 : 0;                 /* 50 MB once */
        d.fns[2].values[i] = 1000000 + (int64_t)i * 1000000;        /* 1 MB a minute */
        d.fns[3].values[i] = 9000000 - (int64_t)i * 100000;
    }
    struct pw_growth *g = pw_series_growth(&d);
    CHECK_STREQ(d.fns[g[0].fn].name, "leak");
    CHECK(g[0].per_hour > 59e6 && g[0].per_hour < 61e6, "leak slope %g", g[0].per_hour);
    CHECK(g[0].steadiness > 0.99, "leak steadiness %g", g[0].steadiness);
    CHECK_INTEQ(g[0].first, 1000000);
    CHECK_INTEQ(g[0].last, 12000000);
    CHECK_INTEQ(g[0].change, 11000000);
    CHECK_STREQ(d.fns[g[3].fn].name, "shrinks");
    for (int i = 1; i < 4; i++)
        if (!strcmp(d.fns[g[i].fn].name, "cache"))
            CHECK(g[i].steadiness < 0.2 && g[i].change == 50000000, "cache: %g", g[i].steadiness);
    /* Sorting by change puts the cache first; by name ascending, "cache" too. */
    CHECK(pw_series_growth_sort(&d, g, 4, "change", true) == 0, "sort");
    CHECK_STREQ(d.fns[g[0].fn].name, "cache");
    pw_series_growth_sort(&d, g, 4, "name", false);
    CHECK_STREQ(d.fns[g[0].fn].name, "cache");
    CHECK(pw_series_growth_sort(&d, g, 4, "bogus", true) == -1, "unknown key");
    free(g);
    pw_series_data_release(&d);
}

static void test_parse(void)
{
    struct pw_err err = {0};
    long long ms;
    CHECK(pw_watch_parse_interval("30s", &ms, &err) == 0 && ms == 30000, "30s");
    CHECK(pw_watch_parse_interval("1m30s", &ms, &err) == 0 && ms == 90000, "1m30s");
    CHECK(pw_watch_parse_interval("1500ms", &ms, &err) == 0 && ms == 1500, "1500ms");
    CHECK(pw_watch_parse_interval("2", &ms, &err) == 0 && ms == 2000, "bare seconds");
    CHECK(pw_watch_parse_interval("500ms", &ms, &err) == -1 && err.code == PW_EINVAL,
          "below a second");
    CHECK(pw_watch_parse_interval("200h", &ms, &err) == -1, "above a week");
    CHECK(pw_watch_parse_interval("-5s", &ms, &err) == -1, "negative");
    CHECK(pw_watch_parse_interval("5x", &ms, &err) == -1, "unknown unit");
    CHECK(pw_watch_parse_interval("", &ms, &err) == -1, "empty");
    size_t count;
    int64_t age;
    CHECK(pw_watch_parse_keep("500", &count, &age, &err) == 0 && count == 500 && age == 0,
          "keep a count");
    CHECK(pw_watch_parse_keep("24h", &count, &age, &err) == 0 && count == 0 &&
              age == 24LL * 3600 * 1000000000,
          "keep an age");
    CHECK(pw_watch_parse_keep("7d", &count, &age, &err) == 0 && age == 7LL * 86400 * 1000000000,
          "keep days");
    CHECK(pw_watch_parse_keep("0", &count, &age, &err) == -1, "keep nothing");
    CHECK(pw_watch_parse_keep("99999999999", &count, &age, &err) == -1, "keep too many");
    CHECK(pw_watch_parse_keep("soon", &count, &age, &err) == -1 && strstr(err.msg, "soon"),
          "keep garbage: %s", err.msg);
}

int main(void)
{
    test_parse();
    char dir[] = "/tmp/pprofweb-series-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    test_store_series(dir);
    test_compute(dir, NULL);
    test_compute(dir, read_bytes);
    test_growth();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd))
        printf("# could not remove %s\n", dir);
    return harness_done();
}
