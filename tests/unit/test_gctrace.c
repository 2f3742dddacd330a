/* Unit tests for gctrace: a real GODEBUG=gctrace=1 log mixed with a program's own lines
 * (testdata/gopages), the older line forms, and unreadable gc lines counted with their numbers. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/decode.h"
#include "pprofweb/gctrace.h"

static void test_real_log(void)
{
    unsigned char *d;
    size_t n;
    struct pw_err err = {0};
    if (pw_read_file("testdata/gopages/pages/gctrace.log", 1 << 20, &d, &n, &err)) {
        CHECK(0, "%s", err.msg);
        return;
    }
    CHECK(pw_gctrace_detect((const char *)d, n), "detected");
    struct pw_gctrace t;
    CHECK(pw_gctrace_parse((const char *)d, n, &t, &err) == 0, "%s", err.msg);
    /* The file's bytes are not a C string: a NUL-terminated copy for strstr. */
    unsigned char *text = pw_xmalloc(n + 1);
    memcpy(text, d, n);
    text[n] = 0;
    free(d);
    d = text;
    size_t gc_lines = 0;
    for (const char *p = (const char *)d; (p = strstr(p, "gc ")); p++)
        gc_lines += (p == (const char *)d || p[-1] == '\n');
    CHECK_INTEQ(t.n_cycles, gc_lines);
    CHECK_INTEQ(t.n_bad, 0);
    CHECK(t.n_other > 0, "the program's own lines counted");
    /* First line: "gc 1 @0.007s 2%: 0.074+2.3+0.004 ms clock, ..." */
    const char *first = strstr((const char *)d, "gc 1 @");
    CHECK(first && t.cycles[0].n == 1 && t.cycles[0].at_s == strtod(first + 6, NULL),
          "first cycle's time");
    CHECK_INTEQ(t.cycles[0].n_clock, 3);
    CHECK_INTEQ(t.cycles[0].procs, 2);
    CHECK(t.cycles[0].stacks_mb == 0 && t.cycles[0].globals_mb == 0, "stacks and globals read");
    size_t forced = 0;
    for (size_t i = 0; i < t.n_cycles; i++)
        forced += t.cycles[i].forced;
    CHECK(forced > 0, "forced cycles");
    pw_gctrace_release(&t);
    free(d);
}

static void test_forms(void)
{
    const char *log =
        "starting\n"
        "gc 1 @0.017s 2%: 0.027+0.43+0.054+0.40+0.031 ms clock, 0.054+0.43+0+0.17/0.31/0+0.062 "
        "ms cpu, 4->4->1 MB, 5 MB goal, 4 P\n"
        "gc 2 @1.5s 0%: 0.011+2.5+0.022 ms clock, 0.046+0.28/2.3/5.1+0.091 ms cpu, 12->12->6 MB, "
        "13 MB goal, 8 P\n"
        "gc 3 @2.0s 1%: garbled\n"
        "scvg: 0 MB released\n"
        "gc 4 @3.25s 1%: 0.02+1+0.01 ms clock, 0.1+0.2/0.3/0.4+0.05 ms cpu, 20->21->10 MB, 22 MB "
        "goal, 1 MB stacks, 0 MB globals, 16 P (forced)\n";
    struct pw_gctrace t;
    struct pw_err err = {0};
    CHECK(pw_gctrace_parse(log, strlen(log), &t, &err) == 0, "%s", err.msg);
    CHECK_INTEQ(t.n_cycles, 3);
    CHECK_INTEQ(t.n_bad, 1);
    CHECK_INTEQ(t.bad[0].line, 4);
    CHECK_INTEQ(t.n_other, 2);
    if (t.n_cycles == 3) {
        CHECK_INTEQ(t.cycles[0].n_clock, 5);
        CHECK(t.cycles[0].stacks_mb < 0, "Go 1.5 line has no stacks");
        CHECK(t.cycles[1].heap_live_mb == 6 && t.cycles[1].goal_mb == 13, "heap figures");
        CHECK(t.cycles[2].stacks_mb == 1 && t.cycles[2].forced && t.cycles[2].procs == 16,
              "current form");
        CHECK(t.cycles[2].at_s == 3.25, "time");
    }
    pw_gctrace_release(&t);
    const char *bad = "hello\ngc 1 @x\n";
    CHECK(pw_gctrace_parse(bad, strlen(bad), &t, &err) == -1, "no readable cycle refused");
    CHECK(strncmp(err.msg, "no ", 3) == 0 || strncmp(err.msg, "line ", 5) == 0, "%s", err.msg);
    const char *bad2 = "hello\ngc 1 @0.1s 5%: x\n";
    CHECK(pw_gctrace_parse(bad2, strlen(bad2), &t, &err) == -1, "unreadable only");
    CHECK(strncmp(err.msg, "line 2: unreadable gc line", 26) == 0, "%s", err.msg);
}

int main(void)
{
    test_real_log();
    test_forms();
    return harness_done();
}
