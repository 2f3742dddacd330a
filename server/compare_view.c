/* compare_view: the base and new columns of a comparison's top table. The compared profile's rows
 * carry the change (new minus base, as pprof's -base/-diff_base reports print it); the base
 * column is the same report run on the base profile alone with the same settings, untrimmed, and
 * new is change plus base (the normalized new profile with norm=t). Rows are matched by their
 * printed name, which is what identifies a row of pprof's top; not by their inline mark, which
 * is not the node's but its edges': a function inlined everywhere in the base and also called in
 * the new profile (inlining changes between builds) is "(inline)" in the one and
 * "(partial-inline)" in the comparison. So the base's report is made without edges, the part of
 * a large report that costs most.
 * Not for mean values (mean=t): a mean of a difference is not a difference of means.
 * The base column depends only on the base profile and the settings, not on the profile compared
 * nor on how (base=, diff_base=, norm=t), so a few are kept (COLUMN_CACHE_ENTRIES), keyed by the
 * app's scope, the base's id and the canonical settings, never by the profile's address: the top
 * of base= after that of diff_base= finds it made. An entry holds its rows and their names only
 * (the report is freed), is reference counted, and a reader keeps it until
 * pw_compare_rows_release even once it is dropped from the cache. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/graph.h"
#include "pprofweb/report.h"
#include "pprofweb/views.h"

/* Base columns kept: a few MB each for a profile of 200 000 samples (a row's name and values). */
#define COLUMN_CACHE_ENTRIES 4

struct base_row {
    const char *name; /* in the column's arena; it may hold NUL bytes */
    uint32_t name_len;
    int64_t flat, cum;
};

struct pw_compare_rows {
    char *key;
    int refs; /* one while cached, one per reader */
    unsigned long used;
    struct pw_arena arena;
    struct base_row *rows; /* sorted by name */
    size_t n;
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pw_compare_rows *cache[COLUMN_CACHE_ENTRIES];
static unsigned long cache_clock;

/* Names are compared with their lengths: a name may hold NUL bytes, and two that differ only
 * after one are two rows. */
static int cmp_item(const void *a, const void *b)
{
    const struct pw_text_item *x = *(const struct pw_text_item *const *)a;
    const struct pw_text_item *y = *(const struct pw_text_item *const *)b;
    return pw_gostr_cmp(x->name, x->name_len, y->name, y->name_len);
}

/* A row of the compared profile against a base row. */
static int cmp_row(const void *key, const void *elem)
{
    const struct pw_text_item *x = key;
    const struct base_row *y = elem;
    return pw_gostr_cmp(x->name, x->name_len, y->name, y->name_len);
}

static void unref(struct pw_compare_rows *t)
{
    if (--t->refs > 0)
        return;
    pw_arena_release(&t->arena);
    free(t->rows);
    free(t->key);
    free(t);
}

/* The base column of the base profile under cfg, or NULL when a setting does not apply to the
 * base (a tag it lacks). */
static struct pw_compare_rows *make_column(const struct pw_profile *base,
                                           const struct pw_config *cfg)
{
    struct pw_err err = {0};
    struct pw_report *r = pw_report_new(base, "top", NULL, cfg, NULL, &err);
    if (!r)
        return NULL;
    r->opt.no_inline_marks = true;
    size_t n;
    struct pw_text_item *items = pw_report_text_items(r, &n);
    struct pw_text_item **sorted = pw_xcalloc(n + 1, sizeof(*sorted));
    for (size_t i = 0; i < n; i++)
        sorted[i] = &items[i];
    qsort(sorted, n, sizeof(*sorted), cmp_item);
    struct pw_compare_rows *t = pw_xcalloc(1, sizeof(*t));
    pw_arena_init(&t->arena);
    t->rows = pw_xcalloc(n + 1, sizeof(*t->rows));
    t->n = n;
    for (size_t i = 0; i < n; i++) {
        const struct pw_text_item *it = sorted[i];
        t->rows[i] = (struct base_row){.name = pw_arena_strndup(&t->arena, it->name, it->name_len),
                                       .name_len = it->name_len,
                                       .flat = it->flat,
                                       .cum = it->cum};
    }
    free(sorted);
    pw_report_free(r);
    return t;
}

static struct pw_compare_rows *find(const char *key)
{
    for (size_t i = 0; i < COLUMN_CACHE_ENTRIES; i++)
        if (cache[i] && strcmp(cache[i]->key, key) == 0)
            return cache[i];
    return NULL;
}

/* Lists t in place of the least recently used entry. */
static void insert(struct pw_compare_rows *t)
{
    size_t victim = 0;
    for (size_t i = 0; i < COLUMN_CACHE_ENTRIES; i++) {
        if (!cache[i]) {
            victim = i;
            break;
        }
        if (cache[i]->used < cache[victim]->used)
            victim = i;
    }
    if (cache[victim])
        unref(cache[victim]);
    cache[victim] = t;
    t->refs++;
}

struct pw_compare_rows *pw_compare_rows_new(const struct pw_view_args *a)
{
    if (!a->cmp || a->cfg->mean)
        return NULL;
    struct pw_config cfg = *a->cfg;
    cfg.trim = false;
    cfg.normalize = false; /* scales the compared profile, not the base alone */
    struct pw_buf key;
    pw_buf_init(&key, 1 << 20);
    pw_buf_adds(&key, a->scope ? a->scope : "");
    pw_buf_addc(&key, '\n');
    pw_buf_adds(&key, a->cmp->id);
    pw_buf_addc(&key, '\n');
    pw_query_format(&cfg, NULL, &key);
    pthread_mutex_lock(&cache_mu);
    struct pw_compare_rows *t = find(pw_buf_str(&key));
    if (t) {
        t->refs++;
        t->used = ++cache_clock;
    }
    pthread_mutex_unlock(&cache_mu);
    if (t) {
        pw_buf_release(&key);
        return t;
    }
    /* Made outside the lock: another request may make the same column meanwhile, and the first
     * one listed is kept. */
    t = make_column(a->cmp->base, &cfg);
    if (!t) {
        pw_buf_release(&key);
        return NULL;
    }
    t->key = pw_buf_detach(&key, NULL);
    t->refs = 1;
    pthread_mutex_lock(&cache_mu);
    struct pw_compare_rows *listed = find(t->key);
    if (listed) {
        listed->refs++;
        unref(t);
        t = listed;
    } else {
        insert(t);
    }
    t->used = ++cache_clock;
    pthread_mutex_unlock(&cache_mu);
    return t;
}

void pw_compare_rows_base(const struct pw_compare_rows *t, const struct pw_text_item *row,
                          int64_t *flat, int64_t *cum)
{
    const struct base_row *hit = bsearch(row, t->rows, t->n, sizeof(*t->rows), cmp_row);
    *flat = hit ? hit->flat : 0;
    *cum = hit ? hit->cum : 0;
}

void pw_compare_rows_release(struct pw_compare_rows *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&cache_mu);
    unref(t);
    pthread_mutex_unlock(&cache_mu);
}
