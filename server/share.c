/* share: the routes that bring profiles in (uploads, fetched URLs) and keep them shareable (the
 * store behind /p/ID/..., the start page, the access token).
 *
 * In: requests from the route table's hook (routes.h), hostile in every byte. Out: JSON answers
 * ({"id", "link", "profiles": [...]}, or {"error", "status"}), the start page, a sign-in page.
 * An upload is decoded completely before anything is written (422 with the decoder's message);
 * the store writes atomically, so a failed or concurrent upload never shows a torn profile.
 * Writes (upload, fetch) need the token when one is set: a fetch makes this server open URLs a
 * client chose (SSRF), so a shared server should set one. With -private every route needs it:
 * "Authorization: Bearer TOKEN", or the cookie set by opening any page with ?token=TOKEN once
 * (HttpOnly, SameSite=Strict, holding a hash of the token rather than the token). POSTs from a
 * page of another origin are refused (403). Memory: per request, in the request arena and the
 * response buffer; decoded uploads are freed once stored (the store decodes on first view). */
#include "pprofweb/share.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pprofweb/decode.h"
#include "pprofweb/encode.h"
#include "pprofweb/fetch.h"
#include "pprofweb/json.h"
#include "pprofweb/limits.h"
#include "pprofweb/multipart.h"
#include "pprofweb/source.h"

struct pw_share {
    struct pw_share_options o;
    char cookie[65]; /* hex SHA-256 of the token, the value of PW_TOKEN_COOKIE */
};

static void hex32(const unsigned char sum[32], char *out)
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", sum[i]);
}

struct pw_share *pw_share_new(const struct pw_share_options *o)
{
    struct pw_share *s = pw_xcalloc(1, sizeof(*s));
    s->o = *o;
    if (!s->o.max_upload)
        s->o.max_upload = PW_MAX_REQUEST_BODY;
    if (s->o.auth_token && !*s->o.auth_token)
        s->o.auth_token = NULL;
    if (s->o.auth_token) {
        struct pw_buf b;
        pw_buf_init(&b, 0);
        pw_buf_addf(&b, "pprofweb cookie\n%s", s->o.auth_token);
        unsigned char sum[32];
        pw_sha256(b.data, b.len, sum);
        pw_buf_release(&b);
        hex32(sum, s->cookie);
    }
    return s;
}

void pw_share_free(struct pw_share *s)
{
    free(s);
}

/* --- sizes, secrets, origins --- */

int pw_parse_size(const char *s, size_t *out, struct pw_err *err)
{
    const char *p = s;
    unsigned long long v = 0;
    if (!s || *p < '0' || *p > '9')
        return pw_fail(err, PW_EINVAL,
                       "bad size \"%.40s\": want bytes, or a number with K, M "
                       "or G (e.g. 256MB)",
                       s ? s : "");
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > PW_MAX_INPUT)
            break;
        v = v * 10 + (unsigned)(*p - '0');
    }
    unsigned long long mult = 1;
    char u = (char)(*p | 0x20);
    if (*p && (u == 'k' || u == 'm' || u == 'g')) {
        mult = u == 'k' ? 1ull << 10 : u == 'm' ? 1ull << 20 : 1ull << 30;
        p++;
        if ((*p | 0x20) == 'i')
            p++;
    }
    if ((*p | 0x20) == 'b')
        p++;
    if (*p)
        return pw_fail(err, PW_EINVAL,
                       "bad size \"%.40s\": want bytes, or a number with K, M "
                       "or G (e.g. 256MB)",
                       s);
    if (v == 0 || v > PW_MAX_INPUT / mult)
        return pw_fail(err, PW_EINVAL, "size \"%.40s\" out of range (1 byte to %zu MB)", s,
                       PW_MAX_INPUT >> 20);
    *out = (size_t)(v * mult);
    return 0;
}

bool pw_secret_equal(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    unsigned char x[32], y[32];
    pw_sha256(a, strlen(a), x);
    pw_sha256(b, strlen(b), y);
    unsigned char d = 0;
    for (int i = 0; i < 32; i++)
        d |= (unsigned char)(x[i] ^ y[i]);
    return d == 0;
}

bool pw_same_origin(const char *origin, const char *host)
{
    if (!origin)
        return true; /* not a browser (curl), or a same-origin GET */
    const char *h = strstr(origin, "://");
    if (!h || !host)
        return false;
    return strcasecmp(h + 3, host) == 0;
}

/* --- responses --- */

static void err_response(struct pw_response *r, const struct pw_err *err)
{
    pw_response_error(r, true, pw_http_status(err->code), err->msg);
}

static const char login_page[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<title>pprofweb: sign in</title><style>body{font-family:system-ui,sans-serif;margin:3em;"
    "color:#1d1d1f}input{font:inherit;padding:4px 8px}button{font:inherit;padding:4px 12px}"
    "</style></head><body><h1>pprofweb</h1><p>This pprofweb is private: enter its access "
    "token.</p><form method=\"get\"><input type=\"password\" name=\"token\" required size=\"40\" "
    "autofocus aria-label=\"Access token\"> <button>Open</button></form></body></html>\n";

/* --- authentication --- */

/* The value of cookie name in a Cookie header, in the arena, or NULL. */
static const char *cookie_value(const char *header, const char *name, struct pw_arena *arena)
{
    size_t n = strlen(name);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > n && !strncmp(p, name, n) && p[n] == '=')
            return pw_arena_strndup(arena, p + n + 1, len - n - 1);
        p = end;
    }
    return NULL;
}

static bool authorized(const struct pw_share *s, const struct pw_request *req)
{
    if (!s->o.auth_token)
        return true;
    const char *a = req->authorization;
    if (a && !strncasecmp(a, "Bearer ", 7) && pw_secret_equal(a + 7, s->o.auth_token))
        return true;
    const char *c = cookie_value(req->cookie, PW_TOKEN_COOKIE, req->arena);
    return c && pw_secret_equal(c, s->cookie);
}

bool pw_share_authorized(struct pw_share *s, const struct pw_request *req)
{
    return authorized(s, req);
}

struct pw_store *pw_share_store(struct pw_share *s)
{
    return s->o.store;
}

/* ?token=TOKEN: sets the cookie and redirects to the same URL without the token. */
static void sign_in(struct pw_share *s, const struct pw_request *req, struct pw_response *r)
{
    const char *path = req->path ? req->path : "/";
    for (const char *p = path; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-.", *p))
            path = "/ui/"; /* only plain paths are echoed into Location */
    if (path[0] != '/' || path[1] == '/')
        path = "/ui/"; /* "//host" would send the browser to another site */
    struct pw_buf loc;
    pw_buf_init(&loc, 1 << 20);
    pw_buf_adds(&loc, path);
    size_t kept = 0;
    for (size_t i = 0; i < req->params.n; i++) {
        if (!strcmp(req->params.v[i].key, "token"))
            continue;
        pw_buf_addc(&loc, kept++ ? '&' : '?');
        pw_url_escape(&loc, req->params.v[i].key);
        pw_buf_addc(&loc, '=');
        pw_url_escape(&loc, req->params.v[i].value);
    }
    r->status = 303;
    r->location = pw_arena_strdup(req->arena, pw_buf_str(&loc));
    pw_buf_release(&loc);
    r->set_cookie =
        pw_arena_printf(req->arena, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000",
                        PW_TOKEN_COOKIE, s->cookie);
    pw_buf_addf(&r->buf, "see %s\n", r->location);
}

static void unauthorized(const struct pw_request *req, bool api, const char *why,
                         struct pw_response *r)
{
    if (api) {
        pw_response_error(r, true, 401, why);
        return;
    }
    r->status = 401;
    r->content_type = "text/html; charset=utf-8";
    r->cache_control = "no-cache";
    r->is_page = true;
    r->data = (const unsigned char *)login_page;
    r->len = sizeof(login_page) - 1;
}

/* --- uploads and fetches --- */

/* One profile brought in: where it came from, its bytes, what it decoded to. */
struct incoming {
    const char *name;
    const unsigned char *data;
    size_t len;
    struct pw_profile *p;
    char id[PW_STORE_ID_LEN + 1];
};

/* The base name of a client's file name (browsers send only that; others may send paths). */
static const char *base_name(const char *name)
{
    const char *slash = strrchr(name, '/'), *bslash = strrchr(name, '\\');
    if (bslash > slash)
        slash = bslash;
    return slash ? slash + 1 : name;
}

/* Decodes one incoming profile into in->p (the store's symbolization); its name prefixes an
 * error. */
static int decode_one(struct pw_share *s, struct incoming *in, struct pw_err *err)
{
    in->p = pw_source_prepare_bytes_mode(in->data, in->len, pw_store_symbolize(s->o.store), err);
    if (!in->p) {
        pw_err_prefix(err, "%s: ", in->name);
        return -1;
    }
    return 0;
}

/* Decodes every incoming profile (none is stored unless all decode), stores them, answers with
 * their ids and links. One decoded profile is alive at a time: a decoded model can be a
 * thousand times its gzipped bytes, so several parts decoded together would hold that many
 * times more. Each is decoded once, for its entry; the store then takes the bytes and entries
 * of all (all or nothing where it can: one transaction on a database). */
static void keep_all(struct pw_share *s, struct incoming *in, size_t n, struct pw_response *r)
{
    struct pw_err err = {0};
    int rc = 0;
    struct pw_store_item *items = calloc(n, sizeof(*items));
    if (!items)
        rc = pw_fail(&err, PW_EIO, "out of memory storing %zu profiles", n);
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = decode_one(s, &in[i], &err);
        if (rc == 0) {
            items[i].data = in[i].data;
            items[i].len = in[i].len;
            pw_store_describe(in[i].p, in[i].name, in[i].len, &items[i].entry);
        }
        pw_profile_free(in[i].p);
        in[i].p = NULL;
    }
    if (rc == 0 && (rc = pw_store_put_valid_all(s->o.store, items, n, &err)) == 0)
        for (size_t i = 0; i < n; i++)
            memcpy(in[i].id, items[i].entry.id, sizeof(in[i].id));
    free(items);
    if (rc) {
        err_response(r, &err);
        return;
    }
    r->content_type = "application/json";
    r->cache_control = "no-cache";
    struct pw_json j;
    pw_json_init(&j, &r->buf);
    pw_json_obj_begin(&j);
    char link[64];
    snprintf(link, sizeof(link), "/p/%s/ui/flamegraph", in[0].id);
    pw_json_kstr(&j, "id", in[0].id);
    pw_json_kstr(&j, "link", link);
    pw_json_key(&j, "profiles");
    pw_json_arr_begin(&j);
    for (size_t i = 0; i < n; i++) {
        struct pw_store_entry e;
        struct pw_err ignored;
        bool have = pw_store_stat(s->o.store, in[i].id, &e, &ignored) == 0;
        snprintf(link, sizeof(link), "/p/%s/ui/flamegraph", in[i].id);
        pw_json_obj_begin(&j);
        pw_json_kstr(&j, "id", in[i].id);
        pw_json_kstr(&j, "name", have ? e.name : in[i].name);
        pw_json_kstr(&j, "type", have ? e.type : "");
        pw_json_key(&j, "size");
        pw_json_uint(&j, in[i].len);
        pw_json_kstr(&j, "link", link);
        pw_json_obj_end(&j);
    }
    pw_json_arr_end(&j);
    pw_json_obj_end(&j);
    pw_buf_addc(&r->buf, '\n');
}

static void upload(struct pw_share *s, const struct pw_request *req, struct pw_response *r)
{
    if (!req->body || req->body_len == 0) {
        pw_response_error(r, true, 400,
                   "empty upload: send the profile as the request body "
                   "(curl --data-binary @FILE) or as multipart/form-data files");
        return;
    }
    struct incoming *in;
    size_t n = 0;
    if (pw_multipart_is(req->content_type)) {
        struct pw_part *parts;
        size_t n_parts;
        struct pw_err err = {0};
        if (pw_multipart_parse(req->content_type, req->body, req->body_len, req->arena, &parts,
                               &n_parts, &err)) {
            err_response(r, &err);
            return;
        }
        in = pw_arena_calloc(req->arena, n_parts ? n_parts : 1, sizeof(*in));
        for (size_t i = 0; i < n_parts; i++) {
            if (!parts[i].filename)
                continue; /* a plain form field */
            in[n].name = *parts[i].filename ? base_name(parts[i].filename) : "upload";
            in[n].data = parts[i].data;
            in[n].len = parts[i].len;
            n++;
        }
        if (!n) {
            pw_response_error(r, true, 400, "multipart upload without a file part (a part with a filename)");
            return;
        }
    } else {
        in = pw_arena_calloc(req->arena, 1, sizeof(*in));
        const char *name = pw_params_get(&req->params, "name");
        in[0].name = name && *name ? base_name(name) : "upload";
        in[0].data = req->body;
        in[0].len = req->body_len;
        n = 1;
    }
    keep_all(s, in, n, r);
}

/* The url and seconds of a fetch: from the query string, or a form-encoded body. */
static void fetch(struct pw_share *s, const struct pw_request *req, struct pw_response *r)
{
    struct pw_err err = {0};
    struct pw_params form = {0};
    const struct pw_params *ps = &req->params;
    if (req->body_len && req->content_type &&
        !strncasecmp(req->content_type, "application/x-www-form-urlencoded", 33)) {
        if (memchr(req->body, 0, req->body_len)) {
            pw_response_error(r, true, 400, "form body contains a NUL byte");
            return;
        }
        char *text = pw_arena_strndup(req->arena, (const char *)req->body, req->body_len);
        if (pw_params_parse(&form, req->arena, text, &err)) {
            pw_params_release(&form);
            err_response(r, &err);
            return;
        }
        ps = &form;
    }
    const char *url = pw_params_get(ps, "url");
    const char *secs = pw_params_get(ps, "seconds");
    int seconds = 0;
    if (secs && *secs) {
        char *end;
        long v = strtol(secs, &end, 10);
        if (*end || v < 0 || v > PW_MAX_FETCH_SECONDS) {
            pw_params_release(&form);
            pw_response_error(r, true, 400, "seconds: want a whole number of seconds from 0 to 3600");
            return;
        }
        seconds = (int)v;
    }
    if (!url || !*url) {
        pw_params_release(&form);
        pw_response_error(r, true, 400,
                   "fetch needs url= (a net/http/pprof endpoint such as "
                   "http://host:6060/debug/pprof/heap)");
        return;
    }
    for (const char *p = url; *p; p++) {
        if ((unsigned char)*p <= ' ' || *p == 0x7f) {
            pw_params_release(&form);
            pw_response_error(r, true, 400, "url contains spaces or control characters");
            return;
        }
    }
    int timeout = 0;
    char *full = pw_fetch_adjust_url(url, seconds, s->o.fetch_timeout, &timeout, &err);
    pw_params_release(&form);
    if (!full) {
        err_response(r, &err);
        return;
    }
    unsigned char *data = NULL;
    size_t len = 0;
    size_t max = s->o.max_upload < PW_MAX_INPUT ? s->o.max_upload : PW_MAX_INPUT;
    if (pw_fetch_url(full, timeout, max, &data, &len, &err)) {
        free(full);
        err_response(r, &err);
        return;
    }
    /* A page of addresses is named by the service's symbol endpoint now, while it runs. */
    struct pw_buf warn;
    pw_buf_init(&warn, 0);
    size_t named_len = 0;
    unsigned char *named = pw_source_fetched_bytes(data, len, full, pw_store_symbolize(s->o.store),
                                                   timeout, &named_len, &warn);
    if (warn.len)
        fprintf(stderr, "%s", pw_buf_str(&warn));
    pw_buf_release(&warn);
    struct incoming in = {.name = pw_arena_strdup(req->arena, full),
                          .data = named ? named : data,
                          .len = named ? named_len : len};
    free(full);
    keep_all(s, &in, 1, r);
    free(named);
    free(data);
}

/* GET /api/store: the stored profiles, newest first. */
static void list(struct pw_share *s, const struct pw_request *req, struct pw_response *r)
{
    size_t n = 0, in_series = 0; /* a series' snapshots are listed as their series */
    struct pw_err err = {0};
    struct pw_store_entry *e =
        s->o.store ? pw_store_list_loose(s->o.store, &n, &in_series, &err) : NULL;
    if (s->o.store && !e && err.code == PW_EUNAVAIL) {
        err_response(r, &err);
        return;
    }
    r->content_type = "application/json";
    r->cache_control = "no-cache";
    struct pw_json j;
    pw_json_init(&j, &r->buf);
    pw_json_obj_begin(&j);
    pw_json_kbool(&j, "store", s->o.store != NULL);
    pw_json_kbool(&j, "token_required", s->o.auth_token != NULL);
    pw_json_kbool(&j, "authorized", authorized(s, req));
    pw_json_key(&j, "max_upload");
    pw_json_uint(&j, s->o.max_upload);
    pw_json_kbool(&j, "truncated", n > PW_MAX_LISTED);
    pw_json_key(&j, "in_series");
    pw_json_uint(&j, in_series);
    pw_json_key(&j, "profiles");
    pw_json_arr_begin(&j);
    for (size_t i = 0; i < n && i < PW_MAX_LISTED; i++) {
        pw_json_obj_begin(&j);
        pw_json_kstr(&j, "id", e[i].id);
        pw_json_kstr(&j, "name", e[i].name);
        pw_json_kstr(&j, "type", e[i].type);
        pw_json_kint(&j, "time_nanos", e[i].time_nanos);
        pw_json_kint(&j, "stored_at", e[i].stored_at);
        pw_json_key(&j, "size");
        pw_json_uint(&j, e[i].size);
        pw_json_obj_end(&j);
    }
    pw_json_arr_end(&j);
    pw_json_obj_end(&j);
    pw_buf_addc(&r->buf, '\n');
    if (e)
        pw_store_list_free(e);
}

/* --- the hook --- */

bool pw_share_route(struct pw_share *s, const struct pw_request *req, struct pw_response *r)
{
    const char *path = req->path ? req->path : "/";
    bool api = strstr(path, "/api/") != NULL;
    bool get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
    bool post = !strcmp(req->method, "POST");

    if (s->o.auth_token && get && pw_params_get(&req->params, "token")) {
        if (pw_secret_equal(pw_params_get(&req->params, "token"), s->o.auth_token))
            sign_in(s, req, r);
        else
            unauthorized(req, api, "wrong token", r);
        return true;
    }
    if (s->o.private_mode && !authorized(s, req)) {
        unauthorized(req, api,
                     "this pprofweb is private: send Authorization: Bearer TOKEN, or open a "
                     "page with ?token=TOKEN once",
                     r);
        return true;
    }
    if (!strcmp(path, "/start")) {
        if (!get)
            pw_response_error(r, true, 405, "method not allowed");
        else
            pw_response_page(r, "index.html");
        return true;
    }
    if (!strcmp(path, "/api/store")) {
        if (get)
            list(s, req, r);
        else
            pw_response_error(r, true, 405, "method not allowed");
        return true;
    }
    bool is_upload = !strcmp(path, "/api/upload"), is_fetch = !strcmp(path, "/api/fetch");
    if (!is_upload && !is_fetch)
        return false;
    if (!post) {
        pw_response_error(r, true, 405, is_upload ? "upload with POST" : "fetch with POST");
        return true;
    }
    if (!pw_same_origin(req->origin, req->host)) {
        pw_response_error(r, true, 403, "cross-origin upload or fetch refused");
        return true;
    }
    if (!authorized(s, req)) {
        unauthorized(req, true,
                     "uploads and fetches need this server's token: send "
                     "Authorization: Bearer TOKEN",
                     r);
        return true;
    }
    if (!s->o.store) {
        pw_response_error(r, true, 503,
                   "this pprofweb has no profile store (see -store): uploads and "
                   "fetches are off");
        return true;
    }
    if (req->body_pending) {
        r->status = 0; /* the headers pass: read the body */
        return true;
    }
    if (is_upload)
        upload(s, req, r);
    else
        fetch(s, req, r);
    return true;
}

/* --- the loader: stored profiles at /p/ID/... --- */

static const struct pw_profile *load(void *ctx, const char *id, struct pw_arena *arena,
                                     const char **name, struct pw_err *err)
{
    struct pw_share *s = ctx;
    if (!s->o.store || !pw_store_id_valid(id)) {
        pw_fail(err, PW_ENOTFOUND, "unknown profile id %s", id);
        return NULL;
    }
    struct pw_store_entry e;
    if (pw_store_stat(s->o.store, id, &e, err)) {
        if (err->code != PW_EUNAVAIL) /* else 503: the profile may well exist */
            pw_fail(err, PW_ENOTFOUND, "unknown profile id %s", id);
        return NULL;
    }
    const struct pw_profile *p = pw_store_acquire(s->o.store, id, err);
    if (p)
        *name = pw_arena_strdup(arena, e.name);
    return p;
}

static void release(void *ctx, const struct pw_profile *p)
{
    struct pw_share *s = ctx;
    pw_store_release(s->o.store, p);
}

static bool hook(void *ctx, const struct pw_request *req, struct pw_response *resp)
{
    return pw_share_route(ctx, req, resp);
}

void pw_share_attach(struct pw_share *s, struct pw_app *app)
{
    pw_app_set_hook(app, hook, s);
    pw_app_set_loader(app, load, release, s);
}

/* --- the command line's profile --- */

int pw_share_keep_loaded(struct pw_store *store, const char *const *sources, size_t n_sources,
                         size_t n_bases, const struct pw_profile *p, const char *known_id,
                         const unsigned char *known_bytes, size_t known_len, char *id_out,
                         struct pw_err *err)
{
    id_out[0] = 0;
    const char *first = n_sources ? sources[0] : "";
    bool url = n_sources && (!strncmp(first, "http://", 7) || !strncmp(first, "https://", 8));
    bool known = n_sources == 1 && n_bases == 0 && known_id && pw_store_id_valid(known_id);
    if (n_sources == 1 && n_bases == 0 && url) {
        if (!known)
            return pw_fail(err, PW_EIO, "%s was not kept in the store", first);
        snprintf(id_out, PW_STORE_ID_LEN + 1, "%s", known_id);
        return 0;
    }
    unsigned char *data = NULL;
    size_t len = 0;
    char name[256];
    int rc;
    if (known && (rc = pw_store_claim(store, known_id, err)) != 0) {
        if (rc > 0)
            snprintf(id_out, PW_STORE_ID_LEN + 1, "%s", known_id);
        return rc > 0 ? 0 : -1;
    }
    if (known && known_bytes) {
        rc = pw_store_put_valid_as(store, known_bytes, known_len, known_id, base_name(first), p,
                                   err);
        if (rc == 0)
            snprintf(id_out, PW_STORE_ID_LEN + 1, "%s", known_id);
        return rc;
    }
    if (n_sources == 1 && n_bases == 0) {
        if (pw_read_file(first, PW_MAX_INPUT, &data, &len, err))
            return -1;
        snprintf(name, sizeof(name), "%s", base_name(first));
    } else {
        if (pw_profile_encode(p, true, &data, &len, err))
            return -1;
        snprintf(name, sizeof(name), "%s%s%s", url ? first : base_name(first),
                 n_sources > 1 ? " + more" : "", n_bases ? " (with base)" : "");
    }
    rc = pw_store_put_valid(store, data, len, name, p, id_out, err);
    free(data);
    return rc;
}
