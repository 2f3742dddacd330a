/* compare_view: the base and new columns of a comparison's top table. The compared profile's rows
 * carry the change (new minus base, as pprof's -base/-diff_base reports print it); the base
 * column is the same report run on the base profile alone with the same settings, untrimmed, and
 * new is change plus base (the normalized new profile with norm=t). Rows are matched by their
 * printed name and inline mark, which is what identifies a row of pprof's top.
 * Not for mean values (mean=t): a mean of a difference is not a difference of means.
 * Owns its report of the base profile until pw_compare_rows_free. */
#include <stdlib.h>
#include <string.h>

#include "pprofweb/report.h"
#include "pprofweb/views.h"

struct pw_compare_rows {
    struct pw_report *r;
    struct pw_text_item **sorted; /* the base rows by (name, inline label) */
    size_t n;
};

static int cmp_item(const void *a, const void *b)
{
    const struct pw_text_item *x = *(const struct pw_text_item *const *)a;
    const struct pw_text_item *y = *(const struct pw_text_item *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->inline_label, y->inline_label);
}

struct pw_compare_rows *pw_compare_rows_new(const struct pw_view_args *a)
{
    if (!a->cmp || a->cfg->mean)
        return NULL;
    struct pw_config cfg = *a->cfg;
    cfg.trim = false;
    struct pw_err err = {0};
    struct pw_report *r = pw_report_new(a->cmp->base, "top", NULL, &cfg, NULL, &err);
    if (!r)
        return NULL; /* a setting the base cannot take (a tag it lacks): no columns */
    struct pw_compare_rows *t = pw_xcalloc(1, sizeof(*t));
    t->r = r;
    struct pw_text_item *items = pw_report_text_items(r, &t->n);
    t->sorted = pw_xcalloc(t->n + 1, sizeof(*t->sorted));
    for (size_t i = 0; i < t->n; i++)
        t->sorted[i] = &items[i];
    qsort(t->sorted, t->n, sizeof(*t->sorted), cmp_item);
    return t;
}

void pw_compare_rows_base(const struct pw_compare_rows *t, const struct pw_text_item *row,
                          int64_t *flat, int64_t *cum)
{
    const struct pw_text_item *key = row;
    struct pw_text_item **hit = bsearch(&key, t->sorted, t->n, sizeof(*t->sorted), cmp_item);
    *flat = hit ? (*hit)->flat : 0;
    *cum = hit ? (*hit)->cum : 0;
}

void pw_compare_rows_free(struct pw_compare_rows *t)
{
    if (!t)
        return;
    pw_report_free(t->r);
    free(t->sorted);
    free(t);
}
