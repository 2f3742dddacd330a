/* query: URL parameters <-> struct pw_config, with pprof's parameter names and value syntax.
 *
 * In: raw query strings (from a URL) or already-decoded pairs (from the HTTP library). Out: a
 * struct pw_config whose strings point into the parameter list's arena, or a query string built
 * in a caller's pw_buf. Values are checked here for syntax only (numbers, booleans, choices);
 * regexps, sample types and tag filters are checked by the modules that use them, against the
 * profile. Numbers that would make later arithmetic overflow (fractions outside [0, 1], NaN) are
 * refused here, where pprof would silently accept them. */
#include "pprofweb/query.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pprofweb/buf.h"

enum kind { K_STR, K_BOOL, K_INT, K_FLOAT, K_SORT, K_GRAN, K_UNIT, K_IGNORED_BOOL };

struct field {
    const char *param;
    const char *name; /* pprof's config field name, used in messages */
    enum kind kind;
    size_t off;
};

#define F(x) offsetof(struct pw_config, x)

/* Sorted by param, so formatting writes keys in url.Values.Encode order. */
static const struct field fields[] = {
    {"calltree", "call_tree", K_BOOL, F(call_tree)},
    {"compact", "compact_labels", K_BOOL, F(compact_labels)},
    {"dropneg", "drop_negative", K_BOOL, F(drop_negative)},
    {"ef", "edgefraction", K_FLOAT, F(edgefraction)},
    {"f", "focus", K_STR, F(focus)},
    {"g", "granularity", K_GRAN, F(granularity)},
    {"h", "hide", K_STR, F(hide)},
    {"i", "ignore", K_STR, F(ignore)},
    {"intel", "intel_syntax", K_IGNORED_BOOL, 0},
    {"mean", "mean", K_BOOL, F(mean)},
    {"n", "nodecount", K_INT, F(nodecount)},
    {"nf", "nodefraction", K_FLOAT, F(nodefraction)},
    {"noinlines", "noinlines", K_BOOL, F(noinlines)},
    {"norm", "normalize", K_BOOL, F(normalize)},
    {"prunefrom", "prune_from", K_STR, F(prune_from)},
    {"rel", "relative_percentages", K_BOOL, F(relative_percentages)},
    {"s", "show", K_STR, F(show)},
    {"sf", "show_from", K_STR, F(show_from)},
    {"si", "sample_index", K_STR, F(sample_index)},
    {"sort", "sort", K_SORT, F(sort_cum)},
    {"tf", "tagfocus", K_STR, F(tagfocus)},
    {"th", "taghide", K_STR, F(taghide)},
    {"ti", "tagignore", K_STR, F(tagignore)},
    {"trim", "trim", K_BOOL, F(trim)},
    {"ts", "tagshow", K_STR, F(tagshow)},
    {"unit", "unit", K_UNIT, F(unit)},
};
#define N_FIELDS (sizeof(fields) / sizeof(*fields))

const struct pw_query_name pw_query_names[] = {
    {"si", "sample_index"}, {"f", "focus"},        {"i", "ignore"},
    {"h", "hide"},          {"s", "show"},         {"sf", "show_from"},
    {"prunefrom", "prune_from"}, {"tf", "tagfocus"}, {"ti", "tagignore"},
    {"ts", "tagshow"},      {"th", "taghide"},     {"g", "granularity"},
    {"n", "nodecount"},     {"nf", "nodefraction"}, {"ef", "edgefraction"},
    {"trim", "trim"},       {"calltree", "call_tree"}, {"rel", "relative_percentages"},
    {"unit", "unit"},       {"sort", "sort"},      {"dropneg", "drop_negative"},
    {"mean", "mean"},       {"noinlines", "noinlines"}, {"compact", "compact_labels"},
    {"norm", "normalize"},  {NULL, NULL},
};

int pw_params_add(struct pw_params *ps, struct pw_arena *arena, const char *key,
                  const char *value, struct pw_err *err)
{
    if (!value)
        value = "";
    if (ps->n >= PW_MAX_PARAMS)
        return pw_fail(err, PW_EINVAL, "too many URL parameters (limit %d)", PW_MAX_PARAMS);
    if (strlen(value) > PW_MAX_PARAM_LEN || strlen(key) > PW_MAX_PARAM_LEN)
        return pw_fail(err, PW_EINVAL, "URL parameter %.40s is too long (limit %d bytes)", key,
                       PW_MAX_PARAM_LEN);
    PW_GROW(ps->v, ps->cap, ps->n + 1);
    ps->v[ps->n].key = pw_arena_strdup(arena, key);
    ps->v[ps->n].value = pw_arena_strdup(arena, value);
    ps->n++;
    return 0;
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

/* Decodes s[0..n) in place into dst (which holds at least n + 1 bytes). */
static int unescape(const char *s, size_t n, char *dst, struct pw_err *err)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            dst[o++] = ' ';
        } else if (s[i] == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return pw_fail(err, PW_EINVAL, "bad escape \"%.3s\" in URL query", s + i);
            char c = (char)(hi << 4 | lo);
            if (c == 0)
                return pw_fail(err, PW_EINVAL, "NUL byte in URL query");
            dst[o++] = c;
            i += 2;
        } else {
            dst[o++] = s[i];
        }
    }
    dst[o] = 0;
    return 0;
}

int pw_params_parse(struct pw_params *ps, struct pw_arena *arena, const char *raw,
                    struct pw_err *err)
{
    if (!raw)
        return 0;
    const char *p = raw;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            size_t vlen = eq ? len - klen - 1 : 0;
            if (klen > PW_MAX_PARAM_LEN || vlen > 3 * PW_MAX_PARAM_LEN)
                return pw_fail(err, PW_EINVAL, "URL parameter is too long (limit %d bytes)",
                               PW_MAX_PARAM_LEN);
            char *k = pw_arena_alloc(arena, klen + 1);
            char *v = pw_arena_alloc(arena, vlen + 1);
            if (unescape(p, klen, k, err) || unescape(eq ? eq + 1 : "", vlen, v, err))
                return -1;
            if (pw_params_add(ps, arena, k, v, err))
                return -1;
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    return 0;
}

const char *pw_params_get(const struct pw_params *ps, const char *key)
{
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->v[i].key, key) == 0)
            return ps->v[i].value;
    return NULL;
}

void pw_params_release(struct pw_params *ps)
{
    free(ps->v);
    ps->v = NULL;
    ps->n = ps->cap = 0;
}

/* pprof's stringToBool, without the empty string (an empty parameter is skipped earlier). */
static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "t", "yes", "y", "1"};
    static const char *const no[] = {"false", "f", "no", "n", "0"};
    for (size_t i = 0; i < 5; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static int set_field(struct pw_config *cfg, const struct field *f, const char *v,
                     struct pw_err *err)
{
    char *base = (char *)cfg;
    char *end;
    switch (f->kind) {
    case K_STR:
        *(const char **)(base + f->off) = *v ? v : NULL;
        return 0;
    case K_UNIT:
        *(const char **)(base + f->off) = *v ? v : "minimum";
        return 0;
    case K_BOOL:
    case K_IGNORED_BOOL: {
        bool b;
        if (parse_bool(v, &b))
            return pw_fail(err, PW_EINVAL, "error setting config field %s: illegal value \"%.64s\" "
                           "for bool variable (want t or f)", f->name, v);
        if (f->kind == K_BOOL)
            *(bool *)(base + f->off) = b;
        return 0;
    }
    case K_INT: {
        errno = 0;
        long n = strtol(v, &end, 10);
        if (end == v || *end || errno || n < -1 || n > INT_MAX || v[0] == ' ')
            return pw_fail(err, PW_EINVAL, "error setting config field %s: \"%.64s\" is not "
                           "a node count (an integer >= 0)", f->name, v);
        *(int *)(base + f->off) = (int)n;
        return 0;
    }
    case K_FLOAT: {
        errno = 0;
        double d = strtod(v, &end);
        if (end == v || *end || v[0] == ' ' || !isfinite(d) || d < 0 || d > 1)
            return pw_fail(err, PW_EINVAL, "error setting config field %s: \"%.64s\" is not "
                           "a fraction between 0 and 1", f->name, v);
        *(double *)(base + f->off) = d;
        return 0;
    }
    case K_SORT:
        if (strcmp(v, "cum") && strcmp(v, "flat"))
            return pw_fail(err, PW_EINVAL, "invalid \"sort\" value \"%.64s\" (want cum or flat)",
                           v);
        cfg->sort_cum = v[1] == 'u';
        return 0;
    case K_GRAN: {
        int g = pw_granularity_parse(v);
        if (g < 0)
            return pw_fail(err, PW_EINVAL, "invalid \"granularity\" value \"%.64s\" (want "
                           "functions, filefunctions, files, lines or addresses)", v);
        cfg->granularity = (enum pw_granularity)g;
        return 0;
    }
    }
    return 0;
}

int pw_query_apply(struct pw_config *cfg, const struct pw_params *ps, struct pw_err *err)
{
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        const char *v = pw_params_get(ps, f->param);
        if (!v)
            continue;
        /* pprof skips empty values; strings are cleared instead (see query.h). */
        if (!*v && f->kind != K_STR && f->kind != K_UNIT)
            continue;
        if (set_field(cfg, f, v, err))
            return -1;
    }
    return 0;
}

void pw_url_escape(struct pw_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            pw_buf_addc(out, (char)c);
        } else if (c == ' ') {
            pw_buf_addc(out, '+');
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            pw_buf_add(out, e, 3);
        }
    }
}

/* Go's %v of a float64 for the values settings take (shortest round-trip). */
static void format_double(char *dst, size_t n, double d)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(dst, n, "%.*g", prec, d);
        if (strtod(dst, NULL) == d)
            return;
    }
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

/* The value of field f in cfg as it is written in a URL. */
static const char *field_value(const struct pw_config *cfg, const struct field *f, char *tmp,
                               size_t n)
{
    const char *base = (const char *)cfg;
    switch (f->kind) {
    case K_STR:
    case K_UNIT:
        return str_or_empty(*(const char *const *)(base + f->off));
    case K_BOOL:
        return *(const bool *)(base + f->off) ? "t" : "f";
    case K_IGNORED_BOOL:
        return "f";
    case K_INT:
        snprintf(tmp, n, "%d", *(const int *)(base + f->off));
        return tmp;
    case K_FLOAT:
        format_double(tmp, n, *(const double *)(base + f->off));
        return tmp;
    case K_SORT:
        return cfg->sort_cum ? "cum" : "flat";
    case K_GRAN:
        return pw_granularity_name(cfg->granularity);
    }
    return "";
}

void pw_query_format(const struct pw_config *cfg, const struct pw_config *base,
                     struct pw_buf *out)
{
    struct pw_config def;
    if (!base) {
        pw_config_default(&def);
        base = &def;
    }
    bool first = true;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        char a[64], b[64];
        const char *v = field_value(cfg, f, a, sizeof(a));
        const char *bv = field_value(base, f, b, sizeof(b));
        if (strcmp(v, bv) == 0)
            continue;
        if (!first)
            pw_buf_addc(out, '&');
        first = false;
        pw_buf_adds(out, f->param);
        pw_buf_addc(out, '=');
        pw_url_escape(out, v);
    }
}
