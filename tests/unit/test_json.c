/* Unit tests for the JSON writer: nesting and commas, numbers, and string escaping of every
 * kind of byte (controls, quotes, HTML-significant characters, invalid UTF-8, U+2028). */
#include <math.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/buf.h"
#include "pprofweb/json.h"

static const char *esc(struct pw_buf *b, const char *s, size_t n)
{
    pw_buf_reset(b);
    pw_json_escape(b, s, n);
    return pw_buf_str(b);
}

int main(void)
{
    struct pw_buf b;
    pw_buf_init(&b, 0);
    struct pw_json j;

    /* structure */
    pw_json_init(&j, &b);
    pw_json_obj_begin(&j);
    pw_json_kstr(&j, "a", "x");
    pw_json_kint(&j, "b", -5);
    pw_json_key(&j, "c");
    pw_json_arr_begin(&j);
    pw_json_int(&j, 1);
    pw_json_obj_begin(&j);
    pw_json_obj_end(&j);
    pw_json_arr_begin(&j);
    pw_json_arr_end(&j);
    pw_json_null(&j);
    pw_json_bool(&j, true);
    pw_json_arr_end(&j);
    pw_json_kstr(&j, "d", NULL);
    pw_json_kbool(&j, "e", false);
    pw_json_obj_end(&j);
    CHECK_STREQ(pw_buf_str(&b), "{\"a\":\"x\",\"b\":-5,\"c\":[1,{},[],null,true],\"d\":null,"
                                "\"e\":false}");

    /* numbers */
    pw_buf_reset(&b);
    pw_json_init(&j, &b);
    pw_json_arr_begin(&j);
    pw_json_double(&j, 0.1);
    pw_json_double(&j, 1e-5);
    pw_json_double(&j, 2.5);
    pw_json_double(&j, NAN);
    pw_json_double(&j, INFINITY);
    pw_json_uint(&j, 18446744073709551615ull);
    pw_json_int(&j, INT64_MIN);
    pw_json_arr_end(&j);
    CHECK_STREQ(pw_buf_str(&b), "[0.1,1e-05,2.5,null,null,18446744073709551615,"
                                "-9223372036854775808]");

    /* escaping */
    CHECK_STREQ(esc(&b, "plain", 5), "\"plain\"");
    CHECK_STREQ(esc(&b, "a\"b\\c", 5), "\"a\\\"b\\\\c\"");
    CHECK_STREQ(esc(&b, "\n\r\t\x01\x1f\x7f", 6), "\"\\n\\r\\t\\u0001\\u001f\\u007f\"");
    CHECK_STREQ(esc(&b, "</script><b>&", 13),
                "\"\\u003c/script\\u003e\\u003cb\\u003e\\u0026\"");
    CHECK_STREQ(esc(&b, "a\0b", 3), "\"a\\u0000b\"");
    /* valid UTF-8 passes through */
    CHECK_STREQ(esc(&b, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9),
                "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    /* invalid bytes, truncated sequences, overlong forms and surrogates become U+FFFD */
    CHECK_STREQ(esc(&b, "\xff", 1), "\"\\ufffd\"");
    CHECK_STREQ(esc(&b, "a\xc3", 2), "\"a\\ufffd\"");
    CHECK_STREQ(esc(&b, "\xe2\x82", 2), "\"\\ufffd\\ufffd\"");
    CHECK_STREQ(esc(&b, "\xc0\xaf", 2), "\"\\ufffd\\ufffd\"");
    CHECK_STREQ(esc(&b, "\xe0\x80\xaf", 3), "\"\\ufffd\\ufffd\\ufffd\"");
    CHECK_STREQ(esc(&b, "\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"");
    CHECK_STREQ(esc(&b, "\xf4\x90\x80\x80", 4), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    CHECK_STREQ(esc(&b, "x\xe2\x80\xa8y\xe2\x80\xa9", 8), "\"x\\u2028y\\u2029\"");

    /* keys are escaped too */
    pw_buf_reset(&b);
    pw_json_init(&j, &b);
    pw_json_obj_begin(&j);
    pw_json_kint(&j, "k\"<", 1);
    pw_json_obj_end(&j);
    CHECK_STREQ(pw_buf_str(&b), "{\"k\\\"\\u003c\":1}");

    /* the buffer cap sets the sticky overflow flag instead of growing */
    struct pw_buf small;
    pw_buf_init(&small, 8);
    pw_json_init(&j, &small);
    pw_json_str(&j, "a long string that does not fit");
    CHECK(small.overflow, "overflow flag set past the cap");
    pw_buf_release(&small);

    pw_buf_release(&b);
    return harness_done();
}
