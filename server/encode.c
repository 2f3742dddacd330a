/* encode: the model back to profile.proto with protobuf-c (this file and decode.c are the only
 * ones that include it), then gzip with zlib. Ids are kept; the string table holds the strings
 * the profile uses, "" first. All temporary protobuf-c structures live in one arena dropped
 * before returning. HTTP bodies are gzipped with libdeflate, several times faster than zlib at
 * a like ratio. */
#include "pprofweb/encode.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profile.pb-c.h"
#include "pprofweb/limits.h"

struct enc {
    struct pw_arena a;
    int64_t *str_index; /* profile string -> index in the table, -1 when not yet added */
    ProtobufCBinaryData *table;
    size_t n_table, cap_table;
    const struct pw_profile *p;
};

static int64_t str(struct enc *e, pw_str s)
{
    if (e->str_index[s] >= 0)
        return e->str_index[s];
    PW_GROW(e->table, e->cap_table, e->n_table + 1);
    e->table[e->n_table].data = (uint8_t *)e->p->strings[s];
    e->table[e->n_table].len = e->p->string_lens[s];
    e->str_index[s] = (int64_t)e->n_table;
    return (int64_t)e->n_table++;
}

static void *alloc_array(struct enc *e, size_t n, size_t size)
{
    return pw_arena_calloc(&e->a, n ? n : 1, size);
}

static Perftools__Profiles__ValueType *value_type(struct enc *e, const struct pw_value_type *t)
{
    Perftools__Profiles__ValueType *v = alloc_array(e, 1, sizeof(*v));
    perftools__profiles__value_type__init(v);
    v->type = str(e, t->type);
    v->unit = str(e, t->unit);
    return v;
}

static int gzip_bytes(const unsigned char *in, size_t len, unsigned char **out, size_t *out_len,
                      struct pw_err *err)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return pw_fail(err, PW_EIO, "gzip: zlib initialisation failed");
    size_t cap = deflateBound(&zs, (uLong)len) + 64;
    unsigned char *buf = pw_xmalloc(cap);
    zs.next_in = (unsigned char *)in;
    zs.avail_in = (uInt)len;
    zs.next_out = buf;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(buf);
        return pw_fail(err, PW_EIO, "gzip: compression failed");
    }
    *out = buf;
    return 0;
}

int pw_profile_encode(const struct pw_profile *p, bool gzip, unsigned char **out, size_t *len,
                      struct pw_err *err)
{
    struct enc e = {.p = p};
    pw_arena_init(&e.a);
    e.str_index = pw_xmalloc(sizeof(int64_t) * p->n_strings);
    for (uint32_t i = 0; i < p->n_strings; i++)
        e.str_index[i] = -1;
    str(&e, 0);

    Perftools__Profiles__Profile m;
    perftools__profiles__profile__init(&m);
    m.n_sample_type = p->n_sample_types;
    m.sample_type = alloc_array(&e, p->n_sample_types, sizeof(*m.sample_type));
    for (uint32_t i = 0; i < p->n_sample_types; i++)
        m.sample_type[i] = value_type(&e, &p->sample_types[i]);

    m.n_sample = p->n_samples;
    m.sample = alloc_array(&e, p->n_samples, sizeof(*m.sample));
    for (size_t i = 0; i < p->n_samples; i++) {
        const struct pw_sample *s = &p->samples[i];
        Perftools__Profiles__Sample *ms = alloc_array(&e, 1, sizeof(*ms));
        perftools__profiles__sample__init(ms);
        ms->n_location_id = s->n_locs;
        ms->location_id = alloc_array(&e, s->n_locs, sizeof(uint64_t));
        for (uint32_t j = 0; j < s->n_locs; j++)
            ms->location_id[j] = p->locations[s->locs[j]].id;
        ms->n_value = p->n_sample_types;
        ms->value = alloc_array(&e, p->n_sample_types, sizeof(int64_t));
        memcpy(ms->value, s->values, sizeof(int64_t) * p->n_sample_types);
        ms->n_label = s->n_labels;
        ms->label = alloc_array(&e, s->n_labels, sizeof(*ms->label));
        for (uint32_t j = 0; j < s->n_labels; j++) {
            const struct pw_label *l = &s->labels[j];
            Perftools__Profiles__Label *ml = alloc_array(&e, 1, sizeof(*ml));
            perftools__profiles__label__init(ml);
            ml->key = str(&e, l->key);
            if (l->is_num) {
                ml->num = l->num;
                ml->num_unit = str(&e, l->unit);
            } else {
                ml->str = str(&e, l->str);
            }
            ms->label[j] = ml;
        }
        m.sample[i] = ms;
    }

    m.n_mapping = p->n_mappings;
    m.mapping = alloc_array(&e, p->n_mappings, sizeof(*m.mapping));
    for (uint32_t i = 0; i < p->n_mappings; i++) {
        const struct pw_mapping *pm = &p->mappings[i];
        Perftools__Profiles__Mapping *mm = alloc_array(&e, 1, sizeof(*mm));
        perftools__profiles__mapping__init(mm);
        mm->id = pm->id;
        mm->memory_start = pm->start;
        mm->memory_limit = pm->limit;
        mm->file_offset = pm->offset;
        mm->filename = str(&e, pm->file);
        mm->build_id = str(&e, pm->build_id);
        mm->has_functions = pm->has_functions;
        mm->has_filenames = pm->has_filenames;
        mm->has_line_numbers = pm->has_line_numbers;
        mm->has_inline_frames = pm->has_inline_frames;
        m.mapping[i] = mm;
    }

    m.n_location = p->n_locations;
    m.location = alloc_array(&e, p->n_locations, sizeof(*m.location));
    for (uint32_t i = 0; i < p->n_locations; i++) {
        const struct pw_location *pl = &p->locations[i];
        Perftools__Profiles__Location *ml = alloc_array(&e, 1, sizeof(*ml));
        perftools__profiles__location__init(ml);
        ml->id = pl->id;
        ml->mapping_id = pl->mapping == PW_NONE ? 0 : p->mappings[pl->mapping].id;
        ml->address = pl->address;
        ml->is_folded = pl->is_folded;
        ml->n_line = pl->n_lines;
        ml->line = alloc_array(&e, pl->n_lines, sizeof(*ml->line));
        for (uint32_t j = 0; j < pl->n_lines; j++) {
            Perftools__Profiles__Line *ln = alloc_array(&e, 1, sizeof(*ln));
            perftools__profiles__line__init(ln);
            ln->function_id = pl->lines[j].function == PW_NONE
                                  ? 0
                                  : p->functions[pl->lines[j].function].id;
            ln->line = pl->lines[j].line;
            ml->line[j] = ln;
        }
        m.location[i] = ml;
    }

    m.n_function = p->n_functions;
    m.function = alloc_array(&e, p->n_functions, sizeof(*m.function));
    for (uint32_t i = 0; i < p->n_functions; i++) {
        const struct pw_function *pf = &p->functions[i];
        Perftools__Profiles__Function *mf = alloc_array(&e, 1, sizeof(*mf));
        perftools__profiles__function__init(mf);
        mf->id = pf->id;
        mf->name = str(&e, pf->name);
        mf->system_name = str(&e, pf->system_name);
        mf->filename = str(&e, pf->filename);
        mf->start_line = pf->start_line;
        m.function[i] = mf;
    }

    m.drop_frames = str(&e, p->drop_frames);
    m.keep_frames = str(&e, p->keep_frames);
    m.time_nanos = p->time_nanos;
    m.duration_nanos = p->duration_nanos;
    if (p->period_type.type || p->period_type.unit)
        m.period_type = value_type(&e, &p->period_type);
    m.period = p->period;
    m.n_comment = p->n_comments;
    m.comment = alloc_array(&e, p->n_comments, sizeof(int64_t));
    for (uint32_t i = 0; i < p->n_comments; i++)
        m.comment[i] = str(&e, p->comments[i]);
    m.default_sample_type = str(&e, p->default_sample_type);
    m.n_string_table = e.n_table;
    m.string_table = e.table;

    int rc = 0;
    size_t size = perftools__profiles__profile__get_packed_size(&m);
    if (size > PW_MAX_BUF) {
        rc = pw_fail(err, PW_ETOOBIG, "encoded profile would be %zu MB (limit)", size >> 20);
    } else {
        unsigned char *raw = pw_xmalloc(size ? size : 1);
        perftools__profiles__profile__pack(&m, raw);
        if (gzip) {
            rc = gzip_bytes(raw, size, out, len, err);
            free(raw);
        } else {
            *out = raw;
            *len = size;
        }
    }
    free(e.table);
    free(e.str_index);
    pw_arena_release(&e.a);
    return rc;
}

unsigned char *pw_gzip(const void *data, size_t len, size_t *out_len)
{
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);
    if (!c)
        return NULL;
    size_t cap = libdeflate_gzip_compress_bound(c, len);
    unsigned char *out = pw_xmalloc(cap ? cap : 1);
    *out_len = libdeflate_gzip_compress(c, data, len, out, cap);
    libdeflate_free_compressor(c);
    if (!*out_len) {
        free(out);
        return NULL;
    }
    return out;
}
