/* gonames: names for Go's ?debug=1 pages from their own comment lines.
 *
 * Go's runtime/pprof writes, under each stack of a debug=1 page, one comment line per frame:
 * "#\t0x4d1cc4\tmain.remember+0x1e4\texample.com/shop/main.go:47" (the heap page pads the
 * columns with more tabs). The address is the frame's PC, which is the stack's return address
 * minus one: exactly the address pprof's legacy parsers give the location. Go leaves out leading
 * runtime frames and runtime.goexit, so comments are matched to locations by address, never by
 * position; inlined calls print several lines with one address, innermost first, and become one
 * location's lines. In a stack that has named frames, the unnamed frames before the first named
 * one are the runtime frames Go left out (PW_GONAMES_HIDDEN, which heap profiles' drop_frames
 * removes as pprof would the real runtime.mallocgc...), and an unnamed root is runtime.goexit.
 * Other addresses without comments keep no name.
 *
 * In: the page's text and the profile decoded from it. Out: p->comment_frames (read), then
 * names on the locations (apply). Everything is in the profile's arena; frames are bounded by
 * PW_MAX_TABLE_ENTRIES and lines by the scanner's input. */
#include "pprofweb/gonames.h"

#include <stdlib.h>
#include <string.h>

#include "pprofweb/limits.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses one comment line (without its newline). 1: a frame; 0: not a frame line (another
 * comment, or an address alone); -1: a frame line that is malformed (why set). */
static int frame_line(const char *s, size_t n, uint64_t *addr, const char **fn, size_t *fn_len,
                      const char **file, size_t *file_len, int64_t *line, const char **why)
{
    size_t i = 1; /* past '#' */
    while (i < n && is_space(s[i]))
        i++;
    if (i + 2 > n || s[i] != '0' || (s[i + 1] != 'x' && s[i + 1] != 'X'))
        return 0;
    i += 2;
    uint64_t a = 0;
    size_t digits = 0;
    for (; i < n && hexval(s[i]) >= 0; i++, digits++) {
        if (a >> 60) {
            *why = "address past 64 bits";
            return -1;
        }
        a = a << 4 | (uint64_t)hexval(s[i]);
    }
    if (digits == 0)
        return 0;
    if (i < n && !is_space(s[i])) {
        *why = "address is not hexadecimal";
        return -1;
    }
    while (i < n && is_space(s[i]))
        i++;
    if (i == n)
        return 0; /* "#\t0x...": Go knew no function for it */
    /* The function (it may hold spaces, as generic shapes do, but no tab) ends at a tab. */
    size_t f0 = i;
    while (i < n && s[i] != '\t')
        i++;
    size_t f1 = i;
    /* Drop "+0xOFF". */
    for (size_t k = f1; k > f0; k--) {
        if (s[k - 1] == '+') {
            if (k + 1 < f1 && s[k] == '0' && s[k + 1] == 'x')
                f1 = k - 1;
            break;
        }
    }
    while (i < n && is_space(s[i]))
        i++;
    size_t e = n;
    while (e > i && is_space(s[e - 1]))
        e--;
    size_t colon = e;
    while (colon > i && s[colon - 1] != ':')
        colon--;
    if (f1 == f0 || colon <= i + 1 || colon == e) {
        *why = "want \"#\\tADDRESS\\tFUNCTION+OFFSET\\tFILE:LINE\"";
        return -1;
    }
    int64_t ln = 0;
    for (size_t k = colon; k < e; k++) {
        if (s[k] < '0' || s[k] > '9' || ln > (INT64_MAX - 9) / 10) {
            *why = "line number is not a number";
            return -1;
        }
        ln = ln * 10 + (s[k] - '0');
    }
    *addr = a;
    *fn = s + f0;
    *fn_len = f1 - f0;
    *file = s + i;
    *file_len = colon - 1 - i;
    *line = ln;
    return 1;
}

int pw_gonames_read(struct pw_profile *p, const char *text, size_t len, struct pw_err *err)
{
    struct pw_comment_frame *frames = NULL;
    size_t n = 0, cap = 0, lineno = 0;
    for (size_t pos = 0; pos < len;) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - s) : len - pos;
        pos += l + 1;
        lineno++;
        if (l == 0 || s[0] != '#')
            continue;
        uint64_t addr;
        const char *fn, *file, *why = NULL;
        size_t fn_len, file_len;
        int64_t line;
        int rc = frame_line(s, l, &addr, &fn, &fn_len, &file, &file_len, &line, &why);
        if (rc < 0) {
            free(frames);
            return pw_fail(err, PW_ECORRUPT, "line %zu: malformed frame comment: %s", lineno,
                           why);
        }
        if (rc == 0)
            continue;
        if (n == PW_MAX_TABLE_ENTRIES) {
            free(frames);
            return pw_fail(err, PW_ETOOBIG, "line %zu: more than %zu frame comments (limit)",
                           lineno, PW_MAX_TABLE_ENTRIES);
        }
        if (fn_len > PW_MAX_STRING || file_len > PW_MAX_STRING) {
            free(frames);
            return pw_fail(err, PW_ECORRUPT, "line %zu: name longer than %zu bytes", lineno,
                           PW_MAX_STRING);
        }
        PW_GROW(frames, cap, n + 1);
        frames[n].addr = addr;
        frames[n].function = pw_intern(p, fn, fn_len);
        frames[n].file = pw_intern(p, file, file_len);
        frames[n].line = line;
        n++;
    }
    struct pw_comment_frame *kept = NULL;
    if (n) {
        kept = pw_arena_alloc(&p->arena, n * sizeof(*kept));
        memcpy(kept, frames, n * sizeof(*kept));
    }
    free(frames);
    p->comment_frames = kept;
    p->n_comment_frames = (uint32_t)n;
    return 0;
}

/* An address's first run of frames in the comments. */
struct run {
    uint64_t addr;
    uint32_t first, n;
};

static int run_cmp(const void *a, const void *b)
{
    const struct run *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* Open addressing from (name, file) to a function index. */
struct fn_table {
    uint64_t *keys;
    uint32_t *vals; /* index + 1; 0 empty */
    size_t cap;
};

static uint32_t function_for(struct pw_profile *p, struct fn_table *t, pw_str name, pw_str file)
{
    uint64_t key = (uint64_t)name << 32 | file;
    size_t i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (t->cap - 1);
    for (; t->vals[i]; i = (i + 1) & (t->cap - 1))
        if (t->keys[i] == key)
            return t->vals[i] - 1;
    struct pw_function *f = pw_add_function(p);
    f->id = p->n_functions;
    f->name = f->system_name = name;
    f->filename = file;
    t->keys[i] = key;
    t->vals[i] = p->n_functions;
    return p->n_functions - 1;
}

static void name_one(struct pw_profile *p, struct fn_table *t, struct pw_location *l,
                     pw_str name, pw_str file)
{
    l->lines = pw_arena_calloc(&p->arena, 1, sizeof(*l->lines));
    l->n_lines = 1;
    l->lines[0].function = function_for(p, t, name, file);
}

size_t pw_gonames_apply(struct pw_profile *p)
{
    size_t n = p->n_comment_frames;
    if (n == 0)
        return 0;
    const struct pw_comment_frame *fr = p->comment_frames;
    struct run *runs = pw_xmalloc(n * sizeof(*runs));
    size_t n_runs = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && fr[i].addr == fr[i - 1].addr) {
            runs[n_runs - 1].n++;
            continue;
        }
        runs[n_runs++] = (struct run){fr[i].addr, (uint32_t)i, 1};
    }
    qsort(runs, n_runs, sizeof(*runs), run_cmp);
    /* Function ids continue after the profile's own (a legacy page has none). */
    uint64_t max_id = 0;
    for (uint32_t i = 0; i < p->n_functions; i++)
        if (p->functions[i].id > max_id)
            max_id = p->functions[i].id;
    struct fn_table t = {0};
    t.cap = 64;
    while (t.cap < 2 * n)
        t.cap *= 2;
    t.keys = pw_xcalloc(t.cap, sizeof(*t.keys));
    t.vals = pw_xcalloc(t.cap, sizeof(*t.vals));
    uint32_t first_new = p->n_functions;
    size_t named = 0;
    for (uint32_t li = 0; li < p->n_locations; li++) {
        struct pw_location *l = &p->locations[li];
        if (l->n_lines)
            continue;
        size_t lo = 0, hi = n_runs;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (runs[mid].addr < l->address)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == n_runs || runs[lo].addr != l->address)
            continue;
        const struct run *r = &runs[lo];
        l->lines = pw_arena_calloc(&p->arena, r->n, sizeof(*l->lines));
        l->n_lines = r->n;
        for (uint32_t k = 0; k < r->n; k++) {
            const struct pw_comment_frame *f = &fr[r->first + k];
            l->lines[k].function = function_for(p, &t, f->function, f->file);
            l->lines[k].line = f->line;
        }
        if (l->mapping != PW_NONE) {
            struct pw_mapping *m = &p->mappings[l->mapping];
            m->has_functions = m->has_filenames = m->has_line_numbers = true;
            m->has_inline_frames = true;
        }
        named++;
    }
    if (named) {
        /* What Go left out: leading runtime frames and runtime.goexit at the root. */
        pw_str none = pw_intern_cstr(p, "");
        pw_str hidden = pw_intern_cstr(p, PW_GONAMES_HIDDEN);
        pw_str goexit = pw_intern_cstr(p, "runtime.goexit");
        for (size_t si = 0; si < p->n_samples; si++) {
            const struct pw_sample *sm = &p->samples[si];
            uint32_t k = 0;
            while (k < sm->n_locs && p->locations[sm->locs[k]].n_lines == 0)
                k++;
            if (k == sm->n_locs)
                continue;
            for (uint32_t j = 0; j < k; j++)
                name_one(p, &t, &p->locations[sm->locs[j]], hidden, none);
            struct pw_location *root = &p->locations[sm->locs[sm->n_locs - 1]];
            if (root->n_lines == 0)
                name_one(p, &t, root, goexit, none);
        }
    }
    for (uint32_t i = first_new; i < p->n_functions; i++)
        p->functions[i].id = max_id + (i - first_new) + 1;
    free(t.keys);
    free(t.vals);
    free(runs);
    if (named)
        p->names_from_comments = true;
    return named;
}
