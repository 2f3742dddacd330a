/* decode: bytes -> validated struct pw_profile. Accepts gzip-compressed or raw profile.proto and
 * every legacy format pprof reads (legacy.h). The returned profile is owned by the caller
 * (pw_profile_free); the input bytes are not referenced after return. */
#ifndef PPROFWEB_DECODE_H
#define PPROFWEB_DECODE_H

#include <stddef.h>

#include "pprofweb/err.h"
#include "pprofweb/profile.h"

/* Decodes one profile. On failure returns NULL and err says what is wrong (PW_ECORRUPT for a bad
 * profile, PW_ETOOBIG past a limit); the message does not name the input, callers prefix it. */
struct pw_profile *pw_decode(const unsigned char *data, size_t len, struct pw_err *err);

/* The same, taking data (malloc'd) and freeing it as soon as it is gunzipped, so that the
 * compressed bytes, the raw bytes and the model are never all in memory at once. */
struct pw_profile *pw_decode_take(unsigned char *data, size_t len, struct pw_err *err);

/* Reads a whole file of at most max bytes into a malloc'd buffer (caller frees). */
int pw_read_file(const char *path, size_t max, unsigned char **data, size_t *len,
                 struct pw_err *err);

/* Reads and decodes a file; messages are prefixed with the path. */
struct pw_profile *pw_decode_file(const char *path, struct pw_err *err);

/* Gunzips data when it starts with the gzip magic (into a malloc'd buffer the caller frees, *out
 * set); otherwise *out = NULL. Output is capped at max bytes (PW_ETOOBIG past it). */
int pw_gunzip(const unsigned char *data, size_t len, size_t max, unsigned char **out,
              size_t *out_len, struct pw_err *err);

#endif
