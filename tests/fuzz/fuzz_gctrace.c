/* libFuzzer target: any text read as a gctrace log, and its JSON written, without a crash;
 * unreadable gc lines are counted, and a failure names a line or says there was no gc line. */
#include <stdint.h>
#include <string.h>

#include "pprofweb/buf.h"
#include "pprofweb/gctrace.h"
#include "pprofweb/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pw_gctrace t;
    struct pw_err err = {0};
    (void)pw_gctrace_detect((const char *)data, size);
    if (pw_gctrace_parse((const char *)data, size, &t, &err)) {
        if (strncmp(err.msg, "line ", 5) != 0 && strncmp(err.msg, "no ", 3) != 0)
            __builtin_trap();
        return 0;
    }
    if (t.n_cycles + t.n_bad + t.n_other != t.n_lines)
        __builtin_trap();
    struct pw_buf out;
    pw_buf_init(&out, 1 << 24);
    struct pw_json j;
    pw_json_init(&j, &out);
    pw_gctrace_json(&t, &j);
    pw_buf_release(&out);
    pw_gctrace_release(&t);
    return 0;
}
