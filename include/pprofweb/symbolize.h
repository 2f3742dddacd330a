/* symbolize: what pprof's symbolizer does to a profile without binaries (symbolz.h asks a
 * symbol server first for a fetched one): demangling of function names, per -symbolize's
 * demangle mode. Mutates the profile in place. */
#ifndef PPROFWEB_SYMBOLIZE_H
#define PPROFWEB_SYMBOLIZE_H

#include <stdbool.h>

#include "pprofweb/err.h"
#include "pprofweb/profile.h"

/* mode is -symbolize's value ("", "none", "remote", "local:demangle=full", ...). "none" does
 * nothing; otherwise names are demangled and simplified as pprof does by default
 * (no parameters, no template arguments), or per demangle=full|templates|none. */
int pw_symbolize(struct pw_profile *p, const char *mode, struct pw_err *err);

/* Whether a Go ?debug=1 page's comment names (gonames.h) are used in this mode: yes by
 * default (pprof would look for the binary, which pprofweb never runs); no for "none" (pprof's
 * output, byte for byte) and "remote" (only a symbol server's names, as pprof). */
bool pw_symbolize_uses_comments(const char *mode);

/* pprof's unsourceMappings: a mapping without build id whose file is an absolute URL loses it. */
void pw_profile_unsource_mappings(struct pw_profile *p);

#endif
