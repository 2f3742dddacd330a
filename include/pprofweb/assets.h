/* assets: the files of web/, embedded at build time. The table is static and never freed. */
#ifndef PPROFWEB_ASSETS_H
#define PPROFWEB_ASSETS_H

#include <stddef.h>

struct pw_asset {
    const char *name; /* file name under web/, e.g. "index.html" */
    const unsigned char *data;
    size_t len;
};

/* Terminated by an entry with name == NULL. */
extern const struct pw_asset pw_assets[];

#endif
