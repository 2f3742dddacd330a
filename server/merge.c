/* merge: pprof's profile.Merge and Compact. Several profiles with compatible sample types become
 * one new profile: identical mappings, functions, locations and samples (same stack and labels)
 * are merged, ids are renumbered 1..n in first-seen order, and zero samples are dropped.
 * In: source profiles, not modified (pw_profile_merge) or taken and freed, a single one's sample
 * arrays reused (pw_profile_merge_consume). Out: a new profile the caller frees.
 * Keys are serialised into bytes and hashed; each table is an open-addressing index into the
 * destination arrays, so merging is linear in the size of the inputs. Tables are sized from the
 * sources up front and per-sample work uses scratch buffers in struct merger: no malloc per
 * sample. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/buf.h"
#include "pprofweb/parallel.h"
#include "pprofweb/profile.h"
#include "pprofweb/wrap.h"


/* A hash map of byte-string keys to indexes 0, 1, 2, ... in insertion order, which are the
 * indexes of the destination mappings, functions or locations. Slots are 8 bytes (the high half
 * of the hash, index + 1; 0 is empty) and keys are stored once, in an arena, found by index: a
 * new key, the common case, costs one slot read. */
struct keymap {
    struct pw_arena arena;
    struct kslot {
        uint32_t tag, index1;
    } *slots;
    struct kentry {
        const unsigned char *key;
        size_t len;
        uint64_t hash;
    } *entries; /* by index */
    size_t cap, n, cap_entries;
};

/* Keys are mostly 64-bit words, so hash a word at a time. */
static uint64_t hash_key(const void *k, size_t n)
{
    const unsigned char *s = k;
    uint64_t h = 0x243f6a8885a308d3ull ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    while (n--) {
        h = (h ^ *s++) * 0x100000001b3ull;
    }
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    return h ^ (h >> 32);
}

/* Sized for expected keys at half load, so merging one profile never rehashes. */
static void keymap_init(struct keymap *m, size_t expected)
{
    memset(m, 0, sizeof(*m));
    pw_arena_init(&m->arena);
    m->cap = 1024;
    while (m->cap < expected * 2)
        m->cap *= 2;
    m->slots = pw_xcalloc(m->cap, sizeof(*m->slots));
}

static void keymap_release(struct keymap *m)
{
    pw_arena_release(&m->arena);
    free(m->slots);
    free(m->entries);
}

static void keymap_grow(struct keymap *m)
{
    size_t cap = m->cap * 2;
    struct kslot *s = pw_xcalloc(cap, sizeof(*s));
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].index1)
            continue;
        size_t j = m->entries[m->slots[i].index1 - 1].hash & (cap - 1);
        while (s[j].index1)
            j = (j + 1) & (cap - 1);
        s[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = s;
    m->cap = cap;
}

/* Returns the index of key, or adds key (copied) with index m->n and returns that; *found tells
 * which. */
static uint32_t keymap_get_or_put(struct keymap *m, const void *key, size_t len, bool *found)
{
    if ((m->n + 1) * 2 > m->cap)
        keymap_grow(m);
    uint64_t h = hash_key(key, len);
    uint32_t tag = (uint32_t)(h >> 32);
    size_t j = h & (m->cap - 1);
    for (; m->slots[j].index1; j = (j + 1) & (m->cap - 1)) {
        const struct kentry *e = &m->entries[m->slots[j].index1 - 1];
        if (m->slots[j].tag == tag && e->len == len && memcmp(e->key, key, len) == 0) {
            *found = true;
            return m->slots[j].index1 - 1;
        }
    }
    *found = false;
    unsigned char *k = pw_arena_alloc(&m->arena, len ? len : 1);
    memcpy(k, key, len);
    PW_GROW(m->entries, m->cap_entries, m->n + 1);
    m->entries[m->n] = (struct kentry){k, len, h};
    m->slots[j] = (struct kslot){tag, (uint32_t)m->n + 1};
    return (uint32_t)m->n++;
}

/* The sample table: 8-byte slots (the high half of the key's hash, the sample index + 1; 0 is
 * empty) pointing into the destination samples, whose locations and labels are the key, so a
 * million samples cost 16 MB of table and no second copy of their keys. It is sized once for
 * every source sample at half load, and a merge never has more samples than its sources, so it
 * never grows. */
struct sample_table {
    struct sample_slot {
        uint32_t tag, index1;
    } *slots;
    size_t cap;
};

static void sample_table_init(struct sample_table *t, size_t n_samples)
{
    t->cap = 1024;
    while (t->cap < n_samples * 2)
        t->cap *= 2;
    t->slots = pw_xcalloc(t->cap, sizeof(*t->slots));
}

/* A sample's key: its merged location indexes (u32; merged ids are index + 1, so the index is
 * as good), and its labels grouped by key in a canonical key order. Only its hash is kept: the
 * table compares a candidate with the destination sample's own locations and labels. */
struct sample_key {
    uint64_t hash;
    const uint32_t *locs;          /* merged locations: mapped_locs, or the sample's own */
    const struct pw_label *labels; /* merged labels, in profile order: mapped, or the own */
    struct pw_label *sorted;       /* the labels in key order */
    struct pw_buf key;             /* the labels' bytes, hashed */
    uint32_t *mapped_locs;
    struct pw_label *mapped;
    size_t cap_mapped_locs, cap_mapped, cap_sorted;
};

static void sample_key_release(struct sample_key *k)
{
    pw_buf_release(&k->key);
    free(k->mapped_locs);
    free(k->mapped);
    free(k->sorted);
}

struct merger {
    struct pw_profile *p;
    const struct pw_profile *src;
    pw_str *strmap;        /* src string -> dst string, PW_NONE if not yet mapped */
    uint32_t *loc_by_src;  /* src location -> dst location */
    uint32_t *func_by_src; /* src function -> dst function */
    /* Merging consumed sources: per location and function of all sources in turn, the first one
     * with its key (key_classes), which replaces the key tables; else NULL. loc_class and
     * func_class are the current source's part of all_loc_class and all_func_class, and so are
     * loc_by_src and func_by_src of loc_by_class and func_by_class (dst location and function
     * by any location and function of all sources: by its class once the class has one). */
    uint32_t *loc_class, *func_class, *all_loc_class, *all_func_class;
    uint32_t *loc_by_class, *func_by_class;
    uint32_t *map_by_src;  /* src mapping -> dst mapping */
    int64_t *map_offset;   /* src mapping -> address offset into the dst mapping */
    struct keymap locations, functions, mappings;
    struct sample_table samples;
    struct pw_buf key; /* location, function and mapping keys */
    struct sample_key sk[2]; /* copying: the sample added and the one keyed meanwhile */
    struct pw_label *other; /* the sorted labels of a destination sample compared with */
    size_t cap_other;
    /* The samples added are the result's own, mapped already (merge_mapped): their arrays become
     * the result's instead of being copied. */
    bool owned;
};

static pw_str map_str(struct merger *m, pw_str s)
{
    if (m->strmap[s] == PW_NONE)
        m->strmap[s] = pw_intern(m->p, m->src->strings[s], m->src->string_lens[s]);
    return m->strmap[s];
}

/* Empties b and makes room for n 64-bit words, returned for writing: keys are built by direct
 * stores rather than an append (and its bounds check) per field. */
static uint64_t *key_words(struct pw_buf *b, size_t n)
{
    pw_buf_reset(b);
    pw_buf_pad(b, 0, sizeof(uint64_t) * n);
    if (b->overflow)
        abort(); /* lines per location are capped at decode: cannot happen */
    return (uint64_t *)b->data;
}

static void key_u64(struct pw_buf *b, uint64_t v)
{
    pw_buf_add(b, &v, sizeof(v));
}

static void key_str(struct pw_buf *b, const struct pw_profile *p, pw_str s)
{
    key_u64(b, p->string_lens[s]);
    pw_buf_add(b, p->strings[s], p->string_lens[s]);
}

/* The size in pprof's mapping key: rounded up to 4 KiB. */
static uint64_t mapping_key_size(const struct pw_mapping *sm)
{
    uint64_t size = sm->limit - sm->start + 0x1000 - 1;
    return size - (size % 0x1000);
}

static uint32_t map_mapping(struct merger *m, uint32_t src_idx)
{
    if (src_idx == PW_NONE)
        return PW_NONE;
    if (m->map_by_src[src_idx] != PW_NONE)
        return m->map_by_src[src_idx];
    const struct pw_mapping *sm = &m->src->mappings[src_idx];
    /* pprof's mapping key: size rounded up to 4 KiB, offset, and build id or else file name. */
    pw_buf_reset(&m->key);
    key_u64(&m->key, mapping_key_size(sm));
    key_u64(&m->key, sm->offset);
    key_str(&m->key, m->src, sm->build_id ? sm->build_id : sm->file);
    bool found;
    uint32_t idx = keymap_get_or_put(&m->mappings, m->key.data, m->key.len, &found);
    if (found) {
        m->map_offset[src_idx] = (int64_t)m->p->mappings[idx].start - (int64_t)sm->start;
    } else {
        struct pw_mapping *dm = pw_add_mapping(m->p);
        *dm = *sm;
        dm->id = m->p->n_mappings;
        dm->file = map_str(m, sm->file);
        dm->build_id = map_str(m, sm->build_id);
        m->map_offset[src_idx] = 0;
    }
    m->map_by_src[src_idx] = idx;
    return idx;
}

/* The merged index of the class whose first member is cls (by_src[cls], which the class's
 * members share), or next, which it is given, when the class has none yet. */
static uint32_t class_index(uint32_t *by_src, uint32_t cls, uint32_t next, bool *found)
{
    *found = by_src[cls] != PW_NONE;
    if (!*found)
        by_src[cls] = next;
    return by_src[cls];
}

static uint32_t map_function(struct merger *m, uint32_t src_idx)
{
    if (src_idx == PW_NONE)
        return PW_NONE;
    if (m->func_by_src[src_idx] != PW_NONE)
        return m->func_by_src[src_idx];
    const struct pw_function *sf = &m->src->functions[src_idx];
    bool found;
    uint32_t idx;
    if (m->func_class) {
        idx = class_index(m->func_by_class, m->func_class[src_idx], m->p->n_functions, &found);
    } else {
        pw_buf_reset(&m->key);
        key_u64(&m->key, (uint64_t)sf->start_line);
        key_str(&m->key, m->src, sf->name);
        key_str(&m->key, m->src, sf->system_name);
        key_str(&m->key, m->src, sf->filename);
        idx = keymap_get_or_put(&m->functions, m->key.data, m->key.len, &found);
    }
    if (!found) {
        struct pw_function *df = pw_add_function(m->p);
        df->id = m->p->n_functions;
        df->name = map_str(m, sf->name);
        df->system_name = map_str(m, sf->system_name);
        df->filename = map_str(m, sf->filename);
        df->start_line = sf->start_line;
    }
    m->func_by_src[src_idx] = idx;
    return idx;
}

static uint32_t map_location(struct merger *m, uint32_t src_idx)
{
    if (m->loc_by_src[src_idx] != PW_NONE)
        return m->loc_by_src[src_idx];
    const struct pw_location *sl = &m->src->locations[src_idx];
    uint32_t mi = map_mapping(m, sl->mapping);
    bool found = false;
    uint32_t idx = 0;
    if (m->loc_class) {
        /* A class placed already (from another source) has its functions placed too. */
        idx = class_index(m->loc_by_class, m->loc_class[src_idx], m->p->n_locations, &found);
        if (found)
            return m->loc_by_src[src_idx] = idx;
    }
    uint64_t addr = sl->mapping == PW_NONE
                        ? sl->address
                        : (uint64_t)((int64_t)sl->address + m->map_offset[sl->mapping]);
    struct pw_line *lines = NULL;
    if (sl->n_lines) {
        lines = pw_arena_alloc(&m->p->arena, sizeof(*lines) * sl->n_lines);
        for (uint32_t i = 0; i < sl->n_lines; i++) {
            lines[i].function = map_function(m, sl->lines[i].function);
            lines[i].line = sl->lines[i].line;
        }
    }
    if (!m->loc_class) {
        /* pprof's location key: address relative to the mapping, mapping id, lines, folded. */
        uint64_t *w = key_words(&m->key, 3 + 2 * (size_t)sl->n_lines);
        w[0] = mi == PW_NONE ? addr : addr - m->p->mappings[mi].start;
        w[1] = mi == PW_NONE ? 0 : (uint64_t)mi + 1;
        w[2] = sl->is_folded;
        for (uint32_t i = 0; i < sl->n_lines; i++) {
            w[3 + 2 * i] = lines[i].function == PW_NONE ? 0 : (uint64_t)lines[i].function + 1;
            w[4 + 2 * i] = (uint64_t)lines[i].line;
        }
        idx = keymap_get_or_put(&m->locations, m->key.data, m->key.len, &found);
    }
    if (!found) {
        struct pw_location *dl = pw_add_location(m->p);
        dl->id = m->p->n_locations;
        dl->mapping = mi;
        dl->address = addr;
        dl->lines = lines;
        dl->n_lines = sl->n_lines;
        dl->is_folded = sl->is_folded;
    }
    m->loc_by_src[src_idx] = idx;
    return idx;
}

static int cmp_label(const void *a, const void *b)
{
    const struct pw_label *x = a, *y = b;
    if (x->is_num != y->is_num)
        return x->is_num - y->is_num;
    return x->key < y->key ? -1 : x->key > y->key;
}

/* Copies n labels into out in the key's canonical order: values of one key keep their order, as
 * Go's label maps do (an insertion sort, stable; samples have a handful of labels). */
static void sort_labels(struct pw_label *out, const struct pw_label *in, uint32_t n)
{
    memcpy(out, in, sizeof(*out) * n);
    for (uint32_t i = 1; i < n; i++) {
        struct pw_label t = out[i];
        uint32_t j = i;
        while (j > 0 && cmp_label(&out[j - 1], &t) > 0) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = t;
    }
}

/* Whether destination sample ds has the key k of a sample with n_locs locations and n_labels
 * labels. Compares what the key bytes hold, field by field. */
static bool same_key(struct merger *m, const struct pw_sample *ds, const struct sample_key *k,
                     uint32_t n_locs, uint32_t n_labels)
{
    if (ds->n_locs != n_locs || ds->n_labels != n_labels ||
        (n_locs && memcmp(ds->locs, k->locs, sizeof(*k->locs) * n_locs) != 0))
        return false;
    if (n_labels == 0)
        return true;
    PW_GROW(m->other, m->cap_other, n_labels);
    sort_labels(m->other, ds->labels, n_labels);
    for (uint32_t i = 0; i < n_labels; i++) {
        const struct pw_label *a = &m->other[i], *b = &k->sorted[i];
        if (a->is_num != b->is_num || a->key != b->key || a->unit != b->unit ||
            (a->is_num ? a->num != b->num : a->str != b->str))
            return false;
    }
    return true;
}

static void sort_key_labels(struct sample_key *k, uint32_t n)
{
    PW_GROW(k->sorted, k->cap_sorted, n);
    sort_labels(k->sorted, k->labels, n);
}

/* Sets k's hash (and sorted labels) for a sample of merged locations locs and merged labels:
 * the hash of the locations combined with that of the labels' 20-byte form in key order. */
static void hash_sample_key(struct sample_key *k, const uint32_t *locs, uint32_t n_locs,
                            const struct pw_label *labels, uint32_t n_labels)
{
    k->locs = locs;
    k->labels = labels;
    k->hash = hash_key(locs, sizeof(*locs) * n_locs);
    if (!n_labels)
        return;
    sort_key_labels(k, n_labels);
    struct pw_buf *key = &k->key;
    pw_buf_reset(key);
    pw_buf_pad(key, 0, 20 * (size_t)n_labels);
    if (key->overflow)
        abort(); /* labels per sample are capped at decode: cannot happen */
    unsigned char *d = (unsigned char *)key->data;
    for (uint32_t i = 0; i < n_labels; i++, d += 20) {
        const struct pw_label *l = &k->sorted[i];
        uint32_t is_num = l->is_num, lk = l->key, unit = l->unit;
        uint64_t v = l->is_num ? (uint64_t)l->num : l->str;
        memcpy(d, &is_num, 4);
        memcpy(d + 4, &lk, 4);
        memcpy(d + 8, &v, 8);
        memcpy(d + 16, &unit, 4);
    }
    k->hash ^= hash_key(key->data, key->len) * 0x9e3779b97f4a7c15ull;
}

/* Builds the key of source sample ss into k, mapping its locations and label strings through
 * map_location and map_str (which add what is new). */
static void build_key(struct merger *m, struct sample_key *k, const struct pw_sample *ss)
{
    uint32_t nl = ss->n_labels;
    PW_GROW(k->mapped_locs, k->cap_mapped_locs, ss->n_locs);
    for (uint32_t i = 0; i < ss->n_locs; i++)
        k->mapped_locs[i] = map_location(m, ss->locs[i]);
    PW_GROW(k->mapped, k->cap_mapped, nl);
    for (uint32_t i = 0; i < nl; i++) {
        const struct pw_label *l = &ss->labels[i];
        k->mapped[i] = *l;
        k->mapped[i].key = map_str(m, l->key);
        k->mapped[i].str = map_str(m, l->str);
        k->mapped[i].unit = map_str(m, l->unit);
    }
    hash_sample_key(k, k->mapped_locs, ss->n_locs, k->mapped, nl);
}

/* Adds the values of source sample ss, whose key is k, to the destination sample with that
 * key, or adds a new destination sample. */
static void add_sample(struct merger *m, const struct pw_sample *ss, const struct sample_key *k)
{
    struct pw_profile *p = m->p;
    uint32_t nt = p->n_sample_types, nl = ss->n_labels;
    uint32_t tag = (uint32_t)(k->hash >> 32);
    struct sample_table *t = &m->samples;
    size_t j = k->hash & (t->cap - 1);
    for (; t->slots[j].index1; j = (j + 1) & (t->cap - 1)) {
        struct pw_sample *ds = &p->samples[t->slots[j].index1 - 1];
        if (t->slots[j].tag == tag && same_key(m, ds, k, ss->n_locs, nl)) {
            for (uint32_t i = 0; i < nt; i++)
                ds->values[i] = pw_wadd(ds->values[i], ss->values[i]);
            return;
        }
    }
    t->slots[j] = (struct sample_slot){tag, (uint32_t)p->n_samples + 1};
    struct pw_sample src = *ss; /* ds may be ss itself, when consumed */
    struct pw_sample *ds = pw_add_sample(p);
    if (m->owned) {
        /* Its arrays hold the merged locations and labels already (merge_mapped). */
        *ds = src;
        if (!nl)
            ds->labels = NULL;
        return;
    }
    ds->values = pw_arena_alloc(&p->arena, sizeof(int64_t) * (nt ? nt : 1));
    memcpy(ds->values, src.values, sizeof(int64_t) * nt);
    ds->locs = pw_arena_alloc(&p->arena, sizeof(uint32_t) * (src.n_locs ? src.n_locs : 1));
    if (src.n_locs)
        memcpy(ds->locs, k->locs, sizeof(uint32_t) * src.n_locs);
    ds->n_locs = src.n_locs;
    if (nl) {
        ds->labels = pw_arena_alloc(&p->arena, sizeof(*ds->labels) * nl);
        memcpy(ds->labels, k->labels, sizeof(*ds->labels) * nl);
        ds->n_labels = nl;
    }
}

static bool is_zero_sample(const struct pw_profile *p, const struct pw_sample *s)
{
    for (uint32_t i = 0; i < p->n_sample_types; i++)
        if (s->values[i] != 0)
            return false;
    return true;
}

/* Copies the non-zero samples of the source. Sample j is keyed while sample j - 1 (the
 * previous non-zero one) is added, so that the table slot of one is fetched from memory while
 * the key of the next is built: a million-sample table is mostly cache misses. */
static void merge_copy(struct merger *m, const struct pw_sample *samples, size_t n)
{
    struct sample_key *prev = NULL;
    const struct pw_sample *prev_s = NULL;
    for (size_t j = 0; j < n; j++) {
        if (is_zero_sample(m->src, &samples[j]))
            continue;
        struct sample_key *cur = prev == &m->sk[0] ? &m->sk[1] : &m->sk[0];
        build_key(m, cur, &samples[j]);
        __builtin_prefetch(&m->samples.slots[cur->hash & (m->samples.cap - 1)]);
        if (prev)
            add_sample(m, prev_s, prev);
        prev = cur;
        prev_s = &samples[j];
    }
    if (prev)
        add_sample(m, prev_s, prev);
}

/* One thread's share of the keys of a consumed source's samples [from, to). */
struct key_part {
    struct merger *m;
    struct pw_sample *samples;
    uint64_t *hashes;
    size_t from, to;
    struct sample_key k;
};

static void *key_part(void *arg)
{
    struct key_part *kp = arg;
    for (size_t j = kp->from; j < kp->to; j++) {
        const struct pw_sample *ss = &kp->samples[j];
        kp->hashes[j] = 0;
        if (is_zero_sample(kp->m->p, ss))
            continue;
        hash_sample_key(&kp->k, ss->locs, ss->n_locs, ss->labels, ss->n_labels);
        kp->hashes[j] = kp->k.hash;
    }
    return NULL;
}

/* How many keys ahead table slots are fetched, when hashes are known ahead. */
#define SLOT_AHEAD 8

/* The class of each of n keys: the index of the first key equal to it. Key i is keys from
 * off[i] to off[i + 1]. Every hash is known before the first key is placed, so the table slots
 * of later keys are fetched from memory while earlier ones are placed. */
static uint32_t *key_classes(const struct pw_buf *keys, const size_t *off, size_t n)
{
    const unsigned char *k = (const unsigned char *)keys->data;
    uint64_t *hashes = pw_xmalloc(sizeof(*hashes) * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        hashes[i] = hash_key(k + off[i], off[i + 1] - off[i]);
    size_t cap = 1024;
    while (cap < n * 2)
        cap *= 2;
    uint32_t *slots = pw_xcalloc(cap, sizeof(*slots)); /* index + 1; 0 is empty */
    uint32_t *out = pw_xmalloc(sizeof(*out) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        if (i + SLOT_AHEAD < n)
            __builtin_prefetch(&slots[hashes[i + SLOT_AHEAD] & (cap - 1)]);
        size_t j = hashes[i] & (cap - 1), len = off[i + 1] - off[i];
        for (; slots[j]; j = (j + 1) & (cap - 1)) {
            size_t o = slots[j] - 1;
            if (hashes[o] == hashes[i] && off[o + 1] - off[o] == len &&
                memcmp(k + off[o], k + off[i], len) == 0)
                break;
        }
        if (!slots[j])
            slots[j] = (uint32_t)i + 1;
        out[i] = slots[j] - 1;
    }
    free(slots);
    free(hashes);
    return out;
}

static uint32_t *fill_none(size_t n)
{
    uint32_t *a = pw_xmalloc(sizeof(uint32_t) * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        a[i] = PW_NONE;
    return a;
}

/* A string of source i in a class key: its id within a single source, where strings are interned
 * (one id per content); its bytes across several. */
static void key_string(struct pw_buf *keys, const struct pw_profile *src, pw_str s, bool bytes)
{
    if (bytes)
        key_str(keys, src, s);
    else
        key_u64(keys, s);
}

/* The function and location classes of the n sources taken in turn (all_func_class,
 * all_loc_class): the keys of map_function and map_location in the sources' terms. The class of
 * a mapping or function stands for it in the keys that refer to it, so equal keys here are equal
 * keys there. */
static void source_classes(struct merger *m, struct pw_profile *const *srcs, size_t n)
{
    bool bytes = n > 1;
    struct pw_buf keys;
    pw_buf_init(&keys, 0);
    size_t n_map = 0, n_func = 0, n_loc = 0;
    for (size_t i = 0; i < n; i++) {
        n_map += srcs[i]->n_mappings;
        n_func += srcs[i]->n_functions;
        n_loc += srcs[i]->n_locations;
    }
    size_t most = n_map > n_func ? n_map : n_func;
    most = most > n_loc ? most : n_loc;
    size_t *off = pw_xmalloc(sizeof(*off) * (most + 1)), k = 0;
    /* Mappings: the size rounded up to 4 KiB, the offset, and build id or else file. */
    for (size_t i = 0; i < n; i++) {
        const struct pw_profile *src = srcs[i];
        for (uint32_t j = 0; j < src->n_mappings; j++) {
            const struct pw_mapping *sm = &src->mappings[j];
            off[k++] = keys.len;
            key_u64(&keys, mapping_key_size(sm));
            key_u64(&keys, sm->offset);
            key_string(&keys, src, sm->build_id ? sm->build_id : sm->file, bytes);
        }
    }
    off[k] = keys.len;
    uint32_t *map_class = key_classes(&keys, off, n_map);
    pw_buf_reset(&keys);
    k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct pw_profile *src = srcs[i];
        for (uint32_t j = 0; j < src->n_functions; j++) {
            const struct pw_function *sf = &src->functions[j];
            off[k++] = keys.len;
            key_u64(&keys, (uint64_t)sf->start_line);
            key_string(&keys, src, sf->name, bytes);
            key_string(&keys, src, sf->system_name, bytes);
            key_string(&keys, src, sf->filename, bytes);
        }
    }
    off[k] = keys.len;
    m->all_func_class = key_classes(&keys, off, n_func);
    pw_buf_reset(&keys);
    k = 0;
    for (size_t i = 0, map_base = 0, func_base = 0; i < n; i++) {
        const struct pw_profile *src = srcs[i];
        for (uint32_t j = 0; j < src->n_locations; j++) {
            const struct pw_location *sl = &src->locations[j];
            off[k++] = keys.len;
            /* The address relative to the mapping, which is what map_location's key holds. */
            key_u64(&keys, sl->mapping == PW_NONE
                               ? sl->address
                               : sl->address - src->mappings[sl->mapping].start);
            key_u64(&keys,
                    sl->mapping == PW_NONE ? 0 : (uint64_t)map_class[map_base + sl->mapping] + 1);
            key_u64(&keys, sl->is_folded);
            for (uint32_t l = 0; l < sl->n_lines; l++) {
                uint32_t f = sl->lines[l].function;
                key_u64(&keys, f == PW_NONE ? 0 : (uint64_t)m->all_func_class[func_base + f] + 1);
                key_u64(&keys, (uint64_t)sl->lines[l].line);
            }
        }
        map_base += src->n_mappings;
        func_base += src->n_functions;
    }
    off[k] = keys.len;
    m->all_loc_class = key_classes(&keys, off, n_loc);
    m->func_by_class = fill_none(n_func);
    m->loc_by_class = fill_none(n_loc);
    free(map_class);
    free(off);
    pw_buf_release(&keys);
}

/* Gives sample ss (not zero) its merged locations and label strings, in the order one pass over
 * the samples would give them ids: which locations and functions are one is known beforehand
 * (source_classes), so this reads no key table. Writes over ss's arrays, or into out's (ss's
 * copied into the result's arena) when out is given. */
static void map_sample(struct merger *m, struct pw_sample *ss, struct pw_sample *out)
{
    uint32_t *locs = ss->locs;
    struct pw_label *labels = ss->labels;
    if (out) {
        struct pw_arena *a = &m->p->arena;
        uint32_t nt = m->p->n_sample_types;
        *out = *ss;
        out->values = pw_arena_alloc(a, sizeof(int64_t) * (nt ? nt : 1));
        memcpy(out->values, ss->values, sizeof(int64_t) * nt);
        out->locs = locs = pw_arena_alloc(a, sizeof(uint32_t) * (ss->n_locs ? ss->n_locs : 1));
        out->labels = labels = ss->n_labels ? pw_arena_alloc(a, sizeof(*labels) * ss->n_labels)
                                            : NULL;
        if (ss->n_labels)
            memcpy(labels, ss->labels, sizeof(*labels) * ss->n_labels);
    }
    /* Read once: the stores below may alias them as far as the compiler knows (locs may be
     * ss->locs itself, each entry read before it is written). */
    const uint32_t *from = ss->locs, *by_src = m->loc_by_src;
    uint32_t n_locs = ss->n_locs;
    for (uint32_t i = 0; i < n_locs; i++) {
        uint32_t to = by_src[from[i]];
        locs[i] = to != PW_NONE ? to : map_location(m, from[i]); /* most are: no call */
    }
    for (uint32_t i = 0; i < ss->n_labels; i++) {
        struct pw_label *l = &labels[i];
        l->key = map_str(m, l->key);
        l->str = map_str(m, l->str);
        l->unit = map_str(m, l->unit);
    }
}

/* Merges samples, already mapped (map_sample) and owned by the result, in place, in two passes
 * so that the costly one runs on two threads: on two threads, each sample's key is hashed; then,
 * in order, samples go into the table, whose slots are fetched well ahead since their hashes are
 * known; merged sample k is written only once sample j >= k has been read, which compacts the
 * array in place. samples becomes the result's samples array (cap of them allocated). */
static void merge_mapped(struct merger *m, struct pw_sample *samples, size_t n, size_t cap)
{
    m->p->samples = samples;
    m->p->cap_samples = cap;
    m->p->n_samples = 0;
    uint64_t *hashes = pw_xmalloc(sizeof(*hashes) * (n ? n : 1));
    size_t n_parts = pw_parallel_parts(n);
    struct key_part parts[PW_PARALLEL_MAX_PARTS];
    for (size_t k = 0; k < n_parts; k++) {
        parts[k] = (struct key_part){.m = m, .samples = samples, .hashes = hashes,
                                     .from = n * k / n_parts, .to = n * (k + 1) / n_parts};
        pw_buf_init(&parts[k].k.key, 0);
    }
    pw_parallel_run(key_part, parts, sizeof *parts, n_parts);
    for (size_t k = 0; k < n_parts; k++)
        sample_key_release(&parts[k].k);
    struct sample_key *k = &m->sk[0];
    size_t mask = m->samples.cap - 1;
    for (size_t j = 0; j < n; j++) {
        if (j + SLOT_AHEAD < n)
            __builtin_prefetch(&m->samples.slots[hashes[j + SLOT_AHEAD] & mask]);
        const struct pw_sample *ss = &samples[j];
        if (is_zero_sample(m->p, ss))
            continue;
        k->locs = ss->locs;
        k->labels = ss->labels;
        if (ss->n_labels)
            sort_key_labels(k, ss->n_labels);
        k->hash = hashes[j];
        add_sample(m, ss, k);
    }
    free(hashes);
}

/* pprof's combineHeaders. */
static struct pw_profile *combine_headers(struct pw_profile *const *srcs, size_t n,
                                          struct pw_err *err)
{
    for (size_t i = 1; i < n; i++)
        if (pw_profile_compatible(srcs[0], srcs[i], err))
            return NULL;
    struct pw_profile *p = pw_profile_new();
    const struct pw_profile *s0 = srcs[0];
    int64_t time_nanos = 0, duration = 0, period = 0;
    for (size_t i = 0; i < n; i++) {
        const struct pw_profile *s = srcs[i];
        if (time_nanos == 0 || s->time_nanos < time_nanos)
            time_nanos = s->time_nanos;
        duration += s->duration_nanos;
        if (period == 0 || period < s->period)
            period = s->period;
        for (uint32_t c = 0; c < s->n_comments; c++) {
            pw_str cs = pw_intern(p, s->strings[s->comments[c]], s->string_lens[s->comments[c]]);
            bool seen = false;
            for (uint32_t k = 0; k < p->n_comments && !seen; k++)
                seen = p->comments[k] == cs;
            if (!seen) {
                PW_GROW(p->comments, p->cap_comments, (size_t)p->n_comments + 1);
                p->comments[p->n_comments++] = cs;
            }
        }
        if (!p->default_sample_type && s->default_sample_type)
            p->default_sample_type = pw_intern_cstr(p, pw_s(s, s->default_sample_type));
    }
    struct pw_value_type *types = pw_xmalloc(sizeof(*types) * (s0->n_sample_types + 1));
    for (uint32_t i = 0; i < s0->n_sample_types; i++) {
        types[i].type = pw_intern_cstr(p, pw_s(s0, s0->sample_types[i].type));
        types[i].unit = pw_intern_cstr(p, pw_s(s0, s0->sample_types[i].unit));
    }
    pw_set_sample_types(p, types, s0->n_sample_types);
    free(types);
    p->drop_frames = pw_intern_cstr(p, pw_s(s0, s0->drop_frames));
    p->keep_frames = pw_intern_cstr(p, pw_s(s0, s0->keep_frames));
    p->time_nanos = time_nanos;
    p->duration_nanos = duration;
    p->has_period_type = s0->has_period_type;
    p->period_type.type = pw_intern_cstr(p, pw_s(s0, s0->period_type.type));
    p->period_type.unit = pw_intern_cstr(p, pw_s(s0, s0->period_type.unit));
    p->period = period;
    for (size_t i = 0; i < n && !p->memstats; i++)
        if (srcs[i]->memstats)
            p->memstats = pw_arena_strdup(&p->arena, srcs[i]->memstats);
    for (size_t i = 0; i < n; i++)
        p->names_from_comments |= srcs[i]->names_from_comments;
    for (size_t i = 0; i < n && !p->gctrace; i++)
        if (srcs[i]->gctrace)
            p->gctrace = pw_arena_strdup(&p->arena, srcs[i]->gctrace);
    return p;
}

static struct pw_profile *merge(struct pw_profile *const *srcs, size_t n, bool consume,
                                struct pw_err *err)
{
    if (n == 0) {
        pw_fail(err, PW_EINVAL, "no profiles to merge");
        return NULL;
    }
    struct merger m;
    memset(&m, 0, sizeof(m));
    m.p = combine_headers(srcs, n, err);
    if (!m.p)
        return NULL;
    /* A single consumed source is merged in its own arrays; consumed sources are copied into
     * the result's, mapped, and merged there (merge_mapped); sources only read are merged by
     * key tables, keeping only what is new (merge_copy). */
    bool reuse = consume && n == 1;
    m.owned = consume;
    size_t n_samples = 0, n_locations = 0, n_functions = 0, n_mappings = 0;
    for (size_t i = 0; i < n; i++) {
        n_samples += srcs[i]->n_samples;
        n_locations += srcs[i]->n_locations;
        n_functions += srcs[i]->n_functions;
        n_mappings += srcs[i]->n_mappings;
    }
    sample_table_init(&m.samples, n_samples);
    keymap_init(&m.locations, consume ? 0 : n_locations); /* classes instead when consumed */
    keymap_init(&m.functions, consume ? 0 : n_functions);
    keymap_init(&m.mappings, n_mappings);
    pw_buf_init(&m.key, 0);
    for (int i = 0; i < 2; i++)
        pw_buf_init(&m.sk[i].key, 0);
    struct pw_sample *mapped = NULL; /* consumed sources' samples copied and mapped */
    size_t n_mapped = 0;
    if (consume) {
        source_classes(&m, srcs, n);
        if (!reuse)
            mapped = pw_xmalloc(sizeof(*mapped) * (n_samples ? n_samples : 1));
    }
    for (size_t i = 0, loc_base = 0, func_base = 0; i < n; i++) {
        struct pw_profile *src = srcs[i];
        m.src = src;
        m.strmap = fill_none(src->n_strings);
        m.strmap[0] = 0;
        if (consume) {
            m.loc_class = m.all_loc_class + loc_base;
            m.func_class = m.all_func_class + func_base;
            m.loc_by_src = m.loc_by_class + loc_base;
            m.func_by_src = m.func_by_class + func_base;
            loc_base += src->n_locations;
            func_base += src->n_functions;
        } else {
            m.loc_by_src = fill_none(src->n_locations);
            m.func_by_src = fill_none(src->n_functions);
        }
        m.map_by_src = fill_none(src->n_mappings);
        m.map_offset = pw_xcalloc(src->n_mappings + 1, sizeof(int64_t));
        if (m.p->n_mappings == 0 && src->n_mappings > 0)
            map_mapping(&m, 0);
        struct pw_sample *samples = src->samples;
        size_t n_src = src->n_samples;
        if (reuse) {
            /* The samples array too. */
            size_t cap = src->cap_samples;
            src->samples = NULL;
            src->n_samples = src->cap_samples = 0;
            for (size_t j = 0; j < n_src; j++)
                if (!is_zero_sample(src, &samples[j]))
                    map_sample(&m, &samples[j], NULL);
            merge_mapped(&m, samples, n_src, cap);
        } else if (consume) {
            for (size_t j = 0; j < n_src; j++)
                if (!is_zero_sample(src, &samples[j]))
                    map_sample(&m, &samples[j], &mapped[n_mapped++]);
        } else {
            merge_copy(&m, samples, n_src);
        }
        free(m.strmap);
        if (!consume) {
            free(m.loc_by_src);
            free(m.func_by_src);
        }
        free(m.map_by_src);
        free(m.map_offset);
        if (reuse)
            pw_arena_take(&m.p->arena, &src->arena);
    }
    if (mapped)
        merge_mapped(&m, mapped, n_mapped, n_samples ? n_samples : 1);
    free(m.all_loc_class);
    free(m.all_func_class);
    free(m.loc_by_class);
    free(m.func_by_class);
    free(m.samples.slots);
    for (int i = 0; i < 2; i++)
        sample_key_release(&m.sk[i]);
    free(m.other);
    keymap_release(&m.locations);
    keymap_release(&m.functions);
    keymap_release(&m.mappings);
    pw_buf_release(&m.key);
    /* Values of merged samples may cancel out (a profile minus its base): merge again to drop
     * them, as pprof does. */
    for (size_t j = 0; j < m.p->n_samples; j++) {
        if (is_zero_sample(m.p, &m.p->samples[j]))
            return pw_profile_merge_consume(&m.p, 1, err);
    }
    return m.p;
}

struct pw_profile *pw_profile_merge(struct pw_profile *const *srcs, size_t n, struct pw_err *err)
{
    return merge(srcs, n, false, err);
}

struct pw_profile *pw_profile_merge_consume(struct pw_profile **srcs, size_t n, struct pw_err *err)
{
    struct pw_profile *p = merge(srcs, n, true, err);
    for (size_t i = 0; i < n; i++) {
        pw_profile_free(srcs[i]);
        srcs[i] = NULL;
    }
    return p;
}

/* Whether two mappings are one for Merge (map_mapping's key). */
static bool same_mapping_key(const struct pw_mapping *a, const struct pw_mapping *b)
{
    return mapping_key_size(a) == mapping_key_size(b) && a->offset == b->offset &&
           (a->build_id ? a->build_id : a->file) == (b->build_id ? b->build_id : b->file);
}

/* One thread's share of the neutrality check's sample loop: samples [from, to) mark the
 * locations they reach in seen (a table of the part's own), and ok turns false on a negative
 * value or a zero sample with labels. */
struct neutral_part {
    const struct pw_profile *p;
    size_t from, to;
    uint8_t *seen;
    bool ok;
};

static void *neutral_samples(void *arg)
{
    struct neutral_part *np = arg;
    const struct pw_profile *p = np->p;
    bool ok = true;
    for (size_t i = np->from; i < np->to && ok; i++) {
        const struct pw_sample *s = &p->samples[i];
        for (uint32_t t = 0; t < p->n_sample_types; t++)
            ok = ok && s->values[t] >= 0;
        if (is_zero_sample(p, s)) {
            ok = ok && s->n_labels == 0;
            continue;
        }
        /* Stores only, counted after: millions of frames, none waiting for the one before. */
        for (uint32_t j = 0; j < s->n_locs; j++)
            np->seen[s->locs[j]] = 1;
    }
    np->ok = ok;
    return NULL;
}

bool pw_profile_merge_graph_neutral(const struct pw_profile *p)
{
    /* Comments and mappings are few: pairs are compared (above a bound, the answer is no). */
    if (p->n_comments > 64 || p->n_mappings > 256)
        return false;
    for (uint32_t i = 0; i < p->n_comments; i++)
        for (uint32_t j = i + 1; j < p->n_comments; j++)
            if (p->comments[i] == p->comments[j])
                return false;
    for (uint32_t i = 0; i < p->n_mappings; i++)
        for (uint32_t j = i + 1; j < p->n_mappings; j++)
            if (same_mapping_key(&p->mappings[i], &p->mappings[j]))
                return false;
    /* No value below zero, every location reached by a sample that is not zero, zero samples
     * without labels, and every function reached. */
    size_t n_parts = pw_parallel_parts(p->n_samples);
    struct neutral_part parts[PW_PARALLEL_MAX_PARTS];
    for (size_t k = 0; k < n_parts; k++)
        parts[k] = (struct neutral_part){
            .p = p,
            .from = p->n_samples * k / n_parts,
            .to = p->n_samples * (k + 1) / n_parts,
            .seen = pw_xcalloc(p->n_locations ? p->n_locations : 1, 1),
        };
    pw_parallel_run(neutral_samples, parts, sizeof *parts, n_parts);
    bool ok = true;
    for (size_t k = 0; k < n_parts; k++)
        ok = ok && parts[k].ok;
    for (uint32_t l = 0; l < p->n_locations && ok; l++) {
        bool seen = false;
        for (size_t k = 0; k < n_parts; k++)
            seen = seen || parts[k].seen[l];
        ok = seen;
    }
    for (size_t k = 0; k < n_parts; k++)
        free(parts[k].seen);
    if (!ok)
        return false;
    uint8_t *fn_seen = pw_xcalloc(p->n_functions ? p->n_functions : 1, 1);
    uint32_t n_fns = 0;
    for (uint32_t l = 0; l < p->n_locations; l++)
        for (uint32_t j = 0; j < p->locations[l].n_lines; j++) {
            uint32_t f = p->locations[l].lines[j].function;
            if (f != PW_NONE && !fn_seen[f]) {
                fn_seen[f] = 1;
                n_fns++;
            }
        }
    free(fn_seen);
    return n_fns == p->n_functions;
}

struct pw_profile *pw_profile_compact(const struct pw_profile *p)
{
    struct pw_profile *src = (struct pw_profile *)p;
    return pw_profile_merge(&src, 1, NULL);
}
