/* goroutines_view: /api/goroutines, the summary of a goroutine dump as panicparse gives it:
 * goroutines with identical stacks grouped, each group with its count, its states (with
 * counts), its wait range in minutes and who created it, largest group first.
 *
 * In: a profile decoded by goroutines.c (labels state, wait, created_by, locked) or any other
 * profile of goroutine counts (the groups then have no states), refined as every view refines it
 * (focus, ignore, hide, show, tag filters...: pw_report_new), so the summary counts what the
 * other views show; stacks keep their lines whatever the views' granularity, as a dump's stacks
 * are told apart by them. Out: JSON in the response buffer; scratch arrays are malloc'd and
 * freed here, the refined copy with its report. Groups are the profile's distinct stacks, so their
 * number is bounded by its samples. */
#include <stdlib.h>
#include <string.h>

#include "pprofweb/json.h"
#include "pprofweb/report.h"
#include "pprofweb/views.h"
#include "pprofweb/wrap.h"

struct grp {
    size_t b, e; /* the group's range in the sorted order */
    int64_t count, wait_min, wait_max, locked;
    bool has_wait;
};

/* A sample in the sort by stack (a pointer, since qsort passes no context). */
struct ref {
    const struct pw_sample *s;
    size_t i;
};

static int stack_cmp(const void *a, const void *b)
{
    const struct ref *x = a, *y = b;
    if (x->s->n_locs != y->s->n_locs)
        return x->s->n_locs < y->s->n_locs ? -1 : 1;
    int c = memcmp(x->s->locs, y->s->locs, sizeof(uint32_t) * x->s->n_locs);
    if (c)
        return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int grp_cmp(const void *a, const void *b)
{
    const struct grp *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->b < y->b ? -1 : x->b > y->b;
}

static bool same_stack(const struct pw_sample *x, const struct pw_sample *y)
{
    return x->n_locs == y->n_locs && !memcmp(x->locs, y->locs, sizeof(uint32_t) * x->n_locs);
}

static const struct pw_label *label(const struct pw_sample *s, pw_str key)
{
    for (uint32_t i = 0; i < s->n_labels; i++)
        if (s->labels[i].key == key)
            return &s->labels[i];
    return NULL;
}

/* The strings of key over the group's samples order[b..e), with counts, most first. */
static void string_counts(struct pw_json *j, const struct pw_profile *p, const struct ref *order,
                          size_t b, size_t e, pw_str key, uint32_t vi)
{
    size_t n = 0;
    pw_str *vals = pw_xmalloc(sizeof(*vals) * (e - b + 1));
    int64_t *counts = pw_xmalloc(sizeof(*counts) * (e - b + 1));
    for (size_t i = b; i < e; i++) {
        const struct pw_sample *s = order[i].s;
        const struct pw_label *l = key ? label(s, key) : NULL;
        if (!l || l->is_num)
            continue;
        size_t k = 0;
        while (k < n && vals[k] != l->str)
            k++;
        if (k == n) {
            vals[n] = l->str;
            counts[n++] = 0;
        }
        counts[k] = pw_wadd(counts[k], s->values[vi]);
    }
    pw_json_arr_begin(j);
    for (;;) {
        size_t best = n;
        for (size_t k = 0; k < n; k++)
            if (counts[k] >= 0 && (best == n || counts[k] > counts[best]))
                best = k;
        if (best == n)
            break;
        pw_json_obj_begin(j);
        pw_json_kstr(j, "value", pw_s(p, vals[best]));
        pw_json_kint(j, "count", counts[best]);
        pw_json_obj_end(j);
        counts[best] = -1;
    }
    pw_json_arr_end(j);
    free(vals);
    free(counts);
}

static pw_str find_string(const struct pw_profile *p, const char *s)
{
    for (uint32_t i = 1; i < p->n_strings; i++)
        if (!strcmp(p->strings[i], s))
            return i;
    return 0;
}

int pw_view_goroutines(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err)
{
    if (a->p->n_sample_types == 0 || strcmp(pw_s(a->p, a->p->sample_types[0].type), "goroutine"))
        return pw_fail(err, PW_ENOTFOUND, "not a goroutine profile");
    struct pw_config cfg = *a->cfg;
    cfg.granularity = PW_G_LINES;
    struct pw_report *r = pw_report_new(a->p, "top", NULL, &cfg, NULL, err);
    if (!r)
        return -1;
    const struct pw_profile *p = r->prof;
    uint32_t vi = r->opt.sample_index;
    pw_str k_state = find_string(p, "state"), k_wait = find_string(p, "wait");
    pw_str k_created = find_string(p, "created_by"), k_locked = find_string(p, "locked");
    size_t n = p->n_samples;
    struct ref *order = pw_xmalloc(sizeof(*order) * (n + 1));
    for (size_t i = 0; i < n; i++)
        order[i] = (struct ref){&p->samples[i], i};
    qsort(order, n, sizeof(*order), stack_cmp);
    struct grp *g = pw_xmalloc(sizeof(*g) * (n + 1));
    size_t n_g = 0;
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const struct pw_sample *s = order[i].s;
        if (i == 0 || !same_stack(order[i - 1].s, s))
            g[n_g++] = (struct grp){.b = i};
        struct grp *c = &g[n_g - 1];
        c->e = i + 1;
        c->count = pw_wadd(c->count, s->values[vi]);
        total = pw_wadd(total, s->values[vi]);
        const struct pw_label *w = k_wait ? label(s, k_wait) : NULL;
        if (w && w->is_num) {
            if (!c->has_wait || w->num < c->wait_min)
                c->wait_min = w->num;
            if (!c->has_wait || w->num > c->wait_max)
                c->wait_max = w->num;
            c->has_wait = true;
        }
        if (k_locked && label(s, k_locked))
            c->locked = pw_wadd(c->locked, s->values[vi]);
    }
    qsort(g, n_g, sizeof(*g), grp_cmp);
    struct pw_json j;
    pw_json_init(&j, out);
    pw_json_obj_begin(&j);
    pw_view_json_common(&j, a, "goroutines");
    pw_json_kint(&j, "goroutines", total);
    pw_json_key(&j, "groups");
    pw_json_arr_begin(&j);
    for (size_t gi = 0; gi < n_g; gi++) {
        size_t b = g[gi].b, e = g[gi].e;
        const struct pw_sample *s = order[b].s;
        pw_json_obj_begin(&j);
        pw_json_kint(&j, "count", g[gi].count);
        pw_json_key(&j, "states");
        string_counts(&j, p, order, b, e, k_state, vi);
        pw_json_key(&j, "created_by");
        string_counts(&j, p, order, b, e, k_created, vi);
        if (g[gi].has_wait) {
            pw_json_kint(&j, "wait_min", g[gi].wait_min);
            pw_json_kint(&j, "wait_max", g[gi].wait_max);
        }
        pw_json_kint(&j, "locked", g[gi].locked);
        pw_json_key(&j, "frames");
        pw_json_arr_begin(&j);
        for (uint32_t k = 0; k < s->n_locs; k++) {
            const struct pw_location *l = &p->locations[s->locs[k]];
            for (uint32_t li = 0; li < l->n_lines; li++) {
                const struct pw_line *ln = &l->lines[li];
                if (ln->function == PW_NONE)
                    continue;
                const struct pw_function *f = &p->functions[ln->function];
                pw_json_obj_begin(&j);
                pw_json_kstr(&j, "function", pw_s(p, f->name));
                pw_json_kstr(&j, "file", pw_s(p, f->filename));
                pw_json_kint(&j, "line", ln->line);
                pw_json_obj_end(&j);
            }
        }
        pw_json_arr_end(&j);
        pw_json_obj_end(&j);
    }
    pw_json_arr_end(&j);
    pw_json_obj_end(&j);
    free(order);
    free(g);
    pw_report_free(r);
    return 0;
}
