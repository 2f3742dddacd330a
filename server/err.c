/* err: fills struct pw_err. Messages are truncated to fit the fixed buffer; nothing allocates. */
#include "pprofweb/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int pw_fail(struct pw_err *err, enum pw_code code, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

int pw_err_prefix(struct pw_err *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char prefix[sizeof(err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    char old[sizeof(err->msg)];
    memcpy(old, err->msg, sizeof(old));
    snprintf(err->msg, sizeof(err->msg), "%s%s", prefix, old);
    return -1;
}
