/* err: error codes and messages. A caller owns its struct pw_err; callees fill it. */
#ifndef PPROFWEB_ERR_H
#define PPROFWEB_ERR_H

enum pw_code {
    PW_OK = 0,
    PW_EINVAL,    /* bad flag or parameter: HTTP 400 */
    PW_ENOTFOUND, /* unknown profile, file or route: HTTP 404 */
    PW_ETOOBIG,   /* input over a limit: HTTP 413 */
    PW_ECORRUPT,  /* malformed profile: HTTP 422 */
    PW_EIO,       /* file system or network failure: HTTP 500/502 */
    PW_EUNAVAIL,  /* a service pprofweb needs (the store's database) is unreachable: HTTP 503 */
    PW_ECONFLICT, /* another process holds what was asked for (a watch's lease): HTTP 409 */
};

struct pw_err {
    enum pw_code code;
    char msg[256];
};

/* Fills err (if not NULL) with code and a printf-formatted message; returns -1. */
int pw_fail(struct pw_err *err, enum pw_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes err's message with a printf-formatted context ("file.pb.gz: "); returns -1. */
int pw_err_prefix(struct pw_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
