/* libFuzzer target: any pattern (as a focus regexp in a URL) compiles or fails with a message, and
 * a compiled one matches a fixed set of names without a crash, short ones and names of 200 000
 * characters like those a hostile profile holds; the request's matching budget (regex.h) stops
 * a backtracking pattern, and once it is spent matching returns at once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/regex.h"

/* Budget per input: the server's is PW_REGEX_BUDGET_MS per request; shorter keeps fuzzing fast. */
#define FUZZ_BUDGET_MS 20

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char pat[4096];
    if (size >= sizeof(pat))
        return 0;
    memcpy(pat, data, size);
    pat[size] = 0;
    static char *long_a, *long_mixed;
    if (!long_a) {
        size_t n = 200000;
        long_a = malloc(n + 3);
        memset(long_a, 'a', n);
        memcpy(long_a + n, "b", 2);
        long_mixed = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            long_mixed[i] = "ab.(/*x0\xc3\xa9"[i % 11];
        long_mixed[n] = 0;
    }
    struct pw_err err;
    pw_regex_budget_begin(FUZZ_BUDGET_MS); /* as a request opens it before compiling */
    struct pw_regex *re = pw_regex_compile(pat, &err);
    if (!re) {
        pw_regex_budget_end();
        return 0;
    }
    static const char *const names[] = {"main.main", "runtime.mallocgc",
                                        "github.com/x/y.(*T).M", "\xff\xfe", ""};
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
        pw_regex_match_cstr(re, names[i]);
    pw_regex_match_cstr(re, long_a);
    pw_regex_match_cstr(re, long_mixed);
    pw_regex_free(re);
    pw_regex_budget_end();
    return 0;
}
