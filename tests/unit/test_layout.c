/* test_layout: DOT to SVG through Graphviz (layout.c): a small graph renders to well-formed SVG
 * that scales, hostile names come out as text, the caps and forbidden attributes are refused
 * with PW_ETOOBIG / PW_EINVAL, and Graphviz's own errors arrive in the message. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/layout.h"
#include "pprofweb/limits.h"

/* A strict-enough XML well-formedness check: balanced tags, quoted attributes, only XML's
 * references, no raw < or & in text or values, valid UTF-8 without control characters, one
 * root. Writes what is wrong into why. */
static bool utf8_ok(const unsigned char *s, size_t n, size_t *len)
{
    unsigned c = s[0];
    size_t l = c < 0x80                 ? 1
               : c >= 0xC2 && c <= 0xDF ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    if (!l || l > n)
        return false;
    if (l == 1 && c < 0x20 && c != '\n' && c != '\t' && c != '\r')
        return false;
    for (size_t i = 1; i < l; i++)
        if ((s[i] & 0xC0) != 0x80)
            return false;
    *len = l;
    return true;
}

static bool ref_ok(const char *s)
{
    static const char *const names[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (int i = 0; i < 5; i++)
        if (strncmp(s, names[i], strlen(names[i])) == 0)
            return true;
    if (s[1] != '#')
        return false;
    const char *p = s + 2;
    bool hex = *p == 'x';
    if (hex)
        p++;
    long v = strtol(p, (char **)&p, hex ? 16 : 10);
    return *p == ';' && (v == 9 || v == 10 || v == 13 || (v >= 0x20 && v <= 0xD7FF) ||
                         (v >= 0xE000 && v <= 0xFFFD) || (v >= 0x10000 && v <= 0x10FFFF));
}

static bool chars_ok(const char *s, size_t n, bool in_value, char *why)
{
    for (size_t i = 0; i < n;) {
        size_t l = 1;
        if (s[i] == '<' || (s[i] == '&' && !ref_ok(s + i)) || (in_value && s[i] == '"')) {
            snprintf(why, 200, "raw %c in \"%.40s\"", s[i], s + i);
            return false;
        }
        if (!utf8_ok((const unsigned char *)s + i, n - i, &l)) {
            snprintf(why, 200, "bad byte 0x%02x at \"%.20s\"", (unsigned char)s[i], s + i);
            return false;
        }
        i += l;
    }
    return true;
}

static bool well_formed(const char *s, char *why)
{
    const char *stack[256];
    size_t stack_len[256];
    int depth = 0, roots = 0;
    while (*s) {
        const char *lt = strchr(s, '<');
        size_t text = lt ? (size_t)(lt - s) : strlen(s);
        if (!chars_ok(s, text, false, why))
            return false;
        if (!lt)
            break;
        s = lt;
        if (strncmp(s, "<!--", 4) == 0) {
            const char *e = strstr(s + 4, "--");
            if (!e || e[2] != '>')
                return snprintf(why, 200, "bad comment"), false;
            s = e + 3;
            continue;
        }
        if (s[1] == '?' || s[1] == '!') {
            if (depth > 0)
                return snprintf(why, 200, "declaration inside an element"), false;
            s = strchr(s, '>');
            if (!s)
                return snprintf(why, 200, "unclosed declaration"), false;
            s++;
            continue;
        }
        bool end = s[1] == '/';
        const char *name = s + (end ? 2 : 1);
        size_t nl = strcspn(name, " \n\t/>");
        if (nl == 0)
            return snprintf(why, 200, "empty tag name at \"%.30s\"", s), false;
        const char *p = name + nl;
        /* attributes */
        for (;;) {
            p += strspn(p, " \n\t");
            if (*p == '>' || (*p == '/' && p[1] == '>') || !*p)
                break;
            size_t an = strcspn(p, "= \n\t>");
            if (an == 0 || p[an] != '=' || p[an + 1] != '"')
                return snprintf(why, 200, "bad attribute at \"%.30s\"", p), false;
            const char *v = p + an + 2, *q = strchr(v, '"');
            if (!q || !chars_ok(v, (size_t)(q - v), true, why))
                return (q ? 0 : snprintf(why, 200, "unclosed value")), false;
            p = q + 1;
        }
        if (!*p)
            return snprintf(why, 200, "unclosed tag"), false;
        bool empty = *p == '/';
        s = p + (empty ? 2 : 1);
        if (end) {
            if (depth == 0 || stack_len[depth - 1] != nl ||
                strncmp(stack[depth - 1], name, nl) != 0)
                return snprintf(why, 200, "mismatched </%.*s>", (int)nl, name), false;
            depth--;
        } else if (!empty) {
            if (depth == 0)
                roots++;
            if (depth == 256)
                return snprintf(why, 200, "too deep"), false;
            stack[depth] = name;
            stack_len[depth++] = nl;
        } else if (depth == 0) {
            roots++;
        }
    }
    if (depth != 0)
        return snprintf(why, 200, "%d unclosed elements", depth), false;
    if (roots != 1)
        return snprintf(why, 200, "%d root elements", roots), false;
    return true;
}

static int render(const char *dot, unsigned flags, struct pw_buf *out, struct pw_err *err)
{
    pw_buf_reset(out);
    memset(err, 0, sizeof(*err));
    return pw_layout_render(dot, strlen(dot), flags, out, NULL, err);
}

static void test_small_graph(void)
{
    const char *dot = "digraph \"prog\" {\n"
                      "node [style=filled fillcolor=\"#f8f8f8\"]\n"
                      "N1 [label=\"main\\nmain\\n10ms (50%)\" id=\"node1\" fontsize=20 "
                      "shape=box tooltip=\"main.main (10ms)\" color=\"#b20000\"]\n"
                      "N2 [label=\"work\" id=\"node2\" shape=box tooltip=\"main.work\"]\n"
                      "N1 -> N2 [label=\" 10ms\" weight=50 penwidth=2 URL=\"https://x.test/\"]\n"
                      "}\n";
    struct pw_buf out;
    struct pw_err err;
    struct pw_layout_info info;
    char why[200] = "";
    pw_buf_init(&out, 0);
    memset(&err, 0, sizeof(err));
    CHECK(pw_layout_render(dot, strlen(dot), 0, &out, &info, &err) == 0, "render: %s", err.msg);
    const char *s = pw_buf_str(&out);
    CHECK(strncmp(s, "<?xml", 5) == 0, "standalone output starts with the prolog");
    CHECK(strstr(s, "<svg width=\"100%\" height=\"100%\"") != NULL, "standalone is 100%%: %.300s",
          s);
    CHECK(strstr(s, "viewBox=\"") != NULL, "viewBox kept");
    CHECK(strstr(s, "<title>N1</title>") && strstr(s, "<title>N2</title>"), "nodes drawn");
    CHECK(strstr(s, ">main</text>") != NULL, "label text");
    CHECK(well_formed(s, why), "standalone well-formed: %s", why);
    CHECK_INTEQ(info.nodes, 2);
    CHECK_INTEQ(info.edges, 1);
    CHECK(info.width_pt > 10 && info.height_pt > 10, "size %gx%g", info.width_pt, info.height_pt);

    CHECK(render(dot, PW_LAYOUT_INLINE, &out, &err) == 0, "inline: %s", err.msg);
    s = pw_buf_str(&out);
    CHECK(strncmp(s, "<svg", 4) == 0 && (s[4] == ' ' || s[4] == '\n'),
          "inline starts with <svg: %.40s", s);
    CHECK(!strstr(s, "<!--") && !strstr(s, "<?xml") && !strstr(s, "DOCTYPE"),
          "no prolog or comments inline");
    const char *tag_end = strchr(s, '>');
    CHECK(tag_end && !memmem(s, (size_t)(tag_end - s), "width=", 6) &&
              !memmem(s, (size_t)(tag_end - s), "height=", 7),
          "no width/height on inline svg");
    CHECK(well_formed(s, why), "inline well-formed: %s", why);

    /* pw_layout_svg is the standalone form. */
    struct pw_buf again;
    pw_buf_init(&again, 0);
    CHECK(pw_layout_svg(dot, strlen(dot), &again, &err) == 0, "svg: %s", err.msg);
    CHECK(strncmp(pw_buf_str(&again), "<?xml", 5) == 0, "pw_layout_svg is standalone");
    pw_buf_release(&again);
    pw_buf_release(&out);
}

static void test_hostile_names(void)
{
    /* Names as pprof's DOT writes them: \ and " escaped for DOT, nothing else. */
    static const char *const names[] = {
        "<script>alert(1)</script>",
        "a&b &amp; &nbsp; &#1; &#x0; &bogus",
        "quote\\\"d 'single'",
        "ctl\x01\x02\x1f\x7f tab\tend",
        "bad utf8 \xff\xfe \xc3\x28 \xed\xa0\x80 \xf4\x90\x80\x80",
        "]]> <!-- --> <![CDATA[x]]> <?pi?>",
        "operator<<(std::ostream&, T const&)",
        "--",
        "\xe2\x80\xa8 \xef\xbf\xbe \xef\xbf\xbf",
    };
    struct pw_buf dot, out;
    struct pw_err err;
    char why[200] = "";
    pw_buf_init(&dot, 0);
    pw_buf_init(&out, 0);
    pw_buf_adds(&dot, "digraph \"t<i>&--tle\" {\n");
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
        pw_buf_addf(&dot, "N%zu [label=\"%s\\n1s\" id=\"node%zu\" tooltip=\"%s (1s)\"]\n", i + 1,
                    names[i], i + 1, names[i]);
    pw_buf_adds(&dot, "N1 -> N2 [label=\" <b>&amp;</b>\" labeltooltip=\"<i>&\"]\n}\n");
    for (int inl = 0; inl < 2; inl++) {
        const char *what = inl ? "inline" : "standalone";
        CHECK(render(pw_buf_str(&dot), inl ? PW_LAYOUT_INLINE : 0, &out, &err) == 0, "%s: %s", what,
              err.msg);
        const char *s = pw_buf_str(&out);
        CHECK(well_formed(s, why), "%s hostile names well-formed: %s", what, why);
        CHECK(!strstr(s, "<script") && !strstr(s, "<b>") && !strstr(s, "<i>"),
              "%s: no markup from names", what);
        CHECK(strstr(s, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL, "%s: script name as text",
              what);
        /* Graphviz decodes entities in labels; what is left must not be an HTML entity or a
         * reference to a character XML forbids. */
        CHECK(!strstr(s, "&nbsp;") && !strstr(s, "&#1;") && !strstr(s, "&#x0;"),
              "%s: no non-XML references", what);
        CHECK(strstr(s, "\xef\xbf\xbd") != NULL, "%s: bad bytes as U+FFFD", what);
    }
    pw_buf_release(&dot);
    pw_buf_release(&out);
}

static void test_massage(void)
{
    static const struct {
        const char *in, *want;
        unsigned flags;
    } cases[] = {
        {"<svg width=\"8pt\" height=\"9pt\"\n viewBox=\"0 0 8 9\"><g/></svg>",
         "<svg\n viewBox=\"0 0 8 9\"><g/></svg>", PW_LAYOUT_INLINE},
        {"<svg width=\"8pt\" height=\"9pt\" viewBox=\"0 0 8 9\"></svg>",
         "<svg width=\"100%\" height=\"100%\" viewBox=\"0 0 8 9\"></svg>", 0},
        {"<?xml version=\"1.0\"?>\n<!-- a -- b -->\n<svg x=\"1\">&amp;&lt;&#65;&#x41;</svg>",
         "<svg x=\"1\">&amp;&lt;&#65;&#x41;</svg>", PW_LAYOUT_INLINE},
        {"<!-- a -- b- -->", "<!-- a - - b- -->", 0},
        {"<!-- x--->", "<!-- x- -->", 0},
        {"<t>&nbsp;&#0;&#xD800;&;&#;&</t>",
         "<t>&amp;nbsp;&amp;#0;&amp;#xD800;&amp;;&amp;#;&amp;</t>", 0},
        {"<t>\x01\xff\xc0\x80\xef\xbf\xbf\xc3\xa9</t>",
         "<t>\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
         "\xc3\xa9</t>",
         0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct pw_buf out;
        pw_buf_init(&out, 0);
        pw_layout_massage_svg(cases[i].in, strlen(cases[i].in), cases[i].flags, &out);
        CHECK_STREQ(pw_buf_str(&out), cases[i].want);
        pw_buf_release(&out);
    }
}

static void test_refused(void)
{
    static const struct {
        const char *dot, *msg;
    } cases[] = {
        {"digraph { a [image=\"/etc/passwd\"] }", "image"},
        {"digraph { node [shapefile=\"/etc/passwd\"]; a }", "shapefile"},
        {"digraph { fontpath=\"/etc\"; a }", "fontpath"},
        {"digraph { imagepath=\"/etc\"; a }", "imagepath"},
        {"digraph { stylesheet=\"http://x/s.css\"; a }", "stylesheet"},
        {"digraph { a [URL=\"javascript:alert(1)\"] }", "http"},
        {"digraph { a -> b [href=\"file:///etc/passwd\"] }", "http"},
        {"digraph { a -> b [labelURL=\" data:text/html,x\"] }", "http"},
        {"digraph { a [label=<<IMG SRC=\"/etc/passwd\"/>>] }", "HTML"},
        {"digraph { a [shape=epsf] }", "shape"},
        {"digraph { a [fontname=\"/usr/share/fonts/x.ttf\"] }", "fontname"},
        {"digraph { layout=neato; a }", "layout"},
        {"digraph { mclimit=1000000; a }", "mclimit"},
        {"digraph { subgraph cluster_x { URL=\"vbscript:x\"; a } }", "http"},
    };
    struct pw_buf out;
    struct pw_err err;
    pw_buf_init(&out, 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        int rc = render(cases[i].dot, 0, &out, &err);
        CHECK(rc == -1 && err.code == PW_EINVAL && strstr(err.msg, cases[i].msg),
              "%s: rc %d code %d msg \"%s\", want PW_EINVAL with \"%s\"", cases[i].dot, rc,
              err.code, err.msg, cases[i].msg);
        CHECK_INTEQ(out.len, 0);
    }
    /* http(s) links are fine */
    CHECK(render("digraph { a [URL=\"https://example.com/\" target=\"_blank\"] }", 0, &out, &err) ==
              0,
          "https link: %s", err.msg);
    CHECK(strstr(pw_buf_str(&out), "xlink:href=\"https://example.com/\"") != NULL, "link kept");
    pw_buf_release(&out);
}

static void test_bad_dot(void)
{
    struct pw_buf out;
    struct pw_err err;
    pw_buf_init(&out, 0);
    const char *bad[] = {"digraph { a -> }", "not a graph at all", "digraph { \"unterminated }",
                         ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        int rc = render(bad[i], 0, &out, &err);
        CHECK(rc == -1 && err.code == PW_EINVAL && strncmp(err.msg, "bad DOT: ", 9) == 0 &&
                  strlen(err.msg) > 12,
              "\"%s\": rc %d code %d msg \"%s\"", bad[i], rc, err.code, err.msg);
        CHECK_INTEQ(out.len, 0);
    }
    CHECK(render("digraph { a -> }", 0, &out, &err) == -1 && strstr(err.msg, "syntax error"),
          "syntax error message: %s", err.msg);
    /* A NUL byte (a profile's name may hold one) is drawn as U+FFFD, as invalid UTF-8 is. */
    memset(&err, 0, sizeof(err));
    CHECK(pw_layout_render("digraph { a [label=\"x\0y\"] }", 27, 0, &out, NULL, &err) == 0 &&
              strstr(pw_buf_str(&out), "x\xef\xbf\xbdy") != NULL,
          "NUL in a label: %s", err.msg);
    pw_buf_reset(&out);
    /* The parser recovers: a good graph after the bad ones. */
    CHECK(render("digraph { a -> b }", 0, &out, &err) == 0, "after errors: %s", err.msg);
    pw_buf_release(&out);
}

static void test_caps(void)
{
    struct pw_buf dot, out;
    struct pw_err err;
    pw_buf_init(&dot, 0);
    pw_buf_init(&out, 0);
    pw_buf_adds(&dot, "digraph {\n");
    for (int i = 0; i <= PW_MAX_LAYOUT_NODES; i++)
        pw_buf_addf(&dot, "N%d\n", i);
    pw_buf_adds(&dot, "}\n");
    CHECK(render(pw_buf_str(&dot), 0, &out, &err) == -1 && err.code == PW_ETOOBIG &&
              strstr(err.msg, "node count"),
          "too many nodes: code %d %s", err.code, err.msg);

    pw_buf_reset(&dot);
    pw_buf_adds(&dot, "digraph {\n");
    for (int i = 0; i <= PW_MAX_LAYOUT_EDGES; i++)
        pw_buf_addf(&dot, "N%d -> N%d\n", i % 100, (i / 100) % 100);
    pw_buf_adds(&dot, "}\n");
    /* strict graphs merge duplicates, plain digraphs keep them all */
    CHECK(render(pw_buf_str(&dot), 0, &out, &err) == -1 && err.code == PW_ETOOBIG &&
              strstr(err.msg, "edges"),
          "too many edges: code %d %s", err.code, err.msg);

    size_t big = PW_MAX_LAYOUT_INPUT + 1;
    char *text = malloc(big);
    memset(text, ' ', big);
    memset(&err, 0, sizeof(err));
    CHECK(pw_layout_render(text, big, 0, &out, NULL, &err) == -1 && err.code == PW_ETOOBIG,
          "too many bytes: code %d %s", err.code, err.msg);
    free(text);
    CHECK_INTEQ(out.len, 0);
    pw_buf_release(&dot);
    pw_buf_release(&out);
}

int main(void)
{
    test_small_graph();
    test_hostile_names();
    test_massage();
    test_refused();
    test_bad_dot();
    test_caps();
    pw_layout_cleanup();
    return harness_done();
}
