/* libFuzzer target: any text read as a runtime.MemStats block, its derived figures, pauses and
 * JSON computed, without a crash; an error names its line. */
#include <stdint.h>
#include <string.h>

#include "pprofweb/buf.h"
#include "pprofweb/json.h"
#include "pprofweb/memstats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pw_memstats ms;
    struct pw_err err = {0};
    if (pw_memstats_parse((const char *)data, size, &ms, &err)) {
        if (strncmp(err.msg, "memstats line ", 14) != 0)
            __builtin_trap();
        return 0;
    }
    struct pw_memstats_pauses ps;
    pw_memstats_pauses(&ms, &ps);
    if (ps.p50 > ps.p90 || ps.p90 > ps.p99 || ps.p99 > ps.max)
        __builtin_trap();
    struct pw_buf out;
    pw_buf_init(&out, 1 << 20);
    struct pw_json j;
    pw_json_init(&j, &out);
    pw_memstats_json(&ms, &j);
    pw_buf_release(&out);
    return 0;
}
