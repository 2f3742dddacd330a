/* Unit tests for what a hostile or busy client can do to the route table, without sockets:
 * a profile decoded at the address of an evicted one never gets the old one's flame graph (the
 * tree cache keys by id and settings); the view cache stays within its byte bound however many
 * distinct queries arrive. Uses the bundled testdata/profiles (run from the repository root). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include <time.h>

#include "pprofweb/decode.h"
#include "pprofweb/regex.h"
#include "pprofweb/routes.h"

/* GET url on app; returns the status and leaves the body (malloc'd) in *body. */
static int get(struct pw_app *app, const char *url, char **body)
{
    struct pw_arena arena;
    pw_arena_init(&arena);
    struct pw_request req;
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.arena = &arena;
    req.client_is_local = true;
    const char *q = strchr(url, '?');
    req.path = q ? pw_arena_strndup(&arena, url, (size_t)(q - url)) : url;
    struct pw_err err;
    if (q && pw_params_parse(&req.params, &arena, q + 1, &err))
        abort();
    struct pw_response resp;
    pw_response_init(&resp);
    pw_route(app, &req, &resp);
    size_t len;
    const void *b = pw_response_body(&resp, &len);
    if (body) {
        *body = malloc(len + 1);
        memcpy(*body, b, len);
        (*body)[len] = 0;
    }
    int status = resp.status;
    pw_response_release(&resp);
    pw_params_release(&req.params);
    pw_arena_release(&arena);
    return status;
}

/* --- a store that reuses one address for every profile it decodes --- */

/* As the store does once it has freed a decoded profile and decodes another: the new one lives
 * at the old one's address. */
struct reuse {
    struct pw_profile slot;
    struct pw_profile *cpu, *heap;
};

static const struct pw_profile *reuse_load(void *ctx, const char *id, struct pw_arena *arena,
                                           const char **name, struct pw_err *err)
{
    struct reuse *r = ctx;
    if (strcmp(id, "cpu") && strcmp(id, "heap"))
        return pw_fail(err, PW_ENOTFOUND, "unknown profile id %s", id), NULL;
    r->slot = strcmp(id, "cpu") == 0 ? *r->cpu : *r->heap;
    *name = pw_arena_strdup(arena, id);
    return &r->slot;
}

static void reuse_release(void *ctx, const struct pw_profile *p)
{
    (void)ctx;
    (void)p;
}

static void test_flame_not_keyed_by_address(struct pw_profile *cpu, struct pw_profile *heap)
{
    struct reuse r = {.cpu = cpu, .heap = heap};
    struct pw_app *app = pw_app_new(NULL, false);
    pw_app_set_loader(app, reuse_load, reuse_release, &r);
    /* The reference: each profile at an address of its own, in another app. */
    struct pw_app *ref = pw_app_new(NULL, false);
    struct pw_err err = {0};
    CHECK_INTEQ(pw_app_add_profile(ref, cpu, "cpu", "cpu", NULL, &err), 0);
    CHECK_INTEQ(pw_app_add_profile(ref, heap, "heap", "heap", NULL, &err), 0);

    const char *urls[] = {"/p/cpu/api/flamegraph", "/p/heap/api/flamegraph",
                          "/p/cpu/api/flamegraph?w=800", "/p/heap/api/flamegraph?w=800&minpx=2"};
    for (size_t i = 0; i < sizeof(urls) / sizeof(*urls); i++) {
        char *got, *want;
        CHECK_INTEQ(get(app, urls[i], &got), 200);
        CHECK_INTEQ(get(ref, urls[i], &want), 200);
        CHECK(strcmp(got, want) == 0, "%s: another profile's flame graph (%.120s)", urls[i],
              got);
        free(got);
        free(want);
    }
    /* The heap profile's allocation sites are not in the cpu profile's graph. */
    char *body;
    CHECK_INTEQ(get(app, "/p/heap/api/flamegraph", &body), 200);
    CHECK(strstr(body, "\"alloc_space\"") != NULL || strstr(body, "space") != NULL,
          "heap flame graph lacks heap sample types: %.200s", body);
    free(body);
    pw_app_free(app);
    pw_app_free(ref);
}

/* A backtracking pattern over a long name stops at the budget; without one it is exact. */
static void test_regex_budget(void)
{
    size_t n = 200000;
    char *name = malloc(n + 2);
    memset(name, 'a', n);
    name[n] = 'b';
    name[n + 1] = 0;
    struct pw_err err = {0};
    pw_regex_budget_begin(100);
    struct pw_regex *re = pw_regex_compile("(a|aa)+$", &err);
    CHECK(re != NULL, "compile: %s", err.msg);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(!pw_regex_match_cstr(re, name), "no match past the budget");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(took < 2, "a 100 ms budget stopped the match after %.2f s", took);
    CHECK(pw_regex_budget_exceeded(), "the budget is reported spent");
    CHECK(!pw_regex_match_cstr(re, "aa"), "every later match fails at once");
    pw_regex_budget_end();
    CHECK(!pw_regex_budget_exceeded(), "a closed budget is not spent");
    pw_regex_free(re);
    /* With a budget that is not spent, the prefixed pattern matches as Go's. */
    pw_regex_budget_begin(10000);
    re = pw_regex_compile("(?i)^(a|aa)+$|^x", &err);
    CHECK(re != NULL, "compile: %s", err.msg);
    CHECK(pw_regex_match_cstr(re, "AAa"), "flags apply to the whole pattern");
    CHECK(pw_regex_match_cstr(re, "xyz"), "alternation at the top level");
    CHECK(!pw_regex_match_cstr(re, "ab"), "anchors kept");
    CHECK(!pw_regex_budget_exceeded(), "budget not spent");
    pw_regex_budget_end();
    pw_regex_free(re);
    free(name);
}

int main(void)
{
    test_regex_budget();
    struct pw_err err = {0};
    struct pw_profile *cpu = pw_decode_file("testdata/profiles/shop.cpu.pb.gz", &err);
    CHECK(cpu != NULL, "decode: %s", err.msg);
    struct pw_profile *heap = pw_decode_file("testdata/profiles/shop.heap-t1.pb.gz", &err);
    CHECK(heap != NULL, "decode: %s", err.msg);
    if (!cpu || !heap)
        return harness_done();
    test_flame_not_keyed_by_address(cpu, heap);
    pw_profile_free(cpu);
    pw_profile_free(heap);
    return harness_done();
}
