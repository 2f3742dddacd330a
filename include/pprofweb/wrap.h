/* wrap: int64 arithmetic that wraps around as Go's does. pprof sums sample values in Go's int64,
 * whose overflow wraps (two's complement), and prints what the wrapped sums give; in C signed
 * overflow is undefined, so every sum that profile values can overflow (merges, graphs, reports,
 * flame graphs, diffs, series, comparisons) goes through these, and so does every conversion
 * of a scaled value back to int64 (pw_go_int64). They compute in uint64_t, whose
 * arithmetic wraps by definition, and convert back (GCC and Clang define that conversion as
 * modulo 2^64, as C23 requires). Nothing to own: values in, values out. */
#ifndef PPROFWEB_WRAP_H
#define PPROFWEB_WRAP_H

#include <stdint.h>

static inline int64_t pw_wadd(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

static inline int64_t pw_wsub(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a - (uint64_t)b);
}

static inline int64_t pw_wmul(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a * (uint64_t)b);
}

/* -a; -INT64_MIN is INT64_MIN, as in Go. */
static inline int64_t pw_wneg(int64_t a)
{
    return (int64_t)(0 - (uint64_t)a);
}

/* |a| as Go's "if v < 0 { v = -v }" gives it: INT64_MIN stays INT64_MIN. */
static inline int64_t pw_wabs(int64_t a)
{
    return a < 0 ? pw_wneg(a) : a;
}

/* a / b for b != 0, truncated as Go's; INT64_MIN / -1 is INT64_MIN (Go's answer; a trap in C). */
static inline int64_t pw_wdiv(int64_t a, int64_t b)
{
    return b == -1 ? pw_wneg(a) : a / b;
}

/* Go's int64(f) on amd64: an f out of int64's range (or NaN) gives INT64_MIN, where C's
 * conversion is undefined. Scaled values (-mean, ratios, fractions of totals) pass here. */
static inline int64_t pw_go_int64(double f)
{
    if (!(f > -9223372036854775808.0 && f < 9223372036854775808.0))
        return INT64_MIN;
    return (int64_t)f;
}

#endif
