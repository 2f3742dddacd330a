/* arena: a chain of blocks; large requests get a block of their own. Out-of-memory aborts, as
 * every size that input controls is capped before it reaches an allocation (limits.h).
 * Allocations of HUGE_PAGE bytes or more ask the kernel for transparent huge pages
 * (madvise; a hint it may ignore): every fresh 4 KiB page costs a fault on first touch, a fault
 * costs microseconds on a virtual machine, and a large profile's arrays and arenas touch tens of
 * thousands of pages. An arena past BIG_ARENA_TOTAL grows by aligned blocks of HUGE_PAGE. */
#include "pprofweb/arena.h"

#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BLOCK_SIZE (64 * 1024)
/* A transparent huge page on x86-64: smaller allocations get no advice. */
#define HUGE_PAGE ((size_t)2 << 20)
/* An arena holding this much is a profile's, not a request's: its blocks grow to huge pages. */
#define BIG_ARENA_TOTAL ((size_t)1 << 20)

/* The heap itself asks for huge pages (pw_heap_prefer_huge_pages). */
static bool heap_huge;

struct pw_arena_block {
    struct pw_arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

static void oom(size_t n)
{
    fprintf(stderr, "pprofweb: out of memory allocating %zu bytes\n", n);
    abort();
}

/* Asks for huge pages behind the whole pages of [p, p + n) when n is large: before they are
 * touched, which malloc of a large size (fresh mmap'd memory, calloc's zeroes included) has not
 * done yet. */
static void *advise_huge(void *p, size_t n)
{
    if (n < HUGE_PAGE)
        return p;
    long sz = sysconf(_SC_PAGESIZE);
    size_t page = sz > 0 ? (size_t)sz : 4096;
    uintptr_t start = ((uintptr_t)p + page - 1) & ~(uintptr_t)(page - 1);
    uintptr_t end = ((uintptr_t)p + n) & ~(uintptr_t)(page - 1);
    if (end > start)
        madvise((void *)start, end - start, MADV_HUGEPAGE); /* a hint: failure changes nothing */
    return p;
}

void *pw_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return advise_huge(p, n);
}

void *pw_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    return advise_huge(p, count * size);
}

void *pw_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return advise_huge(q, n);
}

void pw_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t n = *cap ? *cap : 8;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem)
            oom(SIZE_MAX);
        n *= 2;
    }
    *arr = pw_xrealloc(*arr, n * elem);
    *cap = n;
}

void pw_heap_prefer_huge_pages(size_t reserve)
{
    heap_huge = true;
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, (int)reserve);
    mallopt(M_ARENA_MAX, 1);
    /* The heap grows by reserve bytes for the first allocation it cannot hold: those bytes,
     * untouched yet, are the ones advised. */
    char *lo = sbrk(0);
    void *first = pw_xmalloc(1);
    char *hi = sbrk(0);
    if (hi <= lo) {
        /* The heap had room for it (something was allocated before): a larger block makes it
         * grow, and where the free top starts is not known. */
        free(first);
        first = NULL;
        free(pw_xmalloc((size_t)1 << 20));
        hi = sbrk(0);
    }
    if (lo == (char *)-1 || hi == (char *)-1 || hi <= lo) {
        free(first);
        return;
    }
    advise_huge(lo, (size_t)(hi - lo));
    if (!first)
        return;
    /* Only whole huge pages get one, and only if nothing in them was touched before the advice:
     * the heap's start is rarely on a boundary, and the allocations below the first one (a
     * profile's file buffer comes first) would fault 4 KiB at a time. A block kept from here to
     * the boundary past the page malloc has touched puts what follows on huge pages; never
     * touched, it costs no memory. */
    static void *below_first_huge_page;
    uintptr_t at = (uintptr_t)first;
    uintptr_t boundary = (at + 4096 + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    if (!below_first_huge_page)
        below_first_huge_page = pw_xmalloc(boundary - at - 64);
    free(first);
}

/* The heap is warmed in chunks below the mmap threshold (pw_heap_prefer_huge_pages), so that
 * freeing them leaves them in the heap; WARM_MAX_CHUNKS bounds what one call touches (1 GB). */
#define WARM_CHUNK ((size_t)16 << 20)
#define WARM_MAX_CHUNKS 64

struct pw_heap_warm {
    pthread_t thread;
    size_t n_chunks;
    char *chunks[WARM_MAX_CHUNKS];
};

static void *warm_touch(void *arg)
{
    struct pw_heap_warm *w = arg;
    long sz = sysconf(_SC_PAGESIZE);
    size_t page = sz > 0 ? (size_t)sz : 4096;
    for (size_t k = 0; k < w->n_chunks; k++)
        for (size_t i = 0; i < WARM_CHUNK; i += page)
            ((volatile char *)w->chunks[k])[i] = 0;
    return NULL;
}

struct pw_heap_warm *pw_heap_warm_begin(size_t n)
{
    if (!heap_huge || n < WARM_CHUNK)
        return NULL;
    struct pw_heap_warm *w = malloc(sizeof *w);
    if (!w)
        return NULL;
    /* Allocated here, before the caller's next allocation, and in address order: freed from
     * the last, they join the heap's free top again. */
    w->n_chunks = 0;
    for (size_t k = 0; k < n / WARM_CHUNK && k < WARM_MAX_CHUNKS; k++) {
        char *c = malloc(WARM_CHUNK);
        if (!c)
            break;
        advise_huge(c, WARM_CHUNK);
        w->chunks[w->n_chunks++] = c;
    }
    if (w->n_chunks && pthread_create(&w->thread, NULL, warm_touch, w) == 0)
        return w;
    while (w->n_chunks)
        free(w->chunks[--w->n_chunks]);
    free(w);
    return NULL;
}

void pw_heap_warm_end(struct pw_heap_warm *w)
{
    if (!w)
        return;
    pthread_join(w->thread, NULL);
    while (w->n_chunks)
        free(w->chunks[--w->n_chunks]);
    free(w);
}

void pw_arena_init(struct pw_arena *a)
{
    a->head = NULL;
    a->total = 0;
}

void *pw_arena_alloc(struct pw_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct pw_arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > BLOCK_SIZE / 4 ? n : BLOCK_SIZE;
        if (cap > SIZE_MAX - sizeof(*b))
            oom(n);
        if (cap == BLOCK_SIZE && a->total >= BIG_ARENA_TOTAL) {
            /* One aligned huge page: unaligned, no whole huge page would fit in it. On a heap
             * that has huge pages already, alignment would only leave a gap before each block,
             * which the heap's huge pages then fill. */
            b = heap_huge ? malloc(HUGE_PAGE) : aligned_alloc(HUGE_PAGE, HUGE_PAGE);
            if (!b)
                oom(HUGE_PAGE);
            advise_huge(b, HUGE_PAGE);
            cap = HUGE_PAGE - sizeof(*b);
        } else {
            b = pw_xmalloc(sizeof(*b) + cap);
        }
        b->used = 0;
        b->cap = cap;
        if (n > BLOCK_SIZE / 4 && a->head) {
            /* Keep the current block for small allocations. */
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = b->data + b->used;
    b->used += n;
    a->total += n;
    return p;
}

void *pw_arena_calloc(struct pw_arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        oom(SIZE_MAX);
    void *p = pw_arena_alloc(a, count * size);
    memset(p, 0, count * size);
    return p;
}

char *pw_arena_strndup(struct pw_arena *a, const char *s, size_t n)
{
    char *p = pw_arena_alloc(a, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *pw_arena_strdup(struct pw_arena *a, const char *s)
{
    return pw_arena_strndup(a, s, strlen(s));
}

char *pw_arena_printf(struct pw_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = pw_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void pw_arena_release(struct pw_arena *a)
{
    struct pw_arena_block *b = a->head;
    while (b) {
        struct pw_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}

void pw_arena_reset(struct pw_arena *a)
{
    /* The head is the block small allocations come from; a large block is not worth keeping. */
    struct pw_arena_block *keep = a->head && a->head->cap == BLOCK_SIZE ? a->head : NULL;
    struct pw_arena_block *b = keep ? keep->next : a->head;
    while (b) {
        struct pw_arena_block *next = b->next;
        free(b);
        b = next;
    }
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
    }
    a->head = keep;
    a->total = 0;
}

void pw_arena_take(struct pw_arena *a, struct pw_arena *from)
{
    struct pw_arena_block *first = from->head;
    if (!first)
        return;
    struct pw_arena_block *last = first;
    while (last->next)
        last = last->next;
    /* Behind a's head, which stays the block small allocations come from. */
    if (a->head) {
        last->next = a->head->next;
        a->head->next = first;
    } else {
        a->head = first;
    }
    a->total += from->total;
    from->head = NULL;
    from->total = 0;
}
