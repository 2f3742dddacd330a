/* timeline: the web routes of series. The list (/api/series), one series over time
 * (/api/timeline: totals and the lines of the top growing functions), the growth ranking
 * (/api/growth), the timeline page (/ui/timeline for the default series, /s/SERIES_ID/ui/timeline
 * and /s/SERIES_ID/api/... for any), and the watches (/api/watch). It plugs into the route table
 * in front of the sharing routes (share.h), whose access rules it keeps.
 * Also the command line's -series: files or a directory imported as one series.
 * A struct pw_timeline borrows the share, the store, the watcher and the base config given to
 * it; they must outlive it. */
#ifndef PPROFWEB_TIMELINE_H
#define PPROFWEB_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "pprofweb/buf.h"
#include "pprofweb/config.h"
#include "pprofweb/err.h"
#include "pprofweb/routes.h"
#include "pprofweb/share.h"
#include "pprofweb/store.h"

struct pw_watcher;

struct pw_timeline_options {
    struct pw_share *share;          /* access rules, and the store it serves */
    const struct pw_config *base;    /* the command line's settings (NULL: pprof's defaults) */
    const char *default_series;      /* what /ui/timeline shows; NULL: the latest changed */
    struct pw_watcher *watcher;      /* NULL: no watches can be started */
};

struct pw_timeline;
struct pw_timeline *pw_timeline_new(const struct pw_timeline_options *o);
void pw_timeline_free(struct pw_timeline *t);
/* Makes app serve t's routes, then the share's (pw_share_attach plus t's hook in front). */
void pw_timeline_attach(struct pw_timeline *t, struct pw_app *app);
/* Computes the default series' timeline and ranking at the base settings on a thread of its
 * own, so the first page load finds them ready; pw_timeline_free waits for it. */
void pw_timeline_warm(struct pw_timeline *t);
/* The routes themselves (for tests): true when t answered req. */
bool pw_timeline_route(struct pw_timeline *t, const struct pw_request *req,
                       struct pw_response *resp);

/* -series FILE...|DIR: stores every file (a directory's regular files) and appends them to one
 * series, in the order of each profile's own time, else the file's modification time. The
 * series is named after the directory (of the first file), so importing again finds it; files
 * already in it are not added twice. Files that are not profiles, or not of the series' kind,
 * are reported in warn and skipped; none at all is an error. */
int pw_timeline_import(struct pw_store *store, const char *const *paths, size_t n,
                       char *series_id_out, struct pw_buf *warn, struct pw_err *err);

#endif
