/* timeline: the routes of series, and -series.
 *
 *   GET  /api/series                  every series (newest change first), the default one, the
 *                                     running watches and the store's disk use
 *   POST /api/series (ids, name)      stored profiles as a new series (needs the token) 
 *   GET  [/s/SID]/api/timeline        the series over time: each snapshot's total at the URL's
 *                                     settings, and the lines of the top growing functions
 *   GET  [/s/SID]/api/growth          the growth ranking, one row per function, with sparklines
 *   GET  [/s/SID]/ui/timeline         the timeline page (web/timeline.html)
 *   GET  /api/watch                   the running watches
 *   POST /api/watch (url, interval, seconds)    starts a watch   } need the token, as uploads
 *   POST /api/watch/stop (id)                   stops one        }
 * Without /s/SID the default series is meant (the command line's, else the latest changed).
 * Settings are pprof's URL parameters (query.h) over the command line's; the views' own are
 * value=flat|cum, lines=N, rows=N, order=KEY, dir=asc|desc.
 *
 * In: hostile requests (ids are validated before they reach the store; every other string only
 * reaches JSON). Out: JSON built in the response buffer (capped), computed answers kept in a view
 * cache keyed by the series' state, so a new snapshot is a new key. Per-snapshot numbers are
 * cached by series.c. Memory: per request, in the request arena and the response. */
#include "pprofweb/timeline.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "pprofweb/decode.h"
#include "pprofweb/json.h"
#include "pprofweb/limits.h"
#include "pprofweb/query.h"
#include "pprofweb/series.h"
#include "pprofweb/watch.h"

/* Computed timeline and growth answers kept (bytes). */
#define TIMELINE_CACHE_BYTES ((size_t)64 << 20)

struct pw_timeline {
    struct pw_timeline_options o;
    struct pw_config base;
    struct pw_store *store;
    char default_series[PW_SERIES_ID_LEN + 1];
    struct pw_series_cache *series_cache;
    struct pw_cache *cache;
    pthread_t warm_thread;
    bool warming;
};

struct pw_timeline *pw_timeline_new(const struct pw_timeline_options *o)
{
    struct pw_timeline *t = pw_xcalloc(1, sizeof(*t));
    t->o = *o;
    if (o->base)
        t->base = *o->base;
    else
        pw_config_default(&t->base);
    t->store = pw_share_store(o->share);
    if (o->default_series)
        snprintf(t->default_series, sizeof(t->default_series), "%s", o->default_series);
    t->series_cache = pw_series_cache_new(PW_SERIES_CACHE_BYTES);
    t->cache = pw_cache_new(TIMELINE_CACHE_BYTES);
    return t;
}

void pw_timeline_free(struct pw_timeline *t)
{
    if (!t)
        return;
    if (t->warming)
        pthread_join(t->warm_thread, NULL);
    pw_series_cache_free(t->series_cache);
    pw_cache_free(t->cache);
    free(t);
}

static bool hook(void *ctx, const struct pw_request *req, struct pw_response *resp)
{
    struct pw_timeline *t = ctx;
    return pw_share_route(t->o.share, req, resp) || pw_timeline_route(t, req, resp);
}

void pw_timeline_attach(struct pw_timeline *t, struct pw_app *app)
{
    pw_share_attach(t->o.share, app);
    pw_app_set_hook(app, hook, t);
}

/* --- helpers --- */

static void json_response(struct pw_response *r)
{
    r->content_type = "application/json";
    r->cache_control = "no-cache";
}

static void fail_response(struct pw_response *r, const struct pw_err *err)
{
    pw_response_error(r, true, pw_http_status(err->code), err->msg);
}

/* The series a request means: sid, or the default one. */
static int resolve(struct pw_timeline *t, const char *sid, char *out, struct pw_err *err)
{
    if (!t->store)
        return pw_fail(err, PW_ENOTFOUND, "this pprofweb has no store (see -store), so no series");
    if (sid) {
        if (!pw_series_id_valid(sid))
            return pw_fail(err, PW_ENOTFOUND, "no series with id \"%.40s\"", sid);
        snprintf(out, PW_SERIES_ID_LEN + 1, "%s", sid);
        return 0;
    }
    if (t->default_series[0]) {
        snprintf(out, PW_SERIES_ID_LEN + 1, "%s", t->default_series);
        return 0;
    }
    size_t n = 0;
    struct pw_series_info *list = pw_store_series_list(t->store, &n, err);
    if (!list)
        return -1;
    int rc = n ? 0 : pw_fail(err, PW_ENOTFOUND, "no series yet: start pprofweb with -series "
                                                "FILES or -watch=30s URL, or start a watch");
    if (n)
        snprintf(out, PW_SERIES_ID_LEN + 1, "%s", list[0].id);
    free(list);
    return rc;
}

static void json_series_info(struct pw_json *j, const struct pw_series *sr)
{
    pw_json_obj_begin(j);
    pw_json_kstr(j, "id", sr->info.id);
    pw_json_kstr(j, "name", sr->info.name);
    pw_json_kstr(j, "type", sr->info.type);
    pw_json_kint(j, "snapshots", (int64_t)(sr->n - sr->info.n_gaps));
    pw_json_kint(j, "gaps", (int64_t)sr->info.n_gaps);
    pw_json_kint(j, "updated_at", sr->info.updated_at);
    pw_json_kint(j, "first_time", sr->n ? sr->snaps[0].time_nanos / 1000000 : 0);
    pw_json_kint(j, "last_time", sr->n ? sr->snaps[sr->n - 1].time_nanos / 1000000 : 0);
    if (sr->n && sr->snaps[sr->n - 1].id[0])
        pw_json_kstr(j, "last_id", sr->snaps[sr->n - 1].id);
    pw_json_obj_end(j);
}

/* --- /api/series and /api/watch --- */

static void json_watches(struct pw_timeline *t, struct pw_json *j)
{
    size_t n = 0;
    struct pw_watch_info *w = t->o.watcher ? pw_watcher_list(t->o.watcher, &n) : NULL;
    pw_json_arr_begin(j);
    for (size_t i = 0; i < n; i++) {
        pw_json_obj_begin(j);
        pw_json_kstr(j, "id", w[i].series_id);
        pw_json_kstr(j, "url", w[i].url);
        pw_json_kint(j, "interval_ms", w[i].interval_ms);
        pw_json_kint(j, "seconds", w[i].seconds);
        pw_json_kint(j, "fetches", (int64_t)w[i].fetches);
        pw_json_kint(j, "failures", (int64_t)w[i].failures);
        pw_json_kint(j, "last_time", w[i].last_nanos / 1000000);
        pw_json_kstr(j, "last_error", w[i].last_error);
        pw_json_kstr(j, "holder", w[i].holder);
        pw_json_obj_end(j);
    }
    pw_json_arr_end(j);
    free(w);
}

static void serve_list(struct pw_timeline *t, const struct pw_request *req, struct pw_response *r)
{
    json_response(r);
    struct pw_json j;
    pw_json_init(&j, &r->buf);
    pw_json_obj_begin(&j);
    pw_json_kbool(&j, "store", t->store != NULL);
    pw_json_kbool(&j, "watch", t->o.watcher != NULL);
    pw_json_kbool(&j, "token_required", !pw_share_authorized(t->o.share, &(struct pw_request){
                                                                  .arena = req->arena}));
    pw_json_kbool(&j, "authorized", pw_share_authorized(t->o.share, req));
    char def[PW_SERIES_ID_LEN + 1];
    struct pw_err err = {0};
    pw_json_kstr(&j, "default", resolve(t, NULL, def, &err) == 0 ? def : NULL);
    pw_json_key(&j, "store_bytes");
    pw_json_uint(&j, t->store ? pw_store_disk_usage(t->store) : 0);
    size_t n = 0;
    struct pw_series_info *list = t->store ? pw_store_series_list(t->store, &n, &err) : NULL;
    pw_json_key(&j, "series");
    pw_json_arr_begin(&j);
    for (size_t i = 0; i < n && i < PW_MAX_SERIES_LISTED; i++) {
        struct pw_series sr;
        if (pw_store_series_get(t->store, list[i].id, &sr, &err) == 0) {
            json_series_info(&j, &sr);
            pw_store_series_free(&sr);
        }
    }
    pw_json_arr_end(&j);
    free(list);
    pw_json_key(&j, "watches");
    json_watches(t, &j);
    pw_json_obj_end(&j);
    pw_buf_addc(&r->buf, '\n');
}

/* The parameters of a form POST (or the query string). */
static int form_params(const struct pw_request *req, struct pw_params *form,
                       const struct pw_params **ps, struct pw_err *err)
{
    *ps = &req->params;
    if (req->body_len && req->content_type &&
        !strncasecmp(req->content_type, "application/x-www-form-urlencoded", 33)) {
        if (memchr(req->body, 0, req->body_len))
            return pw_fail(err, PW_EINVAL, "form body contains a NUL byte");
        char *text = pw_arena_strndup(req->arena, (const char *)req->body, req->body_len);
        if (pw_params_parse(form, req->arena, text, err))
            return -1;
        *ps = form;
    }
    return 0;
}

/* The answer to a request that made or changed series sid: {"id", "link"} and, with watches,
 * the running watches. */
static void series_answer(struct pw_timeline *t, const struct pw_request *req, const char *sid,
                          bool watches, struct pw_response *r)
{
    json_response(r);
    struct pw_json j;
    pw_json_init(&j, &r->buf);
    pw_json_obj_begin(&j);
    pw_json_kstr(&j, "id", sid);
    pw_json_kstr(&j, "link", pw_arena_printf(req->arena, "/s/%s/ui/timeline", sid));
    if (watches) {
        pw_json_key(&j, "watches");
        json_watches(t, &j);
    }
    pw_json_obj_end(&j);
    pw_buf_addc(&r->buf, '\n');
}

/* The checks a request that changes the server passes before its body is read: the same origin
 * and the token (who_needs starts the 401's message). False when r holds the answer: a refusal,
 * or, on headers alone, status 0, which asks for the body. */
static bool write_allowed(struct pw_timeline *t, const struct pw_request *req,
                          const char *who_needs, struct pw_response *r)
{
    if (!pw_same_origin(req->origin, req->host)) {
        pw_response_error(r, true, 403, "cross-origin request refused");
        return false;
    }
    if (!pw_share_authorized(t->o.share, req)) {
        pw_response_error(r, true, 401,
                          pw_arena_printf(req->arena, "%s this server's token: send "
                                                      "Authorization: Bearer TOKEN",
                                          who_needs));
        return false;
    }
    if (req->body_pending) {
        r->status = 0; /* the headers pass: read the body, then answer */
        return false;
    }
    return true;
}

static void serve_watch(struct pw_timeline *t, const struct pw_request *req, bool stop,
                        struct pw_response *r)
{
    bool get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
    if (get && !stop) {
        json_response(r);
        struct pw_json j;
        pw_json_init(&j, &r->buf);
        pw_json_obj_begin(&j);
        pw_json_key(&j, "watches");
        json_watches(t, &j);
        pw_json_obj_end(&j);
        pw_buf_addc(&r->buf, '\n');
        return;
    }
    if (strcmp(req->method, "POST")) {
        pw_response_error(r, true, 405, stop ? "stop a watch with POST" : "start a watch with POST");
        return;
    }
    if (!t->o.watcher) {
        pw_response_error(r, true, 503, "this pprofweb has no profile store (see -store): "
                                        "watches are off");
        return;
    }
    if (!write_allowed(t, req, "watches need", r))
        return;
    struct pw_err err = {0};
    struct pw_params form = {0};
    const struct pw_params *ps;
    char sid[PW_SERIES_ID_LEN + 1] = "";
    int rc = form_params(req, &form, &ps, &err);
    if (rc == 0 && stop) {
        const char *id = pw_params_get(ps, "id");
        rc = pw_watcher_stop(t->o.watcher, id ? id : "", &err);
        snprintf(sid, sizeof(sid), "%s", id && pw_series_id_valid(id) ? id : "");
    } else if (rc == 0) {
        const char *url = pw_params_get(ps, "url"), *iv = pw_params_get(ps, "interval"),
                   *secs = pw_params_get(ps, "seconds");
        long long ms = 30000;
        long seconds = 0;
        char *end = NULL;
        if (!url || !*url)
            rc = pw_fail(&err, PW_EINVAL, "a watch needs url= (a net/http/pprof endpoint such "
                                          "as http://host:6060/debug/pprof/heap)");
        else if (iv && *iv && pw_watch_parse_interval(iv, &ms, &err))
            rc = -1;
        else if (secs && *secs &&
                 ((seconds = strtol(secs, &end, 10)), *end || seconds < 0 ||
                  seconds > PW_MAX_FETCH_SECONDS))
            rc = pw_fail(&err, PW_EINVAL, "seconds: want a whole number of seconds from 0 to %d",
                         PW_MAX_FETCH_SECONDS);
        if (rc == 0)
            rc = pw_watcher_start(t->o.watcher, url, ms, (int)seconds, sid, &err);
    }
    pw_params_release(&form);
    if (rc) {
        fail_response(r, &err);
        return;
    }
    series_answer(t, req, sid, true, r);
}

/* POST /api/series (name, ids=ID,ID,...): stored profiles (uploaded together) as one series,
 * ordered by each profile's time, else when it was stored. */
static void serve_create(struct pw_timeline *t, const struct pw_request *req,
                         struct pw_response *r)
{
    if (!write_allowed(t, req, "making a series needs", r))
        return;
    struct pw_err err = {0};
    struct pw_params form = {0};
    const struct pw_params *ps;
    char sid[PW_SERIES_ID_LEN + 1] = "";
    int rc = t->store ? form_params(req, &form, &ps, &err)
                      : pw_fail(&err, PW_ENOTFOUND, "this pprofweb has no store (see -store)");
    const char *ids = rc ? NULL : pw_params_get(ps, "ids");
    const char *name = rc ? NULL : pw_params_get(ps, "name");
    struct pw_store_entry *e = NULL;
    size_t n = 0;
    if (rc == 0 && (!ids || !*ids))
        rc = pw_fail(&err, PW_EINVAL, "a series needs ids=ID,ID,... of stored profiles");
    for (const char *p = ids; rc == 0 && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char id[PW_STORE_ID_LEN + 1];
        snprintf(id, sizeof(id), "%.*s", (int)(len < PW_STORE_ID_LEN ? len : PW_STORE_ID_LEN), p);
        if (len != PW_STORE_ID_LEN || n >= PW_MAX_SERIES_SNAPSHOTS)
            rc = pw_fail(&err, PW_EINVAL, "ids: want at most %d store ids separated by commas",
                         PW_MAX_SERIES_SNAPSHOTS);
        else {
            e = pw_xrealloc(e, (n + 1) * sizeof(*e));
            rc = pw_store_stat(t->store, id, &e[n], &err);
            if (!e[n].time_nanos)
                e[n].time_nanos = e[n].stored_at * 1000000000;
            n += rc == 0;
        }
        p += len + (comma ? 1 : 0);
    }
    if (rc == 0) {
        /* Named after its profiles unless a name is given: the same upload finds its series. */
        char def[300];
        snprintf(def, sizeof(def), "%s ... %s (%zu uploaded)", e[0].name, e[n - 1].name, n);
        rc = pw_store_series_open(t->store, name && *name ? name : def, sid, &err);
    }
    const char **ids_v = pw_arena_calloc(req->arena, n + 1, sizeof(*ids_v));
    int64_t *times = pw_arena_calloc(req->arena, n + 1, sizeof(*times));
    for (size_t i = 0; i < n; i++) {
        ids_v[i] = e[i].id;
        times[i] = e[i].time_nanos;
    }
    if (rc == 0)
        rc = pw_store_series_append_many(t->store, sid, ids_v, times, n, NULL, &err);
    free(e);
    pw_params_release(&form);
    if (rc) {
        fail_response(r, &err);
        return;
    }
    series_answer(t, req, sid, false, r);
}

/* --- /api/timeline and /api/growth --- */

static const struct pw_profile *acquire(void *ctx, const char *id, struct pw_err *err)
{
    return pw_store_acquire(ctx, id, err);
}

static void release(void *ctx, const struct pw_profile *p)
{
    pw_store_release(ctx, p);
}

static int read_bytes(void *ctx, const char *id, unsigned char **data, size_t *len,
                      const char **symbolize, struct pw_err *err)
{
    *symbolize = pw_store_symbolize(ctx);
    return pw_store_read(ctx, id, data, len, err);
}

/* A whole-number parameter within 0..max, def when absent. */
static int int_param(const struct pw_params *ps, const char *key, long def, long max, long *out,
                     struct pw_err *err)
{
    const char *v = pw_params_get(ps, key);
    *out = def;
    if (!v || !*v)
        return 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < 0 || n > max)
        return pw_fail(err, PW_EINVAL, "%s: want a whole number from 0 to %ld", key, max);
    *out = n;
    return 0;
}

/* The view's own parameters. */
struct view_params {
    bool cum;
    long lines, rows;
    const char *order;
    bool desc;
};

static int view_params(const struct pw_params *ps, struct view_params *v, struct pw_err *err)
{
    const char *value = pw_params_get(ps, "value");
    if (value && *value && strcmp(value, "flat") && strcmp(value, "cum"))
        return pw_fail(err, PW_EINVAL, "value: want flat or cum");
    v->cum = value && !strcmp(value, "cum");
    if (int_param(ps, "lines", 5, PW_MAX_TIMELINE_LINES, &v->lines, err) ||
        int_param(ps, "rows", 100, PW_MAX_GROWTH_ROWS, &v->rows, err))
        return -1;
    const char *order = pw_params_get(ps, "order"), *dir = pw_params_get(ps, "dir");
    v->order = order && *order ? order : "score";
    static const char *const keys[] = {"score", "change", "per_hour", "steadiness",
                                       "first", "last",   "name"};
    bool known = false;
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
        known |= !strcmp(keys[i], v->order);
    if (!known)
        return pw_fail(err, PW_EINVAL, "order: want score, change, per_hour, steadiness, first, "
                                       "last or name");
    if (dir && *dir && strcmp(dir, "asc") && strcmp(dir, "desc"))
        return pw_fail(err, PW_EINVAL, "dir: want asc or desc");
    v->desc = dir && *dir ? !strcmp(dir, "desc") : strcmp(v->order, "name") != 0;
    return 0;
}

/* Indices of at most max of the points where keep[] is true, evenly spread, the last always
 * included (each bucket keeps its last point). */
static size_t pick(const bool *keep, size_t n, size_t max, size_t *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += !keep || keep[i];
    size_t k = 0, seen = 0, buckets = m < max ? m : max;
    for (size_t i = 0; i < n; i++) {
        if (keep && !keep[i])
            continue;
        seen++;
        /* seen is the last of its bucket when the next one starts a new bucket */
        if (seen == m || (seen * buckets) / m != ((seen + 1) * buckets) / m)
            out[k++] = i;
    }
    return k;
}

static void json_growth_row(struct pw_json *j, const struct pw_series_data *d,
                            const struct pw_growth *g, const int64_t *v, const size_t *spark,
                            size_t n_spark)
{
    pw_json_obj_begin(j);
    pw_json_kstr(j, "name", d->fns[g->fn].name);
    pw_json_kint(j, "first", g->first);
    pw_json_kint(j, "last", g->last);
    pw_json_kint(j, "change", g->change);
    pw_json_kdouble(j, "per_hour", g->per_hour);
    pw_json_kdouble(j, "r2", g->r2);
    pw_json_kdouble(j, "grew", g->grew);
    pw_json_kdouble(j, "steadiness", g->steadiness);
    pw_json_kdouble(j, "score", g->score);
    pw_json_key(j, "spark");
    pw_json_arr_begin(j);
    for (size_t k = 0; k < n_spark; k++)
        pw_json_int(j, v[spark[k]]);
    pw_json_arr_end(j);
    pw_json_obj_end(j);
}

static void json_common(struct pw_json *j, const struct pw_series *sr,
                        const struct pw_series_data *d, const struct pw_config *cfg,
                        const struct pw_config *base, const struct view_params *v,
                        const char *view)
{
    pw_json_kstr(j, "view", view);
    pw_json_key(j, "series");
    json_series_info(j, sr);
    pw_json_kstr(j, "sample_type", d->sample_type);
    pw_json_kstr(j, "unit", d->unit);
    pw_json_kstr(j, "value", v->cum ? "cum" : "flat");
    pw_json_key(j, "sample_types");
    pw_json_arr_begin(j);
    for (const char *s = sr->info.type; *s;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        pw_json_strn(j, s, n);
        s += n + (comma ? 1 : 0);
    }
    pw_json_arr_end(j);
    struct pw_buf q;
    pw_buf_init(&q, 1 << 20);
    pw_query_format(cfg, base, &q);
    pw_json_kstr(j, "query", pw_buf_str(&q));
    pw_buf_release(&q);
}

static void write_timeline(struct pw_json *j, const struct pw_series *sr,
                           const struct pw_series_data *d, const struct pw_growth *g,
                           const struct view_params *v, size_t *idx)
{
    size_t n = pick(NULL, d->n_points, PW_MAX_TIMELINE_POINTS, idx);
    pw_json_kbool(j, "downsampled", n < d->n_points);
    pw_json_key(j, "points");
    pw_json_arr_begin(j);
    for (size_t k = 0; k < n; k++) {
        size_t i = idx[k];
        pw_json_obj_begin(j);
        pw_json_kint(j, "t", d->points[i].time_nanos / 1000000);
        if (d->present[i]) {
            pw_json_kstr(j, "id", d->points[i].id);
            pw_json_kint(j, "total", d->totals[i]);
        } else {
            pw_json_kstr(j, "error", d->points[i].error ? d->points[i].error : "no profile");
            if (d->points[i].id)
                pw_json_kstr(j, "id", d->points[i].id);
        }
        pw_json_obj_end(j);
    }
    pw_json_arr_end(j);
    pw_json_key(j, "lines");
    pw_json_arr_begin(j);
    for (size_t l = 0; l < (size_t)v->lines && l < d->n_fns && g[l].score > 0; l++) {
        const struct pw_series_fn *f = &d->fns[g[l].fn];
        const int64_t *vals = f->values;
        pw_json_obj_begin(j);
        pw_json_kstr(j, "name", f->name);
        pw_json_kdouble(j, "per_hour", g[l].per_hour);
        pw_json_key(j, "values");
        pw_json_arr_begin(j);
        for (size_t k = 0; k < n; k++) {
            if (d->present[idx[k]])
                pw_json_int(j, vals[idx[k]]);
            else
                pw_json_null(j);
        }
        pw_json_arr_end(j);
        pw_json_obj_end(j);
    }
    pw_json_arr_end(j);
    if (d->memstats) {
        pw_json_key(j, "memstats");
        pw_json_obj_begin(j);
        for (int m = 0; m < PW_SERIES_N_MEMSTATS; m++) {
            pw_json_key(j, pw_series_memstats_names[m]);
            pw_json_arr_begin(j);
            for (size_t k = 0; k < n; k++) {
                int64_t x = d->present[idx[k]] ? d->memstats[idx[k]][m] : -1;
                if (x >= 0)
                    pw_json_int(j, x);
                else
                    pw_json_null(j);
            }
            pw_json_arr_end(j);
        }
        pw_json_obj_end(j);
    }
    (void)sr;
}

static void write_growth(struct pw_json *j, const struct pw_series_data *d, struct pw_growth *g,
                         const struct view_params *v, size_t *idx)
{
    /* Functions whose value is 0 in every snapshot (only cum when flat is shown) are no row. */
    size_t n_rows = 0;
    for (size_t i = 0; i < d->n_fns; i++) {
        const int64_t *vals = d->fns[g[i].fn].values;
        bool any = false;
        for (size_t k = 0; k < d->n_points && !any; k++)
            any = d->present[k] && vals[k] != 0;
        if (any)
            g[n_rows++] = g[i];
    }
    pw_series_growth_sort(d, g, n_rows, v->order, v->desc);
    size_t n_spark = pick(d->present, d->n_points, PW_GROWTH_SPARK_POINTS, idx);
    pw_json_kstr(j, "order", v->order);
    pw_json_kstr(j, "dir", v->desc ? "desc" : "asc");
    pw_json_kint(j, "total_rows", (int64_t)n_rows);
    pw_json_key(j, "spark_times");
    pw_json_arr_begin(j);
    for (size_t k = 0; k < n_spark; k++)
        pw_json_int(j, d->points[idx[k]].time_nanos / 1000000);
    pw_json_arr_end(j);
    pw_json_key(j, "rows");
    pw_json_arr_begin(j);
    for (size_t i = 0; i < n_rows && i < (size_t)v->rows; i++)
        json_growth_row(j, d, &g[i], d->fns[g[i].fn].values, idx, n_spark);
    pw_json_arr_end(j);
}

static void serve_analysis(struct pw_timeline *t, const struct pw_request *req, const char *sid,
                           bool growth, struct pw_response *r)
{
    struct pw_err err = {0};
    char id[PW_SERIES_ID_LEN + 1];
    struct pw_config cfg = t->base;
    struct view_params v;
    if (resolve(t, sid, id, &err) || pw_query_apply(&cfg, &req->params, &err) ||
        view_params(&req->params, &v, &err)) {
        fail_response(r, &err);
        return;
    }
    struct pw_series sr;
    if (pw_store_series_get(t->store, id, &sr, &err)) {
        fail_response(r, &err);
        return;
    }
    json_response(r);
    /* The answer depends on the series' content (its snapshots, by count and the last one) and
     * on the settings: a new snapshot is a new key. */
    struct pw_buf key;
    pw_buf_init(&key, 1 << 20);
    pw_buf_addf(&key, "%s\n%s\n%zu\n%lld\n%s\n", growth ? "growth" : "timeline", id, sr.n,
                sr.n ? (long long)sr.snaps[sr.n - 1].time_nanos : 0LL,
                sr.n ? sr.snaps[sr.n - 1].id : "");
    pw_query_format(&cfg, NULL, &key);
    pw_buf_addf(&key, "\n%d %ld %ld %s %d", v.cum, v.lines, v.rows, v.order, v.desc);
    int status = 0;
    if (pw_cache_get_or_claim(t->cache, pw_buf_str(&key), &status, &r->buf)) {
        r->status = status;
        pw_buf_release(&key);
        pw_store_series_free(&sr);
        return;
    }
    struct pw_series_input *in = pw_arena_calloc(req->arena, sr.n + 1, sizeof(*in));
    for (size_t i = 0; i < sr.n; i++)
        in[i] = (struct pw_series_input){sr.snaps[i].id[0] ? sr.snaps[i].id : NULL,
                                         sr.snaps[i].time_nanos, sr.snaps[i].error};
    struct pw_series_data d;
    if (pw_series_compute(t->series_cache, in, sr.n, &cfg, v.cum, acquire, release, read_bytes,
                          t->store, &d, &err)) {
        fail_response(r, &err);
    } else {
        struct pw_growth *g = pw_series_growth(&d);
        size_t *idx = pw_xmalloc((d.n_points + 1) * sizeof(*idx));
        struct pw_json j;
        pw_json_init(&j, &r->buf);
        pw_json_obj_begin(&j);
        json_common(&j, &sr, &d, &cfg, &t->base, &v, growth ? "growth" : "timeline");
        if (growth)
            write_growth(&j, &d, g, &v, idx);
        else
            write_timeline(&j, &sr, &d, g, &v, idx);
        pw_json_obj_end(&j);
        pw_buf_addc(&r->buf, '\n');
        if (r->buf.overflow)
            pw_response_error(r, true, 413, "the answer is too large: narrow it with a filter");
        free(idx);
        free(g);
        pw_series_data_release(&d);
    }
    pw_cache_put(t->cache, pw_buf_str(&key), r->status, r->buf.data ? r->buf.data : "",
                 r->buf.len);
    pw_buf_release(&key);
    pw_store_series_free(&sr);
}

/* --- the page --- */

static void serve_page(struct pw_timeline *t, const char *sid, struct pw_response *r)
{
    if (!pw_response_page(r, "timeline.html"))
        return;
    /* An unknown series is a 404, but still the page: it shows the API's message. */
    struct pw_err err = {0};
    char id[PW_SERIES_ID_LEN + 1];
    struct pw_series sr;
    if (resolve(t, sid, id, &err) == 0 && pw_store_series_get(t->store, id, &sr, &err) == 0)
        pw_store_series_free(&sr);
    else if (sid)
        r->status = 404;
}

bool pw_timeline_route(struct pw_timeline *t, const struct pw_request *req,
                       struct pw_response *r)
{
    const char *path = req->path ? req->path : "/";
    bool get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
    if (!strcmp(path, "/api/watch") || !strcmp(path, "/api/watch/stop")) {
        serve_watch(t, req, !strcmp(path, "/api/watch/stop"), r);
        return true;
    }
    const char *sid = NULL, *rest = path;
    if (!strncmp(path, "/s/", 3)) {
        const char *slash = strchr(path + 3, '/');
        size_t n = slash ? (size_t)(slash - path - 3) : strlen(path + 3);
        sid = pw_arena_strndup(req->arena, path + 3, n);
        rest = path + 3 + n;
        if (!*rest || !strcmp(rest, "/")) {
            r->status = 307;
            r->location = pw_arena_printf(req->arena, "/s/%s/ui/timeline",
                                          pw_series_id_valid(sid) ? sid : "bad");
            pw_buf_addf(&r->buf, "see %s\n", r->location);
            return true;
        }
    }
    bool api = !strncmp(rest, "/api/", 5);
    bool ours = !strcmp(rest, "/ui/timeline") || !strcmp(rest, "/api/timeline") ||
                !strcmp(rest, "/api/growth") || (!strcmp(rest, "/api/series") && !sid);
    if (!ours) {
        if (!sid)
            return false;
        pw_response_error(r, api, 404, "not found: a series has /ui/timeline, /api/timeline "
                                       "and /api/growth");
        return true;
    }
    if (!strcmp(rest, "/api/series") && !strcmp(req->method, "POST")) {
        serve_create(t, req, r);
        return true;
    }
    if (!get) {
        pw_response_error(r, api, 405, "method not allowed");
        return true;
    }
    if (sid && !pw_series_id_valid(sid)) {
        pw_response_error(r, api, 404, "bad series id in the URL");
        return true;
    }
    if (!strcmp(rest, "/ui/timeline"))
        serve_page(t, sid, r);
    else if (!strcmp(rest, "/api/series"))
        serve_list(t, req, r);
    else
        serve_analysis(t, req, sid, !strcmp(rest, "/api/growth"), r);
    return true;
}

/* --- warming --- */

/* The default series' timeline and ranking at the server's settings, computed before anyone
 * asks: the first page load of a series opened with -series finds them ready. */
static bool warm_route(void *ctx, const struct pw_request *req, struct pw_response *resp)
{
    pw_timeline_route(ctx, req, resp);
    return true;
}

static void *warm(void *arg)
{
    static const char *const paths[] = {"/api/timeline", "/api/growth"};
    pw_warm_paths(warm_route, arg, paths, sizeof(paths) / sizeof(*paths));
    return NULL;
}

void pw_timeline_warm(struct pw_timeline *t)
{
    if (!t->warming && t->default_series[0] && t->store)
        t->warming = pthread_create(&t->warm_thread, NULL, warm, t) == 0;
}

/* --- -series --- */

struct import_file {
    char *path;
    char id[PW_STORE_ID_LEN + 1];
    char type[128];
    int64_t time_nanos;
};

static int cmp_import(const void *a, const void *b)
{
    const struct import_file *x = a, *y = b;
    if (x->time_nanos != y->time_nanos)
        return x->time_nanos < y->time_nanos ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* Adds path, or a directory's regular files (not hidden ones), to files. */
static void add_path(const char *path, struct import_file **files, size_t *n, size_t *cap)
{
    struct stat st;
    DIR *d = stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? opendir(path) : NULL;
    if (!d) {
        PW_GROW(*files, *cap, *n + 1);
        (*files)[(*n)++] = (struct import_file){.path = strdup(path)};
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) && *n < PW_MAX_SERIES_SNAPSHOTS) {
        if (de->d_name[0] == '.')
            continue;
        /* Copied rather than sprintf'd: GCC's format check cannot see that pw_xmalloc never
         * returns NULL and fails the sanitizer build. */
        size_t np = strlen(path), nd = strlen(de->d_name);
        char *full = pw_xmalloc(np + nd + 2);
        memcpy(full, path, np);
        full[np] = '/';
        memcpy(full + np + 1, de->d_name, nd + 1);
        if (stat(full, &st) || !S_ISREG(st.st_mode)) {
            free(full);
            continue;
        }
        PW_GROW(*files, *cap, *n + 1);
        (*files)[(*n)++] = (struct import_file){.path = full};
    }
    closedir(d);
}

/* The name of an imported series: the directory given, or the first file's directory. */
static void import_name(const char *first, char *out, size_t n)
{
    char *real = realpath(first, NULL);
    const char *p = real ? real : first;
    struct stat st;
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(out, n, "%s", p);
    } else {
        const char *slash = strrchr(p, '/');
        snprintf(out, n, "%.*s", slash ? (int)(slash - p) : 1, slash ? p : ".");
    }
    free(real);
}

int pw_timeline_import(struct pw_store *store, const char *const *paths, size_t n,
                       char *series_id_out, struct pw_buf *warn, struct pw_err *err)
{
    if (!n)
        return pw_fail(err, PW_EINVAL, "-series needs files or a directory");
    struct import_file *files = NULL;
    size_t n_files = 0, cap = 0, added = 0;
    for (size_t i = 0; i < n; i++)
        add_path(paths[i], &files, &n_files, &cap);
    char name[4096];
    import_name(paths[0], name, sizeof(name));
    int rc = pw_store_series_open(store, name, series_id_out, err);
    struct pw_series sr = {0};
    if (rc == 0)
        rc = pw_store_series_get(store, series_id_out, &sr, err);
    for (size_t i = 0; i < n_files && rc == 0; i++) {
        struct import_file *f = &files[i];
        unsigned char *data;
        size_t len;
        struct pw_err e = {0};
        struct pw_store_entry meta;
        struct stat st;
        const char *base = strrchr(f->path, '/');
        if (pw_read_file(f->path, PW_MAX_INPUT, &data, &len, &e) == 0) {
            if (pw_store_put(store, data, len, base ? base + 1 : f->path, f->id, &e) == 0 &&
                pw_store_stat(store, f->id, &meta, &e) == 0) {
                f->time_nanos = meta.time_nanos;
                snprintf(f->type, sizeof(f->type), "%s", meta.type);
            }
            free(data);
        }
        if (e.code) {
            pw_buf_addf(warn, "%s: %s\n", f->path, e.msg);
            f->id[0] = 0;
        } else if (!f->time_nanos && stat(f->path, &st) == 0) {
            f->time_nanos = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        }
    }
    if (rc == 0)
        qsort(files, n_files, sizeof(*files), cmp_import);
    /* A new series takes the kind most of the files have, not the oldest file's. */
    char kind[128];
    snprintf(kind, sizeof(kind), "%s", sr.info.type);
    for (size_t i = 0, best = 0; i < n_files && !sr.info.type[0]; i++) {
        size_t count = 0;
        for (size_t k = 0; k < n_files && files[i].id[0]; k++)
            count += files[k].id[0] && !strcmp(files[i].type, files[k].type);
        if (count > best) {
            best = count;
            snprintf(kind, sizeof(kind), "%s", files[i].type);
        }
    }
    for (size_t i = 0; i < n_files; i++) {
        if (files[i].id[0] && strcmp(files[i].type, kind)) {
            pw_buf_addf(warn, "%s: skipped: its sample types are %s, the series' are %s\n",
                        files[i].path, files[i].type, kind);
            files[i].id[0] = 0;
        }
    }
    /* One write for all the new files. */
    const char **ids = pw_xcalloc(n_files + 1, sizeof(*ids));
    int64_t *times = pw_xcalloc(n_files + 1, sizeof(*times));
    for (size_t i = 0; i < n_files && rc == 0; i++) {
        bool have = !files[i].id[0];
        for (size_t k = 0; k < sr.n && !have; k++)
            have = !strcmp(sr.snaps[k].id, files[i].id);
        if (!have) {
            ids[added] = files[i].id;
            times[added++] = files[i].time_nanos;
        }
    }
    if (rc == 0 && added)
        rc = pw_store_series_append_many(store, series_id_out, ids, times, added, NULL, err);
    if (rc == 0 && !added && sr.n)
        added = sr.n; /* imported before: nothing new */
    free(ids);
    free(times);
    for (size_t i = 0; i < n_files; i++)
        free(files[i].path);
    free(files);
    pw_store_series_free(&sr);
    if (rc == 0 && !added)
        rc = pw_fail(err, PW_EINVAL, "-series: none of the files is a profile of the series");
    return rc;
}
