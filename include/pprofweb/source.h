/* source: turning profile sources (files, URLs, uploaded bytes) into the one profile reports see,
 * as pprof's fetchProfiles does: each source decoded and given a mapping if it has none, all
 * merged (even one: pprof's Merge renumbers and compacts), bases subtracted (-base) or labelled
 * (-diff_base), names demangled per -symbolize, drop_frames/keep_frames applied. Returned
 * profiles are owned by the caller. */
#ifndef PPROFWEB_SOURCE_H
#define PPROFWEB_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "pprofweb/buf.h"
#include "pprofweb/err.h"
#include "pprofweb/profile.h"

struct pw_store;

struct pw_source_options {
    const char *const *sources;
    size_t n_sources;
    const char *const *bases;
    size_t n_bases;
    bool diff_base;         /* bases are -diff_base (else -base) */
    bool normalize;
    const char *symbolize;  /* -symbolize's value; NULL or "" is pprof's default */
    int seconds, timeout;   /* for URLs */
    struct pw_store *store; /* fetched URLs are kept here when not NULL */
    char *stored_id;        /* if not NULL: the store id of the last URL kept (25 bytes) */
};

/* Loads, merges and prepares o's sources. A source that fails is reported on warn (one line,
 * named) and skipped, as pprof does; when none can be read the error is "failed to fetch any
 * source profiles". */
struct pw_profile *pw_source_load(const struct pw_source_options *o, struct pw_buf *warn,
                                  struct pw_err *err);

/* Decodes and prepares one profile from bytes (an upload or a stored file) with pprof's default
 * symbolization. */
struct pw_profile *pw_source_prepare_bytes(const unsigned char *data, size_t len,
                                           struct pw_err *err);
/* The same with a -symbolize mode (NULL or "": pprof's default). */
struct pw_profile *pw_source_prepare_bytes_mode(const unsigned char *data, size_t len,
                                                const char *symbolize, struct pw_err *err);

#endif
