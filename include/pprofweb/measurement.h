/* measurement: units of sample values, as pprof's internal/measurement. Converts between units of
 * one kind (bytes, time, GCU), picks a readable unit ("auto"/"minimum"), and formats values and
 * percentages byte for byte as Go's fmt does. Formatting functions write into caller buffers;
 * unit strings returned are static or one of the caller's own arguments (never owned here). */
#ifndef PPROFWEB_MEASUREMENT_H
#define PPROFWEB_MEASUREMENT_H

#include <stddef.h>
#include <stdint.h>

#include "pprofweb/err.h"

struct pw_buf;
struct pw_profile;

/* pprof's Scale: converts value from from_unit to to_unit ("auto" and "minimum" pick the largest
 * unit that keeps the value >= 1). Stores the resulting unit in *out_unit (if not NULL): a static
 * canonical name ("MB", "ms"...), "" for uninteresting units (count, sample, unit, minimum, auto
 * when from_unit is unknown), or to_unit itself when nothing better is known. */
double pw_scale(int64_t value, const char *from_unit, const char *to_unit, const char **out_unit);

/* pprof's ScaledLabel: "%.2f" of the scaled value with ".00" trimmed, then the unit; "0" for
 * zero. Writes a NUL-terminated string into dst (truncated to cap) and returns the full length
 * (snprintf-style). */
size_t pw_scaled_label(char *dst, size_t cap, int64_t value, const char *from_unit,
                       const char *to_unit);
/* pprof's Label: pw_scaled_label with to_unit "auto". */
size_t pw_label(char *dst, size_t cap, int64_t value, const char *unit);
/* Appends ScaledLabel to out. */
void pw_buf_add_scaled_label(struct pw_buf *out, int64_t value, const char *from_unit,
                             const char *to_unit);

/* pprof's Percentage: "  100%", "%5.2f%%" or Go's "%5.2g%%". dst needs PW_PERCENT_MAX bytes. */
#define PW_PERCENT_MAX 40
const char *pw_percentage(char dst[PW_PERCENT_MAX], int64_t value, int64_t total);
/* The same without its leading padding (strings.TrimSpace of it), as labels and views show it:
 * a pointer into dst. */
const char *pw_percentage_trimmed(char dst[PW_PERCENT_MAX], int64_t value, int64_t total);

/* Go's fmt "%.<prec>g" (strconv.FormatFloat(v, 'g', prec, 64) with Go's exponent form, e.g.
 * "1e-05", "+Inf", "NaN"), then padded on the left with spaces to width. Returns dst. */
const char *pw_go_fmt_g(char *dst, size_t cap, double v, int width, int prec);

/* A (type, unit) pair for CommonValueType; strings are the caller's. */
struct pw_unit_type {
    const char *type;
    const char *unit;
};
/* pprof's CommonValueType: the finest of compatible types. Returns 1 and fills *out when there is
 * a common type, 0 when n <= 1 ("no common type", pprof's nil), -1 with err on incompatible
 * types. */
int pw_common_value_type(const struct pw_unit_type *ts, size_t n, struct pw_unit_type *out,
                         struct pw_err *err);

/* pprof's ScaleProfiles: rewrites the period and sample type units of every profile to the finest
 * common unit and scales values (via pw_profile_scale_n). -1 with err when types are
 * incompatible or counts differ. */
int pw_scale_profiles(struct pw_profile **profiles, size_t n, struct pw_err *err);

#endif
