/* json: a streaming JSON writer over a struct pw_buf. The writer owns nothing: output goes to the
 * caller's buffer, whose cap and sticky overflow flag bound the response size. Strings are written
 * from arbitrary bytes: invalid UTF-8 becomes U+FFFD, control characters and <, >, &, U+2028 and
 * U+2029 are \u-escaped, so the output is valid JSON and safe to embed in HTML. */
#ifndef PPROFWEB_JSON_H
#define PPROFWEB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pw_buf;

/* Deepest nesting the writer tracks; deeper containers are written but commas may be wrong. */
#define PW_JSON_MAX_DEPTH 64

struct pw_json {
    struct pw_buf *out;
    int depth;
    bool after_key;                      /* a key was written: the next value needs no comma */
    bool has_items[PW_JSON_MAX_DEPTH];   /* the container at depth d has an item already */
};

void pw_json_init(struct pw_json *j, struct pw_buf *out);

void pw_json_obj_begin(struct pw_json *j);
void pw_json_obj_end(struct pw_json *j);
void pw_json_arr_begin(struct pw_json *j);
void pw_json_arr_end(struct pw_json *j);
/* Writes an object key (escaped); the next call writes its value. */
void pw_json_key(struct pw_json *j, const char *key);

void pw_json_str(struct pw_json *j, const char *s); /* NULL writes null */
void pw_json_strn(struct pw_json *j, const char *s, size_t n);
void pw_json_int(struct pw_json *j, int64_t v);
void pw_json_uint(struct pw_json *j, uint64_t v);
/* Shortest round-trip form; NaN and infinities (not JSON) are written as null. */
void pw_json_double(struct pw_json *j, double v);
void pw_json_bool(struct pw_json *j, bool v);
void pw_json_null(struct pw_json *j);
/* Writes already-encoded JSON text as one value. */
void pw_json_raw(struct pw_json *j, const char *text, size_t n);

/* key + value shorthands. */
void pw_json_kstr(struct pw_json *j, const char *key, const char *s);
void pw_json_kint(struct pw_json *j, const char *key, int64_t v);
void pw_json_kdouble(struct pw_json *j, const char *key, double v);
void pw_json_kbool(struct pw_json *j, const char *key, bool v);

/* Appends s (n bytes) to out as a quoted JSON string with the escaping described above. */
void pw_json_escape(struct pw_buf *out, const char *s, size_t n);

#endif
