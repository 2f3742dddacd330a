/* routes: the route table and the application state of the web server.
 *
 * URL scheme (pprof's routes, plus profile ids and a JSON API):
 *   /                      -> 307 to /ui/ (query kept), as pprof
 *   /ui/ /ui/top /ui/peek /ui/source /ui/flamegraph   the page (one shell; the script draws the
 *                          view named by the path from /api data)
 *   /ui/download           the profile as profile.pb.gz
 *   /api/meta /api/top /api/peek /api/source /api/graph   JSON views (views.h)
 *   /api/profiles          the profiles this server holds
 *   /p/ID/ui/... /p/ID/api/...   the same for profile ID (the bare routes use the default one)
 *   /static/NAME           the embedded files of web/
 * Settings come from the URL (query.h) on top of the server's initial settings. JSON views are
 * computed once per (profile, view, settings) and kept in the view cache (routes_cache.c).
 * Every error is a response with a status and a message: JSON for /api, text otherwise. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "pprofweb/assets.h"
#include "pprofweb/compare.h"
#include "pprofweb/encode.h"
#include "pprofweb/flame.h"
#include "pprofweb/json.h"
#include "pprofweb/limits.h"
#include "pprofweb/pages.h"
#include "pprofweb/regex.h"
#include "pprofweb/report.h"
#include "pprofweb/routes.h"
#include "pprofweb/views.h"

struct app_profile {
    char id[PW_MAX_ID_LEN + 1];
    char *name;
    const struct pw_profile *p;
};

struct pw_app {
    struct pw_config base;
    char scope[24]; /* unique per app in the process: views key derived data by it */
    bool local_only;
    pthread_mutex_t mu; /* guards profiles (the loader may add some while serving) */
    struct app_profile *profiles;
    size_t n_profiles, cap_profiles;
    pw_profile_loader loader;
    pw_profile_release release;
    void *loader_ctx;
    pw_route_hook hook;
    void *hook_ctx;
    struct pw_cache *cache;
    struct pw_compare *compare; /* profiles compared with a base (base=ID, diff_base=ID) */
    pthread_t warm_threads[2]; /* the graph's views, the flame graph (warm_graph, warm_flame) */
    bool warming[2];           /* warm_threads[i] started and not joined; [1] may be set by [0] */
    volatile bool stopping; /* pw_app_free was called: warm-up stops between views */
};

void pw_response_init(struct pw_response *r)
{
    memset(r, 0, sizeof(*r));
    r->status = 200;
    r->content_type = "text/plain; charset=utf-8";
    pw_buf_init(&r->buf, 0);
}

void pw_response_release(struct pw_response *r)
{
    if (r->data_free)
        r->data_free(r->data_free_ctx);
    r->data_free = NULL;
    pw_buf_release(&r->buf);
}

const void *pw_response_body(const struct pw_response *r, size_t *len)
{
    if (r->data) {
        *len = r->len;
        return r->data;
    }
    *len = r->buf.len;
    return r->buf.data ? r->buf.data : "";
}

int pw_http_status(enum pw_code code)
{
    switch (code) {
    case PW_OK:
        return 200;
    case PW_EINVAL:
        return 400;
    case PW_ENOTFOUND:
        return 404;
    case PW_ETOOBIG:
        return 413;
    case PW_ECORRUPT:
        return 422;
    case PW_EIO:
        return 502;
    case PW_EUNAVAIL:
        return 503;
    case PW_ECONFLICT:
        return 409;
    }
    return 500;
}

bool pw_id_valid(const char *id)
{
    size_t n = 0;
    for (const char *s = id; *s; s++, n++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return n > 0 && n <= PW_MAX_ID_LEN;
}

struct pw_app *pw_app_new(const struct pw_config *base, bool local_only)
{
    return pw_app_new_sized(base, local_only, 0);
}

struct pw_app *pw_app_new_sized(const struct pw_config *base, bool local_only,
                                size_t cache_bytes)
{
    struct pw_app *app = pw_xcalloc(1, sizeof(*app));
    if (base)
        app->base = *base;
    else
        pw_config_default(&app->base);
    app->local_only = local_only;
    static unsigned long n_apps;
    snprintf(app->scope, sizeof(app->scope), "app%lu",
             __atomic_add_fetch(&n_apps, 1, __ATOMIC_RELAXED));
    pthread_mutex_init(&app->mu, NULL);
    app->cache = pw_cache_new(cache_bytes ? cache_bytes : PW_VIEW_CACHE_BYTES);
    app->compare = pw_compare_new();
    return app;
}

void pw_app_free(struct pw_app *app)
{
    if (!app)
        return;
    app->stopping = true;
    for (size_t i = 0; i < 2; i++)
        if (app->warming[i])
            pthread_join(app->warm_threads[i], NULL);
    for (size_t i = 0; i < app->n_profiles; i++)
        free(app->profiles[i].name);
    free(app->profiles);
    pw_cache_free(app->cache);
    pw_compare_free(app->compare);
    pthread_mutex_destroy(&app->mu);
    free(app);
}

/* FNV-1a over what identifies a profile's content, so that the same file gets the same id in
 * every run and links to it keep working across restarts. */
static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void content_id(const struct pw_profile *p, char *out)
{
    uint64_t h = 1469598103934665603ull;
    for (uint32_t i = 0; i < p->n_strings; i++)
        h = fnv(h, p->strings[i], p->string_lens[i] + 1);
    for (uint32_t i = 0; i < p->n_sample_types; i++)
        h = fnv(h, &p->sample_types[i], sizeof(p->sample_types[i]));
    for (size_t i = 0; i < p->n_samples; i++) {
        const struct pw_sample *s = &p->samples[i];
        h = fnv(h, s->values, sizeof(*s->values) * p->n_sample_types);
        for (uint32_t k = 0; k < s->n_locs; k++)
            h = fnv(h, &p->locations[s->locs[k]].id, sizeof(uint64_t));
    }
    for (uint32_t i = 0; i < p->n_locations; i++)
        h = fnv(h, &p->locations[i].address, sizeof(uint64_t));
    h = fnv(h, &p->time_nanos, sizeof(p->time_nanos));
    h = fnv(h, &p->duration_nanos, sizeof(p->duration_nanos));
    snprintf(out, PW_MAX_ID_LEN + 1, "%016llx", (unsigned long long)h);
}

int pw_app_add_profile(struct pw_app *app, const struct pw_profile *p, const char *name,
                       const char *id, char *id_out, struct pw_err *err)
{
    char tmp[PW_MAX_ID_LEN + 1];
    if (!id) {
        content_id(p, tmp);
        id = tmp;
    }
    if (!pw_id_valid(id))
        return pw_fail(err, PW_EINVAL, "bad profile id \"%.80s\"", id);
    pthread_mutex_lock(&app->mu);
    int rc = 0;
    bool taken = false;
    for (size_t i = 0; i < app->n_profiles; i++)
        if (strcmp(app->profiles[i].id, id) == 0)
            taken = true;
    if (taken) {
        rc = pw_fail(err, PW_EINVAL, "profile id %s is already in use", id);
    } else if (app->n_profiles >= PW_MAX_APP_PROFILES) {
        rc = pw_fail(err, PW_ETOOBIG, "too many profiles (limit %d)", PW_MAX_APP_PROFILES);
    } else {
        PW_GROW(app->profiles, app->cap_profiles, app->n_profiles + 1);
        struct app_profile *ap = &app->profiles[app->n_profiles++];
        snprintf(ap->id, sizeof(ap->id), "%s", id);
        const char *nm = name ? name : "";
        ap->name = pw_xmalloc(strlen(nm) + 1);
        strcpy(ap->name, nm);
        ap->p = p;
        if (id_out)
            snprintf(id_out, PW_MAX_ID_LEN + 1, "%s", id);
    }
    pthread_mutex_unlock(&app->mu);
    return rc;
}

void pw_app_set_loader(struct pw_app *app, pw_profile_loader loader, pw_profile_release release,
                       void *ctx)
{
    app->loader = loader;
    app->release = release;
    app->loader_ctx = ctx;
}

void pw_app_set_hook(struct pw_app *app, pw_route_hook hook, void *ctx)
{
    app->hook = hook;
    app->hook_ctx = ctx;
}

/* The profile a request addresses: id NULL is the default one. Copies id and name out so the
 * table can grow while the request runs. A profile from the loader is recorded in *borrowed,
 * released when the request is answered. */
static const struct pw_profile *lookup(struct pw_app *app, const char *id, char *id_out,
                                       const char **name, struct pw_arena *arena,
                                       const struct pw_profile **borrowed, struct pw_err *err)
{
    const struct pw_profile *p = NULL;
    pthread_mutex_lock(&app->mu);
    for (size_t i = 0; i < app->n_profiles && !p; i++) {
        if (!id || strcmp(app->profiles[i].id, id) == 0) {
            p = app->profiles[i].p;
            snprintf(id_out, PW_MAX_ID_LEN + 1, "%s", app->profiles[i].id);
            *name = pw_arena_strdup(arena, app->profiles[i].name);
        }
    }
    pthread_mutex_unlock(&app->mu);
    if (p)
        return p;
    if (!id)
        return pw_fail(err, PW_ENOTFOUND, "no profile loaded: start pprofweb with a profile "
                       "or open one by id under /p/ID/"), NULL;
    if (app->loader) {
        const char *nm = NULL;
        p = app->loader(app->loader_ctx, id, arena, &nm, err);
        if (p) {
            *borrowed = p;
            snprintf(id_out, PW_MAX_ID_LEN + 1, "%s", id);
            *name = pw_arena_strdup(arena, nm ? nm : "");
        }
        return p;
    }
    pw_fail(err, PW_ENOTFOUND, "unknown profile id %s", id);
    return NULL;
}

/* --- responses --- */

/* The q of one element of an Accept-Encoding list, "coding[;q=v]", if it names coding: 1 with
 * no q, 0 for q=0 (refused); -1 when it names another coding. */
static int coding_q(const char *s, size_t n, const char *coding)
{
    size_t len = strlen(coding);
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    if (n < len || strncasecmp(s, coding, len) != 0 ||
        (n > len && s[len] != ';' && s[len] != ' ' && s[len] != '\t'))
        return -1;
    for (size_t i = len; i + 1 < n; i++) {
        if ((s[i] == 'q' || s[i] == 'Q') && s[i + 1] == '=') {
            /* q is at most 3 decimals: 0, 0.0, 0.00, 0.000 refuse; any other digit allows */
            for (i += 2; i < n && (s[i] == '0' || s[i] == '.'); i++)
                ;
            return i < n && s[i] >= '1' && s[i] <= '9';
        }
    }
    return 1;
}

bool pw_accepts_gzip(const char *h)
{
    int gzip = -1, star = -1;
    while (h && *h) {
        size_t n = strcspn(h, ",");
        int q = coding_q(h, n, "gzip");
        if (q < 0)
            q = coding_q(h, n, "x-gzip");
        if (q >= 0)
            gzip = q > gzip ? q : gzip;
        q = coding_q(h, n, "*");
        if (q >= 0)
            star = q;
        h += n + (h[n] == ',');
    }
    return gzip == 1 || (gzip < 0 && star == 1);
}

void pw_response_error(struct pw_response *r, bool json, int status, const char *msg)
{
    r->status = status;
    r->cache_control = "no-cache";
    pw_buf_reset(&r->buf);
    if (r->data_free)
        r->data_free(r->data_free_ctx);
    r->data_free = NULL;
    r->data = NULL;
    r->content_encoding = NULL;
    if (json) {
        struct pw_json j;
        r->content_type = "application/json";
        pw_json_init(&j, &r->buf);
        pw_json_obj_begin(&j);
        pw_json_kstr(&j, "error", msg);
        pw_json_kint(&j, "status", status);
        pw_json_obj_end(&j);
        pw_buf_addc(&r->buf, '\n');
    } else {
        r->content_type = "text/plain; charset=utf-8";
        pw_buf_adds(&r->buf, msg);
        pw_buf_addc(&r->buf, '\n');
    }
}

static void respond_err(struct pw_response *r, bool json, const struct pw_err *err)
{
    pw_response_error(r, json, pw_http_status(err->code), err->msg);
}

static const struct pw_asset *find_asset(const char *name)
{
    for (const struct pw_asset *a = pw_assets; a->name; a++)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

static const char *mime_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".json", "application/json"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(*types); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* Rebuilds the query string of a request (for redirects). */
static void add_query(struct pw_buf *out, const struct pw_params *ps)
{
    for (size_t i = 0; i < ps->n; i++) {
        pw_buf_addc(out, i ? '&' : '?');
        pw_url_escape(out, ps->v[i].key);
        pw_buf_addc(out, '=');
        pw_url_escape(out, ps->v[i].value);
    }
}

static void redirect(struct pw_response *r, const struct pw_request *req, const char *to)
{
    struct pw_buf loc;
    pw_buf_init(&loc, 1 << 20);
    pw_buf_adds(&loc, to);
    add_query(&loc, &req->params);
    r->status = 307;
    r->location = pw_arena_strdup(req->arena, pw_buf_str(&loc));
    pw_buf_release(&loc);
    pw_buf_adds(&r->buf, "see ");
    pw_buf_adds(&r->buf, r->location);
    pw_buf_addc(&r->buf, '\n');
}

/* --- handlers --- */

/* What a handler gets: the request, the addressed profile (id NULL: the default one) and the
 * path below /ui or /api. */
struct ctx {
    struct pw_app *app;
    const struct pw_request *req;
    const char *id;   /* from /p/ID, or NULL */
    const char *rest; /* "/top", "/", ... */
    char prefix[PW_MAX_ID_LEN + 8]; /* "" or "/p/ID" */
    const struct pw_profile *borrowed; /* from the loader, released after the response */
    const struct pw_profile *borrowed_base; /* the same for a base profile */
    struct pw_compared *compared;      /* the comparison asked for, released likewise */
    struct pw_compared *split;         /* the flame graph's of base= (pw_view_compare) */
    struct pw_view_compare cmp;
    struct pw_compare_rows *column;    /* a top's base column made beside the comparison */
};

/* What a view of a comparison needs besides the compared profile and can make while that is
 * built (pw_compare_get_beside): the base column of a top (compare_view.c), which needs the base
 * profile only, or the split comparison of a flame graph of base= (diff_base=, pw_view_compare).
 * The column is held until the response is made, so that the view finds it in its cache. */
struct beside_job {
    struct ctx *c;
    struct pw_view_args a; /* the view's, with its profile and id not yet compared */
    const char *base_id;
    const struct pw_profile *base;
    struct pw_compare_spec split_spec;
    struct pw_compare_rows *rows;
    struct pw_compared *split;
    bool split_tried;
    struct pw_err split_err;
};

static void make_column(void *arg)
{
    struct beside_job *j = arg;
    j->rows = pw_compare_rows_new(&j->a);
}

static void make_split(void *arg)
{
    struct beside_job *j = arg;
    j->split_tried = true;
    j->split = pw_compare_get(j->c->app->compare, j->a.id, j->a.p, j->base_id, j->base,
                              &j->split_spec, &j->split_err);
}

/* base=ID / diff_base=ID (with norm): the view's profile becomes the comparison, built once per
 * (id, base id, kind, norm) by compare.c. Nothing is applied unless all of it succeeds. */
static int apply_compare(struct ctx *c, struct pw_view_args *a, const struct pw_config *cfg,
                         struct pw_err *err)
{
    struct pw_compare_spec spec;
    if (pw_compare_parse(&c->req->params, cfg->normalize, &spec, err))
        return -1;
    if (spec.kind == PW_COMPARE_NONE)
        return 0;
    const char *kind = pw_compare_kind_name(spec.kind);
    if (!pw_id_valid(spec.base_id))
        return pw_fail(err, PW_ENOTFOUND, "%s: unknown profile id %.80s", kind, spec.base_id);
    char *base_id = pw_arena_alloc(c->req->arena, PW_MAX_ID_LEN + 1);
    const char *base_name = NULL;
    const struct pw_profile *base = lookup(c->app, spec.base_id, base_id, &base_name,
                                           c->req->arena, &c->borrowed_base, err);
    if (!base)
        return pw_err_prefix(err, "%s: ", kind);
    c->cmp = (struct pw_view_compare){.kind = kind, .id = base_id, .name = base_name,
                                      .base = base, .orig = a->p, .normalize = spec.normalize};
    struct beside_job job = {.c = c, .a = *a, .base_id = base_id, .base = base,
                             .split_spec = spec};
    job.a.cmp = &c->cmp;
    job.split_spec.kind = PW_COMPARE_DIFF_BASE;
    bool top = c->rest && strcmp(c->rest, "/top") == 0;
    bool split = spec.kind == PW_COMPARE_BASE && c->rest && strcmp(c->rest, "/flamegraph") == 0;
    c->compared = pw_compare_get_beside(c->app->compare, a->id, a->p, base_id, base, &spec,
                                        top ? make_column : split ? make_split : NULL, &job, err);
    c->column = job.rows;
    c->split = job.split;
    if (!c->compared)
        return -1;
    if (split) {
        if (!job.split_tried)
            c->split = pw_compare_get(c->app->compare, a->id, a->p, base_id, base,
                                      &job.split_spec, err);
        else if (!c->split)
            *err = job.split_err;
        if (!c->split)
            return -1;
        c->cmp.split = pw_compared_profile(c->split);
    }
    a->cmp = &c->cmp;
    a->p = pw_compared_profile(c->compared);
    return 0;
}

/* Applies the URL's settings and resolves the profile. */
static const struct pw_profile *prepare(struct ctx *c, struct pw_view_args *a,
                                        struct pw_config *cfg, char *id_buf,
                                        struct pw_err *err)
{
    *cfg = c->app->base;
    if (pw_query_apply(cfg, &c->req->params, err))
        return NULL;
    const char *name = NULL;
    const struct pw_profile *p = lookup(c->app, c->id, id_buf, &name, c->req->arena, &c->borrowed, err);
    if (!p)
        return NULL;
    memset(a, 0, sizeof(*a));
    a->p = p;
    a->id = id_buf;
    a->name = name;
    a->cfg = cfg;
    a->base = &c->app->base;
    a->params = &c->req->params;
    a->scope = c->app->scope;
    if (apply_compare(c, a, cfg, err))
        return NULL;
    return a->p;
}

#define MODULE(name) "<link rel=\"modulepreload\" href=\"/static/" name "\">\n"

/* What the page of each view loads besides the shell (index.html names app.js and its imports,
 * and holds every view's style): the view's module (app.js VIEW_MODULES), named in the head so
 * the browser fetches it beside app.js instead of once app.js has run. */
static const struct {
    const char *page;
    const char *head;
} view_heads[] = {
    {"/", MODULE("graph.js")},
    {"/graph", MODULE("graph.js")},
    {"/top", MODULE("top.js")},
    {"/peek", MODULE("peek.js")},
    {"/source", MODULE("source.js")},
    {"/flamegraph", MODULE("flame.js")},
};

/* The shell page with the view's lines added to its head. */
static void add_view_head(const char *page, struct pw_response *r)
{
    const char *head = NULL;
    for (size_t i = 0; i < sizeof(view_heads) / sizeof(*view_heads) && !head; i++)
        if (strcmp(page, view_heads[i].page) == 0)
            head = view_heads[i].head;
    static const char end[] = "</head>";
    const unsigned char *at = head ? memmem(r->data, r->len, end, sizeof(end) - 1) : NULL;
    if (!at)
        return;
    size_t before = (size_t)(at - r->data);
    pw_buf_add(&r->buf, r->data, before);
    pw_buf_adds(&r->buf, head);
    pw_buf_add(&r->buf, at, r->len - before);
    r->data = NULL;
    r->len = 0;
}

static void serve_page(struct ctx *c, struct pw_response *r)
{
    if (!pw_response_page(r, "index.html"))
        return;
    add_view_head(c->rest, r);
    /* pprof answers a bad setting with 400; the page then shows the API's message in place. */
    struct pw_err err = {0};
    struct pw_view_args a;
    struct pw_config cfg;
    char id[PW_MAX_ID_LEN + 1];
    if (!prepare(c, &a, &cfg, id, &err) || pw_view_check(&a, &err)) {
        /* Without any profile the page is the start page: not an error. */
        if (!(err.code == PW_ENOTFOUND && !c->id))
            r->status = pw_http_status(err.code);
    }
}

struct view_route {
    const char *name;
    pw_view_fn fn;
};

static const struct view_route views[] = {
    {"meta", pw_view_meta},
    {"top", pw_view_top},
    {"peek", pw_view_peek},
    {"source", pw_view_source},
    {"flamegraph", pw_view_flame},
    {"graph", pw_view_graph},
    {"goroutines", pw_view_goroutines},
    {"gctrace", pw_view_gctrace},
};

/* The cache key: profile, view and every setting that can change the result (the effective
 * settings, then URL parameters that are not settings, in sorted order). */
static void cache_key(struct pw_buf *key, const char *id, const char *view,
                      const struct pw_config *cfg, const struct pw_params *ps)
{
    pw_buf_adds(key, id);
    pw_buf_addc(key, '\n');
    pw_buf_adds(key, view);
    pw_buf_addc(key, '\n');
    pw_query_format(cfg, NULL, key);
    const char *last = "";
    for (;;) {
        /* Next key in sorted order after last, skipping settings: n^2 on at most
         * PW_MAX_PARAMS parameters. */
        const struct pw_param *next = NULL;
        for (size_t i = 0; i < ps->n; i++) {
            const struct pw_param *p = &ps->v[i];
            bool setting = false;
            for (const struct pw_query_name *q = pw_query_names; q->param; q++)
                if (strcmp(q->param, p->key) == 0)
                    setting = true;
            if (setting || strcmp(p->key, last) <= 0)
                continue;
            if (!next || strcmp(p->key, next->key) < 0)
                next = p;
        }
        if (!next)
            break;
        pw_buf_addc(key, '\n');
        pw_buf_adds(key, next->key);
        pw_buf_addc(key, '=');
        pw_buf_adds(key, pw_params_get(ps, next->key));
        last = next->key;
    }
}

static void serve_view(struct ctx *c, const struct view_route *v, struct pw_response *r)
{
    struct pw_err err = {0};
    struct pw_view_args a;
    struct pw_config cfg;
    char id[PW_MAX_ID_LEN + 1];
    if (!prepare(c, &a, &cfg, id, &err)) {
        respond_err(r, true, &err);
        return;
    }
    r->content_type = "application/json";
    r->cache_control = "no-cache";
    struct pw_buf key;
    pw_buf_init(&key, 1 << 20);
    cache_key(&key, id, v->name, &cfg, &c->req->params);
    int status = 0;
    struct pw_cache_body *cached;
    bool gzipped;
    r->vary = "Accept-Encoding";
    if (pw_cache_get_shared_or_claim(c->app->cache, pw_buf_str(&key), &status, &cached,
                                     c->req->accepts_gzip, &gzipped)) {
        r->status = status;
        pw_response_share(r, cached);
        r->content_encoding = gzipped ? "gzip" : NULL;
        pw_buf_release(&key);
        return;
    }
    if (v->fn(&a, &r->buf, &err)) {
        respond_err(r, true, &err);
    } else if (r->buf.overflow) {
        pw_response_error(r, true, 413, "the view is too large to send: narrow it with a filter");
    } else {
        pw_buf_addc(&r->buf, '\n');
    }
    /* A view computed past the regexp budget is wrong: not kept (status 0), and pw_route
     * answers the error. */
    pw_cache_put(c->app->cache, pw_buf_str(&key), pw_regex_budget_exceeded() ? 0 : r->status,
                 r->buf.data ? r->buf.data : "", r->buf.len);
    pw_buf_release(&key);
}

static void serve_profiles(struct ctx *c, struct pw_response *r)
{
    struct pw_json j;
    r->content_type = "application/json";
    r->cache_control = "no-cache";
    pw_json_init(&j, &r->buf);
    pw_json_obj_begin(&j);
    pw_json_key(&j, "profiles");
    pw_json_arr_begin(&j);
    pthread_mutex_lock(&c->app->mu);
    for (size_t i = 0; i < c->app->n_profiles; i++) {
        const struct app_profile *ap = &c->app->profiles[i];
        pw_json_obj_begin(&j);
        pw_json_kstr(&j, "id", ap->id);
        pw_json_kstr(&j, "name", ap->name);
        pw_json_kbool(&j, "default", i == 0);
        pw_json_kint(&j, "samples", (int64_t)ap->p->n_samples);
        pw_json_kint(&j, "time_nanos", ap->p->time_nanos);
        pw_json_key(&j, "sample_types");
        pw_json_arr_begin(&j);
        for (uint32_t k = 0; k < ap->p->n_sample_types; k++)
            pw_json_str(&j, pw_s(ap->p, ap->p->sample_types[k].type));
        pw_json_arr_end(&j);
        pw_json_obj_end(&j);
    }
    pthread_mutex_unlock(&c->app->mu);
    pw_json_arr_end(&j);
    pw_json_obj_end(&j);
    pw_buf_addc(&r->buf, '\n');
}

/* True when cfg narrows the samples (then the download is the refined profile). */
static bool has_refinements(const struct pw_config *c)
{
    const char *v[] = {c->focus,     c->ignore,   c->hide,      c->show,    c->show_from,
                       c->prune_from, c->tagfocus, c->tagignore, c->tagshow, c->taghide};
    for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++)
        if (v[i] && *v[i])
            return true;
    return false;
}

/* The profile as profile.pb.gz. pprof serves the profile as loaded whatever the URL says; with
 * refinements in the URL this serves the refined profile instead (the samples the view shows),
 * so a narrowed view can be opened in go tool pprof. */
static void serve_download(struct ctx *c, struct pw_response *r)
{
    struct pw_err err = {0};
    struct pw_view_args a;
    struct pw_config cfg;
    char id[PW_MAX_ID_LEN + 1];
    if (!prepare(c, &a, &cfg, id, &err)) {
        respond_err(r, false, &err);
        return;
    }
    bool refined = has_refinements(&cfg);
    struct pw_buf key;
    pw_buf_init(&key, 1 << 20);
    pw_buf_adds(&key, id);
    pw_buf_adds(&key, "\ndownload\n");
    if (refined)
        pw_query_format(&cfg, NULL, &key);
    if (a.cmp)
        pw_buf_addf(&key, "\n%s=%s norm=%d", a.cmp->kind, a.cmp->id, a.cmp->normalize);
    int status = 0;
    if (!pw_cache_get_or_claim(c->app->cache, pw_buf_str(&key), &status, &r->buf)) {
        struct pw_report *rep = NULL;
        const struct pw_profile *p = a.p;
        if (refined) {
            rep = pw_report_new(a.p, "raw", NULL, &cfg, NULL, &err);
            p = rep ? rep->prof : NULL;
        }
        unsigned char *data = NULL;
        size_t len = 0;
        if (p && pw_profile_encode(p, true, &data, &len, &err) == 0) {
            pw_buf_add(&r->buf, data, len);
            free(data);
            status = r->buf.overflow ? 413 : 200;
            if (r->buf.overflow)
                pw_response_error(r, false, 413, "the profile is too large to download");
        } else {
            respond_err(r, false, &err);
            status = r->status;
        }
        pw_report_free(rep);
        pw_cache_put(c->app->cache, pw_buf_str(&key), pw_regex_budget_exceeded() ? 0 : status,
                     r->buf.data ? r->buf.data : "", r->buf.len);
    }
    pw_buf_release(&key);
    r->status = status;
    if (status == 200) {
        r->content_type = "application/vnd.google.protobuf+gzip";
        r->content_disposition = "attachment;filename=profile.pb.gz";
    } else {
        r->content_type = "text/plain; charset=utf-8";
    }
}

static void serve_ui(struct ctx *c, struct pw_response *r)
{
    static const char *const pages[] = {"/", "/top", "/peek", "/source", "/flamegraph",
                                        "/graph"};
    if (strcmp(c->rest, "/download") == 0) {
        serve_download(c, r);
        return;
    }
    for (size_t i = 0; i < sizeof(pages) / sizeof(*pages); i++) {
        if (strcmp(c->rest, pages[i]) == 0) {
            serve_page(c, r);
            return;
        }
    }
    pw_response_error(r, false, 404, "no such view");
}

/* GET /api/cache: what the view cache holds against its bound. */
static void serve_cache(struct ctx *c, struct pw_response *r)
{
    struct pw_cache_stats st;
    pw_cache_stats(c->app->cache, &st);
    struct pw_json j;
    r->content_type = "application/json";
    r->cache_control = "no-cache";
    pw_json_init(&j, &r->buf);
    pw_json_obj_begin(&j);
    pw_json_kint(&j, "entries", (int64_t)st.entries);
    pw_json_kint(&j, "bytes", (int64_t)st.bytes);
    pw_json_kint(&j, "bound", (int64_t)st.max_bytes);
    pw_json_kint(&j, "hits", (int64_t)st.hits);
    pw_json_kint(&j, "misses", (int64_t)st.misses);
    pw_json_kint(&j, "evictions", (int64_t)st.evictions);
    pw_json_obj_end(&j);
    pw_buf_addc(&r->buf, '\n');
}

static void serve_api(struct ctx *c, struct pw_response *r)
{
    if (strcmp(c->rest, "/profiles") == 0 && !c->id) {
        serve_profiles(c, r);
        return;
    }
    if (strcmp(c->rest, "/cache") == 0 && !c->id) {
        serve_cache(c, r);
        return;
    }
    for (size_t i = 0; i < sizeof(views) / sizeof(*views); i++) {
        if (c->rest[0] == '/' && strcmp(c->rest + 1, views[i].name) == 0) {
            serve_view(c, &views[i], r);
            return;
        }
    }
    pw_response_error(r, true, 404, "no such API route");
}

bool pw_response_page(struct pw_response *r, const char *name)
{
    const struct pw_page *page = pw_page_get(name);
    if (!page) {
        pw_response_error(r, false, 500, "the page is missing from this build");
        return false;
    }
    r->content_type = "text/html; charset=utf-8";
    r->cache_control = "no-cache";
    r->is_page = true;
    r->policy = page->policy;
    r->data = page->data;
    r->len = page->len;
    return true;
}

static void serve_static(const char *name, struct pw_response *r)
{
    const struct pw_asset *a = find_asset(name);
    if (!a || strchr(name, '/')) {
        pw_response_error(r, false, 404, "no such file");
        return;
    }
    r->content_type = mime_type(name);
    r->cache_control = "no-cache";
    r->data = a->data;
    r->len = a->len;
}

/* Splits "/ui/top" into section "/ui" and rest "/top"; returns false if path is not under it. */
static bool under(const char *path, const char *section, const char **rest)
{
    size_t n = strlen(section);
    if (strncmp(path, section, n) != 0 || (path[n] != '/' && path[n] != 0))
        return false;
    *rest = path + n;
    return true;
}

bool pw_host_is_local(const char *host)
{
    if (!host)
        return true; /* HTTP/1.0 without Host: not a browser */
    static const char *const names[] = {"localhost", "127.0.0.1", "[::1]"};
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        size_t n = strlen(names[i]);
        if (strncasecmp(host, names[i], n) != 0)
            continue;
        const char *port = host + n;
        if (!*port)
            return true;
        if (*port++ != ':' || !*port)
            continue;
        while (*port >= '0' && *port <= '9')
            port++;
        if (!*port)
            return true;
    }
    return false;
}

static void dispatch(struct ctx *c, const struct pw_request *req, struct pw_response *r)
{
    struct pw_app *app = c->app;
    const char *path = req->path ? req->path : "/";
    bool api = strncmp(path, "/api/", 5) == 0 || strstr(path, "/api/") != NULL;
    if (app->local_only && !req->client_is_local) {
        pw_response_error(r, api, 403, "permission denied");
        return;
    }
    if (app->local_only && !pw_host_is_local(req->host)) {
        /* A page of another site whose name resolves to 127.0.0.1 (DNS rebinding) sends its
         * own name: it may not read or upload through a local-only server. */
        pw_response_error(r, api, 403, "this server answers only to localhost: the Host "
                          "header names another site");
        return;
    }
    if (app->hook && app->hook(app->hook_ctx, req, r))
        return;
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        pw_response_error(r, api, 405, "method not allowed");
        return;
    }
    if (req->body_pending) {
        r->status = 0; /* nothing refuses it: read the body, then route the whole request */
        return;
    }
    if (strncmp(path, "/static/", 8) == 0) {
        serve_static(path + 8, r);
        return;
    }
    if (strcmp(path, "/") == 0) {
        redirect(r, req, "/ui/");
        return;
    }
    if (strncmp(path, "/p/", 3) == 0) {
        const char *id = path + 3;
        const char *slash = strchr(id, '/');
        size_t n = slash ? (size_t)(slash - id) : strlen(id);
        char *idc = pw_arena_strndup(req->arena, id, n);
        if (!pw_id_valid(idc)) {
            pw_response_error(r, api, 404, "bad profile id in the URL");
            return;
        }
        c->id = idc;
        snprintf(c->prefix, sizeof(c->prefix), "/p/%s", idc);
        path = id + n;
        if (!*path || strcmp(path, "/") == 0) {
            redirect(r, req, pw_arena_printf(req->arena, "%s/ui/", c->prefix));
            return;
        }
    }
    const char *rest;
    if (strcmp(path, "/download") == 0) {
        serve_download(c, r);
        return;
    }
    if (under(path, "/ui", &rest)) {
        if (!*rest) {
            redirect(r, req, pw_arena_printf(req->arena, "%s/ui/", c->prefix));
            return;
        }
        c->rest = rest;
        serve_ui(c, r);
        return;
    }
    if (under(path, "/api", &rest)) {
        c->rest = rest;
        serve_api(c, r);
        return;
    }
    pw_response_error(r, api, 404, "not found");
}

void pw_route(struct pw_app *app, const struct pw_request *req, struct pw_response *r)
{
    struct ctx c = {.app = app, .req = req};
    pw_regex_budget_begin(PW_REGEX_BUDGET_MS);
    dispatch(&c, req, r);
    pw_compare_release(app->compare, c.compared);
    pw_compare_release(app->compare, c.split);
    pw_compare_rows_release(c.column);
    if (pw_regex_budget_exceeded()) {
        const char *path = req->path ? req->path : "/";
        pw_response_error(r, strstr(path, "/api/") != NULL, 400,
                          pw_arena_printf(req->arena,
                                          "the regular expressions of this request took over "
                                          "%d ms to match this profile's names: use simpler "
                                          "ones (fewer nested repetitions)",
                                          PW_REGEX_BUDGET_MS));
        r->is_page = false;
        r->content_disposition = NULL;
    }
    pw_regex_budget_end();
    if (c.borrowed && app->release)
        app->release(app->loader_ctx, c.borrowed);
    if (c.borrowed_base && app->release)
        app->release(app->loader_ctx, c.borrowed_base);
}

/* The default profile's views, computed with the server's settings into the cache at start so
 * the first page load finds them ready: the graph, as /ui/ shows it, then the top table, on one
 * thread, and the flame graph on another. Without label tags (pw_report_graph_has_tags) the
 * graph's loops take both processors, and the flame graph beside would only delay the default
 * page: it starts once the graph is made. With them the graph counts its tags on a single
 * thread, a second or more on a million samples, and its layout is single-threaded too: the
 * flame graph's stacks are built on the other processor from the start, instead of after it. A
 * view a user asks for before its turn is computed by the request itself, ahead of the warm-up
 * (pw_warm_paths). */
static bool warm_route(void *ctx, const struct pw_request *req, struct pw_response *resp)
{
    struct pw_app *app = ctx;
    if (app->stopping)
        return false;
    pw_route(app, req, resp);
    return true;
}

static void *warm_flame(void *arg)
{
    static const char *const paths[] = {"/api/flamegraph"};
    pw_warm_paths(warm_route, arg, paths, sizeof(paths) / sizeof(*paths));
    return NULL;
}

static void start_warm_flame(struct pw_app *app)
{
    if (!app->warming[1] && !app->stopping)
        app->warming[1] = pthread_create(&app->warm_threads[1], NULL, warm_flame, app) == 0;
}

static void *warm_graph(void *arg)
{
    struct pw_app *app = arg;
    static const char *const first[] = {"/api/meta", "/api/graph"}, *const then[] = {"/api/top"};
    pw_warm_paths(warm_route, arg, first, sizeof(first) / sizeof(*first));
    start_warm_flame(app);
    pw_warm_paths(warm_route, arg, then, sizeof(then) / sizeof(*then));
    return NULL;
}

void pw_warm_paths(pw_route_hook route, void *ctx, const char *const *paths, size_t n)
{
    /* Work nobody waits for yet: the requests of a user who does, the page's static files and
     * the browser drawing it get the processors first. The threads the warm-up starts (parallel
     * loops) inherit the priority; on an idle machine it changes nothing. */
    setpriority(PRIO_PROCESS, (id_t)gettid(), PW_WARM_NICE);
    for (size_t i = 0; i < n; i++) {
        struct pw_arena arena;
        pw_arena_init(&arena);
        struct pw_request req;
        memset(&req, 0, sizeof(req));
        req.method = "GET";
        req.path = paths[i];
        req.client_is_local = true;
        req.arena = &arena;
        struct pw_response resp;
        pw_response_init(&resp);
        bool more = route(ctx, &req, &resp);
        pw_response_release(&resp);
        pw_arena_release(&arena);
        if (!more)
            break;
    }
}

void pw_app_warm(struct pw_app *app)
{
    if (app->warming[0] || app->n_profiles == 0)
        return;
    /* Decided before the graph's thread starts, which may start the flame graph's. */
    pthread_mutex_lock(&app->mu);
    const struct pw_profile *p = app->profiles[0].p;
    pthread_mutex_unlock(&app->mu);
    if (p && pw_report_graph_has_tags(p))
        start_warm_flame(app);
    app->warming[0] = pthread_create(&app->warm_threads[0], NULL, warm_graph, app) == 0;
}
