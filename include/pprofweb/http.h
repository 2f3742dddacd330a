/* http: the web server on libmicrohttpd (the only module that includes microhttpd.h). It turns
 * HTTP requests into struct pw_request for the route table (routes.h) and the responses back.
 * The profiles, names and config passed in are borrowed for the server's lifetime. */
#ifndef PPROFWEB_HTTP_H
#define PPROFWEB_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "pprofweb/config.h"
#include "pprofweb/err.h"
#include "pprofweb/profile.h"

/* Worker threads answering requests. */
#define PW_HTTP_THREADS 4
/* Seconds an idle connection is kept (also a client that stops sending its headers or body). */
#define PW_HTTP_TIMEOUT 30

struct pw_app;

/* What a caller adds to the server. */
struct pw_http_options {
    /* Request bodies past it are 413, refused from Content-Length before they are read when
     * the client sends one; 0 means PW_MAX_REQUEST_BODY. */
    size_t max_body;
    /* Bytes of the view cache (-view_cache); 0 means PW_VIEW_CACHE_BYTES. */
    size_t view_cache;
    /* Called once the app exists and holds the profiles, before it serves: sets a loader, a
     * hook, more profiles. A failure stops the server before it listens. */
    int (*setup)(struct pw_app *app, void *ctx, struct pw_err *err);
    void *setup_ctx;
};

/* Serves the web UI on hostport ("[host]:port") until SIGINT/SIGTERM. profiles[0] is the default
 * profile (may be NULL when none was given); cfg holds the initial view settings. An empty host
 * binds localhost and refuses non-local clients with 403, as pprof does; an empty or 0 port picks
 * a free one. opts may be NULL. Prints "Serving web UI on http://HOST:PORT" to stdout once listening, and opens a
 * browser when open_browser. Returns 0 after a clean shutdown, -1 with err when the address is
 * bad or cannot be bound. */
int pw_http_serve(const char *hostport, struct pw_profile **profiles, size_t n_profiles,
                  const char **names, const struct pw_config *cfg, bool open_browser,
                  const struct pw_http_options *opts, struct pw_err *err);

/* Splits "[host]:port", "host:port", ":port" into host (may be "") and port (-1 when empty).
 * host_out has room for 256 bytes. */
int pw_http_split_hostport(const char *hostport, char *host_out, int *port, struct pw_err *err);

#endif
