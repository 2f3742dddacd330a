/* layout: DOT to SVG with Graphviz in-process (libcgraph parses, libgvc runs the "dot" engine and
 * the SVG renderer), what pprof gets from a forked `dot -Tsvg`.
 *
 * In: DOT text (the graph view's, or any caller's: it is treated as hostile). Out: SVG appended
 * to the caller's buffer. Checks before layout: the byte, node and edge caps of limits.h, no NUL,
 * and no attribute that makes Graphviz read files or the browser fetch or run something: image,
 * shapefile, fontpath, imagepath, stylesheet, HTML-like labels (<IMG SRC>), a fontname with a
 * path, links that are not http(s), another layout engine, and dot's iteration knobs (mclimit,
 * nslimit, searchsize), which can make a small graph take minutes.
 *
 * After rendering, pw_layout_massage_svg() makes the text well-formed XML whatever the names
 * hold: Graphviz escapes <, >, " and & in labels and tooltips, but leaves anything that looks
 * like an entity (&nbsp;, &#1;) and passes control characters and invalid UTF-8 through.
 *
 * Graphviz keeps global state (parser, error hooks, plugin registry) and is not thread-safe:
 * every call holds one mutex, and one GVC_t lives for the process. Its messages are captured by
 * an error hook into the caller's struct pw_err instead of going to stderr.
 * Not here: what the graph shows (report_graph.c, dotgraph.c) or how the page draws it. */
#include "pprofweb/layout.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include "pprofweb/arena.h"
#include "pprofweb/dynlib.h"
#include "pprofweb/limits.h"
#include "sonames.h"

/* Graphviz is loaded on the first layout (dynlib.h): most command-line reports draw nothing,
 * and its libraries took about a millisecond of every start. */
static struct {
    char *(*xget)(void *obj, Agsym_t *sym);
    int (*htmlstr)(char *s);
    Agsym_t *(*nxtattr)(Agraph_t *g, int kind, Agsym_t *attr);
    Agraph_t *(*fstsubg)(Agraph_t *g);
    Agraph_t *(*nxtsubg)(Agraph_t *subg);
    Agnode_t *(*fstnode)(Agraph_t *g);
    Agnode_t *(*nxtnode)(Agraph_t *g, Agnode_t *n);
    Agedge_t *(*fstout)(Agraph_t *g, Agnode_t *n);
    Agedge_t *(*nxtout)(Agraph_t *g, Agedge_t *e);
    Agraph_t *(*memread)(const char *cp);
    int (*nnodes)(Agraph_t *g);
    int (*nedges)(Agraph_t *g);
    int (*close)(Agraph_t *g);
    agusererrf (*seterrf)(agusererrf f);
    agerrlevel_t (*seterr)(agerrlevel_t level);
    int (*reseterrors)(void);
} ag;

static const struct pw_dynsym ag_syms[] = {
    {"agxget", &ag.xget},       {"aghtmlstr", &ag.htmlstr},   {"agnxtattr", &ag.nxtattr},
    {"agfstsubg", &ag.fstsubg}, {"agnxtsubg", &ag.nxtsubg},   {"agfstnode", &ag.fstnode},
    {"agnxtnode", &ag.nxtnode}, {"agfstout", &ag.fstout},     {"agnxtout", &ag.nxtout},
    {"agmemread", &ag.memread}, {"agnnodes", &ag.nnodes},     {"agnedges", &ag.nedges},
    {"agclose", &ag.close},     {"agseterrf", &ag.seterrf},   {"agseterr", &ag.seterr},
    {"agreseterrors", &ag.reseterrors},
};

static struct {
    GVC_t *(*context)(void);
    int (*layout)(GVC_t *gvc, graph_t *g, const char *engine);
    int (*render_data)(GVC_t *gvc, graph_t *g, const char *format, char **result,
                       unsigned int *length);
    void (*free_render_data)(char *data);
    int (*free_layout)(GVC_t *gvc, graph_t *g);
    int (*free_context)(GVC_t *gvc);
} gv;

static const struct pw_dynsym gv_syms[] = {
    {"gvContext", &gv.context},
    {"gvLayout", &gv.layout},
    {"gvRenderData", &gv.render_data},
    {"gvFreeRenderData", &gv.free_render_data},
    {"gvFreeLayout", &gv.free_layout},
    {"gvFreeContext", &gv.free_context},
};

static struct pw_dynlib cgraph_lib = PW_DYNLIB_INIT(PW_SONAME_CGRAPH, ag_syms);
static struct pw_dynlib gvc_lib = PW_DYNLIB_INIT(PW_SONAME_GVC, gv_syms);

static char *dot_text(const char *dot, size_t len);
static void svg_size(const char *svg, size_t len, struct pw_layout_info *info);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static GVC_t *gvc;

/* Graphviz's messages of the current call (guarded by mu). */
static char gv_msg[512];
static size_t gv_msg_len;

static int on_gv_message(char *msg)
{
    size_t n = strlen(msg);
    if (n > sizeof(gv_msg) - 1 - gv_msg_len)
        n = sizeof(gv_msg) - 1 - gv_msg_len;
    memcpy(gv_msg + gv_msg_len, msg, n);
    gv_msg_len += n;
    gv_msg[gv_msg_len] = 0;
    return 0;
}

/* The captured messages as one line: "Error: " / "Warning: " prefixes dropped, newlines as
 * spaces, trimmed, first letter lowercase; "" when Graphviz said nothing. */
static const char *gv_message(void)
{
    static char line[sizeof(gv_msg)];
    size_t o = 0;
    for (const char *s = gv_msg; *s && o < sizeof(line) - 1;) {
        if (strncmp(s, "Error: ", 7) == 0) {
            s += 7;
            continue;
        }
        if (strncmp(s, "Warning: ", 9) == 0) {
            s += 9;
            continue;
        }
        char c = *s++;
        if (c == '\n' || c == '\t' || c == '\r')
            c = ' ';
        if (c == ' ' && (o == 0 || line[o - 1] == ' '))
            continue;
        line[o++] = c;
    }
    while (o > 0 && line[o - 1] == ' ')
        o--;
    line[o] = 0;
    if (line[0] >= 'A' && line[0] <= 'Z' && !(line[1] >= 'A' && line[1] <= 'Z'))
        line[0] = (char)(line[0] - 'A' + 'a');
    return line;
}

static void gv_reset(void)
{
    gv_msg_len = 0;
    gv_msg[0] = 0;
    ag.reseterrors();
}

/* Attributes refused whatever their value: Graphviz reads files for them (image, shapefile,
 * fontpath, imagepath), the SVG links a stylesheet, or they steer the layout engine. */
static const char *const forbidden_attrs[] = {
    "image",   "shapefile", "fontpath",   "imagepath",  "stylesheet", "mclimit",
    "nslimit", "nslimit1",  "searchsize", "remincross", "fontnames",  NULL,
};

/* Attributes holding links, which end up as xlink:href in the SVG. */
static const char *const url_attrs[] = {
    "URL",      "href",      "headURL", "headhref", "tailURL", "tailhref",
    "labelURL", "labelhref", "edgeURL", "edgehref", NULL,
};

static bool in_list(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcmp(*list, name) == 0)
            return true;
    return false;
}

static int check_value(void *obj, Agsym_t *sym, const char *what, struct pw_err *err)
{
    char *v = obj ? ag.xget(obj, sym) : sym->defval;
    if (!v || !*v)
        return 0;
    if (ag.htmlstr(v))
        return pw_fail(err, PW_EINVAL, "%s attribute %s: HTML-like labels are not allowed", what,
                       sym->name);
    if (in_list(url_attrs, sym->name) && strncasecmp(v, "http://", 7) != 0 &&
        strncasecmp(v, "https://", 8) != 0)
        return pw_fail(err, PW_EINVAL, "%s attribute %s: only http(s) links are allowed", what,
                       sym->name);
    if (strcmp(sym->name, "fontname") == 0 && (strchr(v, '/') || strchr(v, '\\')))
        return pw_fail(err, PW_EINVAL, "%s attribute fontname: a font name, not a path", what);
    if (strcmp(sym->name, "layout") == 0 && strcmp(v, "dot") != 0)
        return pw_fail(err, PW_EINVAL, "%s attribute layout: only dot is available", what);
    if (strcmp(sym->name, "shape") == 0 &&
        (strcasecmp(v, "epsf") == 0 || strcasecmp(v, "custom") == 0))
        return pw_fail(err, PW_EINVAL, "%s attribute shape=%s reads files", what, v);
    return 0;
}

/* Checks every declared attribute of kind: its name, its default and the value on each object
 * (objs[0..n)). */
static int check_kind(Agraph_t *g, int kind, void **objs, size_t n, struct pw_err *err)
{
    static const char *const kinds[] = {"graph", "node", "edge", "edge"};
    const char *what = kinds[kind];
    for (Agsym_t *sym = ag.nxtattr(g, kind, NULL); sym; sym = ag.nxtattr(g, kind, sym)) {
        if (in_list(forbidden_attrs, sym->name))
            return pw_fail(err, PW_EINVAL, "%s attribute %s is not allowed", what, sym->name);
        if (check_value(NULL, sym, what, err))
            return -1;
        for (size_t i = 0; i < n; i++)
            if (check_value(objs[i], sym, what, err))
                return -1;
    }
    return 0;
}

static void collect_subgraphs(Agraph_t *g, void ***v, size_t *n, size_t *cap)
{
    for (Agraph_t *s = ag.fstsubg(g); s; s = ag.nxtsubg(s)) {
        PW_GROW(*v, *cap, *n + 1);
        (*v)[(*n)++] = s;
        collect_subgraphs(s, v, n, cap);
    }
}

static int check_attrs(Agraph_t *g, struct pw_err *err)
{
    void **objs = NULL;
    size_t n = 0, cap = 0;
    PW_GROW(objs, cap, 1);
    objs[n++] = g;
    collect_subgraphs(g, &objs, &n, &cap);
    int rc = check_kind(g, AGRAPH, objs, n, err);
    n = 0;
    for (Agnode_t *v = ag.fstnode(g); v && rc == 0; v = ag.nxtnode(g, v)) {
        PW_GROW(objs, cap, n + 1);
        objs[n++] = v;
    }
    if (rc == 0)
        rc = check_kind(g, AGNODE, objs, n, err);
    n = 0;
    for (Agnode_t *v = ag.fstnode(g); v && rc == 0; v = ag.nxtnode(g, v)) {
        for (Agedge_t *e = ag.fstout(g, v); e; e = ag.nxtout(g, e)) {
            PW_GROW(objs, cap, n + 1);
            objs[n++] = e;
        }
    }
    if (rc == 0)
        rc = check_kind(g, AGEDGE, objs, n, err);
    free(objs);
    return rc;
}

/* Parses, checks, lays out and renders under the mutex; the raw SVG goes to svg. */
static int render_locked(const char *text, struct pw_buf *svg, struct pw_layout_info *info,
                         struct pw_err *err)
{
    gv_reset();
    Agraph_t *g = ag.memread(text);
    if (!g) {
        const char *m = gv_message();
        return pw_fail(err, PW_EINVAL, "bad DOT: %s", *m ? m : "not a graph");
    }
    int rc = 0;
    int nodes = ag.nnodes(g), edges = ag.nedges(g);
    if (nodes > PW_MAX_LAYOUT_NODES) {
        rc = pw_fail(err, PW_ETOOBIG,
                     "graph has %d nodes, more than the %d that can be laid out: lower the node "
                     "count (n)",
                     nodes, PW_MAX_LAYOUT_NODES);
    } else if (edges > PW_MAX_LAYOUT_EDGES) {
        rc = pw_fail(err, PW_ETOOBIG,
                     "graph has %d edges, more than the %d that can be laid out: lower the node "
                     "count (n) or raise the edge fraction (ef)",
                     edges, PW_MAX_LAYOUT_EDGES);
    } else {
        rc = check_attrs(g, err);
    }
    if (rc == 0) {
        gv_reset();
        if (gv.layout(gvc, g, "dot") != 0) {
            const char *m = gv_message();
            rc = pw_fail(err, PW_EINVAL, "graph layout failed: %s", *m ? m : "unknown error");
        } else {
            char *data = NULL;
            unsigned int len = 0;
            if (gv.render_data(gvc, g, "svg", &data, &len) != 0 || !data) {
                const char *m = gv_message();
                rc = pw_fail(err, PW_EINVAL, "graph rendering failed: %s",
                             *m ? m : "no SVG renderer in this Graphviz");
            } else {
                pw_buf_add(svg, data, len);
            }
            gv.free_render_data(data);
            if (info && svg->data)
                svg_size(svg->data, svg->len, info);
            gv.free_layout(gvc, g);
        }
    }
    if (info) {
        info->nodes = nodes;
        info->edges = edges;
    }
    ag.close(g);
    return rc;
}

int pw_layout_render(const char *dot, size_t len, unsigned flags, struct pw_buf *out,
                     struct pw_layout_info *info, struct pw_err *err)
{
    if (info)
        memset(info, 0, sizeof(*info));
    if (len > PW_MAX_LAYOUT_INPUT)
        return pw_fail(err, PW_ETOOBIG,
                       "graph text is %zu bytes, more than the %zu that can be "
                       "laid out: lower the node count (n)",
                       len, PW_MAX_LAYOUT_INPUT);
    char *text = dot_text(dot, len);

    if (pw_dynlib_open(&gvc_lib, err) || pw_dynlib_open(&cgraph_lib, err)) {
        free(text);
        return pw_err_prefix(err, "cannot start Graphviz: ");
    }
    struct pw_buf svg;
    pw_buf_init(&svg, 0);
    pthread_mutex_lock(&mu);
    ag.seterrf(on_gv_message);
    ag.seterr(AGWARN);
    if (!gvc)
        gvc = gv.context();
    int rc;
    if (!gvc)
        rc = pw_fail(err, PW_EIO, "cannot start Graphviz: %s", gv_message());
    else
        rc = render_locked(text, &svg, info, err);
    pthread_mutex_unlock(&mu);
    free(text);
    if (rc == 0 && svg.overflow)
        rc = pw_fail(err, PW_ETOOBIG, "SVG larger than %zu bytes", PW_MAX_BUF);
    if (rc == 0)
        pw_layout_massage_svg(svg.data ? svg.data : "", svg.len, flags, out);
    pw_buf_release(&svg);
    return rc;
}

/* The drawing's size: the last two numbers of the viewBox Graphviz wrote. */
static void svg_size(const char *svg, size_t len, struct pw_layout_info *info)
{
    const char *v = memmem(svg, len, "viewBox=\"", 9);
    double x, y, w, h;
    if (v && sscanf(v + 9, "%lf %lf %lf %lf", &x, &y, &w, &h) == 4) {
        info->width_pt = w;
        info->height_pt = h;
    }
}

int pw_layout_svg(const char *dot, size_t len, struct pw_buf *out, struct pw_err *err)
{
    return pw_layout_render(dot, len, 0, out, NULL, err);
}

void pw_layout_cleanup(void)
{
    pthread_mutex_lock(&mu);
    if (gvc)
        gv.free_context(gvc);
    gvc = NULL;
    pthread_mutex_unlock(&mu);
}

/* --- making the SVG well-formed --- */

static bool xml_char(unsigned long c)
{
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0; with xml, only for a character
 * XML allows. */
static size_t utf8_seq_len(const unsigned char *s, size_t n, bool xml)
{
    unsigned long c;
    size_t len;
    if (s[0] < 0x80)
        return !xml || xml_char(s[0]) ? 1 : 0;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        c = s[0] & 0x1F, len = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        c = s[0] & 0x0F, len = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        c = s[0] & 0x07, len = 4;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3F);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000))
        return 0; /* overlong */
    if (xml)
        return xml_char(c) ? len : 0;
    return (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF ? 0 : len;
}

static size_t utf8_len(const unsigned char *s, size_t n)
{
    return utf8_seq_len(s, n, true);
}

/* The DOT text, NUL-terminated, with invalid UTF-8 as U+FFFD: Graphviz would read such bytes
 * as Latin-1 in labels but pass them raw to its text layout, which complains on stderr. NUL
 * bytes (profile names may hold them) become U+FFFD too: Graphviz reads C strings, and the SVG,
 * being XML, cannot hold U+0000. */
static char *dot_text(const char *dot, size_t len)
{
    struct pw_buf b;
    pw_buf_init(&b, 0);
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        while (run < len && dot[run] != 0 && (unsigned char)dot[run] < 0x80)
            run++;
        pw_buf_add(&b, dot + i, run - i);
        i = run;
        if (i >= len)
            break;
        size_t l = dot[i] ? utf8_seq_len((const unsigned char *)dot + i, len - i, false) : 0;
        pw_buf_add(&b, l ? dot + i : "\xef\xbf\xbd", l ? l : 3);
        i += l ? l : 1;
    }
    pw_buf_addc(&b, 0);
    return pw_buf_detach(&b, NULL);
}

/* Length of the XML reference at s ("&amp;", "&#60;", "&#x3C;"), or 0 when it is not one. */
static size_t xml_ref_len(const char *s, size_t n)
{
    static const char *const names[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (size_t i = 0; i < 5; i++) {
        size_t l = strlen(names[i]);
        if (l <= n && memcmp(s, names[i], l) == 0)
            return l;
    }
    if (n < 4 || s[1] != '#')
        return 0;
    bool hex = s[2] == 'x';
    size_t i = hex ? 3 : 2, start = i;
    unsigned long c = 0;
    for (; i < n && i < start + 8; i++) {
        char d = s[i];
        int v = d >= '0' && d <= '9'          ? d - '0'
                : hex && d >= 'a' && d <= 'f' ? d - 'a' + 10
                : hex && d >= 'A' && d <= 'F' ? d - 'A' + 10
                                              : -1;
        if (v < 0)
            break;
        c = c * (hex ? 16 : 10) + (unsigned long)v;
    }
    if (i == start || i >= n || s[i] != ';' || !xml_char(c))
        return 0;
    return i + 1;
}

/* Copies s[0..n) with bare &, control characters and invalid UTF-8 made into text. */
static void add_text(struct pw_buf *out, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && (unsigned char)s[run] >= 0x20 && (unsigned char)s[run] < 0x80 &&
               s[run] != '&')
            run++;
        pw_buf_add(out, s + i, run - i);
        i = run;
        if (i >= n)
            break;
        if (s[i] == '&') {
            size_t l = xml_ref_len(s + i, n - i);
            if (l) {
                pw_buf_add(out, s + i, l);
                i += l;
            } else {
                pw_buf_adds(out, "&amp;");
                i++;
            }
            continue;
        }
        size_t l = utf8_len((const unsigned char *)s + i, n - i);
        if (l) {
            pw_buf_add(out, s + i, l);
            i += l;
        } else {
            pw_buf_adds(out, "\xef\xbf\xbd"); /* U+FFFD */
            i++;
        }
    }
}

static const char *find(const char *s, const char *end, const char *needle)
{
    size_t nl = strlen(needle);
    for (; s + nl <= end; s++)
        if (memcmp(s, needle, nl) == 0)
            return s;
    return NULL;
}

/* A comment kept in a standalone document: "--" is not allowed inside one. */
static void add_comment(struct pw_buf *out, const char *body, size_t n)
{
    pw_buf_adds(out, "<!--");
    for (size_t i = 0; i < n; i++) {
        size_t start = i;
        while (i < n && body[i] != '-')
            i++;
        add_text(out, body + start, i - start);
        if (i < n) {
            pw_buf_addc(out, '-');
            if (i + 1 == n || body[i + 1] == '-')
                pw_buf_addc(out, ' ');
        }
    }
    pw_buf_adds(out, "-->");
}

/* The <svg ...> start tag without width and height (inline) or with both 100%. */
static void add_svg_tag(struct pw_buf *out, const char *s, size_t n, unsigned flags)
{
    size_t i = 0;
    bool inl = flags & PW_LAYOUT_INLINE;
    while (i < n) {
        /* at an attribute "name=" preceded by whitespace? */
        if ((s[i] == ' ' || s[i] == '\n') && i + 1 < n) {
            const char *a = s + i + 1;
            size_t left = n - i - 1, nl = 0;
            if (left > 7 && memcmp(a, "width=\"", 7) == 0)
                nl = 7;
            else if (left > 8 && memcmp(a, "height=\"", 8) == 0)
                nl = 8;
            const char *q = nl ? memchr(a + nl, '"', left - nl) : NULL;
            if (q) {
                if (!inl) {
                    pw_buf_addc(out, ' ');
                    pw_buf_add(out, a, nl);
                    pw_buf_adds(out, "100%\"");
                }
                i = (size_t)(q + 1 - s);
                continue;
            }
        }
        size_t start = i++;
        while (i < n && s[i] != ' ' && s[i] != '\n')
            i++;
        add_text(out, s + start, i - start);
    }
}

void pw_layout_massage_svg(const char *svg, size_t len, unsigned flags, struct pw_buf *out)
{
    const char *s = svg, *end = svg + len;
    bool inl = flags & PW_LAYOUT_INLINE;
    bool seen_svg = false;
    while (s < end) {
        const char *lt = memchr(s, '<', (size_t)(end - s));
        if (!lt)
            lt = end;
        add_text(out, s, (size_t)(lt - s));
        s = lt;
        if (s >= end)
            break;
        const char *close = NULL;
        if (end - s >= 4 && memcmp(s, "<!--", 4) == 0) {
            close = find(s + 4, end, "-->");
            const char *stop = close ? close : end;
            if (!inl)
                add_comment(out, s + 4, (size_t)(stop - s - 4));
            s = close ? close + 3 : end;
            /* drop the newline after a dropped comment */
            if (inl && s < end && *s == '\n')
                s++;
            continue;
        }
        if (end - s >= 2 && (s[1] == '?' || s[1] == '!')) {
            /* The prolog and the DOCTYPE (Graphviz's has no internal subset). */
            close = memchr(s, '>', (size_t)(end - s));
            const char *stop = close ? close + 1 : end;
            if (!inl)
                add_text(out, s, (size_t)(stop - s));
            s = stop;
            if (inl && s < end && *s == '\n')
                s++;
            continue;
        }
        if (!seen_svg && end - s >= 5 && memcmp(s, "<svg", 4) == 0 &&
            (s[4] == ' ' || s[4] == '\n')) {
            close = memchr(s, '>', (size_t)(end - s));
            const char *stop = close ? close + 1 : end;
            add_svg_tag(out, s, (size_t)(stop - s), flags);
            seen_svg = true;
            s = stop;
            continue;
        }
        /* Any other tag: Graphviz wrote it, and escaped <, > and quotes inside its values. */
        close = memchr(s, '>', (size_t)(end - s));
        const char *stop = close ? close + 1 : end;
        add_text(out, s, (size_t)(stop - s));
        s = stop;
    }
}
