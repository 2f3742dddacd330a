/* graph_tables: the lookup tables behind the graph (interned strings, interned NodeInfo keys, a
 * uint64 -> index map with deletion), pprof's NodeSet, and the NodeInfo name formatting
 * (NameComponents, PrintableName, the fmt.Sprint tie-break key) with Go's filepath.Base/Clean.
 * Tables grow with pw_xrealloc and are freed by their _release; strings copied in live in the
 * arena the owner passes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/buf.h"
#include "pprofweb/graph.h"
#include "pprofweb/graph_internal.h"

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return mix64(h);
}

/* --- index tables --- */

static void ix_rehash(struct gx_ixtab *t, const uint64_t *hashes, uint32_t n)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    while (cap < (size_t)n * 2 + 2)
        cap *= 2;
    uint32_t *slots = pw_xcalloc(cap, sizeof *slots);
    for (uint32_t i = 0; i < n; i++) {
        size_t at = hashes[i] & (cap - 1);
        while (slots[at])
            at = (at + 1) & (cap - 1);
        slots[at] = i + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
}

void gx_strtab_init(struct gx_strtab *t, struct pw_arena *arena)
{
    memset(t, 0, sizeof *t);
    t->arena = arena;
}

void gx_strtab_release(struct gx_strtab *t)
{
    free(t->s);
    free(t->len);
    free(t->h);
    free(t->ix.slots);
    memset(t, 0, sizeof *t);
}

uint32_t gx_strtab_intern(struct gx_strtab *t, const char *s, size_t len, bool borrow,
                          bool lookup_only)
{
    uint64_t h = hash_bytes(s, len);
    if (t->ix.cap) {
        size_t mask = t->ix.cap - 1;
        for (size_t at = h & mask;; at = (at + 1) & mask) {
            uint32_t e = t->ix.slots[at];
            if (!e)
                break;
            if (t->h[e - 1] == h && t->len[e - 1] == len && memcmp(t->s[e - 1], s, len) == 0)
                return e - 1;
        }
    }
    if (lookup_only)
        return UINT32_MAX;
    if (((size_t)t->n + 1) * 2 > t->ix.cap)
        ix_rehash(&t->ix, t->h, t->n);
    size_t cap = t->cap, cap_len = t->cap;
    PW_GROW(t->s, cap, (size_t)t->n + 1);
    PW_GROW(t->len, cap_len, (size_t)t->n + 1);
    PW_GROW(t->h, t->cap, (size_t)t->n + 1);
    uint32_t id = t->n++;
    t->s[id] = borrow ? s : pw_arena_strndup(t->arena, s, len);
    t->len[id] = (uint32_t)len;
    t->h[id] = h;
    size_t mask = t->ix.cap - 1;
    size_t at = h & mask;
    while (t->ix.slots[at])
        at = (at + 1) & mask;
    t->ix.slots[at] = id + 1;
    return id;
}

static uint64_t info_hash(const struct gx_info_key *k)
{
    uint64_t h = mix64(k->name + 0x9e3779b97f4a7c15ull);
    h = mix64(h ^ k->orig_name);
    h = mix64(h ^ k->file);
    h = mix64(h ^ k->objfile);
    h = mix64(h ^ k->address);
    h = mix64(h ^ (uint64_t)k->start_line);
    return mix64(h ^ (uint64_t)k->lineno);
}

static bool info_eq(const struct gx_info_key *a, const struct gx_info_key *b)
{
    return a->name == b->name && a->orig_name == b->orig_name && a->file == b->file &&
           a->objfile == b->objfile && a->address == b->address &&
           a->start_line == b->start_line && a->lineno == b->lineno;
}

void gx_infotab_release(struct gx_infotab *t)
{
    free(t->k);
    free(t->h);
    free(t->ix.slots);
    memset(t, 0, sizeof *t);
}

uint32_t gx_infotab_intern(struct gx_infotab *t, const struct gx_info_key *k, bool lookup_only)
{
    uint64_t h = info_hash(k);
    if (t->ix.cap) {
        size_t mask = t->ix.cap - 1;
        for (size_t at = h & mask;; at = (at + 1) & mask) {
            uint32_t e = t->ix.slots[at];
            if (!e)
                break;
            if (t->h[e - 1] == h && info_eq(&t->k[e - 1], k))
                return e - 1;
        }
    }
    if (lookup_only)
        return UINT32_MAX;
    if (((size_t)t->n + 1) * 2 > t->ix.cap)
        ix_rehash(&t->ix, t->h, t->n);
    size_t cap = t->cap;
    PW_GROW(t->k, cap, (size_t)t->n + 1);
    PW_GROW(t->h, t->cap, (size_t)t->n + 1);
    uint32_t id = t->n++;
    t->k[id] = *k;
    t->h[id] = h;
    size_t mask = t->ix.cap - 1;
    size_t at = h & mask;
    while (t->ix.slots[at])
        at = (at + 1) & mask;
    t->ix.slots[at] = id + 1;
    return id;
}

/* --- uint64 map --- */

#define U64_DELETED UINT32_MAX

void gx_u64map_release(struct gx_u64map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

uint32_t *gx_u64map_get(const struct gx_u64map *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t at = mix64(key) & mask;; at = (at + 1) & mask) {
        uint32_t v = m->vals[at];
        if (!v)
            return NULL;
        if (v != U64_DELETED && m->keys[at] == key)
            return &m->vals[at];
    }
}

static void u64map_grow(struct gx_u64map *m)
{
    size_t cap = m->cap ? m->cap : 64;
    while (cap < (m->n + 1) * 3)
        cap *= 2;
    uint64_t *keys = pw_xcalloc(cap, sizeof *keys);
    uint32_t *vals = pw_xcalloc(cap, sizeof *vals);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->vals[i] || m->vals[i] == U64_DELETED)
            continue;
        size_t at = mix64(m->keys[i]) & (cap - 1);
        while (vals[at])
            at = (at + 1) & (cap - 1);
        keys[at] = m->keys[i];
        vals[at] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    m->used = m->n;
}

/* Stores val (< UINT32_MAX - 1) under key, replacing any value. */
void gx_u64map_put(struct gx_u64map *m, uint64_t key, uint32_t val)
{
    uint32_t *slot = gx_u64map_get(m, key);
    if (slot) {
        *slot = val + 1;
        return;
    }
    if ((m->used + 1) * 2 > m->cap)
        u64map_grow(m);
    size_t mask = m->cap - 1;
    size_t at = mix64(key) & mask;
    while (m->vals[at] && m->vals[at] != U64_DELETED)
        at = (at + 1) & mask;
    if (!m->vals[at])
        m->used++;
    m->keys[at] = key;
    m->vals[at] = val + 1;
    m->n++;
}

void gx_u64map_del(struct gx_u64map *m, uint64_t key)
{
    uint32_t *slot = gx_u64map_get(m, key);
    if (slot) {
        *slot = U64_DELETED;
        m->n--;
    }
}

/* --- NodeSet --- */

struct pw_node_set *pw_node_set_new(void)
{
    struct pw_node_set *s = pw_xcalloc(1, sizeof *s);
    pw_arena_init(&s->arena);
    gx_strtab_init(&s->strs, &s->arena);
    return s;
}

static bool set_key(const struct pw_node_set *cs, const struct pw_node_info *info,
                    struct gx_info_key *k, bool insert)
{
    struct pw_node_set *s = (struct pw_node_set *)cs;
    const char *strs[4] = {info->name, info->orig_name, info->file, info->objfile};
    const uint32_t lens[4] = {info->name_len, info->orig_name_len, info->file_len,
                              info->objfile_len};
    uint32_t ids[4];
    for (int i = 0; i < 4; i++) {
        ids[i] = gx_strtab_intern(&s->strs, strs[i], lens[i], false, !insert);
        if (ids[i] == UINT32_MAX)
            return false;
    }
    *k = (struct gx_info_key){.name = ids[0],
                              .orig_name = ids[1],
                              .file = ids[2],
                              .objfile = ids[3],
                              .address = info->address,
                              .start_line = info->start_line,
                              .lineno = info->lineno};
    return true;
}

void pw_node_set_add(struct pw_node_set *s, const struct pw_node_info *info)
{
    struct gx_info_key k;
    set_key(s, info, &k, true);
    gx_infotab_intern(&s->infos, &k, false);
}

void gx_node_set_add_node(struct pw_node_set *s, const struct pw_graph *g, const struct pw_node *n)
{
    pw_node_set_add(s, &n->info);
    const struct gx_graph_priv *pv = g->priv;
    if (!pv->info_of_node || (s->infos_serial && s->infos_serial != pv->infos_serial))
        return;
    if (!s->infos_serial) {
        s->infos_serial = pv->infos_serial;
        s->n_infos = pv->n_infos;
        s->info_in = pw_xcalloc(pv->n_infos ? pv->n_infos : 1, 1);
    }
    s->info_in[pv->info_of_node[n->id]] = 1;
}

bool pw_node_set_has(const struct pw_node_set *s, const struct pw_node_info *info)
{
    struct gx_info_key k;
    if (!set_key(s, info, &k, false))
        return false;
    return gx_infotab_intern((struct gx_infotab *)&s->infos, &k, true) != UINT32_MAX;
}

size_t pw_node_set_count(const struct pw_node_set *s)
{
    return s->infos.n;
}

void pw_node_set_free(struct pw_node_set *s)
{
    if (!s)
        return;
    gx_strtab_release(&s->strs);
    gx_infotab_release(&s->infos);
    pw_arena_release(&s->arena);
    free(s->info_in);
    free(s);
}

bool pw_node_ptr_set_has(const struct pw_node_ptr_set *s, const struct pw_node *n)
{
    return n->id < s->cap && s->has[n->id];
}

void pw_node_ptr_set_release(struct pw_node_ptr_set *s)
{
    free(s->has);
    memset(s, 0, sizeof *s);
}

/* --- names --- */

const char *gx_go_base(const char *path, size_t n, struct pw_arena *arena, uint32_t *len)
{
    *len = 1;
    if (n == 0)
        return ".";
    while (n > 0 && path[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    if (n == 0)
        return "/";
    *len = (uint32_t)(n - start);
    return pw_arena_strndup(arena, path + start, n - start);
}

const char *gx_go_clean(const char *path, size_t n, struct pw_arena *arena, uint32_t *len)
{
    *len = 1;
    if (n == 0)
        return ".";
    char *out = pw_arena_alloc(arena, n + 2);
    bool rooted = path[0] == '/';
    size_t r = 0, w = 0, dotdot = 0;
    if (rooted) {
        out[w++] = '/';
        r = 1;
        dotdot = 1;
    }
    while (r < n) {
        if (path[r] == '/') {
            r++;
        } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
            r++;
        } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
            r += 2;
            if (w > dotdot) {
                w--;
                while (w > dotdot && out[w] != '/')
                    w--;
            } else if (!rooted) {
                if (w > 0)
                    out[w++] = '/';
                out[w++] = '.';
                out[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0))
                out[w++] = '/';
            for (; r < n && path[r] != '/'; r++)
                out[w++] = path[r];
        }
    }
    if (w == 0)
        out[w++] = '.';
    out[w] = 0;
    *len = (uint32_t)w;
    return out;
}

/* The last path element as filepath.Base, appended to out. */
static void add_base(struct pw_buf *out, const char *path, size_t n)
{
    if (n == 0) {
        pw_buf_addc(out, '.');
        return;
    }
    while (n > 0 && path[n - 1] == '/')
        n--;
    if (n == 0) {
        pw_buf_addc(out, '/');
        return;
    }
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    pw_buf_add(out, path + start, n - start);
}

void pw_node_info_name(const struct pw_node_info *i, const char *sep, struct pw_buf *out)
{
    bool first = true;
#define SEP()                                                                                      \
    do {                                                                                           \
        if (!first)                                                                                \
            pw_buf_adds(out, sep);                                                                 \
        first = false;                                                                             \
    } while (0)
    if (i->address != 0) {
        SEP();
        pw_buf_addf(out, "%016" PRIx64, i->address);
    }
    if (i->name_len) {
        SEP();
        pw_buf_add(out, i->name, i->name_len);
    }
    if (i->lineno != 0) {
        SEP();
        pw_buf_add(out, i->file, i->file_len);
        pw_buf_addf(out, ":%" PRId64, i->lineno);
    } else if (i->file_len) {
        SEP();
        pw_buf_add(out, i->file, i->file_len);
    } else if (i->name_len) {
        /* the function name says it all */
    } else if (i->objfile_len) {
        SEP();
        pw_buf_addc(out, '[');
        add_base(out, i->objfile, i->objfile_len);
        pw_buf_addc(out, ']');
    } else {
        SEP();
        pw_buf_adds(out, "<unknown>");
    }
#undef SEP
}

const char *pw_node_info_printable_name(const struct pw_node_info *info, struct pw_arena *arena,
                                        uint32_t *len)
{
    struct pw_buf b;
    pw_buf_init(&b, 0);
    pw_node_info_name(info, " ", &b);
    const char *s = pw_arena_strndup(arena, pw_buf_str(&b), b.len);
    *len = (uint32_t)b.len;
    pw_buf_release(&b);
    return s;
}

/* The characters of pprof's NodeInfo sort key, Go's "%v" of the struct: "{name orig_name address
 * file start_line lineno objfile}", one at a time, so comparing two keys builds no string. */
struct key_chars {
    const char *part[15];
    size_t len[15];
    char num[3][24];
    int n, i;
    size_t at; /* in part[i] */
};

static const char *decimal(char *buf, size_t cap, uint64_t v, bool negative)
{
    char *p = buf + cap - 1;
    *p = 0;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (negative)
        *--p = '-';
    return p;
}

static const char *signed_decimal(char *buf, size_t cap, int64_t v)
{
    return decimal(buf, cap, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

static void key_chars_init(struct key_chars *k, const struct pw_node_info *in)
{
    const char *parts[] = {
        "{", in->name, " ", in->orig_name, " ",
        decimal(k->num[0], sizeof k->num[0], in->address, false), " ", in->file, " ",
        signed_decimal(k->num[1], sizeof k->num[1], in->start_line), " ",
        signed_decimal(k->num[2], sizeof k->num[2], in->lineno), " ", in->objfile, "}"};
    memcpy(k->part, parts, sizeof parts);
    k->n = (int)(sizeof parts / sizeof *parts);
    for (int i = 0; i < k->n; i++)
        k->len[i] = strlen(parts[i]);
    /* The strings may hold NUL bytes. */
    k->len[1] = in->name_len;
    k->len[3] = in->orig_name_len;
    k->len[7] = in->file_len;
    k->len[13] = in->objfile_len;
    k->i = 0;
    k->at = 0;
}

static int key_next(struct key_chars *k)
{
    while (k->at == k->len[k->i]) {
        if (++k->i >= k->n)
            return -1;
        k->at = 0;
    }
    return (unsigned char)k->part[k->i][k->at++];
}

int pw_node_info_key_cmp(const struct pw_node_info *a, const struct pw_node_info *b)
{
    /* Both keys start with "{name": names that differ before either ends decide. */
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = memcmp(a->name, b->name, n);
    if (c)
        return c < 0 ? -1 : 1;
    struct key_chars x, y;
    key_chars_init(&x, a);
    key_chars_init(&y, b);
    for (;;) {
        int cx = key_next(&x), cy = key_next(&y);
        if (cx != cy)
            return cx < cy ? -1 : 1;
        if (cx < 0)
            return 0;
    }
}

/* --- ShortenFunctionName ---
 * pprof applies five fixed regular expressions (RE2 syntax, leftmost-first). They are simple
 * enough to match by hand, which keeps this module free of a regexp engine. In RE2, '.' does not
 * match '\n' and \w is [0-9A-Za-z_]; bytes outside ASCII are never word characters. */

static bool is_word(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ^(.*?)/v(?:[2-9]|[1-9][0-9]+)([./].*)$ -> $1$2: the length of the version part to cut at
 * *at, or false. */
static bool go_version(const char *s, size_t n, size_t *at, size_t *cut)
{
    if (memchr(s, '\n', n))
        return false;
    for (size_t i = 0; i + 2 < n; i++) {
        if (s[i] != '/' || s[i + 1] != 'v')
            continue;
        size_t d = 0;
        while (i + 2 + d < n && is_digit(s[i + 2 + d]))
            d++;
        char first = s[i + 2];
        bool ok = (d == 1 && first >= '2' && first <= '9') || (d >= 2 && first != '0');
        if (!ok || i + 2 + d >= n)
            continue;
        char next = s[i + 2 + d];
        if (next != '.' && next != '/')
            continue;
        *at = i;
        *cut = 2 + d;
        return true;
    }
    return false;
}

/* ^(?:[\w\-\.]+\/)+(.+): start and length of the captured group. */
static bool go_name(const char *s, size_t n, size_t *gs, size_t *gl)
{
    size_t pos[2] = {0, 0}; /* the last two iteration ends */
    size_t k = 0, p = 0;
    for (;;) {
        size_t q = p;
        while (q < n && (is_word(s[q]) || s[q] == '-' || s[q] == '.'))
            q++;
        if (q == p || q >= n || s[q] != '/')
            break;
        p = q + 1;
        pos[0] = pos[1];
        pos[1] = p;
        k++;
    }
    if (k == 0)
        return false;
    size_t start = pos[1];
    if (start >= n || s[start] == '\n') {
        if (k == 1)
            return false;
        start = pos[0];
    }
    size_t end = start;
    while (end < n && s[end] != '\n')
        end++;
    *gs = start;
    *gl = end - start;
    return true;
}

/* ^(?:[a-z]\w*\.)*([A-Z][\w\$]*\.(?:<init>|[a-z][\w\$]*(?:\$\d+)?))(?:(?:\()|$) */
static bool java_name(const char *s, size_t n, size_t *gs, size_t *gl)
{
    size_t p = 0;
    for (;;) {
        if (p >= n || !is_lower(s[p]))
            break;
        size_t q = p + 1;
        while (q < n && is_word(s[q]))
            q++;
        if (q >= n || s[q] != '.')
            break;
        p = q + 1;
    }
    if (p >= n || !is_upper(s[p]))
        return false;
    size_t start = p, q = p + 1;
    while (q < n && (is_word(s[q]) || s[q] == '$'))
        q++;
    if (q >= n || s[q] != '.')
        return false;
    q++;
    if (n - q >= 6 && memcmp(s + q, "<init>", 6) == 0) {
        q += 6;
    } else if (q < n && is_lower(s[q])) {
        q++;
        while (q < n && (is_word(s[q]) || s[q] == '$'))
            q++;
    } else {
        return false;
    }
    if (q != n && s[q] != '(')
        return false;
    *gs = start;
    *gl = q - start;
    return true;
}

/* ^(?:[_a-zA-Z]\w*::)+(_*[A-Z]\w*::~?[_a-zA-Z]\w*(?:<.*>)?) */
static size_t cpp_segment(const char *s, size_t n, size_t p)
{
    if (p >= n || !(is_word(s[p]) && !is_digit(s[p])))
        return 0;
    size_t q = p + 1;
    while (q < n && is_word(s[q]))
        q++;
    if (q + 1 >= n || s[q] != ':' || s[q + 1] != ':')
        return 0;
    return q + 2 - p;
}

static size_t cpp_group(const char *s, size_t n, size_t p)
{
    size_t q = p;
    while (q < n && s[q] == '_')
        q++;
    if (q >= n || !is_upper(s[q]))
        return 0;
    q++;
    while (q < n && is_word(s[q]))
        q++;
    if (q + 1 >= n || s[q] != ':' || s[q + 1] != ':')
        return 0;
    q += 2;
    if (q < n && s[q] == '~')
        q++;
    if (q >= n || !(is_word(s[q]) && !is_digit(s[q])))
        return 0;
    q++;
    while (q < n && is_word(s[q]))
        q++;
    if (q < n && s[q] == '<') {
        size_t last = 0;
        for (size_t r = q + 1; r < n && s[r] != '\n'; r++)
            if (s[r] == '>')
                last = r;
        if (last)
            q = last + 1;
    }
    return q - p;
}

static bool cpp_name(const char *s, size_t n, size_t *gs, size_t *gl)
{
    size_t ends[64];
    size_t k = 0, p = 0, len;
    size_t *v = ends, cap = 64;
    while ((len = cpp_segment(s, n, p)) > 0) {
        p += len;
        if (k == cap) {
            size_t *nv = pw_xmalloc(cap * 2 * sizeof *nv);
            memcpy(nv, v, k * sizeof *nv);
            if (v != ends)
                free(v);
            v = nv;
            cap *= 2;
        }
        v[k++] = p;
    }
    bool found = false;
    for (size_t j = k; j > 0 && !found; j--) {
        size_t g = cpp_group(s, n, v[j - 1]);
        if (g) {
            *gs = v[j - 1];
            *gl = g;
            found = true;
        }
    }
    if (v != ends)
        free(v);
    return found;
}

void pw_shorten_function_name(const char *name, size_t len, struct pw_buf *out)
{
    const char *s = name;
    size_t n = len;
    static const char anon[] = "(anonymous namespace)::";
    if (n >= sizeof anon - 1 && memcmp(s, anon, sizeof anon - 1) == 0) {
        s += sizeof anon - 1;
        n -= sizeof anon - 1;
    }
    char *tmp = NULL;
    size_t at, cut;
    if (go_version(s, n, &at, &cut)) {
        tmp = pw_xmalloc(n + 1);
        memcpy(tmp, s, at);
        memcpy(tmp + at, s + at + cut, n - at - cut);
        n -= cut;
        tmp[n] = 0;
        s = tmp;
    }
    size_t gs, gl;
    if (go_name(s, n, &gs, &gl) || java_name(s, n, &gs, &gl) || cpp_name(s, n, &gs, &gl))
        pw_buf_add(out, s + gs, gl);
    else
        pw_buf_add(out, s, n);
    free(tmp);
}
