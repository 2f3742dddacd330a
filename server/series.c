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
 * Merged: the rows over the whole series (struct pw_series_merged: per point the total, per
 * function a column of values) are kept too, per settings and value (flat or cum), and shared by every
 * request at those settings (the timeline and the growth ranking alike). When a request's
 * snapshots are the kept ones plus some new ones at the end, only the new ones are looked up
 * and appended: columns have room to grow, so nothing is copied or zeroed again. A merged state
 * read by a request is never changed: an append while it is read works on a copy. States with
 * a snapshot that could not be read are not kept (the next request tries it again).
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
#include "pprofweb/limits.h"
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
    /* merged states, most recently used first; merge_mu serializes their building */
    pthread_mutex_t merge_mu;
    struct pw_series_merged *merged;
    size_t merged_bytes;
    size_t reused, extended, built;
};

static void merged_free_all(struct pw_series_merged *m);

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
    pthread_mutex_init(&c->merge_mu, NULL);
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
    merged_free_all(c->merged); /* every request's data is released by now */
    pthread_mutex_destroy(&c->merge_mu);
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

/* Sets r's sample type and unit, interned (lock held). intern() may move the names array, so
 * it runs before the array is read. */
static void interned_types(struct pw_series_cache *c, struct result *r, const char *type,
                           const char *unit)
{
    uint32_t t = intern(c, type), u = intern(c, unit);
    r->sample_type = c->names[t].s;
    r->unit = c->names[u].s;
}

/* Reads one snapshot from its bytes (summary.h); false when the full report must run. */
static bool summarize_one(struct job *j, struct pw_summary_reader *reader)
{
    unsigned char *data;
    size_t len;
    const char *symbolize = NULL;
    struct pw_err e = {0};
    if (!j->read || j->read(j->ctx, j->id, &data, &len, &symbolize, &e))
        return false; /* the full path words the error */
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
    interned_types(j->c, r, s.sample_type, s.unit);
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
    interned_types(j->c, r, rep->opt.sample_type ? rep->opt.sample_type : "",
                   rep->opt.sample_unit ? rep->opt.sample_unit : "");
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

/* --- merged series --- */

/* The rows over a whole series at one setting (see the file's comment). Arrays hold cap points,
 * n used; values past n are 0, so appending a point writes only the functions it has. */
struct pw_series_merged {
    struct pw_series_merged *next; /* in the cache's list; NULL and not listed when detached */
    bool listed;
    char *key;                     /* settings and value */
    int refs;                      /* requests reading it: then it is not changed */
    size_t bytes;
    size_t n, cap;
    struct pw_series_input *in;     /* the request's snapshots (owned copies), for matching */
    struct pw_series_input *points; /* what the data shows: in, with the read errors */
    bool *present;
    int64_t *totals;
    int64_t (*memstats)[PW_SERIES_N_MEMSTATS];
    const char *sample_type, *unit; /* interned */
    bool cum;
    bool failed; /* a snapshot could not be read: not kept */
    struct pw_series_fn *fns;       /* names interned, values malloc'd with cap points */
    size_t n_fns, cap_fns;
    uint32_t *row_of; /* name id -> row, UINT32_MAX when absent */
    size_t n_row_of;
    struct pw_growth *growth; /* computed on first use, n_fns rows */
};

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(pw_xmalloc(n), s, n);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void merged_free(struct pw_series_merged *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free((char *)m->in[i].id);
        free((char *)m->in[i].error);
        free((char *)m->points[i].error);
    }
    for (size_t f = 0; f < m->n_fns; f++)
        free(m->fns[f].values);
    free(m->in);
    free(m->points);
    free(m->present);
    free(m->totals);
    free(m->memstats);
    free(m->fns);
    free(m->row_of);
    free(m->growth);
    free(m->key);
    free(m);
}

static void merged_free_all(struct pw_series_merged *m)
{
    while (m) {
        struct pw_series_merged *next = m->next;
        merged_free(m);
        m = next;
    }
}

static size_t merged_bytes(const struct pw_series_merged *m)
{
    return sizeof(*m) + m->cap * (2 * sizeof(struct pw_series_input) + sizeof(bool) +
                                  sizeof(int64_t) + (m->memstats ? sizeof(*m->memstats) : 0)) +
           m->n_fns * (sizeof(struct pw_series_fn) + m->cap * sizeof(int64_t)) +
           m->n_row_of * sizeof(uint32_t);
}

/* Room for cap points in every array; the new room zeroed (memstats -1). */
static void merged_reserve(struct pw_series_merged *m, size_t cap)
{
    if (cap <= m->cap)
        return;
    size_t old = m->cap;
    m->in = pw_xrealloc(m->in, cap * sizeof(*m->in));
    m->points = pw_xrealloc(m->points, cap * sizeof(*m->points));
    m->present = pw_xrealloc(m->present, cap * sizeof(*m->present));
    m->totals = pw_xrealloc(m->totals, cap * sizeof(*m->totals));
    memset(m->present + old, 0, (cap - old) * sizeof(*m->present));
    memset(m->totals + old, 0, (cap - old) * sizeof(*m->totals));
    if (m->memstats) {
        m->memstats = pw_xrealloc(m->memstats, cap * sizeof(*m->memstats));
        memset(m->memstats + old, 0xff, (cap - old) * sizeof(*m->memstats));
    }
    for (size_t f = 0; f < m->n_fns; f++) {
        m->fns[f].values = pw_xrealloc(m->fns[f].values, cap * sizeof(int64_t));
        memset(m->fns[f].values + old, 0, (cap - old) * sizeof(int64_t));
    }
    m->cap = cap;
}

/* A copy of m with room for cap points, for an append while m is read. */
static struct pw_series_merged *merged_copy(const struct pw_series_merged *m, size_t cap)
{
    struct pw_series_merged *c = pw_xcalloc(1, sizeof(*c));
    c->key = xstrdup(m->key);
    c->cum = m->cum;
    c->sample_type = m->sample_type;
    c->unit = m->unit;
    c->cap = cap > m->n ? cap : m->n + 1;
    c->n = m->n;
    c->in = pw_xcalloc(c->cap, sizeof(*c->in));
    c->points = pw_xcalloc(c->cap, sizeof(*c->points));
    c->present = pw_xcalloc(c->cap, sizeof(*c->present));
    c->totals = pw_xcalloc(c->cap, sizeof(*c->totals));
    for (size_t i = 0; i < m->n; i++) {
        c->in[i] = (struct pw_series_input){dup_or_null(m->in[i].id), m->in[i].time_nanos,
                                            dup_or_null(m->in[i].error)};
        c->points[i] = (struct pw_series_input){c->in[i].id, m->points[i].time_nanos,
                                                dup_or_null(m->points[i].error)};
    }
    memcpy(c->present, m->present, m->n * sizeof(*c->present));
    memcpy(c->totals, m->totals, m->n * sizeof(*c->totals));
    if (m->memstats) {
        c->memstats = pw_xmalloc(c->cap * sizeof(*c->memstats));
        memset(c->memstats, 0xff, c->cap * sizeof(*c->memstats));
        memcpy(c->memstats, m->memstats, m->n * sizeof(*c->memstats));
    }
    c->n_fns = c->cap_fns = m->n_fns;
    c->fns = pw_xcalloc(c->n_fns + 1, sizeof(*c->fns));
    for (size_t f = 0; f < m->n_fns; f++) {
        c->fns[f].name = m->fns[f].name;
        c->fns[f].values = pw_xcalloc(c->cap, sizeof(int64_t));
        memcpy(c->fns[f].values, m->fns[f].values, m->n * sizeof(int64_t));
    }
    c->n_row_of = m->n_row_of;
    c->row_of = pw_xmalloc((c->n_row_of + 1) * sizeof(*c->row_of));
    memcpy(c->row_of, m->row_of, c->n_row_of * sizeof(*c->row_of));
    return c;
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* How many of in[] the kept m already holds (its snapshots are a prefix of in), or SIZE_MAX
 * when they are not. */
static size_t merged_prefix(const struct pw_series_merged *m, const struct pw_series_input *in,
                            size_t n)
{
    if (m->n > n)
        return SIZE_MAX;
    for (size_t i = m->n; i-- > 0;)
        if (in[i].time_nanos != m->in[i].time_nanos || !same_str(in[i].id, m->in[i].id) ||
            !same_str(in[i].error, m->in[i].error))
            return SIZE_MAX;
    return m->n;
}

/* Appends point i (in, with result r or the read error) to m, which has room for it. Takes
 * the cache lock for names. */
static void merged_append(struct pw_series_cache *c, struct pw_series_merged *m,
                          const struct pw_series_input *in, const struct result *r,
                          const char *error)
{
    size_t i = m->n++;
    m->in[i] = (struct pw_series_input){dup_or_null(in->id), in->time_nanos,
                                        dup_or_null(in->error)};
    m->points[i] = (struct pw_series_input){m->in[i].id, in->time_nanos,
                                            dup_or_null(error ? error : in->error)};
    m->present[i] = false;
    if (!r)
        return;
    m->present[i] = true;
    m->totals[i] = r->total;
    if (r->has_memstats) {
        if (!m->memstats) {
            m->memstats = pw_xmalloc(m->cap * sizeof(*m->memstats));
            memset(m->memstats, 0xff, m->cap * sizeof(*m->memstats)); /* -1 */
        }
        memcpy(m->memstats[i], r->memstats, sizeof(r->memstats));
    }
    m->sample_type = r->sample_type;
    m->unit = r->unit;
    for (size_t e = 0; e < r->n; e++) {
        uint32_t nm = r->name[e];
        if (nm >= m->n_row_of) {
            size_t nr = nm + 1 > m->n_row_of * 2 ? nm + 1 : m->n_row_of * 2;
            m->row_of = pw_xrealloc(m->row_of, nr * sizeof(*m->row_of));
            memset(m->row_of + m->n_row_of, 0xff, (nr - m->n_row_of) * sizeof(*m->row_of));
            m->n_row_of = nr;
        }
        if (m->row_of[nm] == UINT32_MAX) {
            PW_GROW(m->fns, m->cap_fns, m->n_fns + 1);
            struct pw_series_fn *f = &m->fns[m->n_fns];
            pthread_mutex_lock(&c->mu);
            f->name = c->names[nm].s; /* in the names arena: stable */
            pthread_mutex_unlock(&c->mu);
            f->values = pw_xcalloc(m->cap, sizeof(int64_t));
            m->row_of[nm] = (uint32_t)m->n_fns++;
        }
        int64_t *v = &m->fns[m->row_of[nm]].values[i];
        *v = pw_wadd(*v, m->cum ? r->cum[e] : r->flat[e]);
    }
}

/* Takes m out of the cache's list (merge_mu held). */
static void merged_unlist(struct pw_series_cache *c, struct pw_series_merged *m)
{
    if (!m->listed)
        return;
    for (struct pw_series_merged **p = &c->merged; *p; p = &(*p)->next)
        if (*p == m) {
            *p = m->next;
            break;
        }
    m->next = NULL;
    m->listed = false;
    c->merged_bytes -= m->bytes;
}

/* Unlists m; freed now unless a request still reads it. */
static void merged_drop(struct pw_series_cache *c, struct pw_series_merged *m)
{
    merged_unlist(c, m);
    if (m->refs == 0)
        merged_free(m);
}

/* Lists m first (merge_mu held), dropping the least recently used past the byte bound; the
 * caller holds a reference to m. */
static void merged_keep(struct pw_series_cache *c, struct pw_series_merged *m)
{
    m->bytes = merged_bytes(m);
    m->next = c->merged;
    m->listed = true;
    c->merged = m;
    c->merged_bytes += m->bytes;
    while (c->merged_bytes > PW_SERIES_MERGED_BYTES) {
        struct pw_series_merged *last = c->merged;
        while (last->next)
            last = last->next;
        bool self = last == m; /* m alone is too large: the caller's reference keeps it */
        merged_drop(c, last);
        if (self)
            break;
    }
}

void pw_series_cache_merge_stats(struct pw_series_cache *c, size_t *reused, size_t *extended,
                                 size_t *built)
{
    pthread_mutex_lock(&c->merge_mu);
    *reused = c->reused;
    *extended = c->extended;
    *built = c->built;
    pthread_mutex_unlock(&c->merge_mu);
}

/* --- the series --- */

void pw_series_data_release(struct pw_series_data *d)
{
    if (d->state) {
        pthread_mutex_lock(&d->cache->merge_mu);
        if (--d->state->refs == 0 && !d->state->listed)
            merged_free(d->state);
        pthread_mutex_unlock(&d->cache->merge_mu);
    }
    pw_arena_release(&d->arena);
    memset(d, 0, sizeof(*d));
}

/* The key of a setting: only what changes a snapshot's numbers. Display settings (node count,
 * fractions, sort, units) do not, and must not split the cache. */
static void settings_key(const struct pw_config *cfg, struct pw_buf *out)
{
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
    pw_query_format(&norm, NULL, out);
}

/* The per-snapshot results of in[from..n) into res[] (a reference each), computing what is
 * missing; read errors into errors[] (malloc'd). -1 when the settings fail (err). */
static int results_of(struct pw_series_cache *c, const struct pw_series_input *in, size_t from,
                      size_t n, const char *settings, const struct pw_config *cfg,
                      pw_series_acquire_fn acquire, pw_series_release_fn release,
                      pw_series_read_fn read, void *ctx, struct result **res, char **errors,
                      struct pw_err *err)
{
    struct job *jobs = pw_xcalloc(n - from + 1, sizeof(*jobs));
    size_t n_jobs = 0;
    pthread_mutex_lock(&c->mu);
    for (size_t i = from; i < n; i++) {
        if (!in[i].id)
            continue;
        char *key = pw_xmalloc(strlen(in[i].id) + strlen(settings) + 2);
        sprintf(key, "%s\n%s", in[i].id, settings);
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

    /* Compute what is missing, split in two halves when there is enough to share. */
    struct part parts[PW_PARALLEL_MAX_PARTS];
    size_t n_parts = n_jobs >= 4 ? PW_PARALLEL_MAX_PARTS : 1;
    for (size_t k = 0; k < n_parts; k++)
        parts[k] = (struct part){jobs, n_jobs * k / n_parts, n_jobs * (k + 1) / n_parts};
    pw_parallel_run(run_part, parts, sizeof(*parts), n_parts);

    int rc = 0;
    size_t k = 0;
    for (size_t i = from; i < n; i++) {
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
            errors[i] = xstrdup(j->err.msg);
        }
    }
    free(jobs);
    return rc;
}

int pw_series_compute(struct pw_series_cache *c, const struct pw_series_input *in, size_t n,
                      const struct pw_config *cfg, bool cum, pw_series_acquire_fn acquire,
                      pw_series_release_fn release, pw_series_read_fn read, void *ctx,
                      struct pw_series_data *out, struct pw_err *err)
{
    memset(out, 0, sizeof(*out));
    pw_arena_init(&out->arena);
    struct pw_buf settings;
    pw_buf_init(&settings, 1 << 20);
    settings_key(cfg, &settings);
    size_t settings_len = settings.len;
    pw_buf_addf(&settings, "\n%s", cum ? "cum" : "flat"); /* the merged key: settings, value */

    /* One request at a time builds or extends: the second of two at once (the timeline and the
     * growth of one new snapshot) finds the first's work done. */
    pthread_mutex_lock(&c->merge_mu);
    struct pw_series_merged *m = NULL;
    size_t from = 0;
    for (struct pw_series_merged *s = c->merged; s; s = s->next) {
        size_t k;
        if (!strcmp(s->key, pw_buf_str(&settings)) &&
            (k = merged_prefix(s, in, n)) != SIZE_MAX && (!m || k > from)) {
            m = s;
            from = k;
        }
    }
    if (m) {
        pthread_mutex_lock(&c->mu);
        c->hits += from; /* snapshots not looked up again */
        for (size_t i = 0; i < from; i++)
            c->hits -= !in[i].id; /* gaps are no lookup */
        pthread_mutex_unlock(&c->mu);
    }
    int rc = 0;
    if (!m || from < n) {
        struct result **res = pw_xcalloc(n + 1, sizeof(*res));
        char **errors = pw_xcalloc(n + 1, sizeof(*errors));
        char *per_snapshot = pw_xmalloc(settings_len + 1); /* without the value */
        memcpy(per_snapshot, pw_buf_str(&settings), settings_len);
        per_snapshot[settings_len] = 0;
        rc = results_of(c, in, from, n, per_snapshot, cfg, acquire, release, read, ctx,
                        res, errors, err);
        free(per_snapshot);
        if (rc == 0) {
            size_t cap = n + n / 4 + 16; /* room for the snapshots to come */
            if (!m) {
                m = pw_xcalloc(1, sizeof(*m));
                m->key = xstrdup(pw_buf_str(&settings));
                m->cum = cum;
                m->sample_type = m->unit = "";
                merged_reserve(m, cap);
                c->built++;
            } else {
                if (m->refs > 0) { /* read by a request: append to a copy */
                    struct pw_series_merged *copy = merged_copy(m, cap);
                    merged_drop(c, m);
                    m = copy;
                } else {
                    merged_unlist(c, m); /* listed again below, with its new size */
                    merged_reserve(m, n > m->cap ? cap : m->cap);
                }
                c->extended++;
            }
            for (size_t i = from; i < n; i++) {
                merged_append(c, m, &in[i], res[i], errors[i]);
                m->failed |= in[i].id && !res[i];
            }
            free(m->growth);
            m->growth = NULL;
            m->refs++; /* the caller's */
            if (!m->failed)
                merged_keep(c, m);
        }
        pthread_mutex_lock(&c->mu);
        for (size_t i = from; i < n; i++)
            if (res[i])
                res[i]->refs--;
        pthread_mutex_unlock(&c->mu);
        for (size_t i = from; i < n; i++)
            free(errors[i]);
        free(errors);
        free(res);
    } else {
        /* the same snapshots: most recently used first */
        m->refs++; /* the caller's */
        merged_unlist(c, m);
        merged_keep(c, m);
        c->reused++;
    }
    if (rc == 0) {
        out->cache = c;
        out->state = m;
        out->n_points = m->n;
        out->points = m->points;
        out->present = m->present;
        out->totals = m->totals;
        out->memstats = m->memstats;
        out->sample_type = m->sample_type;
        out->unit = m->unit;
        out->cum = m->cum;
        out->fns = m->n_fns ? m->fns : NULL;
        out->n_fns = m->n_fns;
    }
    pthread_mutex_unlock(&c->merge_mu);
    pw_buf_release(&settings);
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

static struct pw_growth *growth_rows(const struct pw_series_data *d)
{
    struct pw_growth *rows = pw_xcalloc(d->n_fns + 1, sizeof(*rows));
    for (size_t i = 0; i < d->n_fns; i++) {
        rows[i].fn = i;
        growth_of(d, d->fns[i].values, &rows[i]);
    }
    pw_series_growth_sort(d, rows, d->n_fns, "score", true);
    return rows;
}

struct pw_growth *pw_series_growth(const struct pw_series_data *d)
{
    if (!d->state)
        return growth_rows(d);
    /* Once per merged series: the timeline and the ranking at one setting share the rows. */
    struct pw_series_merged *m = d->state;
    pthread_mutex_lock(&d->cache->merge_mu);
    if (!m->growth)
        m->growth = growth_rows(d);
    struct pw_growth *rows = pw_xmalloc((d->n_fns + 1) * sizeof(*rows));
    memcpy(rows, m->growth, d->n_fns * sizeof(*rows));
    pthread_mutex_unlock(&d->cache->merge_mu);
    return rows;
}
