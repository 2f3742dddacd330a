/* routes: the web server's application, independent of any HTTP library. A struct pw_app holds the
 * loaded profiles (by id), the initial view settings and the cache of computed views; pw_route()
 * turns one struct pw_request into one struct pw_response, so every route is testable without a
 * socket. The app borrows the profiles and the base config given to it (they must outlive it);
 * a response owns its body (pw_response_release frees it); a request's strings belong to the
 * caller, usually in the request arena. */
#ifndef PPROFWEB_ROUTES_H
#define PPROFWEB_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "pprofweb/arena.h"
#include "pprofweb/buf.h"
#include "pprofweb/config.h"
#include "pprofweb/err.h"
#include "pprofweb/profile.h"
#include "pprofweb/query.h"

/* Profiles one app serves from memory. */
#define PW_MAX_APP_PROFILES 4096
/* A request body (uploads); larger is HTTP 413. */
#define PW_MAX_REQUEST_BODY ((size_t)256 << 20)
/* Length of a profile id: [A-Za-z0-9_-]{1,64}. */
#define PW_MAX_ID_LEN 64

struct pw_request {
    const char *method;       /* "GET", "HEAD", "POST", ... */
    const char *path;         /* percent-decoded path, e.g. "/p/3f2a/ui/top" */
    struct pw_params params;  /* decoded query parameters, in URL order */
    const unsigned char *body; /* POST body, or NULL */
    size_t body_len;
    const char *content_type; /* of the body, or NULL */
    bool client_is_local;     /* the peer is a loopback address */
    /* Request headers the sharing routes read (share.h), or NULL when absent. */
    const char *authorization, *cookie, *origin, *host;
    bool accepts_gzip; /* Accept-Encoding allows gzip (pw_accepts_gzip) */
    struct pw_arena *arena;   /* per-request memory, released after the response is sent */
    /* Only the headers have arrived (body NULL): pw_route answers only refusals decided by them
     * (403, 401, 405, 503...) and otherwise leaves the response's status 0, so that the body is
     * read only for a request that may go through. */
    bool body_pending;
};

struct pw_response {
    int status;
    const char *content_type;        /* static string */
    const char *content_disposition; /* NULL or a string in the request arena */
    const char *location;            /* redirect target (request arena), or NULL */
    const char *cache_control;       /* static string, or NULL */
    const char *set_cookie;          /* Set-Cookie value (request arena), or NULL */
    const char *content_encoding;    /* "gzip" when the body is gzipped, or NULL */
    const char *vary;                /* static string, or NULL */
    bool is_page;                    /* HTML page: send the Content-Security-Policy */
    const char *policy;              /* that policy (static), or NULL for pw_page_policy */
    /* The body: either data (data != NULL) or the owned buffer buf. data is static, or, when
     * data_free is set, held until data_free(data_free_ctx) is called: by the HTTP layer once
     * the body is sent, else by pw_response_release or pw_response_error. */
    const unsigned char *data;
    size_t len;
    void (*data_free)(void *ctx);
    void *data_free_ctx;
    struct pw_buf buf;
};

void pw_response_init(struct pw_response *r);
void pw_response_release(struct pw_response *r);
/* Makes r an error response: status and msg, as JSON {"error", "status"} (json) or plain text.
 * Drops any body r had. */
void pw_response_error(struct pw_response *r, bool json, int status, const char *msg);
/* The body to send (data or buf), and its length. */
const void *pw_response_body(const struct pw_response *r, size_t *len);
/* Makes r the embedded HTML page web/NAME (served uncached, with the page headers). False, with
 * r a 500, when this build lacks it. */
bool pw_response_page(struct pw_response *r, const char *name);

struct pw_app;

/* local_only: refuse non-local clients (403), as pprof does when bound to localhost. base is the
 * initial view settings (command-line flags); NULL means pprof's defaults. The view cache holds
 * PW_VIEW_CACHE_BYTES. */
struct pw_app *pw_app_new(const struct pw_config *base, bool local_only);
/* The same with a view cache of cache_bytes (0: PW_VIEW_CACHE_BYTES), as -view_cache sets. */
struct pw_app *pw_app_new_sized(const struct pw_config *base, bool local_only,
                                size_t cache_bytes);
void pw_app_free(struct pw_app *app);
/* Adds a profile the caller keeps alive. id NULL derives a stable id from the profile's content
 * (the same file gives the same id across restarts). The first profile added is the default one
 * (routes without /p/ID). Writes the id used into id_out (PW_MAX_ID_LEN + 1 bytes) if not NULL.
 * Fails when the id is malformed or taken, or past PW_MAX_APP_PROFILES. */
int pw_app_add_profile(struct pw_app *app, const struct pw_profile *p, const char *name,
                       const char *id, char *id_out, struct pw_err *err);

/* Optional source of profiles not added in advance (the store): returns a profile borrowed until
 * release(ctx, p), which pw_route calls once the response is built, or NULL with err
 * (PW_ENOTFOUND for an unknown id). *name is the profile's name, allocated in arena. */
typedef const struct pw_profile *(*pw_profile_loader)(void *ctx, const char *id,
                                                      struct pw_arena *arena, const char **name,
                                                      struct pw_err *err);
typedef void (*pw_profile_release)(void *ctx, const struct pw_profile *p);
void pw_app_set_loader(struct pw_app *app, pw_profile_loader loader, pw_profile_release release,
                       void *ctx);

/* Optional handler called first for every request (after the local-only check, before the
 * method check): answers the routes it owns (uploads, the start page, authentication) into resp
 * and returns true, or returns false to let the route table answer. */
typedef bool (*pw_route_hook)(void *ctx, const struct pw_request *req, struct pw_response *resp);
void pw_app_set_hook(struct pw_app *app, pw_route_hook hook, void *ctx);

/* Starts computing the default profile's main views (with the initial settings) in the
 * background, so that the first page load is served from the cache. pw_app_free() waits for it. */
void pw_app_warm(struct pw_app *app);
/* Computes the views at paths, in order, by local GET requests to route (a route hook: it
 * answers and returns true, or returns false to stop before that path), so that their results
 * are cached before anyone asks. Each request has its own arena, released after it. Call it on a
 * thread of its own: it lowers that thread's CPU priority (PW_WARM_NICE) for good, so that
 * requests made meanwhile are computed first. */
void pw_warm_paths(pw_route_hook route, void *ctx, const char *const *paths, size_t n);
/* The warm-up's nice value: a request (nice 0) contending with it for a processor gets about three
 * times its share. Not more: on a machine busy with other work, a warm-up starved further has not
 * reached the views a user opens a second later (L's flame graph then waited for its stacks). */
#define PW_WARM_NICE 5

/* Handles one request. Never fails: errors become 4xx/5xx responses with a message. */
void pw_route(struct pw_app *app, const struct pw_request *req, struct pw_response *resp);

/* True when an Accept-Encoding header (NULL: none) allows gzip: gzip or x-gzip, or else *,
 * listed with no q=0. */
bool pw_accepts_gzip(const char *accept_encoding);

/* Maps an error code to an HTTP status (400, 404, 413, 422, 500). */
int pw_http_status(enum pw_code code);

/* True when a Host header (NULL: none) names this machine's loopback: localhost, 127.0.0.1 or
 * [::1], with or without a port. A local-only app refuses other names (DNS rebinding). */
bool pw_host_is_local(const char *host);

/* True when id is a well-formed profile id. */
bool pw_id_valid(const char *id);

/* --- view cache (routes_cache.c) ---
 * Computed view bodies by key, bounded by bytes (least recently used dropped first). Safe to
 * use from many threads: a key being computed by one thread makes the others wait for its result
 * instead of computing it again. */
struct pw_cache;
struct pw_cache *pw_cache_new(size_t max_bytes);
void pw_cache_free(struct pw_cache *c);
/* On a hit, appends the cached body to body, sets *status and returns 1. On a miss, claims key
 * and returns 0: the caller computes and must then call pw_cache_put() for the same key. */
int pw_cache_get_or_claim(struct pw_cache *c, const char *key, int *status, struct pw_buf *body);
/* pw_cache_get_or_claim without a copy: on a hit, *body is the cached body itself, shared
 * (read-only; eviction leaves it alive) until pw_cache_body_unref(*body). A view of megabytes
 * is then sent from where it is kept instead of being copied and paged in for each request.
 * With gzip, a body of PW_GZIP_MIN_BODY bytes or more comes gzipped (*gzipped set): the
 * cache's gzipped copy, made by the first such call. */
struct pw_cache_body;
int pw_cache_get_shared_or_claim(struct pw_cache *c, const char *key, int *status,
                                 struct pw_cache_body **body, bool gzip, bool *gzipped);
const unsigned char *pw_cache_body_data(const struct pw_cache_body *b, size_t *len);
void pw_cache_body_unref(void *body); /* a struct pw_cache_body; void for data_free */
/* Makes r's body the shared cached body b, which r releases. */
void pw_response_share(struct pw_response *r, struct pw_cache_body *b);
/* Stores the result for a claimed key (copied) and wakes the threads waiting for it. */
void pw_cache_put(struct pw_cache *c, const char *key, int status, const char *body, size_t len);
struct pw_cache_stats {
    size_t entries, bytes, max_bytes; /* bytes count keys, bodies and bookkeeping */
    size_t hits, misses, evictions;
};
/* Counters for tests, logs and GET /api/cache. */
void pw_cache_stats(struct pw_cache *c, struct pw_cache_stats *out);

#endif
