/* libFuzzer target: any pattern (as a focus regexp in a URL) compiles or fails with a message, and
 * a compiled one matches a fixed set of names without a crash or a hang. */
#include <stdint.h>
#include <string.h>

#include "pprofweb/regex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char pat[4096];
    if (size >= sizeof(pat))
        return 0;
    memcpy(pat, data, size);
    pat[size] = 0;
    struct pw_err err;
    struct pw_regex *re = pw_regex_compile(pat, &err);
    if (!re)
        return 0;
    static const char *const names[] = {"main.main", "runtime.mallocgc",
                                        "github.com/x/y.(*T).M", "\xff\xfe", ""};
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
        pw_regex_match_cstr(re, names[i]);
    pw_regex_free(re);
    return 0;
}
