/* fetch: GET a profile from a live service with libcurl (the only file that includes curl.h),
 * loaded on the first fetch (dynlib.h). The URL is adjusted as pprof does (-seconds, timeouts);
 * the body is capped at the input limit and decoded like a file. Redirects are followed (at
 * most 5); only http and https are allowed. */
#include "pprofweb/fetch.h"

/* The calls go through the table below, not through curl's type-checking macros. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/buf.h"
#include "pprofweb/decode.h"
#include "pprofweb/dynlib.h"
#include "sonames.h"
#include "pprofweb/limits.h"

static struct {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *c, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *c);
    CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *c);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
    void (*slist_free_all)(struct curl_slist *list);
} cu;

static const struct pw_dynsym cu_syms[] = {
    {"curl_global_init", &cu.global_init},     {"curl_easy_init", &cu.easy_init},
    {"curl_easy_setopt", &cu.easy_setopt},     {"curl_easy_perform", &cu.easy_perform},
    {"curl_easy_getinfo", &cu.easy_getinfo},   {"curl_easy_cleanup", &cu.easy_cleanup},
    {"curl_easy_strerror", &cu.easy_strerror}, {"curl_slist_append", &cu.slist_append},
    {"curl_slist_free_all", &cu.slist_free_all},
};

static struct pw_dynlib cu_lib = PW_DYNLIB_INIT(PW_SONAME_CURL, cu_syms);
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
    cu.global_init(CURL_GLOBAL_DEFAULT);
}

char *pw_fetch_adjust_url(const char *source, int seconds, int timeout, int *timeout_out,
                          struct pw_err *err)
{
    struct pw_buf u;
    pw_buf_init(&u, 1 << 16);
    if (strncmp(source, "http://", 7) && strncmp(source, "https://", 8))
        pw_buf_adds(&u, "http://");
    pw_buf_adds(&u, source);
    if (u.overflow) {
        pw_buf_release(&u);
        pw_fail(err, PW_EINVAL, "profile URL too long");
        return NULL;
    }
    const char *host = strstr(pw_buf_str(&u), "://") + 3;
    if (!*host || *host == '/') {
        pw_buf_release(&u);
        pw_fail(err, PW_EINVAL, "%s: URL has no host", source);
        return NULL;
    }
    if (seconds > 0) {
        /* Replace any seconds= already there. */
        char *q = strchr(u.data, '?');
        if (q) {
            char *s = strstr(q, "seconds=");
            if (s && (s[-1] == '?' || s[-1] == '&')) {
                char *end = strchr(s, '&');
                size_t tail = end ? strlen(end + 1) : 0;
                if (end)
                    memmove(s, end + 1, tail + 1);
                else
                    *(s - 1) = 0;
                u.len = strlen(u.data);
            }
        }
        pw_buf_addf(&u, "%cseconds=%d", strchr(u.data, '?') ? '&' : '?', seconds);
    } else {
        const char *q = strchr(u.data, '?');
        const char *s = q ? strstr(q, "seconds=") : NULL;
        if (s)
            seconds = atoi(s + 8);
    }
    if (timeout <= 0)
        timeout = seconds > 0 ? seconds + seconds / 2 : 60;
    *timeout_out = timeout;
    return pw_buf_detach(&u, NULL);
}

struct sink {
    struct pw_buf body;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *userdata)
{
    struct sink *s = userdata;
    pw_buf_add(&s->body, ptr, size * n);
    return s->body.overflow ? 0 : size * n;
}

/* GET url, or POST body to it when body is not NULL (as application/octet-stream). */
static int transfer(const char *url, const char *body, size_t body_len, int timeout, size_t max,
                    unsigned char **data, size_t *len, struct pw_err *err)
{
    if (pw_dynlib_open(&cu_lib, err))
        return -1;
    pthread_once(&curl_once, curl_init);
    CURL *c = cu.easy_init();
    if (!c)
        return pw_fail(err, PW_EIO, "http: cannot initialise libcurl");
    const char *verb = body ? "http post" : "http fetch";
    struct sink s;
    pw_buf_init(&s.body, max);
    char curl_err[CURL_ERROR_SIZE] = "";
    cu.easy_setopt(c, CURLOPT_URL, url);
    cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    cu.easy_setopt(c, CURLOPT_WRITEDATA, &s);
    cu.easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    cu.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    cu.easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
#if LIBCURL_VERSION_NUM >= 0x075500
    cu.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    cu.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    cu.easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    cu.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    cu.easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout + 5);
    cu.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    cu.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    cu.easy_setopt(c, CURLOPT_USERAGENT, "pprofweb");
    struct curl_slist *headers = NULL;
    if (body) {
        headers = cu.slist_append(NULL, "Content-Type: application/octet-stream");
        cu.easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        cu.easy_setopt(c, CURLOPT_POSTFIELDS, body);
        cu.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    CURLcode rc = cu.easy_perform(c);
    long status = 0;
    cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    char *ctype = NULL;
    cu.easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ctype);
    bool text = ctype && strstr(ctype, "text/plain");
    cu.easy_cleanup(c);
    cu.slist_free_all(headers);
    if (rc != CURLE_OK) {
        bool too_big = s.body.overflow;
        pw_buf_release(&s.body);
        if (too_big)
            return pw_fail(err, PW_ETOOBIG, "%s %s: %s larger than %zu MB (limit)", verb, url,
                           body ? "answer" : "profile", max >> 20);
        return pw_fail(err, PW_EIO, "%s %s: %s", verb, url,
                       curl_err[0] ? curl_err : cu.easy_strerror(rc));
    }
    if (status != 200) {
        /* net/http/pprof explains its errors in a short text body. */
        if (text && s.body.len && s.body.len < 512)
            pw_fail(err, PW_EIO, "%s: server response: %ld - %s", url, status, pw_buf_str(&s.body));
        else
            pw_fail(err, PW_EIO, "%s: server response: %ld", url, status);
        pw_buf_release(&s.body);
        if (body)
            pw_err_prefix(err, "http post ");
        /* Drop a trailing newline of the quoted body. */
        size_t l = strlen(err ? err->msg : "");
        if (l && err->msg[l - 1] == '\n')
            err->msg[l - 1] = 0;
        return -1;
    }
    *data = (unsigned char *)pw_buf_detach(&s.body, len);
    return 0;
}

int pw_fetch_url(const char *url, int timeout, size_t max, unsigned char **data, size_t *len,
                 struct pw_err *err)
{
    return transfer(url, NULL, 0, timeout, max, data, len, err);
}

int pw_fetch_post(const char *url, const char *body, size_t body_len, int timeout, size_t max,
                  unsigned char **data, size_t *len, struct pw_err *err)
{
    return transfer(url, body, body_len, timeout, max, data, len, err);
}

struct pw_profile *pw_fetch_profile(const char *source, int seconds, int timeout,
                                    struct pw_err *err)
{
    int t;
    char *url = pw_fetch_adjust_url(source, seconds, timeout, &t, err);
    if (!url)
        return NULL;
    unsigned char *data;
    size_t len;
    struct pw_profile *p = NULL;
    if (pw_fetch_url(url, t, PW_MAX_INPUT, &data, &len, err) == 0) {
        p = pw_decode(data, len, err);
        free(data);
        if (!p)
            pw_err_prefix(err, "%s: ", url);
    }
    free(url);
    return p;
}
