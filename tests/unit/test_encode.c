/* Unit tests for encode: a profile written back to profile.proto (gzip or raw) decodes to the
 * same profile: its -raw dump is identical, for profiles with labels, inlined frames, NUL bytes
 * in names and legacy origins. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/buf.h"
#include "pprofweb/decode.h"
#include "pprofweb/encode.h"

static void roundtrip(const char *path, bool gzip)
{
    struct pw_err err = {0};
    struct pw_profile *p = pw_decode_file(path, &err);
    CHECK(p != NULL, "%s: %s", path, err.msg);
    if (!p)
        return;
    unsigned char *bytes;
    size_t len;
    CHECK(pw_profile_encode(p, gzip, &bytes, &len, &err) == 0, "%s: encode: %s", path, err.msg);
    CHECK(!gzip || (len > 2 && bytes[0] == 0x1f && bytes[1] == 0x8b), "%s: not gzip", path);
    struct pw_profile *q = pw_decode(bytes, len, &err);
    CHECK(q != NULL, "%s: re-decode: %s", path, err.msg);
    if (q) {
        struct pw_buf a, b;
        pw_buf_init(&a, 0);
        pw_buf_init(&b, 0);
        /* Compared with a copy: pprof's Copy is also a trip through the encoder. */
        struct pw_profile *c = pw_profile_copy(p);
        pw_profile_format_raw(c, &a);
        pw_profile_free(c);
        pw_profile_format_raw(q, &b);
        CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0, "%s: -raw differs", path);
        pw_buf_release(&a);
        pw_buf_release(&b);
    }
    free(bytes);
    pw_profile_free(p);
    pw_profile_free(q);
}

int main(void)
{
    static const char *const files[] = {
        "../shared/corpus/public/go-cpu-labels.pb.gz",
        "../shared/corpus/public/go-heap-pyroscope-labels.pb.gz",
        "../shared/corpus/public/invalid-utf8.pb.gz",
        "../shared/corpus/public/rust-pprof-rs.pb.gz",
        "../shared/corpus/public/cpp-heap-cppbench.legacy.txt",
        "testdata/profiles/shop.heap-t1.debug1.txt",
        "testdata/profiles/shop.cpu.pb.gz",
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
        roundtrip(files[i], true);
        roundtrip(files[i], false);
    }
    return harness_done();
}
