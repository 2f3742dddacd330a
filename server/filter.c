/* filter: pprof's sample filters by frame name and by label, and the driver's applyFocus that
 * runs them in pprof's order with pprof's warnings.
 *
 * In: a profile the caller owns and may lose (filters work in place, as pprof's do on its copy),
 * regexps from regex.c. Out: fewer samples, shorter stacks, shorter location line lists, fewer
 * labels. Arrays that shrink to a prefix or suffix are re-pointed; subsets are built in
 * p->arena, so arrays possibly shared with another sample are never written.
 * Locations are indexed densely, so pprof's maps keyed by location ID are arrays here.
 * Not here: Prune/PruneFrom and RemoveUninteresting (prune.c); -tagroot/-tagleaf (the report). */
#include "pprofweb/filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/buf.h"
#include "pprofweb/measurement.h"
#include "pprofweb/regex.h"

static bool str_matches(const struct pw_profile *p, pw_str s, const struct pw_regex *re)
{
    return pw_regex_match(re, p->strings[s], p->string_lens[s]);
}

static bool line_matches(const struct pw_profile *p, const struct pw_line *ln,
                         const struct pw_regex *re)
{
    if (ln->function == PW_NONE)
        return false;
    const struct pw_function *f = &p->functions[ln->function];
    return str_matches(p, f->name, re) || str_matches(p, f->filename, re);
}

static bool mapping_matches(const struct pw_profile *p, const struct pw_location *l,
                            const struct pw_regex *re)
{
    return l->mapping != PW_NONE && str_matches(p, p->mappings[l->mapping].file, re);
}

/* pprof's Location.matchesName: any line's function or file name, or the mapping file. */
static bool location_matches(const struct pw_profile *p, const struct pw_location *l,
                             const struct pw_regex *re)
{
    for (uint32_t i = 0; i < l->n_lines; i++)
        if (line_matches(p, &l->lines[i], re))
            return true;
    return mapping_matches(p, l, re);
}

/* Keeps the lines of l for which keep_if_match == line_matches(); lines without a function are
 * always kept (pprof's unmatchedLines / matchedLines). */
static void select_lines(struct pw_profile *p, struct pw_location *l, const struct pw_regex *re,
                         bool keep_if_match)
{
    struct pw_line *kept = NULL;
    uint32_t n = 0;
    for (uint32_t i = 0; i < l->n_lines; i++) {
        const struct pw_line *ln = &l->lines[i];
        if (ln->function != PW_NONE && line_matches(p, ln, re) != keep_if_match)
            continue;
        if (!kept)
            kept = pw_arena_alloc(&p->arena, sizeof(*kept) * l->n_lines);
        kept[n++] = *ln;
    }
    l->lines = kept;
    l->n_lines = n;
}

/* pprof's focusedAndNotIgnored: at least one focused location and no ignored one. */
static bool focused_and_not_ignored(const struct pw_sample *s, const unsigned char *state)
{
    bool focused = false;
    for (uint32_t i = 0; i < s->n_locs; i++) {
        if (state[s->locs[i]] == PW_LOC_IGNORED)
            return false;
        if (state[s->locs[i]] == PW_LOC_FOCUSED)
            focused = true;
    }
    return focused;
}

bool pw_filter_locations_by_name(struct pw_profile *p, const struct pw_regex *focus,
                                 const struct pw_regex *ignore, const struct pw_regex *hide,
                                 const struct pw_regex *show, unsigned char *state, bool *hidden,
                                 struct pw_name_matches *out)
{
    struct pw_name_matches m = {0};
    bool any_hidden = false;
    for (uint32_t li = 0; li < p->n_locations; li++) {
        struct pw_location *l = &p->locations[li];
        state[li] = PW_LOC_PLAIN;
        hidden[li] = false;
        if (ignore && location_matches(p, l, ignore)) {
            m.ignore = true;
            state[li] = PW_LOC_IGNORED;
        } else if (!focus || location_matches(p, l, focus)) {
            m.focus = true;
            state[li] = PW_LOC_FOCUSED;
        }
        if (hide && location_matches(p, l, hide)) {
            m.hide = true;
            if (mapping_matches(p, l, hide)) {
                l->lines = NULL;
                l->n_lines = 0;
            } else {
                select_lines(p, l, hide, false);
            }
            if (l->n_lines == 0)
                hidden[li] = any_hidden = true;
        }
        if (show) {
            if (!mapping_matches(p, l, show))
                select_lines(p, l, show, true);
            if (l->n_lines == 0)
                hidden[li] = any_hidden = true;
            else
                m.show = true;
        }
    }
    if (out)
        *out = m;
    return any_hidden;
}

void pw_filter_samples_by_name(struct pw_profile *p, const struct pw_regex *focus,
                               const struct pw_regex *ignore, const struct pw_regex *hide,
                               const struct pw_regex *show, struct pw_name_matches *out)
{
    unsigned char *state = pw_xcalloc(p->n_locations ? p->n_locations : 1, 1);
    bool *hidden = pw_xcalloc(p->n_locations ? p->n_locations : 1, sizeof(*hidden));
    bool any_hidden =
        pw_filter_locations_by_name(p, focus, ignore, hide, show, state, hidden, out);

    /* With neither focus nor ignore every location is focused: a sample needs only one,
     * which spares reading every stack. */
    bool all_focused = !focus && !ignore;
    size_t kept = 0;
    for (size_t si = 0; si < p->n_samples; si++) {
        struct pw_sample *s = &p->samples[si];
        if (all_focused ? s->n_locs == 0 : !focused_and_not_ignored(s, state))
            continue;
        if (any_hidden) {
            uint32_t n = 0;
            for (uint32_t i = 0; i < s->n_locs; i++)
                n += !hidden[s->locs[i]];
            if (n == 0)
                continue;
            if (n < s->n_locs) {
                uint32_t *locs = pw_arena_alloc(&p->arena, sizeof(*locs) * n);
                n = 0;
                for (uint32_t i = 0; i < s->n_locs; i++)
                    if (!hidden[s->locs[i]])
                        locs[n++] = s->locs[i];
                s->locs = locs;
                s->n_locs = n;
            }
        }
        p->samples[kept++] = *s;
    }
    p->n_samples = kept;
    free(state);
    free(hidden);
}

bool pw_show_from(struct pw_profile *p, const struct pw_regex *re)
{
    if (!re)
        return false;
    bool matched = false;
    bool *from = pw_xcalloc(p->n_locations ? p->n_locations : 1, sizeof(*from));
    for (uint32_t li = 0; li < p->n_locations; li++) {
        struct pw_location *l = &p->locations[li];
        if (mapping_matches(p, l, re)) {
            from[li] = matched = true;
            continue;
        }
        /* the outermost matching line; the inlined lines beneath it go */
        for (uint32_t i = l->n_lines; i-- > 0;) {
            if (line_matches(p, &l->lines[i], re)) {
                l->n_lines = i + 1;
                from[li] = matched = true;
                break;
            }
        }
    }
    size_t kept = 0;
    for (size_t si = 0; si < p->n_samples; si++) {
        struct pw_sample *s = &p->samples[si];
        for (uint32_t i = s->n_locs; i-- > 0;) {
            if (from[s->locs[i]]) {
                s->n_locs = i + 1;
                p->samples[kept++] = *s;
                break;
            }
        }
    }
    p->n_samples = kept;
    free(from);
    return matched;
}

void pw_filter_tags_by_name(struct pw_profile *p, const struct pw_regex *show,
                            const struct pw_regex *hide, bool *show_matched, bool *hide_matched)
{
    bool sm = false, hm = false;
    /* Without either filter every label stays: only whether there is one is asked. */
    for (size_t si = 0; !show && !hide && !sm && si < p->n_samples; si++)
        sm = p->samples[si].n_labels > 0;
    for (size_t si = 0; (show || hide) && si < p->n_samples; si++) {
        struct pw_sample *s = &p->samples[si];
        struct pw_label *kept = NULL;
        uint32_t n = 0;
        for (uint32_t j = 0; j < s->n_labels; j++) {
            pw_str key = s->labels[j].key;
            bool match_show = !show || str_matches(p, key, show);
            bool match_hide = hide && str_matches(p, key, hide);
            sm |= match_show;
            hm |= match_hide;
            bool remove = !match_show || match_hide;
            if (remove && !kept) {
                kept = pw_arena_alloc(&p->arena, sizeof(*kept) * s->n_labels);
                memcpy(kept, s->labels, sizeof(*kept) * j);
                n = j;
            } else if (!remove && kept) {
                kept[n++] = s->labels[j];
            }
        }
        if (kept) {
            s->labels = kept;
            s->n_labels = n;
        }
    }
    if (show_matched)
        *show_matched = sm;
    if (hide_matched)
        *hide_matched = hm;
}

/* --- tag filters --- */

enum range_kind { RANGE_EQ, RANGE_GE, RANGE_LE, RANGE_BETWEEN };

struct key_unit {
    pw_str key;
    const char *unit; /* static, or a string of the profile */
};

struct pw_tag_filter {
    char *want_key; /* NULL: any key */
    bool numeric;
    /* numeric range */
    enum range_kind kind;
    double lo, hi;
    char *unit;
    struct key_unit *units; /* pprof's numLabelUnits, fixed at compile time */
    size_t n_units;
    /* regexps: with want_key any matches a value; without, each must match some "key:value" */
    struct pw_regex **rx;
    size_t n_rx;
};

void pw_tag_filter_free(struct pw_tag_filter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_rx; i++)
        pw_regex_free(f->rx[i]);
    free(f->rx);
    free(f->units);
    free(f->unit);
    free(f->want_key);
    free(f);
}

/* pprof's NumLabelUnits: the first unit seen for each numeric key; keys without one are
 * "bytes" for alignment and request, else the key itself. */
static void num_label_units(struct pw_tag_filter *f, const struct pw_profile *p)
{
    size_t cap = 0;
    for (size_t si = 0; si < p->n_samples; si++) {
        const struct pw_sample *s = &p->samples[si];
        for (uint32_t j = 0; j < s->n_labels; j++) {
            const struct pw_label *l = &s->labels[j];
            if (!l->is_num)
                continue;
            size_t k = 0;
            while (k < f->n_units && f->units[k].key != l->key)
                k++;
            if (k == f->n_units) {
                PW_GROW(f->units, cap, k + 1);
                f->units[k] = (struct key_unit){l->key, NULL};
                f->n_units++;
            }
            if (!f->units[k].unit && l->unit != 0)
                f->units[k].unit = pw_s(p, l->unit);
        }
    }
    for (size_t k = 0; k < f->n_units; k++) {
        if (f->units[k].unit)
            continue;
        const char *key = pw_s(p, f->units[k].key);
        bool bytes = strcmp(key, "alignment") == 0 || strcmp(key, "request") == 0;
        f->units[k].unit = bytes ? "bytes" : key;
    }
}

static const char *unit_of(const struct pw_tag_filter *f, pw_str key)
{
    for (size_t k = 0; k < f->n_units; k++)
        if (f->units[k].key == key)
            return f->units[k].unit;
    return "";
}

/* One match of pprof's tagFilterRangeRx, ([+-]?[[:digit:]]+)([[:alpha:]]+)?, at or after *pos.
 * Fills the whole match and the number and unit parts; false when there is none. */
struct range_part {
    const char *start, *num, *unit;
    size_t len, num_len, unit_len;
};

static bool next_range_part(const char *s, size_t *pos, struct range_part *m)
{
    for (size_t i = *pos; s[i]; i++) {
        size_t d = i + ((s[i] == '+' || s[i] == '-') ? 1 : 0);
        if (s[d] < '0' || s[d] > '9')
            continue;
        size_t e = d;
        while (s[e] >= '0' && s[e] <= '9')
            e++;
        size_t u = e;
        while ((s[u] >= 'a' && s[u] <= 'z') || (s[u] >= 'A' && s[u] <= 'Z'))
            u++;
        *m = (struct range_part){s + i, s + i, s + e, u - i, e - i, u - e};
        *pos = u;
        return true;
    }
    return false;
}

static int parse_int64(const struct range_part *m, int64_t *v, struct pw_err *err)
{
    char buf[64];
    if (m->num_len >= sizeof buf)
        return pw_fail(err, PW_EINVAL, "failed to parse int %.*s: value out of range",
                       (int)m->num_len, m->num);
    memcpy(buf, m->num, m->num_len);
    buf[m->num_len] = 0;
    errno = 0;
    long long x = strtoll(buf, NULL, 10);
    if (errno == ERANGE)
        return pw_fail(err, PW_EINVAL,
                       "failed to parse int %s: strconv.ParseInt: parsing \"%s\": value out of "
                       "range",
                       buf, buf);
    *v = x;
    return 0;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = pw_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

static bool part_is(const struct range_part *m, const char *s, size_t len)
{
    return m->len == len && memcmp(m->start, s, len) == 0;
}

/* pprof's parseTagFilterRange. Returns 1 when value is a range (f filled), 0 when it is not,
 * -1 on a number out of range (pprof panics there). */
static int parse_range(struct pw_tag_filter *f, const char *value, struct pw_err *err)
{
    struct range_part a, b;
    size_t pos = 0;
    if (!next_range_part(value, &pos, &a))
        return 0;
    bool two = next_range_part(value, &pos, &b);
    int64_t v;
    if (parse_int64(&a, &v, err))
        return -1;
    char *unit_a = xstrndup(a.unit, a.unit_len);
    const char *unit = NULL;
    f->lo = pw_scale(v, unit_a, unit_a, &unit);
    f->unit = xstrndup(unit ? unit : "", unit ? strlen(unit) : 0);
    free(unit_a);
    size_t len = strlen(value);
    if (!two) {
        if (part_is(&a, value, len))
            f->kind = RANGE_EQ;
        else if (len == a.len + 1 && value[len - 1] == ':' && part_is(&a, value, len - 1))
            f->kind = RANGE_GE;
        else if (len == a.len + 1 && value[0] == ':' && part_is(&a, value + 1, len - 1))
            f->kind = RANGE_LE;
        else
            return 0;
        return 1;
    }
    if (len != a.len + 1 + b.len || memcmp(value, a.start, a.len) != 0 || value[a.len] != ':' ||
        memcmp(value + a.len + 1, b.start, b.len) != 0)
        return 0;
    if (parse_int64(&b, &v, err))
        return -1;
    char *unit_b = xstrndup(b.unit, b.unit_len);
    const char *unit2 = NULL;
    f->hi = pw_scale(v, unit_b, f->unit, &unit2);
    bool same = strcmp(unit2 ? unit2 : "", f->unit) == 0;
    free(unit_b);
    if (!same)
        return 0;
    f->kind = RANGE_BETWEEN;
    return 1;
}

struct pw_tag_filter *pw_tag_filter_compile(const struct pw_profile *p, const char *name,
                                            const char *value, struct pw_buf *warnings,
                                            struct pw_err *err)
{
    if (err)
        err->code = PW_OK;
    if (!value || !*value)
        return NULL;
    struct pw_tag_filter *f = pw_xcalloc(1, sizeof(*f));
    const char *eq = strchr(value, '=');
    if (eq) {
        if (eq > value)
            f->want_key = xstrndup(value, (size_t)(eq - value));
        value = eq + 1;
    }
    int rc = parse_range(f, value, err);
    if (rc < 0)
        goto fail;
    if (rc > 0) {
        if (warnings)
            pw_buf_addf(warnings, "%s:Interpreted '%s' as range, not regexp\n", name, value);
        f->numeric = true;
        num_label_units(f, p);
        return f;
    }
    size_t cap = 0;
    for (const char *s = value;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        char *one = xstrndup(s, len);
        struct pw_regex *re = pw_regex_compile(one, err);
        free(one);
        if (!re) {
            pw_err_prefix(err, "parsing %s regexp: ", name);
            goto fail;
        }
        PW_GROW(f->rx, cap, f->n_rx + 1);
        f->rx[f->n_rx++] = re;
        if (!comma)
            break;
        s = comma + 1;
    }
    return f;
fail:
    pw_tag_filter_free(f);
    return NULL;
}

static bool in_range(const struct pw_tag_filter *f, int64_t v, const char *unit)
{
    const char *su = NULL;
    double sv = pw_scale(v, unit, f->unit, &su);
    if (strcmp(su ? su : "", f->unit) != 0)
        return false;
    switch (f->kind) {
    case RANGE_EQ: return sv == f->lo;
    case RANGE_GE: return sv >= f->lo;
    case RANGE_LE: return sv <= f->lo;
    case RANGE_BETWEEN: return sv >= f->lo && sv <= f->hi;
    }
    return false;
}

static bool key_is(const struct pw_profile *p, pw_str key, const char *want)
{
    return strcmp(pw_s(p, key), want) == 0;
}

/* Without a key, each regexp must match some string label as "key:value". */
static bool match_any_key(const struct pw_tag_filter *f, const struct pw_profile *p,
                          const struct pw_sample *s)
{
    struct pw_buf kv;
    pw_buf_init(&kv, 0);
    bool all = true;
    for (size_t r = 0; r < f->n_rx && all; r++) {
        bool found = false;
        for (uint32_t j = 0; j < s->n_labels && !found; j++) {
            const struct pw_label *l = &s->labels[j];
            if (l->is_num)
                continue;
            pw_buf_reset(&kv);
            pw_buf_add(&kv, p->strings[l->key], p->string_lens[l->key]);
            pw_buf_addc(&kv, ':');
            pw_buf_add(&kv, p->strings[l->str], p->string_lens[l->str]);
            found = pw_regex_match(f->rx[r], kv.data, kv.len);
        }
        all = found;
    }
    pw_buf_release(&kv);
    return all;
}

bool pw_tag_filter_match(const struct pw_tag_filter *f, const struct pw_profile *p,
                         const struct pw_sample *s)
{
    if (f->numeric) {
        for (uint32_t j = 0; j < s->n_labels; j++) {
            const struct pw_label *l = &s->labels[j];
            if (!l->is_num || (f->want_key && !key_is(p, l->key, f->want_key)))
                continue;
            if (in_range(f, l->num, unit_of(f, l->key)))
                return true;
        }
        return false;
    }
    if (!f->want_key)
        return match_any_key(f, p, s);
    for (uint32_t j = 0; j < s->n_labels; j++) {
        const struct pw_label *l = &s->labels[j];
        if (l->is_num || !key_is(p, l->key, f->want_key))
            continue;
        for (size_t r = 0; r < f->n_rx; r++)
            if (str_matches(p, l->str, f->rx[r]))
                return true;
    }
    return false;
}

void pw_filter_samples_by_tag(struct pw_profile *p, const struct pw_tag_filter *focus,
                              const struct pw_tag_filter *ignore, bool *focus_matched,
                              bool *ignore_matched)
{
    bool fm = false, im = false;
    size_t kept = 0;
    if (!focus && !ignore) { /* every sample stays: a large profile's loop spared */
        fm = p->n_samples > 0;
        kept = p->n_samples;
    }
    for (size_t si = kept; si < p->n_samples; si++) {
        const struct pw_sample *s = &p->samples[si];
        bool focused = !focus || pw_tag_filter_match(focus, p, s);
        bool ignored = ignore && pw_tag_filter_match(ignore, p, s);
        fm |= focused;
        im |= ignored;
        if (focused && !ignored)
            p->samples[kept++] = *s;
    }
    p->n_samples = kept;
    if (focus_matched)
        *focus_matched = fm;
    if (ignore_matched)
        *ignore_matched = im;
}

/* --- applyFocus --- */

/* pprof's compileRegexOption: NULL for an empty setting. */
static int compile_option(const char *name, const char *value, struct pw_regex **out,
                          struct pw_err *err)
{
    *out = NULL;
    if (!value || !*value)
        return 0;
    *out = pw_regex_compile(value, err);
    if (!*out)
        return pw_err_prefix(err, "parsing %s regexp: ", name);
    return 0;
}

static int compile_tag_option(const struct pw_profile *p, const char *name, const char *value,
                              struct pw_tag_filter **out, struct pw_buf *warnings,
                              struct pw_err *err)
{
    *out = pw_tag_filter_compile(p, name, value, warnings, err);
    return !*out && value && *value ? -1 : 0;
}

static void warn_no_matches(struct pw_buf *warnings, bool match, const char *option)
{
    if (!match && warnings)
        pw_buf_addf(warnings, "%s expression matched no samples\n", option);
}

enum {
    RX_FOCUS,
    RX_IGNORE,
    RX_HIDE,
    RX_SHOW,
    RX_SHOW_FROM,
    RX_PRUNE_FROM,
    RX_TAGSHOW,
    RX_TAGHIDE,
    N_RX
};

int pw_apply_focus(struct pw_profile *p, const struct pw_config *cfg, struct pw_buf *warnings,
                   struct pw_err *err)
{
    struct pw_regex *rx[N_RX] = {0};
    struct pw_tag_filter *tagfocus = NULL, *tagignore = NULL;
    int rc = -1;
    if (compile_option("focus", cfg->focus, &rx[RX_FOCUS], err) ||
        compile_option("ignore", cfg->ignore, &rx[RX_IGNORE], err) ||
        compile_option("hide", cfg->hide, &rx[RX_HIDE], err) ||
        compile_option("show", cfg->show, &rx[RX_SHOW], err) ||
        compile_option("show_from", cfg->show_from, &rx[RX_SHOW_FROM], err) ||
        compile_tag_option(p, "tagfocus", cfg->tagfocus, &tagfocus, warnings, err) ||
        compile_tag_option(p, "tagignore", cfg->tagignore, &tagignore, warnings, err) ||
        compile_option("prune_from", cfg->prune_from, &rx[RX_PRUNE_FROM], err))
        goto out;

    struct pw_name_matches m;
    pw_filter_samples_by_name(p, rx[RX_FOCUS], rx[RX_IGNORE], rx[RX_HIDE], rx[RX_SHOW], &m);
    warn_no_matches(warnings, !rx[RX_FOCUS] || m.focus, "Focus");
    warn_no_matches(warnings, !rx[RX_IGNORE] || m.ignore, "Ignore");
    warn_no_matches(warnings, !rx[RX_HIDE] || m.hide, "Hide");
    warn_no_matches(warnings, !rx[RX_SHOW] || m.show, "Show");

    bool sfm = pw_show_from(p, rx[RX_SHOW_FROM]);
    warn_no_matches(warnings, !rx[RX_SHOW_FROM] || sfm, "ShowFrom");

    bool tfm, tim;
    pw_filter_samples_by_tag(p, tagfocus, tagignore, &tfm, &tim);
    warn_no_matches(warnings, !tagfocus || tfm, "TagFocus");
    warn_no_matches(warnings, !tagignore || tim, "TagIgnore");

    /* As pprof, a bad tagshow/taghide still lets the tag and prune filters run first. */
    int bad = compile_option("tagshow", cfg->tagshow, &rx[RX_TAGSHOW], err);
    if (!bad)
        bad = compile_option("taghide", cfg->taghide, &rx[RX_TAGHIDE], err);
    bool tns, tnh;
    pw_filter_tags_by_name(p, rx[RX_TAGSHOW], rx[RX_TAGHIDE], &tns, &tnh);
    warn_no_matches(warnings, !rx[RX_TAGSHOW] || tns, "TagShow");
    warn_no_matches(warnings, !rx[RX_TAGHIDE] || tnh, "TagHide");

    if (rx[RX_PRUNE_FROM])
        pw_profile_prune_from(p, rx[RX_PRUNE_FROM]);
    rc = bad ? -1 : 0;
out:
    for (int i = 0; i < N_RX; i++)
        pw_regex_free(rx[i]);
    pw_tag_filter_free(tagfocus);
    pw_tag_filter_free(tagignore);
    return rc;
}
