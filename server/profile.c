/* profile: life cycle, string interning, appenders and simple queries of struct pw_profile.
 * Strings and per-sample arrays live in the profile's arena; the top-level arrays are grown with
 * realloc and freed by pw_profile_free(). Interning uses an open-addressing table of indexes.
 * Transformations (merge, aggregate, raw text) are in profile_ops.c and merge.c. */
#include "pprofweb/profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/limits.h"

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

static void intern_rehash(struct pw_profile *p)
{
    size_t cap = p->intern_cap ? p->intern_cap * 2 : 1024;
    uint32_t *t = pw_xcalloc(cap, sizeof(*t));
    for (uint32_t i = 0; i < p->n_strings; i++) {
        size_t h = hash_bytes(p->strings[i], p->string_lens[i]) & (cap - 1);
        while (t[h])
            h = (h + 1) & (cap - 1);
        t[h] = i + 1;
    }
    free(p->intern_table);
    p->intern_table = t;
    p->intern_cap = cap;
}

pw_str pw_intern(struct pw_profile *p, const char *s, size_t len)
{
    if (len == 0)
        return 0;
    if ((p->n_strings + 1) * 2 > p->intern_cap)
        intern_rehash(p);
    size_t mask = p->intern_cap - 1;
    size_t h = hash_bytes(s, len) & mask;
    for (;;) {
        uint32_t e = p->intern_table[h];
        if (!e)
            break;
        if (p->string_lens[e - 1] == len && memcmp(p->strings[e - 1], s, len) == 0)
            return e - 1;
        h = (h + 1) & mask;
    }
    size_t cap = p->cap_strings;
    PW_GROW(p->strings, cap, (size_t)p->n_strings + 1);
    size_t cap2 = p->cap_strings;
    PW_GROW(p->string_lens, cap2, (size_t)p->n_strings + 1);
    p->cap_strings = cap;
    uint32_t id = p->n_strings++;
    p->strings[id] = pw_arena_strndup(&p->arena, s, len);
    p->string_lens[id] = (uint32_t)len;
    p->intern_table[h] = id + 1;
    return id;
}

pw_str pw_intern_cstr(struct pw_profile *p, const char *s)
{
    return pw_intern(p, s, strlen(s));
}

struct pw_profile *pw_profile_new(void)
{
    struct pw_profile *p = pw_xcalloc(1, sizeof(*p));
    pw_arena_init(&p->arena);
    /* String 0 is "". */
    size_t cap = 0;
    PW_GROW(p->strings, cap, 1);
    size_t cap2 = 0;
    PW_GROW(p->string_lens, cap2, 1);
    p->cap_strings = cap;
    p->strings[0] = "";
    p->string_lens[0] = 0;
    p->n_strings = 1;
    intern_rehash(p);
    return p;
}

void pw_profile_free(struct pw_profile *p)
{
    if (!p)
        return;
    pw_arena_release(&p->arena);
    free(p->strings);
    free(p->string_lens);
    free(p->intern_table);
    free(p->sample_types);
    free(p->samples);
    free(p->mappings);
    free(p->locations);
    free(p->functions);
    free(p->comments);
    free(p);
}

struct pw_sample *pw_add_sample(struct pw_profile *p)
{
    PW_GROW(p->samples, p->cap_samples, p->n_samples + 1);
    struct pw_sample *s = &p->samples[p->n_samples++];
    memset(s, 0, sizeof(*s));
    return s;
}

struct pw_mapping *pw_add_mapping(struct pw_profile *p)
{
    PW_GROW(p->mappings, p->cap_mappings, (size_t)p->n_mappings + 1);
    struct pw_mapping *m = &p->mappings[p->n_mappings++];
    memset(m, 0, sizeof(*m));
    return m;
}

struct pw_location *pw_add_location(struct pw_profile *p)
{
    PW_GROW(p->locations, p->cap_locations, (size_t)p->n_locations + 1);
    struct pw_location *l = &p->locations[p->n_locations++];
    memset(l, 0, sizeof(*l));
    l->mapping = PW_NONE;
    return l;
}

struct pw_function *pw_add_function(struct pw_profile *p)
{
    PW_GROW(p->functions, p->cap_functions, (size_t)p->n_functions + 1);
    struct pw_function *f = &p->functions[p->n_functions++];
    memset(f, 0, sizeof(*f));
    return f;
}

void pw_add_comment(struct pw_profile *p, const char *s, size_t len)
{
    PW_GROW(p->comments, p->cap_comments, (size_t)p->n_comments + 1);
    p->comments[p->n_comments++] = pw_intern(p, s, len);
}

void pw_set_sample_types(struct pw_profile *p, const struct pw_value_type *types, uint32_t n)
{
    free(p->sample_types);
    p->sample_types = pw_xmalloc(sizeof(*types) * (n ? n : 1));
    if (n)
        memcpy(p->sample_types, types, sizeof(*types) * n);
    p->n_sample_types = n;
}

/* Copies array src of n elements of size elem into a malloc'd array. */
static void *dup_array(const void *src, size_t n, size_t elem, size_t *cap)
{
    void *d = pw_xmalloc(n > 0 ? n * elem : 1);
    if (n)
        memcpy(d, src, n * elem);
    if (cap)
        *cap = n;
    return d;
}

/* pprof copies through its encoder: labels the wire format cannot tell from absent (an empty
 * string value, a numeric zero without unit) do not survive. */
static bool label_encoded(const struct pw_label *l)
{
    return l->is_num ? (l->num != 0 || l->unit != 0) : l->str != 0;
}

void pw_profile_drop_unencoded_labels(struct pw_profile *p)
{
    for (size_t i = 0; i < p->n_samples; i++) {
        struct pw_sample *s = &p->samples[i];
        uint32_t n = 0;
        for (uint32_t j = 0; j < s->n_labels; j++)
            if (label_encoded(&s->labels[j]))
                s->labels[n++] = s->labels[j];
        s->n_labels = n;
    }
}

/* pw_profile_copy, or with borrow pw_profile_derive. */
static struct pw_profile *copy(const struct pw_profile *p, bool borrow)
{
    struct pw_profile *q = pw_xcalloc(1, sizeof(*q));
    pw_arena_init(&q->arena);
    /* Strings: copy the table and the interning index, and the bytes unless borrowed. */
    q->n_strings = p->n_strings;
    q->strings = dup_array(p->strings, p->n_strings, sizeof(*p->strings), &q->cap_strings);
    q->string_lens = dup_array(p->string_lens, p->n_strings, sizeof(*p->string_lens), NULL);
    for (uint32_t i = 1; i < p->n_strings && !borrow; i++)
        q->strings[i] = pw_arena_strndup(&q->arena, p->strings[i], p->string_lens[i]);
    q->intern_cap = p->intern_cap;
    q->intern_table = dup_array(p->intern_table, p->intern_cap, sizeof(*p->intern_table), NULL);

    q->n_sample_types = p->n_sample_types;
    q->sample_types = dup_array(p->sample_types, p->n_sample_types, sizeof(*p->sample_types), NULL);
    q->default_sample_type = p->default_sample_type;

    uint32_t nt = p->n_sample_types;
    q->n_samples = p->n_samples;
    q->samples = dup_array(p->samples, p->n_samples, sizeof(*p->samples), &q->cap_samples);
    for (size_t i = 0; i < p->n_samples; i++) {
        const struct pw_sample *s = &p->samples[i];
        struct pw_sample *d = &q->samples[i];
        if (!borrow) {
            d->values = pw_arena_alloc(&q->arena, sizeof(int64_t) * (nt ? nt : 1));
            memcpy(d->values, s->values, sizeof(int64_t) * nt);
            d->locs = pw_arena_alloc(&q->arena, sizeof(uint32_t) * (s->n_locs ? s->n_locs : 1));
            memcpy(d->locs, s->locs, sizeof(uint32_t) * s->n_locs);
        }
        uint32_t n_encoded = 0;
        for (uint32_t j = 0; j < s->n_labels; j++)
            n_encoded += label_encoded(&s->labels[j]);
        if (borrow && n_encoded == s->n_labels)
            continue; /* the labels too are borrowed as they are */
        d->labels = NULL;
        d->n_labels = 0;
        if (n_encoded)
            d->labels = pw_arena_alloc(&q->arena, sizeof(*s->labels) * n_encoded);
        for (uint32_t j = 0; j < s->n_labels; j++)
            if (label_encoded(&s->labels[j]))
                d->labels[d->n_labels++] = s->labels[j];
    }

    q->n_mappings = p->n_mappings;
    q->mappings = dup_array(p->mappings, p->n_mappings, sizeof(*p->mappings), &q->cap_mappings);
    q->n_locations = p->n_locations;
    q->locations =
        dup_array(p->locations, p->n_locations, sizeof(*p->locations), &q->cap_locations);
    for (uint32_t i = 0; i < p->n_locations; i++) {
        const struct pw_location *l = &p->locations[i];
        if (l->n_lines) {
            q->locations[i].lines = pw_arena_alloc(&q->arena, sizeof(*l->lines) * l->n_lines);
            memcpy(q->locations[i].lines, l->lines, sizeof(*l->lines) * l->n_lines);
        }
    }
    q->n_functions = p->n_functions;
    q->functions =
        dup_array(p->functions, p->n_functions, sizeof(*p->functions), &q->cap_functions);
    q->n_comments = p->n_comments;
    q->comments = dup_array(p->comments, p->n_comments, sizeof(*p->comments), &q->cap_comments);

    q->drop_frames = p->drop_frames;
    q->keep_frames = p->keep_frames;
    q->time_nanos = p->time_nanos;
    q->duration_nanos = p->duration_nanos;
    q->period_type = p->period_type;
    q->has_period_type = p->has_period_type;
    q->period = p->period;
    q->memstats = p->memstats ? pw_arena_strdup(&q->arena, p->memstats) : NULL;
    q->names_from_comments = p->names_from_comments;
    q->gctrace = p->gctrace ? pw_arena_strdup(&q->arena, p->gctrace) : NULL;
    return q;
}

struct pw_profile *pw_profile_copy(const struct pw_profile *p)
{
    return copy(p, false);
}

struct pw_profile *pw_profile_derive(const struct pw_profile *p)
{
    return copy(p, true);
}

int pw_sample_index(const struct pw_profile *p, const char *name, uint32_t *index,
                    struct pw_err *err)
{
    if (p->n_sample_types == 0)
        return pw_fail(err, PW_EINVAL, "profile has no samples");
    if (!name || !*name) {
        /* The default: default_sample_type when set, else the last type. */
        if (p->default_sample_type) {
            for (uint32_t i = 0; i < p->n_sample_types; i++) {
                if (p->sample_types[i].type == p->default_sample_type) {
                    *index = i;
                    return 0;
                }
            }
        }
        *index = p->n_sample_types - 1;
        return 0;
    }
    /* A decimal index. */
    char *end;
    long long v = strtoll(name, &end, 10);
    if (*end == 0 && end != name) {
        if (v < 0 || v >= (long long)p->n_sample_types)
            return pw_fail(err, PW_EINVAL, "sample_index %s is outside the range [0..%u]", name,
                           p->n_sample_types - 1);
        *index = (uint32_t)v;
        return 0;
    }
    /* A name; "inuse_space" also selects a type named "space" (legacy pprof option names). */
    const char *no_inuse = strncmp(name, "inuse_", 6) == 0 ? name + 6 : name;
    for (uint32_t i = 0; i < p->n_sample_types; i++) {
        const char *t = pw_s(p, p->sample_types[i].type);
        if (strcmp(t, name) == 0 || strcmp(t, no_inuse) == 0) {
            *index = i;
            return 0;
        }
    }
    char types[200];
    size_t off = 0;
    types[0] = 0;
    for (uint32_t i = 0; i < p->n_sample_types && off < sizeof(types); i++)
        off += (size_t)snprintf(types + off, sizeof(types) - off, "%s%s", i ? " " : "",
                                pw_s(p, p->sample_types[i].type));
    return pw_fail(err, PW_EINVAL, "sample_index \"%s\" must be one of: [%s]", name, types);
}

bool pw_profile_has_functions(const struct pw_profile *p)
{
    for (uint32_t i = 0; i < p->n_locations; i++) {
        const struct pw_location *l = &p->locations[i];
        if (l->mapping != PW_NONE && !p->mappings[l->mapping].has_functions)
            return false;
    }
    return true;
}

bool pw_profile_has_file_lines(const struct pw_profile *p)
{
    for (uint32_t i = 0; i < p->n_locations; i++) {
        const struct pw_location *l = &p->locations[i];
        if (l->mapping != PW_NONE && !p->mappings[l->mapping].has_filenames)
            return false;
        if (l->mapping != PW_NONE && !p->mappings[l->mapping].has_line_numbers)
            return false;
    }
    return true;
}

bool pw_mapping_unsymbolizable(const struct pw_profile *p, uint32_t mapping)
{
    const char *file = pw_s(p, p->mappings[mapping].file);
    const char *base = strrchr(file, '/');
    base = base && base[1] ? base + 1 : file;
    return base[0] == '[' || strncmp(base, "linux-vdso", 10) == 0 ||
           strncmp(file, "/dev/dri/", 9) == 0;
}

int pw_profile_check_valid(const struct pw_profile *p, struct pw_err *err)
{
    /* Indexes were validated when the model was built; what is left are pprof's rules on ids. */
    if (p->n_sample_types == 0 && p->n_samples != 0)
        return pw_fail(err, PW_ECORRUPT, "missing sample type information");
    for (uint32_t i = 0; i < p->n_mappings; i++)
        if (p->mappings[i].id == 0)
            return pw_fail(err, PW_ECORRUPT, "found mapping with reserved ID=0");
    for (uint32_t i = 0; i < p->n_functions; i++)
        if (p->functions[i].id == 0)
            return pw_fail(err, PW_ECORRUPT, "found function with reserved ID=0");
    for (uint32_t i = 0; i < p->n_locations; i++) {
        const struct pw_location *l = &p->locations[i];
        if (l->id == 0)
            return pw_fail(err, PW_ECORRUPT, "found location with reserved id=0");
        for (uint32_t j = 0; j < l->n_lines; j++)
            if (l->lines[j].function == PW_NONE)
                return pw_fail(err, PW_ECORRUPT, "location id: %llu has a line with nil function",
                               (unsigned long long)l->id);
    }
    return 0;
}

void pw_profile_ensure_mapping(struct pw_profile *p)
{
    if (p->n_mappings)
        return;
    struct pw_mapping *m = pw_add_mapping(p);
    m->id = 1;
    for (uint32_t i = 0; i < p->n_locations; i++)
        p->locations[i].mapping = 0;
}

void pw_profile_set_label(struct pw_profile *p, const char *key, const char *value)
{
    pw_str k = pw_intern_cstr(p, key), v = pw_intern_cstr(p, value);
    for (size_t i = 0; i < p->n_samples; i++) {
        struct pw_sample *s = &p->samples[i];
        uint32_t n = 0;
        struct pw_label *labels =
            pw_arena_alloc(&p->arena, sizeof(*labels) * ((size_t)s->n_labels + 1));
        for (uint32_t j = 0; j < s->n_labels; j++)
            if (s->labels[j].is_num || s->labels[j].key != k)
                labels[n++] = s->labels[j];
        labels[n++] = (struct pw_label){.key = k, .str = v};
        s->labels = labels;
        s->n_labels = n;
    }
}

bool pw_sample_has_label(const struct pw_profile *p, const struct pw_sample *s, pw_str key,
                         pw_str value)
{
    (void)p;
    for (uint32_t j = 0; j < s->n_labels; j++)
        if (!s->labels[j].is_num && s->labels[j].key == key && s->labels[j].str == value)
            return true;
    return false;
}
