/* share: getting profiles in and sharing them. Uploads (POST /api/upload, raw or multipart),
 * fetches of live URLs (POST /api/fetch), the listing of stored profiles (GET /api/store), the
 * start page (/start), stored profiles served lazily at /p/ID/..., and the access token
 * (-auth_token, -private). It plugs into the route table as its hook and loader (routes.h).
 * A struct pw_share borrows the store and the token given to it; they must outlive it. */
#ifndef PPROFWEB_SHARE_H
#define PPROFWEB_SHARE_H

#include <stdbool.h>
#include <stddef.h>

#include "pprofweb/err.h"
#include "pprofweb/routes.h"
#include "pprofweb/store.h"

/* Seconds of profile a fetch may ask for (the page's "seconds" box); longer is 400. */
#define PW_MAX_FETCH_SECONDS 3600
/* Stored profiles listed by /api/store, newest first. */
#define PW_MAX_LISTED 1000
/* The cookie that holds a signed-in browser's proof of the token. */
#define PW_TOKEN_COOKIE "pprofweb_token"

struct pw_share_options {
    struct pw_store *store; /* NULL: no uploads or fetches (503), no stored profiles */
    size_t max_upload;      /* bytes of one upload or fetched profile; 0: PW_MAX_REQUEST_BODY */
    const char *auth_token; /* NULL or "": anyone may upload and fetch */
    bool private_mode;      /* reading needs the token too (-private) */
    int fetch_timeout;      /* -timeout for fetches; 0: pprof's rule (see fetch.h) */
};

struct pw_share;

struct pw_share *pw_share_new(const struct pw_share_options *o);
void pw_share_free(struct pw_share *s);
/* Makes app serve s's routes (its hook) and the stored profiles (its loader). */
void pw_share_attach(struct pw_share *s, struct pw_app *app);
/* The hook itself (for tests): true when s answered req. */
bool pw_share_route(struct pw_share *s, const struct pw_request *req, struct pw_response *resp);

/* True when req carries the token (or no token is set): what writes need. */
bool pw_share_authorized(struct pw_share *s, const struct pw_request *req);
/* The store s serves (NULL: none). */
struct pw_store *pw_share_store(struct pw_share *s);

/* Keeps the profile the command line loaded (p, from sources and n_bases bases) in store, so its
 * /p/ID link outlives the server: one file is stored as its bytes (the id an upload of that file
 * gets), one URL was stored when fetched, anything merged or diffed as its encoded profile.
 * known_id is the store id of the one source's bytes when loading found it (the URL's as kept,
 * the file's as read: pw_source_options), or NULL: a file already stored is then not read again.
 * known_bytes (known_len long), when not NULL, are the file's bytes known_id was computed from:
 * a file not stored yet is then stored from them, neither read nor hashed again.
 * Writes the id to id_out (PW_STORE_ID_LEN + 1 bytes). */
int pw_share_keep_loaded(struct pw_store *store, const char *const *sources, size_t n_sources,
                         size_t n_bases, const struct pw_profile *p, const char *known_id,
                         const unsigned char *known_bytes, size_t known_len, char *id_out,
                         struct pw_err *err);

/* Parses a byte size: "268435456", "256MB", "64mb", "512k", "1GiB" (K, M, G are powers of
 * 1024). PW_EINVAL for anything else, zero, or more than PW_MAX_INPUT. */
int pw_parse_size(const char *s, size_t *out, struct pw_err *err);

/* Compares two secrets in time independent of where they differ (and of their lengths). */
bool pw_secret_equal(const char *a, const char *b);

/* True when an Origin header (NULL: none, as curl sends) names the Host the request was sent to:
 * a page of another site may not make this server upload or fetch. */
bool pw_same_origin(const char *origin, const char *host);

#endif
