/* json: streaming JSON writer. Values are appended to a caller-owned struct pw_buf; comma and
 * nesting bookkeeping lives in struct pw_json so callers just call begin/key/value/end.
 *
 * Strings come from profiles and URLs, so they may hold any bytes. Each is validated as UTF-8 as
 * Go's encoding/json does: an invalid or truncated sequence, an overlong form or a surrogate
 * becomes U+FFFD, one per bad byte. <, > and & are escaped too (as Go does by default) so that a
 * JSON document embedded in a page can never close a script element. */
#include "pprofweb/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/buf.h"

void pw_json_init(struct pw_json *j, struct pw_buf *out)
{
    memset(j, 0, sizeof(*j));
    j->out = out;
}

/* Writes the comma that separates this value from the previous one in its container. */
static void before_value(struct pw_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth > 0 && j->depth <= PW_JSON_MAX_DEPTH) {
        if (j->has_items[j->depth - 1])
            pw_buf_addc(j->out, ',');
        j->has_items[j->depth - 1] = true;
    }
}

static void open_container(struct pw_json *j, char c)
{
    before_value(j);
    pw_buf_addc(j->out, c);
    if (j->depth < PW_JSON_MAX_DEPTH)
        j->has_items[j->depth] = false;
    j->depth++;
}

static void close_container(struct pw_json *j, char c)
{
    if (j->depth > 0)
        j->depth--;
    j->after_key = false;
    pw_buf_addc(j->out, c);
}

void pw_json_obj_begin(struct pw_json *j)
{
    open_container(j, '{');
}

void pw_json_obj_end(struct pw_json *j)
{
    close_container(j, '}');
}

void pw_json_arr_begin(struct pw_json *j)
{
    open_container(j, '[');
}

void pw_json_arr_end(struct pw_json *j)
{
    close_container(j, ']');
}

void pw_json_key(struct pw_json *j, const char *key)
{
    before_value(j);
    pw_json_escape(j->out, key, strlen(key));
    pw_buf_addc(j->out, ':');
    j->after_key = true;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if it is not valid. */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0; /* overlong or past the last code point */
    if (cp >= 0xd800 && cp <= 0xdfff)
        return 0; /* surrogates are not characters */
    return len;
}

/* Bytes copied as they are: printable ASCII but for the quote, the backslash and the HTML
 * specials. Names are nearly all such bytes, so the loop skips them with one load each. */
static const bool plain[256] = {
    [' '] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['\''] = 1, ['('] = 1, [')'] = 1,
    ['*'] = 1, ['+'] = 1, [','] = 1, ['-'] = 1, ['.'] = 1, ['/'] = 1, ['0'] = 1, ['1'] = 1,
    ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    [':'] = 1, [';'] = 1, ['='] = 1, ['?'] = 1, ['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1,
    ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1,
    ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1,
    ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['['] = 1,
    [']'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
    ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['{'] = 1, ['|'] = 1,
    ['}'] = 1, ['~'] = 1,
};

void pw_json_escape(struct pw_buf *out, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    pw_buf_addc(out, '"');
    size_t run = 0; /* start of bytes that need no escaping, copied in one go */
    size_t i = 0;
    while (i < n) {
        while (i < n && plain[s[i]])
            i++;
        if (i == n)
            break;
        unsigned char c = s[i];
        const char *esc = NULL;
        char ubuf[7];
        size_t step = 1;
        if (c >= 0x80) {
            step = utf8_valid_len(s + i, n - i);
            if (step == 0) {
                esc = "\\ufffd";
                step = 1;
            } else if (step == 3 && c == 0xe2 && s[i + 1] == 0x80 &&
                       (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
                esc = s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
            }
        } else if (c == '"') {
            esc = "\\\"";
        } else if (c == '\\') {
            esc = "\\\\";
        } else if (c == '\n') {
            esc = "\\n";
        } else if (c == '\r') {
            esc = "\\r";
        } else if (c == '\t') {
            esc = "\\t";
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f) {
            ubuf[0] = '\\';
            ubuf[1] = 'u';
            ubuf[2] = '0';
            ubuf[3] = '0';
            ubuf[4] = hex[c >> 4];
            ubuf[5] = hex[c & 15];
            ubuf[6] = 0;
            esc = ubuf;
        }
        if (esc) {
            pw_buf_add(out, s + run, i - run);
            pw_buf_adds(out, esc);
            run = i + step;
        }
        i += step;
    }
    pw_buf_add(out, s + run, n - run);
    pw_buf_addc(out, '"');
}

void pw_json_strn(struct pw_json *j, const char *s, size_t n)
{
    before_value(j);
    pw_json_escape(j->out, s, n);
}

void pw_json_str(struct pw_json *j, const char *s)
{
    if (!s) {
        pw_json_null(j);
        return;
    }
    pw_json_strn(j, s, strlen(s));
}

/* The decimal digits of u, after a '-' when negative: views write millions of numbers, and a
 * printf each was a measurable part of the largest ones. */
static void add_decimal(struct pw_buf *out, uint64_t u, bool negative)
{
    char tmp[24];
    char *end = tmp + sizeof(tmp), *p = end;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (negative)
        *--p = '-';
    pw_buf_add(out, p, (size_t)(end - p));
}

void pw_json_int(struct pw_json *j, int64_t v)
{
    before_value(j);
    add_decimal(j->out, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

void pw_json_uint(struct pw_json *j, uint64_t v)
{
    before_value(j);
    add_decimal(j->out, v, false);
}

void pw_json_double(struct pw_json *j, double v)
{
    if (!isfinite(v)) {
        pw_json_null(j);
        return;
    }
    before_value(j);
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    pw_buf_adds(j->out, tmp);
}

void pw_json_bool(struct pw_json *j, bool v)
{
    before_value(j);
    pw_buf_adds(j->out, v ? "true" : "false");
}

void pw_json_null(struct pw_json *j)
{
    before_value(j);
    pw_buf_adds(j->out, "null");
}

void pw_json_raw(struct pw_json *j, const char *text, size_t n)
{
    before_value(j);
    pw_buf_add(j->out, text, n);
}

void pw_json_kstr(struct pw_json *j, const char *key, const char *s)
{
    pw_json_key(j, key);
    pw_json_str(j, s);
}

void pw_json_kint(struct pw_json *j, const char *key, int64_t v)
{
    pw_json_key(j, key);
    pw_json_int(j, v);
}

void pw_json_kdouble(struct pw_json *j, const char *key, double v)
{
    pw_json_key(j, key);
    pw_json_double(j, v);
}

void pw_json_kbool(struct pw_json *j, const char *key, bool v)
{
    pw_json_key(j, key);
    pw_json_bool(j, v);
}
