/* Unit tests for the route table, without sockets: redirects, the page and static files,
 * JSON views and their errors (400/404/405/403), profile ids, a comparison's base column, the
 * view cache (hits, and one computation for many concurrent requests of the same view). Uses
 * the bundled testdata/profiles/shop.cpu.pb.gz (run from the repository root, as `make unit`
 * does). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/limits.h"
#include "pprofweb/decode.h"
#include "pprofweb/routes.h"

struct result {
    int status;
    char *body;
    const char *ctype;
    char location[512];
    bool is_page;
};

static void result_free(struct result *r)
{
    free(r->body);
    r->body = NULL;
}

/* Runs one request: path may carry a query string. */
static struct result run(struct pw_app *app, const char *method, const char *url, bool local)
{
    struct pw_arena arena;
    pw_arena_init(&arena);
    struct pw_request req;
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.arena = &arena;
    req.client_is_local = local;
    const char *q = strchr(url, '?');
    req.path = q ? pw_arena_strndup(&arena, url, (size_t)(q - url)) : url;
    struct pw_err err;
    if (q && pw_params_parse(&req.params, &arena, q + 1, &err))
        abort();
    struct pw_response resp;
    pw_response_init(&resp);
    pw_route(app, &req, &resp);
    struct result r = {0};
    r.status = resp.status;
    r.ctype = resp.content_type;
    r.is_page = resp.is_page;
    size_t len;
    const void *body = pw_response_body(&resp, &len);
    r.body = malloc(len + 1);
    memcpy(r.body, body, len);
    r.body[len] = 0;
    if (resp.location)
        snprintf(r.location, sizeof(r.location), "%s", resp.location);
    pw_response_release(&resp);
    pw_params_release(&req.params);
    pw_arena_release(&arena);
    return r;
}

static int status_of(struct pw_app *app, const char *url)
{
    struct result r = run(app, "GET", url, true);
    result_free(&r);
    return r.status;
}

struct thread_arg {
    struct pw_app *app;
    const char *url;
    int status;
    size_t len;
};

static void *worker(void *p)
{
    struct thread_arg *a = p;
    struct result r = run(a->app, "GET", a->url, true);
    a->status = r.status;
    a->len = strlen(r.body);
    result_free(&r);
    return NULL;
}

/* A profile of one sample per name: names[i] (which may hold NUL bytes, len from lens[i]) with
 * values[i]. */
static struct pw_profile *named_profile(size_t n, const char *const *names, const size_t *lens,
                                        const int64_t *values)
{
    struct pw_profile *p = pw_profile_new();
    struct pw_value_type vt = {pw_intern_cstr(p, "cpu"), pw_intern_cstr(p, "nanoseconds")};
    pw_set_sample_types(p, &vt, 1);
    for (size_t i = 0; i < n; i++) {
        struct pw_function *f = pw_add_function(p);
        f->id = p->n_functions;
        f->name = f->system_name = pw_intern(p, names[i], lens[i]);
        f->filename = pw_intern_cstr(p, "x.go");
        struct pw_location *l = pw_add_location(p);
        l->id = p->n_locations;
        l->address = 0x1000 * (i + 1);
        l->n_lines = 1;
        l->lines = pw_arena_calloc(&p->arena, 1, sizeof *l->lines);
        l->lines[0].function = p->n_functions - 1;
        l->lines[0].line = 1;
        struct pw_sample *smp = pw_add_sample(p);
        smp->values = pw_arena_calloc(&p->arena, 1, sizeof *smp->values);
        smp->values[0] = values[i];
        smp->n_locs = 1;
        smp->locs = pw_arena_calloc(&p->arena, 1, sizeof *smp->locs);
        smp->locs[0] = p->n_locations - 1;
    }
    return p;
}

/* The number after "key": in the JSON object that starts at row, or -1. */
static long long row_number(const char *row, const char *key)
{
    const char *end = strchr(row, '}');
    const char *k = strstr(row, key);
    return k && end && k < end ? strtoll(k + strlen(key), NULL, 10) : -1;
}

int main(void)
{
    struct pw_err err = {0};
    struct pw_profile *p = pw_decode_file("testdata/profiles/shop.cpu.pb.gz", &err);
    CHECK(p != NULL, "decode the bundled profile: %s", err.msg);
    if (!p)
        return harness_done();

    struct pw_app *app = pw_app_new(NULL, false);
    char id[PW_MAX_ID_LEN + 1];
    CHECK_INTEQ(pw_app_add_profile(app, p, "shop.cpu.pb.gz", NULL, id, &err), 0);
    CHECK_INTEQ(strlen(id), 16);
    /* the same content gets the same id; the id is taken now */
    char id2[PW_MAX_ID_LEN + 1];
    CHECK_INTEQ(pw_app_add_profile(app, p, "again", NULL, id2, &err), -1);
    CHECK_INTEQ(pw_app_add_profile(app, p, "bad", "no/slash", NULL, &err), -1);
    CHECK_INTEQ(pw_app_add_profile(app, p, "second", "second", NULL, &err), 0);

    /* redirects */
    struct result r = run(app, "GET", "/", true);
    CHECK_INTEQ(r.status, 307);
    CHECK_STREQ(r.location, "/ui/");
    result_free(&r);
    r = run(app, "GET", "/?f=main%20x&si=cpu", true);
    CHECK_STREQ(r.location, "/ui/?f=main+x&si=cpu");
    result_free(&r);
    r = run(app, "GET", "/ui", true);
    CHECK_STREQ(r.location, "/ui/");
    result_free(&r);
    char url[256];
    snprintf(url, sizeof(url), "/p/%s", id);
    r = run(app, "GET", url, true);
    CHECK_INTEQ(r.status, 307);
    char want[256];
    snprintf(want, sizeof(want), "/p/%s/ui/", id);
    CHECK_STREQ(r.location, want);
    result_free(&r);

    /* the page */
    static const char *const pages[] = {"/ui/", "/ui/top", "/ui/peek", "/ui/source",
                                        "/ui/flamegraph"};
    for (size_t i = 0; i < sizeof(pages) / sizeof(*pages); i++) {
        r = run(app, "GET", pages[i], true);
        CHECK(r.status == 200 && r.is_page && strstr(r.body, "<!DOCTYPE html>"), "%s is the page",
              pages[i]);
        result_free(&r);
    }
    CHECK_INTEQ(status_of(app, "/ui/top?si=nosuchtype"), 400);
    CHECK_INTEQ(status_of(app, "/ui/top?f=(unclosed"), 400);
    CHECK_INTEQ(status_of(app, "/ui/top?n=abc"), 400);
    CHECK_INTEQ(status_of(app, "/ui/nosuchview"), 404);

    /* static files */
    r = run(app, "GET", "/static/app.js", true);
    CHECK(r.status == 200 && strstr(r.ctype, "javascript"), "app.js served: %d", r.status);
    result_free(&r);
    CHECK_INTEQ(status_of(app, "/static/../Makefile"), 404);
    CHECK_INTEQ(status_of(app, "/static/nosuch.js"), 404);
    CHECK_INTEQ(status_of(app, "/etc/passwd"), 404);

    /* JSON views */
    r = run(app, "GET", "/api/top", true);
    CHECK(r.status == 200 && strstr(r.ctype, "json") && strstr(r.body, "\"rows\":[{"),
          "top JSON: %d %.200s", r.status, r.body);
    char *top_default = strdup(r.body);
    result_free(&r);
    snprintf(url, sizeof(url), "/p/%s/api/top", id);
    r = run(app, "GET", url, true);
    CHECK(r.status == 200 && strcmp(r.body, top_default) == 0, "/p/ID/api/top is the default");
    result_free(&r);
    free(top_default);
    r = run(app, "GET", "/api/meta", true);
    CHECK(r.status == 200 && strstr(r.body, "\"sample_types\":[{\"type\":\"samples\""),
          "meta lists sample types: %.300s", r.body);
    result_free(&r);
    r = run(app, "GET", "/api/top?si=bogus", true);
    CHECK(r.status == 400 && strstr(r.body, "\"error\":"), "bad si is 400 JSON: %s", r.body);
    result_free(&r);
    r = run(app, "GET", "/api/top?f=%28", true);
    CHECK(r.status == 400 && strstr(r.body, "focus"), "bad regexp is 400: %s", r.body);
    result_free(&r);
    r = run(app, "GET", "/api/peek?f=main%5C.", true);
    CHECK(r.status == 200 && strstr(r.body, "\"entries\":[{"), "peek: %.200s", r.body);
    result_free(&r);
    r = run(app, "GET", "/api/peek?f=nosuchfunctionanywhere", true);
    CHECK(r.status == 400 && strstr(r.body, "no matches found"), "peek no match: %s", r.body);
    result_free(&r);
    CHECK_INTEQ(status_of(app, "/api/nosuch"), 404);
    CHECK_INTEQ(status_of(app, "/p/ffffffffffffffff/api/top"), 404);
    CHECK_INTEQ(status_of(app, "/p/bad%id/api/top"), 404);
    CHECK_INTEQ(status_of(app, "/p/second/api/meta"), 200);
    r = run(app, "GET", "/api/profiles", true);
    CHECK(r.status == 200 && strstr(r.body, id) && strstr(r.body, "\"second\""),
          "profiles: %s", r.body);
    result_free(&r);

    /* methods and access */
    r = run(app, "POST", "/api/top", true);
    CHECK_INTEQ(r.status, 405);
    result_free(&r);
    struct pw_app *local = pw_app_new(NULL, true);
    pw_app_add_profile(local, p, "x", NULL, NULL, &err);
    r = run(local, "GET", "/api/top", false);
    CHECK_INTEQ(r.status, 403);
    result_free(&r);
    r = run(local, "GET", "/api/top", true);
    CHECK_INTEQ(r.status, 200);
    result_free(&r);
    pw_app_free(local);

    /* server settings are the base; URL settings apply on top and can clear them */
    struct pw_config base;
    pw_config_default(&base);
    base.focus = "nosuchfunctionanywhere";
    struct pw_app *focused = pw_app_new(&base, false);
    pw_app_add_profile(focused, p, "x", NULL, NULL, &err);
    r = run(focused, "GET", "/api/top", true);
    CHECK(r.status == 200 && strstr(r.body, "\"rows\":[]"), "base focus applies: %.300s",
          r.body);
    result_free(&r);
    r = run(focused, "GET", "/api/top?f=", true);
    CHECK(r.status == 200 && strstr(r.body, "\"rows\":[{"), "f= clears it: %.200s", r.body);
    result_free(&r);
    pw_app_free(focused);

    /* no profile: the start page, and 404 from the API */
    struct pw_app *empty = pw_app_new(NULL, false);
    CHECK_INTEQ(status_of(empty, "/ui/"), 200);
    r = run(empty, "GET", "/api/meta", true);
    CHECK(r.status == 404 && strstr(r.body, "no profile loaded"), "no profile: %s", r.body);
    result_free(&r);
    pw_app_free(empty);

    /* cache: a repeated view is a hit with the same body */
    struct pw_app *cached = pw_app_new(NULL, false);
    pw_app_add_profile(cached, p, "x", NULL, NULL, &err);
    struct result a1 = run(cached, "GET", "/api/top?sort=cum", true);
    struct result a2 = run(cached, "GET", "/api/top?sort=cum", true);
    CHECK(a1.status == 200 && strcmp(a1.body, a2.body) == 0, "same body from the cache");
    result_free(&a1);
    result_free(&a2);
    /* many threads asking for one new view at once all get it */
    struct thread_arg args[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (struct thread_arg){cached, "/api/top?g=lines", 0, 0};
        pthread_create(&th[i], NULL, worker, &args[i]);
    }
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    bool same = true;
    for (int i = 0; i < 8; i++)
        same &= args[i].status == 200 && args[i].len == args[0].len;
    CHECK(same, "concurrent requests for one view agree");
    pw_app_free(cached);

    /* the cache itself */
    struct pw_cache *cache = pw_cache_new(4096);
    struct pw_buf body;
    pw_buf_init(&body, 0);
    int status = 0;
    char big[1100], key[1000];
    memset(big, 'b', sizeof(big));
    CHECK_INTEQ(pw_cache_get_or_claim(cache, "k1", &status, &body), 0);
    pw_cache_put(cache, "k1", 200, "0123456789", 10);
    CHECK_INTEQ(pw_cache_get_or_claim(cache, "k1", &status, &body), 1);
    CHECK(status == 200 && strcmp(pw_buf_str(&body), "0123456789") == 0, "cached body");
    /* bodies over a quarter of the cap are not kept */
    CHECK_INTEQ(pw_cache_get_or_claim(cache, "big", &status, &body), 0);
    pw_cache_put(cache, "big", 200, big, sizeof(big));
    pw_buf_reset(&body);
    CHECK_INTEQ(pw_cache_get_or_claim(cache, "big", &status, &body), 0);
    pw_cache_put(cache, "big", 200, "x", 1);
    /* past the cap, the least recently used go first */
    for (int i = 0; i < 100; i++) {
        char k[16];
        snprintf(k, sizeof(k), "e%d", i);
        pw_cache_get_or_claim(cache, k, &status, &body);
        pw_cache_put(cache, k, 200, big, 100);
    }
    struct pw_cache_stats st;
    pw_cache_stats(cache, &st);
    CHECK(st.bytes <= 4096 && st.entries < 100 && st.evictions > 0,
          "bounded: %zu entries, %zu bytes, %zu evicted", st.entries, st.bytes, st.evictions);
    CHECK(st.max_bytes == 4096, "bound reported: %zu", st.max_bytes);
    pw_buf_reset(&body);
    CHECK_INTEQ(pw_cache_get_or_claim(cache, "e99", &status, &body), 1);
    pw_buf_reset(&body);
    CHECK_INTEQ(pw_cache_get_or_claim(cache, "e0", &status, &body), 0);
    pw_cache_put(cache, "e0", 200, "", 0);
    /* keys count: many long keys with empty bodies stay under the cap too */
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = 0;
    for (int i = 0; i < 100; i++) {
        key[0] = (char)('A' + i % 26);
        key[1] = (char)('A' + i / 26);
        pw_cache_get_or_claim(cache, key, &status, &body);
        pw_cache_put(cache, key, 200, "", 0);
    }
    pw_cache_stats(cache, &st);
    CHECK(st.bytes <= 4096 && st.entries <= 5,
          "long keys are counted: %zu entries, %zu bytes", st.entries, st.bytes);
    pw_buf_release(&body);
    /* A shared body stays whole while a response holds it, past its eviction and the cache's
     * end; the response releases it (valgrind and ASan see a leak or a use after free). */
    struct pw_cache_body *shared = NULL;
    bool gz;
    CHECK_INTEQ(pw_cache_get_or_claim(cache, "e19", &status, &body), 0);
    pw_cache_put(cache, "e19", 200, "0123456789", 10);
    CHECK_INTEQ(pw_cache_get_shared_or_claim(cache, "e19", &status, &shared, true, &gz), 1);
    CHECK(!gz, "a small body is not gzipped");
    struct pw_response held;
    pw_response_init(&held);
    pw_response_share(&held, shared);
    for (int i = 0; i < 100; i++) { /* enough new entries to evict e19 */
        char k[16];
        snprintf(k, sizeof(k), "s%d", i);
        pw_cache_get_shared_or_claim(cache, k, &status, &shared, false, &gz);
        pw_cache_put(cache, k, 200, "abcdefghij", 10);
    }
    CHECK_INTEQ(pw_cache_get_shared_or_claim(cache, "e19", &status, &shared, false, &gz), 0);
    pw_cache_put(cache, "e19", 200, "x", 1);
    pw_cache_free(cache);
    size_t held_len;
    const char *held_body = pw_response_body(&held, &held_len);
    CHECK(held_len == 10 && memcmp(held_body, "0123456789", 10) == 0, "shared body kept");
    pw_response_error(&held, true, 500, "replaced"); /* releases the shared body */
    CHECK(strstr(pw_response_body(&held, &held_len), "replaced") != NULL, "error replaces it");
    pw_response_release(&held);

    /* Large bodies go gzipped to clients that accept it: the same bytes once inflated. */
    cache = pw_cache_new((size_t)64 << 20);
    pw_buf_reset(&body);
    for (int i = 0; body.len < PW_GZIP_MIN_BODY * 4; i++)
        pw_buf_addf(&body, "{\"name\":\"pkg.f%d\",\"flat\":%d},", i, i * 7);
    CHECK_INTEQ(pw_cache_get_shared_or_claim(cache, "top", &status, &shared, true, &gz), 0);
    pw_cache_put(cache, "top", 200, body.data, body.len);
    size_t plain_bytes;
    pw_cache_stats(cache, &st);
    plain_bytes = st.bytes;
    for (int round = 0; round < 2; round++) { /* made, then reused */
        CHECK_INTEQ(pw_cache_get_shared_or_claim(cache, "top", &status, &shared, true, &gz), 1);
        size_t n;
        const unsigned char *z = pw_cache_body_data(shared, &n);
        CHECK(gz && n < body.len / 3 && z[0] == 0x1f && z[1] == 0x8b, "gzipped: %zu bytes", n);
        unsigned char *back = NULL;
        size_t back_len = 0;
        struct pw_err zerr = {0};
        CHECK_INTEQ(pw_gunzip(z, n, body.len * 2, &back, &back_len, &zerr), 0);
        CHECK(back_len == body.len && back && memcmp(back, body.data, body.len) == 0,
              "inflates to the body");
        free(back);
        pw_cache_body_unref(shared);
    }
    pw_cache_stats(cache, &st);
    size_t both_bytes = st.bytes;
    CHECK(both_bytes > plain_bytes && both_bytes < plain_bytes * 2, "gzipped copy counted once");
    CHECK_INTEQ(pw_cache_get_shared_or_claim(cache, "top", &status, &shared, false, &gz), 1);
    CHECK(!gz && pw_cache_body_data(shared, &plain_bytes) && plain_bytes == body.len,
          "plain to clients that do not accept gzip");
    pw_cache_body_unref(shared);
    pw_cache_free(cache);
    pw_buf_release(&body);

    /* Accept-Encoding as browsers and curl --compressed send it, and refusals */
    CHECK(pw_accepts_gzip("gzip, deflate, br, zstd"), "browser");
    CHECK(pw_accepts_gzip("deflate, gzip"), "curl --compressed");
    CHECK(pw_accepts_gzip("GZIP;q=0.5"), "q 0.5");
    CHECK(pw_accepts_gzip("x-gzip"), "x-gzip");
    CHECK(pw_accepts_gzip("*"), "any");
    CHECK(!pw_accepts_gzip(NULL), "no header");
    CHECK(!pw_accepts_gzip(""), "empty");
    CHECK(!pw_accepts_gzip("identity"), "identity");
    CHECK(!pw_accepts_gzip("gzip;q=0"), "q=0");
    CHECK(!pw_accepts_gzip("gzip; q=0.000, *"), "gzip refused, any other allowed");
    CHECK(!pw_accepts_gzip("gzipped, br"), "another coding");
    CHECK(!pw_accepts_gzip("*;q=0"), "nothing");

    /* A comparison's top: the base column matches rows by their whole name, bytes after a NUL
     * included (two names that differ only there are two rows with their own base values). */
    {
        const char *names[] = {"\0a", "\0b"};
        const size_t lens[] = {2, 2};
        struct pw_profile *newer = named_profile(2, names, lens, (const int64_t[]){5, 7});
        struct pw_profile *older = named_profile(2, names, lens, (const int64_t[]){1, 100});
        CHECK(pw_profile_check_valid(newer, &err) == 0, "a valid profile: %s", err.msg);
        struct pw_app *cmp = pw_app_new(NULL, false);
        CHECK_INTEQ(pw_app_add_profile(cmp, newer, "new", "nulnew", NULL, &err), 0);
        CHECK_INTEQ(pw_app_add_profile(cmp, older, "old", "nulold", NULL, &err), 0);
        r = run(cmp, "GET", "/p/nulnew/api/top?diff_base=nulold", true);
        CHECK_INTEQ(r.status, 200);
        const char *ra = strstr(r.body, "\"name\":\"\\u0000a\"");
        const char *rb = strstr(r.body, "\"name\":\"\\u0000b\"");
        CHECK(ra && rb, "both rows: %.300s", r.body);
        if (ra && rb) {
            CHECK_INTEQ(row_number(ra, "\"flat\":"), 4);
            CHECK_INTEQ(row_number(ra, "\"base_flat\":"), 1);
            CHECK_INTEQ(row_number(ra, "\"new_flat\":"), 5);
            CHECK_INTEQ(row_number(rb, "\"flat\":"), -93);
            CHECK_INTEQ(row_number(rb, "\"base_flat\":"), 100);
            CHECK_INTEQ(row_number(rb, "\"new_flat\":"), 7);
        }
        result_free(&r);
        pw_app_free(cmp);
        pw_profile_free(newer);
        pw_profile_free(older);
    }

    pw_app_free(app);
    pw_profile_free(p);
    return harness_done();
}
