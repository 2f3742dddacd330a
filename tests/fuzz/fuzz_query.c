/* libFuzzer target: any query string is parsed and applied to the view settings without a crash;
 * a setting that applies is written back as a query string. */
#include <stdint.h>
#include <string.h>

#include "pprofweb/buf.h"
#include "pprofweb/config.h"
#include "pprofweb/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char raw[8192];
    if (size >= sizeof(raw))
        return 0;
    memcpy(raw, data, size);
    raw[size] = 0;
    struct pw_arena a;
    pw_arena_init(&a);
    struct pw_params ps = {0};
    struct pw_err err;
    if (pw_params_parse(&ps, &a, raw, &err) == 0) {
        struct pw_config cfg;
        pw_config_default(&cfg);
        if (pw_query_apply(&cfg, &ps, &err) == 0) {
            struct pw_buf out;
            pw_buf_init(&out, 0);
            pw_query_format(&cfg, NULL, &out);
            pw_buf_release(&out);
        }
    }
    pw_params_release(&ps);
    pw_arena_release(&a);
    return 0;
}
