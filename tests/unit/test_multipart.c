/* Unit tests for multipart: the bodies browsers and curl -F send, quoting, several files, and
 * hostile bodies (no boundary, cut parts, huge headers, too many parts, every truncation of a
 * valid body), which must fail with a message and never read out of bounds. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/buf.h"
#include "pprofweb/multipart.h"

static int parse(const char *ct, const char *body, size_t len, struct pw_arena *a,
                 struct pw_part **parts, size_t *n, struct pw_err *err)
{
    /* A private copy of exactly len bytes, so ASan catches reads past the end. */
    unsigned char *copy = malloc(len ? len : 1);
    memcpy(copy, body, len);
    int rc = pw_multipart_parse(ct, copy, len, a, parts, n, err);
    if (rc == 0) {
        /* Re-point the parts at the caller's body so they outlive the copy. */
        for (size_t i = 0; i < *n; i++)
            (*parts)[i].data = (const unsigned char *)body + ((*parts)[i].data - copy);
    }
    free(copy);
    return rc;
}

int main(void)
{
    struct pw_arena a;
    pw_arena_init(&a);
    struct pw_err err = {0};
    struct pw_part *parts = NULL;
    size_t n = 0;

    CHECK(pw_multipart_is("multipart/form-data; boundary=x"), "is");
    CHECK(pw_multipart_is("Multipart/Form-Data;boundary=x"), "is, case");
    CHECK(!pw_multipart_is("application/octet-stream"), "is not");
    CHECK(!pw_multipart_is("multipart/form-dataX"), "is not, prefix");
    CHECK(!pw_multipart_is(NULL), "is not, NULL");

    /* What curl -F 'file=@heap.pb.gz' -F 'file=@cpu.pb.gz' sends. */
    const char *ct = "multipart/form-data; boundary=------------------------d74496d66958873e";
    const char body[] = "--------------------------d74496d66958873e\r\n"
                        "Content-Disposition: form-data; name=\"file\"; filename=\"heap.pb.gz\"\r\n"
                        "Content-Type: application/octet-stream\r\n"
                        "\r\n"
                        "AB\r\nCD\r\n"
                        "--------------------------d74496d66958873e\r\n"
                        "Content-Disposition: form-data; name=\"file\"; filename=\"cpu.pb.gz\"\r\n"
                        "\r\n"
                        "\r\n"
                        "--------------------------d74496d66958873e\r\n"
                        "content-disposition: form-data; name=seconds\r\n"
                        "\r\n"
                        "30\r\n"
                        "--------------------------d74496d66958873e--\r\n";
    size_t blen = sizeof(body) - 1;
    CHECK(parse(ct, body, blen, &a, &parts, &n, &err) == 0, "curl body: %s", err.msg);
    CHECK_INTEQ(n, 3);
    if (n == 3) {
        CHECK_STREQ(parts[0].name, "file");
        CHECK_STREQ(parts[0].filename, "heap.pb.gz");
        CHECK_STREQ(parts[0].content_type, "application/octet-stream");
        CHECK(parts[0].len == 6 && memcmp(parts[0].data, "AB\r\nCD", 6) == 0, "data with CRLF");
        CHECK_STREQ(parts[1].filename, "cpu.pb.gz");
        CHECK_INTEQ(parts[1].len, 0);
        CHECK(parts[1].content_type == NULL, "no content type");
        CHECK_STREQ(parts[2].name, "seconds");
        CHECK(parts[2].filename == NULL, "a field has no filename");
        CHECK(parts[2].len == 2 && memcmp(parts[2].data, "30", 2) == 0, "field value");
    }

    /* Quoted boundary, a preamble, quoted names with escapes and a ';' inside. */
    const char b2[] = "preamble\r\n--a\"b\r\n"
                      "Content-Disposition: form-data; x=\"a;b\"; name=\"f\"; "
                      "filename=\"we\\\"ird;.pb\"\r\n\r\n"
                      "xyz\r\n--a\"b--";
    CHECK(parse("multipart/form-data; boundary=\"a\\\"b\"", b2, sizeof(b2) - 1, &a, &parts, &n,
                &err) == -1,
          "escaped quote in a boundary is not supported");
    const char b3[] = "preamble\r\n--ab\r\n"
                      "Content-Disposition: form-data; x=\"a;b\"; name=\"f\"; "
                      "filename=\"we\\\"ird;.pb\"\r\n\r\n"
                      "xyz\r\n--ab--";
    CHECK(parse("multipart/form-data; boundary=\"ab\"", b3, sizeof(b3) - 1, &a, &parts, &n, &err) ==
              0,
          "quoted: %s", err.msg);
    CHECK_INTEQ(n, 1);
    if (n == 1) {
        CHECK_STREQ(parts[0].name, "f");
        CHECK_STREQ(parts[0].filename, "we\"ird;.pb");
        CHECK(parts[0].len == 3, "len %zu", parts[0].len);
    }

    /* Hostile: each must fail with a message. */
    struct {
        const char *ct, *body, *msg;
    } bad[] = {
        {"multipart/form-data", "--x\r\n\r\n\r\n--x--", "without a boundary"},
        {"multipart/form-data; boundary=", "--x--", "empty"},
        {"multipart/form-data; boundary=x", "", "no part"},
        {"multipart/form-data; boundary=x", "nothing here", "no part"},
        {"multipart/form-data; boundary=x", "--x\r\nContent-Type: a\r\n\r\ndata", "closing"},
        {"multipart/form-data; boundary=x", "--x\r\nContent-Type: a", "unterminated"},
        {"multipart/form-data; boundary=x", "--xjunk", "malformed delimiter"},
        {"multipart/form-data; boundary=x", "--x", "malformed delimiter"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        err.msg[0] = 0;
        int rc = parse(bad[i].ct, bad[i].body, strlen(bad[i].body), &a, &parts, &n, &err);
        CHECK(rc == -1 && strstr(err.msg, bad[i].msg), "bad %zu: rc %d msg \"%s\"", i, rc, err.msg);
    }
    /* A boundary longer than the limit. */
    char longct[400];
    snprintf(longct, sizeof(longct), "multipart/form-data; boundary=%0300d", 0);
    CHECK(parse(longct, "x", 1, &a, &parts, &n, &err) == -1 && strstr(err.msg, "too long"),
          "long boundary: %s", err.msg);

    /* Headers past the limit. */
    size_t hl = PW_MAX_PART_HEADERS * 2;
    char *huge = malloc(hl + 64);
    strcpy(huge, "--x\r\nX: ");
    memset(huge + 8, 'a', hl);
    strcpy(huge + 8 + hl, "\r\n\r\nd\r\n--x--");
    CHECK(parse("multipart/form-data; boundary=x", huge, strlen(huge), &a, &parts, &n, &err) ==
                  -1 &&
              strstr(err.msg, "over"),
          "huge headers: %s", err.msg);
    free(huge);

    /* Too many parts. */
    struct pw_buf many;
    pw_buf_init(&many, 0);
    for (int i = 0; i < PW_MAX_PARTS + 1; i++)
        pw_buf_adds(&many, "--x\r\n\r\nv\r\n");
    pw_buf_adds(&many, "--x--");
    CHECK(parse("multipart/form-data; boundary=x", many.data, many.len, &a, &parts, &n, &err) ==
                  -1 &&
              strstr(err.msg, "more than"),
          "too many parts: %s", err.msg);
    pw_buf_release(&many);

    /* Every truncation of the valid body either parses or fails cleanly. */
    int ok = 0, failed = 0;
    for (size_t cut = 0; cut < blen; cut++) {
        if (parse(ct, body, cut, &a, &parts, &n, &err) == 0)
            ok++;
        else
            failed++;
    }
    CHECK(failed > 0 && ok + failed == (int)blen, "truncations: %d ok, %d failed", ok, failed);
    /* And every single-byte change of it. */
    char *mut = malloc(blen);
    for (size_t i = 0; i < blen; i++) {
        memcpy(mut, body, blen);
        mut[i] = (char)(mut[i] ^ 0x5a);
        parse(ct, mut, blen, &a, &parts, &n, &err);
    }
    free(mut);
    CHECK(1, "mutations did not crash");

    pw_arena_release(&a);
    return harness_done();
}
