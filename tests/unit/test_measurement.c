/* Unit tests for measurement.c: unit conversion, labels and percentages as Go's pprof prints
 * them (expected strings come from running pprof's measurement package under Go 1.19). */
#include <stdint.h>

#include "harness.h"
#include "pprofweb/buf.h"
#include "pprofweb/measurement.h"

struct label_case {
    int64_t value;
    const char *from, *to, *want;
};

static const struct label_case labels[] = {
    {0, "bytes", "auto", "0"},
    {1536, "bytes", "auto", "1.50kB"},
    {1024, "bytes", "auto", "1kB"},
    {1023, "bytes", "MB", "0"}, /* "%.2f" gives 0.00 */
    {123456789, "nanoseconds", "auto", "123.46ms"},
    {3600000000000LL, "nanoseconds", "auto", "1hrs"},
    {-123456789, "nanoseconds", "ms", "-123.46ms"},
    {5, "count", "auto", "5"},
    {5, "widgets", "widgets", "5widgets"},
    {5, "widgets", "auto", "5"},
    {2000, "ms", "s", "2s"},
    /* "μs" is three bytes, so pprof trims its 's' before the alias lookup and never finds it */
    {1, "\xce\x9cs", "ns", "1ns"},
    {1, "us", "ns", "1000ns"},
    {7, "microgcu", "auto", "7u*GCU"},
    {999, "bytes", "minimum", "999B"},
    {INT64_MIN, "bytes", "auto", "-9223372036854775808B"},
};

static void test_labels(void)
{
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        const struct label_case *c = &labels[i];
        char got[128];
        pw_scaled_label(got, sizeof got, c->value, c->from, c->to);
        CHECK_STREQ(got, c->want);
    }
    char buf[64];
    pw_label(buf, sizeof buf, 1048576, "bytes");
    CHECK_STREQ(buf, "1MB");
    struct pw_buf b;
    pw_buf_init(&b, 0);
    pw_buf_add_scaled_label(&b, 2500, "ms", "s");
    CHECK_STREQ(pw_buf_str(&b), "2.50s");
    pw_buf_release(&b);
}

static void test_scale(void)
{
    const char *u = NULL;
    double v = pw_scale(3, "kilobytes", "bytes", &u);
    CHECK(v == 3072 && u && strcmp(u, "B") == 0, "3kB in bytes: %g %s", v, u ? u : "(null)");
    v = pw_scale(10, "samples", "count", &u);
    CHECK(v == 10 && strcmp(u, "") == 0, "uninteresting unit: %g '%s'", v, u);
    v = pw_scale(10, "bytes", "seconds", &u);
    CHECK(v == 10 && strcmp(u, "B") == 0, "unknown target falls back to default: %g %s", v, u);
}

struct pct_case {
    int64_t value, total;
    const char *want;
};

static const struct pct_case pcts[] = {
    {0, 0, "    0%"},       {1, 1, "  100%"},      {9995, 10000, "  100%"},
    {5, 10, "50.00%"},      {1, 1000, "  0.1%"},   {1, 3, "33.33%"},
    {1, 100000, "0.001%"},  {1, 1000000007, "1e-07%"}, {-5, 10, "50.00%"},
    {3, 100000, "0.003%"},  {999, 100000, "    1%"}, {12345, 1000, "1234.50%"},
};

static void test_percentage(void)
{
    for (size_t i = 0; i < sizeof pcts / sizeof pcts[0]; i++) {
        char buf[PW_PERCENT_MAX];
        CHECK_STREQ(pw_percentage(buf, pcts[i].value, pcts[i].total), pcts[i].want);
    }
    char g[32];
    CHECK_STREQ(pw_go_fmt_g(g, sizeof g, 1.0 / 0.0, 0, 2), "+Inf");
    CHECK_STREQ(pw_go_fmt_g(g, sizeof g, 0.000123456, 0, 3), "0.000123");
    CHECK_STREQ(pw_go_fmt_g(g, sizeof g, 123456, 0, 3), "1.23e+05");
}

static void test_common_type(void)
{
    struct pw_unit_type ts[] = {{"cpu", "milliseconds"}, {"cpu", "nanoseconds"}, {"cpu", "s"}};
    struct pw_unit_type out;
    struct pw_err err = {0};
    CHECK_INTEQ(pw_common_value_type(ts, 3, &out, &err), 1);
    CHECK_STREQ(out.unit, "nanoseconds");
    CHECK_INTEQ(pw_common_value_type(ts, 1, &out, &err), 0);
    struct pw_unit_type bad[] = {{"cpu", "nanoseconds"}, {"space", "bytes"}};
    CHECK_INTEQ(pw_common_value_type(bad, 2, &out, &err), -1);
    /* pprof prints the ValueType structs with %v, unexported index fields included */
    CHECK_STREQ(err.msg, "incompatible types: {cpu nanoseconds 0 0} {space bytes 0 0}");
    struct pw_unit_type plural[] = {{"alloc", "bytes"}, {"allocs", "kilobytes"}};
    CHECK_INTEQ(pw_common_value_type(plural, 2, &out, &err), 1);
    CHECK_STREQ(out.unit, "bytes");
}

int main(void)
{
    test_labels();
    test_scale();
    test_percentage();
    test_common_type();
    return harness_done();
}
