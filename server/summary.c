/* summary: one snapshot's report total and node values, read in one pass over its samples.
 *
 * A series of 1000 snapshots asks the same few numbers of every snapshot; decoding each into
 * the full model and building its report costs several milliseconds and megabytes of short-lived
 * memory per snapshot. Here the bytes are gunzipped, the profile's tables (sample types,
 * mappings, locations, functions, strings: everything but the samples) go through the ordinary
 * decoder, preparation (symbolize.h), name filters (filter.h), granularity (pprof's Aggregate)
 * and graph node naming (graph.h), so every name and every kept line is what the report would
 * have; then the samples are walked once on the wire, each adding its value to the total and
 * to the flat and cum of its nodes as pprof's graph does (cum once per node per sample).
 *
 * In: stored bytes (checked once when stored, checked again here: anything unexpected hands the
 * snapshot to the full report, never a wrong number). Out: a struct pw_summary in its arena.
 * Not here: label-based settings, show_from, prune_from, -mean, -drop_negative and profiles
 * that are not profile.proto or need symbols: PW_SUMMARY_FULL. Limits: the decoder's
 * (PW_MAX_DECOMPRESSED, PW_MAX_STACK_DEPTH, PW_MAX_TABLE_ENTRIES). */
#include "pprofweb/summary.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/buf.h"
#include "pprofweb/decode.h"
#include "pprofweb/filter.h"
#include "pprofweb/gonames.h"
#include "pprofweb/graph.h"
#include "pprofweb/limits.h"
#include "pprofweb/profile.h"
#include "pprofweb/regex.h"
#include "pprofweb/source.h"
#include "pprofweb/symbolize.h"

/* --- protobuf wire --- */

struct wire {
    const unsigned char *p, *end;
};

static bool varint(struct wire *w, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && w->p < w->end; shift += 7) {
        unsigned char b = *w->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* Reads one field's key and, for length-delimited fields, its body into *body. False at a
 * malformed field. */
static bool field(struct wire *w, uint32_t *num, uint32_t *type, uint64_t *val, struct wire *body)
{
    uint64_t key;
    if (!varint(w, &key) || key >> 32)
        return false;
    *num = (uint32_t)(key >> 3);
    *type = (uint32_t)(key & 7);
    switch (*type) {
    case 0:
        return varint(w, val);
    case 1:
        if (w->end - w->p < 8)
            return false;
        w->p += 8;
        return true;
    case 5:
        if (w->end - w->p < 4)
            return false;
        w->p += 4;
        return true;
    case 2: {
        uint64_t n;
        if (!varint(w, &n) || n > (uint64_t)(w->end - w->p))
            return false;
        body->p = w->p;
        body->end = w->p + n;
        w->p += n;
        return true;
    }
    default:
        return false;
    }
}

/* --- the tables --- */

/* Settings only the full report covers. */
static bool needs_full_report(const struct pw_config *c)
{
    bool filters = (c->focus && *c->focus) || (c->ignore && *c->ignore) ||
                   (c->hide && *c->hide) || (c->show && *c->show);
    return c->mean || c->drop_negative || c->divide_by == 0 ||
           (c->relative_percentages && filters) || (c->show_from && *c->show_from) ||
           (c->prune_from && *c->prune_from) || (c->tagfocus && *c->tagfocus) ||
           (c->tagignore && *c->tagignore) || (c->tagshow && *c->tagshow) ||
           (c->taghide && *c->taghide) || (c->tagroot && *c->tagroot) ||
           (c->tagleaf && *c->tagleaf);
}

/* Everything but the samples, as profile.proto bytes; the samples' bodies in *samples. */
static bool split(const unsigned char *data, size_t len, struct pw_buf *tables,
                  struct wire **samples, size_t *n_samples)
{
    struct wire w = {data, data + len}, body;
    size_t cap = 0;
    *n_samples = 0;
    while (w.p < w.end) {
        const unsigned char *start = w.p;
        uint32_t num, type;
        uint64_t val;
        if (!field(&w, &num, &type, &val, &body))
            return false;
        if (num == 2 && type == 2) {
            if (*n_samples >= PW_MAX_TABLE_ENTRIES)
                return false;
            PW_GROW(*samples, cap, *n_samples + 1);
            (*samples)[(*n_samples)++] = body;
        } else if (num == 2) {
            return false;
        } else {
            pw_buf_add(tables, start, (size_t)(w.p - start));
        }
    }
    return !tables->overflow;
}

/* The tables decoded and prepared as pw_source_prepare_bytes_mode prepares a whole profile;
 * NULL when this reader does not cover them. */
static struct pw_profile *prepare_tables(const struct pw_buf *tables, const char *symbolize)
{
    struct pw_err e = {0};
    struct pw_profile *p = pw_decode((const unsigned char *)tables->data, tables->len, &e);
    if (!p)
        return NULL;
    /* pprof::base labels make the total a diff's: the report's business. */
    bool plain = p->n_sample_types > 0 && !p->drop_frames && !p->keep_frames;
    for (size_t i = 0; plain && i < p->n_strings; i++)
        plain = !(p->string_lens[i] == 11 && !memcmp(p->strings[i], "pprof::base", 11));
    for (uint32_t i = 0; plain && i < p->n_locations; i++) {
        const struct pw_location *l = &p->locations[i];
        plain = l->n_lines > 0;
        for (uint32_t j = 0; plain && j < l->n_lines; j++)
            plain = l->lines[j].function != PW_NONE;
    }
    if (!plain) {
        pw_profile_free(p);
        return NULL;
    }
    pw_profile_ensure_mapping(p);
    if (pw_symbolize_uses_comments(symbolize))
        pw_gonames_apply(p);
    if (pw_source_finish(p, symbolize, &e)) {
        pw_profile_free(p);
        return NULL;
    }
    return p;
}

/* Location index by wire id: a table when ids are dense, as Go writes them. */
struct loc_index {
    uint32_t *by_id; /* id -> index + 1, 0 unknown */
    uint64_t max_id;
};

static bool loc_index_init(struct loc_index *x, const struct pw_profile *p)
{
    x->max_id = 0;
    for (uint32_t i = 0; i < p->n_locations; i++)
        if (p->locations[i].id > x->max_id)
            x->max_id = p->locations[i].id;
    if (x->max_id > 4 * (uint64_t)p->n_locations + 1024)
        return false;
    x->by_id = pw_xcalloc(x->max_id + 1, sizeof(*x->by_id));
    for (uint32_t i = 0; i < p->n_locations; i++)
        x->by_id[p->locations[i].id] = i + 1;
    return true;
}

/* --- the samples --- */

struct walk {
    const struct pw_profile *p;
    const struct pw_graph_infos *infos;
    struct loc_index ix;
    const unsigned char *state;
    const bool *hidden;
    bool all_focused, any_hidden;
    uint32_t sample_index;
    int64_t *flat, *cum;
    uint32_t *mark;
    uint32_t gen;
    uint32_t *locs;
    size_t cap_locs;
    int64_t *values;
    int64_t total;
};

/* Appends the numbers of one location_id or value field (packed or not) to out; at most max. */
static bool ids(uint32_t type, uint64_t val, struct wire *body, uint64_t **out, size_t *n,
                size_t *cap, size_t max)
{
    if (type == 0) {
        if (*n >= max)
            return false;
        PW_GROW(*out, *cap, *n + 1);
        (*out)[(*n)++] = val;
        return true;
    }
    if (type != 2)
        return false;
    /* A varint takes at least a byte: one growth covers the field. */
    size_t most = *n + (size_t)(body->end - body->p);
    PW_GROW(*out, *cap, (most < max ? most : max) + 1);
    uint64_t *o = *out;
    size_t k = *n;
    while (body->p < body->end) {
        if (k >= max)
            return false;
        unsigned char b = *body->p;
        if (b < 0x80) { /* the common one-byte varint */
            o[k++] = b;
            body->p++;
        } else if (!varint(body, &o[k++])) {
            return false;
        }
    }
    *n = k;
    return true;
}

struct scratch {
    uint64_t *loc_ids, *values;
    size_t cap_ids, cap_values;
};

/* One sample: false when it is not what the decoder would accept as is. */
static bool walk_sample(struct walk *k, struct scratch *sc, struct wire w)
{
    size_t n_ids = 0, n_values = 0;
    while (w.p < w.end) {
        uint32_t num, type;
        uint64_t val;
        struct wire body = {0};
        if (!field(&w, &num, &type, &val, &body))
            return false;
        if (num == 1 && !ids(type, val, &body, &sc->loc_ids, &n_ids, &sc->cap_ids,
                             PW_MAX_STACK_DEPTH))
            return false;
        if (num == 2 && !ids(type, val, &body, &sc->values, &n_values, &sc->cap_values,
                             k->p->n_sample_types))
            return false;
    }
    if (n_values != k->p->n_sample_types)
        return false;
    uint32_t n = 0;
    bool focused = false, ignored = false;
    PW_GROW(k->locs, k->cap_locs, n_ids + 1);
    for (size_t i = 0; i < n_ids; i++) {
        uint64_t id = sc->loc_ids[i];
        if (id == 0 || id > k->ix.max_id || !k->ix.by_id[id])
            return false;
        uint32_t loc = k->ix.by_id[id] - 1;
        focused |= k->state[loc] == PW_LOC_FOCUSED;
        ignored |= k->state[loc] == PW_LOC_IGNORED;
        if (!k->hidden[loc])
            k->locs[n++] = loc;
    }
    int64_t v = (int64_t)sc->values[k->sample_index];
    k->total += v < 0 ? -v : v;
    /* pprof's FilterSamplesByName, then graph.New: a sample without value adds to no node. */
    bool kept = k->all_focused ? n_ids > 0 : focused && !ignored;
    if (!kept || n == 0 || v == 0)
        return true;
    k->gen++;
    uint32_t leaf = UINT32_MAX;
    for (uint32_t i = n; i-- > 0;) {
        uint32_t cnt;
        const uint32_t *info = pw_graph_infos_location(k->infos, k->locs[i], &cnt);
        for (uint32_t j = cnt; j-- > 0;) {
            if (k->mark[info[j]] != k->gen) {
                k->mark[info[j]] = k->gen;
                k->cum[info[j]] += v;
            }
            leaf = info[j];
        }
    }
    if (leaf != UINT32_MAX)
        k->flat[leaf] += v;
    return true;
}

/* --- reading --- */

void pw_summary_release(struct pw_summary *s)
{
    pw_arena_release(&s->arena);
    memset(s, 0, sizeof(*s));
}

static int compile(const char *pattern, struct pw_regex **out)
{
    struct pw_err e = {0};
    *out = NULL;
    if (!pattern || !*pattern)
        return 0;
    *out = pw_regex_compile(pattern, &e);
    return *out ? 0 : -1;
}

/* The tables are prepared; walks the samples at cfg into out. */
static int summarize(struct pw_profile *p, struct wire *samples, size_t n_samples,
                     const struct pw_config *cfg, struct pw_summary *out, struct pw_err *err)
{
    struct walk k = {.p = p};
    if (pw_sample_index(p, cfg->sample_index, &k.sample_index, err))
        return -1;
    struct pw_regex *rx[4];
    if (compile(cfg->focus, &rx[0]) | compile(cfg->ignore, &rx[1]) | compile(cfg->hide, &rx[2]) |
        compile(cfg->show, &rx[3])) {
        for (int i = 0; i < 4; i++)
            pw_regex_free(rx[i]);
        return PW_SUMMARY_FULL; /* the report words the error */
    }
    size_t nl = p->n_locations ? p->n_locations : 1;
    unsigned char *state = pw_xcalloc(nl, 1);
    bool *hidden = pw_xcalloc(nl, sizeof(*hidden));
    k.any_hidden =
        pw_filter_locations_by_name(p, rx[0], rx[1], rx[2], rx[3], state, hidden, NULL);
    k.all_focused = !rx[0] && !rx[1];
    k.state = state;
    k.hidden = hidden;
    for (int i = 0; i < 4; i++)
        pw_regex_free(rx[i]);

    int rc = PW_SUMMARY_FULL;
    struct pw_err e = {0};
    struct pw_graph_options go = {.sample_index = k.sample_index, .mean_divisor_index = PW_NONE};
    struct pw_graph_infos *infos = NULL;
    struct scratch sc = {0};
    bool inlines = !cfg->noinlines;
    bool fn = false, file = false, line = false, addr = false, agg = true;
    switch (cfg->granularity) {
    case PW_G_ADDRESSES: fn = file = line = addr = true; agg = !inlines; break;
    case PW_G_LINES: fn = file = line = true; break;
    case PW_G_FILES: file = true; break;
    case PW_G_FUNCTIONS: fn = true; break;
    case PW_G_FILEFUNCTIONS: fn = file = true; break;
    default: goto out; /* the report words the error */
    }
    if ((agg && pw_profile_aggregate(p, inlines, fn, file, line, addr, &e)) ||
        !loc_index_init(&k.ix, p))
        goto out;
    infos = pw_graph_infos_new(p, &go);
    k.infos = infos;
    uint32_t n_infos = pw_graph_infos_count(infos);
    k.flat = pw_xcalloc(n_infos + 1, sizeof(*k.flat));
    k.cum = pw_xcalloc(n_infos + 1, sizeof(*k.cum));
    k.mark = pw_xcalloc(n_infos + 1, sizeof(*k.mark));
    size_t i = 0;
    while (i < n_samples && walk_sample(&k, &sc, samples[i]))
        i++;
    if (i == n_samples) {
        rc = 0;
        out->total = k.total;
        out->sample_type = pw_arena_strdup(&out->arena, pw_s(p, p->sample_types[k.sample_index].type));
        out->unit = pw_arena_strdup(&out->arena, pw_s(p, p->sample_types[k.sample_index].unit));
        out->memstats = p->memstats ? pw_arena_strdup(&out->arena, p->memstats) : NULL;
        size_t n = 0;
        for (uint32_t f = 0; f < n_infos; f++)
            n += k.flat[f] || k.cum[f];
        out->nodes = pw_arena_calloc(&out->arena, n + 1, sizeof(*out->nodes));
        for (uint32_t f = 0; f < n_infos; f++) {
            if (!k.flat[f] && !k.cum[f])
                continue;
            uint32_t len;
            struct pw_summary_node *nd = &out->nodes[out->n_nodes++];
            nd->name = pw_graph_infos_name(infos, f, &out->arena, &len);
            nd->flat = k.flat[f];
            nd->cum = k.cum[f];
        }
    }
out:
    free(sc.loc_ids);
    free(sc.values);
    free(k.locs);
    free(k.flat);
    free(k.cum);
    free(k.mark);
    free(k.ix.by_id);
    free(state);
    free(hidden);
    pw_graph_infos_free(infos);
    return rc;
}

int pw_summary_read(const unsigned char *data, size_t len, const char *symbolize,
                    const struct pw_config *cfg, struct pw_summary *out, struct pw_err *err)
{
    memset(out, 0, sizeof(*out));
    pw_arena_init(&out->arena);
    if (needs_full_report(cfg))
        return PW_SUMMARY_FULL;
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    struct pw_err e = {0};
    if (pw_gunzip(data, len, PW_MAX_DECOMPRESSED, &raw, &raw_len, &e))
        return PW_SUMMARY_FULL;
    const unsigned char *bytes = raw ? raw : data;
    size_t n_bytes = raw ? raw_len : len;
    struct pw_buf tables;
    pw_buf_init(&tables, PW_MAX_DECOMPRESSED);
    struct wire *samples = NULL;
    size_t n_samples = 0;
    int rc = PW_SUMMARY_FULL;
    struct pw_profile *p = NULL;
    if (split(bytes, n_bytes, &tables, &samples, &n_samples) && n_samples > 0 &&
        (p = prepare_tables(&tables, symbolize)))
        rc = summarize(p, samples, n_samples, cfg, out, err);
    pw_profile_free(p);
    free(samples);
    pw_buf_release(&tables);
    free(raw);
    if (rc)
        pw_summary_release(out);
    return rc;
}
