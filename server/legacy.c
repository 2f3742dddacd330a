/* legacy: entry point of the legacy-format parsers, and what they share: pprof's memory map
 * reading (ParseMemoryMapFromScanner with its attribute substitution, massageMappings and the
 * remap*IDs passes), the frame-dropping regexps pprof attaches (addLegacyFrameInfo), and the
 * conversion of the profile under construction (struct lg) into a struct pw_profile.
 *
 * pw_legacy_parse() tries the formats in pprof's order (CPU binary, heap, goroutine/threadcreate
 * counts, threadz, contention, Java text); a parser that does not recognize the data passes it
 * on, any other failure ends the search with that parser's message, as in pprof. The formats
 * themselves are in legacy_cpu.c (binary CPU and Java) and legacy_text.c (text formats).
 * Limits beyond pprof's own: memory map attribute substitution (PW_MAX_LEGACY_MAP_ATTRS pairs,
 * PW_MAX_LEGACY_MAP_LINE bytes per substituted line, and a work budget), and stack depth
 * (PW_MAX_STACK_DEPTH, checked by the parsers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/legacy.h"
#include "pprofweb/gonames.h"
#include "pprofweb/limits.h"

/* ---- memory maps ---- */

/* pprof's procMapsRE and briefMapsRE, with \s spelled out as Go defines it. */
#define HEX "(?:0x)?([[:xdigit:]]+)"
#define HEX_RANGE "\\s*" HEX "[\\s-]?\\s*" HEX ":?"
#define PERM "(?:\\s+([-rwxp]+))?"
static const char proc_maps_pat[] = "^" HEX_RANGE PERM "(?:\\s+([[:xdigit:]]+))?"
                                    "\\s+[[:xdigit:]]+:[[:xdigit:]]+\\s+[[:digit:]]+"
                                    "(?:\\s+(\\S+))?";
static const char brief_maps_pat[] = "^" HEX_RANGE PERM "(?:\\s+(\\S+))?"
                                     "(?:\\s+\\(@([[:xdigit:]]+)\\))?(?:\\s+([[:xdigit:]]+))?";
static const char log_info_pat[] = "^[^\\[\\]]+:[0-9]+]\\s";

/* strings.NewReplacer over "$key" -> value pairs: at each position the earliest pair whose key
 * matches wins, matches do not overlap. */
struct replacer {
    struct lg_str *old, *repl;
    size_t n, cap;
    size_t work; /* bytes compared so far, against a budget */
};

#define REPLACE_BUDGET ((size_t)1 << 28)

static int replace(struct replacer *r, struct lg_str in, struct lg_str *out,
                   struct pw_arena *arena, struct pw_err *err)
{
    if (r->n == 0 || !memchr(in.s, '$', in.len)) {
        *out = in;
        return 0;
    }
    size_t cap = 256, len = 0;
    char *buf = pw_xmalloc(cap);
    for (size_t i = 0; i < in.len;) {
        size_t k = r->n;
        if (in.s[i] == '$') {
            for (k = 0; k < r->n; k++) {
                size_t ol = r->old[k].len;
                r->work += ol < in.len - i ? ol : in.len - i;
                if (ol <= in.len - i && memcmp(in.s + i, r->old[k].s, ol) == 0)
                    break;
            }
            if (r->work > REPLACE_BUDGET) {
                free(buf);
                return pw_fail(err, PW_ECORRUPT,
                               "memory map: attribute substitution over the work limit");
            }
        }
        const char *add = k < r->n ? r->repl[k].s : in.s + i;
        size_t add_len = k < r->n ? r->repl[k].len : 1;
        i += k < r->n ? r->old[k].len : 1;
        if (len + add_len > PW_MAX_LEGACY_MAP_LINE) {
            free(buf);
            return pw_fail(err, PW_ECORRUPT, "memory map: line over %zu bytes after substitution",
                           (size_t)PW_MAX_LEGACY_MAP_LINE);
        }
        if (len + add_len > cap) {
            while (len + add_len > cap)
                cap *= 2;
            buf = pw_xrealloc(buf, cap);
        }
        memcpy(buf + len, add, add_len);
        len += add_len;
    }
    out->s = pw_arena_strndup(arena, buf, len);
    out->len = len;
    free(buf);
    return 0;
}

struct map_res {
    struct lg_re proc, brief, log_info;
};

/* parseMappingEntry: 0 with *m filled (or *skip for a non-executable entry), LG_UNRECOGNIZED. */
static int parse_mapping_entry(const struct map_res *res, struct lg_str l, struct lg_mapping *m,
                               bool *skip)
{
    struct lg_str me[LG_RE_MAX_SUB];
    struct lg_str start, end, perm = {0}, file = {0}, offset = {0}, build_id = {0};
    if (lg_re_find(&res->proc, l, me)) {
        start = me[1], end = me[2], perm = me[3], offset = me[4], file = me[5];
    } else if (lg_re_find(&res->brief, l, me)) {
        start = me[1], end = me[2], perm = me[3], file = me[4], offset = me[5], build_id = me[6];
    } else {
        return LG_UNRECOGNIZED;
    }
    memset(m, 0, sizeof(*m));
    m->file = file.s ? file : (struct lg_str){"", 0};
    m->build_id = build_id.s ? build_id : (struct lg_str){"", 0};
    *skip = false;
    if (perm.len > 0 && !memchr(perm.s, 'x', perm.len)) {
        *skip = true;
        return 0;
    }
    if (lg_parse_uint(start, 16, &m->start, NULL, 0) || lg_parse_uint(end, 16, &m->limit, NULL, 0))
        return LG_UNRECOGNIZED;
    if (offset.len > 0 && lg_parse_uint(offset, 16, &m->offset, NULL, 0))
        return LG_UNRECOGNIZED;
    return 0;
}

/* parseProcMapsFromScanner, appending to g's mappings. */
static int parse_proc_maps(struct lg *g, struct lg_scanner *s, struct pw_err *err)
{
    struct map_res res;
    if (lg_re_compile(&res.proc, proc_maps_pat) || lg_re_compile(&res.brief, brief_maps_pat) ||
        lg_re_compile(&res.log_info, log_info_pat))
        return pw_fail(err, PW_ECORRUPT, "internal error: memory map pattern");
    struct replacer r = {0};
    int rc = 0;
    while (lg_scan(s)) {
        struct lg_str line = s->tok, sub[LG_RE_MAX_SUB];
        if (lg_re_find(&res.log_info, line, sub)) {
            size_t cut = (size_t)(sub[0].s + sub[0].len - line.s);
            line.s += cut;
            line.len -= cut;
        }
        /* Strings kept in mappings must outlive the scanner's buffer: they point into the input
         * or into g->arena, both alive until the profile is built. */
        if ((rc = replace(&r, line, &line, &g->arena, err)))
            break;
        struct lg_mapping m;
        bool skip;
        if (parse_mapping_entry(&res, line, &m, &skip) == LG_UNRECOGNIZED) {
            const char *eq = memchr(line.s, '=', line.len);
            if (eq && r.n < PW_MAX_LEGACY_MAP_ATTRS) {
                struct lg_str key = lg_trim((struct lg_str){line.s, (size_t)(eq - line.s)});
                struct lg_str val =
                    lg_trim((struct lg_str){eq + 1, line.len - (size_t)(eq - line.s) - 1});
                PW_GROW(r.old, r.cap, r.n + 1);
                size_t cap2 = r.cap;
                r.repl = pw_xrealloc(r.repl, sizeof(*r.repl) * cap2);
                char *k = pw_arena_alloc(&g->arena, key.len + 2);
                k[0] = '$';
                memcpy(k + 1, key.s, key.len);
                k[key.len + 1] = 0;
                r.old[r.n] = (struct lg_str){k, key.len + 1};
                r.repl[r.n] = val;
                r.n++;
            }
            continue;
        }
        if (skip)
            continue;
        uint32_t i = lg_add_mapping(g);
        g->maps[i] = m;
    }
    free(r.old);
    free(r.repl);
    if (rc)
        return rc;
    return lg_scan_err(s, err);
}

static bool str_eq(struct lg_str a, struct lg_str b)
{
    return a.len == b.len && memcmp(a.s, b.s, a.len) == 0;
}

/* pprof's adjacent(): m2 continues m1. */
static bool adjacent(const struct lg_mapping *m1, const struct lg_mapping *m2)
{
    if (m1->file.len && m2->file.len && !str_eq(m1->file, m2->file))
        return false;
    if (m1->build_id.len && m2->build_id.len && !str_eq(m1->build_id, m2->build_id))
        return false;
    if (m1->limit != m2->start)
        return false;
    if (m1->offset != 0 && m2->offset != 0) {
        uint64_t off = m1->offset + (m1->limit - m1->start);
        if (off != m2->offset)
            return false;
    }
    return true;
}

/* pprof's libRx, `([.]so$|[.]so[._][0-9]+)`, searched anywhere in s. */
static bool is_lib(struct lg_str s)
{
    for (size_t i = 0; i + 3 <= s.len; i++) {
        if (memcmp(s.s + i, ".so", 3) != 0)
            continue;
        if (i + 3 == s.len)
            return true;
        if (i + 4 < s.len && (s.s[i + 3] == '.' || s.s[i + 3] == '_') && s.s[i + 4] >= '0' &&
            s.s[i + 4] <= '9')
            return true;
    }
    return false;
}

/* massageMappings (locations have no mappings yet at this point in every legacy parser, so
 * updateLocationMapping has nothing to do). */
static void massage_mappings(struct lg *g)
{
    if (g->n_map_order > 1) {
        size_t n = 1;
        for (size_t i = 1; i < g->n_map_order; i++) {
            struct lg_mapping *lm = &g->maps[g->map_order[n - 1]];
            struct lg_mapping *m = &g->maps[g->map_order[i]];
            if (adjacent(lm, m)) {
                lm->limit = m->limit;
                if (m->file.len)
                    lm->file = m->file;
                if (m->build_id.len)
                    lm->build_id = m->build_id;
                continue;
            }
            g->map_order[n++] = g->map_order[i];
        }
        g->n_map_order = n;
    }
    for (size_t i = 0; i < g->n_map_order; i++) {
        struct lg_str f = g->maps[g->map_order[i]].file;
        /* strings.Replace(f, "(deleted)", "", -1), then TrimSpace. */
        char *buf = pw_arena_alloc(&g->arena, f.len + 1);
        size_t n = 0;
        for (size_t j = 0; j < f.len;) {
            if (f.len - j >= 9 && memcmp(f.s + j, "(deleted)", 9) == 0) {
                j += 9;
                continue;
            }
            buf[n++] = f.s[j++];
        }
        struct lg_str file = lg_trim((struct lg_str){buf, n});
        if (file.len == 0 || is_lib(file) || file.s[0] == '[')
            continue;
        uint32_t t = g->map_order[0];
        g->map_order[0] = g->map_order[i];
        g->map_order[i] = t;
        break;
    }
}

void lg_remap_location_ids(struct lg *g)
{
    bool *seen = pw_xcalloc(g->n_locs ? g->n_locs : 1, sizeof(bool));
    g->n_loc_order = 0;
    for (size_t i = 0; i < g->n_samples; i++) {
        const struct lg_sample *s = &g->samples[i];
        for (uint32_t j = 0; j < s->n_locs; j++) {
            uint32_t l = s->locs[j];
            if (seen[l])
                continue;
            seen[l] = true;
            PW_GROW(g->loc_order, g->cap_loc_order, g->n_loc_order + 1);
            g->loc_order[g->n_loc_order++] = l;
        }
    }
    free(seen);
}

void lg_remap_function_ids(struct lg *g)
{
    bool *seen = pw_xcalloc(g->n_funcs ? g->n_funcs : 1, sizeof(bool));
    g->n_func_order = 0;
    for (size_t i = 0; i < g->n_loc_order; i++) {
        uint32_t f = g->locs[g->loc_order[i]].fn;
        if (f == PW_NONE || seen[f])
            continue;
        seen[f] = true;
        g->func_order[g->n_func_order++] = f;
    }
    free(seen);
}

/* remapMappingIDs matches every location against every mapping, as pprof does; a budget on
 * those comparisons keeps a crafted profile (many mappings, many locations) from running for
 * hours. Real profiles are far below it: a few hundred mappings, at most a million locations. */
#define MAPPING_MATCH_BUDGET ((uint64_t)1 << 31)

int lg_remap_mapping_ids(struct lg *g, struct pw_err *err)
{
    if (g->n_map_order > 1) {
        struct lg_mapping *m = &g->maps[g->map_order[0]];
        if (lg_has_prefix(m->file, "/anon_hugepage") &&
            m->limit == g->maps[g->map_order[1]].start) {
            memmove(g->map_order, g->map_order + 1, sizeof(uint32_t) * (g->n_map_order - 1));
            g->n_map_order--;
        }
    }
    if (g->n_map_order > 0) {
        struct lg_mapping *m = &g->maps[g->map_order[0]];
        if (m->start - m->offset == 0x400000) {
            m->start = 0x400000;
            m->offset = 0;
        }
    }
    uint32_t fake = PW_NONE;
    uint64_t work = 0;
    for (size_t i = 0; i < g->n_loc_order; i++) {
        struct lg_loc *l = &g->locs[g->loc_order[i]];
        uint64_t a = l->addr;
        if (l->mapping != PW_NONE || a == 0)
            continue;
        work += g->n_map_order;
        if (work > MAPPING_MATCH_BUDGET)
            return pw_fail(err, PW_ECORRUPT,
                           "memory map: %zu mappings for %zu locations is over the limit",
                           g->n_map_order, g->n_loc_order);
        bool done = false;
        for (size_t j = 0; j < g->n_map_order && !done; j++) {
            const struct lg_mapping *m = &g->maps[g->map_order[j]];
            if (m->start <= a && a < m->limit) {
                l->mapping = g->map_order[j];
                done = true;
            }
        }
        /* Legacy handlers may leave out the first part of a mapping split in two. */
        for (size_t j = 0; j < g->n_map_order && !done; j++) {
            struct lg_mapping *m = &g->maps[g->map_order[j]];
            if (m->offset != 0 && m->start - m->offset <= a && a < m->start) {
                m->start -= m->offset;
                m->offset = 0;
                l->mapping = g->map_order[j];
                done = true;
            }
        }
        if (done)
            continue;
        if (fake == PW_NONE) {
            fake = lg_add_mapping(g);
            g->maps[fake].limit = UINT64_MAX;
            l = &g->locs[g->loc_order[i]];
        }
        l->mapping = fake;
    }
    return 0;
}

int lg_parse_memory_map(struct lg *g, struct lg_scanner *s, struct pw_err *err)
{
    int rc = parse_proc_maps(g, s, err);
    if (rc)
        return rc;
    massage_mappings(g);
    lg_remap_location_ids(g);
    lg_remap_function_ids(g);
    return lg_remap_mapping_ids(g, err);
}

int lg_additional_sections(struct lg *g, struct lg_scanner *s, struct pw_err *err)
{
    while (!lg_map_sentinel(s->tok) && lg_scan(s)) {
    }
    if (lg_scan_err(s, err))
        return -1;
    return lg_parse_memory_map(g, s, err);
}

void lg_cleanup_duplicate_locations(struct lg *g)
{
    for (size_t i = 0; i < g->n_samples; i++) {
        struct lg_sample *s = &g->samples[i];
        if (s->n_locs > 1 && g->locs[s->locs[0]].addr == g->locs[s->locs[1]].addr + 1)
            lg_sample_drop_loc(s, 1);
    }
}

/* ---- addLegacyFrameInfo ---- */

static const char alloc_rx[] =
    "calloc|cfree|malloc|free|memalign|do_memalign|(__)?posix_memalign|pvalloc|valloc|realloc|"
    "tcmalloc::.*|tc_calloc|tc_cfree|tc_malloc|tc_free|tc_memalign|tc_posix_memalign|"
    "tc_pvalloc|tc_valloc|tc_realloc|tc_new|tc_delete|tc_newarray|tc_deletearray|"
    "tc_new_nothrow|tc_newarray_nothrow|malloc_zone_malloc|malloc_zone_calloc|"
    "malloc_zone_valloc|malloc_zone_realloc|malloc_zone_memalign|malloc_zone_free|"
    "runtime\\..*|BaseArena::.*|(::)?do_malloc_no_errno|(::)?do_malloc_pages|(::)?do_malloc|"
    "DoSampledAllocation|MallocedMemBlock::MallocedMemBlock|_M_allocate|"
    "__builtin_(vec_)?delete|__builtin_(vec_)?new|__gnu_cxx::new_allocator::allocate|"
    "__libc_malloc|__malloc_alloc_template::allocate|allocate|cpp_alloc|operator new(\\[\\])?|"
    "simple_alloc::allocate";
static const char alloc_skip_rx[] = "runtime\\.panic|runtime\\.reflectcall|runtime\\.call[0-9]*";
static const char cpu_profiler_rx[] = "ProfileData::Add|ProfileData::prof_handler|"
                                      "CpuProfiler::prof_handler|__pthread_sighandler|__restore";
static const char lock_rx[] =
    "RecordLockProfileData|(base::)?RecordLockProfileData.*|(base::)?SubmitMutexProfileData.*|"
    "(base::)?SubmitSpinLockProfileData.*|(base::Mutex::)?AwaitCommon.*|"
    "(base::Mutex::)?Unlock.*|(base::Mutex::)?UnlockSlow.*|(base::Mutex::)?ReaderUnlock.*|"
    "(base::MutexLock::)?~MutexLock.*|(Mutex::)?AwaitCommon.*|(Mutex::)?Unlock.*|"
    "(Mutex::)?UnlockSlow.*|(Mutex::)?ReaderUnlock.*|(MutexLock::)?~MutexLock.*|"
    "(SpinLock::)?Unlock.*|(SpinLock::)?SlowUnlock.*|(SpinLockHolder::)?~SpinLockHolder.*";

static bool types_are(const struct lg *g, const char *const *names, uint32_t n)
{
    if (g->n_types != n)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(g->types[i][0], names[i]) != 0)
            return false;
    return true;
}

static void frame_info(const struct lg *g, const char **drop, const char **keep)
{
    static const char *const heapz[][4] = {{"allocations", "size"},
                                           {"objects", "space"},
                                           {"inuse_objects", "inuse_space"},
                                           {"alloc_objects", "alloc_space"},
                                           {"alloc_objects", "alloc_space", "inuse_objects",
                                            "inuse_space"}};
    static const char *const contentionz[] = {"contentions", "delay"};
    for (int i = 0; i < 5; i++) {
        if (types_are(g, heapz[i], i == 4 ? 4 : 2)) {
            *drop = alloc_rx;
            *keep = alloc_skip_rx;
            return;
        }
    }
    *keep = "";
    *drop = types_are(g, contentionz, 2) ? lock_rx : cpu_profiler_rx;
}

/* ---- building the pw_profile ---- */

static pw_str intern(struct pw_profile *p, struct lg_str s)
{
    return pw_intern(p, s.s, s.len);
}

static struct pw_profile *build(struct lg *g, struct pw_err *err)
{
    if (g->too_many) {
        pw_fail(err, PW_ETOOBIG, "more than %zu %s (limit)", PW_MAX_TABLE_ENTRIES, g->too_many);
        return NULL;
    }
    struct pw_profile *p = pw_profile_new();
    struct pw_value_type types[4];
    for (uint32_t i = 0; i < g->n_types; i++) {
        types[i].type = pw_intern_cstr(p, g->types[i][0]);
        types[i].unit = pw_intern_cstr(p, g->types[i][1]);
    }
    pw_set_sample_types(p, types, g->n_types);
    p->has_period_type = true;
    p->period_type.type = pw_intern_cstr(p, g->period_type[0] ? g->period_type[0] : "");
    p->period_type.unit = pw_intern_cstr(p, g->period_type[1] ? g->period_type[1] : "");
    p->period = g->period;
    p->duration_nanos = g->duration_nanos;
    const char *drop, *keep;
    frame_info(g, &drop, &keep);
    p->drop_frames = pw_intern_cstr(p, drop);
    p->keep_frames = pw_intern_cstr(p, keep);
    if (g->memstats)
        p->memstats = pw_arena_strdup(&p->arena, g->memstats);

    uint32_t *map_idx = pw_xmalloc(sizeof(uint32_t) * (g->n_maps + 1));
    uint32_t *fn_idx = pw_xmalloc(sizeof(uint32_t) * (g->n_funcs + 1));
    uint32_t *loc_idx = pw_xmalloc(sizeof(uint32_t) * (g->n_locs + 1));
    memset(map_idx, 0xff, sizeof(uint32_t) * (g->n_maps + 1));
    memset(fn_idx, 0xff, sizeof(uint32_t) * (g->n_funcs + 1));
    memset(loc_idx, 0xff, sizeof(uint32_t) * (g->n_locs + 1));
    for (size_t i = 0; i < g->n_map_order; i++) {
        const struct lg_mapping *lm = &g->maps[g->map_order[i]];
        map_idx[g->map_order[i]] = p->n_mappings;
        struct pw_mapping *m = pw_add_mapping(p);
        m->id = i + 1;
        m->start = lm->start;
        m->limit = lm->limit;
        m->offset = lm->offset;
        m->file = intern(p, lm->file);
        m->build_id = intern(p, lm->build_id);
    }
    for (size_t i = 0; i < g->n_func_order; i++) {
        const struct lg_func *lf = &g->funcs[g->func_order[i]];
        fn_idx[g->func_order[i]] = p->n_functions;
        struct pw_function *f = pw_add_function(p);
        f->id = i + 1;
        f->name = f->system_name = intern(p, lf->name);
        f->filename = intern(p, lf->file);
    }
    for (size_t i = 0; i < g->n_loc_order; i++) {
        const struct lg_loc *ll = &g->locs[g->loc_order[i]];
        loc_idx[g->loc_order[i]] = p->n_locations;
        struct pw_location *l = pw_add_location(p);
        l->id = i + 1;
        l->address = ll->addr;
        l->mapping = ll->mapping == PW_NONE ? PW_NONE : map_idx[ll->mapping];
        if (ll->fn != PW_NONE) {
            l->lines = pw_arena_calloc(&p->arena, 1, sizeof(*l->lines));
            l->n_lines = 1;
            l->lines[0].function = fn_idx[ll->fn];
            l->lines[0].line = ll->line;
        }
    }
    pw_str bytes = g->n_samples ? pw_intern_cstr(p, "bytes") : 0;
    int rc = 0;
    for (size_t i = 0; i < g->n_samples && !rc; i++) {
        const struct lg_sample *ls = &g->samples[i];
        if (ls->n_v != g->n_types) {
            rc = pw_fail(err, PW_ECORRUPT,
                         g->n_types ? "mismatch: sample has %u values vs. %u types"
                                    : "missing sample type information",
                         ls->n_v, g->n_types);
            break;
        }
        struct pw_sample *s = pw_add_sample(p);
        s->values = pw_arena_alloc(&p->arena, sizeof(int64_t) * (ls->n_v ? ls->n_v : 1));
        memcpy(s->values, ls->v, sizeof(int64_t) * ls->n_v);
        s->locs = pw_arena_alloc(&p->arena, sizeof(uint32_t) * (ls->n_locs ? ls->n_locs : 1));
        s->n_locs = ls->n_locs;
        for (uint32_t j = 0; j < ls->n_locs; j++) {
            s->locs[j] = loc_idx[ls->locs[j]];
            if (s->locs[j] == PW_NONE)
                rc = pw_fail(err, PW_ECORRUPT, "internal error: sample location not listed");
        }
        if (ls->has_bytes) {
            s->labels = pw_arena_calloc(&p->arena, 1, sizeof(*s->labels));
            s->n_labels = 1;
            s->labels[0].key = bytes;
            s->labels[0].is_num = true;
            s->labels[0].num = ls->bytes;
        }
    }
    free(map_idx);
    free(fn_idx);
    free(loc_idx);
    if (rc) {
        pw_profile_free(p);
        return NULL;
    }
    return p;
}

struct pw_profile *pw_legacy_parse(const unsigned char *data, size_t len, struct pw_err *err)
{
    const char *text = (const char *)data;
    for (int which = 0; which < 6; which++) {
        struct lg g;
        lg_init(&g);
        int rc;
        switch (which) {
        case 0:
            rc = lg_parse_cpu(&g, data, len, err);
            break;
        case 1:
            rc = lg_parse_heap(&g, text, len, err);
            break;
        case 2:
            rc = lg_parse_go_count(&g, text, len, err);
            break;
        case 3:
            rc = lg_parse_thread(&g, text, len, err);
            break;
        case 4:
            rc = lg_parse_contention(&g, text, len, err);
            break;
        default:
            rc = lg_parse_java(&g, text, len, err);
            break;
        }
        if (rc == LG_UNRECOGNIZED) {
            lg_release(&g);
            continue;
        }
        struct pw_profile *p = rc ? NULL : build(&g, err);
        /* Go's debug=1 heap, count and contention pages name their frames in comments. A
         * malformed comment leaves the page without those names, not unreadable: pprof
         * reads it. */
        if (p && (which == 1 || which == 2 || which == 4) &&
            pw_gonames_read(p, text, len, NULL)) {
            p->comment_frames = NULL;
            p->n_comment_frames = 0;
        }
        bool too_big = g.too_many != NULL;
        lg_release(&g);
        if (!p && err)
            err->code = too_big ? PW_ETOOBIG : PW_ECORRUPT;
        return p;
    }
    pw_fail(err, PW_ECORRUPT, "unrecognized profile format");
    return NULL;
}
