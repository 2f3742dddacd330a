/* query: view settings in URLs. Parses query strings into parameter lists, applies pprof's URL
 * parameters (si f i h s sf prunefrom tf ti ts th g n nf ef trim calltree rel unit sort dropneg
 * mean noinlines compact norm) to a struct pw_config, and writes a config back as a query string.
 * Parsed keys and values live in the arena the caller passes; a config filled by
 * pw_query_apply() borrows its strings from the parameter list. */
#ifndef PPROFWEB_QUERY_H
#define PPROFWEB_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "pprofweb/arena.h"
#include "pprofweb/config.h"
#include "pprofweb/err.h"

struct pw_buf;

/* Longest value of one URL parameter (a regexp); longer is a bad request, not a real filter. */
#define PW_MAX_PARAM_LEN 4096
/* Parameters in one query string. */
#define PW_MAX_PARAMS 256

/* One decoded key=value pair; value is "" for a bare key. */
struct pw_param {
    const char *key;
    const char *value;
};

struct pw_params {
    struct pw_param *v;
    size_t n, cap;
};

/* Appends key=value (copied into arena). Fails with PW_EINVAL past PW_MAX_PARAMS or
 * PW_MAX_PARAM_LEN. */
int pw_params_add(struct pw_params *ps, struct pw_arena *arena, const char *key,
                  const char *value, struct pw_err *err);
/* Parses "a=1&b=%2F+x" (percent-decoding, '+' is a space, as Go's url.ParseQuery). A malformed
 * escape or a NUL byte is PW_EINVAL. raw may be NULL or "". */
int pw_params_parse(struct pw_params *ps, struct pw_arena *arena, const char *raw,
                    struct pw_err *err);
/* The first value of key (url.Values.Get), or NULL when absent. */
const char *pw_params_get(const struct pw_params *ps, const char *key);
/* Memory of v (not of the strings, which are in the arena). */
void pw_params_release(struct pw_params *ps);

/* pprof's applyURL: sets cfg's fields from the parameters present. A bad value (unknown
 * granularity or sort, a number or boolean that does not parse) is PW_EINVAL naming the
 * parameter; cfg may be partly updated then. Unlike pprof, an empty string parameter ("f=")
 * clears the setting, so a link can undo a setting the server was started with. */
int pw_query_apply(struct pw_config *cfg, const struct pw_params *ps, struct pw_err *err);

/* Writes the settings of cfg that differ from base as a query string ("si=alloc_space&f=main"),
 * escaped as Go's url.Values.Encode (keys sorted); a string setting base has and cfg lacks is
 * written empty. base NULL means pprof's defaults. Booleans are t/f. */
void pw_query_format(const struct pw_config *cfg, const struct pw_config *base,
                     struct pw_buf *out);

/* Appends s escaped as Go's url.QueryEscape. */
void pw_url_escape(struct pw_buf *out, const char *s);

/* The URL parameter names pprof uses, with their config field names, NULL-terminated. */
struct pw_query_name {
    const char *param; /* "f" */
    const char *field; /* "focus" */
};
extern const struct pw_query_name pw_query_names[];

#endif
