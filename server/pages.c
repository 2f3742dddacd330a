/* pages: the HTML pages of web/ with their data-inline scripts and style sheets written in,
 * and each page's Content-Security-Policy (pages.h). */
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

/* True when s (n bytes) holds the closing tag "</NAME" in any case: such a file cannot be
 * written inside that element. */
static bool holds_end_tag(const unsigned char *s, size_t n, const char *name)
{
    size_t k = strlen(name);
    for (size_t i = 0; i + 2 + k <= n; i++) {
        if (s[i] != '<' || s[i + 1] != '/')
            continue;
        size_t j = 0;
        while (j < k && tolower(s[i + 2 + j]) == name[j])
            j++;
        if (j == k)
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

/* The two kinds of tag that can ask to be inlined, and what replaces them. */
static const struct inlinable {
    const char *open;   /* the tag's start */
    const char *url;    /* the attribute naming the file */
    const char *closing; /* what must follow the opening tag ("" for none) */
    const char *element; /* the element written instead, around the file */
} inlinables[] = {
    {"<script ", " src=\"/static/", "</script>", "script"},
    {"<link rel=\"stylesheet\" ", " href=\"/static/", "", "style"},
};

/* The file the tag at s asks to have inlined (a tag of kind k carrying data-inline), or NULL;
 * sets *tag_len to the length of what it replaces. */
static const struct pw_asset *inlined_file(const char *s, const char *end,
                                           const struct inlinable *k, size_t *tag_len)
{
    const char *open_end = memchr(s, '>', (size_t)(end - s));
    if (!open_end)
        return NULL;
    size_t open_len = (size_t)(open_end + 1 - s), close_len = strlen(k->closing);
    if ((size_t)(end - open_end - 1) < close_len || memcmp(open_end + 1, k->closing, close_len))
        return NULL;
    const char *name = memmem(s, open_len, k->url, strlen(k->url));
    if (!memmem(s, open_len, " data-inline", 12) || !name)
        return NULL;
    name += strlen(k->url);
    const char *quote = memchr(name, '"', (size_t)(open_end - name));
    const struct pw_asset *a = quote ? find_asset(name, (size_t)(quote - name)) : NULL;
    if (!a || holds_end_tag(a->data, a->len, k->element))
        return NULL;
    *tag_len = open_len + close_len;
    return a;
}

static void build_page(const struct pw_asset *a, struct built_page *out)
{
    struct pw_buf html, hashes;
    pw_buf_init(&html, 0);
    pw_buf_init(&hashes, 0);
    const char *s = (const char *)a->data, *end = s + a->len, *copied = s;
    while ((s = memchr(s, '<', (size_t)(end - s))) != NULL) {
        const struct inlinable *k = NULL;
        for (size_t i = 0; i < sizeof(inlinables) / sizeof(*inlinables) && !k; i++)
            if ((size_t)(end - s) >= strlen(inlinables[i].open) &&
                memcmp(s, inlinables[i].open, strlen(inlinables[i].open)) == 0)
                k = &inlinables[i];
        size_t tag_len = 0;
        const struct pw_asset *file = k ? inlined_file(s, end, k, &tag_len) : NULL;
        if (!file) {
            s++;
            continue;
        }
        pw_buf_add(&html, copied, (size_t)(s - copied));
        pw_buf_addf(&html, "<%s>", k->element);
        pw_buf_add(&html, file->data, file->len);
        pw_buf_addf(&html, "</%s>", k->element);
        s = copied = s + tag_len;
        if (strcmp(k->element, "script") == 0) {
            unsigned char sum[32];
            pw_sha256(file->data, file->len, sum);
            pw_buf_adds(&hashes, " 'sha256-");
            add_base64(&hashes, sum, sizeof(sum));
            pw_buf_addc(&hashes, '\'');
        }
    }
    pw_buf_add(&html, copied, (size_t)(end - copied));
    out->name = a->name;
    out->page = (struct pw_page){a->data, a->len, pw_page_policy};
    if (copied != (const char *)a->data && !html.overflow && !hashes.overflow) {
        const char *policy = pw_page_policy;
        if (hashes.len > 0) {
            struct pw_buf b;
            pw_buf_init(&b, 0);
            pw_buf_addf(&b, "default-src 'self'; script-src 'self'%s; %s", pw_buf_str(&hashes),
                        POLICY_REST);
            policy = pw_buf_detach(&b, NULL);
        }
        size_t len;
        out->page.data = (const unsigned char *)pw_buf_detach(&html, &len);
        out->page.len = len;
        out->page.policy = policy;
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
