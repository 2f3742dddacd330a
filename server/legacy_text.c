/* legacy_text: the line-oriented legacy formats, ported from pprof's legacy_profile.go:
 * heap profiles ("heap profile: N: M [A: B] @ heapz_v2/R", Go's "@ heap/2R", growthz and
 * fragmentationz) with pprof's Poisson unsampling, Go count profiles ("goroutine profile: total
 * N", "threadcreate profile: total N"), threadz dumps, and contention profiles ("--- contentionz",
 * Go's "--- mutex:" and "--- contention:"). Each may end in a memory map section.
 *
 * Lines come from lg_scanner, which behaves as Go's bufio.Scanner (64 KiB lines), and are
 * recognized with pprof's own regexps (lg_re), so what pprof accepts, rejects or splits
 * differently is the same here. Stacks are capped at PW_MAX_STACK_DEPTH frames. For Go heap text
 * the "# runtime.MemStats" block is kept as text in the profile (pprof drops it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/legacy.h"
#include "pprofweb/limits.h"
#include "pprofweb/wrap.h"

#define SHOWN(l) (int)((l).len > 80 ? 80 : (l).len), (l).s

/* Appends a sample whose addresses are adjusted by -1 (all, or all but the leaf). */
static int add_stack_sample(struct lg *g, struct lg_addr_map *locs, const uint64_t *addrs,
                            size_t n, bool keep_leaf, struct pw_err *err,
                            struct lg_sample **out)
{
    if (n > PW_MAX_STACK_DEPTH)
        return pw_fail(err, PW_ECORRUPT, "sample of %zu frames (limit %d)", n,
                       PW_MAX_STACK_DEPTH);
    struct lg_sample *s = lg_add_sample(g, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        s->locs[i] = lg_loc_for(g, locs, keep_leaf && i == 0 ? addrs[i] : addrs[i] - 1);
    *out = s;
    return 0;
}

/* ---- heap ---- */

struct heap_hdr {
    bool v2;
    int64_t period;
    bool has_alloc;
};

/* parseHeapHeader over the submatches of heapHeaderRE. */
static int heap_header(const struct lg_str *h, struct heap_hdr *out)
{
    memset(out, 0, sizeof(*out));
    if (h[6].len > 0 && lg_parse_int(h[6], 10, &out->period, NULL, 0))
        return LG_UNRECOGNIZED;
    out->has_alloc = (!(h[3].len == h[1].len && memcmp(h[3].s, h[1].s, h[1].len) == 0) &&
                      !lg_eq(h[3], "0")) ||
                     (!(h[4].len == h[2].len && memcmp(h[4].s, h[2].s, h[2].len) == 0) &&
                      !lg_eq(h[4], "0"));
    if (lg_eq(h[5], "heapz_v2") || lg_eq(h[5], "heap_v2")) {
        out->v2 = true;
    } else if (lg_eq(h[5], "heapprofile")) {
        out->period = 1;
    } else if (lg_eq(h[5], "heap")) {
        out->v2 = true;
        out->period /= 2;
    } else {
        return LG_UNRECOGNIZED;
    }
    return 0;
}

/* addValues of parseHeapSample. */
static int heap_values(struct lg_str line, struct lg_str cs, struct lg_str ss, const char *label,
                       const struct heap_hdr *hh, struct lg_sample *s, struct pw_err *err)
{
    int64_t count, size;
    char msg[160];
    if (lg_parse_int(cs, 10, &count, msg, sizeof(msg)) ||
        lg_parse_int(ss, 10, &size, msg, sizeof(msg)))
        return pw_fail(err, PW_ECORRUPT, "malformed sample: %.*s: %s", SHOWN(line), msg);
    if (count == 0 && size != 0)
        return pw_fail(err, PW_ECORRUPT, "%s count was 0 but %s bytes was %lld", label, label,
                       (long long)size);
    if (count != 0) {
        s->has_bytes = true;
        s->bytes = (count == -1 && size == INT64_MIN) ? INT64_MIN : size / count;
        if (hh->v2)
            lg_scale_heap_sample(count, size, hh->period, &count, &size);
    }
    s->v[s->n_v++] = count;
    s->v[s->n_v++] = size;
    return 0;
}

static const char *const heap_alloc_types[] = {"alloc_objects", "count", "alloc_space", "bytes",
                                               "inuse_objects", "count", "inuse_space", "bytes"};
static const char *const heap_types[] = {"objects", "count", "space", "bytes"};

/* Keeps "# runtime.MemStats" and what follows, when a line starts with it. */
static void keep_memstats(struct lg *g, const char *b, size_t len)
{
    static const char tag[] = "# runtime.MemStats";
    const size_t n = sizeof(tag) - 1;
    for (const char *p = b; p && (size_t)(p - b) + n <= len;) {
        if ((p == b || p[-1] == '\n') && memcmp(p, tag, n) == 0) {
            g->memstats = pw_arena_strndup(&g->arena, p, len - (size_t)(p - b));
            return;
        }
        const char *nl = memchr(p, '\n', len - (size_t)(p - b));
        p = nl ? nl + 1 : NULL;
    }
}

static int heap_samples(struct lg *g, struct lg_scanner *s, const struct heap_hdr *hh,
                        struct pw_err *err)
{
    struct lg_re rx;
    if (lg_re_compile(&rx, "(-?\\d+): *(-?\\d+) *\\[ *(\\d+): *(\\d+) *] @([ x0-9a-f]*)"))
        return pw_fail(err, PW_ECORRUPT, "internal error: heap sample pattern");
    struct lg_addr_map locs = {0};
    uint64_t *addrs = NULL;
    size_t cap = 0, n;
    char msg[160];
    int rc = 0;
    while (!rc && lg_scan(s)) {
        struct lg_str line = lg_trim(s->tok), m[LG_RE_MAX_SUB];
        if (lg_space_or_comment(line))
            continue;
        if (lg_map_sentinel(line))
            break;
        if (!lg_re_find(&rx, line, m)) {
            rc = pw_fail(err, PW_ECORRUPT, "unexpected number of sample values: got 0, want 6");
            break;
        }
        struct lg_sample tmp = {0};
        if (hh->has_alloc && (rc = heap_values(line, m[3], m[4], "allocation", hh, &tmp, err)))
            break;
        if ((rc = heap_values(line, m[1], m[2], "inuse", hh, &tmp, err)))
            break;
        n = 0;
        if (lg_hex_addresses(m[5], &addrs, &n, &cap, msg, sizeof(msg))) {
            rc = pw_fail(err, PW_ECORRUPT, "malformed sample: %.*s: %s", SHOWN(line), msg);
            break;
        }
        struct lg_sample *sm;
        if ((rc = add_stack_sample(g, &locs, addrs, n, false, err, &sm)))
            break;
        memcpy(sm->v, tmp.v, sizeof(tmp.v));
        sm->n_v = tmp.n_v;
        sm->has_bytes = true; /* pprof always sets the label, 0 when both counts are 0 */
        sm->bytes = tmp.has_bytes ? tmp.bytes : 0;
    }
    free(addrs);
    lg_addr_map_release(&locs);
    return rc;
}

int lg_parse_heap(struct lg *g, const char *b, size_t len, struct pw_err *err)
{
    struct lg_scanner s;
    lg_scanner_init(&s, b, len);
    if (!lg_scan(&s))
        return lg_scan_err(&s, err) ? -1 : LG_UNRECOGNIZED;
    struct lg_re hdr, growth, frag;
    if (lg_re_compile(&hdr, "heap profile: *(\\d+): *(\\d+) *\\[ *(\\d+): *(\\d+) *\\] *@ *"
                            "(heap[_a-z0-9]*)/?(\\d*)") ||
        lg_re_compile(&growth,
                      "heap profile: *(\\d+): *(\\d+) *\\[ *(\\d+): *(\\d+) *\\] @ growthz?") ||
        lg_re_compile(&frag, "heap profile: *(\\d+): *(\\d+) *\\[ *(\\d+): *(\\d+) *\\] @ "
                             "fragmentationz?"))
        return pw_fail(err, PW_ECORRUPT, "internal error: heap header pattern");
    struct lg_str h[LG_RE_MAX_SUB];
    struct heap_hdr hh = {0};
    g->period_type[0] = "space";
    g->period_type[1] = "bytes";
    if (lg_re_find(&hdr, s.tok, h)) {
        if (heap_header(h, &hh))
            return LG_UNRECOGNIZED;
    } else if (lg_re_find(&growth, s.tok, h) || lg_re_find(&frag, s.tok, h)) {
        hh.period = 1;
    } else {
        return LG_UNRECOGNIZED;
    }
    g->period = hh.period;
    if (hh.has_alloc)
        lg_set_types(g, 4, heap_alloc_types);
    else
        lg_set_types(g, 2, heap_types);
    int rc = heap_samples(g, &s, &hh, err);
    if (!rc)
        rc = lg_scan_err(&s, err);
    if (!rc)
        rc = lg_additional_sections(g, &s, err);
    if (!rc)
        keep_memstats(g, b, len);
    return rc;
}

/* ---- goroutine / threadcreate counts ---- */

int lg_parse_go_count(struct lg *g, const char *b, size_t len, struct pw_err *err)
{
    struct lg_scanner s;
    lg_scanner_init(&s, b, len);
    while (lg_scan(&s) && lg_space_or_comment(s.tok)) {
    }
    if (lg_scan_err(&s, err))
        return -1;
    struct lg_re start, count;
    if (lg_re_compile(&start, "\\A(\\S+) profile: total \\d+\\z") ||
        lg_re_compile(&count, "\\A(\\d+) @(( 0x[0-9a-f]+)+)\\z"))
        return pw_fail(err, PW_ECORRUPT, "internal error: count pattern");
    struct lg_str m[LG_RE_MAX_SUB];
    if (!lg_re_find(&start, s.tok, m))
        return LG_UNRECOGNIZED;
    const char *type = pw_arena_strndup(&g->arena, m[1].s, m[1].len);
    const char *types[] = {type, "count"};
    lg_set_types(g, 1, types);
    g->period_type[0] = type;
    g->period_type[1] = "count";
    g->period = 1;
    struct lg_addr_map locs = {0};
    uint64_t *addrs = NULL;
    size_t cap = 0;
    int rc = 0;
    while (!rc && lg_scan(&s)) {
        struct lg_str line = s.tok;
        if (lg_space_or_comment(line))
            continue;
        if (lg_has_prefix(line, "---"))
            break;
        int64_t n;
        if (!lg_re_find(&count, line, m) || lg_parse_int(m[1], 0, &n, NULL, 0)) {
            rc = pw_fail(err, PW_ECORRUPT, "malformed profile format");
            break;
        }
        size_t k = 0;
        for (size_t i = 0; i < m[2].len && !rc;) {
            if (m[2].s[i] == ' ') {
                i++;
                continue;
            }
            size_t j = i;
            while (j < m[2].len && m[2].s[j] != ' ')
                j++;
            PW_GROW(addrs, cap, k + 1);
            if (lg_parse_uint((struct lg_str){m[2].s + i, j - i}, 0, &addrs[k++], NULL, 0))
                rc = pw_fail(err, PW_ECORRUPT, "malformed profile format");
            i = j;
        }
        struct lg_sample *sm;
        if (!rc && !(rc = add_stack_sample(g, &locs, addrs, k, false, err, &sm))) {
            sm->n_v = 1;
            sm->v[0] = n;
        }
    }
    free(addrs);
    lg_addr_map_release(&locs);
    if (!rc)
        rc = lg_scan_err(&s, err);
    if (!rc)
        rc = lg_additional_sections(g, &s, err);
    return rc;
}

/* ---- threadz ---- */

/* parseThreadSample: reads one thread's addresses; *same when it said "same as previous". */
static int thread_sample(struct lg_scanner *s, struct lg_str *next, uint64_t **addrs, size_t *n,
                         size_t *cap, bool *same, struct pw_err *err)
{
    struct lg_str line = {"", 0};
    char msg[160];
    *same = false;
    *n = 0;
    while (lg_scan(s)) {
        line = lg_trim(s->tok);
        if (line.len == 0)
            continue;
        if (lg_has_prefix(line, "---"))
            break;
        if (lg_contains(line, "same as previous thread")) {
            *same = true;
            continue;
        }
        if (lg_hex_addresses(line, addrs, n, cap, msg, sizeof(msg)))
            return pw_fail(err, PW_ECORRUPT, "malformed sample: %.*s: %s", SHOWN(line), msg);
        if (*n > PW_MAX_STACK_DEPTH)
            return pw_fail(err, PW_ECORRUPT, "thread stack over %d frames", PW_MAX_STACK_DEPTH);
    }
    if (lg_scan_err(s, err))
        return -1;
    *next = line;
    if (*same)
        *n = 0;
    return 0;
}

static const char *const thread_types[] = {"thread", "count"};

int lg_parse_thread(struct lg *g, const char *b, size_t len, struct pw_err *err)
{
    struct lg_scanner s;
    lg_scanner_init(&s, b, len);
    while (lg_scan(&s) && lg_space_or_comment(s.tok)) {
    }
    struct lg_re threadz, thread;
    if (lg_re_compile(&threadz, "--- threadz \\d+ ---") ||
        lg_re_compile(&thread,
                      "--- Thread ([[:xdigit:]]+) \\(name: (.*)/(\\d+)\\) stack: ---"))
        return pw_fail(err, PW_ECORRUPT, "internal error: thread pattern");
    struct lg_str line = s.tok, m[LG_RE_MAX_SUB];
    if (lg_re_find(&threadz, line, m)) {
        while (lg_scan(&s)) {
            line = s.tok;
            if (lg_map_sentinel(line) || lg_has_prefix(line, "-"))
                break;
        }
    } else if (!lg_re_find(&thread, line, m)) {
        return LG_UNRECOGNIZED;
    }
    lg_set_types(g, 1, thread_types);
    g->period_type[0] = "thread";
    g->period_type[1] = "count";
    g->period = 1;
    struct lg_addr_map locs = {0};
    uint64_t *addrs = NULL;
    size_t cap = 0, n;
    int rc = 0;
    while (!rc && !lg_map_sentinel(line)) {
        if (lg_has_prefix(line, "---- no stack trace for"))
            break;
        if (!lg_re_find(&thread, line, m)) {
            rc = LG_UNRECOGNIZED;
            break;
        }
        bool same;
        if ((rc = thread_sample(&s, &line, &addrs, &n, &cap, &same, err)))
            break;
        if (n == 0) {
            /* "same as previous thread" (or an empty stack) counts for the previous sample. */
            if (g->n_samples > 0)
                g->samples[g->n_samples - 1].v[0]++;
            continue;
        }
        struct lg_sample *sm;
        if (!(rc = add_stack_sample(g, &locs, addrs, n, true, err, &sm))) {
            sm->n_v = 1;
            sm->v[0] = 1;
        }
    }
    free(addrs);
    lg_addr_map_release(&locs);
    if (!rc)
        rc = lg_additional_sections(g, &s, err);
    if (!rc)
        lg_cleanup_duplicate_locations(g);
    return rc;
}

/* ---- contention ---- */

/* parseContentionSample. */
static int contention_sample(const struct lg_re *rx, struct lg_str line, int64_t period,
                             int64_t cpu_hz, struct lg_sample *tmp, uint64_t **addrs, size_t *n,
                             size_t *cap, struct pw_err *err)
{
    struct lg_str m[LG_RE_MAX_SUB];
    if (!lg_re_find(rx, line, m))
        return LG_UNRECOGNIZED;
    int64_t v1, v2;
    char msg[160];
    if (lg_parse_int(m[1], 10, &v1, msg, sizeof(msg)) ||
        lg_parse_int(m[2], 10, &v2, msg, sizeof(msg)))
        return pw_fail(err, PW_ECORRUPT, "malformed sample: %.*s: %s", SHOWN(line), msg);
    if (period > 0) {
        if (cpu_hz > 0) {
            double ghz = (double)cpu_hz / 1e9;
            v1 = lg_f2i((double)v1 * (double)period / ghz);
        }
        v2 = pw_wmul(v2, period);
    }
    tmp->n_v = 2;
    tmp->v[0] = v2;
    tmp->v[1] = v1;
    *n = 0;
    if (lg_hex_addresses(m[3], addrs, n, cap, msg, sizeof(msg)))
        return pw_fail(err, PW_ECORRUPT, "malformed sample: %.*s: %s", SHOWN(line), msg);
    return 0;
}

/* The "key = value" lines after the header; LG_UNRECOGNIZED for keys pprof does not know. */
static int contention_attrs(struct lg *g, struct lg_scanner *s, int64_t *cpu_hz)
{
    while (lg_scan(s)) {
        struct lg_str line = lg_trim(s->tok);
        if (lg_space_or_comment(line))
            continue;
        if (lg_has_prefix(line, "---"))
            break;
        const char *eq = memchr(line.s, '=', line.len);
        if (!eq)
            break;
        struct lg_str key = lg_trim((struct lg_str){line.s, (size_t)(eq - line.s)});
        struct lg_str val = lg_trim((struct lg_str){eq + 1, line.len - (size_t)(eq - line.s) - 1});
        int64_t v;
        if (lg_eq(key, "cycles/second")) {
            if (lg_parse_int(val, 0, cpu_hz, NULL, 0))
                return LG_UNRECOGNIZED;
        } else if (lg_eq(key, "sampling period")) {
            if (lg_parse_int(val, 0, &g->period, NULL, 0))
                return LG_UNRECOGNIZED;
        } else if (lg_eq(key, "ms since reset")) {
            if (lg_parse_int(val, 0, &v, NULL, 0))
                return LG_UNRECOGNIZED;
            g->duration_nanos = pw_wmul(v, 1000 * 1000);
        } else if (!lg_eq(key, "discarded samples")) {
            return LG_UNRECOGNIZED; /* including "format" and "resolution": Java's */
        }
    }
    return 0;
}

static const char *const contention_types[] = {"contentions", "count", "delay", "nanoseconds"};

int lg_parse_contention(struct lg *g, const char *b, size_t len, struct pw_err *err)
{
    struct lg_scanner s;
    lg_scanner_init(&s, b, len);
    if (!lg_scan(&s))
        return lg_scan_err(&s, err) ? -1 : LG_UNRECOGNIZED;
    if (!lg_has_prefix(s.tok, "--- contentionz ") && !lg_has_prefix(s.tok, "--- mutex:") &&
        !lg_has_prefix(s.tok, "--- contention:"))
        return LG_UNRECOGNIZED;
    g->period_type[0] = "contentions";
    g->period_type[1] = "count";
    g->period = 1;
    lg_set_types(g, 2, contention_types);
    int64_t cpu_hz = 0;
    int rc = contention_attrs(g, &s, &cpu_hz);
    if (rc)
        return rc;
    if (lg_scan_err(&s, err))
        return -1;
    struct lg_re rx;
    if (lg_re_compile(&rx, "(\\d+) *(\\d+) @([ x0-9a-f]*)"))
        return pw_fail(err, PW_ECORRUPT, "internal error: contention pattern");
    struct lg_addr_map locs = {0};
    uint64_t *addrs = NULL;
    size_t cap = 0, n;
    for (;;) {
        struct lg_str line = lg_trim(s.tok);
        if (lg_has_prefix(line, "---"))
            break;
        if (!lg_space_or_comment(line)) {
            struct lg_sample tmp = {0}, *sm;
            rc = contention_sample(&rx, line, g->period, cpu_hz, &tmp, &addrs, &n, &cap, err);
            if (!rc)
                rc = add_stack_sample(g, &locs, addrs, n, false, err, &sm);
            if (rc)
                break;
            sm->n_v = 2;
            sm->v[0] = tmp.v[0];
            sm->v[1] = tmp.v[1];
        }
        if (!lg_scan(&s))
            break;
    }
    free(addrs);
    lg_addr_map_release(&locs);
    if (!rc)
        rc = lg_scan_err(&s, err);
    if (!rc)
        rc = lg_additional_sections(g, &s, err);
    return rc;
}
