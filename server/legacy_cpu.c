/* legacy_cpu: the binary CPU profile of gperftools and pre-protobuf Go (profilez: a header of
 * five words, then "count, depth, addresses..." records, an end marker and, for C++, the text of
 * /proc/self/maps), and the Java formats: the same binary samples followed by a text table of
 * "0xADDR function (file:line)" (Java CPU), and the text heapz/contentionz profiles with
 * "format = java". Ports pprof's parseCPU, cpuProfile, parseCPUSamples, javaCPUProfile and
 * legacy_java_profile.go.
 *
 * Word size and byte order are found as pprof does: the first of 32-bit little, 32-bit big,
 * 64-bit little, 64-bit big endian whose header reads 0, 3, 0 or 1, period > 0, 0. A record's
 * depth is checked against the bytes left before anything is allocated, and against
 * PW_MAX_STACK_DEPTH. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/legacy.h"
#include "pprofweb/limits.h"
#include "pprofweb/wrap.h"

/* A cursor over binary words; nil is Go's nil slice, which pprof uses as "ran out". */
struct words {
    const unsigned char *p;
    size_t len;
    bool nil;
    int size; /* 4 or 8 */
    bool big;
};

static uint64_t get_word(struct words *w)
{
    if (w->nil || w->len < (size_t)w->size) {
        w->nil = true;
        w->len = 0;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < w->size; i++) {
        int k = w->big ? i : w->size - 1 - i;
        v = (v << 8) | w->p[k];
    }
    w->p += w->size;
    w->len -= (size_t)w->size;
    return v;
}

/* parseCPUSamples: reads records until the end marker or the end of data; *w is left on what
 * follows. Locations are keyed by address in locs. */
static int cpu_samples(struct lg *g, struct words *w, bool adjust, struct lg_addr_map *locs,
                       struct pw_err *err)
{
    uint64_t *addrs = NULL;
    size_t cap = 0;
    int rc = 0;
    while (!w->nil && w->len > 0) {
        uint64_t count = get_word(w);
        uint64_t nstk = get_word(w);
        if (w->nil || nstk > w->len / 4) {
            rc = LG_UNRECOGNIZED;
            break;
        }
        if (nstk > PW_MAX_STACK_DEPTH) {
            rc = pw_fail(err, PW_ECORRUPT, "cpu profile: stack of %llu frames (limit %d)",
                         (unsigned long long)nstk, PW_MAX_STACK_DEPTH);
            break;
        }
        PW_GROW(addrs, cap, nstk + 1);
        for (uint64_t i = 0; i < nstk; i++)
            addrs[i] = get_word(w);
        if (count == 0 && nstk == 1 && addrs[0] == 0)
            break; /* end of data marker */
        struct lg_sample *s = lg_add_sample(g, (uint32_t)nstk);
        for (uint64_t i = 0; i < nstk; i++) {
            uint64_t a = addrs[i];
            if (adjust && i > 0)
                a--;
            s->locs[i] = lg_loc_for(g, locs, a);
        }
        s->n_v = 2;
        s->v[0] = (int64_t)count;
        s->v[1] = (int64_t)(count * (uint64_t)g->period);
    }
    free(addrs);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* cpuProfile's removal of a second frame shared by (nearly) all samples: the signal handler's
 * frame. At most one address can reach the threshold, so map order does not matter. */
static void strip_handler_frames(struct lg *g)
{
    size_t n = g->n_samples, margin = n / 32;
    uint64_t *second = pw_xmalloc(sizeof(uint64_t) * (n ? n : 1));
    for (int iter = 0; iter < 2; iter++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (g->samples[i].n_locs > 1)
                second[k++] = g->locs[g->samples[i].locs[1]].addr;
        qsort(second, k, sizeof(uint64_t), cmp_u64);
        for (size_t i = 0; i < k;) {
            size_t j = i;
            while (j < k && second[j] == second[i])
                j++;
            if (j - i >= n - margin) {
                uint64_t id1 = second[i];
                for (size_t s = 0; s < n; s++) {
                    struct lg_sample *sm = &g->samples[s];
                    if (sm->n_locs > 1 && g->locs[sm->locs[1]].addr == id1)
                        lg_sample_drop_loc(sm, 1);
                }
                break;
            }
            i = j;
        }
    }
    free(second);
}

static const char *const cpu_types[] = {"samples", "count", "cpu", "nanoseconds"};

int lg_parse_cpu(struct lg *g, const unsigned char *b, size_t len, struct pw_err *err)
{
    static const struct {
        int size;
        bool big;
    } kinds[] = {{4, false}, {4, true}, {8, false}, {8, true}};
    for (int k = 0; k < 4; k++) {
        struct words w = {b, len, false, kinds[k].size, kinds[k].big};
        uint64_t n[5];
        for (int i = 0; i < 5; i++)
            n[i] = get_word(&w);
        if (w.nil || n[0] != 0 || n[1] != 3 || n[4] != 0 || n[3] == 0 || n[2] > 1)
            continue;
        bool java = n[2] == 1;
        g->period = (int64_t)(n[3] * 1000);
        g->period_type[0] = "cpu";
        g->period_type[1] = "nanoseconds";
        lg_set_types(g, 2, cpu_types);
        struct lg_addr_map locs = {0};
        int rc = cpu_samples(g, &w, !java, &locs, err);
        if (!rc && java) {
            rc = lg_java_locations(g, (const char *)w.p, w.nil ? 0 : w.len, &locs, err);
        } else if (!rc) {
            strip_handler_frames(g);
            struct lg_scanner s;
            lg_scanner_init(&s, (const char *)w.p, w.nil ? 0 : w.len);
            rc = lg_parse_memory_map(g, &s, err);
            if (!rc)
                lg_cleanup_duplicate_locations(g);
        }
        lg_addr_map_release(&locs);
        return rc;
    }
    return LG_UNRECOGNIZED;
}

/* ---- Java ---- */

enum { JAVA_HEAP, JAVA_CONTENTION };

/* Next '\n'-terminated line of *b (without the newline); false when no newline is left, as
 * pprof's bytes.IndexByte loops. */
static bool next_line(struct lg_str *b, struct lg_str *line, struct lg_str *rest)
{
    const char *nl = memchr(b->s, '\n', b->len);
    if (!nl)
        return false;
    *line = lg_trim((struct lg_str){b->s, (size_t)(nl - b->s)});
    *rest = (struct lg_str){nl + 1, b->len - (size_t)(nl - b->s) - 1};
    return true;
}

static const char *arena_str(struct lg *g, struct lg_str s)
{
    return pw_arena_strndup(&g->arena, s.s, s.len);
}

/* parseJavaHeader: attributes until the first line that is not one; *b is left on it. */
static int java_header(struct lg *g, int ptype, struct lg_str *b, struct pw_err *err)
{
    struct lg_re attr;
    if (lg_re_compile(&attr, "([\\w ]+)=([\\w ]+)"))
        return pw_fail(err, PW_ECORRUPT, "internal error: java attribute pattern");
    struct lg_str line, rest, h[LG_RE_MAX_SUB];
    char msg[160];
    while (next_line(b, &line, &rest)) {
        if (line.len) {
            if (!lg_re_find(&attr, line, h))
                return 0;
            struct lg_str key = lg_trim(h[1]), val = lg_trim(h[2]);
            int64_t v;
            if (lg_eq(key, "format")) {
                if (!lg_eq(val, "java"))
                    return LG_UNRECOGNIZED;
            } else if (lg_eq(key, "resolution")) {
                const char *t[4] = {"inuse_objects", "count", "inuse_space", arena_str(g, val)};
                if (ptype == JAVA_CONTENTION) {
                    t[0] = "contentions";
                    t[2] = "delay";
                }
                lg_set_types(g, 2, t);
            } else if (ptype == JAVA_CONTENTION && lg_eq(key, "sampling period")) {
                g->period_type[0] = "contentions";
                g->period_type[1] = "count";
                if (lg_parse_int(val, 0, &v, msg, sizeof(msg)))
                    return pw_fail(err, PW_ECORRUPT, "failed to parse attribute %.*s: %s",
                                   (int)(line.len > 64 ? 64 : line.len), line.s, msg);
                g->period = v;
            } else if (ptype == JAVA_CONTENTION && lg_eq(key, "ms since reset")) {
                if (lg_parse_int(val, 0, &v, msg, sizeof(msg)))
                    return pw_fail(err, PW_ECORRUPT, "failed to parse attribute %.*s: %s",
                                   (int)(line.len > 64 ? 64 : line.len), line.s, msg);
                g->duration_nanos = pw_wmul(v, 1000 * 1000);
            } else {
                return LG_UNRECOGNIZED;
            }
        }
        *b = rest;
    }
    return 0;
}

/* parseJavaSamples: samples until the first line that is not one; *b is left on it. */
static int java_samples(struct lg *g, int ptype, struct lg_str *b, struct lg_addr_map *locs,
                        struct pw_err *err)
{
    struct lg_re rx;
    if (lg_re_compile(&rx, " *(\\d+) +(\\d+) +@ +([ x0-9a-f]*)"))
        return pw_fail(err, PW_ECORRUPT, "internal error: java sample pattern");
    struct lg_str line, rest, m[LG_RE_MAX_SUB];
    uint64_t *addrs = NULL;
    size_t cap = 0, n;
    char msg[160];
    int rc = 0;
    while (!rc && next_line(b, &line, &rest)) {
        if (line.len) {
            if (!lg_re_find(&rx, line, m))
                break;
            int shown = line.len > 64 ? 64 : (int)line.len;
            n = 0;
            if (lg_hex_addresses(m[3], &addrs, &n, &cap, msg, sizeof(msg))) {
                rc = pw_fail(err, PW_ECORRUPT, "malformed sample: %.*s: %s", shown, line.s, msg);
                break;
            }
            if (n > PW_MAX_STACK_DEPTH) {
                rc = pw_fail(err, PW_ECORRUPT, "sample of %zu frames (limit %d)", n,
                             PW_MAX_STACK_DEPTH);
                break;
            }
            struct lg_sample *s = lg_add_sample(g, (uint32_t)n);
            for (size_t i = 0; i < n; i++)
                s->locs[i] = lg_loc_for(g, locs, addrs[i]);
            s->n_v = 2;
            if (lg_parse_int(m[2], 0, &s->v[0], msg, sizeof(msg)) ||
                lg_parse_int(m[1], 0, &s->v[1], msg, sizeof(msg))) {
                rc = pw_fail(err, PW_ECORRUPT, "parsing sample %.*s: %s", shown, line.s, msg);
                break;
            }
            if (ptype == JAVA_HEAP) {
                if (s->v[0] == 0) {
                    rc = pw_fail(err, PW_ECORRUPT,
                                 "parsing sample %.*s: second value must be non-zero", shown,
                                 line.s);
                    break;
                }
                s->has_bytes = true;
                s->bytes = s->v[1] / s->v[0]; /* both are non-negative */
                lg_scale_heap_sample(s->v[0], s->v[1], 524288, &s->v[0], &s->v[1]);
            } else if (g->period != 0) {
                s->v[0] = pw_wmul(s->v[0], g->period);
                s->v[1] = pw_wmul(s->v[1], g->period);
            }
        }
        *b = rest;
    }
    free(addrs);
    return rc;
}

int lg_parse_java(struct lg *g, const char *b, size_t len, struct pw_err *err)
{
    const char *nl = memchr(b, '\n', len);
    if (!nl)
        return LG_UNRECOGNIZED;
    struct lg_str header = lg_trim((struct lg_str){b, (size_t)(nl - b) + 1});
    int ptype;
    if (lg_eq(header, "--- heapz 1 ---"))
        ptype = JAVA_HEAP;
    else if (lg_eq(header, "--- contentionz 1 ---"))
        ptype = JAVA_CONTENTION;
    else
        return LG_UNRECOGNIZED;
    g->period_type[0] = g->period_type[1] = "";
    struct lg_str rest = {nl + 1, len - (size_t)(nl - b) - 1};
    int rc = java_header(g, ptype, &rest, err);
    if (rc)
        return rc;
    struct lg_addr_map locs = {0};
    rc = java_samples(g, ptype, &rest, &locs, err);
    if (!rc)
        rc = lg_java_locations(g, rest.s, rest.len, &locs, err);
    lg_addr_map_release(&locs);
    return rc;
}

/* filepath.Base on Unix. */
static struct lg_str base_name(struct lg_str p)
{
    if (p.len == 0)
        return (struct lg_str){".", 1};
    while (p.len > 0 && p.s[p.len - 1] == '/')
        p.len--;
    if (p.len == 0)
        return (struct lg_str){"/", 1};
    const char *slash = memrchr(p.s, '/', p.len);
    if (slash)
        return (struct lg_str){slash + 1, p.len - (size_t)(slash + 1 - p.s)};
    return p;
}

struct java_res {
    struct lg_re loc, file_line, path;
};

/* Reads one "0xADDR function (file:line)" entry into its location, when the address is used. */
static int java_location(struct lg *g, const struct java_res *res, struct lg_str line,
                         const struct lg_addr_map *locs, struct lg_addr_map *fns,
                         struct pw_err *err)
{
    struct lg_str j[LG_RE_MAX_SUB], f[LG_RE_MAX_SUB];
    if (!lg_re_find(&res->loc, line, j))
        return 0;
    uint64_t addr;
    char msg[160];
    if (lg_parse_uint(j[1], 16, &addr, msg, sizeof(msg)))
        return pw_fail(err, PW_ECORRUPT, "parsing sample %.*s: %s",
                       (int)(line.len > 64 ? 64 : line.len), line.s, msg);
    uint32_t loc = lg_addr_map_get(locs, addr);
    if (loc == PW_NONE)
        return 0;
    struct lg_str func, file = {"", 0};
    int64_t line_no = 0, n;
    if (lg_re_find(&res->file_line, j[2], f)) {
        func = f[1];
        file = f[2];
        if (!lg_parse_int(f[3], 10, &n, NULL, 0) && n > 0)
            line_no = n;
    } else if (lg_re_find(&res->path, j[2], f)) {
        func = f[1];
        file = base_name(f[2]);
    } else if (lg_contains(j[2], "generated stub/JIT")) {
        func = (struct lg_str){"STUB", 4};
    } else {
        func = j[2];
    }
    /* pprof keys functions by name. fns maps a name's hash to a function index; colliding names
     * take the next free key, so lookups probe h, h+1, ... until a free key. */
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < func.len; i++)
        h = (h ^ (unsigned char)func.s[i]) * 1099511628211ull;
    uint32_t fn = PW_NONE;
    for (uint64_t k = h;; k++) {
        uint32_t c = lg_addr_map_get(fns, k);
        if (c == PW_NONE)
            break;
        const struct lg_str nm = g->funcs[c].name;
        if (nm.len == func.len && memcmp(nm.s, func.s, func.len) == 0) {
            fn = c;
            break;
        }
    }
    if (fn == PW_NONE) {
        fn = lg_add_func(g, func, file);
        uint64_t k = h;
        while (lg_addr_map_get(fns, k) != PW_NONE)
            k++;
        lg_addr_map_put(fns, k, fn);
    }
    g->locs[loc].fn = fn;
    g->locs[loc].line = line_no;
    g->locs[loc].addr = 0;
    return 0;
}

int lg_java_locations(struct lg *g, const char *b, size_t len, const struct lg_addr_map *locs,
                      struct pw_err *err)
{
    struct java_res res;
    if (lg_re_compile(&res.loc, "^\\s*0x([[:xdigit:]]+)\\s+(.*)\\s*$") ||
        lg_re_compile(&res.file_line, "^(.*)\\s+\\((.+):(-?[[:digit:]]+)\\)$") ||
        lg_re_compile(&res.path, "^(.*)\\s+\\((.*)\\)$"))
        return pw_fail(err, PW_ECORRUPT, "internal error: java location pattern");
    struct lg_addr_map fns = {0};
    int rc = 0;
    size_t pos = 0;
    while (!rc && pos < len) {
        const char *nl = memchr(b + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - b) : len;
        struct lg_str line = lg_trim((struct lg_str){b + pos, end - pos});
        pos = nl ? end + 1 : len;
        if (line.len)
            rc = java_location(g, &res, line, locs, &fns, err);
    }
    lg_addr_map_release(&fns);
    if (rc)
        return rc;
    lg_remap_location_ids(g);
    lg_remap_function_ids(g);
    if (lg_remap_mapping_ids(g, err))
        return -1;
    /* Aggregate(true, true, true, true, false): only addresses go. */
    for (size_t i = 0; i < g->n_locs; i++)
        g->locs[i].addr = 0;
    if (g->n_types == 0 && g->n_samples > 0)
        return pw_fail(err, PW_ECORRUPT, "missing sample type information");
    return 0;
}
