/* buf: a growable byte buffer with a hard cap and a sticky error. The buffer owns its data until
 * pw_buf_detach() hands it to the caller (free with free()). */
#ifndef PPROFWEB_BUF_H
#define PPROFWEB_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct pw_buf {
    char *data; /* always NUL-terminated when len > 0 or after any add */
    size_t len, cap;
    size_t max;    /* hard cap on len; 0 means PW_MAX_BUF */
    int overflow;  /* sticky: an add went past max; later adds are ignored */
};

void pw_buf_init(struct pw_buf *b, size_t max);
void pw_buf_add(struct pw_buf *b, const void *p, size_t n);
void pw_buf_adds(struct pw_buf *b, const char *s);
void pw_buf_addc(struct pw_buf *b, char c);
void pw_buf_addf(struct pw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pw_buf_vaddf(struct pw_buf *b, const char *fmt, va_list ap);
/* Appends n copies of c. */
void pw_buf_pad(struct pw_buf *b, char c, size_t n);
void pw_buf_reset(struct pw_buf *b);
void pw_buf_release(struct pw_buf *b);
/* Returns the data (NUL-terminated, caller frees) and empties the buffer. */
char *pw_buf_detach(struct pw_buf *b, size_t *len);
/* Returns data as a C string (never NULL). */
const char *pw_buf_str(struct pw_buf *b);

#endif
