/* arena: a chain of blocks; large requests get a block of their own. Out-of-memory aborts, as
 * every size that input controls is capped before it reaches an allocation (limits.h). */
#include "pprofweb/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE (64 * 1024)

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

void *pw_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *pw_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    return p;
}

void *pw_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
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
        b = pw_xmalloc(sizeof(*b) + cap);
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
