/* compare: comparisons of two profiles for the web server (base=ID, diff_base=ID, norm=t).
 *
 * In: two profiles as the server holds them (already through pw_source_finish) and what the URL
 * asks. Out: the compared profile, built exactly as the command line builds `-base FILE` or
 * `-diff_base FILE` (pw_source_combine on working copies of the two, then pw_source_finish), so
 * every view of it shows the numbers of the command-line reports. The inputs are finished
 * already, so the finish step symbolizes nothing ("none"); dropping frames again changes nothing.
 * Memory: each cached comparison owns its profile; a request borrows it (refs) until
 * pw_compare_release, so dropping it from the cache never frees it under a reader. At most
 * PW_MAX_COMPARED are listed, of PW_MAX_COMPARED_BYTES together; one being built is listed too,
 * so others asking wait for it, and one larger than the cap alone is used once and dropped. */
#include "pprofweb/compare.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/buf.h"
#include "pprofweb/limits.h"
#include "pprofweb/parallel.h"
#include "pprofweb/source.h"

struct pw_compared {
    char *key;                  /* "id\nbase id\nkind\nnorm" */
    struct pw_profile *p;       /* NULL while being built */
    size_t bytes;               /* about what p takes, once built */
    int refs;                   /* one while listed, one per borrower */
    unsigned long used;
};

struct pw_compare {
    pthread_mutex_t mu;
    pthread_cond_t built;
    struct pw_compared *slots[PW_MAX_COMPARED];
    size_t bytes; /* of the built entries listed */
    unsigned long clock;
};

int pw_compare_parse(const struct pw_params *ps, bool normalize, struct pw_compare_spec *spec,
                     struct pw_err *err)
{
    const char *b = pw_params_get(ps, "base"), *d = pw_params_get(ps, "diff_base");
    memset(spec, 0, sizeof(*spec));
    spec->normalize = normalize;
    if (b && *b && d && *d)
        return pw_fail(err, PW_EINVAL, "base=%.64s and diff_base=%.64s: give one of them (pprof "
                       "cannot subtract and diff at once)", b, d);
    if (b && *b) {
        spec->kind = PW_COMPARE_BASE;
        spec->base_id = b;
    } else if (d && *d) {
        spec->kind = PW_COMPARE_DIFF_BASE;
        spec->base_id = d;
    }
    return 0;
}

const char *pw_compare_kind_name(enum pw_compare_kind kind)
{
    return kind == PW_COMPARE_BASE ? "base" : kind == PW_COMPARE_DIFF_BASE ? "diff_base" : "";
}

struct pw_compare *pw_compare_new(void)
{
    struct pw_compare *c = pw_xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->built, NULL);
    return c;
}

static void unref(struct pw_compared *e)
{
    if (--e->refs > 0)
        return;
    pw_profile_free(e->p);
    free(e->key);
    free(e);
}

void pw_compare_free(struct pw_compare *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < PW_MAX_COMPARED; i++)
        if (c->slots[i])
            unref(c->slots[i]);
    pthread_cond_destroy(&c->built);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* The sample types of p as "type/unit, type/unit". */
static void types(const struct pw_profile *p, struct pw_buf *out)
{
    for (uint32_t i = 0; i < p->n_sample_types; i++)
        pw_buf_addf(out, "%s%.60s/%.30s", i ? ", " : "", pw_s(p, p->sample_types[i].type),
                    pw_s(p, p->sample_types[i].unit));
}

/* pprof merges only profiles of the same sample types (units may differ: they are scaled). */
static int check_types(const char *id, const struct pw_profile *p, const char *base_id,
                       const struct pw_profile *base, struct pw_err *err)
{
    bool same = p->n_sample_types == base->n_sample_types;
    for (uint32_t i = 0; same && i < p->n_sample_types; i++)
        same = !strcmp(pw_s(p, p->sample_types[i].type), pw_s(base, base->sample_types[i].type));
    if (same)
        return 0;
    struct pw_buf a, b;
    pw_buf_init(&a, 4096);
    pw_buf_init(&b, 4096);
    types(p, &a);
    types(base, &b);
    pw_fail(err, PW_ECORRUPT, "profile %s (%s) and base %s (%s) have different sample types: "
            "they cannot be compared", id, pw_buf_str(&a), base_id, pw_buf_str(&b));
    pw_buf_release(&a);
    pw_buf_release(&b);
    return -1;
}

/* One profile to copy, on a thread of its own (pw_parallel_run). */
struct copy_job {
    const struct pw_profile *from;
    struct pw_profile *to;
};

/* A working copy for pw_source_combine, which scales values in place (normalize, -base), gives
 * samples new label arrays (diff_base) and merges by copying what it reads: the copy has values
 * of its own and borrows the rest from the profile held (pw_profile_derive). */
static void *copy_one(void *arg)
{
    struct copy_job *j = arg;
    struct pw_profile *q = pw_profile_derive(j->from);
    size_t nt = q->n_sample_types, n = q->n_samples;
    int64_t *values = pw_arena_alloc(&q->arena, sizeof(*values) * (n * nt > 0 ? n * nt : 1));
    for (size_t i = 0; i < n; i++) {
        memcpy(values + i * nt, q->samples[i].values, sizeof(*values) * nt);
        q->samples[i].values = values + i * nt;
    }
    j->to = q;
    return NULL;
}

static struct pw_profile *build(const struct pw_profile *p, const struct pw_profile *base,
                                const struct pw_compare_spec *spec, struct pw_err *err)
{
    /* The two copies are independent: one per core. */
    struct copy_job jobs[2] = {{.from = p}, {.from = base}};
    pw_parallel_run(copy_one, jobs, sizeof(*jobs), 2);
    struct pw_profile *out = pw_source_combine(jobs[0].to, jobs[1].to,
                                               spec->kind == PW_COMPARE_DIFF_BASE,
                                               spec->normalize, err);
    if (out && pw_source_finish(out, "none", err)) {
        pw_profile_free(out);
        return NULL;
    }
    return out;
}

static struct pw_compared *find(struct pw_compare *c, const char *key)
{
    for (size_t i = 0; i < PW_MAX_COMPARED; i++)
        if (c->slots[i] && !strcmp(c->slots[i]->key, key))
            return c->slots[i];
    return NULL;
}

/* Lists e in place of the least recently used built entry; with every slot being built, e is
 * not listed (then nobody waits for it and it is simply not kept). */
static void insert(struct pw_compare *c, struct pw_compared *e)
{
    size_t victim = PW_MAX_COMPARED;
    for (size_t i = 0; i < PW_MAX_COMPARED; i++) {
        if (!c->slots[i]) {
            victim = i;
            break;
        }
        if (c->slots[i]->p && (victim == PW_MAX_COMPARED || c->slots[i]->used <
                                                                 c->slots[victim]->used))
            victim = i;
    }
    if (victim == PW_MAX_COMPARED)
        return;
    if (c->slots[victim]) {
        c->bytes -= c->slots[victim]->bytes;
        unref(c->slots[victim]);
    }
    c->slots[victim] = e;
    e->refs++;
}

/* Takes e (which the caller holds) out of the cache. */
static void unlist(struct pw_compare *c, struct pw_compared *e)
{
    for (size_t i = 0; i < PW_MAX_COMPARED; i++) {
        if (c->slots[i] == e) {
            c->slots[i] = NULL;
            c->bytes -= e->bytes;
            e->refs--; /* the caller holds another reference */
        }
    }
}

/* About the memory of a profile: its arena and its arrays. */
static size_t profile_bytes(const struct pw_profile *p)
{
    return p->arena.total + p->cap_samples * sizeof(*p->samples) +
           p->cap_locations * sizeof(*p->locations) + p->cap_functions * sizeof(*p->functions) +
           p->cap_strings * (sizeof(*p->strings) + sizeof(*p->string_lens)) +
           p->intern_cap * sizeof(*p->intern_table);
}

/* Counts e, just built, and drops the least recently used others while the listed ones take
 * more than PW_MAX_COMPARED_BYTES; e itself when it alone is larger. */
static void account(struct pw_compare *c, struct pw_compared *e)
{
    bool listed = false;
    for (size_t i = 0; i < PW_MAX_COMPARED; i++)
        listed |= c->slots[i] == e;
    if (!listed)
        return;
    e->bytes = profile_bytes(e->p);
    c->bytes += e->bytes;
    while (c->bytes > PW_MAX_COMPARED_BYTES) {
        size_t victim = PW_MAX_COMPARED;
        for (size_t i = 0; i < PW_MAX_COMPARED; i++) {
            struct pw_compared *x = c->slots[i];
            if (x && x != e && x->p &&
                (victim == PW_MAX_COMPARED || x->used < c->slots[victim]->used))
                victim = i;
        }
        struct pw_compared *x = victim < PW_MAX_COMPARED ? c->slots[victim] : e;
        x->refs++; /* unlist expects a holder */
        unlist(c, x);
        unref(x);
        if (x == e)
            break;
    }
}

/* The build of a comparison, and the caller's work beside it, as tasks of pw_parallel_run. */
struct task {
    void (*fn)(void *arg);
    void *arg;
};

static void *run_task(void *arg)
{
    struct task *t = arg;
    t->fn(t->arg);
    return NULL;
}

struct build_job {
    const struct pw_profile *p, *base;
    const struct pw_compare_spec *spec;
    struct pw_err *err;
    struct pw_profile *out;
};

static void build_task(void *arg)
{
    struct build_job *j = arg;
    j->out = build(j->p, j->base, j->spec, j->err);
}

struct pw_compared *pw_compare_get(struct pw_compare *c, const char *id,
                                  const struct pw_profile *p, const char *base_id,
                                  const struct pw_profile *base,
                                  const struct pw_compare_spec *spec, struct pw_err *err)
{
    return pw_compare_get_beside(c, id, p, base_id, base, spec, NULL, NULL, err);
}

struct pw_compared *pw_compare_get_beside(struct pw_compare *c, const char *id,
                                          const struct pw_profile *p, const char *base_id,
                                          const struct pw_profile *base,
                                          const struct pw_compare_spec *spec,
                                          void (*beside)(void *arg), void *beside_arg,
                                          struct pw_err *err)
{
    if (check_types(id, p, base_id, base, err))
        return NULL;
    struct pw_buf key;
    pw_buf_init(&key, 1024);
    pw_buf_addf(&key, "%s\n%s\n%s\n%d", id, base_id, pw_compare_kind_name(spec->kind),
                spec->normalize);
    pthread_mutex_lock(&c->mu);
    struct pw_compared *e;
    while ((e = find(c, pw_buf_str(&key))) && !e->p)
        pthread_cond_wait(&c->built, &c->mu); /* built or failed (then unlisted): look again */
    if (e) {
        e->refs++;
        e->used = ++c->clock;
        pthread_mutex_unlock(&c->mu);
        pw_buf_release(&key);
        return e;
    }
    e = pw_xcalloc(1, sizeof(*e));
    e->key = pw_buf_detach(&key, NULL);
    e->refs = 1;
    e->used = ++c->clock;
    insert(c, e);
    pthread_mutex_unlock(&c->mu);

    /* The build is mostly one thread's work (the merge): what the caller needs next runs on
     * the other core meanwhile. */
    struct build_job job = {.p = p, .base = base, .spec = spec, .err = err};
    struct task tasks[2] = {{build_task, &job}, {beside, beside_arg}};
    pw_parallel_run(run_task, tasks, sizeof(*tasks), beside ? 2 : 1);
    struct pw_profile *out = job.out;

    pthread_mutex_lock(&c->mu);
    e->p = out;
    if (out)
        account(c, e);
    if (!out) {
        unlist(c, e);
        unref(e);
        e = NULL;
    }
    pthread_cond_broadcast(&c->built);
    pthread_mutex_unlock(&c->mu);
    return e;
}

const struct pw_profile *pw_compared_profile(const struct pw_compared *h)
{
    return h->p;
}

void pw_compare_release(struct pw_compare *c, struct pw_compared *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&c->mu);
    unref(h);
    pthread_mutex_unlock(&c->mu);
}
