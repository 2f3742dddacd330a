/* report_tagroot: pprof's -tagroot / -tagleaf (driver/tagroot.go). For each listed label key,
 * every sample gets a pseudo frame "value1,value2" (file name: the key) at the root or the leaf
 * of its stack, so reports can split by label. In: the report's own profile copy, which is
 * modified (new functions, locations, and stacks allocated in its arena). Warnings go to the
 * caller's buffer as pprof prints them on stderr. */
#include "pprofweb/report.h"

#include <stdlib.h>
#include <string.h>

#include "pprofweb/measurement.h"

struct label_frame {
    pw_str function_name, key;
    uint32_t location;
};

struct frame_table {
    struct label_frame *v;
    size_t n, cap;
    uint64_t next_loc_id, next_func_id;
};

/* Splits a comma-separated key list into interned keys, dropping empty ones. */
static size_t split_keys(struct pw_profile *p, const char *list, pw_str **out)
{
    size_t n = 0, cap = 0;
    *out = NULL;
    while (list && *list) {
        const char *comma = strchr(list, ',');
        size_t len = comma ? (size_t)(comma - list) : strlen(list);
        if (len > 0) {
            PW_GROW(*out, cap, n + 1);
            (*out)[n++] = pw_intern(p, list, len);
        }
        list = comma ? comma + 1 : NULL;
    }
    return n;
}

/* pprof's formatLabelValues: string values, then numeric values scaled to output_unit (when the
 * units line up with the values, as pprof's NumUnit slice would). */
static bool format_values(struct pw_profile *p, const struct pw_sample *s, pw_str key,
                          const char *output_unit, struct pw_buf *out)
{
    size_t count = 0, n_num = 0, n_units = 0;
    for (uint32_t i = 0; i < s->n_labels; i++) {
        const struct pw_label *l = &s->labels[i];
        if (l->key != key)
            continue;
        if (!l->is_num) {
            pw_buf_addf(out, "%s%s", count++ ? "," : "", pw_s(p, l->str));
            continue;
        }
        n_num++;
        if (l->unit)
            n_units = n_num;
    }
    if (n_num != n_units && n_units != 0)
        return count > 0;
    for (uint32_t i = 0; i < s->n_labels; i++) {
        const struct pw_label *l = &s->labels[i];
        if (l->key != key || !l->is_num)
            continue;
        char tmp[PW_VALUE_MAX];
        if (n_units)
            pw_scaled_label(tmp, sizeof(tmp), l->num, pw_s(p, l->unit), output_unit);
        else
            pw_scaled_label(tmp, sizeof(tmp), l->num, "", "");
        pw_buf_addf(out, "%s%s", count++ ? "," : "", tmp);
    }
    return count > 0;
}

static uint32_t intern_frame(struct pw_profile *p, struct frame_table *t, pw_str name, pw_str key)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].function_name == name && t->v[i].key == key)
            return t->v[i].location;
    struct pw_function *f = pw_add_function(p);
    f->id = t->next_func_id++;
    f->name = name;
    f->filename = key;
    uint32_t fi = p->n_functions - 1;
    struct pw_location *l = pw_add_location(p);
    l->id = t->next_loc_id++;
    l->lines = pw_arena_calloc(&p->arena, 1, sizeof(*l->lines));
    l->lines[0].function = fi;
    l->n_lines = 1;
    PW_GROW(t->v, t->cap, t->n + 1);
    t->v[t->n++] = (struct label_frame){name, key, p->n_locations - 1};
    return p->n_locations - 1;
}

/* Appends to frames the pseudo frames of keys for sample s, last key first (so the first key
 * ends up nearest the root). Returns whether any key had a value. */
static bool label_frames(struct pw_profile *p, struct frame_table *t, const struct pw_sample *s,
                         const pw_str *keys, size_t n_keys, const char *unit, uint32_t *frames)
{
    bool match = false;
    struct pw_buf b;
    pw_buf_init(&b, 0);
    for (size_t i = 0; i < n_keys; i++) {
        pw_str k = keys[n_keys - 1 - i];
        pw_buf_reset(&b);
        if (format_values(p, s, k, unit, &b))
            match = true;
        frames[i] = intern_frame(p, t, pw_intern(p, pw_buf_str(&b), b.len), k);
    }
    pw_buf_release(&b);
    return match;
}

int pw_report_add_label_nodes(struct pw_report *r, const struct pw_config *cfg, struct pw_buf *warn,
                              struct pw_err *err)
{
    (void)err;
    struct pw_profile *p = r->prof;
    pw_str *roots, *leaves;
    size_t n_roots = split_keys(p, cfg->tagroot, &roots);
    size_t n_leaves = split_keys(p, cfg->tagleaf, &leaves);
    bool rootm = false, leafm = false;
    if (n_roots + n_leaves > 0) {
        struct frame_table t = {0};
        for (uint32_t i = 0; i < p->n_locations; i++)
            if (p->locations[i].id >= t.next_loc_id)
                t.next_loc_id = p->locations[i].id + 1;
        for (uint32_t i = 0; i < p->n_functions; i++)
            if (p->functions[i].id >= t.next_func_id)
                t.next_func_id = p->functions[i].id + 1;
        if (t.next_loc_id == 0)
            t.next_loc_id = 1;
        if (t.next_func_id == 0)
            t.next_func_id = 1;
        const char *unit = cfg->unit ? cfg->unit : "minimum";
        uint32_t *root_frames = pw_xcalloc(n_roots + 1, sizeof(uint32_t));
        uint32_t *leaf_frames = pw_xcalloc(n_leaves + 1, sizeof(uint32_t));
        for (size_t i = 0; i < p->n_samples; i++) {
            struct pw_sample *s = &p->samples[i];
            if (label_frames(p, &t, s, roots, n_roots, unit, root_frames))
                rootm = true;
            if (label_frames(p, &t, s, leaves, n_leaves, unit, leaf_frames))
                leafm = true;
            size_t n = n_leaves + s->n_locs + n_roots;
            uint32_t *locs = pw_arena_alloc(&p->arena, n * sizeof(uint32_t));
            memcpy(locs, leaf_frames, n_leaves * sizeof(uint32_t));
            if (s->n_locs)
                memcpy(locs + n_leaves, s->locs, s->n_locs * sizeof(uint32_t));
            memcpy(locs + n_leaves + s->n_locs, root_frames, n_roots * sizeof(uint32_t));
            s->locs = locs;
            s->n_locs = (uint32_t)n;
        }
        free(root_frames);
        free(leaf_frames);
        free(t.v);
    }
    free(roots);
    free(leaves);
    if (warn && cfg->tagroot && *cfg->tagroot && !rootm)
        pw_buf_adds(warn, "TagRoot expression matched no samples\n");
    if (warn && cfg->tagleaf && *cfg->tagleaf && !leafm)
        pw_buf_adds(warn, "TagLeaf expression matched no samples\n");
    return 0;
}
