/* regex: Go regular expressions on top of PCRE2.
 *
 * pprof users write RE2 syntax (Go's regexp package), and pprof reports the errors of Go's
 * parser. PCRE2 accepts a superset of that syntax with different meanings in places (\v is a
 * class, $ matches before a final newline, \s includes VT, (?=...) and \1 exist). So the pattern
 * is first checked and translated by regex_syntax.c, then compiled in UTF mode. Subjects with
 * bad UTF-8 (real in function names) are matched through a copy where each bad byte is U+FFFD,
 * which is how Go reads them, so PCRE2 only ever sees valid UTF-8.
 *
 * In: a NUL-terminated pattern. Out: a struct pw_regex the caller frees. Limits: patterns of
 * at most PW_MAX_REGEX bytes. Go's engine is linear; PCRE2 backtracks, so a match that runs
 * past MATCH_LIMIT steps is redone by PCRE2's DFA matcher, which is not exponential.
 *
 * Both still try every start position of a subject: (a|aa)+$ over a name of 200 000 characters
 * runs for minutes. So a thread (an HTTP request) may open a budget of matching time
 * (PW_REGEX_BUDGET_MS): patterns compiled while it is open start with a callout, which PCRE2 calls
 * at each start position in both matchers, and which stops the match once the budget is spent.
 * From then on every match on the thread fails at once and the request answers an error. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "pprofweb/regex.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pprofweb/arena.h"
#include "pprofweb/buf.h"
#include "pprofweb/limits.h"

/* Backtracking steps per match before switching to the DFA matcher (PCRE2's default is 10M;
 * real filters on function names take a few hundred; a DFA retry is still exact). */
#define MATCH_LIMIT 10000
/* Ints of DFA workspace: room for the parallel states of the DFA matcher. */
#define DFA_WORKSPACE 4096
/* Start positions tried between two looks at the clock: each costs at most MATCH_LIMIT steps
 * (or one DFA pass), so the budget is overrun by milliseconds at most. */
#define CLOCK_EVERY 16

/* The calling thread's budget (pw_regex_budget_begin). */
static __thread struct {
    bool open, exceeded;
    long long left_ns;    /* matching time left */
    long long call_start; /* when the current match began */
    unsigned ticks;
} budget;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void pw_regex_budget_begin(unsigned ms)
{
    budget.open = true;
    budget.exceeded = false;
    budget.left_ns = (long long)ms * 1000000LL;
    budget.ticks = 0;
}

bool pw_regex_budget_exceeded(void) { return budget.open && budget.exceeded; }

void pw_regex_budget_end(void) { budget.open = budget.exceeded = false; }

/* Called by PCRE2 at each start position of a budgeted pattern; nonzero abandons the match. */
static int on_callout(pcre2_callout_block *cb, void *data)
{
    (void)cb;
    (void)data;
    if (!budget.open)
        return 0;
    if (!budget.exceeded && ++budget.ticks % CLOCK_EVERY == 0 &&
        now_ns() - budget.call_start > budget.left_ns)
        budget.exceeded = true;
    return budget.exceeded ? PCRE2_ERROR_CALLOUT : 0;
}

struct pw_regex {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    char *source;
};

struct pw_regex *pw_regex_compile(const char *pattern, struct pw_err *err)
{
    size_t n = strlen(pattern);
    if (n > PW_MAX_REGEX) {
        pw_fail(err, PW_EINVAL, "error parsing regexp: expression too large: %zu bytes", n);
        return NULL;
    }
    struct pw_buf pat;
    pw_buf_init(&pat, 0);
    if (budget.open)
        pw_buf_adds(&pat, "(?C1)(?:"); /* on_callout at each start position */
    size_t head = pat.len;
    if (pw_regex_translate(pattern, n, &pat, err) < 0) {
        pw_buf_release(&pat);
        return NULL;
    }
    if (head)
        pw_buf_addc(&pat, ')');
    int code;
    PCRE2_SIZE off;
    pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
    if (cctx) {
        pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
        pcre2_set_parens_nest_limit(cctx, PW_MAX_REGEX_NESTING + 10); /* PCRE2's default is 250 */
    }
    pcre2_code *pc = pcre2_compile((PCRE2_SPTR)pw_buf_str(&pat), pat.len,
                                   PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C,
                                   &code, &off, cctx);
    pcre2_compile_context_free(cctx);
    pw_buf_release(&pat);
    if (!pc) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof msg);
        pw_fail(err, PW_EINVAL, "error parsing regexp: %s: `%s`", (const char *)msg, pattern);
        return NULL;
    }
    /* No JIT: filter patterns run over names of tens of bytes, where JIT compilation costs
     * more than it saves, and JIT code reads past subjects, which valgrind reports. */
    struct pw_regex *re = pw_xcalloc(1, sizeof *re);
    re->code = pc;
    re->md = pcre2_match_data_create(1, NULL);
    re->mctx = pcre2_match_context_create(NULL);
    if (!re->md || !re->mctx)
        abort(); /* out of memory */
    pcre2_set_match_limit(re->mctx, MATCH_LIMIT);
    pcre2_set_callout(re->mctx, on_callout, NULL);
    re->source = pw_xmalloc(n + 1);
    memcpy(re->source, pattern, n + 1);
    return re;
}

void pw_regex_free(struct pw_regex *re)
{
    if (!re)
        return;
    pcre2_match_data_free(re->md);
    pcre2_match_context_free(re->mctx);
    pcre2_code_free(re->code);
    free(re->source);
    free(re);
}

static bool match_at(const struct pw_regex *re, const char *s, size_t len, size_t from,
                     size_t *start, size_t *end)
{
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, from, 0, re->md, re->mctx);
    if (rc == PCRE2_ERROR_MATCHLIMIT) {
        /* Exponential backtracking, which Go's linear engine never does: ask the DFA matcher,
         * which tries all paths at once. It reports the longest match at the leftmost start,
         * the same yes/no answer as Go's. */
        int ws[DFA_WORKSPACE];
        rc = pcre2_dfa_match(re->code, (PCRE2_SPTR)s, len, from, 0, re->md, re->mctx, ws,
                             DFA_WORKSPACE);
    }
    if (rc < 0)
        return false;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
    *start = ov[0];
    *end = ov[1];
    return true;
}

/* Go reads each byte that does not start a valid UTF-8 sequence as U+FFFD, which '.' and
 * [^a] match. PCRE2 would skip it, so such subjects are matched through a copy with the
 * replacement characters spelled out, and offsets are mapped back. */
static bool match_invalid_utf8(const struct pw_regex *re, const char *s, size_t len, size_t from,
                               size_t *start, size_t *end)
{
    char *copy = pw_xmalloc(3 * len + 1);
    size_t *orig = pw_xmalloc((3 * len + 1) * sizeof *orig);
    size_t n = 0, copy_from = 0;
    for (size_t i = 0; i < len;) {
        if (i == from)
            copy_from = n;
        uint32_t r;
        size_t l = pw_utf8_decode((const unsigned char *)s + i, len - i, &r);
        if (l == 0) {
            memcpy(copy + n, "\xef\xbf\xbd", 3);
            for (int k = 0; k < 3; k++)
                orig[n + k] = i;
            n += 3, i++;
            continue;
        }
        for (size_t k = 0; k < l; k++)
            orig[n + k] = i + k;
        memcpy(copy + n, s + i, l);
        n += l, i += l;
    }
    if (from >= len)
        copy_from = n;
    orig[n] = len;
    bool ok = match_at(re, copy, n, copy_from, start, end);
    if (ok) {
        *start = orig[*start];
        *end = orig[*end];
    }
    free(orig);
    free(copy);
    return ok;
}

bool pw_regex_find(const struct pw_regex *re, const char *s, size_t len, size_t from, size_t *start,
                   size_t *end)
{
    size_t st, en;
    if (!re || from > len || (budget.open && budget.exceeded))
        return false;
    if (budget.open)
        budget.call_start = now_ns();
    uint32_t r;
    size_t i = 0;
    while (i < len) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        size_t l = pw_utf8_decode((const unsigned char *)s + i, len - i, &r);
        if (l == 0)
            break;
        i += l;
    }
    bool ok = i < len ? match_invalid_utf8(re, s, len, from, &st, &en)
                      : match_at(re, s, len, from, &st, &en);
    if (budget.open) {
        budget.left_ns -= now_ns() - budget.call_start;
        if (budget.left_ns < 0)
            budget.exceeded = true;
        if (budget.exceeded)
            return false;
    }
    if (ok && start)
        *start = st;
    if (ok && end)
        *end = en;
    return ok;
}

bool pw_regex_match(const struct pw_regex *re, const char *s, size_t len)
{
    return pw_regex_find(re, s, len, 0, NULL, NULL);
}

bool pw_regex_match_cstr(const struct pw_regex *re, const char *s)
{
    return pw_regex_find(re, s, strlen(s), 0, NULL, NULL);
}

void pw_regex_quote_meta(const char *s, struct pw_buf *out)
{
    for (; *s; s++) {
        if (strchr("\\.+*?()|[]{}^$", *s))
            pw_buf_addc(out, '\\');
        pw_buf_addc(out, *s);
    }
}

const char *pw_regex_source(const struct pw_regex *re) { return re->source; }
