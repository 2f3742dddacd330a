/* multipart: multipart/form-data bodies split into parts (RFC 7578 over RFC 2046's syntax).
 *
 * In: the request's Content-Type (for the boundary) and its body, both hostile. Out: an array of
 * parts in the caller's arena whose data point into the body. A delimiter is CRLF "--" boundary;
 * the first one may start the body (no preamble) or follow a preamble. Only the headers forms
 * use are read: Content-Disposition (name, filename) and Content-Type. Limits: PW_MAX_PARTS parts,
 * PW_MAX_PART_HEADERS bytes of headers per part, boundaries of at most 200 bytes (RFC: 70).
 * Not here: nested multipart/mixed, RFC 2231 filename*= encodings, transfer encodings. */
#include "pprofweb/multipart.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_BOUNDARY 200

bool pw_multipart_is(const char *ct)
{
    return ct && strncasecmp(ct, "multipart/form-data", 19) == 0 &&
           (ct[19] == 0 || ct[19] == ';' || ct[19] == ' ');
}

/* Reads one parameter value at *p (a token or a quoted string), advancing *p. */
static char *param_value(const char **p, const char *end, struct pw_arena *arena)
{
    const char *s = *p;
    char *out = pw_arena_alloc(arena, (size_t)(end - s) + 1);
    size_t n = 0;
    if (s < end && *s == '"') {
        s++;
        while (s < end && *s != '"') {
            if (*s == '\\' && s + 1 < end)
                s++;
            out[n++] = *s++;
        }
        if (s < end)
            s++;
    } else {
        while (s < end && *s != ';' && *s != ' ' && *s != '\t')
            out[n++] = *s++;
    }
    out[n] = 0;
    *p = s;
    return out;
}

/* Finds parameter key in a header value like 'form-data; name="f"; filename="a.pb.gz"'. */
static char *find_param(const char *v, const char *end, const char *key, struct pw_arena *arena)
{
    size_t klen = strlen(key);
    const char *p = v;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        if (!semi)
            return NULL;
        p = semi + 1;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if ((size_t)(end - p) > klen && strncasecmp(p, key, klen) == 0 && p[klen] == '=') {
            p += klen + 1;
            return param_value(&p, end, arena);
        }
        /* Skip a quoted value so a ';' inside it is not taken for a separator. */
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq && eq + 1 < end && eq[1] == '"') {
            const char *q = eq + 1;
            param_value(&q, end, arena);
            p = q;
        }
    }
    return NULL;
}

static int boundary_of(const char *ct, char *out, struct pw_err *err)
{
    const char *b = ct ? strcasestr(ct, "boundary=") : NULL;
    if (!b)
        return pw_fail(err, PW_EINVAL, "multipart body without a boundary in its Content-Type");
    b += 9;
    size_t n = 0;
    if (*b == '"') {
        for (b++; *b && *b != '"'; b++) {
            if (n >= MAX_BOUNDARY)
                return pw_fail(err, PW_EINVAL, "multipart boundary is too long");
            out[n++] = *b;
        }
    } else {
        for (; *b && *b != ';' && *b != ' ' && *b != '\t'; b++) {
            if (n >= MAX_BOUNDARY)
                return pw_fail(err, PW_EINVAL, "multipart boundary is too long");
            out[n++] = *b;
        }
    }
    out[n] = 0;
    if (n == 0 || strpbrk(out, "\r\n"))
        return pw_fail(err, PW_EINVAL, "multipart boundary is empty or malformed");
    return 0;
}

/* Reads a part's header block [h, end) into part. */
static void parse_headers(const char *h, const char *end, struct pw_part *part,
                          struct pw_arena *arena)
{
    while (h < end) {
        const char *eol = memmem(h, (size_t)(end - h), "\r\n", 2);
        const char *le = eol ? eol : end;
        const char *colon = memchr(h, ':', (size_t)(le - h));
        if (colon) {
            const char *v = colon + 1;
            while (v < le && (*v == ' ' || *v == '\t'))
                v++;
            size_t klen = (size_t)(colon - h);
            if (klen == 19 && strncasecmp(h, "Content-Disposition", 19) == 0) {
                char *name = find_param(v, le, "name", arena);
                part->name = name ? name : "";
                part->filename = find_param(v, le, "filename", arena);
            } else if (klen == 12 && strncasecmp(h, "Content-Type", 12) == 0) {
                part->content_type = pw_arena_strndup(arena, v, (size_t)(le - v));
            }
        }
        h = eol ? eol + 2 : end;
    }
}

int pw_multipart_parse(const char *content_type, const unsigned char *body, size_t len,
                       struct pw_arena *arena, struct pw_part **parts, size_t *n,
                       struct pw_err *err)
{
    char boundary[MAX_BOUNDARY + 1];
    if (boundary_of(content_type, boundary, err))
        return -1;
    /* delim is CRLF "--" boundary; the first delimiter may lack the CRLF at the body start. */
    char delim[MAX_BOUNDARY + 5];
    size_t dlen = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
    const char *b = (const char *)body, *end = b + len;
    const char *p;
    if (len >= dlen - 2 && memcmp(b, delim + 2, dlen - 2) == 0)
        p = b + dlen - 2;
    else if ((p = memmem(b, len, delim, dlen)))
        p += dlen;
    else
        return pw_fail(err, PW_EINVAL, "multipart body has no part (boundary not found)");

    struct pw_part *out = pw_arena_calloc(arena, PW_MAX_PARTS, sizeof(*out));
    size_t count = 0;
    for (;;) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            break; /* the close delimiter */
        while (p < end && (*p == ' ' || *p == '\t'))
            p++; /* transport padding */
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return pw_fail(err, PW_EINVAL, "multipart part %zu: malformed delimiter line",
                           count + 1);
        p += 2;
        if (count >= PW_MAX_PARTS)
            return pw_fail(err, PW_EINVAL, "multipart body has more than %d parts", PW_MAX_PARTS);
        const char *hend;
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
            hend = p; /* no headers */
        } else {
            size_t look = (size_t)(end - p);
            if (look > PW_MAX_PART_HEADERS + 4)
                look = PW_MAX_PART_HEADERS + 4;
            hend = memmem(p, look, "\r\n\r\n", 4);
            if (!hend)
                return pw_fail(err, PW_EINVAL,
                               "multipart part %zu: headers unterminated or over %d bytes",
                               count + 1, PW_MAX_PART_HEADERS);
        }
        struct pw_part *part = &out[count];
        part->name = "";
        parse_headers(p, hend, part, arena);
        const char *data = hend + (hend == p ? 2 : 4);
        const char *next = memmem(data, (size_t)(end - data), delim, dlen);
        if (!next)
            return pw_fail(err, PW_EINVAL, "multipart part %zu has no closing delimiter",
                           count + 1);
        part->data = (const unsigned char *)data;
        part->len = (size_t)(next - data);
        count++;
        p = next + dlen;
    }
    *parts = out;
    *n = count;
    return 0;
}
