/* libFuzzer target: any bytes read as a symbol server's answer for a profile of unnamed
 * locations, without a crash; a failure names a line, and every named location got one line. */
#include <stdint.h>
#include <string.h>

#include "pprofweb/symbolz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pw_profile *p = pw_profile_new();
    struct pw_mapping *m = pw_add_mapping(p);
    m->id = 1;
    for (uint64_t i = 0; i < 64; i++) {
        struct pw_location *l = pw_add_location(p);
        l->id = i + 1;
        l->mapping = 0;
        l->address = i * 0x10;
    }
    struct pw_err err = {0};
    long named = pw_symbolz_answer(p, 0, (const char *)data, size, &err);
    if (named < 0 && strstr(err.msg, "line ") == NULL)
        __builtin_trap();
    for (uint32_t i = 0; i < p->n_locations; i++)
        if (p->locations[i].n_lines > 1 ||
            (p->locations[i].n_lines && p->locations[i].lines[0].function >= p->n_functions))
            __builtin_trap();
    pw_profile_free(p);
    return 0;
}
