/* libFuzzer target: any bytes given to the decoder (gzip, profile.proto, every legacy format)
 * must give a profile or an error, never a crash, a leak or unbounded memory. A decoded profile is
 * also merged and dumped, which walks every index the decoder validated. */
#include <stdint.h>
#include <stdlib.h>

#include "pprofweb/buf.h"
#include "pprofweb/decode.h"
#include "pprofweb/encode.h"
#include "pprofweb/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pw_err err;
    struct pw_profile *p = pw_decode(data, size, &err);
    if (!p)
        return 0;
    struct pw_profile *m = pw_profile_compact(p);
    struct pw_buf out;
    pw_buf_init(&out, 0);
    pw_profile_format_raw(m ? m : p, &out);
    pw_buf_release(&out);
    unsigned char *bytes;
    size_t len;
    if (pw_profile_encode(p, false, &bytes, &len, &err) == 0)
        free(bytes);
    pw_profile_free(m);
    pw_profile_free(p);
    return 0;
}
