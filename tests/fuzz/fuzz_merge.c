/* libFuzzer target: two profiles from one input (the first two bytes give the first one's
 * length) are merged and diffed (the second as a base with its values negated, as -diff_base
 * does), and the top report of each result is built without a crash or an overflow trap. */
#include <stdint.h>
#include <string.h>

#include "pprofweb/buf.h"
#include "pprofweb/config.h"
#include "pprofweb/profile.h"
#include "pprofweb/report.h"
#include "pprofweb/source.h"

static void top(const struct pw_profile *p)
{
    struct pw_config cfg;
    pw_config_default(&cfg);
    struct pw_buf out;
    pw_buf_init(&out, 0);
    struct pw_err err;
    pw_report_run(&out, NULL, p, "top", NULL, &cfg, &err);
    pw_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > (1 << 20))
        return 0;
    size_t la = (size_t)data[0] << 8 | data[1];
    if (la > size - 2)
        la = size - 2;
    struct pw_err err;
    struct pw_profile *a = pw_source_prepare_bytes(data + 2, la, &err);
    struct pw_profile *b = pw_source_prepare_bytes(data + 2 + la, size - 2 - la, &err);
    if (a && b && pw_profile_compatible(a, b, &err) == 0) {
        struct pw_profile *srcs[2] = {a, b};
        struct pw_profile *m = pw_profile_merge(srcs, 2, &err);
        if (m) {
            top(m);
            pw_profile_free(m);
        }
        pw_profile_scale(b, -1);
        m = pw_profile_merge(srcs, 2, &err);
        if (m) {
            top(m);
            pw_profile_free(m);
        }
    }
    pw_profile_free(a);
    pw_profile_free(b);
    return 0;
}
