/* config: the settings of one report or view, as pprof's config struct. The same struct is filled
 * from command-line flags (main.c) and from URL parameters (query.c). Strings point to memory the
 * caller owns (argv, or the request arena) and must outlive the config's use. */
#ifndef PPROFWEB_CONFIG_H
#define PPROFWEB_CONFIG_H

#include <stdbool.h>

#include "pprofweb/err.h"

enum pw_granularity {
    PW_G_FUNCTIONS = 0,
    PW_G_FILEFUNCTIONS,
    PW_G_FILES,
    PW_G_LINES,
    PW_G_ADDRESSES,
};

struct pw_config {
    /* display */
    bool call_tree;
    bool relative_percentages;
    const char *unit;         /* "minimum" by default */
    bool compact_labels;
    const char *source_path;  /* NULL: none */
    const char *trim_path;
    bool mean;
    const char *sample_index; /* "" or NULL: the default sample type */
    double divide_by;         /* 1 */
    bool normalize;
    bool sort_cum;            /* sort=cum */
    const char *tagroot, *tagleaf;

    /* filtering */
    bool drop_negative;
    int nodecount;            /* -1: the view's default (top: all, graph: 80) */
    double nodefraction;      /* 0.005 */
    double edgefraction;      /* 0.001 */
    bool trim;                /* true */
    const char *focus, *ignore, *prune_from, *hide, *show, *show_from;
    const char *tagfocus, *tagignore, *tagshow, *taghide;
    bool noinlines;
    enum pw_granularity granularity;
};

/* pprof's defaultConfig(). */
void pw_config_default(struct pw_config *c);
/* "functions" -> PW_G_FUNCTIONS; -1 if unknown. */
int pw_granularity_parse(const char *s);
const char *pw_granularity_name(enum pw_granularity g);

#endif
