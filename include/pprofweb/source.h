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
    char *file_id;          /* if not NULL, and the one source is a file (no bases): the store
                             * id of its bytes as read (25 bytes; "" otherwise) */
    /* With file_id: set to those bytes, or to NULL, and file_len to their length. The caller
     * frees them: keeping them in the store then neither reads nor hashes the file again. */
    unsigned char **file_bytes;
    size_t *file_len;
    /* The caller makes only graph reports of the result (pw_report_is_graph): a single source
     * without base that Merge would change in nothing such a report shows
     * (pw_profile_merge_graph_neutral) is not merged, which saves a sixth of M's -top. */
    bool graph_reports_only;
};

/* Loads, merges and prepares o's sources. A source that fails is reported on warn (one line,
 * named) and skipped, as pprof does; when none can be read the error is "failed to fetch any
 * source profiles". */
struct pw_profile *pw_source_load(const struct pw_source_options *o, struct pw_buf *warn,
                                  struct pw_err *err);

/* pprof's -base / -diff_base step on merged, not yet finished profiles: base labelled
 * pprof::base=true (diff_base), p scaled to base's totals (normalize), base negated and merged
 * into p. Consumes p and base (freed, also on failure); the result is the caller's, to finish
 * with pw_source_finish. The web server's comparisons (compare.h) go through it too. */
struct pw_profile *pw_source_combine(struct pw_profile *p, struct pw_profile *base,
                                     bool diff_base, bool normalize, struct pw_err *err);
/* What pprof does to the merged profile before any report: symbolize (here: demangle, per
 * -symbolize's value; NULL is pprof's default), drop_frames/keep_frames, forget URL mapping
 * files, check. */
int pw_source_finish(struct pw_profile *p, const char *symbolize, struct pw_err *err);

/* Names a profile just fetched from url (and given a mapping) as pprof does: by the symbol
 * server next to url (symbolz.h) unless symbolize says not to; when that fails or names nothing,
 * by the page's comments (gonames.h), with the failure as a line on warn. Returns how many
 * locations the server named, or -1 with err when symbolize is "remote" and the server failed
 * (pprof gives up too). */
long pw_source_name_fetched(struct pw_profile *p, const char *url, const char *symbolize,
                            int timeout, struct pw_buf *warn, struct pw_err *err);
/* The bytes to keep for a profile fetched from url: when the symbol server named it, the named
 * profile as gzipped profile.proto (as pprof saves a fetched profile), its MemStats block kept
 * as a '#' comment; NULL otherwise (keep data as fetched). Malloc'd, *out_len set. */
unsigned char *pw_source_fetched_bytes(const unsigned char *data, size_t len, const char *url,
                                       const char *symbolize, int timeout, size_t *out_len,
                                       struct pw_buf *warn);

/* Decodes and prepares one profile from bytes (an upload or a stored file) with pprof's default
 * symbolization. */
struct pw_profile *pw_source_prepare_bytes(const unsigned char *data, size_t len,
                                           struct pw_err *err);
/* The same with a -symbolize mode (NULL or "": pprof's default). */
struct pw_profile *pw_source_prepare_bytes_mode(const unsigned char *data, size_t len,
                                                const char *symbolize, struct pw_err *err);

#endif
