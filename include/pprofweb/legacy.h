/* legacy: parsers for the pre-protobuf profile formats pprof still reads (gperftools and Go CPU
 * binary, heap/heapz text, contention/mutex/block text, threadz, goroutine/threadcreate counts,
 * Java CPU/heap/contention). The returned profile is owned by the caller (pw_profile_free).
 *
 * The second half of this header is internal to server/legacy*.c: the profile under
 * construction (struct lg), a Go-compatible line scanner, number parsing and a small regexp
 * engine with submatches. Nothing outside those files may use it. */
#ifndef PPROFWEB_LEGACY_H
#define PPROFWEB_LEGACY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pprofweb/arena.h"
#include "pprofweb/err.h"
#include "pprofweb/profile.h"

/* Parses data (already gunzipped) as one of the legacy formats pprof reads. Returns a new profile
 * or NULL with err filled (PW_ECORRUPT); "unrecognized profile format" when no parser applies.
 * Other messages are pprof's own ("malformed profile format", "bufio.Scanner: token too long",
 * ...), without the "parsing profile: " prefix. */
struct pw_profile *pw_legacy_parse(const unsigned char *data, size_t len, struct pw_err *err);

/* ---- internal to server/legacy*.c ---- */

/* Result of one format's parser: it did not recognize the data (the next one is tried). */
#define LG_UNRECOGNIZED 1

/* A string slice (not NUL-terminated). */
struct lg_str {
    const char *s;
    size_t len;
};

struct lg_loc {
    uint64_t addr;
    uint32_t mapping; /* index into lg.maps, or PW_NONE */
    uint32_t fn;      /* index into lg.funcs, or PW_NONE: no line */
    int64_t line;
};

struct lg_sample {
    int64_t v[4];
    uint32_t n_v;
    uint32_t *locs; /* indexes into lg.locs, leaf first */
    uint32_t n_locs;
    bool has_bytes; /* numeric label bytes:[bytes] */
    int64_t bytes;
};

struct lg_mapping {
    uint64_t start, limit, offset;
    struct lg_str file, build_id;
};

struct lg_func {
    struct lg_str name, file;
};

/* A legacy profile under construction, shaped like pprof's Profile so the parsers port one to
 * one: the *_order arrays are pprof's p.Location / p.Mapping / p.Function slices, holding indexes
 * into the stable storage arrays. Strings point into the input or into arena. */
struct lg {
    struct pw_arena arena;
    struct lg_sample *samples;
    size_t n_samples, cap_samples;
    struct lg_loc *locs;
    size_t n_locs, cap_locs;
    uint32_t *loc_order;
    size_t n_loc_order, cap_loc_order;
    struct lg_mapping *maps;
    size_t n_maps, cap_maps;
    uint32_t *map_order;
    size_t n_map_order, cap_map_order;
    struct lg_func *funcs;
    size_t n_funcs, cap_funcs;
    uint32_t *func_order;
    size_t n_func_order, cap_func_order;

    const char *types[4][2]; /* sample types: type, unit (NUL-terminated) */
    uint32_t n_types;
    const char *period_type[2];
    int64_t period, duration_nanos;
    const char *memstats; /* Go heap text: "# runtime.MemStats" to the end, or NULL */
    /* The table past PW_MAX_TABLE_ENTRIES, if one is: parsing goes on with a spare entry, in
     * bounded memory, and the profile is refused when built. */
    const char *too_many;
    struct lg_sample spare;
    size_t cap_spare_locs;
};

void lg_init(struct lg *g);
void lg_release(struct lg *g);
/* Appends a sample with n_locs locations (uninitialized) and n_v values. */
struct lg_sample *lg_add_sample(struct lg *g, uint32_t n_locs);
uint32_t lg_add_loc(struct lg *g, uint64_t addr);
uint32_t lg_add_mapping(struct lg *g);
uint32_t lg_add_func(struct lg *g, struct lg_str name, struct lg_str file);
void lg_set_types(struct lg *g, uint32_t n, const char *const *pairs);
/* Removes location i of sample s (pprof's append(s.Location[:i], s.Location[i+1:]...)). */
void lg_sample_drop_loc(struct lg_sample *s, uint32_t i);

/* Address -> location index, for the parsers' "locs := map[uint64]*Location". */
struct lg_addr_map {
    uint64_t *keys;
    uint32_t *vals; /* index + 1; 0 empty */
    size_t cap, n;
};
void lg_addr_map_release(struct lg_addr_map *m);
/* The location for addr, created (lg_add_loc) when new. */
uint32_t lg_loc_for(struct lg *g, struct lg_addr_map *m, uint64_t addr);
/* The value stored for key, or PW_NONE. */
uint32_t lg_addr_map_get(const struct lg_addr_map *m, uint64_t key);
/* Stores v for a key not yet in the map. */
void lg_addr_map_put(struct lg_addr_map *m, uint64_t key, uint32_t v);

/* Go's bufio.Scanner with ScanLines over a byte slice, including its 64 KiB token limit and what
 * Scan/Text return after that error, since pprof's parsers depend on both. */
struct lg_scanner {
    const char *data;
    size_t len, pos;
    int state; /* 0 reading, 1 EOF, 2 token too long (chunk pending), 3 token too long */
    struct lg_str tok;
};
void lg_scanner_init(struct lg_scanner *s, const char *data, size_t len);
bool lg_scan(struct lg_scanner *s);
/* 0, or -1 with "bufio.Scanner: token too long" in err. */
int lg_scan_err(const struct lg_scanner *s, struct pw_err *err);

/* strings.TrimSpace (Unicode white space, as Go). */
struct lg_str lg_trim(struct lg_str s);
bool lg_has_prefix(struct lg_str s, const char *prefix);
bool lg_contains(struct lg_str s, const char *needle);
bool lg_eq(struct lg_str s, const char *lit);
/* pprof's isSpaceOrComment and isMemoryMapSentinel. */
bool lg_space_or_comment(struct lg_str line);
bool lg_map_sentinel(struct lg_str line);
/* strconv.ParseInt / ParseUint with bitSize 64; on error returns -1 and writes Go's message
 * ("strconv.ParseInt: parsing \"x\": invalid syntax") into msg. */
int lg_parse_int(struct lg_str s, int base, int64_t *v, char *msg, size_t msg_len);
int lg_parse_uint(struct lg_str s, int base, uint64_t *v, char *msg, size_t msg_len);
/* Go's int64(f) on amd64 (out of range and NaN give INT64_MIN). */
int64_t lg_f2i(double f);
/* Go's math.Exp on amd64, bit for bit (its own algorithm, with or without FMA as the CPU has). */
double lg_exp(double x);
/* pprof's scaleHeapSample. */
void lg_scale_heap_sample(int64_t count, int64_t size, int64_t rate, int64_t *c_out,
                          int64_t *s_out);
/* pprof's parseHexAddresses: every 0x[0-9a-f]+ in s, appended to *addrs (grown with
 * PW_GROW). -1 with "failed to parse as hex 64-bit number: ..." in msg on overflow. */
int lg_hex_addresses(struct lg_str s, uint64_t **addrs, size_t *n, size_t *cap, char *msg,
                     size_t msg_len);

/* A compiled regexp of Go's syntax subset pprof's legacy parsers use (literals, . \s \S \d \w,
 * classes with [:xdigit:]/[:digit:], (capture) and (?:group), ? * +, ^ $ \A \z), matched with a
 * Pike VM: linear time, leftmost-first submatches exactly as Go's FindStringSubmatch. */
#define LG_RE_MAX_INST 160
#define LG_RE_MAX_SUB 8
struct lg_re_inst {
    uint8_t op;
    uint16_t x, y;
    uint8_t cls[32];
};
struct lg_re {
    struct lg_re_inst prog[LG_RE_MAX_INST];
    int n;
    int n_sub; /* capture groups, group 0 included */
    bool anchored;
};
/* Compiles a constant pattern; returns -1 for a pattern outside the subset (a bug). */
int lg_re_compile(struct lg_re *re, const char *pattern);
/* Go's FindStringSubmatch: true on a match, sub[i] set for each group (s == NULL when the group
 * did not participate). */
bool lg_re_find(const struct lg_re *re, struct lg_str s, struct lg_str *sub);

/* ParseMemoryMapFromScanner: reads the rest of the scanner as /proc/self/maps (and pprof's other
 * map formats), then massageMappings, remapLocationIDs, remapFunctionIDs, remapMappingIDs. */
int lg_parse_memory_map(struct lg *g, struct lg_scanner *s, struct pw_err *err);
/* parseAdditionalSections: skips to the memory map sentinel, then lg_parse_memory_map. */
int lg_additional_sections(struct lg *g, struct lg_scanner *s, struct pw_err *err);
void lg_remap_location_ids(struct lg *g);
void lg_remap_function_ids(struct lg *g);
int lg_remap_mapping_ids(struct lg *g, struct pw_err *err);
/* cleanupDuplicateLocations. */
void lg_cleanup_duplicate_locations(struct lg *g);

/* The formats, in pprof's parseLegacy order. Each returns 0, LG_UNRECOGNIZED, or -1 (err). */
int lg_parse_cpu(struct lg *g, const unsigned char *b, size_t len, struct pw_err *err);
int lg_parse_heap(struct lg *g, const char *b, size_t len, struct pw_err *err);
int lg_parse_go_count(struct lg *g, const char *b, size_t len, struct pw_err *err);
int lg_parse_thread(struct lg *g, const char *b, size_t len, struct pw_err *err);
int lg_parse_contention(struct lg *g, const char *b, size_t len, struct pw_err *err);
int lg_parse_java(struct lg *g, const char *b, size_t len, struct pw_err *err);
/* parseJavaLocations plus the Aggregate pprof applies to Java profiles. */
int lg_java_locations(struct lg *g, const char *b, size_t len, const struct lg_addr_map *locs,
                      struct pw_err *err);

#endif
