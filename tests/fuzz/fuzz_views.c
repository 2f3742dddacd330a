/* libFuzzer target: the views (top, peek, source, graph, flame graph, download, and their
 * comparisons) under random settings. The first byte picks the view and the profile, the rest
 * is the query string. */
#include <stdint.h>

#include "fuzz_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const views[] = {"/api/top",  "/api/peek", "/api/source",
                                        "/api/graph", "/api/flamegraph", "/download",
                                        "/api/meta", "/api/goroutines"};
    static const char *const ids[] = {"cpu", "heap0", "heap1", "missing"};
    char raw[4096];
    if (size < 1 || size >= sizeof(raw) || memchr(data, 0, size))
        return 0;
    memcpy(raw, data + 1, size - 1);
    raw[size - 1] = 0;
    char path[64];
    snprintf(path, sizeof(path), "/p/%s%s", ids[(data[0] >> 3) & 3], views[data[0] & 7]);
    fuzz_get(path, raw);
    return 0;
}
