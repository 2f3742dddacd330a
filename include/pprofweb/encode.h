/* encode: struct pw_profile -> profile.proto bytes, gzip-compressed as pprof writes them (what
 * /download serves, so a refined view can be opened in go tool pprof), and gzip for HTTP bodies.
 * Returned buffers are malloc'd and owned by the caller. */
#ifndef PPROFWEB_ENCODE_H
#define PPROFWEB_ENCODE_H

#include <stddef.h>

#include "pprofweb/err.h"
#include "pprofweb/profile.h"

/* Encodes p (gzip when gzip is true). Returns 0, or -1 with err when the result would pass the
 * output limit. */
int pw_profile_encode(const struct pw_profile *p, bool gzip, unsigned char **out, size_t *len,
                      struct pw_err *err);

/* Compresses len bytes into one gzip member (libdeflate, its default level), for a body sent
 * with Content-Encoding: gzip. Returns a malloc'd buffer the caller frees and its length in
 * *out_len, or NULL when compression failed. */
unsigned char *pw_gzip(const void *data, size_t len, size_t *out_len);

#endif
