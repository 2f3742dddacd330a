/* goroutines: Go goroutine dumps -> a profile of goroutine counts.
 *
 * Reads what the runtime prints for goroutine?debug=2, SIGQUIT and a panic (text before the
 * first goroutine is skipped, but for its "panic: ..." and "fatal error: ..." lines, which become
 * the profile's comments, at most PW_GOROUTINES_CRASH_LINES of them). The forms, as
 * runtime/traceback.go's goroutineheader and traceback print them from Go 1.19 on:
 *
 *   goroutine 7 [chan receive, 15 minutes, locked to thread]:      status, wait, locked (1.19 on)
 *   goroutine 7 [sync.Mutex.Lock]:                                  wait reasons of sync (1.20 on)
 *   goroutine 7 gp=0xc000007c00 m=nil [select]:                     GOTRACEBACK=system (1.23 on)
 *   goroutine 7 gp=0xc000007c00 m=3 mp=0xc000100008 [running]:      ... with its thread
 *   goroutine 7 [running (scan)]:                                   flags after the status
 *   goroutine 7 [select, synctest group 5]:                         a synctest bubble (1.24 on)
 *   goroutine 7 [select] {"worker": "poller"}:                      pprof labels, where printed
 *   labels: {"worker":"poller"}                                      (a line of its own)
 *   main.consumer(0x0?)
 *   \texample.com/app/main.go:44 +0x3d
 *   \truntime/proc.go:398 +0xce fp=0xc00004e7a0 sp=0xc00004e780 pc=0x43ab2e   (system)
 *   ...additional frames elided...
 *   created by main.main in goroutine 1                             (1.21 on; "created by
 *   \texample.com/app/main.go:144 +0x1aa                             main.main" before)
 *   [originating from goroutine 3]:                                 GODEBUG=tracebackancestors
 *
 * Labels are read from a "{...}" group after or inside the bracket, keys and values quoted
 * ("\"" and "\\" unescaped) or bare. A cgo frame's "\tpc=0x..." line has no file. Lines a
 * crash prints between goroutines ("fatal error: ...", "runtime stack:", "[signal ...") end the
 * goroutine being read.
 *
 * Each goroutine is a sample of value 1 whose stack is its frames, leaf first; one location per
 * (function, file, line), one function per (name, file). Labels: state, wait (numeric, unit
 * "minutes"), created_by, locked, and the pprof labels. Bounded by PW_MAX_GOROUTINE_DUMP bytes,
 * PW_MAX_GOROUTINES samples and PW_MAX_STACK_DEPTH frames; memory grows with what is read, never
 * with a count the input declares. The profile is the caller's. */
#include "pprofweb/goroutines.h"

#include <stdlib.h>
#include <string.h>

#include "pprofweb/limits.h"

/* A panic inside a deferred call prints one "panic:" line per panic; a few tell the story. */
#define PW_GOROUTINES_CRASH_LINES 8

struct str {
    const char *s;
    size_t n;
};

static bool has_prefix(struct str l, const char *p)
{
    size_t n = strlen(p);
    return l.n >= n && memcmp(l.s, p, n) == 0;
}

static struct str trim(struct str l)
{
    while (l.n && (l.s[0] == ' ' || l.s[0] == '\t'))
        l.s++, l.n--;
    while (l.n && (l.s[l.n - 1] == ' ' || l.s[l.n - 1] == '\t' || l.s[l.n - 1] == '\r'))
        l.n--;
    return l;
}

/* "goroutine N ...[status]...:": the bracket's contents in *status (a ']' in a quoted label
 * value does not close it), what follows it in *extra. */
static bool header(struct str l, struct str *status, struct str *extra)
{
    if (!has_prefix(l, "goroutine ") || l.n < 14 || l.s[l.n - 1] != ':')
        return false;
    if (l.s[10] < '0' || l.s[10] > '9')
        return false;
    const char *open = memchr(l.s, '[', l.n);
    if (!open)
        return false;
    size_t i = (size_t)(open - l.s) + 1;
    bool quoted = false;
    for (; i < l.n - 1; i++) {
        char c = l.s[i];
        if (quoted && c == '\\')
            i++;
        else if (c == '"')
            quoted = !quoted;
        else if (!quoted && c == ']')
            break;
    }
    if (i >= l.n - 1)
        return false;
    status->s = open + 1;
    status->n = (size_t)(l.s + i - status->s);
    *extra = trim((struct str){l.s + i + 1, l.n - 2 - i});
    return true;
}

/* Lines a crash prints between goroutines, never frames. */
static bool crash_line(struct str l)
{
    static const char *const starts[] = {"fatal error:", "panic:",   "runtime stack:",
                                         "[signal ",     "signal ",  "PC=",
                                         "runtime:",     "exit status "};
    for (size_t i = 0; i < sizeof(starts) / sizeof(*starts); i++)
        if (has_prefix(l, starts[i]))
            return true;
    return false;
}

struct u64map {
    uint64_t *keys;
    uint32_t *vals; /* index + 1; 0 empty */
    size_t cap, n;
};

static uint32_t *slot(struct u64map *m, uint64_t key)
{
    if (2 * (m->n + 1) > m->cap) {
        struct u64map g = {0};
        g.cap = m->cap ? m->cap * 2 : 256;
        g.keys = pw_xcalloc(g.cap, sizeof(*g.keys));
        g.vals = pw_xcalloc(g.cap, sizeof(*g.vals));
        for (size_t i = 0; i < m->cap; i++)
            if (m->vals[i]) {
                uint32_t *s = slot(&g, m->keys[i]);
                *s = m->vals[i];
                g.n++;
            }
        free(m->keys);
        free(m->vals);
        *m = g;
    }
    size_t i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 17) & (m->cap - 1);
    while (m->vals[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    m->keys[i] = key;
    return &m->vals[i];
}

struct dump {
    struct pw_profile *p;
    struct u64map fns, locs;
    uint32_t *stack;
    size_t n_stack, cap_stack;
    struct pw_label *labels;
    size_t n_labels, cap_labels;
    pw_str k_state, k_wait, k_created, k_locked, k_synctest, minutes;
    bool in_goroutine;
    bool ancestors; /* past "[originating from goroutine N]:": not this goroutine's stack */
};

static uint32_t location(struct dump *d, struct str fn, struct str file, int64_t line)
{
    struct pw_profile *p = d->p;
    pw_str name = pw_intern(p, fn.s, fn.n), fname = pw_intern(p, file.s, file.n);
    uint32_t *fs = slot(&d->fns, (uint64_t)name << 32 | fname);
    if (!*fs) {
        struct pw_function *f = pw_add_function(p);
        f->id = p->n_functions;
        f->name = f->system_name = name;
        f->filename = fname;
        *fs = p->n_functions;
        d->fns.n++;
    }
    uint32_t fi = *fs - 1;
    uint32_t *ls = slot(&d->locs, (uint64_t)fi << 32 | (uint32_t)line);
    if (!*ls) {
        struct pw_location *l = pw_add_location(p);
        l->id = p->n_locations;
        l->lines = pw_arena_calloc(&p->arena, 1, sizeof(*l->lines));
        l->n_lines = 1;
        l->lines[0].function = fi;
        l->lines[0].line = line;
        *ls = p->n_locations;
        d->locs.n++;
    }
    return *ls - 1;
}

static void add_label(struct dump *d, pw_str key, pw_str str, int64_t num, bool is_num)
{
    PW_GROW(d->labels, d->cap_labels, d->n_labels + 1);
    struct pw_label *l = &d->labels[d->n_labels++];
    memset(l, 0, sizeof(*l));
    l->key = key;
    l->str = str;
    l->num = num;
    l->is_num = is_num;
    l->unit = is_num ? d->minutes : 0;
}

/* The goroutine being read becomes a sample. */
static int finish(struct dump *d, struct pw_err *err)
{
    if (!d->in_goroutine)
        return 0;
    d->in_goroutine = false;
    struct pw_profile *p = d->p;
    if (p->n_samples == PW_MAX_GOROUTINES)
        return pw_fail(err, PW_ETOOBIG, "more than %zu goroutines (limit)", PW_MAX_GOROUTINES);
    struct pw_sample *s = pw_add_sample(p);
    s->values = pw_arena_alloc(&p->arena, sizeof(int64_t));
    s->values[0] = 1;
    s->n_locs = (uint32_t)d->n_stack;
    s->locs = pw_arena_alloc(&p->arena, sizeof(uint32_t) * (d->n_stack ? d->n_stack : 1));
    memcpy(s->locs, d->stack, sizeof(uint32_t) * d->n_stack);
    s->n_labels = (uint32_t)d->n_labels;
    s->labels = pw_arena_alloc(&p->arena, sizeof(*s->labels) * (d->n_labels ? d->n_labels : 1));
    memcpy(s->labels, d->labels, sizeof(*s->labels) * d->n_labels);
    d->n_stack = d->n_labels = 0;
    d->ancestors = false;
    return 0;
}

/* Drops a flag the runtime appends to a status for the moment: "running (scan)". Parentheses
 * that are part of a wait reason ("chan receive (nil chan)") stay. */
static struct str drop_flags(struct str st)
{
    static const char *const flags[] = {" (scan)", " (durable)", " (leaked)"};
    for (bool again = true; again;) {
        again = false;
        for (size_t i = 0; i < sizeof(flags) / sizeof(*flags); i++) {
            size_t k = strlen(flags[i]);
            if (st.n > k && !memcmp(st.s + st.n - k, flags[i], k)) {
                st.n -= k;
                again = true;
            }
        }
    }
    return st;
}

static void pprof_labels(struct dump *d, struct str l);

/* The bracket of a header: "chan receive, 15 minutes, locked to thread". */
static void status_labels(struct dump *d, struct str st)
{
    struct pw_profile *p = d->p;
    /* A label group inside the bracket ends it: its values may hold commas. */
    for (size_t i = 0; i < st.n; i++) {
        if (st.s[i] == '{') {
            pprof_labels(d, (struct str){st.s + i, st.n - i});
            st.n = i;
            break;
        }
    }
    bool first = true;
    while (st.n) {
        const char *c = memchr(st.s, ',', st.n);
        struct str part = {st.s, c ? (size_t)(c - st.s) : st.n};
        st.s += part.n + (c ? 1 : 0);
        st.n -= part.n + (c ? 1 : 0);
        part = trim(part);
        int64_t minutes = 0;
        size_t k = 0;
        while (k < part.n && part.s[k] >= '0' && part.s[k] <= '9' && minutes < INT64_MAX / 10)
            minutes = minutes * 10 + (part.s[k++] - '0');
        if (first) {
            part = drop_flags(part);
            add_label(d, d->k_state, pw_intern(p, part.s, part.n), 0, false);
            first = false;
        } else if (k > 0 && part.n - k == 8 && !memcmp(part.s + k, " minutes", 8)) {
            add_label(d, d->k_wait, 0, minutes, true);
        } else if (part.n == 16 && !memcmp(part.s, "locked to thread", 16)) {
            add_label(d, d->k_locked, pw_intern_cstr(p, "true"), 0, false);
        } else if (has_prefix(part, "synctest group ") || has_prefix(part, "synctest bubble ")) {
            const char *sp = memchr(part.s + 9, ' ', part.n - 9);
            struct str id = trim((struct str){sp + 1, part.n - (size_t)(sp + 1 - part.s)});
            add_label(d, d->k_synctest, pw_intern(p, id.s, id.n), 0, false);
        }
    }
}

/* One key or value of a label group at *s: "quoted" (with \\" and \\\\ unescaped) or bare up to
 * stop, ',' or '}'. Interned; false at the end of the text. */
static bool label_token(struct dump *d, const char **s, const char *e, char stop, pw_str *out)
{
    const char *q = *s;
    while (q < e && (*q == ' ' || *q == ','))
        q++;
    if (q == e || *q == '}')
        return false;
    if (*q != '"') {
        const char *b = q;
        while (q < e && *q != stop && *q != ',' && *q != '}')
            q++;
        struct str t = trim((struct str){b, (size_t)(q - b)});
        *out = pw_intern(d->p, t.s, t.n);
        *s = q;
        return true;
    }
    const char *b = ++q;
    while (q < e && *q != '"')
        q += (*q == '\\' && q + 1 < e) ? 2 : 1;
    if (q >= e)
        return false;
    char *buf = pw_xmalloc((size_t)(q - b) + 1);
    size_t n = 0;
    for (const char *c = b; c < q; c++) {
        if (*c == '\\' && c + 1 < q && (c[1] == '"' || c[1] == '\\'))
            c++;
        buf[n++] = *c;
    }
    *out = pw_intern(d->p, buf, n);
    free(buf);
    *s = q + 1;
    return true;
}

/* A label group: {"k":"v", "k2":"v2"} (Go's debug=1 "labels:" lines), {k: "v"}. */
static void pprof_labels(struct dump *d, struct str l)
{
    const char *s = memchr(l.s, '{', l.n), *e = l.s + l.n;
    if (!s)
        return;
    s++;
    for (;;) {
        pw_str k, v;
        if (!label_token(d, &s, e, ':', &k))
            return;
        while (s < e && *s == ' ')
            s++;
        if (s == e || *s != ':')
            return;
        s++;
        if (!label_token(d, &s, e, 0, &v))
            return;
        add_label(d, k, v, 0, false);
    }
}

/* "\tfile.go:123 +0x3d", "\tfile.go:123 +0x3d fp=0x... sp=0x... pc=0x..." -> file, line; a cgo
 * frame's "\tpc=0x..." has no file (line 0). */
static bool file_line(struct str l, struct str *file, int64_t *line)
{
    l = trim(l);
    if (has_prefix(l, "pc=0x")) {
        *file = (struct str){l.s, 0};
        *line = 0;
        return true;
    }
    static const char *const tails[] = {" +0x", " fp=0x", " pc=0x"};
    for (size_t t = 0; t < sizeof(tails) / sizeof(*tails); t++) {
        size_t k = strlen(tails[t]);
        for (size_t i = 0; i + k <= l.n; i++) {
            if (!memcmp(l.s + i, tails[t], k)) {
                l.n = i;
                break;
            }
        }
    }
    size_t c = l.n;
    while (c > 0 && l.s[c - 1] != ':')
        c--;
    if (c < 2 || c == l.n)
        return false;
    int64_t v = 0;
    for (size_t i = c; i < l.n; i++) {
        if (l.s[i] < '0' || l.s[i] > '9' || v > 0xffffffffLL / 10)
            return false;
        v = v * 10 + (l.s[i] - '0');
    }
    *file = (struct str){l.s, c - 1};
    *line = v;
    return true;
}

/* "pkg.(*T).f(0x1, ...)" -> "pkg.(*T).f": drops the trailing argument list. */
static struct str function_name(struct str l)
{
    if (l.n && l.s[l.n - 1] == ')') {
        int depth = 0;
        for (size_t i = l.n; i > 0; i--) {
            char c = l.s[i - 1];
            if (c == ')')
                depth++;
            else if (c == '(' && --depth == 0)
                return (struct str){l.s, i - 1};
        }
    }
    return l;
}

bool pw_goroutines_detect(const char *data, size_t len)
{
    size_t lines = 0;
    for (size_t pos = 0; pos < len && lines < 64; lines++) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        struct str l = {data + pos, nl ? (size_t)(nl - data - pos) : len - pos};
        pos += l.n + 1;
        struct str st, extra;
        if (header(trim(l), &st, &extra))
            return true;
    }
    return false;
}

static const struct pw_value_type *types(struct pw_profile *p)
{
    static struct pw_value_type t;
    t.type = pw_intern_cstr(p, "goroutine");
    t.unit = pw_intern_cstr(p, "count");
    return &t;
}

static int parse(struct dump *d, const char *data, size_t len, struct pw_err *err)
{
    struct str fn = {0};
    bool have_fn = false, created = false;
    size_t lineno = 0;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        struct str raw = {data + pos, nl ? (size_t)(nl - data - pos) : len - pos};
        pos += raw.n + 1;
        lineno++;
        struct str l = trim(raw), st, extra;
        if (header(l, &st, &extra)) {
            if (have_fn)
                return pw_fail(err, PW_ECORRUPT, "line %zu: frame without its file line",
                               lineno);
            if (finish(d, err))
                return -1;
            d->in_goroutine = true;
            created = false;
            status_labels(d, st);
            if (extra.n)
                pprof_labels(d, extra);
            continue;
        }
        if (!d->in_goroutine) {
            /* What the program died of, for the reader: "panic: ..." (and "[recovered]" lines
             * of nested panics), "fatal error: ...". */
            if (d->p->n_comments < PW_GOROUTINES_CRASH_LINES && l.n <= 4096 &&
                (has_prefix(l, "panic: ") || has_prefix(l, "fatal error: ")))
                pw_add_comment(d->p, l.s, l.n);
            continue;
        }
        if (!have_fn && (l.n == 0 || crash_line(l))) {
            if (finish(d, err))
                return -1;
            continue;
        }
        if (d->ancestors)
            continue; /* an ancestor's frames: not where this goroutine is */
        if (l.n == 0) {
            if (have_fn)
                return pw_fail(err, PW_ECORRUPT, "line %zu: frame without its file line",
                               lineno);
            if (finish(d, err))
                return -1;
            continue;
        }
        if (have_fn) {
            struct str file;
            int64_t line;
            if ((raw.s[0] != '\t' && raw.s[0] != ' ') || !file_line(raw, &file, &line))
                return pw_fail(err, PW_ECORRUPT,
                               "line %zu: want \"\\tFILE:LINE\" after frame %.*s", lineno,
                               (int)(fn.n > 80 ? 80 : fn.n), fn.s);
            have_fn = false;
            if (created)
                continue;
            if (d->n_stack == PW_MAX_STACK_DEPTH)
                return pw_fail(err, PW_ECORRUPT, "line %zu: goroutine of more than %d frames",
                               lineno, PW_MAX_STACK_DEPTH);
            PW_GROW(d->stack, d->cap_stack, d->n_stack + 1);
            d->stack[d->n_stack++] = location(d, fn, file, line);
            continue;
        }
        if (has_prefix(l, "labels:")) {
            pprof_labels(d, (struct str){l.s + 7, l.n - 7});
            continue;
        }
        if (has_prefix(l, "created by ")) {
            struct str c = {l.s + 11, l.n - 11};
            const char *in = NULL;
            for (size_t i = 0; i + 14 <= c.n; i++)
                if (!memcmp(c.s + i, " in goroutine ", 14))
                    in = c.s + i;
            if (in)
                c.n = (size_t)(in - c.s);
            add_label(d, d->k_created, pw_intern(d->p, c.s, c.n), 0, false);
            fn = c;
            have_fn = created = true;
            continue;
        }
        if (has_prefix(l, "[originating from goroutine ")) {
            d->ancestors = true;
            continue;
        }
        if (l.s[0] == '.' || raw.s[0] == '\t' || has_prefix(l, "goroutine running on")) {
            continue; /* "...additional frames elided...", "\tgoroutine running on other thread" */
        }
        if (created)
            return pw_fail(err, PW_ECORRUPT, "line %zu: frame after \"created by\"", lineno);
        fn = function_name(l);
        if (fn.n > PW_MAX_STRING)
            return pw_fail(err, PW_ECORRUPT, "line %zu: function name too long", lineno);
        have_fn = true;
    }
    if (have_fn)
        return pw_fail(err, PW_ECORRUPT, "line %zu: frame without its file line", lineno);
    return finish(d, err);
}

struct pw_profile *pw_goroutines_parse(const char *data, size_t len, struct pw_err *err)
{
    if (len > PW_MAX_GOROUTINE_DUMP) {
        pw_fail(err, PW_ETOOBIG, "goroutine dump of %zu bytes (limit %zu)", len,
                PW_MAX_GOROUTINE_DUMP);
        return NULL;
    }
    struct dump d = {0};
    struct pw_profile *p = d.p = pw_profile_new();
    pw_set_sample_types(p, types(p), 1);
    p->has_period_type = true;
    p->period_type = *types(p);
    p->period = 1;
    d.k_state = pw_intern_cstr(p, "state");
    d.k_wait = pw_intern_cstr(p, "wait");
    d.k_created = pw_intern_cstr(p, "created_by");
    d.k_locked = pw_intern_cstr(p, "locked");
    d.k_synctest = pw_intern_cstr(p, "synctest");
    d.minutes = pw_intern_cstr(p, "minutes");
    int rc = parse(&d, data, len, err);
    if (!rc && p->n_samples == 0)
        rc = pw_fail(err, PW_ECORRUPT, "no goroutines in the dump");
    free(d.fns.keys);
    free(d.fns.vals);
    free(d.locs.keys);
    free(d.locs.vals);
    free(d.stack);
    free(d.labels);
    if (rc) {
        pw_profile_free(p);
        return NULL;
    }
    return p;
}
