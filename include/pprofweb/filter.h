/* filter: pprof's sample filters and frame pruning (profile/filter.go, profile/prune.go and the
 * driver's applyFocus). Owned by the filter helper.
 *
 * Every function here mutates the profile it is given, in place, as pprof does: samples are
 * dropped, stacks and location line lists are shortened (new arrays come from p->arena), labels
 * are removed. Callers that need the original copy it first (pw_profile_copy). Regexps are
 * borrowed, never freed here. pw_profile_remove_uninteresting() (declared in profile.h) lives
 * in prune.c too. */
#ifndef PPROFWEB_FILTER_H
#define PPROFWEB_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "pprofweb/config.h"
#include "pprofweb/err.h"
#include "pprofweb/profile.h"

struct pw_buf;
struct pw_regex;

/* pprof's applyFocus: compiles cfg's focus, ignore, hide, show, show_from, tagfocus,
 * tagignore, tagshow, taghide and prune_from, and applies them in pprof's order. Appends to
 * warnings (may be NULL) the lines pprof prints on stderr ("tagfocus:Interpreted '1kB:' as
 * range, not regexp", "Focus expression matched no samples"), each ending in '\n'. Returns -1
 * with err (PW_EINVAL, "parsing focus regexp: error parsing regexp: ...") for a bad setting;
 * like pprof, a bad tagshow/taghide is reported after the other filters have run. */
int pw_apply_focus(struct pw_profile *p, const struct pw_config *cfg, struct pw_buf *warnings,
                   struct pw_err *err);

/* pprof's FilterSamplesByName. Any regexp may be NULL. Sets the four "matched" flags. */
struct pw_name_matches {
    bool focus, ignore, hide, show;
};
/* The part of pprof's FilterSamplesByName that concerns locations, for readers that walk
 * samples themselves (summary.h): hide and show drop lines of p's locations; state[i] (one
 * byte per location) is PW_LOC_IGNORED, PW_LOC_FOCUSED or PW_LOC_PLAIN; hidden[i] is set for a
 * location left without lines, which a sample's stack then skips. A sample is kept when it has
 * no ignored location and a focused one, and some location not hidden. Returns whether any
 * location is hidden. */
enum { PW_LOC_PLAIN = 0, PW_LOC_FOCUSED, PW_LOC_IGNORED };
bool pw_filter_locations_by_name(struct pw_profile *p, const struct pw_regex *focus,
                                 const struct pw_regex *ignore, const struct pw_regex *hide,
                                 const struct pw_regex *show, unsigned char *state, bool *hidden,
                                 struct pw_name_matches *out);
void pw_filter_samples_by_name(struct pw_profile *p, const struct pw_regex *focus,
                               const struct pw_regex *ignore, const struct pw_regex *hide,
                               const struct pw_regex *show, struct pw_name_matches *out);

/* pprof's ShowFrom: keeps each stack from its rootmost matching frame to the leaf; drops
 * samples without one. Returns whether any location matched; NULL re does nothing. */
bool pw_show_from(struct pw_profile *p, const struct pw_regex *re);

/* pprof's FilterTagsByName: drops labels whose key does not match show or matches hide. */
void pw_filter_tags_by_name(struct pw_profile *p, const struct pw_regex *show,
                            const struct pw_regex *hide, bool *show_matched, bool *hide_matched);

/* A compiled -tagfocus / -tagignore value: "key=regexp,regexp", "regexp", or a numeric range
 * "[key=]1kB", "1kB:", ":64B", "8kB:32kB". Owned by the caller; free with pw_tag_filter_free. */
struct pw_tag_filter;
/* name is the option name for messages ("tagfocus"). Returns NULL with nothing to filter
 * (value NULL or "") and err->code PW_OK; on a bad value returns NULL with err set. A range
 * adds pprof's "Interpreted ... as range" line to warnings (may be NULL). */
struct pw_tag_filter *pw_tag_filter_compile(const struct pw_profile *p, const char *name,
                                            const char *value, struct pw_buf *warnings,
                                            struct pw_err *err);
void pw_tag_filter_free(struct pw_tag_filter *f);
bool pw_tag_filter_match(const struct pw_tag_filter *f, const struct pw_profile *p,
                         const struct pw_sample *s);
/* pprof's FilterSamplesByTag: keeps samples matching focus (if any) and not ignore (if any). */
void pw_filter_samples_by_tag(struct pw_profile *p, const struct pw_tag_filter *focus,
                              const struct pw_tag_filter *ignore, bool *focus_matched,
                              bool *ignore_matched);

/* --- prune.c --- */

/* pprof's simplifyFunc: drops a leading '.' and the argument list from a C++-style name.
 * Returns a pointer into name and stores the kept length in *len. */
const char *pw_simplify_func(const char *name, size_t *len);
/* pprof's Prune: removes every frame beneath (and including) the rootmost frame whose
 * simplified function name matches drop and not keep (keep may be NULL), keeping frames before
 * the first frame that does not match. */
void pw_profile_prune(struct pw_profile *p, const struct pw_regex *drop,
                      const struct pw_regex *keep);
/* pprof's PruneFrom: removes the frames beneath the leafmost frame matching drop. */
void pw_profile_prune_from(struct pw_profile *p, const struct pw_regex *drop);

#endif
