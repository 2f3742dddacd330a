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
#include "pprofweb/wrap.h"

/* --- protobuf wire --- */

struct wire {
    const unsigned char *p, *end;
};

static inline bool varint(struct wire *w, uint64_t *out)
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
static inline bool field(struct wire *w, uint32_t *num, uint32_t *type, uint64_t *val,
                         struct wire *body)
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

/* Everything but the samples (and the time), as profile.proto bytes; the samples' bodies in
 * *samples. */
static bool split(const unsigned char *data, size_t len, struct pw_buf *tables,
                  struct wire **samples, size_t *n_samples)
{
    struct wire w = {data, data + len}, body;
    size_t cap = 0;
    *n_samples = 0;
    /* A sample takes a few dozen bytes at least: one guess spares most growth (bounded: the
     * bytes could be anything). */
    size_t guess = len / 32 + 1;
    PW_GROW(*samples, cap, guess < 65536 ? guess : 65536);
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
        } else if (num != 9 && num != 10) {
            /* Not the time or duration: each snapshot has its own, and no number needs them,
             * while the rest is often the same from one snapshot to the next. */
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

/* The tables of one profile made ready for its samples at one setting: what is the same for
 * every snapshot of a series whose tables do not change. */
struct prepared {
    struct pw_buf tables; /* the bytes they came from */
    int status;           /* 0, PW_SUMMARY_FULL, or -1 with err */
    struct pw_err err;
    struct pw_profile *p;
    struct pw_graph_infos *infos;
    uint32_t n_infos;
    uint32_t *loc_start, *loc_info; /* location i's line infos: loc_info[loc_start[i]...] */
    const char **names; /* per info, in names_arena */
    struct pw_arena names_arena;
    struct loc_index ix;
    unsigned char *state;
    bool *hidden;
    bool all_focused;
    uint32_t sample_index, n_sample_types;
};

struct pw_summary_reader {
    struct prepared prep;
    bool have;
};

static void prepared_release(struct prepared *pr)
{
    pw_buf_release(&pr->tables);
    pw_graph_infos_free(pr->infos);
    pw_profile_free(pr->p);
    free(pr->names);
    free(pr->loc_start);
    free(pr->loc_info);
    pw_arena_release(&pr->names_arena);
    free(pr->ix.by_id);
    free(pr->state);
    free(pr->hidden);
    memset(pr, 0, sizeof(*pr));
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

/* Prepares pr (whose tables are set) at cfg: pprof's name filters and Aggregate on the tables,
 * then the graph's node of every location line. */
static void prepare(struct prepared *pr, const char *symbolize, const struct pw_config *cfg)
{
    pr->status = PW_SUMMARY_FULL;
    pw_arena_init(&pr->names_arena);
    struct pw_profile *p = pr->p = prepare_tables(&pr->tables, symbolize);
    if (!p)
        return;
    if (pw_sample_index(p, cfg->sample_index, &pr->sample_index, &pr->err)) {
        pr->status = -1;
        return;
    }
    pr->n_sample_types = p->n_sample_types;
    struct pw_regex *rx[4];
    bool bad = compile(cfg->focus, &rx[0]) | compile(cfg->ignore, &rx[1]) |
               compile(cfg->hide, &rx[2]) | compile(cfg->show, &rx[3]);
    size_t nl = p->n_locations ? p->n_locations : 1;
    pr->state = pw_xcalloc(nl, 1);
    pr->hidden = pw_xcalloc(nl, sizeof(*pr->hidden));
    if (!bad) /* else the report words the error */
        pw_filter_locations_by_name(p, rx[0], rx[1], rx[2], rx[3], pr->state, pr->hidden, NULL);
    pr->all_focused = !rx[0] && !rx[1];
    for (int i = 0; i < 4; i++)
        pw_regex_free(rx[i]);
    if (bad)
        return;

    struct pw_err e = {0};
    bool inlines = !cfg->noinlines;
    bool fn = false, file = false, line = false, addr = false, agg = true;
    switch (cfg->granularity) {
    case PW_G_ADDRESSES: fn = file = line = addr = true; agg = !inlines; break;
    case PW_G_LINES: fn = file = line = true; break;
    case PW_G_FILES: file = true; break;
    case PW_G_FUNCTIONS: fn = true; break;
    case PW_G_FILEFUNCTIONS: fn = file = true; break;
    default: return; /* the report words the error */
    }
    if ((agg && pw_profile_aggregate(p, inlines, fn, file, line, addr, &e)) ||
        !loc_index_init(&pr->ix, p))
        return;
    struct pw_graph_options go = {.sample_index = pr->sample_index,
                                  .mean_divisor_index = PW_NONE};
    pr->infos = pw_graph_infos_new(p, &go);
    pr->n_infos = pw_graph_infos_count(pr->infos);
    /* The same as plain arrays, read for every frame of every sample. */
    pr->loc_start = pw_xcalloc((size_t)p->n_locations + 1, sizeof(*pr->loc_start));
    size_t total = 0;
    for (uint32_t i = 0; i < p->n_locations; i++) {
        uint32_t cnt;
        pw_graph_infos_location(pr->infos, i, &cnt);
        pr->loc_start[i] = (uint32_t)total;
        total += cnt;
    }
    pr->loc_start[p->n_locations] = (uint32_t)total;
    pr->loc_info = pw_xcalloc(total + 1, sizeof(*pr->loc_info));
    for (uint32_t i = 0; i < p->n_locations; i++) {
        uint32_t cnt;
        const uint32_t *info = pw_graph_infos_location(pr->infos, i, &cnt);
        memcpy(pr->loc_info + pr->loc_start[i], info, cnt * sizeof(*info));
    }
    pr->names = pw_xcalloc(pr->n_infos + 1, sizeof(*pr->names));
    pr->status = 0;
}

/* A sample's running sums. */
struct walk {
    const struct prepared *pr;
    int64_t *flat, *cum;
    uint32_t *mark;
    uint32_t gen;
    uint32_t *locs;
    size_t cap_locs;
    uint64_t *loc_ids;
    size_t cap_ids;
    int64_t total;
};

/* Appends the numbers of one location_id field (packed or not) to out; at most max. */
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

/* Counts the values of one value field (packed or not) into *n, keeping the one at index;
 * false past max or at a malformed varint. */
static bool value_at(uint32_t type, uint64_t val, struct wire body, uint32_t index,
                     uint32_t max, uint32_t *n, uint64_t *out)
{
    if (type == 0) {
        if (*n == index)
            *out = val;
        return ++*n <= max;
    }
    if (type != 2)
        return false;
    while (body.p < body.end) {
        if (*n >= max)
            return false;
        if (*n == index) {
            if (!varint(&body, out))
                return false;
        } else {
            while (body.p < body.end && (*body.p & 0x80))
                body.p++;
            if (body.p == body.end)
                return false;
            body.p++;
        }
        ++*n;
    }
    return true;
}

/* One sample: false when it is not what the decoder would accept as is. */
static bool walk_sample(struct walk *k, struct wire w)
{
    const struct prepared *pr = k->pr;
    size_t n_ids = 0;
    uint64_t value = 0;
    uint32_t n_values = 0;
    while (w.p < w.end) {
        uint32_t num, type;
        uint64_t val;
        struct wire body = {0};
        if (!field(&w, &num, &type, &val, &body))
            return false;
        if (num == 1 && !ids(type, val, &body, &k->loc_ids, &n_ids, &k->cap_ids,
                             PW_MAX_STACK_DEPTH))
            return false;
        if (num == 2 && !value_at(type, val, body, pr->sample_index, pr->n_sample_types,
                                  &n_values, &value))
            return false;
    }
    if (n_values != pr->n_sample_types)
        return false;
    uint32_t n = 0;
    bool focused = false, ignored = false;
    PW_GROW(k->locs, k->cap_locs, n_ids + 1);
    for (size_t i = 0; i < n_ids; i++) {
        uint64_t id = k->loc_ids[i];
        if (id == 0 || id > pr->ix.max_id || !pr->ix.by_id[id])
            return false;
        uint32_t loc = pr->ix.by_id[id] - 1;
        focused |= pr->state[loc] == PW_LOC_FOCUSED;
        ignored |= pr->state[loc] == PW_LOC_IGNORED;
        if (!pr->hidden[loc])
            k->locs[n++] = loc;
    }
    int64_t v = (int64_t)value;
    /* A total that would wrap is left to the report: pprof merges samples of one stack before
     * summing |value|, and with wrapping sums that order changes the result. */
    int64_t total;
    if (pw_wabs(v) < 0 || __builtin_add_overflow(k->total, pw_wabs(v), &total))
        return false;
    k->total = total;
    /* pprof's FilterSamplesByName, then graph.New: a sample without value adds to no node. */
    bool kept = pr->all_focused ? n_ids > 0 : focused && !ignored;
    if (!kept || n == 0 || v == 0)
        return true;
    k->gen++;
    uint32_t leaf = UINT32_MAX;
    for (uint32_t i = n; i-- > 0;) {
        const uint32_t *info = pr->loc_info + pr->loc_start[k->locs[i]];
        for (uint32_t j = pr->loc_start[k->locs[i] + 1] - pr->loc_start[k->locs[i]]; j-- > 0;) {
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

struct pw_summary_reader *pw_summary_reader_new(void)
{
    return pw_xcalloc(1, sizeof(struct pw_summary_reader));
}

void pw_summary_reader_free(struct pw_summary_reader *r)
{
    if (!r)
        return;
    if (r->have)
        prepared_release(&r->prep);
    free(r);
}

/* Walks the samples with pr into out. */
static int summarize(struct prepared *pr, const struct wire *samples, size_t n_samples,
                     struct pw_summary *out)
{
    struct walk k = {.pr = pr};
    k.flat = pw_xcalloc(pr->n_infos + 1, sizeof(*k.flat));
    k.cum = pw_xcalloc(pr->n_infos + 1, sizeof(*k.cum));
    k.mark = pw_xcalloc(pr->n_infos + 1, sizeof(*k.mark));
    size_t i = 0;
    while (i < n_samples && walk_sample(&k, samples[i]))
        i++;
    int rc = PW_SUMMARY_FULL;
    if (i == n_samples) {
        const struct pw_profile *p = pr->p;
        rc = 0;
        out->total = k.total;
        out->sample_type = pw_s(p, p->sample_types[pr->sample_index].type);
        out->unit = pw_s(p, p->sample_types[pr->sample_index].unit);
        out->memstats = p->memstats;
        size_t n = 0;
        for (uint32_t f = 0; f < pr->n_infos; f++)
            n += k.flat[f] || k.cum[f];
        out->nodes = pw_arena_calloc(&out->arena, n + 1, sizeof(*out->nodes));
        for (uint32_t f = 0; f < pr->n_infos; f++) {
            if (!k.flat[f] && !k.cum[f])
                continue;
            uint32_t len;
            if (!pr->names[f])
                pr->names[f] = pw_graph_infos_name(pr->infos, f, &pr->names_arena, &len);
            out->nodes[out->n_nodes++] = (struct pw_summary_node){pr->names[f], k.flat[f],
                                                                  k.cum[f]};
        }
    }
    free(k.locs);
    free(k.loc_ids);
    free(k.flat);
    free(k.cum);
    free(k.mark);
    return rc;
}

int pw_summary_read(struct pw_summary_reader *r, const unsigned char *data, size_t len,
                    const char *symbolize, const struct pw_config *cfg, struct pw_summary *out,
                    struct pw_err *err)
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
    struct prepared local = {0}, *pr = &local;
    if (split(bytes, n_bytes, &tables, &samples, &n_samples) && n_samples > 0) {
        /* A reader keeps the last tables prepared: a series' snapshots mostly share them. */
        if (r && r->have && tables.len && r->prep.tables.len == tables.len &&
            !memcmp(r->prep.tables.data, tables.data, tables.len)) {
            pr = &r->prep;
            pw_buf_release(&tables);
        } else {
            if (r && r->have)
                prepared_release(&r->prep);
            pr = r ? &r->prep : &local;
            pr->tables = tables;
            prepare(pr, symbolize, cfg);
            if (r)
                r->have = true;
        }
        rc = pr->status;
        if (rc < 0)
            *err = pr->err;
        else if (rc == 0)
            rc = summarize(pr, samples, n_samples, out);
    } else {
        pw_buf_release(&tables);
    }
    /* Without a reader the summary's strings move to its arena before the tables go. */
    if (rc == 0 && pr == &local) {
        out->sample_type = pw_arena_strdup(&out->arena, out->sample_type);
        out->unit = pw_arena_strdup(&out->arena, out->unit);
        out->memstats = out->memstats ? pw_arena_strdup(&out->arena, out->memstats) : NULL;
        for (size_t i = 0; i < out->n_nodes; i++)
            out->nodes[i].name = pw_arena_strdup(&out->arena, out->nodes[i].name);
    }
    if (pr == &local)
        prepared_release(&local);
    free(samples);
    free(raw);
    if (rc)
        pw_summary_release(out);
    return rc;
}
