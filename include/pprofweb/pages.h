/* pages: the HTML pages of web/ as the server sends them. A page's script or style sheet tag
 * that carries the attribute data-inline,
 *   <script async data-inline src="/static/NAME.js"></script>
 *   <link rel="stylesheet" data-inline href="/static/NAME.css">
 * is replaced by the file itself in a <script> or <style> element: a browser opens at most six
 * connections to a server, and each file named in the head took one for a round trip before the
 * view's own modules and data could have it. The page's Content-Security-Policy then allows
 * exactly the inlined scripts, by their SHA-256, and no other inline script. The table is built
 * once and never freed. */
#ifndef PPROFWEB_PAGES_H
#define PPROFWEB_PAGES_H

#include <stddef.h>

/* The policy of an HTML answer without inline scripts. */
extern const char pw_page_policy[];

struct pw_page {
    const unsigned char *data;
    size_t len;
    const char *policy; /* Content-Security-Policy to send with it */
};

/* The page web/NAME (a .html file) with its files written in; NULL when this build lacks it. */
const struct pw_page *pw_page_get(const char *name);

#endif
