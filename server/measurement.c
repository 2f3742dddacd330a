/* measurement: pprof's internal/measurement. Unit kinds (bytes, time, GCU) are tables of units
 * with aliases and a factor to the base unit; pw_scale converts between units of one kind and
 * picks a readable unit for "auto"/"minimum". Labels and percentages reproduce Go's fmt output
 * ("%.2f", "%5.2g") byte for byte. Nothing here allocates except pw_scale_profiles (through the
 * profile's own interning). Unit names returned are static strings or the caller's arguments. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/buf.h"
#include "pprofweb/measurement.h"
#include "pprofweb/profile.h"

struct unit {
    const char *name;
    const char *aliases[4]; /* NULL-terminated */
    double factor;
};

struct unit_kind {
    const struct unit *units;
    size_t n_units;
    const char *default_name;
    double default_factor;
};

static const struct unit byte_units[] = {
    {"B", {"b", "byte", NULL}, 1},
    {"kB", {"kb", "kbyte", "kilobyte", NULL}, 1024.0},
    {"MB", {"mb", "mbyte", "megabyte", NULL}, 1048576.0},
    {"GB", {"gb", "gbyte", "gigabyte", NULL}, 1073741824.0},
    {"TB", {"tb", "tbyte", "terabyte", NULL}, 1099511627776.0},
    {"PB", {"pb", "pbyte", "petabyte", NULL}, 1125899906842624.0},
};

static const struct unit time_units[] = {
    {"ns", {"ns", "nanosecond", NULL}, 1},
    {"us", {"\xce\xbcs", "us", "microsecond", NULL}, 1e3},
    {"ms", {"ms", "millisecond", NULL}, 1e6},
    {"s", {"s", "sec", "second", NULL}, 1e9},
    {"hrs", {"hour", "hr", NULL}, 3.6e12},
};

static const struct unit gcu_units[] = {
    {"n*GCU", {"nanogcu", NULL}, 1e-9}, {"u*GCU", {"microgcu", NULL}, 1e-6},
    {"m*GCU", {"milligcu", NULL}, 1e-3}, {"GCU", {"gcu", NULL}, 1},
    {"k*GCU", {"kilogcu", NULL}, 1e3},  {"M*GCU", {"megagcu", NULL}, 1e6},
    {"G*GCU", {"gigagcu", NULL}, 1e9},  {"T*GCU", {"teragcu", NULL}, 1e12},
    {"P*GCU", {"petagcu", NULL}, 1e15},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const struct unit_kind kinds[] = {
    {byte_units, N_OF(byte_units), "B", 1},
    {time_units, N_OF(time_units), "s", 1e9},
    {gcu_units, N_OF(gcu_units), "GCU", 1},
};

/* Units longer than any alias cannot match; this bounds the lowered copy. */
#define MAX_UNIT_SNIFF 64

/* pprof's sniffUnit: lower-cases the unit, drops one trailing 's' from units longer than two
 * bytes, and looks the result up among the kind's aliases. */
static const struct unit *sniff_unit(const struct unit_kind *k, const char *unit)
{
    char low[MAX_UNIT_SNIFF + 2];
    size_t n = 0;
    for (const unsigned char *s = (const unsigned char *)unit; *s; s++) {
        if (n >= MAX_UNIT_SNIFF)
            return NULL;
        unsigned char c = *s;
        /* Greek capital MU lower-cases to the mu of the "μs" alias (Go's ToLower is Unicode). */
        if (c == 0xce && s[1] == 0x9c) {
            low[n++] = (char)0xce;
            low[n++] = (char)0xbc;
            s++;
            continue;
        }
        low[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    low[n] = 0;
    if (n > 2 && low[n - 1] == 's')
        low[--n] = 0;
    for (size_t i = 0; i < k->n_units; i++)
        for (const char *const *a = k->units[i].aliases; *a; a++)
            if (strcmp(*a, low) == 0)
                return &k->units[i];
    return NULL;
}

static bool auto_scale(const struct unit_kind *k, double value, double *out, const char **unit)
{
    double f = 0;
    const char *name = NULL;
    for (size_t i = 0; i < k->n_units; i++) {
        if (k->units[i].factor >= f && value / k->units[i].factor >= 1.0) {
            f = k->units[i].factor;
            name = k->units[i].name;
        }
    }
    if (f == 0)
        return false;
    *out = value / f;
    *unit = name;
    return true;
}

static bool convert_unit(const struct unit_kind *k, int64_t value, const char *from,
                         const char *to, double *out, const char **unit)
{
    const struct unit *fu = sniff_unit(k, from);
    if (!fu)
        return false;
    double v = (double)value * fu->factor;
    if (strcmp(to, "minimum") == 0 || strcmp(to, "auto") == 0) {
        if (auto_scale(k, v, out, unit))
            return true;
        *out = v / k->default_factor;
        *unit = k->default_name;
        return true;
    }
    const struct unit *tu = sniff_unit(k, to);
    if (!tu) {
        *out = v / k->default_factor;
        *unit = k->default_name;
        return true;
    }
    *out = v / tu->factor;
    *unit = tu->name;
    return true;
}

double pw_scale(int64_t value, const char *from_unit, const char *to_unit, const char **out_unit)
{
    const char *u = "";
    double v;
    if (value < 0 && value != INT64_MIN) {
        v = -pw_scale(-value, from_unit, to_unit, out_unit);
        return v;
    }
    for (size_t i = 0; i < N_OF(kinds); i++) {
        if (convert_unit(&kinds[i], value, from_unit, to_unit, &v, &u)) {
            if (out_unit)
                *out_unit = u;
            return v;
        }
    }
    if (strcmp(to_unit, "count") == 0 || strcmp(to_unit, "sample") == 0 ||
        strcmp(to_unit, "unit") == 0 || strcmp(to_unit, "minimum") == 0 ||
        strcmp(to_unit, "auto") == 0)
        u = "";
    else
        u = to_unit;
    if (out_unit)
        *out_unit = u;
    return (double)value;
}

/* Go's "%.2f" with a trailing ".00" removed and "-0"/"0" collapsed, as ScaledLabel does. */
static size_t format_value(char *num, size_t cap, double v)
{
    int n;
    if (isnan(v))
        n = snprintf(num, cap, "NaN");
    else if (isinf(v))
        n = snprintf(num, cap, v > 0 ? "+Inf" : "-Inf");
    else
        n = snprintf(num, cap, "%.2f", v);
    if (n < 0)
        n = 0;
    size_t len = (size_t)n < cap ? (size_t)n : cap - 1;
    if (len >= 3 && strcmp(num + len - 3, ".00") == 0) {
        len -= 3;
        num[len] = 0;
    }
    return len;
}

size_t pw_scaled_label(char *dst, size_t cap, int64_t value, const char *from_unit,
                       const char *to_unit)
{
    const char *u;
    double v = pw_scale(value, from_unit, to_unit, &u);
    char num[400];
    format_value(num, sizeof num, v);
    if (strcmp(num, "0") == 0 || strcmp(num, "-0") == 0)
        return (size_t)snprintf(dst, cap, "0");
    return (size_t)snprintf(dst, cap, "%s%s", num, u);
}

size_t pw_label(char *dst, size_t cap, int64_t value, const char *unit)
{
    return pw_scaled_label(dst, cap, value, unit, "auto");
}

void pw_buf_add_scaled_label(struct pw_buf *out, int64_t value, const char *from_unit,
                             const char *to_unit)
{
    const char *u;
    double v = pw_scale(value, from_unit, to_unit, &u);
    char num[400];
    format_value(num, sizeof num, v);
    if (strcmp(num, "0") == 0 || strcmp(num, "-0") == 0) {
        pw_buf_addc(out, '0');
        return;
    }
    pw_buf_adds(out, num);
    pw_buf_adds(out, u);
}

/* C's %g and Go's strconv 'g' agree on the switch to exponent form (exp < -4 || exp >= prec),
 * on dropping trailing zeros and on two-digit exponents; they differ on infinities and NaN. */
const char *pw_go_fmt_g(char *dst, size_t cap, double v, int width, int prec)
{
    if (isnan(v))
        snprintf(dst, cap, "%*s", width, "NaN");
    else if (isinf(v))
        snprintf(dst, cap, "%*s", width, v > 0 ? "+Inf" : "-Inf");
    else
        snprintf(dst, cap, "%*.*g", width, prec, v);
    return dst;
}

const char *pw_percentage(char dst[PW_PERCENT_MAX], int64_t value, int64_t total)
{
    double ratio = 0;
    if (total != 0)
        ratio = fabs((double)value / (double)total) * 100;
    if (fabs(ratio) >= 99.95 && fabs(ratio) <= 100.05) {
        snprintf(dst, PW_PERCENT_MAX, "  100%%");
    } else if (fabs(ratio) >= 1.0) {
        if (isinf(ratio))
            snprintf(dst, PW_PERCENT_MAX, "+Inf%%");
        else
            snprintf(dst, PW_PERCENT_MAX, "%5.2f%%", ratio);
    } else {
        char g[PW_PERCENT_MAX];
        pw_go_fmt_g(g, sizeof g, ratio, 5, 2);
        snprintf(dst, PW_PERCENT_MAX, "%s%%", g);
    }
    return dst;
}

const char *pw_percentage_trimmed(char dst[PW_PERCENT_MAX], int64_t value, int64_t total)
{
    const char *s = pw_percentage(dst, value, total);
    while (*s == ' ')
        s++;
    return s;
}

/* strings.TrimSuffix(s, "s") compared for equality. */
static bool same_trimmed(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la && a[la - 1] == 's')
        la--;
    if (lb && b[lb - 1] == 's')
        lb--;
    return la == lb && memcmp(a, b, la) == 0;
}

static bool compatible_value_types(const struct pw_unit_type *a, const struct pw_unit_type *b)
{
    if (!same_trimmed(a->type, b->type))
        return false;
    if (strcmp(a->unit, b->unit) == 0)
        return true;
    for (size_t i = 0; i < N_OF(kinds); i++)
        if (sniff_unit(&kinds[i], a->unit) && sniff_unit(&kinds[i], b->unit))
            return true;
    return false;
}

int pw_common_value_type(const struct pw_unit_type *ts, size_t n, struct pw_unit_type *out,
                         struct pw_err *err)
{
    if (n <= 1)
        return 0;
    const struct pw_unit_type *min = &ts[0];
    for (size_t i = 1; i < n; i++) {
        const struct pw_unit_type *t = &ts[i];
        if (!compatible_value_types(min, t))
            return pw_fail(err, PW_EINVAL, "incompatible types: {%s %s 0 0} {%s %s 0 0}", min->type,
                           min->unit, t->type, t->unit);
        if (pw_scale(1, t->unit, min->unit, NULL) < 1)
            min = t;
    }
    *out = *min;
    return 1;
}

/* int64(f) as Go computes it on amd64: out-of-range conversions give INT64_MIN. */
static int64_t go_int64(double f)
{
    if (!(f > -9223372036854775808.0 && f < 9223372036854775808.0))
        return INT64_MIN;
    return (int64_t)f;
}

int pw_scale_profiles(struct pw_profile **profiles, size_t n, struct pw_err *err)
{
    if (n == 0)
        return 0;
    struct pw_unit_type *tmp = pw_xcalloc(n, sizeof *tmp);
    size_t nt = 0;
    for (size_t i = 0; i < n; i++) {
        struct pw_profile *p = profiles[i];
        if (p->has_period_type)
            tmp[nt++] = (struct pw_unit_type){pw_s(p, p->period_type.type),
                                              pw_s(p, p->period_type.unit)};
    }
    struct pw_unit_type period;
    int has_period = pw_common_value_type(tmp, nt, &period, err);
    if (has_period < 0) {
        free(tmp);
        return pw_err_prefix(err, "period type: ");
    }
    uint32_t nst = profiles[0]->n_sample_types;
    for (size_t i = 1; i < n; i++) {
        if (profiles[i]->n_sample_types != nst) {
            free(tmp);
            return pw_fail(err, PW_EINVAL, "inconsistent samples type count: %u != %u", nst,
                           profiles[i]->n_sample_types);
        }
    }
    struct pw_unit_type *common = pw_xcalloc(nst ? nst : 1, sizeof *common);
    bool *has_common = pw_xcalloc(nst ? nst : 1, sizeof *has_common);
    for (uint32_t i = 0; i < nst; i++) {
        for (size_t j = 0; j < n; j++) {
            const struct pw_profile *p = profiles[j];
            tmp[j] = (struct pw_unit_type){pw_s(p, p->sample_types[i].type),
                                           pw_s(p, p->sample_types[i].unit)};
        }
        int r = pw_common_value_type(tmp, n, &common[i], err);
        if (r < 0) {
            free(tmp);
            free(common);
            free(has_common);
            return pw_err_prefix(err, "sample types: ");
        }
        has_common[i] = r > 0;
    }
    free(tmp);

    /* The common types point into the profiles' string tables, which the rewriting below may
     * grow: copy them first. */
    char *punit = has_period ? strdup(period.unit) : NULL;
    char **units = pw_xcalloc(nst ? nst : 1, sizeof *units);
    for (uint32_t i = 0; i < nst; i++)
        if (has_common[i])
            units[i] = strdup(common[i].unit);
    free(common);

    int rc = 0;
    double *ratios = pw_xcalloc(nst ? nst : 1, sizeof *ratios);
    for (size_t j = 0; j < n && rc == 0; j++) {
        struct pw_profile *p = profiles[j];
        if (p->has_period_type && punit) {
            double v = pw_scale(p->period, pw_s(p, p->period_type.unit), punit, NULL);
            p->period = go_int64(v);
            p->period_type.unit = pw_intern_cstr(p, punit);
        }
        for (uint32_t i = 0; i < nst; i++) {
            if (!has_common[i]) {
                ratios[i] = 1;
                continue;
            }
            ratios[i] = pw_scale(1, pw_s(p, p->sample_types[i].unit), units[i], NULL);
            p->sample_types[i].unit = pw_intern_cstr(p, units[i]);
        }
        if (pw_profile_scale_n(p, ratios, err) < 0)
            rc = pw_err_prefix(err, "scale: ");
    }
    free(ratios);
    for (uint32_t i = 0; i < nst; i++)
        free(units[i]);
    free(units);
    free(punit);
    free(has_common);
    return rc;
}
