/* buf: growable buffer, capped. Past the cap the buffer stops growing and sets a sticky flag that
 * the caller checks once at the end, so builders need no error handling per append. */
#include "pprofweb/buf.h"

#include "pprofweb/arena.h"
#include "pprofweb/limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pw_buf_init(struct pw_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max ? max : PW_MAX_BUF;
    b->overflow = 0;
}

static int reserve(struct pw_buf *b, size_t n)
{
    if (b->overflow)
        return -1;
    if (n > b->max - b->len) {
        b->overflow = 1;
        return -1;
    }
    size_t need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need)
            cap *= 2;
        b->data = pw_xrealloc(b->data, cap);
        b->cap = cap;
    }
    return 0;
}

/* Whether n more bytes (and the NUL) fit without growing or reaching the cap: the common case of
 * the millions of small appends of a large view, kept to a few compares. */
static inline int fits(const struct pw_buf *b, size_t n)
{
    return !b->overflow && n <= b->max - b->len && b->len + n < b->cap;
}

void pw_buf_add(struct pw_buf *b, const void *p, size_t n)
{
    if (!fits(b, n) && reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void pw_buf_adds(struct pw_buf *b, const char *s)
{
    pw_buf_add(b, s, strlen(s));
}

void pw_buf_addc(struct pw_buf *b, char c)
{
    if (!fits(b, 1) && reserve(b, 1))
        return;
    b->data[b->len++] = c;
    b->data[b->len] = 0;
}

void pw_buf_pad(struct pw_buf *b, char c, size_t n)
{
    if (reserve(b, n))
        return;
    memset(b->data + b->len, c, n);
    b->len += n;
    b->data[b->len] = 0;
}

void pw_buf_vaddf(struct pw_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        pw_buf_add(b, small, (size_t)n);
        return;
    }
    if (reserve(b, (size_t)n))
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void pw_buf_addf(struct pw_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pw_buf_vaddf(b, fmt, ap);
    va_end(ap);
}

void pw_buf_reset(struct pw_buf *b)
{
    b->len = 0;
    b->overflow = 0;
    if (b->data)
        b->data[0] = 0;
}

void pw_buf_release(struct pw_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->overflow = 0;
}

char *pw_buf_detach(struct pw_buf *b, size_t *len)
{
    char *d = b->data ? b->data : pw_xcalloc(1, 1);
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

const char *pw_buf_str(struct pw_buf *b)
{
    return b->data ? b->data : "";
}
