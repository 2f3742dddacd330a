/* decode_internal: what decode.c (gzip, legacy fallback) needs from decode_proto.c (profile.proto);
 * not an API for other modules. The returned profile is owned by the caller. */
#ifndef PPROFWEB_DECODE_INTERNAL_H
#define PPROFWEB_DECODE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "pprofweb/err.h"
#include "pprofweb/profile.h"

/* Parses raw profile.proto bytes (at most PW_MAX_DECOMPRESSED). Returns NULL with *not_proto set
 * and why filled when the bytes are not a profile.proto at all (so legacy parsers may try), or
 * NULL with err filled when they are one but not a valid profile. */
struct pw_profile *pw_decode_proto(const unsigned char *data, size_t len, bool *not_proto,
                                   char *why, size_t why_len, struct pw_err *err);

#endif
