/* Unit tests for share: size flags, secret comparison, same-origin checks, and the routes driven
 * without a socket: uploads into a temporary store (raw, multipart, corrupt: nothing written),
 * the token for writes, -private for reads, ?token= sign-in (cookie, Location never echoing a
 * hostile path), the start page and the loader behind /p/ID. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/decode.h"
#include "pprofweb/share.h"

static size_t count_meta(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        n += strstr(de->d_name, ".meta") != NULL || strncmp(de->d_name, ".tmp", 4) == 0;
    if (d)
        closedir(d);
    return n;
}

struct call {
    struct pw_arena arena;
    struct pw_request req;
    struct pw_response resp;
    bool handled;
};

static void run(struct pw_share *s, struct call *c, const char *method, const char *path,
                const char *query, const void *body, size_t len)
{
    pw_arena_init(&c->arena);
    memset(&c->req, 0, sizeof(c->req));
    c->req.method = method;
    c->req.path = path;
    c->req.arena = &c->arena;
    c->req.body = body;
    c->req.body_len = len;
    c->req.client_is_local = true;
    struct pw_err err;
    pw_params_parse(&c->req.params, &c->arena, query, &err);
    pw_response_init(&c->resp);
}

static void done(struct pw_share *s, struct call *c)
{
    c->handled = pw_share_route(s, &c->req, &c->resp);
}

static const char *body(struct call *c)
{
    size_t n;
    const char *b = pw_response_body(&c->resp, &n);
    return pw_arena_strndup(&c->arena, b, n);
}

static void end(struct call *c)
{
    pw_response_release(&c->resp);
    pw_params_release(&c->req.params);
    pw_arena_release(&c->arena);
}

int main(void)
{
    struct pw_err err = {0};
    size_t v = 0;
    struct {
        const char *in;
        size_t want; /* 0: an error */
    } sizes[] = {
        {"1", 1},
        {"268435456", 268435456},
        {"256MB", 256u << 20},
        {"64mb", 64u << 20},
        {"512k", 512u << 10},
        {"512KiB", 512u << 10},
        {"1GB", 1u << 30},
        {"10B", 10},
        {"0", 0},
        {"", 0},
        {"-5", 0},
        {"MB", 0},
        {"5 MB", 0},
        {"2GB", 0},
        {"99999999999999999999999", 0},
        {"12TB", 0},
    };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
        int rc = pw_parse_size(sizes[i].in, &v, &err);
        if (sizes[i].want)
            CHECK(rc == 0 && v == sizes[i].want, "size %s: rc %d v %zu", sizes[i].in, rc, v);
        else
            CHECK(rc == -1 && err.code == PW_EINVAL, "size %s accepted", sizes[i].in);
    }

    CHECK(pw_secret_equal("abc", "abc"), "equal");
    CHECK(!pw_secret_equal("abc", "abd"), "differs");
    CHECK(!pw_secret_equal("abc", "abcd"), "longer");
    CHECK(!pw_secret_equal("", "x"), "empty");
    CHECK(!pw_secret_equal(NULL, "x"), "NULL");

    CHECK(pw_same_origin(NULL, "127.0.0.1:8081"), "no Origin (curl)");
    CHECK(pw_same_origin("http://127.0.0.1:8081", "127.0.0.1:8081"), "same");
    CHECK(pw_same_origin("https://Host:1", "host:1"), "case");
    CHECK(!pw_same_origin("http://evil.example", "127.0.0.1:8081"), "other site");
    CHECK(!pw_same_origin("http://127.0.0.1:9999", "127.0.0.1:8081"), "other port");
    CHECK(!pw_same_origin("null", "127.0.0.1:8081"), "opaque origin");
    CHECK(!pw_same_origin("http://127.0.0.1:8081", NULL), "no Host");

    char dir[] = "/tmp/pprofweb-share-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    struct pw_store *store = pw_store_open(dir, &err);
    CHECK(store != NULL, "open: %s", err.msg);
    unsigned char *data;
    size_t len;
    CHECK(pw_read_file("testdata/profiles/shop.cpu.pb.gz", 1 << 24, &data, &len, &err) == 0,
          "read: %s", err.msg);

    struct pw_share_options o = {.store = store, .auth_token = "tok"};
    struct pw_share *s = pw_share_new(&o);
    struct call c;

    /* Routes not ours are left to the route table. */
    run(s, &c, "GET", "/ui/top", "", NULL, 0);
    done(s, &c);
    CHECK(!c.handled, "/ui/top is not a share route");
    end(&c);

    /* Writes need the token. */
    run(s, &c, "POST", "/api/upload", "name=cpu.pb.gz", data, len);
    done(s, &c);
    CHECK(c.handled && c.resp.status == 401, "no token: %d", c.resp.status);
    end(&c);
    run(s, &c, "POST", "/api/upload", "name=cpu.pb.gz", data, len);
    c.req.authorization = "Bearer tok";
    done(s, &c);
    CHECK(c.resp.status == 200, "upload: %d %s", c.resp.status, body(&c));
    CHECK(strstr(body(&c), "\"name\":\"cpu.pb.gz\"") != NULL, "name: %s", body(&c));
    end(&c);
    CHECK_INTEQ(count_meta(dir), 1);

    /* Corrupt, and multipart with a corrupt second file: nothing written. */
    run(s, &c, "POST", "/api/upload", "", data, len / 2);
    c.req.authorization = "bearer tok";
    done(s, &c);
    CHECK(c.resp.status == 422 && strstr(body(&c), "upload: decompressing profile"),
          "corrupt: %d %s", c.resp.status, body(&c));
    end(&c);
    struct pw_buf mp;
    pw_buf_init(&mp, 0);
    pw_buf_adds(&mp,
                "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
                "\r\ngoroutine profile: total 1\n1 @ 0x1\n\r\n--b\r\n"
                "Content-Disposition: form-data; name=\"file\"; filename=\"dir/b.pb\"\r\n\r\n");
    pw_buf_add(&mp, data, len / 3);
    pw_buf_adds(&mp, "\r\n--b--\r\n");
    run(s, &c, "POST", "/api/upload", "", mp.data, mp.len);
    c.req.authorization = "Bearer tok";
    c.req.content_type = "multipart/form-data; boundary=b";
    done(s, &c);
    CHECK(c.resp.status == 422 && strstr(body(&c), "b.pb: "), "multipart corrupt: %d %s",
          c.resp.status, body(&c));
    end(&c);
    CHECK_INTEQ(count_meta(dir), 1);
    pw_buf_release(&mp);

    /* The listing and the loader. */
    run(s, &c, "GET", "/api/store", "", NULL, 0);
    done(s, &c);
    CHECK(strstr(body(&c), "\"token_required\":true,\"authorized\":false") != NULL, "list: %s",
          body(&c));
    CHECK(strstr(body(&c), "\"type\":\"samples,cpu\"") != NULL, "list type: %s", body(&c));
    end(&c);

    /* Cross-origin POST. */
    run(s, &c, "POST", "/api/fetch", "url=http://127.0.0.1:1/", NULL, 0);
    c.req.authorization = "Bearer tok";
    c.req.origin = "http://evil.example";
    c.req.host = "127.0.0.1:8081";
    done(s, &c);
    CHECK(c.resp.status == 403, "cross-origin fetch: %d", c.resp.status);
    end(&c);
    run(s, &c, "POST", "/api/fetch", "", NULL, 0);
    c.req.authorization = "Bearer tok";
    done(s, &c);
    CHECK(c.resp.status == 400 && strstr(body(&c), "url="), "fetch without url: %s", body(&c));
    end(&c);
    pw_share_free(s);

    /* -private: everything needs the token; ?token= signs in. */
    o.private_mode = true;
    s = pw_share_new(&o);
    run(s, &c, "GET", "/static/app.js", "", NULL, 0);
    done(s, &c);
    CHECK(c.handled && c.resp.status == 401 && strstr(body(&c), "name=\"token\""),
          "private static: %d", c.resp.status);
    end(&c);
    run(s, &c, "GET", "/api/top", "", NULL, 0);
    done(s, &c);
    CHECK(c.resp.status == 401 && strstr(body(&c), "\"status\":401"), "private api: %s", body(&c));
    end(&c);
    run(s, &c, "GET", "/api/top", "", NULL, 0);
    c.req.authorization = "Bearer tok";
    done(s, &c);
    CHECK(!c.handled, "authorized reads go on to the route table");
    end(&c);
    run(s, &c, "GET", "/p/abc/ui/top", "si=cpu&token=tok&f=a%26b", NULL, 0);
    done(s, &c);
    CHECK(c.resp.status == 303, "sign in: %d", c.resp.status);
    CHECK_STREQ(c.resp.location, "/p/abc/ui/top?si=cpu&f=a%26b");
    CHECK(c.resp.set_cookie && strstr(c.resp.set_cookie, "HttpOnly; SameSite=Strict") &&
              !strstr(c.resp.set_cookie, "tok;"),
          "cookie: %s", c.resp.set_cookie ? c.resp.set_cookie : "(none)");
    char cookie[200];
    snprintf(cookie, sizeof(cookie), "x=1; %.*s", (int)strcspn(c.resp.set_cookie, ";"),
             c.resp.set_cookie);
    end(&c);
    run(s, &c, "GET", "/api/meta", "", NULL, 0);
    c.req.cookie = cookie;
    done(s, &c);
    CHECK(!c.handled, "the cookie authorizes: %d", c.resp.status);
    end(&c);
    run(s, &c, "GET", "//evil.example/\r\nX: y", "token=tok", NULL, 0);
    done(s, &c);
    CHECK(c.resp.status == 303 && !strcmp(c.resp.location, "/ui/"), "hostile path: %s",
          c.resp.location ? c.resp.location : "(none)");
    end(&c);
    run(s, &c, "GET", "//evil.example/x", "token=tok", NULL, 0);
    done(s, &c);
    CHECK(c.resp.status == 303 && !strcmp(c.resp.location, "/ui/"), "open redirect: %s",
          c.resp.location ? c.resp.location : "(none)");
    end(&c);
    run(s, &c, "GET", "/ui/", "token=wrong", NULL, 0);
    done(s, &c);
    CHECK(c.resp.status == 401 && !c.resp.set_cookie, "wrong token: %d", c.resp.status);
    end(&c);
    pw_share_free(s);

    /* No store: uploads are off with a message. */
    struct pw_share_options none = {0};
    s = pw_share_new(&none);
    run(s, &c, "POST", "/api/upload", "", data, len);
    done(s, &c);
    CHECK(c.resp.status == 503 && strstr(body(&c), "-store"), "no store: %d", c.resp.status);
    end(&c);
    run(s, &c, "GET", "/start", "", NULL, 0);
    done(s, &c);
    CHECK(c.handled && c.resp.status == 200 && c.resp.is_page, "start page: %d", c.resp.status);
    end(&c);
    pw_share_free(s);

    pw_store_free(store);
    free(data);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    return harness_done();
}
