/* profile_ops: whole-profile transformations that pprof applies before building reports:
 * Scale/ScaleN/Normalize, Aggregate (granularity), and the -raw text dump (Profile.String).
 * Everything mutates or reads the profile passed in; nothing here allocates outside its arena and
 * arrays. Time and duration text follows Go's time.Time.String and time.Duration.String. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pprofweb/buf.h"
#include "pprofweb/gofmt.h"
#include "pprofweb/profile.h"
#include "pprofweb/wrap.h"

int pw_profile_scale_n(struct pw_profile *p, const double *ratios, struct pw_err *err)
{
    bool all_ones = true;
    for (uint32_t i = 0; i < p->n_sample_types; i++)
        if (ratios[i] != 1)
            all_ones = false;
    if (all_ones)
        return 0;
    size_t fill = 0;
    for (size_t i = 0; i < p->n_samples; i++) {
        struct pw_sample *s = &p->samples[i];
        bool keep = false;
        for (uint32_t j = 0; j < p->n_sample_types; j++) {
            if (ratios[j] != 1) {
                int64_t v = pw_go_int64(round((double)s->values[j] * ratios[j]));
                s->values[j] = v;
                keep = keep || v != 0;
            }
        }
        if (keep)
            p->samples[fill++] = *s;
    }
    p->n_samples = fill;
    (void)err;
    return 0;
}

void pw_profile_scale(struct pw_profile *p, double ratio)
{
    if (ratio == 1)
        return;
    double *r = pw_xmalloc(sizeof(double) * (p->n_sample_types + 1));
    for (uint32_t i = 0; i < p->n_sample_types; i++)
        r[i] = ratio;
    pw_profile_scale_n(p, r, NULL);
    free(r);
}

/* pprof's compatible(): same period type and sample types. */
int pw_profile_compatible(const struct pw_profile *a, const struct pw_profile *b,
                          struct pw_err *err)
{
    if (strcmp(pw_s(a, a->period_type.type), pw_s(b, b->period_type.type)) ||
        strcmp(pw_s(a, a->period_type.unit), pw_s(b, b->period_type.unit)))
        return pw_fail(err, PW_EINVAL, "incompatible period types %s/%s and %s/%s",
                       pw_s(a, a->period_type.type), pw_s(a, a->period_type.unit),
                       pw_s(b, b->period_type.type), pw_s(b, b->period_type.unit));
    bool same = a->n_sample_types == b->n_sample_types;
    for (uint32_t i = 0; same && i < a->n_sample_types; i++)
        same = !strcmp(pw_s(a, a->sample_types[i].type), pw_s(b, b->sample_types[i].type)) &&
               !strcmp(pw_s(a, a->sample_types[i].unit), pw_s(b, b->sample_types[i].unit));
    if (!same)
        return pw_fail(err, PW_EINVAL, "incompatible sample types");
    return 0;
}

int pw_profile_normalize(struct pw_profile *p, const struct pw_profile *base, struct pw_err *err)
{
    if (pw_profile_compatible(p, base, err))
        return -1;
    uint32_t n = p->n_sample_types;
    int64_t *bv = pw_xcalloc(n + 1, sizeof(int64_t)), *sv = pw_xcalloc(n + 1, sizeof(int64_t));
    double *scale = pw_xcalloc(n + 1, sizeof(double));
    for (size_t i = 0; i < base->n_samples; i++)
        for (uint32_t j = 0; j < n; j++)
            bv[j] = pw_wadd(bv[j], base->samples[i].values[j]);
    for (size_t i = 0; i < p->n_samples; i++)
        for (uint32_t j = 0; j < n; j++)
            sv[j] = pw_wadd(sv[j], p->samples[i].values[j]);
    for (uint32_t j = 0; j < n; j++)
        scale[j] = sv[j] == 0 ? 0.0 : (double)bv[j] / (double)sv[j];
    pw_profile_scale_n(p, scale, err);
    free(bv);
    free(sv);
    free(scale);
    return 0;
}

int pw_profile_aggregate(struct pw_profile *p, bool inline_frame, bool function, bool filename,
                         bool linenumber, bool address, struct pw_err *err)
{
    for (uint32_t i = 0; i < p->n_mappings; i++) {
        struct pw_mapping *m = &p->mappings[i];
        m->has_inline_frames = m->has_inline_frames && inline_frame;
        m->has_functions = m->has_functions && function;
        m->has_filenames = m->has_filenames && filename;
        m->has_line_numbers = m->has_line_numbers && linenumber;
    }
    if (!function || !filename) {
        for (uint32_t i = 0; i < p->n_functions; i++) {
            struct pw_function *f = &p->functions[i];
            if (!function)
                f->name = f->system_name = 0;
            if (!filename)
                f->filename = 0;
        }
    }
    if (!inline_frame || !address || !linenumber) {
        for (uint32_t i = 0; i < p->n_locations; i++) {
            struct pw_location *l = &p->locations[i];
            if (!inline_frame && l->n_lines > 1) {
                l->lines += l->n_lines - 1;
                l->n_lines = 1;
            }
            if (!linenumber)
                for (uint32_t j = 0; j < l->n_lines; j++)
                    l->lines[j].line = 0;
            if (!address)
                l->address = 0;
        }
    }
    return pw_profile_check_valid(p, err);
}

/* --- -raw --- */

/* Profile strings may hold any byte, NUL included: write them by length. */
static void add_str(struct pw_buf *out, const struct pw_profile *p, pw_str s)
{
    pw_buf_add(out, p->strings[s], p->string_lens[s]);
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Labels grouped by key in first-seen order of values, as Go's label maps; then sorted. */
static void format_labels(const struct pw_profile *p, const struct pw_sample *s, bool numeric,
                          struct pw_buf *out)
{
    uint32_t n = s->n_labels;
    char **entries = pw_xmalloc(sizeof(char *) * (n + 1));
    size_t n_entries = 0;
    bool *done = pw_xcalloc(n + 1, 1);
    for (uint32_t i = 0; i < n; i++) {
        if (done[i] || s->labels[i].is_num != numeric)
            continue;
        struct pw_buf e;
        pw_buf_init(&e, 0);
        pw_buf_addf(&e, "%s:[", pw_s(p, s->labels[i].key));
        /* Go keeps units for a key only when one of its values has a unit, and then pads the
         * others with "", so they print as "N " with an empty unit. */
        bool any_unit = false;
        for (uint32_t j = i; j < n; j++)
            if (s->labels[j].is_num == numeric && s->labels[j].key == s->labels[i].key &&
                numeric && s->labels[j].unit)
                any_unit = true;
        bool first = true;
        for (uint32_t j = i; j < n; j++) {
            const struct pw_label *l = &s->labels[j];
            if (l->is_num != numeric || l->key != s->labels[i].key)
                continue;
            done[j] = true;
            if (!first)
                pw_buf_addc(&e, ' ');
            first = false;
            if (!numeric)
                pw_buf_adds(&e, pw_s(p, l->str));
            else if (any_unit)
                pw_buf_addf(&e, "%lld %s", (long long)l->num, pw_s(p, l->unit));
            else
                pw_buf_addf(&e, "%lld", (long long)l->num);
        }
        pw_buf_addc(&e, ']');
        entries[n_entries++] = pw_buf_detach(&e, NULL);
    }
    qsort(entries, n_entries, sizeof(char *), cmp_cstr);
    for (size_t i = 0; i < n_entries; i++) {
        if (i)
            pw_buf_addc(out, ' ');
        pw_buf_adds(out, entries[i]);
        free(entries[i]);
    }
    free(entries);
    free(done);
}

static bool has_labels(const struct pw_sample *s, bool numeric)
{
    for (uint32_t i = 0; i < s->n_labels; i++)
        if (s->labels[i].is_num == numeric)
            return true;
    return false;
}

void pw_profile_format_raw(const struct pw_profile *p, struct pw_buf *out)
{
    for (uint32_t i = 0; i < p->n_comments; i++)
        pw_buf_addf(out, "Comment: %s\n", pw_s(p, p->comments[i]));
    if (p->has_period_type)
        pw_buf_addf(out, "PeriodType: %s %s\n", pw_s(p, p->period_type.type),
                    pw_s(p, p->period_type.unit));
    pw_buf_addf(out, "Period: %lld\n", (long long)p->period);
    if (p->time_nanos) {
        char t[96];
        pw_go_time_string(p->time_nanos, t, sizeof(t));
        pw_buf_addf(out, "Time: %s\n", t);
    }
    if (p->duration_nanos) {
        char d[64];
        pw_go_duration_string(p->duration_nanos, d, sizeof(d));
        pw_go_truncate_runes(d, 4);
        pw_buf_addf(out, "Duration: %s\n", d);
    }
    pw_buf_adds(out, "Samples:\n");
    struct pw_buf h;
    pw_buf_init(&h, 0);
    for (uint32_t i = 0; i < p->n_sample_types; i++) {
        const struct pw_value_type *t = &p->sample_types[i];
        pw_buf_addf(&h, "%s/%s%s ", pw_s(p, t->type), pw_s(p, t->unit),
                    t->type == p->default_sample_type ? "[dflt]" : "");
    }
    /* strings.TrimSpace of the header. */
    const char *hs = pw_buf_str(&h);
    size_t hl = h.len;
    while (hl && hs[hl - 1] == ' ')
        hl--;
    pw_buf_add(out, hs, hl);
    pw_buf_addc(out, '\n');
    pw_buf_release(&h);

    for (size_t i = 0; i < p->n_samples; i++) {
        const struct pw_sample *s = &p->samples[i];
        for (uint32_t j = 0; j < p->n_sample_types; j++)
            pw_buf_addf(out, " %10lld", (long long)s->values[j]);
        pw_buf_adds(out, ": ");
        for (uint32_t j = 0; j < s->n_locs; j++)
            pw_buf_addf(out, "%llu ", (unsigned long long)p->locations[s->locs[j]].id);
        pw_buf_addc(out, '\n');
        if (has_labels(s, false)) {
            pw_buf_adds(out, "                ");
            format_labels(p, s, false, out);
            pw_buf_addc(out, '\n');
        }
        if (has_labels(s, true)) {
            pw_buf_adds(out, "                ");
            format_labels(p, s, true, out);
            pw_buf_addc(out, '\n');
        }
    }

    pw_buf_adds(out, "Locations\n");
    for (uint32_t i = 0; i < p->n_locations; i++) {
        const struct pw_location *l = &p->locations[i];
        char head[96], addr[24];
        pw_go_hex(l->address, addr, sizeof(addr));
        int n = snprintf(head, sizeof(head), "%6llu: %s ", (unsigned long long)l->id, addr);
        if (l->mapping != PW_NONE)
            n += snprintf(head + n, sizeof(head) - (size_t)n, "M=%llu ",
                          (unsigned long long)p->mappings[l->mapping].id);
        if (l->is_folded)
            snprintf(head + n, sizeof(head) - (size_t)n, "[F] ");
        if (l->n_lines == 0)
            pw_buf_addf(out, "%s\n", head);
        for (uint32_t j = 0; j < l->n_lines; j++) {
            pw_buf_adds(out, j == 0 ? head : "             ");
            const struct pw_line *ln = &l->lines[j];
            if (ln->function == PW_NONE) {
                pw_buf_adds(out, "??\n");
                continue;
            }
            const struct pw_function *f = &p->functions[ln->function];
            add_str(out, p, f->name);
            pw_buf_addc(out, ' ');
            add_str(out, p, f->filename);
            pw_buf_addf(out, ":%lld s=%lld", (long long)ln->line, (long long)f->start_line);
            if (f->name != f->system_name) {
                pw_buf_addc(out, '(');
                add_str(out, p, f->system_name);
                pw_buf_addc(out, ')');
            }
            pw_buf_addc(out, '\n');
        }
    }

    pw_buf_adds(out, "Mappings\n");
    for (uint32_t i = 0; i < p->n_mappings; i++) {
        const struct pw_mapping *m = &p->mappings[i];
        char s1[24], s2[24], s3[24];
        pw_go_hex(m->start, s1, sizeof(s1));
        pw_go_hex(m->limit, s2, sizeof(s2));
        pw_go_hex(m->offset, s3, sizeof(s3));
        pw_buf_addf(out, "%llu: %s/%s/%s %s %s %s%s%s%s\n", (unsigned long long)m->id, s1, s2, s3,
                    pw_s(p, m->file), pw_s(p, m->build_id), m->has_functions ? "[FN]" : "",
                    m->has_filenames ? "[FL]" : "", m->has_line_numbers ? "[LN]" : "",
                    m->has_inline_frames ? "[IN]" : "");
    }
}
