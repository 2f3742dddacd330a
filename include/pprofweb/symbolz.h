/* symbolz: pprof's remote symbolization of a profile fetched from a URL. The addresses of the
 * locations that have no names, in mappings without functions, are POSTed to the symbol endpoint
 * next to the profile's URL (net/http/pprof's /debug/pprof/symbol), and each answer line
 * "0xADDR NAME" gives that location one line: function NAME, no file, no line number. Mutates the
 * profile in place; strings and lines live in the profile's arena. */
#ifndef PPROFWEB_SYMBOLZ_H
#define PPROFWEB_SYMBOLZ_H

#include <stdbool.h>
#include <stddef.h>

#include "pprofweb/buf.h"
#include "pprofweb/err.h"
#include "pprofweb/profile.h"

/* Whether -symbolize's mode asks a symbol server, as pprof's: yes by default (NULL or "") and
 * for "remote"; no for "none", "local" and "fastlocal" (the last option given wins). *force is
 * set for ":force" and demangle= options: mappings that have functions are asked too. */
bool pw_symbolz_wanted(const char *mode, bool *force);

/* The symbol endpoint of a profile URL: a path with "/debug/pprof/" (or a gperftools handler's
 * suffix) gives PATH/../symbol, any other PATH/../symbolz, cleaned, without the query. A
 * malloc'd string, or NULL when url has no scheme and host. */
char *pw_symbolz_url(const char *url);

/* The request for one mapping (index m): the addresses of its locations without lines, "%#x"
 * joined by '+'. Returns how many (0: nothing to ask). */
size_t pw_symbolz_query(const struct pw_profile *p, uint32_t m, struct pw_buf *out);

/* Applies a symbol server's answer to mapping m's locations: each complete line holding
 * "0xADDR<space>NAME" names the location at ADDR (the last line for an address wins); other
 * lines are ignored. Returns how many locations were named, or -1 (PW_ECORRUPT) for an address
 * past 64 bits, leaving p unchanged. */
long pw_symbolz_answer(struct pw_profile *p, uint32_t m, const char *text, size_t len,
                       struct pw_err *err);

/* All of it for a profile fetched from url: every mapping without functions (every mapping when
 * force) is asked, in one POST each, and marked as having functions. Returns how many locations
 * were named, or -1 with err naming the endpoint when a POST fails (the mappings asked before
 * keep their names). */
long pw_symbolz(struct pw_profile *p, const char *url, bool force, int timeout,
                struct pw_err *err);

#endif
