/* legacy_util: the Go library behaviour pprof's legacy parsers rely on, reproduced exactly:
 * bufio.Scanner line splitting (64 KiB token limit, and what Scan/Text do after hitting it),
 * strings.TrimSpace over Unicode white space, strconv.ParseInt/ParseUint with base prefixes and
 * underscores, math.Exp as amd64 Go computes it, and float64 -> int64 as amd64 converts it. Plus
 * the builder of the profile under construction (struct lg) and its address -> location map.
 * Everything here is bounded by the input it is given; nothing allocates from a declared count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/legacy.h"
#include "pprofweb/limits.h"

/* ---- struct lg ---- */

void lg_init(struct lg *g)
{
    memset(g, 0, sizeof(*g));
    pw_arena_init(&g->arena);
}

void lg_release(struct lg *g)
{
    pw_arena_release(&g->arena);
    free(g->spare.locs);
    free(g->samples);
    free(g->locs);
    free(g->loc_order);
    free(g->maps);
    free(g->map_order);
    free(g->funcs);
    free(g->func_order);
    memset(g, 0, sizeof(*g));
}

struct lg_sample *lg_add_sample(struct lg *g, uint32_t n_locs)
{
    if (g->n_samples >= PW_MAX_TABLE_ENTRIES) {
        g->too_many = "samples";
        PW_GROW(g->spare.locs, g->cap_spare_locs, (size_t)n_locs + 1);
        uint32_t *locs = g->spare.locs;
        memset(&g->spare, 0, sizeof(g->spare));
        g->spare.locs = locs;
        g->spare.n_locs = n_locs;
        return &g->spare;
    }
    PW_GROW(g->samples, g->cap_samples, g->n_samples + 1);
    struct lg_sample *s = &g->samples[g->n_samples++];
    memset(s, 0, sizeof(*s));
    s->n_locs = n_locs;
    s->locs = pw_arena_alloc(&g->arena, sizeof(uint32_t) * (n_locs ? n_locs : 1));
    return s;
}

uint32_t lg_add_loc(struct lg *g, uint64_t addr)
{
    if (g->n_locs >= PW_MAX_TABLE_ENTRIES) {
        g->too_many = "locations";
        return 0; /* any: the profile will be refused */
    }
    PW_GROW(g->locs, g->cap_locs, g->n_locs + 1);
    struct lg_loc *l = &g->locs[g->n_locs];
    l->addr = addr;
    l->mapping = PW_NONE;
    l->fn = PW_NONE;
    l->line = 0;
    PW_GROW(g->loc_order, g->cap_loc_order, g->n_loc_order + 1);
    g->loc_order[g->n_loc_order++] = (uint32_t)g->n_locs;
    return (uint32_t)g->n_locs++;
}

uint32_t lg_add_mapping(struct lg *g)
{
    PW_GROW(g->maps, g->cap_maps, g->n_maps + 1);
    memset(&g->maps[g->n_maps], 0, sizeof(g->maps[0]));
    PW_GROW(g->map_order, g->cap_map_order, g->n_map_order + 1);
    g->map_order[g->n_map_order++] = (uint32_t)g->n_maps;
    return (uint32_t)g->n_maps++;
}

uint32_t lg_add_func(struct lg *g, struct lg_str name, struct lg_str file)
{
    PW_GROW(g->funcs, g->cap_funcs, g->n_funcs + 1);
    g->funcs[g->n_funcs].name = name;
    g->funcs[g->n_funcs].file = file;
    PW_GROW(g->func_order, g->cap_func_order, g->n_func_order + 1);
    g->func_order[g->n_func_order++] = (uint32_t)g->n_funcs;
    return (uint32_t)g->n_funcs++;
}

void lg_set_types(struct lg *g, uint32_t n, const char *const *pairs)
{
    g->n_types = n;
    for (uint32_t i = 0; i < n; i++) {
        g->types[i][0] = pairs[2 * i];
        g->types[i][1] = pairs[2 * i + 1];
    }
}

void lg_sample_drop_loc(struct lg_sample *s, uint32_t i)
{
    memmove(&s->locs[i], &s->locs[i + 1], sizeof(uint32_t) * (s->n_locs - i - 1));
    s->n_locs--;
}

/* ---- address map ---- */

static size_t addr_hash(uint64_t a, size_t mask)
{
    a ^= a >> 33;
    a *= 0xff51afd7ed558ccdull;
    a ^= a >> 33;
    return (size_t)a & mask;
}

void lg_addr_map_release(struct lg_addr_map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

uint32_t lg_addr_map_get(const struct lg_addr_map *m, uint64_t addr)
{
    if (!m->cap)
        return PW_NONE;
    size_t mask = m->cap - 1;
    for (size_t h = addr_hash(addr, mask);; h = (h + 1) & mask) {
        if (!m->vals[h])
            return PW_NONE;
        if (m->keys[h] == addr)
            return m->vals[h] - 1;
    }
}

void lg_addr_map_put(struct lg_addr_map *m, uint64_t addr, uint32_t v)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        uint64_t *keys = pw_xcalloc(cap, sizeof(*keys));
        uint32_t *vals = pw_xcalloc(cap, sizeof(*vals));
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->vals[i])
                continue;
            size_t h = addr_hash(m->keys[i], cap - 1);
            while (vals[h])
                h = (h + 1) & (cap - 1);
            keys[h] = m->keys[i];
            vals[h] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
    }
    size_t h = addr_hash(addr, m->cap - 1);
    while (m->vals[h])
        h = (h + 1) & (m->cap - 1);
    m->keys[h] = addr;
    m->vals[h] = v + 1;
    m->n++;
}

uint32_t lg_loc_for(struct lg *g, struct lg_addr_map *m, uint64_t addr)
{
    uint32_t l = lg_addr_map_get(m, addr);
    if (l == PW_NONE) {
        l = lg_add_loc(g, addr);
        lg_addr_map_put(m, addr, l);
    }
    return l;
}

/* ---- bufio.Scanner ---- */

#define GO_MAX_TOKEN 65536 /* bufio.MaxScanTokenSize */

void lg_scanner_init(struct lg_scanner *s, const char *data, size_t len)
{
    memset(s, 0, sizeof(*s));
    s->data = data;
    s->len = len;
    s->tok = (struct lg_str){"", 0};
}

static struct lg_str drop_cr(const char *p, size_t n)
{
    if (n > 0 && p[n - 1] == '\r')
        n--;
    return (struct lg_str){p, n};
}

bool lg_scan(struct lg_scanner *s)
{
    if (s->state == 2) {
        /* After ErrTooLong, Go's next Scan hands out the full buffer as a final token. */
        s->tok = drop_cr(s->data + s->pos, GO_MAX_TOKEN);
        s->pos += GO_MAX_TOKEN;
        s->state = 3;
        return true;
    }
    if (s->state != 0 || s->pos >= s->len) {
        if (s->state == 0)
            s->state = 1;
        s->tok = (struct lg_str){"", 0};
        return false;
    }
    size_t rem = s->len - s->pos;
    size_t window = rem < GO_MAX_TOKEN ? rem : GO_MAX_TOKEN;
    const char *p = s->data + s->pos;
    const char *nl = memchr(p, '\n', window);
    if (nl) {
        s->tok = drop_cr(p, (size_t)(nl - p));
        s->pos += (size_t)(nl - p) + 1;
        return true;
    }
    if (rem >= GO_MAX_TOKEN) {
        s->state = 2; /* the token stays the previous line, as in Go */
        return false;
    }
    s->tok = drop_cr(p, rem);
    s->pos = s->len;
    return true;
}

int lg_scan_err(const struct lg_scanner *s, struct pw_err *err)
{
    if (s->state >= 2)
        return pw_fail(err, PW_ECORRUPT, "bufio.Scanner: token too long");
    return 0;
}

/* ---- strings ---- */

/* Length of the Unicode white space rune starting at p (n bytes left), or 0. */
static size_t uspace_at(const unsigned char *p, size_t n)
{
    if (n == 0)
        return 0;
    unsigned c = p[0];
    if (c == ' ' || (c >= '\t' && c <= '\r'))
        return 1;
    if (c == 0xc2 && n >= 2 && (p[1] == 0x85 || p[1] == 0xa0))
        return 2;
    if (n < 3)
        return 0;
    if (c == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
        return 3;
    if (c == 0xe2 && p[1] == 0x80 && (p[2] <= 0x8a || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
        return p[2] >= 0x80 ? 3 : 0;
    if (c == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
        return 3;
    if (c == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
        return 3;
    return 0;
}

struct lg_str lg_trim(struct lg_str s)
{
    const unsigned char *p = (const unsigned char *)s.s;
    size_t a = 0, b = s.len, k;
    while (a < b && (k = uspace_at(p + a, b - a)) > 0)
        a += k;
    while (b > a) {
        /* The spaces are a lead byte plus continuation bytes, so matching a suffix is what
         * utf8.DecodeLastRune would decode. */
        if (uspace_at(p + b - 1, 1) == 1) {
            b--;
            continue;
        }
        if (b - a >= 2 && uspace_at(p + b - 2, 2) == 2) {
            b -= 2;
            continue;
        }
        if (b - a >= 3 && uspace_at(p + b - 3, 3) == 3) {
            b -= 3;
            continue;
        }
        break;
    }
    return (struct lg_str){s.s + a, b - a};
}

bool lg_has_prefix(struct lg_str s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && memcmp(s.s, prefix, n) == 0;
}

bool lg_contains(struct lg_str s, const char *needle)
{
    return memmem(s.s, s.len, needle, strlen(needle)) != NULL;
}

bool lg_eq(struct lg_str s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.s, lit, s.len) == 0;
}

bool lg_space_or_comment(struct lg_str line)
{
    struct lg_str t = lg_trim(line);
    return t.len == 0 || t.s[0] == '#';
}

bool lg_map_sentinel(struct lg_str line)
{
    return lg_contains(line, "--- Memory map: ---") || lg_contains(line, "MAPPED_LIBRARIES:");
}

/* ---- strconv ---- */

static char lower(char c)
{
    return (char)(c | 0x20);
}

static void num_error(char *msg, size_t msg_len, const char *fn, struct lg_str s, bool range)
{
    if (!msg)
        return;
    int shown = s.len > 64 ? 64 : (int)s.len;
    snprintf(msg, msg_len, "strconv.%s: parsing \"%.*s%s\": %s", fn, shown, s.s,
             s.len > 64 ? "..." : "", range ? "value out of range" : "invalid syntax");
}

/* strconv's underscoreOK. */
static bool underscore_ok(struct lg_str s)
{
    char saw = '^';
    size_t i = 0;
    const char *p = s.s;
    size_t n = s.len;
    if (n >= 1 && (p[0] == '-' || p[0] == '+')) {
        p++;
        n--;
    }
    bool hex = false;
    if (n >= 2 && p[0] == '0' &&
        (lower(p[1]) == 'b' || lower(p[1]) == 'o' || lower(p[1]) == 'x')) {
        i = 2;
        saw = '0';
        hex = lower(p[1]) == 'x';
    }
    for (; i < n; i++) {
        if ((p[i] >= '0' && p[i] <= '9') || (hex && lower(p[i]) >= 'a' && lower(p[i]) <= 'f')) {
            saw = '0';
            continue;
        }
        if (p[i] == '_') {
            if (saw != '0')
                return false;
            saw = '_';
            continue;
        }
        if (saw == '_')
            return false;
        saw = '!';
    }
    return saw != '_';
}

/* 0 ok, 1 syntax error, 2 range error. */
static int parse_uint(struct lg_str s0, int base, uint64_t *v)
{
    *v = 0;
    if (s0.len == 0)
        return 1;
    bool base0 = base == 0;
    const char *p = s0.s;
    size_t n = s0.len;
    if (base == 0) {
        base = 10;
        if (p[0] == '0') {
            if (n >= 3 && lower(p[1]) == 'b') {
                base = 2;
                p += 2;
                n -= 2;
            } else if (n >= 3 && lower(p[1]) == 'o') {
                base = 8;
                p += 2;
                n -= 2;
            } else if (n >= 3 && lower(p[1]) == 'x') {
                base = 16;
                p += 2;
                n -= 2;
            } else {
                base = 8;
                p++;
                n--;
            }
        }
    }
    uint64_t cutoff = UINT64_MAX / (uint64_t)base + 1, x = 0;
    bool underscores = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        unsigned d;
        if (c == '_' && base0) {
            underscores = true;
            continue;
        } else if (c >= '0' && c <= '9') {
            d = (unsigned)(c - '0');
        } else if (lower(c) >= 'a' && lower(c) <= 'z') {
            d = (unsigned)(lower(c) - 'a' + 10);
        } else {
            return 1;
        }
        if (d >= (unsigned)base)
            return 1;
        if (x >= cutoff) {
            *v = UINT64_MAX;
            return 2;
        }
        x *= (uint64_t)base;
        uint64_t x1 = x + d;
        if (x1 < x) {
            *v = UINT64_MAX;
            return 2;
        }
        x = x1;
    }
    if (underscores && !underscore_ok(s0))
        return 1;
    *v = x;
    return 0;
}

int lg_parse_uint(struct lg_str s, int base, uint64_t *v, char *msg, size_t msg_len)
{
    int rc = parse_uint(s, base, v);
    if (rc) {
        num_error(msg, msg_len, "ParseUint", s, rc == 2);
        return -1;
    }
    return 0;
}

int lg_parse_int(struct lg_str s, int base, int64_t *v, char *msg, size_t msg_len)
{
    *v = 0;
    if (s.len == 0) {
        num_error(msg, msg_len, "ParseInt", s, false);
        return -1;
    }
    struct lg_str u = s;
    bool neg = false;
    if (s.s[0] == '+' || s.s[0] == '-') {
        neg = s.s[0] == '-';
        u.s++;
        u.len--;
    }
    uint64_t x;
    int rc = parse_uint(u, base, &x);
    if (rc == 1) {
        num_error(msg, msg_len, "ParseInt", s, false);
        return -1;
    }
    const uint64_t cutoff = (uint64_t)1 << 63;
    if ((!neg && x >= cutoff) || (neg && x > cutoff)) {
        num_error(msg, msg_len, "ParseInt", s, true);
        return -1;
    }
    *v = neg ? (int64_t)(0 - x) : (int64_t)x;
    return 0;
}

/* ---- numbers as amd64 Go computes them ---- */

int64_t lg_f2i(double f)
{
    if (f >= -9223372036854775808.0 && f < 9223372036854775808.0)
        return (int64_t)f;
    return INT64_MIN;
}

static double bits_to_double(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof(d));
    return d;
}

static bool have_fma(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx") && __builtin_cpu_supports("fma");
    }
    return cached;
#else
    return false;
#endif
}

double lg_exp(double x)
{
    /* Go 1.19's math.archExp for amd64: Shibata's method, ported instruction by instruction
     * (separate roundings without FMA, fused ones with it). */
    const double ln2u = 0.69314718055966295651160180568695068359375;
    const double ln2l = 0.28235290563031577122588448175013436025525412068e-12;
    const double log2e = 1.4426950408889634073599246810018920;
    const double c[] = {2.4801587301587301587e-5, 1.9841269841269841270e-4,
                        1.3888888888888888889e-3, 8.3333333333333333333e-3,
                        4.1666666666666666667e-2, 1.6666666666666666667e-1, 0.5, 1.0};
    uint64_t bits;
    memcpy(&bits, &x, sizeof(bits));
    if ((bits & ~((uint64_t)1 << 63)) >= 0x7ff0000000000000ull) {
        if (bits == 0xfff0000000000000ull)
            return 0;
        return x;
    }
    if (x > 7.09782712893384e+02)
        return bits_to_double(0x7ff0000000000000ull);
    double r = nearbyint(log2e * x);
    int32_t bx = (r >= -2147483648.0 && r <= 2147483647.0) ? (int32_t)r : INT32_MIN;
    double x1 = (double)bx, x0 = x;
    if (have_fma()) {
        x0 = fma(-x1, ln2u, x0);
        x0 = fma(-x1, ln2l, x0);
        x0 *= 0.0625;
        x1 = c[0];
        for (int i = 1; i < 8; i++)
            x1 = fma(x1, x0, c[i]);
        x0 = x0 * x1;
        for (int i = 0; i < 3; i++) {
            x1 = x0 + 2.0;
            x0 = x0 * x1;
        }
        x1 = x0 + 2.0;
        x0 = fma(x0, x1, 1.0);
    } else {
        double t = ln2u * x1;
        x0 -= t;
        t = ln2l * x1;
        x0 -= t;
        x0 *= 0.0625;
        x1 = c[0];
        for (int i = 1; i < 8; i++) {
            x1 = x1 * x0;
            x1 = x1 + c[i];
        }
        x0 = x0 * x1;
        for (int i = 0; i < 4; i++) {
            x1 = 2.0 + x0;
            x0 = x0 * x1;
        }
        x0 = x0 + 1.0;
    }
    int64_t e = (int64_t)bx + 0x3ff;
    if (e <= 0) {
        if (e < -52)
            return 0;
        e += 0x3fe;
        x0 *= bits_to_double((uint64_t)e << 52);
        e = 1;
    } else if (e >= 0x7ff) {
        return bits_to_double(0x7ff0000000000000ull);
    }
    return x0 * bits_to_double((uint64_t)e << 52);
}

void lg_scale_heap_sample(int64_t count, int64_t size, int64_t rate, int64_t *c_out,
                          int64_t *s_out)
{
    if (count == 0 || size == 0) {
        *c_out = 0;
        *s_out = 0;
        return;
    }
    if (rate <= 1) {
        *c_out = count;
        *s_out = size;
        return;
    }
    double avg = (double)size / (double)count;
    double scale = 1 / (1 - lg_exp(-avg / (double)rate));
    *c_out = lg_f2i((double)count * scale);
    *s_out = lg_f2i((double)size * scale);
}

static bool is_hex_lower(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int lg_hex_addresses(struct lg_str s, uint64_t **addrs, size_t *n, size_t *cap, char *msg,
                     size_t msg_len)
{
    size_t i = 0;
    while (i + 2 < s.len) {
        if (s.s[i] != '0' || s.s[i + 1] != 'x' || !is_hex_lower(s.s[i + 2])) {
            i++;
            continue;
        }
        size_t j = i + 2;
        while (j < s.len && is_hex_lower(s.s[j]))
            j++;
        struct lg_str h = {s.s + i, j - i};
        uint64_t v;
        if (parse_uint(h, 0, &v)) {
            int shown = h.len > 64 ? 64 : (int)h.len;
            snprintf(msg, msg_len, "failed to parse as hex 64-bit number: %.*s", shown, h.s);
            return -1;
        }
        PW_GROW(*addrs, *cap, *n + 1);
        (*addrs)[(*n)++] = v;
        i = j;
    }
    return 0;
}
