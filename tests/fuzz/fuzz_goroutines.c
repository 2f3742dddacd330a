/* libFuzzer target: any text read as a goroutine dump without a crash; a decoded dump is a valid
 * profile (every sample one goroutine); a malformed one names its line. */
#include <stdint.h>
#include <string.h>

#include "pprofweb/goroutines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pw_err err = {0};
    (void)pw_goroutines_detect((const char *)data, size);
    struct pw_profile *p = pw_goroutines_parse((const char *)data, size, &err);
    if (!p) {
        if (strncmp(err.msg, "line ", 5) != 0 && strcmp(err.msg, "no goroutines in the dump"))
            __builtin_trap();
        return 0;
    }
    if (pw_profile_check_valid(p, &err))
        __builtin_trap();
    for (size_t i = 0; i < p->n_samples; i++)
        if (p->samples[i].values[0] != 1)
            __builtin_trap();
    pw_profile_free(p);
    return 0;
}
