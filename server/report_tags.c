/* report_tags: the -tags report (pprof's printTags). Every label value of every sample is summed
 * with the sample's value, per key; keys print in name order, values by decreasing weight.
 * pprof pipes this table through Go's text/tabwriter (right-aligned, padding 1), so this file
 * also holds a small port of that tabwriter's column algorithm.
 * Memory: temporary arrays are malloc'd and freed here; output is appended to the caller's buffer.
 * Not here: tag filtering (-tagfocus/-tagshow are applied to the profile by filter.c). */
#include "pprofweb/report.h"

#include <stdlib.h>
#include <string.h>

#include "pprofweb/measurement.h"
#include "pprofweb/wrap.h"

/* ---- tabwriter: Go's text/tabwriter with minwidth 0, tabwidth 0, padding 1, padchar ' ' and
 * AlignRight. Cells are tab-terminated; the text after a line's last tab is not aligned. ---- */

struct tw_cell {
    size_t size;  /* bytes */
    size_t width; /* runes, as utf8.RuneCount counts them */
};

struct tw_line {
    struct tw_cell *cells;
    size_t n, cap;
};

struct tabw {
    struct pw_buf *out;
    struct pw_buf text; /* cell bytes of the buffered lines */
    struct tw_line *lines;
    size_t n_lines, cap_lines;
    size_t *widths;
    size_t n_widths, cap_widths;
    size_t cell_size; /* bytes of the unterminated current cell */
};

/* Go's utf8.RuneCount: a valid sequence is one rune, each byte of an invalid one is one rune. */
static size_t rune_count(const unsigned char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; count++) {
        unsigned char c = s[i];
        size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c < 0x80)
            len = 1;
        else if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        }
        if (len <= 1 || i + len > n) {
            i++;
            continue;
        }
        bool ok = s[i + 1] >= lo && s[i + 1] <= hi;
        for (size_t k = 2; ok && k < len; k++)
            ok = s[i + k] >= 0x80 && s[i + k] <= 0xBF;
        i += ok ? len : 1;
    }
    return count;
}

static void tw_add_line(struct tabw *t)
{
    PW_GROW(t->lines, t->cap_lines, t->n_lines + 1);
    memset(&t->lines[t->n_lines++], 0, sizeof(struct tw_line));
}

static void tw_init(struct tabw *t, struct pw_buf *out)
{
    memset(t, 0, sizeof(*t));
    t->out = out;
    pw_buf_init(&t->text, 0);
    tw_add_line(t);
}

static size_t tw_terminate_cell(struct tabw *t)
{
    struct tw_line *l = &t->lines[t->n_lines - 1];
    size_t start = t->text.len - t->cell_size;
    PW_GROW(l->cells, l->cap, l->n + 1);
    l->cells[l->n].size = t->cell_size;
    l->cells[l->n].width =
        rune_count((const unsigned char *)pw_buf_str(&t->text) + start, t->cell_size);
    l->n++;
    t->cell_size = 0;
    return l->n;
}

static size_t tw_write_lines(struct tabw *t, size_t pos, size_t line0, size_t line1)
{
    const char *text = pw_buf_str(&t->text);
    for (size_t i = line0; i < line1; i++) {
        struct tw_line *l = &t->lines[i];
        for (size_t j = 0; j < l->n; j++) {
            struct tw_cell *c = &l->cells[j];
            if (j < t->n_widths && t->widths[j] > c->width)
                pw_buf_pad(t->out, ' ', t->widths[j] - c->width);
            pw_buf_add(t->out, text + pos, c->size);
            pos += c->size;
        }
        if (i + 1 == t->n_lines) {
            pw_buf_add(t->out, text + pos, t->cell_size);
            pos += t->cell_size;
        } else {
            pw_buf_addc(t->out, '\n');
        }
    }
    return pos;
}

/* Go's Writer.format: finds the blocks of consecutive lines that have a cell in the current
 * column, sizes that column for the block, and recurses into the next column. */
static size_t tw_format(struct tabw *t, size_t pos, size_t line0, size_t line1)
{
    size_t column = t->n_widths;
    for (size_t this = line0; this < line1; this ++) {
        if (column + 1 >= t->lines[this].n)
            continue;
        pos = tw_write_lines(t, pos, line0, this);
        line0 = this;
        size_t width = 0;
        for (; this < line1; this ++) {
            struct tw_line *l = &t->lines[this];
            if (column + 1 >= l->n)
                break;
            if (l->cells[column].width + 1 > width)
                width = l->cells[column].width + 1;
        }
        PW_GROW(t->widths, t->cap_widths, t->n_widths + 1);
        t->widths[t->n_widths++] = width;
        pos = tw_format(t, pos, line0, this);
        t->n_widths--;
        line0 = this;
        if (this == line1)
            break;
    }
    return tw_write_lines(t, pos, line0, line1);
}

static void tw_reset(struct tabw *t)
{
    for (size_t i = 0; i < t->n_lines; i++)
        free(t->lines[i].cells);
    t->n_lines = 0;
    t->n_widths = 0;
    t->cell_size = 0;
    pw_buf_reset(&t->text);
    tw_add_line(t);
}

static void tw_flush(struct tabw *t)
{
    if (t->cell_size > 0)
        tw_terminate_cell(t);
    tw_format(t, 0, 0, t->n_lines);
    tw_reset(t);
}

static void tw_write(struct tabw *t, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch != '\t' && ch != '\v' && ch != '\n' && ch != '\f') {
            pw_buf_addc(&t->text, ch);
            t->cell_size++;
            continue;
        }
        size_t ncells = tw_terminate_cell(t);
        if (ch == '\n' || ch == '\f') {
            tw_add_line(t);
            /* A line of one cell cannot affect later columns: pprof's tabwriter flushes. */
            if (ch == '\f' || ncells == 1)
                tw_flush(t);
        }
    }
}

static void tw_printf(struct tabw *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tw_printf(struct tabw *t, const char *fmt, ...)
{
    struct pw_buf tmp;
    pw_buf_init(&tmp, 0);
    va_list ap;
    va_start(ap, fmt);
    pw_buf_vaddf(&tmp, fmt, ap);
    va_end(ap);
    tw_write(t, pw_buf_str(&tmp), tmp.len);
    pw_buf_release(&tmp);
}

static void tw_release(struct tabw *t)
{
    tw_flush(t);
    for (size_t i = 0; i < t->n_lines; i++)
        free(t->lines[i].cells);
    free(t->lines);
    free(t->widths);
    pw_buf_release(&t->text);
}

/* ---- the tags table ---- */

struct tag_entry {
    const char *key, *value;
    int64_t weight;
};

static int cmp_key_value(const void *a, const void *b)
{
    const struct tag_entry *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

/* graph.SortTags(tags, flat=true): decreasing |flat|, then name. */
static int cmp_weight_name(const void *a, const void *b)
{
    const struct tag_entry *x = a, *y = b;
    if (x->weight != y->weight) {
        int64_t ax = pw_wabs(x->weight), ay = pw_wabs(y->weight);
        if (ax != ay)
            return ax > ay ? -1 : 1;
    }
    return strcmp(x->value, y->value);
}

static void print_key(struct pw_report *r, struct tabw *tw, const char *key, struct tag_entry *tags,
                      size_t n)
{
    const struct pw_report_options *o = &r->opt;
    int64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total = pw_wadd(total, tags[i].weight);
    qsort(tags, n, sizeof(*tags), cmp_weight_name);
    const char *u;
    double f = pw_scale(total, o->sample_unit, o->output_unit, &u);
    tw_printf(tw, "%s:\t Total %.1f%s\n", key, f, u);
    for (size_t i = 0; i < n; i++) {
        f = pw_scale(tags[i].weight, o->sample_unit, o->output_unit, &u);
        if (total > 0) {
            char pct[PW_PERCENT_MAX];
            tw_printf(tw, " \t%.1f%s (%s):\t %s\n", f, u, pw_percentage(pct, tags[i].weight, total),
                      tags[i].value);
        } else {
            tw_printf(tw, " \t%.1f%s:\t %s\n", f, u, tags[i].value);
        }
    }
    tw_write(tw, "\n", 1);
}

void pw_report_print_tags(struct pw_report *r, struct pw_buf *out)
{
    const struct pw_profile *p = r->prof;
    struct tag_entry *e = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < p->n_samples; i++) {
        const struct pw_sample *s = &p->samples[i];
        int64_t v = s->values[r->opt.sample_index];
        for (uint32_t j = 0; j < s->n_labels; j++) {
            const struct pw_label *l = &s->labels[j];
            const char *value;
            if (l->is_num) {
                char tmp[PW_VALUE_MAX];
                pw_scaled_label(tmp, sizeof(tmp), l->num, pw_report_num_label_unit(r, l->key),
                                r->opt.output_unit);
                value = pw_arena_strdup(&r->arena, tmp);
            } else {
                value = pw_s(p, l->str);
            }
            PW_GROW(e, cap, n + 1);
            e[n++] = (struct tag_entry){pw_s(p, l->key), value, v};
        }
    }
    if (n > 1)
        qsort(e, n, sizeof(*e), cmp_key_value);
    /* Merge equal (key, value) pairs in place. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && strcmp(e[m - 1].key, e[i].key) == 0 && strcmp(e[m - 1].value, e[i].value) == 0)
            e[m - 1].weight = pw_wadd(e[m - 1].weight, e[i].weight);
        else
            e[m++] = e[i];
    }
    struct tabw tw;
    tw_init(&tw, out);
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j < m && strcmp(e[j].key, e[i].key) == 0)
            j++;
        print_key(r, &tw, e[i].key, e + i, j - i);
        i = j;
    }
    tw_release(&tw);
    free(e);
}
