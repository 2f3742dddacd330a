/* compare: the web server's comparisons of two profiles, pprof's -base and -diff_base chosen in a
 * URL (base=ID, diff_base=ID, with norm=t for -normalize). The compared profile is built by the
 * command line's own code (source.h's pw_source_combine and pw_source_finish) from copies of the
 * two profiles, once per (id, base id, kind, normalize), and kept in a small cache keyed by those
 * ids (PW_MAX_COMPARED entries, the least recently used dropped first).
 * A comparison is owned by the cache and borrowed by a request between pw_compare_get and
 * pw_compare_release; it stays valid while borrowed even if the cache drops it. Safe to use from
 * many threads: a comparison being built by one request makes the others wait for it. */
#ifndef PPROFWEB_COMPARE_H
#define PPROFWEB_COMPARE_H

#include <stdbool.h>

#include "pprofweb/err.h"
#include "pprofweb/profile.h"
#include "pprofweb/query.h"

enum pw_compare_kind {
    PW_COMPARE_NONE = 0,
    PW_COMPARE_BASE,      /* base=ID: pprof's -base, the base is subtracted */
    PW_COMPARE_DIFF_BASE, /* diff_base=ID: pprof's -diff_base */
};

/* What a URL asks to compare with. */
struct pw_compare_spec {
    enum pw_compare_kind kind;
    const char *base_id; /* borrowed from the parameters */
    bool normalize;      /* norm=t: pprof's -normalize */
};

/* Reads base= and diff_base= from ps (an empty value is none). normalize is the request's
 * effective norm setting. PW_EINVAL when both are given. The id's syntax is the caller's. */
int pw_compare_parse(const struct pw_params *ps, bool normalize, struct pw_compare_spec *spec,
                     struct pw_err *err);
/* "base" or "diff_base": the URL parameter (and pprof flag) of kind. */
const char *pw_compare_kind_name(enum pw_compare_kind kind);

struct pw_compare;
struct pw_compare *pw_compare_new(void);
void pw_compare_free(struct pw_compare *c);

/* The profile id p compared with the profile base_id as spec asks, built on first use, borrowed
 * until pw_compare_release. Both profiles are only read, and only during the call. Fails with
 * PW_ECORRUPT (HTTP 422) when the two have other sample types (the message names both), or with
 * the combining step's error. */
struct pw_compared;
struct pw_compared *pw_compare_get(struct pw_compare *c, const char *id,
                                   const struct pw_profile *p, const char *base_id,
                                   const struct pw_profile *base,
                                   const struct pw_compare_spec *spec, struct pw_err *err);
/* pw_compare_get, and when the comparison must be built, beside(beside_arg) runs on another
 * thread meanwhile (work the caller needs next that does not need the comparison); it has
 * returned when this does. It does not run when the comparison is ready or being built by
 * another request. */
struct pw_compared *pw_compare_get_beside(struct pw_compare *c, const char *id,
                                          const struct pw_profile *p, const char *base_id,
                                          const struct pw_profile *base,
                                          const struct pw_compare_spec *spec,
                                          void (*beside)(void *arg), void *beside_arg,
                                          struct pw_err *err);
/* The compared profile (read-only, shared by concurrent requests). */
const struct pw_profile *pw_compared_profile(const struct pw_compared *h);
/* Gives back what pw_compare_get returned (NULL: nothing). */
void pw_compare_release(struct pw_compare *c, struct pw_compared *h);

#endif
