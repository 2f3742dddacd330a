/* series: per-snapshot report totals and node values over a series, and the growth ranking.
 *
 * In: snapshot ids and times, a config (the URL's settings), and a way to borrow each profile.
 * Each snapshot's numbers come from pw_report_new() with the "top" command and trimming off, so
 * they are the top report's numbers for that snapshot at those settings, every node included.
 * Out: a struct pw_series_data (one row per node name over all points) and growth rows.
 *
 * Incremental: one snapshot's result (its total and its nodes' flat and cum, names as ids into a
 * table shared by all results) is cached under "profile id + settings"; a request over 1000
 * snapshots of which one is new computes one report. Results are immutable once cached and
 * reference counted while a request merges them; the cache drops the least recently used ones
 * past its byte bound. Missing results are computed on two threads (pw_parallel_run).
 * Limits: the caller bounds the number of snapshots (PW_MAX_SERIES_SNAPSHOTS); the cache's bytes
 * (PW_SERIES_CACHE_BYTES). Names live as long as the cache (they repeat across snapshots). */
#include "pprofweb/series.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/buf.h"
#include "pprofweb/graph.h"
#include "pprofweb/parallel.h"
#include "pprofweb/query.h"
#include "pprofweb/report.h"
#include "pprofweb/summary.h"
#include "pprofweb/wrap.h"

#define N_BUCKETS 8192

/* One snapshot's result at one setting. */
struct result {
    char *key;
    uint64_t hash;
    struct result *next; /* bucket chain */
    int64_t total;
    const char *sample_type, *unit; /* interned */
    size_t n;
    uint32_t *name; /* interned name ids */
    int64_t *flat, *cum;
    bool has_memstats;
    int64_t memstats[PW_SERIES_N_MEMSTATS];
    size_t bytes;
    int refs;
    uint64_t last_used;
};

struct name {
    const char *s;
    uint64_t hash;
    uint32_t next; /* chain in name buckets, UINT32_MAX ends */
};

struct pw_series_cache {
    pthread_mutex_t mu;
    size_t max_bytes, bytes;
    struct result *buckets[N_BUCKETS];
    uint64_t clock;
    size_t hits, misses;
    /* interned names */
    struct pw_arena names_arena;
    struct name *names;
    size_t n_names, cap_names;
    uint32_t *name_buckets;
    size_t n_name_buckets;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

struct pw_series_cache *pw_series_cache_new(size_t max_bytes)
{
    struct pw_series_cache *c = pw_xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    c->max_bytes = max_bytes;
    pw_arena_init(&c->names_arena);
    return c;
}

static void result_free(struct result *r)
{
    free(r->key);
    free(r->name);
    free(r->flat);
    free(r->cum);
    free(r);
}

void pw_series_cache_free(struct pw_series_cache *c)
{
    if (!c)
        return;
    for (size_t b = 0; b < N_BUCKETS; b++)
        for (struct result *r = c->buckets[b], *next; r; r = next) {
            next = r->next;
            result_free(r);
        }
    pw_arena_release(&c->names_arena);
    free(c->names);
    free(c->name_buckets);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void pw_series_cache_stats(struct pw_series_cache *c, size_t *hits, size_t *misses)
{
    pthread_mutex_lock(&c->mu);
    *hits = c->hits;
    *misses = c->misses;
    pthread_mutex_unlock(&c->mu);
}

/* The id of name s (interned on first sight). Call with the lock held. */
static uint32_t intern(struct pw_series_cache *c, const char *s)
{
    uint64_t h = hash_str(s);
    if (c->n_names * 2 >= c->n_name_buckets) {
        size_t nb = c->n_name_buckets ? c->n_name_buckets * 2 : 1024;
        free(c->name_buckets);
        c->name_buckets = pw_xmalloc(nb * sizeof(*c->name_buckets));
        memset(c->name_buckets, 0xff, nb * sizeof(*c->name_buckets));
        c->n_name_buckets = nb;
        for (uint32_t i = 0; i < c->n_names; i++) {
            size_t b = c->names[i].hash & (nb - 1);
            c->names[i].next = c->name_buckets[b];
            c->name_buckets[b] = i;
        }
    }
    size_t b = h & (c->n_name_buckets - 1);
    for (uint32_t i = c->name_buckets[b]; i != UINT32_MAX; i = c->names[i].next)
        if (c->names[i].hash == h && !strcmp(c->names[i].s, s))
            return i;
    PW_GROW(c->names, c->cap_names, c->n_names + 1);
    uint32_t id = (uint32_t)c->n_names++;
    c->names[id] = (struct name){pw_arena_strdup(&c->names_arena, s), h, c->name_buckets[b]};
    c->name_buckets[b] = id;
    return id;
}

/* Finds key and takes a reference, or NULL. Lock held. */
static struct result *find(struct pw_series_cache *c, const char *key, uint64_t h)
{
    for (struct result *r = c->buckets[h % N_BUCKETS]; r; r = r->next)
        if (r->hash == h && !strcmp(r->key, key)) {
            r->refs++;
            r->last_used = ++c->clock;
            return r;
        }
    return NULL;
}

/* Drops unreferenced results, least recently used first, until need more bytes fit. */
static void evict(struct pw_series_cache *c, size_t need)
{
    while (c->bytes + need > c->max_bytes) {
        struct result **victim = NULL;
        for (size_t b = 0; b < N_BUCKETS; b++)
            for (struct result **rp = &c->buckets[b]; *rp; rp = &(*rp)->next)
                if ((*rp)->refs == 0 && (!victim || (*rp)->last_used < (*victim)->last_used))
                    victim = rp;
        if (!victim)
            return;
        struct result *r = *victim;
        *victim = r->next;
        c->bytes -= r->bytes;
        result_free(r);
    }
}

/* Adds r (with one reference) unless an equal key arrived meanwhile; returns the cached one. */
static struct result *insert(struct pw_series_cache *c, struct result *r)
{
    struct result *old = find(c, r->key, r->hash);
    if (old) {
        result_free(r);
        return old;
    }
    evict(c, r->bytes);
    r->refs = 1;
    r->last_used = ++c->clock;
    r->next = c->buckets[r->hash % N_BUCKETS];
    c->buckets[r->hash % N_BUCKETS] = r;
    c->bytes += r->bytes;
    return r;
}

/* --- computing one snapshot --- */

const char *const pw_series_memstats_names[PW_SERIES_N_MEMSTATS] = {
    "HeapInuse", "HeapIdle", "HeapReleased", "HeapSys", "Sys", "NumGC"};

/* Reads the charted fields of a MemStats block ("# HeapInuse = 1234" lines); false when it has
 * none of them. Other lines and malformed numbers are skipped. */
static bool parse_memstats(const char *text, int64_t *out)
{
    bool any = false;
    for (int k = 0; k < PW_SERIES_N_MEMSTATS; k++)
        out[k] = -1;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        if (line[0] == '#' && line[1] == ' ') {
            for (int k = 0; k < PW_SERIES_N_MEMSTATS; k++) {
                size_t n = strlen(pw_series_memstats_names[k]);
                if (strncmp(line + 2, pw_series_memstats_names[k], n) || strncmp(line + 2 + n, " = ", 3))
                    continue;
                char *e;
                long long v = strtoll(line + 5 + n, &e, 10);
                if (e != line + 5 + n && v >= 0) {
                    out[k] = v;
                    any = true;
                }
            }
        }
        line = end ? end + 1 : NULL;
    }
    return any;
}

struct job {
    struct pw_series_cache *c;
    const struct pw_config *cfg;
    pw_series_acquire_fn acquire;
    pw_series_release_fn release;
    pw_series_read_fn read;
    void *ctx;
    const char *id;
    char *key;
    uint64_t hash;
    struct result *res; /* out */
    struct pw_err err;  /* when res is NULL */
};

/* A result of n nodes for j's key (not yet cached); names interned by the caller. */
static struct result *result_new(struct job *j, size_t n, int64_t total)
{
    struct result *r = pw_xcalloc(1, sizeof(*r));
    r->key = j->key;
    j->key = NULL;
    r->hash = j->hash;
    r->total = total;
    r->n = n;
    r->name = pw_xmalloc((r->n + 1) * sizeof(*r->name));
    r->flat = pw_xmalloc((r->n + 1) * sizeof(*r->flat));
    r->cum = pw_xmalloc((r->n + 1) * sizeof(*r->cum));
    r->bytes = sizeof(*r) + strlen(r->key) + r->n * (sizeof(*r->name) + 2 * sizeof(int64_t));
    return r;
}

/* Reads one snapshot from its bytes (summary.h); false when the full report must run. */
static bool summarize_one(struct job *j, struct pw_summary_reader *reader)
{
    unsigned char *data;
    size_t len;
    const char *symbolize = NULL;
    struct pw_err e = {0};
    if (!j->read || j->read(j->ctx, j->id, &data, &len, &symbolize, &e))
        return false; /* the full path words the error */ /* the full path words the error */
    struct pw_summary s;
    int rc = pw_summary_read(reader, data, len, symbolize, j->cfg, &s, &j->err);
    free(data);
    if (rc == PW_SUMMARY_FULL)
        return false;
    if (rc < 0)
        return true; /* j->err says why */
    struct result *r = result_new(j, s.n_nodes, s.total);
    pthread_mutex_lock(&j->c->mu);
    for (size_t i = 0; i < r->n; i++)
        r->name[i] = intern(j->c, s.nodes[i].name);
    r->sample_type = j->c->names[intern(j->c, s.sample_type)].s;
    r->unit = j->c->names[intern(j->c, s.unit)].s;
    pthread_mutex_unlock(&j->c->mu);
    if (s.memstats)
        r->has_memstats = parse_memstats(s.memstats, r->memstats);
    for (size_t i = 0; i < r->n; i++) {
        r->flat[i] = s.nodes[i].flat;
        r->cum[i] = s.nodes[i].cum;
    }
    pw_summary_release(&s);
    j->res = r;
    return true;
}

/* Computes one snapshot and fills j->res (not yet cached): from its bytes when the summary
 * covers them, else by the top report of its decoded profile. */
static void compute_one(struct job *j, struct pw_summary_reader *reader)
{
    if (summarize_one(j, reader))
        return;
    const struct pw_profile *p = j->acquire(j->ctx, j->id, &j->err);
    if (!p)
        return;
    struct pw_config cfg = *j->cfg;
    cfg.trim = false; /* every node, not only the top ones */
    cfg.call_tree = false;
    struct pw_report *rep = pw_report_new(p, "top", NULL, &cfg, NULL, &j->err);
    if (!rep) {
        j->release(j->ctx, p);
        return;
    }
    struct pw_graph *g = pw_report_graph(rep);
    struct result *r = result_new(j, g->n_nodes, rep->total);
    pthread_mutex_lock(&j->c->mu);
    for (size_t i = 0; i < r->n; i++)
        r->name[i] = intern(j->c, g->nodes[i]->printable_name);
    r->sample_type = j->c->names[intern(j->c, rep->opt.sample_type ? rep->opt.sample_type : "")].s;
    r->unit = j->c->names[intern(j->c, rep->opt.sample_unit ? rep->opt.sample_unit : "")].s;
    pthread_mutex_unlock(&j->c->mu);
    if (p->memstats)
        r->has_memstats = parse_memstats(p->memstats, r->memstats);
    for (size_t i = 0; i < r->n; i++) {
        r->flat[i] = pw_node_flat_value(g->nodes[i]);
        r->cum[i] = pw_node_cum_value(g->nodes[i]);
    }
    pw_report_free(rep);
    j->release(j->ctx, p);
    j->res = r;
}

struct part {
    struct job *jobs;
    size_t from, to;
};

static void *run_part(void *arg)
{
    struct part *pt = arg;
    struct pw_summary_reader *reader = pw_summary_reader_new();
    for (size_t i = pt->from; i < pt->to; i++)
        compute_one(&pt->jobs[i], reader);
    pw_summary_reader_free(reader);
    return NULL;
}

/* --- the series --- */

void pw_series_data_release(struct pw_series_data *d)
{
    pw_arena_release(&d->arena);
    memset(d, 0, sizeof(*d));
}

int pw_series_compute(struct pw_series_cache *c, const struct pw_series_input *in, size_t n,
                      const struct pw_config *cfg, bool cum, pw_series_acquire_fn acquire,
                      pw_series_release_fn release, pw_series_read_fn read, void *ctx,
                      struct pw_series_data *out, struct pw_err *err)
{
    memset(out, 0, sizeof(*out));
    pw_arena_init(&out->arena);
    struct pw_arena *A = &out->arena;
    out->n_points = n;
    out->points = pw_arena_calloc(A, n + 1, sizeof(*out->points));
    out->present = pw_arena_calloc(A, n + 1, sizeof(bool));
    out->totals = pw_arena_calloc(A, n + 1, sizeof(int64_t));
    out->sample_type = out->unit = "";
    out->cum = cum;

    /* The key holds only the settings that change a snapshot's numbers: display settings
     * (node count, fractions, sort, units) do not, and must not split the cache. */
    struct pw_config norm, def;
    pw_config_default(&def);
    norm = *cfg;
    norm.nodecount = def.nodecount;
    norm.nodefraction = def.nodefraction;
    norm.edgefraction = def.edgefraction;
    norm.trim = def.trim;
    norm.sort_cum = def.sort_cum;
    norm.call_tree = def.call_tree;
    norm.relative_percentages = def.relative_percentages;
    norm.unit = def.unit;
    norm.compact_labels = def.compact_labels;
    struct pw_buf settings;
    pw_buf_init(&settings, 1 << 20);
    pw_query_format(&norm, NULL, &settings);
    struct result **res = pw_xcalloc(n + 1, sizeof(*res));
    struct job *jobs = pw_xcalloc(n + 1, sizeof(*jobs));
    size_t n_jobs = 0;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < n; i++) {
        out->points[i].time_nanos = in[i].time_nanos;
        out->points[i].id = in[i].id ? pw_arena_strdup(A, in[i].id) : NULL;
        out->points[i].error = in[i].error ? pw_arena_strdup(A, in[i].error) : NULL;
        if (!in[i].id)
            continue;
        char *key = pw_xmalloc(strlen(in[i].id) + settings.len + 2);
        sprintf(key, "%s\n%s", in[i].id, pw_buf_str(&settings));
        uint64_t h = hash_str(key);
        if ((res[i] = find(c, key, h))) {
            c->hits++;
            free(key);
            continue;
        }
        c->misses++;
        jobs[n_jobs++] = (struct job){c, cfg, acquire, release, read, ctx, in[i].id, key, h,
                                      NULL, {0}};
    }
    pthread_mutex_unlock(&c->mu);
    pw_buf_release(&settings);

    /* Compute what is missing, split in two halves when there is enough to share. */
    struct part parts[PW_PARALLEL_MAX_PARTS];
    size_t n_parts = n_jobs >= 4 ? PW_PARALLEL_MAX_PARTS : 1;
    for (size_t k = 0; k < n_parts; k++)
        parts[k] = (struct part){jobs, n_jobs * k / n_parts, n_jobs * (k + 1) / n_parts};
    pw_parallel_run(run_part, parts, sizeof(*parts), n_parts);

    int rc = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!in[i].id || res[i])
            continue;
        struct job *j = &jobs[k++];
        free(j->key);
        if (j->res) {
            pthread_mutex_lock(&c->mu);
            res[i] = insert(c, j->res);
            pthread_mutex_unlock(&c->mu);
        } else if (j->err.code == PW_EINVAL && rc == 0) {
            *err = j->err; /* the settings, not the snapshot: fails the whole series */
            rc = -1;
        } else {
            out->points[i].error = pw_arena_strdup(A, j->err.msg);
        }
    }

    /* Merge: one row per name over every point. */
    pthread_mutex_lock(&c->mu);
    size_t n_names = c->n_names;
    pthread_mutex_unlock(&c->mu);
    uint32_t *row_of = pw_xmalloc((n_names + 1) * sizeof(*row_of));
    memset(row_of, 0xff, (n_names + 1) * sizeof(*row_of));
    size_t cap_fns = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct result *r = res[i];
        if (!r)
            continue;
        out->present[i] = true;
        out->totals[i] = r->total;
        if (r->has_memstats) {
            if (!out->memstats) {
                out->memstats = pw_arena_alloc(A, (n + 1) * sizeof(*out->memstats));
                memset(out->memstats, 0xff, (n + 1) * sizeof(*out->memstats)); /* -1 */
            }
            memcpy(out->memstats[i], r->memstats, sizeof(r->memstats));
        }
        out->sample_type = r->sample_type;
        out->unit = r->unit;
        for (size_t e = 0; e < r->n; e++) {
            uint32_t nm = r->name[e];
            if (row_of[nm] == UINT32_MAX) {
                PW_GROW(out->fns, cap_fns, out->n_fns + 1);
                struct pw_series_fn *f = &out->fns[out->n_fns];
                pthread_mutex_lock(&c->mu);
                f->name = pw_arena_strdup(A, c->names[nm].s);
                pthread_mutex_unlock(&c->mu);
                f->values = pw_arena_calloc(A, n + 1, sizeof(int64_t));
                row_of[nm] = (uint32_t)out->n_fns++;
            }
            struct pw_series_fn *f = &out->fns[row_of[nm]];
            f->values[i] = pw_wadd(f->values[i], cum ? r->cum[e] : r->flat[e]);
        }
    }
    free(row_of);
    /* The rows live in the arena like everything else the data hands out. */
    if (out->n_fns) {
        struct pw_series_fn *fns = pw_arena_alloc(A, out->n_fns * sizeof(*fns));
        memcpy(fns, out->fns, out->n_fns * sizeof(*fns));
        free(out->fns);
        out->fns = fns;
    } else {
        free(out->fns);
        out->fns = NULL;
    }
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < n; i++)
        if (res[i])
            res[i]->refs--;
    pthread_mutex_unlock(&c->mu);
    free(res);
    free(jobs);
    if (rc)
        pw_series_data_release(out);
    return rc;
}

/* --- growth --- */

static void growth_of(const struct pw_series_data *d, const int64_t *v, struct pw_growth *g)
{
    double t0 = 0, st = 0, sv = 0;
    size_t m = 0, intervals = 0, rose = 0;
    int64_t prev = 0;
    for (size_t i = 0; i < d->n_points; i++) {
        if (!d->present[i])
            continue;
        if (m == 0) {
            t0 = (double)d->points[i].time_nanos;
            g->first = v[i];
        } else {
            intervals++;
            rose += v[i] > prev;
        }
        prev = g->last = v[i];
        st += ((double)d->points[i].time_nanos - t0) / 3.6e12;
        sv += (double)v[i];
        m++;
    }
    g->change = g->last - g->first;
    if (m < 2)
        return;
    double tm = st / (double)m, vm = sv / (double)m, sxx = 0, sxy = 0, syy = 0;
    for (size_t i = 0; i < d->n_points; i++) {
        if (!d->present[i])
            continue;
        double t = ((double)d->points[i].time_nanos - t0) / 3.6e12 - tm, y = (double)v[i] - vm;
        sxx += t * t;
        sxy += t * y;
        syy += y * y;
    }
    g->per_hour = sxx > 0 ? sxy / sxx : 0;
    g->r2 = sxx > 0 && syy > 0 ? sxy * sxy / (sxx * syy) : 0;
    g->grew = intervals ? (double)rose / (double)intervals : 0;
    g->steadiness = g->per_hour > 0 ? g->r2 * g->grew : 0;
    g->score = g->per_hour * g->steadiness * g->steadiness;
}

static int cmp_double(double a, double b)
{
    return a < b ? -1 : a > b ? 1 : 0;
}

static int cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b ? 1 : 0;
}

/* qsort has no context argument: the sort's key travels in these (set under sort_mu). */
static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER;
static const struct pw_series_data *sort_data;
static int sort_key, sort_desc;

static int cmp_default(const struct pw_growth *a, const struct pw_growth *b)
{
    int c = cmp_double(b->score, a->score);
    if (!c)
        c = cmp_i64(b->change, a->change);
    if (!c)
        c = strcmp(sort_data->fns[a->fn].name, sort_data->fns[b->fn].name);
    return c;
}

static int cmp_rows(const void *x, const void *y)
{
    const struct pw_growth *a = x, *b = y;
    int c = 0;
    switch (sort_key) {
    case 1: c = cmp_i64(a->change, b->change); break;
    case 2: c = cmp_double(a->per_hour, b->per_hour); break;
    case 3: c = cmp_double(a->steadiness, b->steadiness); break;
    case 4: c = cmp_i64(a->first, b->first); break;
    case 5: c = cmp_i64(a->last, b->last); break;
    case 6: c = strcmp(sort_data->fns[a->fn].name, sort_data->fns[b->fn].name); break;
    default: c = cmp_double(a->score, b->score); break;
    }
    if (sort_desc)
        c = -c;
    return c ? c : cmp_default(a, b);
}

int pw_series_growth_sort(const struct pw_series_data *d, struct pw_growth *rows, size_t n,
                          const char *key, bool desc)
{
    static const char *const keys[] = {"score", "change", "per_hour", "steadiness",
                                       "first", "last",   "name"};
    int k = -1;
    for (int i = 0; i < (int)(sizeof(keys) / sizeof(*keys)); i++)
        if (!strcmp(keys[i], key))
            k = i;
    if (k < 0)
        return -1;
    pthread_mutex_lock(&sort_mu);
    sort_data = d;
    sort_key = k;
    sort_desc = desc;
    qsort(rows, n, sizeof(*rows), cmp_rows);
    pthread_mutex_unlock(&sort_mu);
    return 0;
}

struct pw_growth *pw_series_growth(const struct pw_series_data *d)
{
    struct pw_growth *rows = pw_xcalloc(d->n_fns + 1, sizeof(*rows));
    for (size_t i = 0; i < d->n_fns; i++) {
        rows[i].fn = i;
        growth_of(d, d->fns[i].values, &rows[i]);
    }
    pw_series_growth_sort(d, rows, d->n_fns, "score", true);
    return rows;
}
