/* gofmt: Go's text formats that pprof output depends on (time.Time.String, Duration.String,
 * %#x). All functions write into caller-provided buffers and allocate nothing. */
#ifndef PPROFWEB_GOFMT_H
#define PPROFWEB_GOFMT_H

#include <stddef.h>
#include <stdint.h>

/* time.Unix(0, nanos).String() in the local time zone: "2017-09-29 20:57:59.25723537 +0000 UTC". */
void pw_go_time_string(int64_t nanos, char *out, size_t n);
/* time.Duration(nanos).String(): "1h2m3.5s", "1.5ms", "0s". */
void pw_go_duration_string(int64_t nanos, char *out, size_t n);
/* fmt's %#x for an unsigned value: "0x0", "0x1f". */
void pw_go_hex(uint64_t v, char *out, size_t n);
/* Cuts s (UTF-8) after at most max runes, as fmt's %.Ns precision does on strings. */
void pw_go_truncate_runes(char *s, size_t max);

#endif
