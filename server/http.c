/* http: the HTTP server. libmicrohttpd runs a pool of PW_HTTP_THREADS threads; each request is
 * collected (path, decoded query parameters, a few headers, body up to the -max_upload bound,
 * refused early from Content-Length) into a struct
 * pw_request with its own arena, handed to pw_route(), and the struct pw_response is turned into
 * an MHD response. The listening socket is created here (so bind errors have a real message)
 * and passed to MHD. SIGINT and SIGTERM are blocked in every thread and taken with sigwait() by
 * the serving thread, which then stops MHD: in-flight requests finish, nothing is killed midway.
 * This is the only file that includes microhttpd.h; libmicrohttpd is loaded when a server
 * starts (dynlib.h), so a command-line report does not load it. */
#include "pprofweb/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <microhttpd.h>

#include "pprofweb/arena.h"
#include "pprofweb/buf.h"
#include "pprofweb/dynlib.h"
#include "pprofweb/limits.h"
#include "pprofweb/pages.h"
#include "pprofweb/routes.h"
#include "sonames.h"

static struct {
    enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header,
                                           const char *content);
    struct MHD_Response *(*create_response_from_buffer_with_free_callback_cls)(
        size_t size, void *buffer, MHD_ContentReaderFreeCallback crfc, void *crfc_cls);
    struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
                                                          enum MHD_ResponseMemoryMode mode);
    enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status,
                                      struct MHD_Response *r);
    void (*destroy_response)(struct MHD_Response *r);
    const char *(*lookup_connection_value)(struct MHD_Connection *c, enum MHD_ValueKind kind,
                                           const char *key);
    int (*get_connection_values_n)(struct MHD_Connection *c, enum MHD_ValueKind kind,
                                   MHD_KeyValueIteratorN iterator, void *iterator_cls);
    const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *c,
                                                           enum MHD_ConnectionInfoType type, ...);
    struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
                                       MHD_AcceptPolicyCallback apc, void *apc_cls,
                                       MHD_AccessHandlerCallback dh, void *dh_cls, ...);
    const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *d,
                                                   enum MHD_DaemonInfoType type, ...);
    void (*stop_daemon)(struct MHD_Daemon *d);
} mhd;

static const struct pw_dynsym mhd_syms[] = {
    {"MHD_add_response_header", &mhd.add_response_header},
    {"MHD_create_response_from_buffer_with_free_callback_cls",
     &mhd.create_response_from_buffer_with_free_callback_cls},
    {"MHD_create_response_from_buffer", &mhd.create_response_from_buffer},
    {"MHD_queue_response", &mhd.queue_response},
    {"MHD_destroy_response", &mhd.destroy_response},
    {"MHD_lookup_connection_value", &mhd.lookup_connection_value},
    {"MHD_get_connection_values_n", &mhd.get_connection_values_n},
    {"MHD_get_connection_info", &mhd.get_connection_info},
    {"MHD_start_daemon", &mhd.start_daemon},
    {"MHD_get_daemon_info", &mhd.get_daemon_info},
    {"MHD_stop_daemon", &mhd.stop_daemon},
};

static struct pw_dynlib mhd_lib = PW_DYNLIB_INIT(PW_SONAME_MICROHTTPD, mhd_syms);

extern char **environ;

/* Per-connection request state, created on the first callback and freed when MHD completes
 * the request. */
struct req_state {
    struct pw_arena arena;
    struct pw_buf body;
    bool started;  /* the headers have been seen (first on_request call) */
    bool answered; /* a refusal was queued before the body: the body is dropped unread */
    bool too_big;
    bool nul;      /* the raw URL holds %00 */
    bool had_body; /* body bytes arrived (an upload): its memory is handed back at the end */
};

/* MHD's first look at a request: the raw URL, before it is decoded (and a %00 in it cuts the
 * path short). Creates the request state. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)conn;
    (void)cls;
    struct req_state *st = pw_xcalloc(1, sizeof(*st));
    pw_arena_init(&st->arena);
    st->nul = uri && strstr(uri, "%00") != NULL;
    return st;
}

/* The 413 answer to a body over max: JSON for /api routes, as every API error. */
static void too_big(struct pw_response *resp, const char *url, size_t max)
{
    resp->status = 413;
    if (strstr(url, "/api/")) {
        resp->content_type = "application/json";
        pw_buf_addf(&resp->buf,
                    "{\"error\":\"request body is too large (limit %zu bytes, -max_upload)\","
                    "\"status\":413}\n",
                    max);
    } else {
        pw_buf_addf(&resp->buf, "request body is too large (limit %zu bytes, -max_upload)\n", max);
    }
}

int pw_http_split_hostport(const char *hostport, char *host_out, int *port, struct pw_err *err)
{
    const char *colon;
    size_t hlen;
    const char *host = hostport;
    if (hostport[0] == '[') {
        const char *close = strchr(hostport, ']');
        if (!close || close[1] != ':')
            return pw_fail(err, PW_EINVAL, "could not split http address %s: missing port or ]",
                           hostport);
        host = hostport + 1;
        hlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(hostport, ':');
        if (!colon)
            return pw_fail(err, PW_EINVAL, "could not split http address %s: missing port in "
                           "address", hostport);
        hlen = (size_t)(colon - hostport);
        if (memchr(hostport, ':', hlen))
            return pw_fail(err, PW_EINVAL, "could not split http address %s: too many colons "
                           "in address", hostport);
    }
    if (hlen >= 256)
        return pw_fail(err, PW_EINVAL, "http host name is too long");
    memcpy(host_out, host, hlen);
    host_out[hlen] = 0;
    const char *p = colon + 1;
    if (!*p) {
        *port = -1;
        return 0;
    }
    long v = 0;
    for (const char *c = p; *c; c++) {
        if (*c < '0' || *c > '9' || v > 65535)
            return pw_fail(err, PW_EINVAL, "invalid port number %s", p);
        v = v * 10 + (*c - '0');
    }
    if (v > 65535)
        return pw_fail(err, PW_EINVAL, "invalid port number %s", p);
    *port = (int)v;
    return 0;
}

static bool host_is_local(const char *host)
{
    return !*host || !strcmp(host, "localhost") || !strcmp(host, "127.0.0.1") ||
           !strcmp(host, "::1");
}

static bool addr_is_loopback(const struct sockaddr *sa)
{
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return true;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            return in6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

/* Creates the listening socket for host:port. An empty host is the loopback address. */
static int listen_on(const char *host, int port, int *family, struct pw_err *err)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port < 0 ? 0 : port);
    const char *node = *host ? host : "127.0.0.1";
    if (!strcmp(node, "localhost"))
        node = "127.0.0.1";
    int rc = getaddrinfo(node, portstr, &hints, &res);
    if (rc)
        return pw_fail(err, PW_EIO, "cannot resolve http host %s: %s", node, gai_strerror(rc));
    int fd = -1;
    int saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0) {
            *family = ai->ai_family;
            break;
        }
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return pw_fail(err, PW_EIO, "cannot listen on %s:%s: %s", node, portstr,
                       strerror(saved));
    return fd;
}

struct server {
    struct pw_app *app;
    size_t max_body;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    struct pw_request *req = cls;
    struct pw_err err;
    if (!key || strlen(key) != key_size || (value && strlen(value) != value_size)) {
        req->body_len = (size_t)-2; /* a NUL byte inside: "bad parameter" */
        return MHD_YES;
    }
    if (pw_params_add(&req->params, req->arena, key, value ? value : "", &err))
        req->body_len = (size_t)-1; /* marks "too many/too long parameters" */
    return MHD_YES;
}

static void add_header(struct MHD_Response *r, const char *name, const char *value)
{
    if (value)
        mhd.add_response_header(r, name, value);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct pw_response *resp)
{
    size_t len;
    struct MHD_Response *r;
    if (resp->data && resp->data_free) {
        r = mhd.create_response_from_buffer_with_free_callback_cls(
            resp->len, (void *)resp->data, resp->data_free, resp->data_free_ctx);
        if (r)
            resp->data_free = NULL; /* released by MHD once sent */
    } else if (resp->data) {
        r = mhd.create_response_from_buffer(resp->len, (void *)resp->data,
                                            MHD_RESPMEM_PERSISTENT);
    } else {
        void *body = pw_buf_detach(&resp->buf, &len);
        r = mhd.create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    }
    if (!r)
        return MHD_NO;
    add_header(r, "Content-Type", resp->content_type);
    add_header(r, "Cache-Control", resp->cache_control);
    add_header(r, "Location", resp->location);
    add_header(r, "Content-Disposition", resp->content_disposition);
    add_header(r, "Set-Cookie", resp->set_cookie);
    add_header(r, "Content-Encoding", resp->content_encoding);
    add_header(r, "Vary", resp->vary);
    add_header(r, "X-Content-Type-Options", "nosniff");
    add_header(r, "Referrer-Policy", "no-referrer");
    /* Every HTML answer, also /static/index.html, gets the policy of the pages. */
    if (resp->is_page ||
        (resp->content_type && strncmp(resp->content_type, "text/html", 9) == 0))
        add_header(r, "Content-Security-Policy", resp->policy ? resp->policy : pw_page_policy);
    enum MHD_Result ret = mhd.queue_response(conn, (unsigned)resp->status, r);
    mhd.destroy_response(r);
    return ret;
}

static enum MHD_Result route(struct server *srv, struct MHD_Connection *conn,
                             struct req_state *st, const char *url, const char *method,
                             bool early);

/* A refusal decided before the body is read. */
static enum MHD_Result refuse(struct MHD_Connection *conn, struct req_state *st, const char *url,
                              int status, const char *msg)
{
    struct pw_response resp;
    pw_response_init(&resp);
    pw_response_error(&resp, strstr(url, "/api/") != NULL, status, msg);
    st->answered = true;
    enum MHD_Result ret = send_response(conn, &resp);
    pw_response_release(&resp);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct server *srv = cls;
    struct req_state *st = *con_cls;
    if (!st) { /* no URI callback ran (not expected): start here */
        st = on_uri(NULL, NULL, conn);
        *con_cls = st;
    }
    if (!st->started) {
        st->started = true;
        pw_buf_init(&st->body, srv->max_body);
        if (st->nul)
            return refuse(conn, st, url, 400, "the URL holds a NUL byte (%00)");
        /* Refuse a declared oversize body before reading it (MHD then closes the connection
         * instead of sending 100 Continue). */
        const char *cl = mhd.lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl) {
            char *end;
            unsigned long long n = strtoull(cl, &end, 10);
            if (end != cl && n > srv->max_body) {
                st->too_big = true;
                struct pw_response resp;
                pw_response_init(&resp);
                too_big(&resp, url, srv->max_body);
                st->answered = true;
                enum MHD_Result ret = send_response(conn, &resp);
                pw_response_release(&resp);
                return ret;
            }
        }
        /* A request with a body: every check that needs only the headers (local clients,
         * Host, method, origin, token, a store) runs before a byte of the body is read. */
        if (cl || mhd.lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding") ||
            (strcmp(method, "GET") && strcmp(method, "HEAD")))
            return route(srv, conn, st, url, method, true);
        return MHD_YES;
    }
    if (st->answered) {
        *upload_data_size = 0; /* refused already: the body is dropped unread */
        return MHD_YES;
    }
    if (*upload_data_size) {
        st->had_body = true;
        if (!st->too_big) {
            pw_buf_add(&st->body, upload_data, *upload_data_size);
            if (st->body.overflow) {
                st->too_big = true;
                pw_buf_release(&st->body);
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    return route(srv, conn, st, url, method, false);
}

/* Answers a request: the whole of it, or (early) only what its headers decide. An early call
 * that the routes leave unanswered (status 0) goes on to read the body. */
static enum MHD_Result route(struct server *srv, struct MHD_Connection *conn,
                             struct req_state *st, const char *url, const char *method,
                             bool early)
{
    struct pw_request req;
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = url;
    req.arena = &st->arena;
    req.body = early ? NULL : (const unsigned char *)st->body.data;
    req.body_len = 0;
    req.body_pending = early;
    mhd.get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &req);
    bool bad_params = req.body_len == (size_t)-1, nul_param = req.body_len == (size_t)-2;
    req.body_len = early ? 0 : st->body.len;
    req.content_type = mhd.lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    const union MHD_ConnectionInfo *ci =
        mhd.get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    req.client_is_local = ci && addr_is_loopback(ci->client_addr);

    struct pw_response resp;
    pw_response_init(&resp);
    req.authorization = mhd.lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    req.cookie = mhd.lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie");
    req.accepts_gzip =
        pw_accepts_gzip(mhd.lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding"));
    req.origin = mhd.lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    req.host = mhd.lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
    if (st->too_big) {
        too_big(&resp, url, srv->max_body);
    } else if (bad_params) {
        resp.status = 400;
        pw_buf_addf(&resp.buf, "too many or too long URL parameters (limit %d of %d bytes)\n",
                    PW_MAX_PARAMS, PW_MAX_PARAM_LEN);
    } else if (nul_param) {
        pw_response_error(&resp, strstr(url, "/api/") != NULL, 400,
                          "a URL parameter holds a NUL byte (%00)");
    } else {
        pw_route(srv->app, &req, &resp);
    }
    if (early && resp.status == 0) { /* the headers pass: read the body */
        pw_response_release(&resp);
        pw_params_release(&req.params);
        return MHD_YES;
    }
    st->answered = early;
    enum MHD_Result ret = send_response(conn, &resp);
    pw_response_release(&resp);
    pw_params_release(&req.params);
    return ret;
}

/* Called when a request ends in any way, including a client that disconnects mid-upload: the
 * body buffer and the arena are freed then, not at the connection timeout. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct req_state *st = *con_cls;
    if (!st)
        return;
    bool had_body = st->had_body;
    pw_buf_release(&st->body);
    pw_arena_release(&st->arena);
    free(st);
    *con_cls = NULL;
    /* An upload's body and the profiles decoded from it are freed by now. The allocator keeps
     * freed memory for the next requests; past what the server holds (and PW_KEEP_FREED_HEAP),
     * it goes back to the system, so that one large or aborted upload does not leave a server
     * that holds little that large. */
    if (!had_body)
        return;
    struct mallinfo2 mi = mallinfo2();
    size_t freed = mi.fordblks - mi.keepcost; /* the heap's free top is address space only */
    if (freed > PW_KEEP_FREED_HEAP && freed > mi.uordblks + mi.hblkhd)
        malloc_trim(0);
}

static void *reap(void *arg)
{
    pid_t pid = (pid_t)(intptr_t)arg;
    waitpid(pid, NULL, 0);
    return NULL;
}

/* Opens url in a browser, as pprof does: $BROWSER, then xdg-open and friends. */
static void open_url(const char *url)
{
    const char *env = getenv("BROWSER");
    const char *cands[] = {env && *env ? env : NULL, "xdg-open", "x-www-browser",
                           "sensible-browser", "chromium", "google-chrome", "firefox"};
    for (size_t i = 0; i < sizeof(cands) / sizeof(*cands); i++) {
        if (!cands[i])
            continue;
        pid_t pid;
        char *argv[] = {(char *)cands[i], (char *)url, NULL};
        if (posix_spawnp(&pid, cands[i], NULL, NULL, argv, environ) == 0) {
            pthread_t t;
            if (pthread_create(&t, NULL, reap, (void *)(intptr_t)pid) == 0)
                pthread_detach(t);
            return;
        }
    }
    fprintf(stderr, "%s\n", url);
}

int pw_http_serve(const char *hostport, struct pw_profile **profiles, size_t n_profiles,
                  const char **names, const struct pw_config *cfg, bool open_browser,
                  const struct pw_http_options *opts, struct pw_err *err)
{
    char host[256];
    int port;
    if (pw_http_split_hostport(hostport, host, &port, err) || pw_dynlib_open(&mhd_lib, err))
        return -1;
    struct server srv;
    srv.app = pw_app_new_sized(cfg, host_is_local(host), opts ? opts->view_cache : 0);
    srv.max_body = opts && opts->max_body ? opts->max_body : PW_MAX_REQUEST_BODY;
    for (size_t i = 0; i < n_profiles; i++) {
        if (!profiles[i])
            continue;
        if (pw_app_add_profile(srv.app, profiles[i], names ? names[i] : NULL, NULL, NULL, err)) {
            pw_app_free(srv.app);
            return -1;
        }
    }
    if (opts && opts->setup && opts->setup(srv.app, opts->setup_ctx, err)) {
        pw_app_free(srv.app);
        return -1;
    }
    int family = AF_INET;
    int fd = listen_on(host, port, &family, err);
    if (fd < 0) {
        pw_app_free(srv.app);
        return -1;
    }

    /* Block the signals before MHD starts its threads, so only sigwait() below takes them. */
    sigset_t sigs, old;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, &old);

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    if (family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = mhd.start_daemon(
        flags, 0, NULL, NULL, on_request, &srv, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)PW_HTTP_THREADS, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)PW_HTTP_TIMEOUT, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)256 * 1024,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)PW_HTTP_MAX_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PW_HTTP_MAX_CONNECTIONS_PER_IP,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        NULL, MHD_OPTION_END);
    if (!d) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        close(fd);
        pw_app_free(srv.app);
        return pw_fail(err, PW_EIO, "cannot start the http server on %s", hostport);
    }
    pw_app_warm(srv.app);
    const union MHD_DaemonInfo *di = mhd.get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    int bound = di ? (int)di->port : port;

    const char *shown = *host ? host : "localhost";
    bool v6 = strchr(shown, ':') != NULL;
    struct pw_buf url;
    pw_buf_init(&url, 1 << 20);
    pw_buf_addf(&url, "http://%s%s%s:%d", v6 ? "[" : "", shown, v6 ? "]" : "", bound);
    printf("Serving web UI on %s\n", pw_buf_str(&url));
    fflush(stdout);
    if (open_browser) {
        pw_buf_adds(&url, "/ui/");
        struct pw_buf q;
        pw_buf_init(&q, 1 << 20);
        pw_query_format(cfg, NULL, &q);
        if (q.len) {
            pw_buf_addc(&url, '?');
            pw_buf_add(&url, q.data, q.len);
        }
        pw_buf_release(&q);
        open_url(pw_buf_str(&url));
    }
    pw_buf_release(&url);

    int sig = 0;
    sigwait(&sigs, &sig);
    mhd.stop_daemon(d); /* also closes the listening socket it was given */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pw_app_free(srv.app);
    return 0;
}
