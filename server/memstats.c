/* memstats: reads the "# runtime.MemStats" block of Go's ?debug=1 heap page into named fields
 * and writes them grouped for display, each with a one-line meaning.
 *
 * In: the block's text (profile.h keeps it; pprof drops it). Out: a caller-owned struct, no
 * allocation; the block's own size is bounded by the page's. A field is read from its line by
 * name through one table, so the parser and the display agree on every name. Deliberately not
 * here: series of snapshots (another module reads many structs). */
#include "pprofweb/memstats.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/json.h"

enum kind { K_U64, K_PAIR, K_F64, K_BOOL, K_ARRAY };

struct field {
    const char *name; /* as Go prints it */
    enum kind kind;
    size_t off, off2; /* off2: the sys half of a pair, or the array's length */
};

#define F(name, kind, member) {name, kind, offsetof(struct pw_memstats, member), 0}
#define P(name, a, b)                                                                              \
    {name, K_PAIR, offsetof(struct pw_memstats, a), offsetof(struct pw_memstats, b)}
static const struct field fields[] = {
    F("Alloc", K_U64, alloc),
    F("TotalAlloc", K_U64, total_alloc),
    F("Sys", K_U64, sys),
    F("Lookups", K_U64, lookups),
    F("Mallocs", K_U64, mallocs),
    F("Frees", K_U64, frees),
    F("HeapAlloc", K_U64, heap_alloc),
    F("HeapSys", K_U64, heap_sys),
    F("HeapIdle", K_U64, heap_idle),
    F("HeapInuse", K_U64, heap_inuse),
    F("HeapReleased", K_U64, heap_released),
    F("HeapObjects", K_U64, heap_objects),
    P("Stack", stack_inuse, stack_sys),
    P("MSpan", mspan_inuse, mspan_sys),
    P("MCache", mcache_inuse, mcache_sys),
    F("BuckHashSys", K_U64, buck_hash_sys),
    F("GCSys", K_U64, gc_sys),
    F("OtherSys", K_U64, other_sys),
    F("NextGC", K_U64, next_gc),
    F("LastGC", K_U64, last_gc),
    F("NumGC", K_U64, num_gc),
    F("NumForcedGC", K_U64, num_forced_gc),
    F("GCCPUFraction", K_F64, gc_cpu_fraction),
    F("DebugGC", K_BOOL, debug_gc),
    F("MaxRSS", K_U64, max_rss),
    {"PauseNs", K_ARRAY, offsetof(struct pw_memstats, pause_ns), 1},
    {"PauseEnd", K_ARRAY, offsetof(struct pw_memstats, pause_end), 0},
};
#undef F
#undef P
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static int parse_u64(const char **p, const char *end, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    if (s == end || *s < '0' || *s > '9')
        return -1;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        if (x > (UINT64_MAX - 9) / 10)
            return -1;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    *v = x;
    *p = s;
    return 0;
}

static void skip_spaces(const char **p, const char *end)
{
    while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r'))
        (*p)++;
}

/* Reads value (s..end) of field f into ms; NULL or what is wrong. */
static const char *read_value(const struct field *f, const char *s, const char *end,
                              struct pw_memstats *ms)
{
    char *base = (char *)ms;
    uint64_t a, b;
    switch (f->kind) {
    case K_U64:
        if (parse_u64(&s, end, &a))
            return "not an unsigned integer";
        memcpy(base + f->off, &a, sizeof(a));
        break;
    case K_PAIR:
        if (parse_u64(&s, end, &a))
            return "want \"inuse / sys\"";
        skip_spaces(&s, end);
        if (s == end || *s++ != '/')
            return "want \"inuse / sys\"";
        skip_spaces(&s, end);
        if (parse_u64(&s, end, &b))
            return "want \"inuse / sys\"";
        memcpy(base + f->off, &a, sizeof(a));
        memcpy(base + f->off2, &b, sizeof(b));
        break;
    case K_F64: {
        char tmp[64];
        size_t n = (size_t)(end - s);
        if (n == 0 || n >= sizeof(tmp))
            return "not a number";
        memcpy(tmp, s, n);
        tmp[n] = 0;
        char *e;
        errno = 0;
        double d = strtod(tmp, &e);
        if (*e || errno)
            return "not a number";
        memcpy(base + f->off, &d, sizeof(d));
        return NULL;
    }
    case K_BOOL:
        if ((size_t)(end - s) == 4 && !memcmp(s, "true", 4))
            ms->debug_gc = true;
        else if ((size_t)(end - s) == 5 && !memcmp(s, "false", 5))
            ms->debug_gc = false;
        else
            return "want true or false";
        return NULL;
    case K_ARRAY: {
        if (s == end || *s++ != '[')
            return "want [n n ...]";
        uint32_t n = 0;
        uint64_t *arr = (uint64_t *)(base + f->off);
        for (;;) {
            skip_spaces(&s, end);
            if (s < end && *s == ']') {
                s++;
                break;
            }
            if (n == PW_MEMSTATS_PAUSES)
                return "more than 256 entries";
            if (parse_u64(&s, end, &arr[n++]))
                return "want [n n ...]";
        }
        if (f->off2)
            ms->n_pause_ns = n;
        break;
    }
    }
    skip_spaces(&s, end);
    return s == end ? NULL : "unexpected text after the value";
}

int pw_memstats_parse(const char *text, size_t len, struct pw_memstats *ms, struct pw_err *err)
{
    memset(ms, 0, sizeof(*ms));
    size_t lineno = 0;
    for (size_t pos = 0; pos < len;) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        const char *end = nl ? nl : text + len;
        pos = (size_t)(end - text) + 1;
        lineno++;
        while (end > s && (end[-1] == ' ' || end[-1] == '\r' || end[-1] == '\t'))
            end--;
        if (end - s < 2 || s[0] != '#')
            continue;
        s++;
        skip_spaces(&s, end);
        const char *eq = memchr(s, '=', (size_t)(end - s));
        if (!eq)
            continue; /* the "# runtime.MemStats" heading */
        const char *ne = eq;
        while (ne > s && ne[-1] == ' ')
            ne--;
        for (size_t i = 0; i < N_FIELDS; i++) {
            if (strlen(fields[i].name) != (size_t)(ne - s) ||
                memcmp(fields[i].name, s, (size_t)(ne - s)))
                continue;
            const char *v = eq + 1;
            skip_spaces(&v, end);
            const char *why = read_value(&fields[i], v, end, ms);
            if (why)
                return pw_fail(err, PW_ECORRUPT, "memstats line %zu: %s: %s", lineno,
                               fields[i].name, why);
            ms->seen |= (uint64_t)1 << i;
            break;
        }
    }
    return 0;
}

uint64_t pw_memstats_heap_free(const struct pw_memstats *ms)
{
    return ms->heap_idle > ms->heap_released ? ms->heap_idle - ms->heap_released : 0;
}

uint64_t pw_memstats_process(const struct pw_memstats *ms)
{
    return ms->sys > ms->heap_released ? ms->sys - ms->heap_released : 0;
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void pw_memstats_pauses(const struct pw_memstats *ms, struct pw_memstats_pauses *out)
{
    memset(out, 0, sizeof(*out));
    uint64_t n = ms->num_gc < PW_MEMSTATS_PAUSES ? ms->num_gc : PW_MEMSTATS_PAUSES;
    if (n > ms->n_pause_ns)
        n = ms->n_pause_ns;
    if (n == 0)
        return;
    uint64_t sorted[PW_MEMSTATS_PAUSES];
    /* The recorded pauses are the n slots before num_gc in the circular buffer. */
    for (uint64_t i = 0; i < n; i++)
        sorted[i] = ms->pause_ns[(ms->num_gc - 1 - i) % PW_MEMSTATS_PAUSES];
    out->count = (uint32_t)n;
    out->last = sorted[0];
    qsort(sorted, n, sizeof(sorted[0]), u64_cmp);
    /* Nearest rank. */
    out->p50 = sorted[(n * 50 + 99) / 100 - 1];
    out->p90 = sorted[(n * 90 + 99) / 100 - 1];
    out->p99 = sorted[(n * 99 + 99) / 100 - 1];
    out->max = sorted[n - 1];
}

struct figure {
    const char *name, *unit, *doc;
    uint64_t value;
};

static void group(struct pw_json *j, const char *name, const struct figure *f, size_t n)
{
    pw_json_obj_begin(j);
    pw_json_kstr(j, "name", name);
    pw_json_key(j, "figures");
    pw_json_arr_begin(j);
    for (size_t i = 0; i < n; i++) {
        pw_json_obj_begin(j);
        pw_json_kstr(j, "name", f[i].name);
        pw_json_key(j, "value");
        pw_json_uint(j, f[i].value);
        pw_json_kstr(j, "unit", f[i].unit);
        pw_json_kstr(j, "doc", f[i].doc);
        pw_json_obj_end(j);
    }
    pw_json_arr_end(j);
    pw_json_obj_end(j);
}

#define G(j, name, arr) group(j, name, arr, sizeof(arr) / sizeof(arr[0]))

void pw_memstats_json(const struct pw_memstats *ms, struct pw_json *j)
{
    const struct figure heap[] = {
        {"HeapAlloc", "bytes", "Bytes in heap objects, live or not yet swept.", ms->heap_alloc},
        {"HeapInuse", "bytes", "Bytes in heap spans holding at least one object.",
         ms->heap_inuse},
        {"HeapIdle", "bytes", "Bytes in heap spans with no objects: free, or given back.",
         ms->heap_idle},
        {"HeapReleased", "bytes", "Bytes of idle spans returned to the operating system.",
         ms->heap_released},
        {"HeapSys", "bytes", "Address space the heap has reserved from the OS.", ms->heap_sys},
        {"HeapObjects", "count", "Objects allocated on the heap and not yet freed.",
         ms->heap_objects},
    };
    const struct figure derived[] = {
        {"Held but free", "bytes",
         "HeapIdle - HeapReleased: held by the heap but free; the runtime keeps it for reuse, "
         "the OS counts it.",
         pw_memstats_heap_free(ms)},
        {"Used by the process", "bytes",
         "Sys - HeapReleased: memory the process holds from the OS, close to what RSS shows.",
         pw_memstats_process(ms)},
    };
    const struct figure gc[] = {
        {"NumGC", "count", "Completed garbage collections.", ms->num_gc},
        {"NumForcedGC", "count", "Collections forced by runtime.GC or debug.FreeOSMemory.",
         ms->num_forced_gc},
        {"NextGC", "bytes", "Heap size at which the next collection is due to finish.",
         ms->next_gc},
        {"LastGC", "time", "When the last collection finished.", ms->last_gc},
    };
    const struct figure overheads[] = {
        {"Stack", "bytes", "Goroutine stacks in use (obtained from the OS: StackSys).",
         ms->stack_inuse},
        {"MSpan", "bytes", "Span structures in use that describe the heap.", ms->mspan_inuse},
        {"MCache", "bytes", "Per-P allocation caches in use.", ms->mcache_inuse},
        {"BuckHashSys", "bytes", "Profiling bucket tables (heap, block, mutex profiles).",
         ms->buck_hash_sys},
        {"GCSys", "bytes", "Collector metadata: mark bits, pointer maps.", ms->gc_sys},
        {"OtherSys", "bytes", "Other runtime allocations outside the heap.", ms->other_sys},
    };
    const struct figure totals[] = {
        {"Sys", "bytes", "All memory obtained from the OS, by every runtime part.", ms->sys},
        {"TotalAlloc", "bytes", "Bytes ever allocated on the heap (never goes down).",
         ms->total_alloc},
        {"Mallocs", "count", "Heap objects ever allocated.", ms->mallocs},
        {"Frees", "count", "Heap objects ever freed.", ms->frees},
        {"MaxRSS", "bytes", "Largest resident set the OS reported for the process.",
         ms->max_rss},
    };
    pw_json_obj_begin(j);
    pw_json_key(j, "groups");
    pw_json_arr_begin(j);
    G(j, "Heap", heap);
    G(j, "Derived", derived);
    G(j, "Garbage collector", gc);
    G(j, "Runtime overheads", overheads);
    G(j, "Process", totals);
    pw_json_arr_end(j);
    pw_json_kdouble(j, "gc_cpu_fraction", ms->gc_cpu_fraction);
    pw_json_kstr(j, "gc_cpu_fraction_doc",
                 "Share of the CPU time since start the collector has used.");
    struct pw_memstats_pauses ps;
    pw_memstats_pauses(ms, &ps);
    pw_json_key(j, "pauses");
    pw_json_obj_begin(j);
    pw_json_kint(j, "count", ps.count);
    pw_json_kint(j, "last_ns", (int64_t)ps.last);
    pw_json_kint(j, "p50_ns", (int64_t)ps.p50);
    pw_json_kint(j, "p90_ns", (int64_t)ps.p90);
    pw_json_kint(j, "p99_ns", (int64_t)ps.p99);
    pw_json_kint(j, "max_ns", (int64_t)ps.max);
    pw_json_kstr(j, "doc", "Stop-the-world pause times of the recorded collections (the last "
                           "256 at most), nearest-rank percentiles.");
    pw_json_obj_end(j);
    pw_json_obj_end(j);
}
