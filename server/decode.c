/* decode: profile bytes -> struct pw_profile.
 *
 * In: a file or buffer, gzip-compressed (one or more members) or raw. Raw bytes are parsed as
 * profile.proto with protobuf-c (through an arena allocator dropped once the model is built); when
 * they are not a profile.proto, the legacy parsers (legacy.c) are tried, as pprof does.
 * Out: a profile whose every index is valid (string, mapping, location and function references),
 * as pprof's postDecode + CheckValid would accept it.
 * Limits: input and decompressed sizes (limits.h); a gzip bomb stops at PW_MAX_DECOMPRESSED.
 * When protobuf-c rejects the bytes, a small wire-format walker finds where and why, so the user
 * reads "sample 12: truncated field" rather than "bad profile". zlib and protobuf-c stay in this
 * file. */
#include "pprofweb/decode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profile.pb-c.h"
#include "pprofweb/legacy.h"
#include "pprofweb/limits.h"

/* --- gzip --- */

int pw_gunzip(const unsigned char *data, size_t len, size_t max, unsigned char **out,
              size_t *out_len, struct pw_err *err)
{
    *out = NULL;
    *out_len = 0;
    if (len < 2 || data[0] != 0x1f || data[1] != 0x8b)
        return 0;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return pw_fail(err, PW_EIO, "decompressing profile: zlib initialisation failed");
    size_t cap = len * 4 < (1u << 20) ? (1u << 20) : len * 4;
    if (cap > max)
        cap = max;
    unsigned char *buf = pw_xmalloc(cap);
    size_t n = 0;
    zs.next_in = (unsigned char *)data;
    int rc = Z_OK;
    size_t consumed = 0;
    for (;;) {
        size_t in_left = len - consumed;
        zs.next_in = (unsigned char *)data + consumed;
        zs.avail_in = in_left > UINT32_MAX ? UINT32_MAX : (uInt)in_left;
        if (n == cap) {
            if (cap >= max) {
                inflateEnd(&zs);
                free(buf);
                return pw_fail(err, PW_ETOOBIG,
                               "decompressing profile: more than %zu MB uncompressed (limit)",
                               max >> 20);
            }
            cap = cap > max / 2 ? max : cap * 2;
            buf = pw_xrealloc(buf, cap);
        }
        size_t room = cap - n;
        zs.next_out = buf + n;
        zs.avail_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
        uInt avail_in_before = zs.avail_in;
        uInt avail_out_before = zs.avail_out;
        rc = inflate(&zs, Z_NO_FLUSH);
        consumed += avail_in_before - zs.avail_in;
        n += avail_out_before - zs.avail_out;
        if (rc == Z_STREAM_END) {
            /* Another gzip member may follow, as Go's reader accepts. */
            if (consumed + 2 <= len && data[consumed] == 0x1f && data[consumed + 1] == 0x8b) {
                inflateReset(&zs);
                continue;
            }
            break;
        }
        if (rc == Z_BUF_ERROR && zs.avail_in == 0 && consumed == len) {
            inflateEnd(&zs);
            free(buf);
            return pw_fail(err, PW_ECORRUPT, "decompressing profile: unexpected EOF");
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            const char *why = zs.msg ? zs.msg : "corrupt data";
            char msg[128];
            snprintf(msg, sizeof(msg), "%s", why);
            inflateEnd(&zs);
            free(buf);
            return pw_fail(err, PW_ECORRUPT, "decompressing profile: %s", msg);
        }
    }
    inflateEnd(&zs);
    *out = buf;
    *out_len = n;
    return 0;
}

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
    const Perftools__Profiles__Profile *m;
    pw_str *strs; /* string table index -> interned string */
    struct pw_err *err;
};

static int str_at(struct builder *b, int64_t idx, pw_str *out, const char *what, size_t item)
{
    if (idx < 0 || (uint64_t)idx >= b->m->n_string_table) {
        if (item == (size_t)-1)
            return pw_fail(b->err, PW_ECORRUPT,
                           "%s: string index %lld out of range (string table has %zu entries)",
                           what, (long long)idx, b->m->n_string_table);
        return pw_fail(b->err, PW_ECORRUPT,
                       "%s %zu: string index %lld out of range (string table has %zu entries)",
                       what, item, (long long)idx, b->m->n_string_table);
    }
    *out = b->strs[idx];
    return 0;
}

/* Maps an id to a dense index: small ids through a table, others by binary search on a sorted
 * copy. Duplicate ids are rejected, as pprof's CheckValid does. */
struct id_index {
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

static uint32_t id_lookup(const struct id_index *ix, uint64_t id)
{
    if (id < ix->n_direct)
        return ix->direct[id] ? ix->direct[id] - 1 : PW_NONE;
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

static void id_index_release(struct id_index *ix)
{
    free(ix->direct);
    free(ix->sorted_ids);
    free(ix->sorted_idx);
}

static int build_tables(struct builder *b, struct id_index *maps, struct id_index *funcs)
{
    const Perftools__Profiles__Profile *m = b->m;
    struct pw_profile *p = b->p;
    if (m->n_mapping > UINT32_MAX / 2 || m->n_function > UINT32_MAX / 2 ||
        m->n_location > UINT32_MAX / 2)
        return pw_fail(b->err, PW_ETOOBIG, "too many mappings, functions or locations");

    uint64_t *ids = pw_xmalloc(sizeof(uint64_t) * (m->n_mapping + 1));
    for (size_t i = 0; i < m->n_mapping; i++) {
        const Perftools__Profiles__Mapping *mm = m->mapping[i];
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

    ids = pw_xmalloc(sizeof(uint64_t) * (m->n_function + 1));
    for (size_t i = 0; i < m->n_function; i++) {
        const Perftools__Profiles__Function *mf = m->function[i];
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

static int build_locations(struct builder *b, const struct id_index *maps,
                           const struct id_index *funcs, struct id_index *locs)
{
    const Perftools__Profiles__Profile *m = b->m;
    struct pw_profile *p = b->p;
    uint64_t *ids = pw_xmalloc(sizeof(uint64_t) * (m->n_location + 1));
    for (size_t i = 0; i < m->n_location; i++) {
        const Perftools__Profiles__Location *ml = m->location[i];
        struct pw_location *pl = pw_add_location(p);
        ids[i] = pl->id = ml->id;
        pl->address = ml->address;
        pl->is_folded = ml->is_folded;
        /* An unknown mapping id leaves the location without mapping, as in pprof. */
        pl->mapping = ml->mapping_id ? id_lookup(maps, ml->mapping_id) : PW_NONE;
        if (ml->n_line > PW_MAX_LINES_PER_LOCATION) {
            free(ids);
            return pw_fail(b->err, PW_ETOOBIG, "location %llu: %zu lines (limit %d)",
                           (unsigned long long)ml->id, ml->n_line, PW_MAX_LINES_PER_LOCATION);
        }
        pl->n_lines = (uint32_t)ml->n_line;
        if (ml->n_line)
            pl->lines = pw_arena_alloc(&p->arena, sizeof(*pl->lines) * ml->n_line);
        for (size_t j = 0; j < ml->n_line; j++) {
            uint64_t fid = ml->line[j]->function_id;
            uint32_t f = fid ? id_lookup(funcs, fid) : PW_NONE;
            if (f == PW_NONE) {
                free(ids);
                if (fid)
                    return pw_fail(b->err, PW_ECORRUPT,
                                   "location id: %llu: line %zu: function id %llu not in profile",
                                   (unsigned long long)ml->id, j, (unsigned long long)fid);
                return pw_fail(b->err, PW_ECORRUPT,
                               "location id: %llu has a line with nil function",
                               (unsigned long long)ml->id);
            }
            pl->lines[j].function = f;
            pl->lines[j].line = ml->line[j]->line;
        }
    }
    int rc = id_index_build(locs, ids, p->n_locations, "location", b->err);
    free(ids);
    return rc;
}

static int build_samples(struct builder *b, const struct id_index *locs)
{
    const Perftools__Profiles__Profile *m = b->m;
    struct pw_profile *p = b->p;
    uint32_t nt = p->n_sample_types;
    if (nt == 0 && m->n_sample)
        return pw_fail(b->err, PW_ECORRUPT, "missing sample type information");
    p->samples = pw_xmalloc(sizeof(*p->samples) * (m->n_sample ? m->n_sample : 1));
    p->cap_samples = m->n_sample;
    for (size_t i = 0; i < m->n_sample; i++) {
        const Perftools__Profiles__Sample *ms = m->sample[i];
        if (ms->n_value != nt)
            return pw_fail(b->err, PW_ECORRUPT,
                           "sample %zu: mismatch: sample has %zu values vs. %u types", i,
                           ms->n_value, nt);
        if (ms->n_location_id > PW_MAX_STACK_DEPTH)
            return pw_fail(b->err, PW_ETOOBIG, "sample %zu: stack of %zu frames (limit %d)", i,
                           ms->n_location_id, PW_MAX_STACK_DEPTH);
        if (ms->n_label > PW_MAX_LABELS_PER_SAMPLE)
            return pw_fail(b->err, PW_ETOOBIG, "sample %zu: %zu labels (limit %d)", i,
                           ms->n_label, PW_MAX_LABELS_PER_SAMPLE);
        struct pw_sample *s = pw_add_sample(p);
        s->values = pw_arena_alloc(&p->arena, sizeof(int64_t) * (nt ? nt : 1));
        memcpy(s->values, ms->value, sizeof(int64_t) * nt);
        s->n_locs = (uint32_t)ms->n_location_id;
        s->locs = pw_arena_alloc(&p->arena, sizeof(uint32_t) * (s->n_locs ? s->n_locs : 1));
        for (size_t j = 0; j < ms->n_location_id; j++) {
            uint32_t l = id_lookup(locs, ms->location_id[j]);
            if (l == PW_NONE)
                return pw_fail(b->err, PW_ECORRUPT,
                               "sample %zu: location id %llu not in profile", i,
                               (unsigned long long)ms->location_id[j]);
            s->locs[j] = l;
        }
        if (ms->n_label)
            s->labels = pw_arena_alloc(&p->arena, sizeof(*s->labels) * ms->n_label);
        for (size_t j = 0; j < ms->n_label; j++) {
            const Perftools__Profiles__Label *ml = ms->label[j];
            struct pw_label l = {0};
            if (str_at(b, ml->key, &l.key, "sample", i))
                return -1;
            /* As pprof: a string value wins; a numeric label needs a value or a unit. */
            if (ml->str != 0) {
                if (str_at(b, ml->str, &l.str, "sample", i))
                    return -1;
            } else if (ml->num != 0 || ml->num_unit != 0) {
                l.is_num = true;
                l.num = ml->num;
                if (str_at(b, ml->num_unit, &l.unit, "sample", i))
                    return -1;
            } else {
                continue;
            }
            s->labels[s->n_labels++] = l;
        }
    }
    return 0;
}

static int build_profile(struct builder *b)
{
    const Perftools__Profiles__Profile *m = b->m;
    struct pw_profile *p = b->p;
    if (m->n_string_table > 0 && m->string_table[0].len != 0)
        return pw_fail(b->err, PW_ECORRUPT, "string_table[0] must be ''");
    size_t n_str = m->n_string_table ? m->n_string_table : 1;
    b->strs = pw_xmalloc(sizeof(pw_str) * n_str);
    b->strs[0] = 0;
    for (size_t i = 1; i < m->n_string_table; i++) {
        if (m->string_table[i].len > PW_MAX_STRING)
            return pw_fail(b->err, PW_ETOOBIG, "string %zu: %zu bytes (limit %zu)", i,
                           m->string_table[i].len, (size_t)PW_MAX_STRING);
        b->strs[i] = pw_intern(p, (const char *)m->string_table[i].data, m->string_table[i].len);
    }

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

/* Parses raw profile.proto bytes. Returns NULL with *not_proto set when the bytes are not a
 * profile.proto at all (so legacy parsers may try), with why filled. */
static struct pw_profile *decode_proto(const unsigned char *data, size_t len, bool *not_proto,
                                       char *why, size_t why_len, struct pw_err *err)
{
    *not_proto = false;
    struct pw_arena tmp;
    pw_arena_init(&tmp);
    ProtobufCAllocator alloc = {arena_alloc, arena_free, &tmp};
    Perftools__Profiles__Profile *m = perftools__profiles__profile__unpack(&alloc, len, data);
    if (!m) {
        struct walker w = {data, data + len, data};
        if (walk(&w, MSG_PROFILE, 0, why, why_len) == 0)
            snprintf(why, why_len, "invalid protobuf field encoding");
        pw_arena_release(&tmp);
        *not_proto = true;
        return NULL;
    }
    struct builder b = {.p = pw_profile_new(), .m = m, .err = err};
    int rc = build_profile(&b);
    free(b.strs);
    pw_arena_release(&tmp);
    if (rc) {
        pw_profile_free(b.p);
        return NULL;
    }
    return b.p;
}

struct pw_profile *pw_decode(const unsigned char *data, size_t len, struct pw_err *err)
{
    if (len > PW_MAX_INPUT) {
        pw_fail(err, PW_ETOOBIG, "profile is %zu MB (limit %zu MB)", len >> 20,
                PW_MAX_INPUT >> 20);
        return NULL;
    }
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    if (pw_gunzip(data, len, PW_MAX_DECOMPRESSED, &raw, &raw_len, err))
        return NULL;
    if (raw) {
        data = raw;
        len = raw_len;
    }
    struct pw_profile *p = NULL;
    if (len == 0) {
        pw_fail(err, PW_ECORRUPT, "parsing profile: empty input file");
        goto out;
    }
    bool not_proto;
    char why[200] = "";
    p = decode_proto(data, len, &not_proto, why, sizeof(why), err);
    if (!p && not_proto) {
        struct pw_err lerr = {0};
        p = pw_legacy_parse(data, len, &lerr);
        if (!p) {
            if (strcmp(lerr.msg, "unrecognized profile format") == 0)
                pw_fail(err, PW_ECORRUPT,
                        "parsing profile: unrecognized profile format (not profile.proto: %s)",
                        why);
            else
                pw_fail(err, lerr.code, "parsing profile: %s", lerr.msg);
        }
    } else if (!p) {
        pw_err_prefix(err, "malformed profile: ");
    }
    if (p && pw_profile_check_valid(p, err)) {
        pw_err_prefix(err, "malformed profile: ");
        pw_profile_free(p);
        p = NULL;
    }
out:
    free(raw);
    return p;
}

int pw_read_file(const char *path, size_t max, unsigned char **data, size_t *len,
                 struct pw_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return pw_fail(err, errno == ENOENT ? PW_ENOTFOUND : PW_EIO, "%s: %s", path,
                       strerror(errno));
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = pw_xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                fclose(f);
                free(buf);
                return pw_fail(err, PW_ETOOBIG, "%s: larger than %zu MB (limit)", path,
                               max >> 20);
            }
            cap *= 2;
            buf = pw_xrealloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                int e = errno;
                fclose(f);
                free(buf);
                return pw_fail(err, PW_EIO, "%s: %s", path, strerror(e));
            }
            break;
        }
    }
    fclose(f);
    if (n > max) {
        free(buf);
        return pw_fail(err, PW_ETOOBIG, "%s: larger than %zu MB (limit)", path, max >> 20);
    }
    *data = buf;
    *len = n;
    return 0;
}

struct pw_profile *pw_decode_file(const char *path, struct pw_err *err)
{
    unsigned char *data;
    size_t len;
    if (pw_read_file(path, PW_MAX_INPUT, &data, &len, err))
        return NULL;
    struct pw_profile *p = pw_decode(data, len, err);
    free(data);
    if (!p)
        pw_err_prefix(err, "%s: ", path);
    return p;
}
