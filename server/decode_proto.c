/* decode_proto: raw profile.proto bytes -> struct pw_profile, for decode.c.
 *
 * In: the bytes of one Profile message (already gunzipped). Out: a profile whose every index is
 * valid (string, mapping, location and function references), as pprof's postDecode + CheckValid
 * would accept it, or an error; or, when protobuf-c would not unpack the bytes at all, a note that
 * they are not a profile.proto (decode.c then tries the legacy parsers).
 * Memory: the input is only read while decoding and never referenced by the profile. Sub-messages
 * are unpacked one at a time by protobuf-c into a scratch arena that is reset after each, so the
 * peak is the raw bytes plus the model, not a protobuf-c tree of the whole profile.
 * When protobuf-c rejects the bytes, a small wire-format walker finds where and why, so the user
 * reads "sample 12: truncated field" rather than "bad profile". protobuf-c stays in this file. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.pb-c.h"
#include "pprofweb/buf.h"
#include "pprofweb/decode_internal.h"
#include "pprofweb/limits.h"
#include "pprofweb/parallel.h"

/* --- wire-format walker, for error messages only --- */

struct walker {
    const unsigned char *p, *end, *start;
};

static int read_varint(struct walker *w, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (w->p >= w->end)
            return -1;
        unsigned char c = *w->p++;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -2;
}

/* Which fields of which message are messages themselves: enough to localise an error. */
enum msg_kind { MSG_PROFILE, MSG_SAMPLE, MSG_LOCATION, MSG_OTHER };
static const char *const field_names[] = {
    NULL, "sample_type", "sample", "mapping", "location", "function", "string_table",
    NULL, NULL, NULL, NULL, "period_type",
};

static enum msg_kind submessage(enum msg_kind parent, uint64_t field)
{
    if (parent == MSG_PROFILE && (field <= 5 || field == 11) && field != 0)
        return field == 2 ? MSG_SAMPLE : field == 4 ? MSG_LOCATION : MSG_OTHER;
    if (parent == MSG_SAMPLE && field == 3)
        return MSG_OTHER;
    if (parent == MSG_LOCATION && field == 4)
        return MSG_OTHER;
    return (enum msg_kind)-1;
}

static int walk(struct walker *w, enum msg_kind kind, int depth, char *where, size_t where_len)
{
    size_t counts[16] = {0};
    while (w->p < w->end) {
        size_t off = (size_t)(w->p - w->start);
        uint64_t key, v;
        int rc = read_varint(w, &key);
        if (rc) {
            snprintf(where, where_len, "bad varint at offset %zu", off);
            return -1;
        }
        uint64_t field = key >> 3;
        unsigned wt = key & 7;
        size_t index = field < 16 ? counts[field]++ : 0;
        switch (wt) {
        case 0:
            if (read_varint(w, &v)) {
                snprintf(where, where_len, "bad varint at offset %zu", off);
                return -1;
            }
            break;
        case 1:
        case 5: {
            size_t n = wt == 1 ? 8 : 4;
            if ((size_t)(w->end - w->p) < n) {
                snprintf(where, where_len, "truncated data at offset %zu", off);
                return -1;
            }
            w->p += n;
            break;
        }
        case 2: {
            if (read_varint(w, &v) || v > (uint64_t)(w->end - w->p)) {
                snprintf(where, where_len, "truncated field %llu at offset %zu",
                         (unsigned long long)field, off);
                return -1;
            }
            enum msg_kind sub = submessage(kind, field);
            if (sub != (enum msg_kind)-1 && depth < 3) {
                struct walker inner = {w->p, w->p + v, w->start};
                char detail[160];
                if (walk(&inner, sub, depth + 1, detail, sizeof(detail))) {
                    if (kind == MSG_PROFILE && field < 12 && field_names[field])
                        snprintf(where, where_len, "%s %zu: %s", field_names[field], index,
                                 detail);
                    else
                        snprintf(where, where_len, "%s", detail);
                    return -1;
                }
            }
            w->p += v;
            break;
        }
        default:
            snprintf(where, where_len, "unknown wire type %u at offset %zu", wt, off);
            return -1;
        }
    }
    return 0;
}

/* --- the top level of a Profile, scanned here --- */

/* A profile is one Profile message whose bulk is five repeated fields: sample, mapping, location,
 * function and string_table. Unpacking it whole with protobuf-c builds a tree of millions of small
 * allocations, so the top level is scanned here instead: those five fields are only located in the
 * raw bytes (strings are read from there directly), and every other top-level field is copied, in
 * order, into a small buffer that protobuf-c unpacks as a Profile of its own, so last-wins
 * scalars, merged period_type and packed or unpacked comments keep protobuf-c's semantics. The
 * located sub-messages are then unpacked one at a time by protobuf-c into a scratch arena.
 * Whether bytes are accepted stays exactly protobuf-c 1.4's decision on the whole message: the
 * scanner below rejects what protobuf-c's top-level scan rejects, a misplaced wire type goes to
 * protobuf-c with the small fields, and a semantic error is only reported once every sub-message
 * is known to unpack (else the bytes are not a profile.proto, as before). */

/* protobuf-c 1.4 keeps the fields of one message in slabs of 16, 32, ... 2^26 entries: a message
 * of more fields is rejected ("too many fields"). */
#define PROTOBUF_C_MAX_FIELDS ((size_t)16 * ((1u << 23) - 1))

/* Where a length-delimited value lies in the raw bytes (at most PW_MAX_DECOMPRESSED < 4 GiB). */
struct span {
    uint32_t off, len;
};

struct field {
    uint32_t number;
    unsigned wire_type;
    size_t start, value, end; /* the tag, the value (after a length prefix), the next field */
};

/* Reads the field at *pos as protobuf-c 1.4's message scan does, tag and length prefix included
 * (at most 5 bytes each, a length of at most INT_MAX). Returns 1 at a field, 0 at the end, -1
 * where protobuf-c would reject the message. */
static int next_field(const unsigned char *data, size_t len, size_t *pos, struct field *f)
{
    size_t at = *pos, rem = len - at;
    if (rem == 0)
        return 0;
    const unsigned char *d = data + at;
    if ((d[0] & 0xf8) == 0)
        return -1; /* field number 0 */
    uint32_t tag = (d[0] & 0x7f) >> 3;
    size_t used = 1;
    if (d[0] & 0x80) {
        size_t max = rem > 5 ? 5 : rem;
        unsigned shift = 4;
        for (used = 1; used < max && (d[used] & 0x80); used++, shift += 7)
            tag |= (uint32_t)(d[used] & 0x7f) << shift;
        if (used == max)
            return -1;
        tag |= (uint32_t)d[used] << shift;
        used++;
    }
    f->number = tag;
    f->wire_type = d[0] & 7;
    f->start = at;
    at += used;
    rem -= used;
    d += used;
    f->value = at;
    switch (f->wire_type) {
    case 0: {
        size_t max = rem < 10 ? rem : 10, i = 0;
        while (i < max && (d[i] & 0x80))
            i++;
        if (i == max)
            return -1;
        at += i + 1;
        break;
    }
    case 1:
    case 5: {
        size_t n = f->wire_type == 1 ? 8 : 4;
        if (rem < n)
            return -1;
        at += n;
        break;
    }
    case 2: {
        size_t max = rem < 5 ? rem : 5, i = 0, n = 0;
        for (; i < max; i++) {
            n |= (size_t)(d[i] & 0x7f) << (7 * i);
            if (!(d[i] & 0x80))
                break;
        }
        if (i == max || n > INT_MAX || i + 1 + n > rem)
            return -1;
        f->value = at + i + 1;
        at = f->value + n;
        break;
    }
    default:
        return -1; /* groups (3, 4) and wire types 6, 7 */
    }
    f->end = at;
    *pos = at;
    return 1;
}

/* Field numbers in Profile of the tables scanned here. */
enum { F_SAMPLE = 2, F_MAPPING = 3, F_LOCATION = 4, F_FUNCTION = 5, F_STRING = 6 };

static bool is_table(const struct field *f)
{
    return f->wire_type == 2 && f->number >= F_SAMPLE && f->number <= F_STRING;
}

struct toplevel {
    const unsigned char *data;
    size_t len;
    struct span *strings, *mappings, *locations, *functions;
    size_t n_strings, n_mappings, n_locations, n_functions, n_samples;
    size_t cap_strings, cap_mappings, cap_locations, cap_functions;
    struct pw_buf rest; /* every other top-level field, for protobuf-c */
    const char *too_many; /* the table past PW_MAX_TABLE_ENTRIES, if one is */
};

static void push_span(struct span **a, size_t *n, size_t *cap, const struct field *f)
{
    PW_GROW(*a, *cap, *n + 1);
    (*a)[(*n)++] = (struct span){(uint32_t)f->value, (uint32_t)(f->end - f->value)};
}

/* Returns -1 when protobuf-c would reject the top level, -2 when a table has more than
 * PW_MAX_TABLE_ENTRIES entries (t->too_many names it). */
static int scan_toplevel(struct toplevel *t, const unsigned char *data, size_t len)
{
    memset(t, 0, sizeof(*t));
    t->data = data;
    t->len = len;
    pw_buf_init(&t->rest, len); /* holds at most every byte of the input */
    size_t pos = 0, n_fields = 0;
    struct field f;
    int rc;
    while ((rc = next_field(data, len, &pos, &f)) == 1) {
        if (++n_fields > PROTOBUF_C_MAX_FIELDS)
            return -1;
        if (!is_table(&f))
            pw_buf_add(&t->rest, data + f.start, f.end - f.start);
        else if (f.number == F_SAMPLE)
            t->n_samples++; /* samples are read last, by a second scan */
        else if (f.number == F_MAPPING)
            push_span(&t->mappings, &t->n_mappings, &t->cap_mappings, &f);
        else if (f.number == F_LOCATION)
            push_span(&t->locations, &t->n_locations, &t->cap_locations, &f);
        else if (f.number == F_FUNCTION)
            push_span(&t->functions, &t->n_functions, &t->cap_functions, &f);
        else
            push_span(&t->strings, &t->n_strings, &t->cap_strings, &f);
        if (t->n_samples > PW_MAX_TABLE_ENTRIES || t->n_mappings > PW_MAX_TABLE_ENTRIES ||
            t->n_locations > PW_MAX_TABLE_ENTRIES || t->n_functions > PW_MAX_TABLE_ENTRIES ||
            t->n_strings > PW_MAX_TABLE_ENTRIES) {
            t->too_many = f.number == F_SAMPLE     ? "samples"
                          : f.number == F_MAPPING  ? "mappings"
                          : f.number == F_LOCATION ? "locations"
                          : f.number == F_FUNCTION ? "functions"
                                                   : "strings";
            return -2;
        }
    }
    return rc;
}

static void toplevel_release(struct toplevel *t)
{
    free(t->strings);
    free(t->mappings);
    free(t->locations);
    free(t->functions);
    pw_buf_release(&t->rest);
}

/* --- protobuf-c through an arena --- */

static void *arena_alloc(void *data, size_t size)
{
    return pw_arena_alloc(data, size);
}

static void arena_free(void *data, void *ptr)
{
    (void)data;
    (void)ptr;
}

/* --- building the model --- */

struct builder {
    struct pw_profile *p;
    const Perftools__Profiles__Profile *m; /* the top-level fields other than the tables */
    const struct toplevel *top;
    pw_str *strs;            /* string table index -> interned string */
    struct pw_arena scratch; /* one sub-message at a time */
    ProtobufCAllocator alloc;
    bool bad_wire; /* protobuf-c rejected a sub-message: not a profile.proto */
    struct pw_early_samples *early; /* or NULL */
    struct pw_err *err;
};

/* Prepares the scratch arena for the next sub-message and returns its bytes. */
static const uint8_t *next_message(struct builder *b, struct span s)
{
    pw_arena_reset(&b->scratch);
    return b->top->data + s.off;
}

/* Notes that protobuf-c rejected a sub-message; returns -1. */
static int bad_wire(struct builder *b)
{
    b->bad_wire = true;
    return -1;
}

/* True when every sub-message of the tables unpacks: checked before a semantic error is
 * reported, since protobuf-c, unpacking the whole message first, would have rejected the bytes. */
static bool tables_unpack(struct builder *b)
{
    static const ProtobufCMessageDescriptor *const descs[] = {
        [F_SAMPLE] = &perftools__profiles__sample__descriptor,
        [F_MAPPING] = &perftools__profiles__mapping__descriptor,
        [F_LOCATION] = &perftools__profiles__location__descriptor,
        [F_FUNCTION] = &perftools__profiles__function__descriptor,
    };
    const struct toplevel *t = b->top;
    size_t pos = 0;
    struct field f;
    while (next_field(t->data, t->len, &pos, &f) == 1) {
        if (!is_table(&f) || f.number == F_STRING)
            continue;
        struct span s = {(uint32_t)f.value, (uint32_t)(f.end - f.value)};
        const uint8_t *d = next_message(b, s);
        if (!protobuf_c_message_unpack(descs[f.number], &b->alloc, s.len, d))
            return false;
    }
    return true;
}

static int str_at(struct builder *b, int64_t idx, pw_str *out, const char *what, size_t item)
{
    size_t n = b->top->n_strings;
    if (idx < 0 || (uint64_t)idx >= n) {
        if (item == (size_t)-1)
            return pw_fail(b->err, PW_ECORRUPT,
                           "%s: string index %lld out of range (string table has %zu entries)",
                           what, (long long)idx, n);
        return pw_fail(b->err, PW_ECORRUPT,
                       "%s %zu: string index %lld out of range (string table has %zu entries)",
                       what, item, (long long)idx, n);
    }
    *out = b->strs[idx];
    return 0;
}

/* Maps an id to a dense index: ids 1..n in order are their index + 1, small ids go through a
 * table, others by binary search on a sorted copy. Duplicate ids are rejected, as pprof's
 * CheckValid does. */
struct id_index {
    bool identity;    /* every id is its index + 1, as Go writes them: no table is made */
    uint32_t *direct; /* id -> index + 1, for id < n_direct */
    size_t n_direct;
    uint64_t *sorted_ids;
    uint32_t *sorted_idx;
    size_t n_sorted;
};

static int cmp_id(const void *a, const void *b, void *ids)
{
    uint64_t x = ((const uint64_t *)ids)[*(const uint32_t *)a];
    uint64_t y = ((const uint64_t *)ids)[*(const uint32_t *)b];
    return x < y ? -1 : x > y;
}

static int id_index_build(struct id_index *ix, const uint64_t *ids, uint32_t n, const char *what,
                          struct pw_err *err)
{
    memset(ix, 0, sizeof(*ix));
    ix->n_direct = (size_t)n + 1;
    /* 1..n in order has no zero and no duplicate: nothing to build. */
    uint32_t in_order = 0;
    while (in_order < n && ids[in_order] == (uint64_t)in_order + 1)
        in_order++;
    ix->identity = in_order == n;
    if (ix->identity)
        return 0;
    ix->direct = pw_xcalloc(ix->n_direct, sizeof(*ix->direct));
    uint32_t *rest = pw_xmalloc(sizeof(*rest) * (n ? n : 1));
    ix->sorted_idx = rest; /* owned by ix from here, so every error path releases it */
    size_t n_rest = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (ids[i] == 0)
            return pw_fail(err, PW_ECORRUPT, "found %s with reserved ID=0", what);
        if (ids[i] < ix->n_direct) {
            if (ix->direct[ids[i]])
                return pw_fail(err, PW_ECORRUPT, "multiple %ss with same id: %llu", what,
                               (unsigned long long)ids[i]);
            ix->direct[ids[i]] = i + 1;
        } else {
            rest[n_rest++] = i;
        }
    }
    qsort_r(rest, n_rest, sizeof(*rest), cmp_id, (void *)ids);
    ix->sorted_ids = pw_xmalloc(sizeof(uint64_t) * (n_rest ? n_rest : 1));
    for (size_t i = 0; i < n_rest; i++) {
        ix->sorted_ids[i] = ids[rest[i]];
        if (i && ix->sorted_ids[i] == ix->sorted_ids[i - 1])
            return pw_fail(err, PW_ECORRUPT, "multiple %ss with same id: %llu", what,
                           (unsigned long long)ix->sorted_ids[i]);
    }
    ix->n_sorted = n_rest;
    return 0;
}

static uint32_t id_lookup_sorted(const struct id_index *ix, uint64_t id)
{
    size_t lo = 0, hi = ix->n_sorted;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ix->sorted_ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ix->n_sorted && ix->sorted_ids[lo] == id ? ix->sorted_idx[lo] : PW_NONE;
}

/* Inline: every frame of every sample goes through here, and ids are nearly always small. */
static inline uint32_t id_lookup(const struct id_index *ix, uint64_t id)
{
    if (ix->identity)
        return id - 1 < ix->n_direct - 1 ? (uint32_t)(id - 1) : PW_NONE;
    if (id < ix->n_direct)
        return ix->direct[id] ? ix->direct[id] - 1 : PW_NONE;
    return id_lookup_sorted(ix, id);
}

static void id_index_release(struct id_index *ix)
{
    free(ix->direct);
    free(ix->sorted_ids);
    free(ix->sorted_idx);
}

static int build_tables(struct builder *b, struct id_index *maps, struct id_index *funcs)
{
    const struct toplevel *t = b->top;
    struct pw_profile *p = b->p;
    if (t->n_mappings > UINT32_MAX / 2 || t->n_functions > UINT32_MAX / 2 ||
        t->n_locations > UINT32_MAX / 2)
        return pw_fail(b->err, PW_ETOOBIG, "too many mappings, functions or locations");

    uint64_t *ids = pw_xmalloc(sizeof(uint64_t) * (t->n_mappings + 1));
    for (size_t i = 0; i < t->n_mappings; i++) {
        const uint8_t *d = next_message(b, t->mappings[i]);
        const Perftools__Profiles__Mapping *mm =
            perftools__profiles__mapping__unpack(&b->alloc, t->mappings[i].len, d);
        if (!mm) {
            free(ids);
            return bad_wire(b);
        }
        struct pw_mapping *pm = pw_add_mapping(p);
        ids[i] = pm->id = mm->id;
        pm->start = mm->memory_start;
        pm->limit = mm->memory_limit;
        pm->offset = mm->file_offset;
        if (str_at(b, mm->filename, &pm->file, "mapping", i) ||
            str_at(b, mm->build_id, &pm->build_id, "mapping", i)) {
            free(ids);
            return -1;
        }
        pm->has_functions = mm->has_functions;
        pm->has_filenames = mm->has_filenames;
        pm->has_line_numbers = mm->has_line_numbers;
        pm->has_inline_frames = mm->has_inline_frames;
    }
    int rc = id_index_build(maps, ids, p->n_mappings, "mapping", b->err);
    free(ids);
    if (rc)
        return -1;

    ids = pw_xmalloc(sizeof(uint64_t) * (t->n_functions + 1));
    for (size_t i = 0; i < t->n_functions; i++) {
        const uint8_t *d = next_message(b, t->functions[i]);
        const Perftools__Profiles__Function *mf =
            perftools__profiles__function__unpack(&b->alloc, t->functions[i].len, d);
        if (!mf) {
            free(ids);
            return bad_wire(b);
        }
        struct pw_function *pf = pw_add_function(p);
        ids[i] = pf->id = mf->id;
        pf->start_line = mf->start_line;
        if (str_at(b, mf->name, &pf->name, "function", i) ||
            str_at(b, mf->system_name, &pf->system_name, "function", i) ||
            str_at(b, mf->filename, &pf->filename, "function", i)) {
            free(ids);
            return -1;
        }
    }
    rc = id_index_build(funcs, ids, p->n_functions, "function", b->err);
    free(ids);
    return rc;
}

static int build_location(struct builder *b, const Perftools__Profiles__Location *ml,
                          const struct id_index *maps, const struct id_index *funcs,
                          struct pw_location *pl, struct pw_arena *out)
{
    memset(pl, 0, sizeof(*pl));
    pl->id = ml->id;
    pl->address = ml->address;
    pl->is_folded = ml->is_folded;
    /* An unknown mapping id leaves the location without mapping, as in pprof. */
    pl->mapping = ml->mapping_id ? id_lookup(maps, ml->mapping_id) : PW_NONE;
    if (ml->n_line > PW_MAX_LINES_PER_LOCATION)
        return pw_fail(b->err, PW_ETOOBIG, "location %llu: %zu lines (limit %d)",
                       (unsigned long long)ml->id, ml->n_line, PW_MAX_LINES_PER_LOCATION);
    pl->n_lines = (uint32_t)ml->n_line;
    if (ml->n_line)
        pl->lines = pw_arena_alloc(out, sizeof(*pl->lines) * ml->n_line);
    for (size_t j = 0; j < ml->n_line; j++) {
        uint64_t fid = ml->line[j]->function_id;
        uint32_t f = fid ? id_lookup(funcs, fid) : PW_NONE;
        if (f == PW_NONE) {
            if (fid)
                return pw_fail(b->err, PW_ECORRUPT,
                               "location id: %llu: line %zu: function id %llu not in profile",
                               (unsigned long long)ml->id, j, (unsigned long long)fid);
            return pw_fail(b->err, PW_ECORRUPT, "location id: %llu has a line with nil function",
                           (unsigned long long)ml->id);
        }
        pl->lines[j].function = f;
        pl->lines[j].line = ml->line[j]->line;
    }
    return 0;
}

/* What a thread building a share of a table has of its own: the profile's builder with scratch
 * space, allocator and error of its own, and an arena for the arrays it builds. */
struct part {
    struct builder b;
    struct pw_arena out;
    struct pw_err err;
    int rc;
};

static void part_init(struct part *pt, const struct builder *b)
{
    memset(pt, 0, sizeof(*pt));
    pt->b = *b;
    pt->b.err = &pt->err;
    pt->b.bad_wire = false;
    pw_arena_init(&pt->b.scratch);
    pt->b.alloc = (ProtobufCAllocator){arena_alloc, arena_free, &pt->b.scratch};
    pw_arena_init(&pt->out);
}

/* Joins a part, in file order, into b: the first error (rc) is the one kept, and what it
 * built joins the profile's arena. Returns the new rc. */
static int part_join(struct builder *b, struct part *pt, int rc)
{
    if (!rc && pt->rc) {
        rc = -1;
        b->bad_wire = pt->b.bad_wire;
        *b->err = pt->err;
    }
    pw_arena_take(&b->p->arena, &pt->out);
    pw_arena_release(&pt->out);
    pw_arena_release(&pt->b.scratch);
    return rc;
}

/* One thread's share of the locations, [from, to). */
struct location_part {
    struct part pt;
    const struct id_index *maps, *funcs;
    uint64_t *ids;
    size_t from, to;
};

static bool ordinary_location(struct pw_arena *a, const uint8_t *d, size_t len,
                              Perftools__Profiles__Location *ml);

static void *location_part(void *arg)
{
    struct location_part *lp = arg;
    struct builder *b = &lp->pt.b;
    const struct toplevel *t = b->top;
    for (size_t i = lp->from; i < lp->to; i++) {
        struct span s = t->locations[i];
        const uint8_t *d = next_message(b, s);
        Perftools__Profiles__Location ordinary;
        const Perftools__Profiles__Location *ml =
            ordinary_location(&b->scratch, d, s.len, &ordinary)
                ? &ordinary
                : perftools__profiles__location__unpack(&b->alloc, s.len, d);
        if (!ml ||
            build_location(b, ml, lp->maps, lp->funcs, &b->p->locations[i], &lp->pt.out)) {
            lp->pt.rc = ml ? -1 : bad_wire(b);
            return NULL;
        }
        lp->ids[i] = ml->id;
    }
    return NULL;
}

/* Large profiles build their locations on two threads; the first error in file order is the
 * one reported. */
static int build_locations(struct builder *b, const struct id_index *maps,
                           const struct id_index *funcs, struct id_index *locs)
{
    const struct toplevel *t = b->top;
    struct pw_profile *p = b->p;
    uint64_t *ids = pw_xmalloc(sizeof(uint64_t) * (t->n_locations + 1));
    p->locations = pw_xmalloc(sizeof(*p->locations) * (t->n_locations + 1));
    p->cap_locations = t->n_locations + 1;
    size_t n_parts = pw_parallel_parts(t->n_locations);
    struct location_part parts[PW_PARALLEL_MAX_PARTS];
    for (size_t k = 0; k < n_parts; k++) {
        struct location_part *lp = &parts[k];
        *lp = (struct location_part){.maps = maps, .funcs = funcs, .ids = ids,
                                     .from = t->n_locations * k / n_parts,
                                     .to = t->n_locations * (k + 1) / n_parts};
        part_init(&lp->pt, b);
    }
    pw_parallel_run(location_part, parts, sizeof *parts, n_parts);
    int rc = 0;
    for (size_t k = 0; k < n_parts; k++)
        rc = part_join(b, &parts[k].pt, rc);
    if (!rc) {
        p->n_locations = (uint32_t)t->n_locations;
        rc = id_index_build(locs, ids, p->n_locations, "location", b->err);
    }
    free(ids);
    return rc;
}

/* The checks on a sample's shape, made before anything is read from it. */
static int check_sample(struct builder *b, size_t i, size_t n_value, size_t n_locs,
                        size_t n_labels)
{
    uint32_t nt = b->p->n_sample_types;
    if (n_value != nt)
        return pw_fail(b->err, PW_ECORRUPT,
                       "sample %zu: mismatch: sample has %zu values vs. %u types", i, n_value, nt);
    if (n_locs > PW_MAX_STACK_DEPTH)
        return pw_fail(b->err, PW_ETOOBIG, "sample %zu: stack of %zu frames (limit %d)", i,
                       n_locs, PW_MAX_STACK_DEPTH);
    if (n_labels > PW_MAX_LABELS_PER_SAMPLE)
        return pw_fail(b->err, PW_ETOOBIG, "sample %zu: %zu labels (limit %d)", i, n_labels,
                       PW_MAX_LABELS_PER_SAMPLE);
    return 0;
}

static int sample_loc(struct builder *b, const struct id_index *locs, size_t i, uint64_t id,
                      uint32_t *out)
{
    *out = id_lookup(locs, id);
    if (*out == PW_NONE)
        return pw_fail(b->err, PW_ECORRUPT, "sample %zu: location id %llu not in profile", i,
                       (unsigned long long)id);
    return 0;
}

/* A label of sample i from its string indexes, as pprof reads it: a string value wins; a
 * numeric label needs a value or a unit. Returns 1 with *l set, 0 for a label that is neither,
 * -1 on an error. */
static int sample_label(struct builder *b, size_t i, int64_t key, int64_t str, int64_t num,
                        int64_t unit, struct pw_label *l)
{
    *l = (struct pw_label){0};
    if (str_at(b, key, &l->key, "sample", i))
        return -1;
    if (str != 0)
        return str_at(b, str, &l->str, "sample", i) ? -1 : 1;
    if (num == 0 && unit == 0)
        return 0;
    l->is_num = true;
    l->num = num;
    return str_at(b, unit, &l->unit, "sample", i) ? -1 : 1;
}

/* Builds sample i into s, its arrays from out. */
static int build_sample(struct builder *b, const Perftools__Profiles__Sample *ms, size_t i,
                        const struct id_index *locs, struct pw_sample *s, struct pw_arena *out)
{
    uint32_t nt = b->p->n_sample_types;
    if (check_sample(b, i, ms->n_value, ms->n_location_id, ms->n_label))
        return -1;
    memset(s, 0, sizeof(*s));
    s->values = pw_arena_alloc(out, sizeof(int64_t) * (nt ? nt : 1));
    memcpy(s->values, ms->value, sizeof(int64_t) * nt);
    s->n_locs = (uint32_t)ms->n_location_id;
    s->locs = pw_arena_alloc(out, sizeof(uint32_t) * (s->n_locs ? s->n_locs : 1));
    for (size_t j = 0; j < ms->n_location_id; j++)
        if (sample_loc(b, locs, i, ms->location_id[j], &s->locs[j]))
            return -1;
    if (ms->n_label)
        s->labels = pw_arena_alloc(out, sizeof(*s->labels) * ms->n_label);
    for (size_t j = 0; j < ms->n_label; j++) {
        const Perftools__Profiles__Label *ml = ms->label[j];
        int rc = sample_label(b, i, ml->key, ml->str, ml->num, ml->num_unit,
                              &s->labels[s->n_labels]);
        if (rc < 0)
            return -1;
        s->n_labels += (uint32_t)rc;
    }
    return 0;
}

/* --- samples unpacked while the bytes arrive --- */

/* Go writes a profile's samples first, so most of the unpacking can overlap inflating the rest.
 * Until the string table and the locations are known, a sample keeps what its bytes say: value
 * count, location ids (32 bits) and label string indexes (32 bits, in key, str and unit). */
struct pw_early_samples {
    struct pw_sample *samples;
    uint32_t *n_values;
    size_t n, cap;
    struct pw_arena arena; /* the samples' arrays */
};

void pw_early_samples_free(struct pw_early_samples *e)
{
    if (!e)
        return;
    free(e->samples);
    free(e->n_values);
    pw_arena_release(&e->arena);
    free(e);
}

static bool fits_index(int64_t v)
{
    return v >= 0 && v < (int64_t)UINT32_MAX;
}

/* Keeps ms as it is; false when it is not the ordinary case. */
static bool early_add(struct pw_early_samples *e, const Perftools__Profiles__Sample *ms)
{
    if (ms->n_location_id > PW_MAX_STACK_DEPTH || ms->n_label > PW_MAX_LABELS_PER_SAMPLE ||
        ms->n_value > UINT32_MAX || e->n == PW_MAX_TABLE_ENTRIES)
        return false;
    if (e->n == e->cap) {
        PW_GROW(e->samples, e->cap, e->n + 1);
        e->n_values = pw_xrealloc(e->n_values, sizeof(*e->n_values) * e->cap);
    }
    struct pw_sample *s = &e->samples[e->n];
    memset(s, 0, sizeof(*s));
    s->values = pw_arena_alloc(&e->arena, sizeof(int64_t) * (ms->n_value ? ms->n_value : 1));
    memcpy(s->values, ms->value, sizeof(int64_t) * ms->n_value);
    s->n_locs = (uint32_t)ms->n_location_id;
    s->locs = pw_arena_alloc(&e->arena, sizeof(uint32_t) * (s->n_locs ? s->n_locs : 1));
    for (size_t j = 0; j < ms->n_location_id; j++) {
        if (ms->location_id[j] >= UINT32_MAX)
            return false;
        s->locs[j] = (uint32_t)ms->location_id[j];
    }
    if (ms->n_label)
        s->labels = pw_arena_alloc(&e->arena, sizeof(*s->labels) * ms->n_label);
    for (size_t j = 0; j < ms->n_label; j++) {
        const Perftools__Profiles__Label *ml = ms->label[j];
        if (!fits_index(ml->key) || !fits_index(ml->str) || !fits_index(ml->num_unit))
            return false;
        s->labels[j] = (struct pw_label){.key = (pw_str)ml->key, .str = (pw_str)ml->str,
                                         .unit = (pw_str)ml->num_unit, .num = ml->num};
    }
    s->n_labels = (uint32_t)ms->n_label;
    e->n_values[e->n++] = (uint32_t)ms->n_value;
    return true;
}

struct pw_early_samples *pw_proto_early_samples(struct pw_stream *st)
{
    struct pw_early_samples *e = pw_xcalloc(1, sizeof(*e));
    pw_arena_init(&e->arena);
    struct pw_arena scratch;
    pw_arena_init(&scratch);
    ProtobufCAllocator alloc = {arena_alloc, arena_free, &scratch};
    size_t pos = 0, avail = 0;
    bool done = false, ok;
    for (;;) {
        struct field f;
        int rc = next_field(st->data, avail, &pos, &f);
        if (rc == 1) {
            if (f.number != F_SAMPLE || !is_table(&f))
                continue;
            pw_arena_reset(&scratch);
            const Perftools__Profiles__Sample *ms = perftools__profiles__sample__unpack(
                &alloc, f.end - f.value, st->data + f.value);
            if (!ms || !early_add(e, ms)) {
                ok = false;
                break;
            }
            continue;
        }
        if (done) {
            ok = rc == 0;
            break;
        }
        avail = pw_stream_wait(st, avail, &done);
    }
    pw_arena_release(&scratch);
    if (!ok) {
        pw_early_samples_free(e);
        return NULL;
    }
    return e;
}

/* Checks and resolves early samples [from, to) as build_sample would build them. */
struct resolve_part {
    struct builder b;
    const struct id_index *locs;
    size_t from, to;
    struct pw_err err;
    int rc;
};

static void *resolve_part(void *arg)
{
    struct resolve_part *rp = arg;
    struct builder *b = &rp->b;
    const struct pw_early_samples *e = b->early;
    for (size_t i = rp->from; i < rp->to && !rp->rc; i++) {
        struct pw_sample *s = &e->samples[i];
        if (check_sample(b, i, e->n_values[i], s->n_locs, s->n_labels)) {
            rp->rc = -1;
            break;
        }
        for (uint32_t j = 0; j < s->n_locs && !rp->rc; j++)
            rp->rc = sample_loc(b, rp->locs, i, s->locs[j], &s->locs[j]);
        uint32_t kept = 0;
        for (uint32_t j = 0; j < s->n_labels && !rp->rc; j++) {
            const struct pw_label raw = s->labels[j];
            int rc = sample_label(b, i, raw.key, raw.str, raw.num, raw.unit, &s->labels[kept]);
            if (rc < 0)
                rp->rc = -1;
            kept += (uint32_t)(rc > 0);
        }
        s->n_labels = kept;
    }
    return NULL;
}

/* Makes the early samples the profile's; -1 when one has an error, which build_samples then
 * finds and reports as it would without them. */
static int resolve_early(struct builder *b, const struct id_index *locs)
{
    struct pw_early_samples *e = b->early;
    struct pw_profile *p = b->p;
    size_t n_parts = pw_parallel_parts(e->n);
    struct resolve_part parts[PW_PARALLEL_MAX_PARTS];
    for (size_t k = 0; k < n_parts; k++) {
        parts[k] = (struct resolve_part){.b = *b, .locs = locs, .from = e->n * k / n_parts,
                                         .to = e->n * (k + 1) / n_parts};
        parts[k].b.err = &parts[k].err;
    }
    pw_parallel_run(resolve_part, parts, sizeof *parts, n_parts);
    for (size_t k = 0; k < n_parts; k++)
        if (parts[k].rc)
            return -1;
    p->samples = e->samples;
    p->cap_samples = e->cap;
    p->n_samples = e->n;
    e->samples = NULL;
    e->n = e->cap = 0;
    pw_arena_take(&p->arena, &e->arena);
    return 0;
}

/* One thread's share of the samples: those from index from to index to, the first of which is
 * the top-level field at pos. */
struct sample_part {
    struct part pt;
    const struct id_index *locs;
    size_t pos, from, to;
};

/* --- the ordinary sample, read by hand ---
 * protobuf-c's generic unpack was a fifth of loading a large profile, most of it in samples.
 * A sample as Go and the other producers write it (location ids and values packed, each once;
 * labels of the four varint fields, each once) is read here into the struct protobuf-c would
 * fill; anything else, every input protobuf-c rejects included, goes to protobuf-c. */

/* A varint of at most max bytes ending before end, as protobuf-c reads it; a tenth byte may
 * only hold the 64th bit. */
static inline bool sample_varint(const uint8_t *d, size_t end, size_t *at, uint64_t *v,
                                 unsigned max)
{
    uint64_t r = 0;
    size_t i = *at;
    for (unsigned k = 0; k < max && i < end; k++) {
        uint8_t c = d[i++];
        if (k == 9 && c > 1)
            return false;
        r |= (uint64_t)(c & 0x7f) << (7 * k);
        if (!(c & 0x80)) {
            *at = i;
            *v = r;
            return true;
        }
    }
    return false;
}

/* The count of final bytes (high bit clear) in d[from, to), eight bytes at a time: each byte's
 * flag is moved to its low bit and the eight summed by one multiply into the top byte. */
static size_t varint_ends(const uint8_t *d, size_t from, size_t to)
{
    size_t count = 0, i = from;
    for (; to - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, d + i, 8);
        count += (((~w & 0x8080808080808080u) >> 7) * 0x0101010101010101u) >> 56;
    }
    for (; i < to; i++)
        count += !(d[i] & 0x80);
    return count;
}

/* Reads the varint at *at, which ends before end: one of up to three bytes (location ids, small
 * values) without a branch on its length, which varies from one to the next: its length is
 * where the first stop bit is, and its 7-bit groups are moved together and cut to that length.
 * The bytes read past it are below end too. */
static inline bool next_varint(const uint8_t *d, size_t end, size_t *at, uint64_t *v)
{
    size_t i = *at;
    if (end - i >= 3) {
        uint32_t w = (uint32_t)d[i] | (uint32_t)d[i + 1] << 8 | (uint32_t)d[i + 2] << 16;
        uint32_t stops = ~w & 0x808080u;
        if (stops) {
            unsigned len = ((unsigned)__builtin_ctz(stops) >> 3) + 1;
            uint32_t x = (w & 0x7fu) | (w >> 1 & 0x3f80u) | (w >> 2 & 0x1fc000u);
            *v = x & ((1u << (7 * len)) - 1);
            *at = i + len;
            return true;
        }
    }
    return sample_varint(d, end, at, v, 10);
}

/* Packed lists this long are read as two halves at once. */
#define PACKED_HALVES_MIN 24

/* The varints packed in d[from, to), into the arena. Each varint read ends at one of the final
 * bytes counted, so no index passes the count. Where one varint starts depends on the length of
 * the one before, a chain of loads the processor cannot overlap: a long list is cut after a
 * final byte near its middle, and its halves are read in turns, two chains side by side. */
static bool packed_varints(struct pw_arena *a, const uint8_t *d, size_t from, size_t to,
                           size_t *n, uint64_t **out)
{
    size_t cut = to;
    if (to - from >= PACKED_HALVES_MIN) {
        cut = from + (to - from) / 2;
        while (cut < to && (d[cut - 1] & 0x80))
            cut++;
    }
    size_t count1 = varint_ends(d, from, cut), count = count1 + varint_ends(d, cut, to);
    uint64_t *v = pw_arena_alloc(a, sizeof(*v) * (count ? count : 1));
    size_t at1 = from, k1 = 0, at2 = cut, k2 = count1;
    while (at1 < cut && at2 < to)
        if (!next_varint(d, to, &at1, &v[k1++]) || !next_varint(d, to, &at2, &v[k2++]))
            return false;
    while (at1 < cut)
        if (!next_varint(d, to, &at1, &v[k1++]))
            return false;
    while (at2 < to)
        if (!next_varint(d, to, &at2, &v[k2++]))
            return false;
    *n = k2;
    *out = v;
    return true;
}

static bool ordinary_label(struct pw_arena *a, const uint8_t *d, size_t from, size_t to,
                           Perftools__Profiles__Label **out)
{
    Perftools__Profiles__Label *l = pw_arena_calloc(a, 1, sizeof(*l));
    int64_t *fields[4] = {&l->key, &l->str, &l->num, &l->num_unit};
    unsigned seen = 0;
    size_t at = from;
    while (at < to) {
        uint8_t tag = d[at++];
        unsigned field = tag >> 3;
        uint64_t v;
        if ((tag & 0x87) != 0 || field < 1 || field > 4 || (seen & 1u << field) ||
            !sample_varint(d, to, &at, &v, 10))
            return false;
        seen |= 1u << field;
        *fields[field - 1] = (int64_t)v;
    }
    *out = l;
    return true;
}

/* Reads location bytes d[0, len) of the ordinary shape into ml (lines in a): varint fields 1,
 * 2, 3 and 5, each once, and lines (field 4) of a function id and a line number, each once;
 * false for anything else, which protobuf-c then reads or rejects. */
static bool ordinary_location(struct pw_arena *a, const uint8_t *d, size_t len,
                              Perftools__Profiles__Location *ml)
{
    memset(ml, 0, sizeof(*ml));
    unsigned seen = 0;
    size_t at = 0;
    while (at < len) {
        uint8_t tag = d[at++];
        uint64_t v;
        if (tag == 0x22) {
            /* a line, of a length protobuf-c reads (5 bytes at most) */
            if (!sample_varint(d, len, &at, &v, 5) || v > len - at)
                return false;
            size_t end = at + (size_t)v;
            if (!ml->line) /* every line takes two bytes at least */
                ml->line = pw_arena_alloc(a, sizeof(*ml->line) * (len / 2 + 1));
            Perftools__Profiles__Line *l = pw_arena_calloc(a, 1, sizeof(*l));
            unsigned line_seen = 0;
            while (at < end) {
                uint8_t t = d[at++];
                if ((t != 0x08 && t != 0x10) || (line_seen & t) ||
                    !sample_varint(d, end, &at, &v, 10))
                    return false;
                line_seen |= t;
                if (t == 0x08)
                    l->function_id = v;
                else
                    l->line = (int64_t)v;
            }
            ml->line[ml->n_line++] = l;
            continue;
        }
        unsigned field = tag >> 3;
        if ((tag & 7) != 0 || field < 1 || field > 5 || field == 4 || (seen & (1u << field)) ||
            !sample_varint(d, len, &at, &v, 10))
            return false;
        seen |= 1u << field;
        if (field == 1)
            ml->id = v;
        else if (field == 2)
            ml->mapping_id = v;
        else if (field == 3)
            ml->address = v;
        else
            ml->is_folded = v != 0;
    }
    return true;
}

/* Reads sample bytes d[0, len) of the ordinary shape into ms (arrays in a); false otherwise. */
static bool ordinary_sample(struct pw_arena *a, const uint8_t *d, size_t len,
                            Perftools__Profiles__Sample *ms)
{
    memset(ms, 0, sizeof(*ms));
    bool seen_locs = false, seen_values = false;
    size_t at = 0;
    while (at < len) {
        uint8_t tag = d[at++];
        uint64_t n;
        /* fields 1 to 3, length-delimited, of a length protobuf-c reads (5 bytes at most) */
        if ((tag != 0x0a && tag != 0x12 && tag != 0x1a) || !sample_varint(d, len, &at, &n, 5) ||
            n > len - at)
            return false;
        size_t end = at + (size_t)n;
        if (tag == 0x0a) {
            if (seen_locs || !packed_varints(a, d, at, end, &ms->n_location_id, &ms->location_id))
                return false;
            seen_locs = true;
        } else if (tag == 0x12) {
            uint64_t *v;
            if (seen_values || !packed_varints(a, d, at, end, &ms->n_value, &v))
                return false;
            ms->value = (int64_t *)v;
            seen_values = true;
        } else {
            if (!ms->label) /* every label takes two bytes at least */
                ms->label = pw_arena_alloc(a, sizeof(*ms->label) * (len / 2 + 1));
            if (!ordinary_label(a, d, at, end, &ms->label[ms->n_label++]))
                return false;
        }
        at = end;
    }
    return true;
}

static void *build_part(void *arg)
{
    struct sample_part *sp = arg;
    struct builder *b = &sp->pt.b;
    const struct toplevel *t = b->top;
    size_t pos = sp->pos, i = sp->from;
    struct field f;
    while (i < sp->to && next_field(t->data, t->len, &pos, &f) == 1) {
        if (f.number != F_SAMPLE || !is_table(&f))
            continue;
        struct span s = {(uint32_t)f.value, (uint32_t)(f.end - f.value)};
        const uint8_t *d = next_message(b, s);
        Perftools__Profiles__Sample ordinary;
        const Perftools__Profiles__Sample *ms =
            ordinary_sample(&b->scratch, d, s.len, &ordinary)
                ? &ordinary
                : perftools__profiles__sample__unpack(&b->alloc, s.len, d);
        if (!ms || build_sample(b, ms, i, sp->locs, &b->p->samples[i], &sp->pt.out)) {
            sp->pt.rc = ms ? -1 : bad_wire(b);
            return NULL;
        }
        i++;
    }
    return NULL;
}

/* Samples come last, once every location is known; they are found by scanning the top level
 * again, which costs less than remembering where each one was. Large profiles build them on two
 * threads, each half of them; the first error in sample order is the one reported. */
static int build_samples(struct builder *b, const struct id_index *locs)
{
    const struct toplevel *t = b->top;
    struct pw_profile *p = b->p;
    if (p->n_sample_types == 0 && t->n_samples)
        return pw_fail(b->err, PW_ECORRUPT, "missing sample type information");
    if (b->early && b->early->n == t->n_samples && resolve_early(b, locs) == 0)
        return 0;
    p->samples = pw_xmalloc(sizeof(*p->samples) * (t->n_samples ? t->n_samples : 1));
    p->cap_samples = t->n_samples;
    size_t n_parts = pw_parallel_parts(t->n_samples);
    struct sample_part parts[PW_PARALLEL_MAX_PARTS];
    size_t pos = 0, seen = 0;
    for (size_t k = 0; k < n_parts; k++) {
        size_t from = t->n_samples * k / n_parts;
        /* The position of sample from: found by skipping fields. */
        struct field f;
        size_t at = pos;
        while (seen < from && next_field(t->data, t->len, &at, &f) == 1)
            if (f.number == F_SAMPLE && is_table(&f))
                seen++;
        pos = at;
        struct sample_part *sp = &parts[k];
        *sp = (struct sample_part){.locs = locs, .pos = pos, .from = from,
                                   .to = t->n_samples * (k + 1) / n_parts};
        part_init(&sp->pt, b);
    }
    pw_parallel_run(build_part, parts, sizeof *parts, n_parts);
    int rc = 0;
    for (size_t k = 0; k < n_parts; k++)
        rc = part_join(b, &parts[k].pt, rc);
    if (!rc)
        p->n_samples = t->n_samples;
    return rc;
}

static int build_strings(struct builder *b)
{
    const struct toplevel *t = b->top;
    if (t->n_strings > 0 && t->strings[0].len != 0)
        return pw_fail(b->err, PW_ECORRUPT, "string_table[0] must be ''");
    b->strs = pw_xmalloc(sizeof(pw_str) * (t->n_strings ? t->n_strings : 1));
    b->strs[0] = 0;
    for (size_t i = 1; i < t->n_strings; i++) {
        if (t->strings[i].len > PW_MAX_STRING)
            return pw_fail(b->err, PW_ETOOBIG, "string %zu: %zu bytes (limit %zu)", i,
                           (size_t)t->strings[i].len, (size_t)PW_MAX_STRING);
        b->strs[i] = pw_intern(b->p, (const char *)t->data + t->strings[i].off, t->strings[i].len);
    }
    return 0;
}

static int build_profile(struct builder *b)
{
    const Perftools__Profiles__Profile *m = b->m;
    struct pw_profile *p = b->p;
    if (build_strings(b))
        return -1;

    if (m->n_sample_type > PW_MAX_SAMPLE_TYPES)
        return pw_fail(b->err, PW_ETOOBIG, "%zu sample types (limit %d)", m->n_sample_type,
                       PW_MAX_SAMPLE_TYPES);
    struct pw_value_type *types = pw_xmalloc(sizeof(*types) * (m->n_sample_type + 1));
    for (size_t i = 0; i < m->n_sample_type; i++) {
        if (str_at(b, m->sample_type[i]->type, &types[i].type, "sample_type", i) ||
            str_at(b, m->sample_type[i]->unit, &types[i].unit, "sample_type", i)) {
            free(types);
            return -1;
        }
    }
    pw_set_sample_types(p, types, (uint32_t)m->n_sample_type);
    free(types);

    if (str_at(b, m->drop_frames, &p->drop_frames, "drop_frames", (size_t)-1) ||
        str_at(b, m->keep_frames, &p->keep_frames, "keep_frames", (size_t)-1) ||
        str_at(b, m->default_sample_type, &p->default_sample_type, "default_sample_type",
               (size_t)-1))
        return -1;
    p->has_period_type = true; /* pprof gives every decoded profile a period type */
    if (m->period_type &&
        (str_at(b, m->period_type->type, &p->period_type.type, "period_type", (size_t)-1) ||
         str_at(b, m->period_type->unit, &p->period_type.unit, "period_type", (size_t)-1)))
        return -1;
    p->period = m->period;
    p->time_nanos = m->time_nanos;
    p->duration_nanos = m->duration_nanos;
    for (size_t i = 0; i < m->n_comment; i++) {
        pw_str c;
        if (str_at(b, m->comment[i], &c, "comment", i))
            return -1;
        PW_GROW(p->comments, p->cap_comments, (size_t)p->n_comments + 1);
        p->comments[p->n_comments++] = c;
    }

    struct id_index maps, funcs, locs;
    memset(&maps, 0, sizeof(maps));
    memset(&funcs, 0, sizeof(funcs));
    memset(&locs, 0, sizeof(locs));
    int rc = build_tables(b, &maps, &funcs);
    if (!rc)
        rc = build_locations(b, &maps, &funcs, &locs);
    if (!rc)
        rc = build_samples(b, &locs);
    id_index_release(&maps);
    id_index_release(&funcs);
    id_index_release(&locs);
    return rc;
}

struct pw_profile *pw_decode_proto(const unsigned char *data, size_t len,
                                   struct pw_early_samples *early, bool *not_proto, char *why,
                                   size_t why_len, struct pw_err *err)
{
    *not_proto = false;
    struct toplevel top;
    struct pw_arena tmp; /* the small top-level fields */
    pw_arena_init(&tmp);
    ProtobufCAllocator alloc = {arena_alloc, arena_free, &tmp};
    Perftools__Profiles__Profile *m = NULL;
    int scanned = scan_toplevel(&top, data, len);
    if (scanned == 0)
        m = perftools__profiles__profile__unpack(&alloc, top.rest.len,
                                                 (const uint8_t *)top.rest.data);
    struct pw_profile *p = NULL;
    bool wire_ok = m != NULL || scanned == -2;
    if (scanned == -2)
        pw_fail(err, PW_ETOOBIG, "more than %zu %s (limit)", PW_MAX_TABLE_ENTRIES, top.too_many);
    if (m) {
        /* Errors go to a local pw_err until the bytes are known to be a profile.proto. */
        struct pw_err berr = {0};
        struct builder b = {
            .p = pw_profile_new(), .m = m, .top = &top, .early = early, .err = &berr};
        pw_arena_init(&b.scratch);
        b.alloc = (ProtobufCAllocator){arena_alloc, arena_free, &b.scratch};
        int rc = build_profile(&b);
        wire_ok = !b.bad_wire && (rc == 0 || tables_unpack(&b));
        free(b.strs);
        pw_arena_release(&b.scratch);
        if (rc)
            pw_profile_free(b.p);
        else
            p = b.p;
        if (rc && wire_ok && err)
            *err = berr;
    }
    toplevel_release(&top);
    pw_arena_release(&tmp);
    pw_early_samples_free(early);
    if (!wire_ok) {
        struct walker w = {data, data + len, data};
        if (walk(&w, MSG_PROFILE, 0, why, why_len) == 0)
            snprintf(why, why_len, "invalid protobuf field encoding");
        *not_proto = true;
    }
    return p;
}
