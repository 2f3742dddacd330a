/* pages: the HTML pages of web/ with their data-inline scripts inlined, and each page's
 * Content-Security-Policy (pages.h). */
#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/arena.h"
#include "pprofweb/assets.h"
#include "pprofweb/buf.h"
#include "pprofweb/pages.h"
#include "pprofweb/store.h"

#define POLICY_REST                                                                           \
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; object-src 'none'; "       \
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

const char pw_page_policy[] = "default-src 'self'; " POLICY_REST;

struct built_page {
    const char *name;
    struct pw_page page;
};

static struct built_page *pages;
static size_t n_pages;
static pthread_once_t pages_once = PTHREAD_ONCE_INIT;

static const struct pw_asset *find_asset(const char *name, size_t len)
{
    for (const struct pw_asset *a = pw_assets; a->name; a++)
        if (strlen(a->name) == len && memcmp(a->name, name, len) == 0)
            return a;
    return NULL;
}

/* True when s (n bytes) holds "</script", in any case: such a script cannot be inlined. */
static bool closes_script(const unsigned char *s, size_t n)
{
    static const char end[] = "</script";
    for (size_t i = 0; i + sizeof(end) - 1 <= n; i++) {
        size_t k = 0;
        while (k < sizeof(end) - 1 && tolower(s[i + k]) == end[k])
            k++;
        if (k == sizeof(end) - 1)
            return true;
    }
    return false;
}

static void add_base64(struct pw_buf *b, const unsigned char *p, size_t n)
{
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        pw_buf_addc(b, digits[v >> 18]);
        pw_buf_addc(b, digits[(v >> 12) & 63]);
        pw_buf_addc(b, i + 1 < n ? digits[(v >> 6) & 63] : '=');
        pw_buf_addc(b, i + 2 < n ? digits[v & 63] : '=');
    }
}

/* The script a tag names, when the tag (from "<script" to its "</script>", at tag) asks to be
 * inlined: <script ... data-inline ... src="/static/NAME"></script>. Sets *tag_len. */
static const struct pw_asset *inline_script(const char *tag, size_t *tag_len)
{
    const char *open_end = strchr(tag, '>');
    static const char close[] = "</script>";
    if (!open_end || strncmp(open_end + 1, close, sizeof(close) - 1) != 0)
        return NULL;
    size_t open_len = (size_t)(open_end - tag);
    const char *flag = memmem(tag, open_len, " data-inline", 12);
    static const char src[] = " src=\"/static/";
    const char *name = memmem(tag, open_len, src, sizeof(src) - 1);
    if (!flag || !name)
        return NULL;
    name += sizeof(src) - 1;
    const char *quote = memchr(name, '"', (size_t)(open_end - name));
    if (!quote)
        return NULL;
    const struct pw_asset *a = find_asset(name, (size_t)(quote - name));
    if (!a || closes_script(a->data, a->len))
        return NULL;
    *tag_len = (size_t)(open_end + 1 - tag) + sizeof(close) - 1;
    return a;
}

static void build_page(const struct pw_asset *a, struct built_page *out)
{
    struct pw_buf html, hashes;
    pw_buf_init(&html, 0);
    pw_buf_init(&hashes, 0);
    const char *s = (const char *)a->data, *end = s + a->len;
    for (;;) {
        const char *tag = memmem(s, (size_t)(end - s), "<script", 7);
        size_t tag_len = 0;
        const struct pw_asset *script = tag ? inline_script(tag, &tag_len) : NULL;
        if (!tag) {
            pw_buf_add(&html, s, (size_t)(end - s));
            break;
        }
        if (!script) {
            pw_buf_add(&html, s, (size_t)(tag + 7 - s));
            s = tag + 7;
            continue;
        }
        pw_buf_add(&html, s, (size_t)(tag - s));
        pw_buf_adds(&html, "<script>");
        pw_buf_add(&html, script->data, script->len);
        pw_buf_adds(&html, "</script>");
        s = tag + tag_len;
        unsigned char sum[32];
        pw_sha256(script->data, script->len, sum);
        pw_buf_adds(&hashes, " 'sha256-");
        add_base64(&hashes, sum, sizeof(sum));
        pw_buf_addc(&hashes, '\'');
    }
    out->name = a->name;
    out->page = (struct pw_page){a->data, a->len, pw_page_policy};
    if (hashes.len > 0 && !html.overflow && !hashes.overflow) {
        struct pw_buf policy;
        pw_buf_init(&policy, 0);
        pw_buf_addf(&policy, "default-src 'self'; script-src 'self'%s; %s", pw_buf_str(&hashes),
                    POLICY_REST);
        size_t len;
        out->page.data = (const unsigned char *)pw_buf_detach(&html, &len);
        out->page.len = len;
        out->page.policy = pw_buf_detach(&policy, NULL);
    }
    pw_buf_release(&html);
    pw_buf_release(&hashes);
}

static void build_pages(void)
{
    size_t n = 0;
    for (const struct pw_asset *a = pw_assets; a->name; a++)
        n++;
    pages = pw_xcalloc(n, sizeof(*pages));
    for (const struct pw_asset *a = pw_assets; a->name; a++) {
        size_t len = strlen(a->name);
        if (len > 5 && strcmp(a->name + len - 5, ".html") == 0)
            build_page(a, &pages[n_pages++]);
    }
}

const struct pw_page *pw_page_get(const char *name)
{
    pthread_once(&pages_once, build_pages);
    for (size_t i = 0; i < n_pages; i++)
        if (strcmp(pages[i].name, name) == 0)
            return &pages[i].page;
    return NULL;
}
