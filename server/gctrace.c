/* gctrace: reads GODEBUG=gctrace=1 logs. A line reads, in current Go:
 *
 *   gc 4 @0.063s 10%: 0.026+4.3+0.005 ms clock, 0.053+0/0.35/0.16+0.010 ms cpu,
 *       25->25->0 MB, 31 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)
 *
 * (one line); before Go 1.18 without the stacks and globals, and Go 1.5 to 1.7 with five clock
 * phases. Fields are found by their words, not their position, so these forms read alike. Lines
 * that do not start with "gc N @" are the program's own output and are counted; a gc line that
 * cannot be read is counted and kept with its number, never fatal.
 *
 * In: the log's bytes. Out: a caller-owned struct of malloc'd cycles, bounded by
 * PW_MAX_GCTRACE_CYCLES. */
#include "pprofweb/gctrace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/arena.h"
#include "pprofweb/json.h"
#include "pprofweb/limits.h"

/* Reads a non-negative decimal number at *p (digits, optional fraction), as strtod rounds it. */
static bool number(const char **p, const char *e, double *v)
{
    const char *s = *p;
    bool digits = false, frac = false;
    for (; s < e && s - *p < 40; s++) {
        if (*s >= '0' && *s <= '9')
            digits = true;
        else if (*s == '.' && !frac)
            frac = true;
        else
            break;
    }
    if (!digits)
        return false;
    char tmp[48];
    memcpy(tmp, *p, (size_t)(s - *p));
    tmp[s - *p] = 0;
    *v = strtod(tmp, NULL);
    *p = s;
    return true;
}

static bool lit(const char **p, const char *e, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(e - *p) < n || memcmp(*p, w, n))
        return false;
    *p += n;
    return true;
}

static bool is_gc_line(const char *s, const char *e)
{
    if (!lit(&s, e, "gc "))
        return false;
    double v;
    return number(&s, e, &v) && lit(&s, e, " @");
}

/* "a+b+c" into out; returns the count. */
static uint32_t phases(const char **p, const char *e, double *out, bool sum_slashes)
{
    uint32_t n = 0;
    for (;;) {
        double v;
        if (!number(p, e, &v))
            return 0;
        /* The CPU mark phase is "assist/background/idle". */
        while (sum_slashes && *p < e && **p == '/') {
            double w;
            (*p)++;
            if (!number(p, e, &w))
                return 0;
            v += w;
        }
        if (n < PW_GC_PHASES)
            out[n] = v;
        n++;
        if (*p < e && **p == '+')
            (*p)++;
        else
            return n > PW_GC_PHASES ? 0 : n;
    }
}

static const char *read_line(const char *s, const char *e, struct pw_gc_cycle *c)
{
    double v;
    memset(c, 0, sizeof(*c));
    c->stacks_mb = c->globals_mb = -1;
    lit(&s, e, "gc ");
    if (!number(&s, e, &v))
        return "no cycle number";
    c->n = (uint64_t)v;
    if (!lit(&s, e, " @") || !number(&s, e, &c->at_s) || !lit(&s, e, "s "))
        return "want \"@SECONDSs\"";
    if (!number(&s, e, &c->cpu_pct) || !lit(&s, e, "%: "))
        return "want \"P%: \"";
    c->n_clock = phases(&s, e, c->clock_ms, false);
    if (!c->n_clock || !lit(&s, e, " ms clock, "))
        return "want \"A+B+C ms clock\"";
    double cpu[PW_GC_PHASES];
    uint32_t n_cpu = phases(&s, e, cpu, true);
    if (!n_cpu || !lit(&s, e, " ms cpu, "))
        return "want \"A+B/C/D+E ms cpu\"";
    for (uint32_t i = 0; i < n_cpu; i++)
        c->cpu_ms_total += cpu[i];
    if (!number(&s, e, &c->heap_start_mb) || !lit(&s, e, "->") ||
        !number(&s, e, &c->heap_end_mb) || !lit(&s, e, "->") ||
        !number(&s, e, &c->heap_live_mb) || !lit(&s, e, " MB, "))
        return "want \"START->END->LIVE MB\"";
    if (!number(&s, e, &c->goal_mb) || !lit(&s, e, " MB goal, "))
        return "want \"N MB goal\"";
    /* Then "N MB stacks, ", "N MB globals, " where present, and "N P". */
    for (;;) {
        if (!number(&s, e, &v))
            return "want \"N P\"";
        if (lit(&s, e, " MB stacks, ")) {
            c->stacks_mb = v;
        } else if (lit(&s, e, " MB globals, ")) {
            c->globals_mb = v;
        } else if (lit(&s, e, " P")) {
            c->procs = (uint32_t)v;
            break;
        } else {
            return "unknown field after the goal";
        }
    }
    if (lit(&s, e, " (forced)"))
        c->forced = true;
    while (s < e && (*s == ' ' || *s == '\r'))
        s++;
    return s == e ? NULL : "unexpected text at the end";
}

bool pw_gctrace_detect(const char *data, size_t len)
{
    size_t lines = 0;
    for (size_t pos = 0; pos < len && lines < 1000; lines++) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        const char *e = nl ? nl : data + len;
        if (is_gc_line(data + pos, e))
            return true;
        pos = (size_t)(e - data) + 1;
    }
    return false;
}

int pw_gctrace_parse(const char *data, size_t len, struct pw_gctrace *t, struct pw_err *err)
{
    memset(t, 0, sizeof(*t));
    for (size_t pos = 0; pos < len;) {
        const char *s = data + pos;
        const char *nl = memchr(s, '\n', len - pos);
        const char *e = nl ? nl : data + len;
        pos = (size_t)(e - data) + 1;
        t->n_lines++;
        if (!is_gc_line(s, e)) {
            t->n_other++;
            continue;
        }
        struct pw_gc_cycle c;
        const char *why = read_line(s, e, &c);
        if (why) {
            if (t->n_bad < PW_GC_SHOWN_BAD) {
                struct pw_gctrace_bad *b = &t->bad[t->n_bad];
                b->line = t->n_lines;
                snprintf(b->text, sizeof(b->text), "%.*s", (int)(e - s), s);
                snprintf(b->why, sizeof(b->why), "%s", why);
            }
            t->n_bad++;
            continue;
        }
        if (t->n_cycles == PW_MAX_GCTRACE_CYCLES) {
            pw_gctrace_release(t);
            return pw_fail(err, PW_ETOOBIG, "line %zu: more than %zu GC cycles (limit)",
                           t->n_lines, PW_MAX_GCTRACE_CYCLES);
        }
        PW_GROW(t->cycles, t->cap_cycles, t->n_cycles + 1);
        t->cycles[t->n_cycles++] = c;
    }
    if (t->n_cycles == 0) {
        size_t bad = t->n_bad, line = t->n_bad ? t->bad[0].line : 0;
        char why[80];
        snprintf(why, sizeof(why), "%s", t->n_bad ? t->bad[0].why : "");
        pw_gctrace_release(t);
        if (bad)
            return pw_fail(err, PW_ECORRUPT, "line %zu: unreadable gc line: %s (%zu such lines)",
                           line, why, bad);
        return pw_fail(err, PW_ECORRUPT, "no \"gc N @...\" lines");
    }
    return 0;
}

void pw_gctrace_release(struct pw_gctrace *t)
{
    free(t->cycles);
    memset(t, 0, sizeof(*t));
}

void pw_gctrace_json(const struct pw_gctrace *t, struct pw_json *j)
{
    pw_json_obj_begin(j);
    pw_json_key(j, "cycles");
    pw_json_arr_begin(j);
    for (size_t i = 0; i < t->n_cycles; i++) {
        const struct pw_gc_cycle *c = &t->cycles[i];
        pw_json_obj_begin(j);
        pw_json_kint(j, "n", (int64_t)c->n);
        pw_json_kdouble(j, "at_s", c->at_s);
        pw_json_kdouble(j, "cpu_pct", c->cpu_pct);
        pw_json_key(j, "clock_ms");
        pw_json_arr_begin(j);
        for (uint32_t k = 0; k < c->n_clock; k++)
            pw_json_double(j, c->clock_ms[k]);
        pw_json_arr_end(j);
        pw_json_kdouble(j, "cpu_ms", c->cpu_ms_total);
        pw_json_kdouble(j, "heap_start_mb", c->heap_start_mb);
        pw_json_kdouble(j, "heap_end_mb", c->heap_end_mb);
        pw_json_kdouble(j, "heap_live_mb", c->heap_live_mb);
        pw_json_kdouble(j, "goal_mb", c->goal_mb);
        if (c->stacks_mb >= 0)
            pw_json_kdouble(j, "stacks_mb", c->stacks_mb);
        if (c->globals_mb >= 0)
            pw_json_kdouble(j, "globals_mb", c->globals_mb);
        pw_json_kint(j, "procs", c->procs);
        pw_json_kbool(j, "forced", c->forced);
        pw_json_obj_end(j);
    }
    pw_json_arr_end(j);
    pw_json_kint(j, "lines", (int64_t)t->n_lines);
    pw_json_kint(j, "other_lines", (int64_t)t->n_other);
    pw_json_kint(j, "unreadable", (int64_t)t->n_bad);
    pw_json_key(j, "unreadable_lines");
    pw_json_arr_begin(j);
    for (size_t i = 0; i < t->n_bad && i < PW_GC_SHOWN_BAD; i++) {
        pw_json_obj_begin(j);
        pw_json_kint(j, "line", (int64_t)t->bad[i].line);
        pw_json_kstr(j, "text", t->bad[i].text);
        pw_json_kstr(j, "why", t->bad[i].why);
        pw_json_obj_end(j);
    }
    pw_json_arr_end(j);
    pw_json_obj_end(j);
}
