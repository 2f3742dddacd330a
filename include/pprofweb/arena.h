/* arena: bump allocator. Everything allocated from an arena is owned by it and freed at once by
 * pw_arena_release(); callers never free individual allocations. */
#ifndef PPROFWEB_ARENA_H
#define PPROFWEB_ARENA_H

#include <stddef.h>

struct pw_arena_block;

struct pw_arena {
    struct pw_arena_block *head;
    size_t total; /* bytes handed out, for limits and statistics */
};

void pw_arena_init(struct pw_arena *a);
/* Returns n bytes aligned to 16; aborts on out-of-memory (sizes are capped by callers). */
void *pw_arena_alloc(struct pw_arena *a, size_t n);
void *pw_arena_calloc(struct pw_arena *a, size_t count, size_t size);
/* Copies n bytes and a terminating NUL. */
char *pw_arena_strndup(struct pw_arena *a, const char *s, size_t n);
char *pw_arena_strdup(struct pw_arena *a, const char *s);
char *pw_arena_printf(struct pw_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pw_arena_release(struct pw_arena *a);
/* Forgets every allocation but keeps one ordinary block for reuse, so an arena used as scratch
 * space for one small object after another costs no malloc per object. */
void pw_arena_reset(struct pw_arena *a);
/* Moves every block of from into a, leaving from empty: what either handed out now lives as long
 * as a does. */
void pw_arena_take(struct pw_arena *a, struct pw_arena *from);

/* malloc/realloc that abort on out-of-memory, for growable arrays whose size input cannot drive
 * past a limit. */
void *pw_xmalloc(size_t n);
void *pw_xcalloc(size_t count, size_t size);
void *pw_xrealloc(void *p, size_t n);
/* Grows *arr (elements of size elem) so that it holds at least need elements; *cap is updated. */
void pw_grow(void **arr, size_t *cap, size_t need, size_t elem);
#define PW_GROW(arr, cap, need) pw_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

/* For a process that starts by building one large model (a command-line report, or a server
 * loading the profiles it was started with): memory freed along the way is kept for reuse rather
 * than returned to the system and faulted in again, arrays up to 32 MB come from the heap rather
 * than from mmap, every thread allocates from the one heap, and the next reserve bytes of that
 * heap ask for transparent huge pages (a hint the kernel may ignore). On a virtual machine a page
 * fault costs microseconds: M's -top took 5 300 faults of 4 KiB, a quarter of its time; with
 * huge pages it takes about 1 000. A server keeps what its requests freed for the next ones, as
 * glibc's per-thread heaps would (one heap keeps less: M's server idles at 135 MB instead of 185,
 * and 220 MB instead of 430 after a few new settings), and hands pages back with malloc_trim
 * after an upload. Call it before anything large is allocated. */
void pw_heap_prefer_huge_pages(size_t reserve);

/* Faults in about n bytes of heap on a second thread while the caller does other work
 * (inflating a profile's bytes, which keeps one processor busy), and gives them back to the
 * heap at pw_heap_warm_end, where the model built next finds its pages present: the kernel
 * clears each page on first touch, and on a virtual machine that had been a third of M's -top.
 * Only with pw_heap_prefer_huge_pages, whose heap keeps what is freed; otherwise, or when n is
 * small or the thread cannot start, it returns NULL and does nothing. */
struct pw_heap_warm;
struct pw_heap_warm *pw_heap_warm_begin(size_t n);
void pw_heap_warm_end(struct pw_heap_warm *w); /* NULL: nothing */

#endif
