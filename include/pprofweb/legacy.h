/* legacy: parsers for the pre-protobuf profile formats pprof still reads. The returned profile is
 * owned by the caller (pw_profile_free). */
#ifndef PPROFWEB_LEGACY_H
#define PPROFWEB_LEGACY_H

#include <stddef.h>

#include "pprofweb/err.h"
#include "pprofweb/profile.h"

/* Parses data (already gunzipped) as one of the legacy formats pprof reads. Returns a new profile
 * or NULL with err filled (PW_ECORRUPT); "unrecognized profile format" when no parser applies. */
struct pw_profile *pw_legacy_parse(const unsigned char *data, size_t len, struct pw_err *err);

#endif
