/* harness: a tiny TAP-style test harness for the unit test programs. Each CHECK prints "ok N" or
 * "not ok N - message"; harness_done() prints "N passed, N failed" and returns the exit status. */
#ifndef PPROFWEB_HARNESS_H
#define PPROFWEB_HARNESS_H

#include <stdio.h>
#include <string.h>

static int harness_passed, harness_failed;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            harness_passed++;                                                                      \
        } else {                                                                                   \
            harness_failed++;                                                                      \
            printf("not ok %d - %s:%d: ", harness_passed + harness_failed, __FILE__, __LINE__);    \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

#define CHECK_STREQ(got, want)                                                                     \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        CHECK(g_ && w_ && strcmp(g_, w_) == 0, "%s: got \"%s\", want \"%s\"", #got,                \
              g_ ? g_ : "(null)", w_ ? w_ : "(null)");                                             \
    } while (0)

#define CHECK_INTEQ(got, want)                                                                     \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        CHECK(g_ == w_, "%s: got %lld, want %lld", #got, g_, w_);                                  \
    } while (0)

static inline int harness_done(void)
{
    printf("%d passed, %d failed\n", harness_passed, harness_failed);
    return harness_failed ? 1 : 0;
}

#endif
