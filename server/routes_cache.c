/* routes_cache: the cache of computed views. A chained hash table of entries, also linked in a
 * least-recently-used list; one mutex guards all of it and a condition variable lets readers
 * wait for a key another thread is computing. Bodies are copied in, and out either as a copy or
 * shared: a body is reference counted, so a reader sending it keeps it alive past its eviction.
 * Bounded by the byte cap given at creation, counting every entry's key, body and bookkeeping
 * (a view cached for a long random f= costs its key too; bodies still being sent after
 * eviction are not counted); a body larger than a quarter of the cap is not kept. Eviction runs
 * when an entry is claimed and when its body is stored. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/arena.h"
#include "pprofweb/encode.h"
#include "pprofweb/limits.h"
#include "pprofweb/routes.h"

struct pw_cache_body {
    atomic_size_t refs; /* the cache's entry and each reader sending it */
    size_t len;
    unsigned char data[];
};

struct entry {
    struct entry *hnext;       /* hash chain */
    struct entry *prev, *next; /* LRU list, most recent first */
    char *key;
    uint64_t hash;
    int status;
    struct pw_cache_body *body; /* NULL until ready */
    struct pw_cache_body *gz;   /* body gzipped, once asked for (PW_GZIP_MIN_BODY), or NULL */
    size_t len;                 /* bytes of body and gz */
    bool ready;  /* computed; false while its claimer computes it */
    int waiters; /* threads waiting on it: never evicted then */
};

struct pw_cache {
    pthread_mutex_t mu;
    pthread_cond_t done;
    struct entry **buckets;
    size_t n_buckets, n_entries;
    struct entry *head, *tail;
    size_t bytes, max_bytes;
    size_t hits, misses, evictions;
};

/* Bytes an entry is charged: its body, key and struct (malloc's own overhead left out). */
static size_t cost(const struct entry *e)
{
    return sizeof(*e) + strlen(e->key) + 1 + e->len;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

struct pw_cache *pw_cache_new(size_t max_bytes)
{
    struct pw_cache *c = pw_xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->done, NULL);
    c->n_buckets = 1024;
    c->buckets = pw_xcalloc(c->n_buckets, sizeof(*c->buckets));
    c->max_bytes = max_bytes;
    return c;
}

void pw_cache_free(struct pw_cache *c)
{
    if (!c)
        return;
    for (struct entry *e = c->head, *next; e; e = next) {
        next = e->next;
        free(e->key);
        pw_cache_body_unref(e->body);
        pw_cache_body_unref(e->gz);
        free(e);
    }
    free(c->buckets);
    pthread_cond_destroy(&c->done);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static struct entry *find(struct pw_cache *c, const char *key, uint64_t h)
{
    for (struct entry *e = c->buckets[h % c->n_buckets]; e; e = e->hnext)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static void lru_unlink(struct pw_cache *c, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(struct pw_cache *c, struct entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static void remove_entry(struct pw_cache *c, struct entry *e)
{
    struct entry **pp = &c->buckets[e->hash % c->n_buckets];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    lru_unlink(c, e);
    c->bytes -= cost(e);
    c->n_entries--;
    free(e->key);
    pw_cache_body_unref(e->body);
    pw_cache_body_unref(e->gz);
    free(e);
}

static void evict(struct pw_cache *c)
{
    struct entry *e = c->tail;
    while (c->bytes > c->max_bytes && e) {
        struct entry *prev = e->prev;
        if (e->ready && e->waiters == 0) {
            remove_entry(c, e);
            c->evictions++;
        }
        e = prev;
    }
}

const unsigned char *pw_cache_body_data(const struct pw_cache_body *b, size_t *len)
{
    *len = b->len;
    return b->data;
}

void pw_cache_body_unref(void *body)
{
    struct pw_cache_body *b = body;
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

void pw_response_share(struct pw_response *r, struct pw_cache_body *b)
{
    if (r->data_free)
        r->data_free(r->data_free_ctx);
    r->data = b->data;
    r->len = b->len;
    r->data_free = pw_cache_body_unref;
    r->data_free_ctx = b;
}

/* Finds key: on a hit, sets *status and *shared (a new reference) and returns 1; else claims
 * key and returns 0. */
static int get_or_claim(struct pw_cache *c, const char *key, int *status,
                        struct pw_cache_body **shared)
{
    uint64_t h = hash_str(key);
    pthread_mutex_lock(&c->mu);
    struct entry *e = find(c, key, h);
    if (e) {
        e->waiters++;
        while (!e->ready)
            pthread_cond_wait(&c->done, &c->mu);
        e->waiters--;
        /* A claimer that gave up (status 0) leaves the key to be computed again. */
        if (e->status != 0) {
            *status = e->status;
            atomic_fetch_add(&e->body->refs, 1);
            *shared = e->body;
            lru_unlink(c, e);
            lru_push_front(c, e);
            c->hits++;
            pthread_mutex_unlock(&c->mu);
            return 1;
        }
        e->ready = false;
        c->misses++;
        pthread_mutex_unlock(&c->mu);
        return 0;
    }
    e = pw_xcalloc(1, sizeof(*e));
    e->key = pw_xmalloc(strlen(key) + 1);
    strcpy(e->key, key);
    e->hash = h;
    e->hnext = c->buckets[h % c->n_buckets];
    c->buckets[h % c->n_buckets] = e;
    lru_push_front(c, e);
    c->n_entries++;
    c->misses++;
    c->bytes += cost(e);
    evict(c);
    pthread_mutex_unlock(&c->mu);
    return 0;
}

int pw_cache_get_or_claim(struct pw_cache *c, const char *key, int *status, struct pw_buf *body)
{
    struct pw_cache_body *b;
    if (!get_or_claim(c, key, status, &b))
        return 0;
    pw_buf_add(body, b->data, b->len);
    pw_cache_body_unref(b);
    return 1;
}

static struct pw_cache_body *new_body(const void *data, size_t len)
{
    struct pw_cache_body *b = pw_xmalloc(sizeof(*b) + (len ? len : 1));
    atomic_init(&b->refs, 1);
    b->len = len;
    memcpy(b->data, data, len);
    return b;
}

/* The gzipped copy of the cached body b of key (a reference), made outside the lock and kept
 * with the entry when it still holds b; NULL when compression failed. */
static struct pw_cache_body *gzipped(struct pw_cache *c, const char *key,
                                     const struct pw_cache_body *b)
{
    uint64_t h = hash_str(key);
    pthread_mutex_lock(&c->mu);
    struct entry *e = find(c, key, h);
    struct pw_cache_body *gz = e && e->body == b ? e->gz : NULL;
    if (gz)
        atomic_fetch_add(&gz->refs, 1);
    pthread_mutex_unlock(&c->mu);
    if (gz)
        return gz;
    size_t n;
    unsigned char *data = pw_gzip(b->data, b->len, &n);
    if (!data)
        return NULL;
    gz = new_body(data, n);
    free(data);
    pthread_mutex_lock(&c->mu);
    e = find(c, key, h);
    if (e && e->body == b && !e->gz) {
        atomic_fetch_add(&gz->refs, 1);
        e->gz = gz;
        e->len += n;
        c->bytes += n;
        evict(c);
    }
    pthread_mutex_unlock(&c->mu);
    return gz;
}

int pw_cache_get_shared_or_claim(struct pw_cache *c, const char *key, int *status,
                                 struct pw_cache_body **body, bool gzip, bool *is_gzipped)
{
    *is_gzipped = false;
    if (!get_or_claim(c, key, status, body))
        return 0;
    if (gzip && (*body)->len >= PW_GZIP_MIN_BODY) {
        struct pw_cache_body *gz = gzipped(c, key, *body);
        if (gz) {
            pw_cache_body_unref(*body);
            *body = gz;
            *is_gzipped = true;
        }
    }
    return 1;
}

void pw_cache_put(struct pw_cache *c, const char *key, int status, const char *body, size_t len)
{
    uint64_t h = hash_str(key);
    pthread_mutex_lock(&c->mu);
    struct entry *e = find(c, key, h);
    if (e && !e->ready) {
        e->status = status;
        e->ready = true;
        if (len <= c->max_bytes / 4 && status != 0) {
            e->body = new_body(body, len);
            e->len = len;
            c->bytes += len; /* the key and struct were counted at the claim */
            evict(c);
        } else if (e->waiters == 0) {
            remove_entry(c, e); /* too big to keep and nobody is waiting for it */
        } else {
            e->status = 0; /* waiters recompute it themselves */
        }
        pthread_cond_broadcast(&c->done);
    }
    pthread_mutex_unlock(&c->mu);
}

void pw_cache_stats(struct pw_cache *c, struct pw_cache_stats *out)
{
    pthread_mutex_lock(&c->mu);
    out->entries = c->n_entries;
    out->bytes = c->bytes;
    out->max_bytes = c->max_bytes;
    out->hits = c->hits;
    out->misses = c->misses;
    out->evictions = c->evictions;
    pthread_mutex_unlock(&c->mu);
}
