/* multipart: parsing multipart/form-data request bodies (RFC 7578), as browsers and curl -F send
 * file uploads. Parts point into the body (nothing is copied); the part array and the header
 * strings are in the caller's arena. */
#ifndef PPROFWEB_MULTIPART_H
#define PPROFWEB_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#include "pprofweb/arena.h"
#include "pprofweb/err.h"

/* Parts in one body: a page uploads a handful of files at once. */
#define PW_MAX_PARTS 64
/* Bytes of one part's headers: browsers send two short lines. */
#define PW_MAX_PART_HEADERS 8192

struct pw_part {
    const char *name;         /* the form field name, "" when absent */
    const char *filename;     /* the file's name as sent (NULL for a plain field) */
    const char *content_type; /* NULL when absent */
    const unsigned char *data;
    size_t len;
};

/* True when content_type is multipart/form-data. */
bool pw_multipart_is(const char *content_type);

/* Splits body into its parts, using the boundary of content_type. PW_EINVAL for a missing or bad
 * boundary, a part without its closing delimiter, headers past PW_MAX_PART_HEADERS or more than
 * PW_MAX_PARTS parts. */
int pw_multipart_parse(const char *content_type, const unsigned char *body, size_t len,
                       struct pw_arena *arena, struct pw_part **parts, size_t *n,
                       struct pw_err *err);

#endif
