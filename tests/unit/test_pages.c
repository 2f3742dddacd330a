/* test_pages: the served pages, with their head script and style sheets written into them, and a
 * policy that allows the script by its hash; pages without such a script keep the plain
 * policy. */
#include <stdbool.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/assets.h"
#include "pprofweb/pages.h"

static const struct pw_asset *asset(const char *name)
{
    for (const struct pw_asset *a = pw_assets; a->name; a++)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

/* True when the page holds the file web/NAME inside <ELEMENT>...</ELEMENT>, byte for byte. */
static bool holds_inlined(const char *html, const char *name, const char *element)
{
    const struct pw_asset *a = asset(name);
    char open[16], close[16];
    snprintf(open, sizeof(open), "<%s>", element);
    snprintf(close, sizeof(close), "</%s>", element);
    for (const char *at = strstr(html, open); a && at; at = strstr(at + 1, open)) {
        const char *body = at + strlen(open);
        if (strncmp(body, (const char *)a->data, a->len) == 0 &&
            strncmp(body + a->len, close, strlen(close)) == 0)
            return true;
    }
    return false;
}

static void test_index_inlines_prefetch(void)
{
    const struct pw_page *p = pw_page_get("index.html");
    const struct pw_asset *script = asset("prefetch.js");
    CHECK(p && script, "index.html and prefetch.js are embedded");
    if (!p || !script)
        return;
    const char *html = (const char *)p->data;
    CHECK(strlen(html) == p->len, "the page is one NUL-terminated string");
    CHECK(!strstr(html, "data-inline") && !strstr(html, "/static/prefetch.js"),
          "no script tag is left to load prefetch.js");
    const char *open = strstr(html, "<script>");
    CHECK(open && memcmp(open + 8, script->data, script->len) == 0 &&
              strncmp(open + 8 + script->len, "</script>", 9) == 0,
          "prefetch.js is the page's inline script, byte for byte");
    CHECK(open && open < strstr(html, "<style>"), "it runs before the style sheets are read");
    static const char *const sheets[] = {"style.css", "start.css", "compare.css", "graph.css",
                                         "flame.css"};
    for (size_t i = 0; i < sizeof(sheets) / sizeof(*sheets); i++)
        CHECK(holds_inlined(html, sheets[i], "style"), "%s is written into the page", sheets[i]);
    CHECK(!strstr(html, "rel=\"stylesheet\""), "no style sheet is left to ask for");
    CHECK(strstr(html, "<script type=\"module\" src=\"/static/app.js\"></script>") != NULL,
          "the module scripts stay external");
    const char *hash = strstr(p->policy, "script-src 'self' 'sha256-");
    CHECK(hash && strncmp(hash + 26 + 44, "';", 2) == 0 && hash[26 + 43] == '=',
          "the policy allows one script by its SHA-256: %s", p->policy);
    CHECK(strncmp(p->policy, pw_page_policy, 20) == 0 && strstr(p->policy, "object-src 'none'"),
          "and keeps the rest of the page policy: %s", p->policy);
    CHECK(pw_page_get("index.html") == p, "built once");
}

static void test_plain_pages(void)
{
    const struct pw_page *p = pw_page_get("timeline.html");
    CHECK(p && holds_inlined((const char *)p->data, "style.css", "style") &&
              holds_inlined((const char *)p->data, "timeline.css", "style"),
          "timeline.html has its style sheets written in");
    CHECK(p && strstr((const char *)p->data, "<script type=\"module\" src=\"/static/timeline.js\">"),
          "and its module named");
    CHECK(p && p->policy == pw_page_policy, "with the plain policy: it inlines no script");
    CHECK(strstr(pw_page_policy, "script-src") == NULL && strstr(pw_page_policy, "default-src 'self'"),
          "which allows no inline script: %s", pw_page_policy);
    CHECK(pw_page_get("app.js") == NULL, "a script is not a page");
    CHECK(pw_page_get("missing.html") == NULL, "an unknown page is NULL");
}

int main(void)
{
    test_index_inlines_prefetch();
    test_plain_pages();
    return harness_done();
}
