/* symbolz: names from a live service's symbol endpoint, as pprof's internal/symbolz.
 *
 * A Go service's legacy text pages (heap?debug=1, goroutine?debug=1, ...) carry addresses only;
 * pprof names them by POSTing "0x4d1cc4+0x4d1e02+..." to /debug/pprof/symbol, which answers
 * "num_symbols: 1" then one "0x4d1cc4 main.remember" line per address it knows. Each name
 * becomes a function whose name and system name are the answer (no file, no line), shared by
 * the addresses that answer with it; a location gets one line of it. Mappings asked are marked
 * as having functions, as pprof marks them.
 *
 * In: a profile fetched from a URL, before merging (its mappings are that URL's, so pprof's
 * offset for merged mappings is zero). Out: the profile, named in place. The request is bounded by
 * the profile's size, the answer by PW_MAX_SYMBOLZ_ANSWER; answer lines are untrusted text and
 * become interned strings (PW_MAX_STRING applies through the name's line). Not here: local
 * binaries (pprofweb runs no binutils) and the fallback to a page's comments (source.c). */
#include "pprofweb/symbolz.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/fetch.h"
#include "pprofweb/limits.h"

bool pw_symbolz_wanted(const char *mode, bool *force)
{
    bool remote = true;
    *force = false;
    if (!mode)
        return true;
    char opts[256];
    size_t n = strlen(mode);
    if (n >= sizeof(opts))
        return false; /* pw_symbolize refuses it */
    for (size_t i = 0; i <= n; i++)
        opts[i] = (char)tolower((unsigned char)mode[i]);
    for (char *save = NULL, *o = strtok_r(opts, ":", &save); o; o = strtok_r(NULL, ":", &save)) {
        if (!strcmp(o, "none") || !strcmp(o, "no"))
            return false;
        if (!strcmp(o, "local") || !strcmp(o, "fastlocal"))
            remote = false;
        else if (!strcmp(o, "remote"))
            remote = true;
        else if (!strcmp(o, "force") || !strcmp(o, "demangle=full") ||
                 !strcmp(o, "demangle=none") || !strcmp(o, "demangle=templates"))
            *force = true;
    }
    return remote;
}

static bool has_suffix(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && !memcmp(s + n - k, suffix, k);
}

/* Go's path.Clean of a rooted path (path[0] == '/'), into out (at least n + 1 bytes). */
static void clean_path(const char *path, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && path[i] == '/')
            i++;
        size_t j = i;
        while (j < n && path[j] != '/')
            j++;
        size_t k = j - i;
        if (k == 1 && path[i] == '.') {
            /* nothing */
        } else if (k == 2 && path[i] == '.' && path[i + 1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--; /* the slash before the dropped element */
        } else if (k) {
            out[o++] = '/';
            memcpy(out + o, path + i, k);
            o += k;
        }
        i = j;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = 0;
}

char *pw_symbolz_url(const char *url)
{
    const char *sep = strstr(url, "://");
    if (!sep || sep == url)
        return NULL;
    const char *host = sep + 3;
    size_t host_len = strcspn(host, "/?#");
    if (host_len == 0)
        return NULL;
    const char *path = host + host_len;
    size_t path_len = strcspn(path, "?#");
    static const char *const gperftools[] = {"/pprof/heap", "/pprof/growth", "/pprof/profile",
                                             "/pprof/pmuprofile", "/pprof/contention"};
    bool go = memmem(path, path_len, "/debug/pprof/", 13) != NULL;
    for (size_t i = 0; i < sizeof(gperftools) / sizeof(*gperftools); i++)
        go = go || has_suffix(path, path_len, gperftools[i]);
    const char *tail = go ? "/../symbol" : "/../symbolz";
    size_t raw_len = path_len + strlen(tail) + 1;
    char *raw = pw_xmalloc(raw_len + 1);
    /* url.Path is rooted once a host is given. */
    size_t r = 0;
    if (path_len == 0 || path[0] != '/')
        raw[r++] = '/';
    memcpy(raw + r, path, path_len);
    r += path_len;
    strcpy(raw + r, tail);
    r += strlen(tail);
    size_t head = (size_t)(path - url);
    char *out = pw_xmalloc(head + r + 2);
    memcpy(out, url, head);
    clean_path(raw, r, out + head);
    free(raw);
    return out;
}

size_t pw_symbolz_query(const struct pw_profile *p, uint32_t m, struct pw_buf *out)
{
    size_t n = 0;
    for (uint32_t i = 0; i < p->n_locations; i++) {
        const struct pw_location *l = &p->locations[i];
        if (l->mapping != m || l->address == 0 || l->n_lines) /* pprof asks these only */
            continue;
        pw_buf_addf(out, "%s%#llx", n ? "+" : "", (unsigned long long)l->address);
        n++;
    }
    return n;
}

struct answer {
    uint64_t addr;
    size_t order; /* the answer's line: the last line for an address wins */
    pw_str name;
};

static int answer_cmp(const void *a, const void *b)
{
    const struct answer *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static bool is_hex(char c)
{
    return isxdigit((unsigned char)c) != 0;
}

/* Go's \s. */
static bool is_go_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* pprof's `(0x[[:xdigit:]]+)\s+(.*)` on one line (with its '\n'): the first place it matches.
 * 1 with the address digits and the name; 0 when the line does not match. */
static int match_line(const char *s, size_t n, const char **hex, size_t *hex_len,
                      const char **name, size_t *name_len)
{
    for (size_t i = 0; i + 2 < n; i++) {
        if (s[i] != '0' || s[i + 1] != 'x' || !is_hex(s[i + 2]))
            continue;
        size_t j = i + 2;
        while (j < n && is_hex(s[j]))
            j++;
        if (j == n || !is_go_space(s[j]))
            continue;
        size_t k = j;
        while (k < n && is_go_space(s[k]))
            k++;
        size_t e = k;
        while (e < n && s[e] != '\n')
            e++;
        *hex = s + i + 2;
        *hex_len = j - i - 2;
        *name = s + k;
        *name_len = e - k;
        return 1;
    }
    return 0;
}

/* Functions of one answer, by name: an open-addressing table of name -> function index + 1. */
struct fn_table {
    pw_str *names;
    uint32_t *fns;
    size_t cap;
    uint64_t next_id; /* ids continue after the profile's own */
};

static uint32_t function_for(struct pw_profile *p, struct fn_table *t, pw_str name)
{
    size_t h = ((size_t)name * 2654435761u) & (t->cap - 1);
    while (t->fns[h] && t->names[h] != name)
        h = (h + 1) & (t->cap - 1);
    if (t->fns[h])
        return t->fns[h] - 1;
    struct pw_function *f = pw_add_function(p);
    f->id = t->next_id++;
    f->name = f->system_name = name;
    t->names[h] = name;
    t->fns[h] = p->n_functions;
    return p->n_functions - 1;
}

long pw_symbolz_answer(struct pw_profile *p, uint32_t m, const char *text, size_t len,
                       struct pw_err *err)
{
    struct answer *ans = NULL;
    size_t n = 0, cap = 0, lineno = 0;
    /* Read every line first: an address that does not parse leaves p as it was. */
    struct {
        const char *name;
        size_t len;
    } *names = NULL;
    size_t cap_names = 0;
    for (size_t pos = 0; pos < len;) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        if (!nl)
            break; /* pprof reads whole lines only */
        size_t l = (size_t)(nl - s) + 1;
        pos += l;
        lineno++;
        const char *hex, *name;
        size_t hex_len, name_len;
        if (!match_line(s, l, &hex, &hex_len, &name, &name_len))
            continue;
        while (hex_len > 1 && hex[0] == '0')
            hex++, hex_len--;
        if (hex_len > 16) {
            free(ans);
            free(names);
            return pw_fail(err, PW_ECORRUPT, "symbol answer line %zu: address past 64 bits",
                           lineno);
        }
        uint64_t a = 0;
        for (size_t k = 0; k < hex_len; k++)
            a = a << 4 | (uint64_t)(isdigit((unsigned char)hex[k])
                                        ? hex[k] - '0'
                                        : tolower((unsigned char)hex[k]) - 'a' + 10);
        PW_GROW(ans, cap, n + 1);
        PW_GROW(names, cap_names, n + 1);
        ans[n] = (struct answer){a, n, 0};
        names[n].name = name;
        names[n].len = name_len;
        n++;
    }
    long named = 0;
    if (n) {
        struct fn_table t = {0};
        t.cap = 16;
        while (t.cap < 2 * n)
            t.cap *= 2;
        t.names = pw_xcalloc(t.cap, sizeof(*t.names));
        t.fns = pw_xcalloc(t.cap, sizeof(*t.fns));
        for (uint32_t i = 0; i < p->n_functions; i++)
            if (p->functions[i].id >= t.next_id)
                t.next_id = p->functions[i].id + 1;
        if (t.next_id == 0)
            t.next_id = 1;
        /* Functions in the answer's order, as pprof creates them. */
        uint32_t *fn_of = pw_xmalloc(n * sizeof(*fn_of));
        for (size_t i = 0; i < n; i++) {
            ans[i].name = pw_intern(p, names[i].name, names[i].len);
            fn_of[i] = function_for(p, &t, ans[i].name);
        }
        qsort(ans, n, sizeof(*ans), answer_cmp);
        for (uint32_t li = 0; li < p->n_locations; li++) {
            struct pw_location *l = &p->locations[li];
            if (l->mapping != m)
                continue;
            size_t lo = 0, hi = n;
            while (lo < hi) { /* the last answer for the address */
                size_t mid = lo + (hi - lo) / 2;
                if (ans[mid].addr <= l->address)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo == 0 || ans[lo - 1].addr != l->address)
                continue;
            l->lines = pw_arena_calloc(&p->arena, 1, sizeof(*l->lines));
            l->n_lines = 1;
            l->lines[0].function = fn_of[ans[lo - 1].order];
            named++;
        }
        free(fn_of);
        free(t.names);
        free(t.fns);
    }
    free(ans);
    free(names);
    return named;
}

long pw_symbolz(struct pw_profile *p, const char *url, bool force, int timeout,
                struct pw_err *err)
{
    char *endpoint = pw_symbolz_url(url);
    if (!endpoint)
        return 0; /* pprof has no symbol source for it */
    long named = 0;
    for (uint32_t m = 0; m < p->n_mappings && named >= 0; m++) {
        if (!force && p->mappings[m].has_functions)
            continue;
        struct pw_buf q;
        pw_buf_init(&q, PW_MAX_BUF);
        unsigned char *data = NULL;
        size_t len = 0;
        if (pw_symbolz_query(p, m, &q) == 0) {
            p->mappings[m].has_functions = true;
        } else if (pw_fetch_post(endpoint, pw_buf_str(&q), q.len, timeout,
                                 PW_MAX_SYMBOLZ_ANSWER, &data, &len, err)) {
            named = -1;
        } else {
            long k = pw_symbolz_answer(p, m, (const char *)data, len, err);
            if (k < 0)
                pw_err_prefix(err, "%s: ", endpoint);
            named = k < 0 ? -1 : named + k;
            if (k >= 0)
                p->mappings[m].has_functions = true;
        }
        free(data);
        pw_buf_release(&q);
    }
    free(endpoint);
    return named;
}
