/* libFuzzer target: any path and query string (split at the first '?') through the route
 * dispatcher is answered with a status and no crash: static files, pages, every API view, ids
 * of profiles that exist or not, comparisons. */
#include <stdint.h>

#include "fuzz_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char raw[4096];
    if (size >= sizeof(raw) || memchr(data, 0, size))
        return 0;
    memcpy(raw, data, size);
    raw[size] = 0;
    char *q = strchr(raw, '?');
    if (q)
        *q++ = 0;
    fuzz_get(raw, q ? q : "");
    return 0;
}
