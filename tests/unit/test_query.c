/* Unit tests for URL settings: query-string parsing (escapes, '+', bare keys, limits), pprof's
 * parameter names and value syntax applied to a config, errors for bad values, and formatting
 * back to a query string relative to defaults or to the server's settings. */
#include <string.h>

#include "harness.h"
#include "pprofweb/arena.h"
#include "pprofweb/buf.h"
#include "pprofweb/config.h"
#include "pprofweb/query.h"

static struct pw_arena arena;

/* Parses raw into a fresh default config; returns 0 or -1 (err filled). */
static int apply(const char *raw, struct pw_config *cfg, struct pw_err *err)
{
    struct pw_params ps = {0};
    pw_config_default(cfg);
    int rc = pw_params_parse(&ps, &arena, raw, err);
    if (rc == 0)
        rc = pw_query_apply(cfg, &ps, err);
    pw_params_release(&ps);
    return rc;
}

static const char *format(const struct pw_config *cfg, const struct pw_config *base,
                          struct pw_buf *b)
{
    pw_buf_reset(b);
    pw_query_format(cfg, base, b);
    return pw_buf_str(b);
}

int main(void)
{
    pw_arena_init(&arena);
    struct pw_err err = {0};
    struct pw_params ps = {0};
    struct pw_buf b;
    pw_buf_init(&b, 0);

    /* parsing */
    CHECK_INTEQ(pw_params_parse(&ps, &arena, "a=1&b=%2Fx+y&c&&d=&a=2", &err), 0);
    CHECK_INTEQ(ps.n, 5);
    CHECK_STREQ(pw_params_get(&ps, "a"), "1"); /* the first value, as url.Values.Get */
    CHECK_STREQ(pw_params_get(&ps, "b"), "/x y");
    CHECK_STREQ(pw_params_get(&ps, "c"), "");
    CHECK_STREQ(pw_params_get(&ps, "d"), "");
    CHECK(pw_params_get(&ps, "zz") == NULL, "absent key is NULL");
    pw_params_release(&ps);
    CHECK_INTEQ(pw_params_parse(&ps, &arena, "f=%zz", &err), -1);
    CHECK_INTEQ(err.code, PW_EINVAL);
    pw_params_release(&ps);
    CHECK_INTEQ(pw_params_parse(&ps, &arena, "f=%", &err), -1);
    pw_params_release(&ps);
    CHECK_INTEQ(pw_params_parse(&ps, &arena, "f=a%00b", &err), -1);
    pw_params_release(&ps);
    CHECK_INTEQ(pw_params_parse(&ps, &arena, NULL, &err), 0);
    CHECK_INTEQ(ps.n, 0);
    /* limits */
    struct pw_buf many;
    pw_buf_init(&many, 0);
    for (int i = 0; i <= PW_MAX_PARAMS; i++)
        pw_buf_addf(&many, "k%d=v&", i);
    CHECK_INTEQ(pw_params_parse(&ps, &arena, pw_buf_str(&many), &err), -1);
    pw_params_release(&ps);
    pw_buf_reset(&many);
    pw_buf_adds(&many, "f=");
    pw_buf_pad(&many, 'a', PW_MAX_PARAM_LEN + 1);
    CHECK_INTEQ(pw_params_parse(&ps, &arena, pw_buf_str(&many), &err), -1);
    pw_params_release(&ps);
    pw_buf_release(&many);

    /* every pprof parameter */
    struct pw_config c;
    CHECK_INTEQ(apply("si=alloc_space&f=main%5C.&i=runtime&h=h1&s=s1&sf=sf1&prunefrom=pf&"
                      "tf=k%3Dv&ti=1kb%3A&ts=tsx&th=thx&g=lines&n=10&nf=0.01&ef=0.002&trim=f&"
                      "calltree=t&rel=true&unit=ms&sort=cum&dropneg=1&mean=yes&noinlines=T&"
                      "compact=t&norm=t&intel=t",
                      &c, &err),
                0);
    CHECK_STREQ(c.sample_index, "alloc_space");
    CHECK_STREQ(c.focus, "main\\.");
    CHECK_STREQ(c.ignore, "runtime");
    CHECK_STREQ(c.hide, "h1");
    CHECK_STREQ(c.show, "s1");
    CHECK_STREQ(c.show_from, "sf1");
    CHECK_STREQ(c.prune_from, "pf");
    CHECK_STREQ(c.tagfocus, "k=v");
    CHECK_STREQ(c.tagignore, "1kb:");
    CHECK_STREQ(c.tagshow, "tsx");
    CHECK_STREQ(c.taghide, "thx");
    CHECK_INTEQ(c.granularity, PW_G_LINES);
    CHECK_INTEQ(c.nodecount, 10);
    CHECK(c.nodefraction == 0.01, "nf");
    CHECK(c.edgefraction == 0.002, "ef");
    CHECK(!c.trim && c.call_tree && c.relative_percentages && c.sort_cum && c.drop_negative &&
              c.mean && c.noinlines && c.compact_labels && c.normalize,
          "booleans");
    CHECK_STREQ(c.unit, "ms");

    /* empty values: numbers and booleans are skipped (pprof), strings are cleared */
    struct pw_config base;
    pw_config_default(&base);
    base.focus = "old";
    base.trim = false;
    CHECK_INTEQ(pw_params_parse(&ps, &arena, "f=&trim=&unit=", &err), 0);
    CHECK_INTEQ(pw_query_apply(&base, &ps, &err), 0);
    CHECK(base.focus == NULL, "f= clears focus");
    CHECK(!base.trim, "trim= keeps the setting");
    CHECK_STREQ(base.unit, "minimum");
    pw_params_release(&ps);

    /* bad values */
    static const char *const bad[] = {"n=x",       "n=1.5",    "n=-2",       "n=99999999999",
                                      "nf=abc",     "nf=2",     "nf=-0.1",    "nf=nan",
                                      "ef=inf",     "trim=maybe", "sort=name", "g=lines2",
                                      "calltree=2", "n= 5",     "nf= 0.1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        err.code = PW_OK;
        err.msg[0] = 0;
        CHECK(apply(bad[i], &c, &err) == -1 && err.code == PW_EINVAL && err.msg[0],
              "%s is refused", bad[i]);
    }
    apply("g=lines2", &c, &err);
    CHECK(strstr(err.msg, "granularity") != NULL, "message names the setting: %s", err.msg);
    apply("n=x", &c, &err);
    CHECK(strstr(err.msg, "nodecount") != NULL, "message names the setting: %s", err.msg);

    /* formatting: defaults give an empty query; values are escaped as url.QueryEscape */
    pw_config_default(&c);
    CHECK_STREQ(format(&c, NULL, &b), "");
    c.focus = "a b/c&d";
    c.sort_cum = true;
    c.trim = false;
    c.nodefraction = 0.01;
    c.granularity = PW_G_FILES;
    c.sample_index = "alloc_space";
    CHECK_STREQ(format(&c, NULL, &b), "f=a+b%2Fc%26d&g=files&nf=0.01&si=alloc_space&sort=cum&"
                                      "trim=f");
    /* relative to a server started with settings: a cleared setting is written empty */
    pw_config_default(&base);
    base.focus = "x";
    base.sort_cum = true;
    pw_config_default(&c);
    CHECK_STREQ(format(&c, &base, &b), "f=&sort=flat");
    /* round trip */
    pw_config_default(&c);
    c.ignore = "runtime\\..*";
    c.nodecount = 5;
    c.edgefraction = 0.0001;
    c.noinlines = true;
    format(&c, NULL, &b);
    struct pw_config back;
    CHECK_INTEQ(apply(pw_buf_str(&b), &back, &err), 0);
    CHECK_STREQ(back.ignore, "runtime\\..*");
    CHECK_INTEQ(back.nodecount, 5);
    CHECK(back.edgefraction == 0.0001 && back.noinlines, "round trip of numbers and booleans");

    /* url escaping */
    pw_buf_reset(&b);
    pw_url_escape(&b, "az09-_.~ !*'()\xc3\xa9");
    CHECK_STREQ(pw_buf_str(&b), "az09-_.~+%21%2A%27%28%29%C3%A9");

    pw_buf_release(&b);
    pw_arena_release(&arena);
    return harness_done();
}
