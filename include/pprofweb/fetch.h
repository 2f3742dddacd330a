/* fetch: profiles from live net/http/pprof endpoints over http(s), with libcurl. Returned buffers
 * and profiles are owned by the caller. */
#ifndef PPROFWEB_FETCH_H
#define PPROFWEB_FETCH_H

#include <stddef.h>

#include "pprofweb/err.h"
#include "pprofweb/profile.h"

/* Builds the URL pprof would fetch: "host:port/path" gets "http://"; seconds > 0 sets the
 * "seconds" query parameter. *timeout_out is the timeout in seconds (timeout if > 0, else
 * 1.5 x seconds, else 60), as pprof's adjustURL. Returns a malloc'd URL or NULL (PW_EINVAL). */
char *pw_fetch_adjust_url(const char *source, int seconds, int timeout, int *timeout_out,
                          struct pw_err *err);

/* GETs url (at most max bytes, within timeout seconds). Non-200 answers are errors that quote the
 * status (and the body of a pprof endpoint's text error). */
int pw_fetch_url(const char *url, int timeout, size_t max, unsigned char **data, size_t *len,
                 struct pw_err *err);

/* POSTs body (application/octet-stream) to url and reads the answer as pw_fetch_url does. */
int pw_fetch_post(const char *url, const char *body, size_t body_len, int timeout, size_t max,
                  unsigned char **data, size_t *len, struct pw_err *err);

/* Fetches and decodes a profile from a net/http/pprof URL. */
struct pw_profile *pw_fetch_profile(const char *source, int seconds, int timeout,
                                    struct pw_err *err);

#endif
