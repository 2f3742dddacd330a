/* Shared by the libFuzzer targets that drive the route dispatcher in-process: an app serving the
 * testdata profiles (CPU, two heaps, so that diffs and comparisons have a base), and one GET
 * request through pw_route. Run from the repository root, as tests/fuzz/run.sh does. */
#ifndef PPROFWEB_FUZZ_APP_H
#define PPROFWEB_FUZZ_APP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/routes.h"
#include "pprofweb/source.h"

static struct pw_app *fuzz_app;

static struct pw_profile *fuzz_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz: cannot open %s (run from the repository root)\n", path);
        exit(1);
    }
    static unsigned char buf[1 << 22];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    struct pw_err err;
    struct pw_profile *p = pw_source_prepare_bytes(buf, n, &err);
    if (!p) {
        fprintf(stderr, "fuzz: %s: %s\n", path, err.msg);
        exit(1);
    }
    return p;
}

/* The app, made on first use: ids cpu, heap0, heap1 (cpu the default). */
static struct pw_app *fuzz_get_app(void)
{
    if (fuzz_app)
        return fuzz_app;
    fuzz_app = pw_app_new(NULL, true);
    static const char *const files[][2] = {{"testdata/profiles/shop.cpu.pb.gz", "cpu"},
                                           {"testdata/profiles/shop.heap-t0.pb.gz", "heap0"},
                                           {"testdata/profiles/shop.heap-t1.pb.gz", "heap1"}};
    for (size_t i = 0; i < 3; i++) {
        struct pw_err err;
        if (pw_app_add_profile(fuzz_app, fuzz_load(files[i][0]), files[i][1], files[i][1], NULL,
                               &err)) {
            fprintf(stderr, "fuzz: %s\n", err.msg);
            exit(1);
        }
    }
    return fuzz_app;
}

/* One GET of path with the raw query string query (percent-encoded, as in a URL). */
static void fuzz_get(const char *path, const char *query)
{
    struct pw_arena arena;
    pw_arena_init(&arena);
    struct pw_request req;
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = path;
    req.arena = &arena;
    req.client_is_local = true;
    req.host = "127.0.0.1:8080";
    struct pw_err err;
    if (pw_params_parse(&req.params, &arena, query, &err) == 0) {
        struct pw_response resp;
        pw_response_init(&resp);
        pw_route(fuzz_get_app(), &req, &resp);
        if (resp.status < 200 || resp.status > 599)
            abort(); /* every request is answered */
        pw_response_release(&resp);
    }
    pw_params_release(&req.params);
    pw_arena_release(&arena);
}

#endif
