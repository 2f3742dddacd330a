/* libFuzzer target: any multipart body, with a Content-Type taken from its first line, is split
 * into parts or refused with a message; every part found lies inside the body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t ctlen = nl ? (size_t)(nl - data) : 0;
    if (ctlen > 1024)
        return 0;
    char ct[1025];
    memcpy(ct, data, ctlen);
    ct[ctlen] = 0;
    const uint8_t *body = nl ? nl + 1 : data;
    size_t len = size - (size_t)(body - data);
    /* A copy of exactly len bytes, so reading past the body is an ASan error. */
    unsigned char *copy = malloc(len ? len : 1);
    memcpy(copy, body, len);
    struct pw_arena a;
    pw_arena_init(&a);
    struct pw_part *parts;
    size_t n;
    struct pw_err err;
    if (pw_multipart_parse(ct, copy, len, &a, &parts, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (parts[i].data < copy || parts[i].data + parts[i].len > copy + len)
                abort();
            if (!parts[i].name || strlen(parts[i].name) > len)
                abort();
        }
    } else if (!err.msg[0]) {
        abort(); /* a refusal always says why */
    }
    pw_arena_release(&a);
    free(copy);
    return 0;
}
