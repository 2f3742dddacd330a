/* profile: the in-memory model of one profile, as pprof's profile.Profile, with dense arrays and
 * indexes instead of pointers. A struct pw_profile owns everything it points to: its arena holds
 * strings and per-sample arrays, its top-level arrays are malloc'd; pw_profile_free() frees all.
 *
 * Strings are interned: a pw_str is an index into p->strings, and two equal strings have the same
 * index, so comparing names is comparing integers. Index 0 is always "".
 * References between objects are indexes into the profile's arrays; PW_NONE means "none"
 * (a location without mapping, a line without function).
 * Once decode or a legacy parser returns a profile, every index in it is valid: later modules
 * trust the model and do not re-check. */
#ifndef PPROFWEB_PROFILE_H
#define PPROFWEB_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pprofweb/arena.h"
#include "pprofweb/err.h"

#define PW_NONE UINT32_MAX

typedef uint32_t pw_str;

struct pw_value_type {
    pw_str type; /* "cpu", "alloc_space", ... */
    pw_str unit; /* "nanoseconds", "bytes", "count", ... */
};

/* Fields ordered so that a label is 24 bytes, not 32: a profile may hold millions. */
struct pw_label {
    int64_t num; /* numeric value when is_num */
    pw_str key;
    pw_str str;  /* string value when !is_num */
    pw_str unit; /* numeric unit when is_num; 0 ("") when none */
    bool is_num;
};

struct pw_sample {
    int64_t *values;        /* p->n_sample_types values */
    uint32_t *locs;         /* location indexes, leaf first */
    uint32_t n_locs;
    uint32_t n_labels;
    struct pw_label *labels; /* in the order the profile gives them */
};

struct pw_mapping {
    uint64_t id;
    uint64_t start, limit, offset;
    pw_str file, build_id;
    bool has_functions, has_filenames, has_line_numbers, has_inline_frames;
};

struct pw_line {
    uint32_t function; /* index into p->functions, or PW_NONE */
    int64_t line;
};

struct pw_location {
    uint64_t id;
    uint32_t mapping; /* index into p->mappings, or PW_NONE */
    uint64_t address;
    struct pw_line *lines; /* lines[0] is the innermost (inlined) frame */
    uint32_t n_lines;
    bool is_folded;
};

struct pw_function {
    uint64_t id;
    pw_str name, system_name, filename;
    int64_t start_line;
};

struct pw_comment_frame; /* gonames.h */

struct pw_profile {
    struct pw_arena arena;

    /* interned strings */
    const char **strings;
    uint32_t *string_lens;
    uint32_t n_strings;
    size_t cap_strings;
    uint32_t *intern_table; /* open addressing: string index + 1, 0 empty */
    size_t intern_cap;

    struct pw_value_type *sample_types;
    uint32_t n_sample_types;
    pw_str default_sample_type;

    struct pw_sample *samples;
    size_t n_samples, cap_samples;

    struct pw_mapping *mappings;
    uint32_t n_mappings;
    size_t cap_mappings;

    struct pw_location *locations;
    uint32_t n_locations;
    size_t cap_locations;

    struct pw_function *functions;
    uint32_t n_functions;
    size_t cap_functions;

    pw_str *comments;
    uint32_t n_comments;
    size_t cap_comments;

    pw_str drop_frames, keep_frames;
    int64_t time_nanos, duration_nanos;
    struct pw_value_type period_type;
    bool has_period_type; /* pprof prints PeriodType only when set */
    int64_t period;

    /* The "# runtime.MemStats" block of a Go ?debug=1 heap profile, or NULL. Kept for display:
     * pprof discards it. */
    const char *memstats;
    /* Go ?debug=1 pages: the frames of their "#\t0x..." comment lines (gonames.h), in the
     * arena; not copied or merged, as they are applied right after decode. */
    const struct pw_comment_frame *comment_frames;
    uint32_t n_comment_frames;
    /* Some locations were named from those comments (kept through copies and merges). */
    bool names_from_comments;
    /* A GODEBUG=gctrace=1 log (gctrace.h), kept as text for its view; the profile itself has
     * no samples. NULL for every other input. */
    const char *gctrace;
};

/* --- life cycle and building (profile.c) --- */
struct pw_profile *pw_profile_new(void);
void pw_profile_free(struct pw_profile *p);
/* Deep copy (pprof's Profile.Copy, which goes through the encoder: labels with an empty string
 * value or a zero number without unit are dropped). */
struct pw_profile *pw_profile_copy(const struct pw_profile *p);
/* pw_profile_copy that borrows p's string bytes and samples' value, location and label arrays:
 * for a report's working copy, whose transformations (filters, pruning, granularity) replace
 * those arrays and never write into them. p must outlive the copy. */
struct pw_profile *pw_profile_derive(const struct pw_profile *p);
/* What pw_profile_copy changes, done in place to a profile the caller would copy and then drop:
 * the labels pprof's encoder loses are removed. */
void pw_profile_drop_unencoded_labels(struct pw_profile *p);

pw_str pw_intern(struct pw_profile *p, const char *s, size_t len);
pw_str pw_intern_cstr(struct pw_profile *p, const char *s);
static inline const char *pw_s(const struct pw_profile *p, pw_str s)
{
    return p->strings[s];
}

/* Appenders return a pointer to the new zeroed element (valid until the next append of that
 * kind) and set mapping/function of new locations/lines to PW_NONE. */
struct pw_sample *pw_add_sample(struct pw_profile *p);
struct pw_mapping *pw_add_mapping(struct pw_profile *p);
struct pw_location *pw_add_location(struct pw_profile *p);
struct pw_function *pw_add_function(struct pw_profile *p);
void pw_add_comment(struct pw_profile *p, const char *s, size_t len);
/* Sets the sample types (copied). */
void pw_set_sample_types(struct pw_profile *p, const struct pw_value_type *types, uint32_t n);

/* --- queries (profile.c) --- */
/* pprof's SampleIndexByName: "" means the default (default_sample_type, else the last);
 * a decimal index or a type name ("inuse_space", or "sample_index=..." forms are the caller's). */
int pw_sample_index(const struct pw_profile *p, const char *name, uint32_t *index,
                    struct pw_err *err);
/* pprof's CheckValid. */
int pw_profile_check_valid(const struct pw_profile *p, struct pw_err *err);
/* pprof's HasFunctions / HasFileLines. */
bool pw_profile_has_functions(const struct pw_profile *p);
bool pw_profile_has_file_lines(const struct pw_profile *p);
bool pw_mapping_unsymbolizable(const struct pw_profile *p, uint32_t mapping);

/* --- transformations (profile_ops.c, merge.c) --- */
/* pprof's compatible(): same period type and sample types, else PW_EINVAL. */
int pw_profile_compatible(const struct pw_profile *a, const struct pw_profile *b,
                          struct pw_err *err);
/* pprof's Profile.String(), the -raw report. */
struct pw_buf;
void pw_profile_format_raw(const struct pw_profile *p, struct pw_buf *out);
/* pprof's Merge: a new profile merging srcs (compatible sample types, scaled units already). */
struct pw_profile *pw_profile_merge(struct pw_profile *const *srcs, size_t n, struct pw_err *err);
/* The same Merge, taking the sources: they are freed (also on failure) and set to NULL. A single
 * source's per-sample arrays are rewritten in place and kept by the result rather than copied,
 * which halves the memory of loading a profile (no producer shares arrays between samples;
 * scaling in place already relies on that). Several sources are only read (they may borrow
 * their arrays, pw_profile_derive); which of their locations and functions are one is worked out
 * beforehand, as for a single one, instead of through key tables as pw_profile_merge does. */
struct pw_profile *pw_profile_merge_consume(struct pw_profile **srcs, size_t n,
                                            struct pw_err *err);
/* Whether Merge of p alone would change nothing that a report built from its call graph shows
 * (top, peek, dot, list), so that such a report may skip it. Merge of one profile renumbers ids
 * in first-seen order, makes equal mappings, functions, locations and samples one, drops zero
 * samples and what no sample reaches, and keeps the first mapping first. A graph keys its nodes
 * by what a location says (name, file, line, address, mapping file), not by ids or order, so
 * none of that changes its numbers or names, but for these, which p has none of when this
 * returns true: a value below zero (a report's total adds samples' absolute values: two samples
 * of opposite signs count less as one), two mappings that are one (addresses move into the
 * first), a zero sample with labels (their units count), a location or function only zero samples or none reach (filters
 * match every location), repeated comments. A graph leaves zero samples out. Mappings no sample reaches are read by -raw only. One pass over
 * the samples' locations. */
bool pw_profile_merge_graph_neutral(const struct pw_profile *p);
/* pprof's Compact: Merge of one profile. */
struct pw_profile *pw_profile_compact(const struct pw_profile *p);
/* pprof's Scale / ScaleN. */
void pw_profile_scale(struct pw_profile *p, double ratio);
int pw_profile_scale_n(struct pw_profile *p, const double *ratios, struct pw_err *err);
/* pprof's Normalize(base). */
int pw_profile_normalize(struct pw_profile *p, const struct pw_profile *base, struct pw_err *err);
/* pprof's RemoveUninteresting (drop_frames / keep_frames). */
int pw_profile_remove_uninteresting(struct pw_profile *p, struct pw_err *err);
/* pprof's Aggregate. */
int pw_profile_aggregate(struct pw_profile *p, bool inline_frame, bool function, bool filename,
                         bool linenumber, bool address, struct pw_err *err);
/* pprof's locateBinaries fallback: a profile without mappings gets one (id 1, no file) that every
 * location points to. */
void pw_profile_ensure_mapping(struct pw_profile *p);
/* Sets label key to value on every sample (pprof's SetLabel, used for diff bases). */
void pw_profile_set_label(struct pw_profile *p, const char *key, const char *value);
/* True when the sample has a string label key=value. */
bool pw_sample_has_label(const struct pw_profile *p, const struct pw_sample *s, pw_str key,
                         pw_str value);

#endif
