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

/* a and b show the same series: every point, function (in order), value and growth row. */
static void check_same(const struct pw_series_data *a, const struct pw_series_data *b,
                       const char *what)
{
    CHECK(a->n_points == b->n_points && a->n_fns == b->n_fns, "%s: %zu/%zu points, %zu/%zu fns",
          what, a->n_points, b->n_points, a->n_fns, b->n_fns);
    if (a->n_points != b->n_points || a->n_fns != b->n_fns)
        return;
    CHECK(!strcmp(a->sample_type, b->sample_type) && !strcmp(a->unit, b->unit) &&
              a->cum == b->cum && !a->memstats == !b->memstats,
          "%s: sample type, unit, value or memstats differ", what);
    size_t bad = 0;
    for (size_t i = 0; i < a->n_points; i++) {
        const struct pw_series_input *x = &a->points[i], *y = &b->points[i];
        bad += a->present[i] != b->present[i] || a->totals[i] != b->totals[i] ||
               x->time_nanos != y->time_nanos || !x->id != !y->id ||
               (x->id && strcmp(x->id, y->id)) || !x->error != !y->error ||
               (x->error && strcmp(x->error, y->error)) ||
               (a->memstats && b->memstats &&
                memcmp(a->memstats[i], b->memstats[i], sizeof(a->memstats[i])));
    }
    CHECK(bad == 0, "%s: %zu points differ", what, bad);
    bad = 0;
    for (size_t f = 0; f < a->n_fns; f++) {
        bad += strcmp(a->fns[f].name, b->fns[f].name) != 0;
        for (size_t i = 0; i < a->n_points; i++)
            bad += a->fns[f].values[i] != b->fns[f].values[i];
    }
    CHECK(bad == 0, "%s: %zu function values differ", what, bad);
    struct pw_growth *ga = pw_series_growth(a), *gb = pw_series_growth(b);
    CHECK(memcmp(ga, gb, a->n_fns * sizeof(*ga)) == 0, "%s: growth rows differ", what);
    free(ga);
    free(gb);
}

/* A new snapshot appended to a kept merged series gives exactly what computing the whole series
 * afresh gives, while the kept one (still read by a request) stays as it was. */
static void test_append(const char *dir, pw_series_read_fn rd)
{
    struct pw_err err = {0};
    struct pw_store *s = pw_store_open(dir, &err);
    char t0[PW_STORE_ID_LEN + 1], t1[PW_STORE_ID_LEN + 1], t2[PW_STORE_ID_LEN + 1];
    put_file(s, "testdata/profiles/shop.heap-t0.pb.gz", t0);
    put_file(s, "testdata/profiles/shop.heap-t1.pb.gz", t1);
    put_file(s, "testdata/profiles/shop.heap-t1.debug1.txt", t2);
    enum { N = 7 };
    struct pw_series_input in[N] = {
        {t0, 1000000000000, NULL}, {NULL, 1500000000000, "down"}, {t1, 2000000000000, NULL},
        {t0, 2500000000000, NULL}, {t1, 3000000000000, NULL},     {t2, 3500000000000, NULL},
        {t1, 4000000000000, NULL}};
    struct pw_config cfg;
    pw_config_default(&cfg);
    for (int cum = 0; cum < 2; cum++) {
        struct pw_series_cache *kept = pw_series_cache_new(1 << 24);
        struct pw_series_data d, held, fresh_d;
        size_t reused, extended, built, hits, misses;
        /* One snapshot at a time, as a watch adds them. */
        for (size_t n = 1; n <= N; n++) {
            CHECK(pw_series_compute(kept, in, n, &cfg, cum, acquire, release, rd, s, &d, &err) ==
                      0,
                  "kept %zu: %s", n, err.msg);
            struct pw_series_cache *fresh = pw_series_cache_new(1 << 24);
            CHECK(pw_series_compute(fresh, in, n, &cfg, cum, acquire, release, rd, s, &fresh_d,
                                    &err) == 0,
                  "fresh %zu: %s", n, err.msg);
            char what[64];
            snprintf(what, sizeof(what), "%s, %zu snapshots", cum ? "cum" : "flat", n);
            check_same(&d, &fresh_d, what);
            pw_series_data_release(&fresh_d);
            pw_series_cache_free(fresh);
            pw_series_data_release(&d);
        }
        pw_series_cache_merge_stats(kept, &reused, &extended, &built);
        CHECK(built == 1 && extended == N - 1 && reused == 0, "%zu built, %zu extended",
              built, extended);
        /* Each of the 3 profiles was read once; the kept snapshots count as hits (1+1+2+3+4+5
         * over the appends) and so do the 3 new points whose profile was read before. */
        pw_series_cache_stats(kept, &hits, &misses);
        CHECK(misses == 3 && hits == 16 + 3, "%zu hits %zu misses", hits, misses);
        /* The same snapshots again: the kept series as it is. */
        pw_series_compute(kept, in, N, &cfg, cum, acquire, release, rd, s, &d, &err);
        pw_series_cache_merge_stats(kept, &reused, &extended, &built);
        CHECK(reused == 1 && built == 1, "repeated: %zu reused %zu built", reused, built);
        pw_series_data_release(&d);

        /* Appending while a request reads the shorter series: that one does not change. */
        pw_series_cache_free(kept);
        kept = pw_series_cache_new(1 << 24);
        pw_series_compute(kept, in, N - 1, &cfg, cum, acquire, release, rd, s, &held, &err);
        int64_t before = held.n_fns ? held.fns[held.n_fns - 1].values[N - 2] : -1;
        size_t fns_before = held.n_fns;
        CHECK(pw_series_compute(kept, in, N, &cfg, cum, acquire, release, rd, s, &d, &err) == 0,
              "append while read: %s", err.msg);
        pw_series_cache_merge_stats(kept, &reused, &extended, &built);
        CHECK(extended == 1 && built == 1, "append while read: %zu extended", extended);
        CHECK(held.n_points == N - 1 && held.n_fns == fns_before &&
                  (held.n_fns ? held.fns[held.n_fns - 1].values[N - 2] : -1) == before,
              "the read series changed");
        struct pw_series_cache *fresh = pw_series_cache_new(1 << 24);
        pw_series_compute(fresh, in, N, &cfg, cum, acquire, release, rd, s, &fresh_d, &err);
        check_same(&d, &fresh_d, "appended while read");
        pw_series_data_release(&fresh_d);
        pw_series_compute(fresh, in, N - 1, &cfg, cum, acquire, release, rd, s, &fresh_d, &err);
        check_same(&held, &fresh_d, "read while appended");
        pw_series_data_release(&fresh_d);
        pw_series_cache_free(fresh);
        pw_series_data_release(&held);
        pw_series_data_release(&d);

        /* A changed snapshot (not an append) is merged again, not extended. */
        in[2].time_nanos++;
        pw_series_compute(kept, in, N, &cfg, cum, acquire, release, rd, s, &d, &err);
        pw_series_cache_merge_stats(kept, &reused, &extended, &built);
        CHECK(built == 2, "changed snapshot: %zu built", built);
        CHECK(d.points[2].time_nanos == in[2].time_nanos, "changed time shown");
        pw_series_data_release(&d);
        in[2].time_nanos--;
        pw_series_cache_free(kept);
    }
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
    test_append(dir, NULL);
    test_append(dir, read_bytes);
    test_growth();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd))
        printf("# could not remove %s\n", dir);
    return harness_done();
}
