/* libFuzzer target: any text read as a Go ?debug=1 page's comment frames and then applied to the
 * profile decoded from it (when it decodes) without a crash; a frame error names a line. */
#include <stdint.h>
#include <string.h>

#include "pprofweb/gonames.h"
#include "pprofweb/legacy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pw_err err = {0};
    struct pw_profile *p = pw_legacy_parse(data, size, &err);
    if (!p)
        p = pw_profile_new();
    if (pw_gonames_read(p, (const char *)data, size, &err) == 0)
        pw_gonames_apply(p);
    else if (strncmp(err.msg, "line ", 5) != 0)
        __builtin_trap();
    pw_profile_free(p);
    return 0;
}
