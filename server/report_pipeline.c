/* report_pipeline: pprof's report pipeline (driver.generateRawReport and report.New/Generate).
 * In: a profile (only read: the report works on its own copy), a command name and argument, and
 * the settings. It applies the command's setting overrides, the tag root/leaf pseudo frames, the
 * focus and tag filters (filter.c), the granularity aggregation, picks the sample value and unit,
 * and computes the total that percentages refer to. Out: a struct pw_report that owns the copy,
 * the options and an arena for strings; the formats live in report_text.c, report_tags.c and
 * report_graph.c; -svg hands the -dot text to layout.c.
 * Not here: fetching, merging and symbolizing profiles (main.c), which run before. */
#include "pprofweb/report.h"
#include "pprofweb/wrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/filter.h"
#include "pprofweb/graph.h"
#include "pprofweb/layout.h"
#include "pprofweb/measurement.h"
#include "pprofweb/regex.h"

static const struct {
    const char *name;
    enum pw_report_format format;
} commands[] = {
    {"top", PW_REPORT_TEXT},          {"text", PW_REPORT_TEXT}, {"traces", PW_REPORT_TRACES},
    {"tags", PW_REPORT_TAGS},         {"raw", PW_REPORT_RAW},   {"peek", PW_REPORT_TREE},
    {"tree", PW_REPORT_TREE},         {"dot", PW_REPORT_DOT},   {"list", PW_REPORT_LIST},
    {"comments", PW_REPORT_COMMENTS},
};

int pw_report_format_of(const char *cmd)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return (int)commands[i].format;
    return -1;
}

bool pw_report_is_graph(const char *cmd)
{
    if (strcmp(cmd, "svg") == 0)
        return true;
    int format = pw_report_format_of(cmd);
    return format == PW_REPORT_TEXT || format == PW_REPORT_TREE || format == PW_REPORT_DOT ||
           format == PW_REPORT_LIST;
}

/* pprof's applyCommandOverrides: some reports must see untrimmed data, some have their own node
 * count default and granularity. */
static void apply_command_overrides(const char *cmd, enum pw_report_format format,
                                    struct pw_config *cfg)
{
    bool trim = cfg->trim;
    if (strcmp(cmd, "peek") == 0) {
        trim = false;
    } else if (strcmp(cmd, "list") == 0) {
        trim = false;
        cfg->granularity = PW_G_LINES;
    } else if (strcmp(cmd, "text") == 0 || strcmp(cmd, "top") == 0) {
        if (cfg->nodecount == -1)
            cfg->nodecount = 0;
    } else if (cfg->nodecount == -1) {
        cfg->nodecount = 80;
    }
    if (format == PW_REPORT_RAW) {
        trim = false;
        cfg->granularity = PW_G_ADDRESSES;
        cfg->noinlines = false;
    }
    if (!trim) {
        cfg->nodecount = 0;
        cfg->nodefraction = 0;
        cfg->edgefraction = 0;
    }
}

/* Go's filepath.Base. */
static const char *path_base(struct pw_arena *a, const char *path)
{
    size_t n = strlen(path);
    if (n == 0)
        return ".";
    while (n > 0 && path[n - 1] == '/')
        n--;
    if (n == 0)
        return "/";
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    return pw_arena_strndup(a, path + start, n - start);
}

const char *pw_report_num_label_unit(const struct pw_report *r, pw_str key)
{
    for (size_t i = 0; i < r->opt.n_num_label_units; i++)
        if (r->opt.num_label_units[i].key == key)
            return r->opt.num_label_units[i].unit;
    return "";
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* pprof's identifyNumLabelUnits: the unit of every numeric label key is the first unit seen
 * for it; keys without units take their own name ("alignment" and "request" are bytes). Other
 * units seen for a key are reported as warnings, as pprof does on stderr. */
static void identify_num_label_units(struct pw_report *r, struct pw_buf *warn)
{
    struct pw_profile *p = r->prof;
    struct pw_num_label_unit *u = NULL;
    size_t n = 0, cap = 0;
    /* ignored[i]: units of key u[i].key other than its first, pw_str values. */
    pw_str **ignored = NULL;
    size_t *n_ignored = NULL;
    for (size_t si = 0; si < p->n_samples; si++) {
        const struct pw_sample *s = &p->samples[si];
        for (uint32_t j = 0; j < s->n_labels; j++) {
            const struct pw_label *l = &s->labels[j];
            if (!l->is_num)
                continue;
            size_t k = 0;
            while (k < n && u[k].key != l->key)
                k++;
            if (k == n) {
                PW_GROW(u, cap, n + 1);
                ignored = pw_xrealloc(ignored, cap * sizeof(*ignored));
                n_ignored = pw_xrealloc(n_ignored, cap * sizeof(*n_ignored));
                u[n].key = l->key;
                u[n].unit = NULL;
                ignored[n] = NULL;
                n_ignored[n] = 0;
                n++;
            }
            if (l->unit == 0)
                continue;
            const char *unit = pw_s(p, l->unit);
            if (!u[k].unit) {
                u[k].unit = unit;
            } else if (strcmp(u[k].unit, unit) != 0) {
                size_t m = 0;
                while (m < n_ignored[k] && ignored[k][m] != l->unit)
                    m++;
                if (m == n_ignored[k]) {
                    ignored[k] = pw_xrealloc(ignored[k], (m + 1) * sizeof(pw_str));
                    ignored[k][n_ignored[k]++] = l->unit;
                }
            }
        }
    }
    /* Warnings in key order (pprof's order is map order). */
    const char **keys = pw_xcalloc(n ? n : 1, sizeof(*keys));
    size_t n_keys = 0;
    for (size_t k = 0; k < n; k++)
        if (n_ignored[k])
            keys[n_keys++] = pw_s(p, u[k].key);
    qsort(keys, n_keys, sizeof(*keys), cmp_cstr);
    for (size_t i = 0; i < n_keys; i++) {
        size_t k = 0;
        while (strcmp(pw_s(p, u[k].key), keys[i]) != 0)
            k++;
        const char **names = pw_xcalloc(n_ignored[k], sizeof(*names));
        for (size_t m = 0; m < n_ignored[k]; m++)
            names[m] = pw_s(p, ignored[k][m]);
        qsort(names, n_ignored[k], sizeof(*names), cmp_cstr);
        if (warn) {
            pw_buf_addf(warn, "For tag %s used unit %s, also encountered unit(s) ", keys[i],
                        u[k].unit);
            for (size_t m = 0; m < n_ignored[k]; m++)
                pw_buf_addf(warn, "%s%s", m ? ", " : "", names[m]);
            pw_buf_addc(warn, '\n');
        }
        free(names);
    }
    free(keys);
    for (size_t k = 0; k < n; k++) {
        if (!u[k].unit) {
            const char *key = pw_s(p, u[k].key);
            u[k].unit =
                strcmp(key, "alignment") == 0 || strcmp(key, "request") == 0 ? "bytes" : key;
        }
        u[k].unit = pw_arena_strdup(&r->arena, u[k].unit);
        free(ignored[k]);
    }
    free(ignored);
    free(n_ignored);
    r->opt.num_label_units = u;
    r->opt.n_num_label_units = n;
}

/* pprof's driver.aggregate: granularity and inlining to Profile.Aggregate flags. */
static int aggregate(struct pw_profile *p, const struct pw_config *cfg, struct pw_err *err)
{
    bool inlines = !cfg->noinlines;
    bool function = false, filename = false, linenumber = false, address = false;
    switch (cfg->granularity) {
    case PW_G_ADDRESSES:
        if (inlines)
            return 0;
        function = filename = linenumber = address = true;
        break;
    case PW_G_LINES:
        function = filename = linenumber = true;
        break;
    case PW_G_FILES:
        filename = true;
        break;
    case PW_G_FUNCTIONS:
        function = true;
        break;
    case PW_G_FILEFUNCTIONS:
        function = filename = true;
        break;
    default:
        return pw_fail(err, PW_EINVAL, "unexpected granularity");
    }
    return pw_profile_aggregate(p, inlines, function, filename, linenumber, address, err);
}

static void add_filter(struct pw_report *r, const char *name, const char *value, size_t *cap)
{
    if (!value || !*value)
        return;
    PW_GROW(r->opt.active_filters, *cap, r->opt.n_active_filters + 1);
    r->opt.active_filters[r->opt.n_active_filters++] =
        pw_arena_printf(&r->arena, "%s=%s", name, value);
}

/* pprof's reportOptions and sampleFormat. */
static int report_options(struct pw_report *r, const struct pw_config *cfg, struct pw_err *err)
{
    struct pw_report_options *o = &r->opt;
    const struct pw_profile *p = r->prof;
    if (p->n_sample_types == 0)
        return pw_fail(err, PW_EINVAL, "profile has no samples");
    if (pw_sample_index(p, cfg->sample_index, &o->sample_index, err))
        return -1;
    o->mean = cfg->mean;
    const char *stype = pw_s(p, p->sample_types[o->sample_index].type);
    o->sample_type = cfg->mean ? pw_arena_printf(&r->arena, "mean_%s", stype) : stype;
    o->sample_unit = pw_s(p, p->sample_types[o->sample_index].unit);
    if (cfg->divide_by == 0)
        return pw_fail(err, PW_EINVAL, "zero divisor specified");

    size_t cap = 0;
    add_filter(r, "focus", cfg->focus, &cap);
    add_filter(r, "ignore", cfg->ignore, &cap);
    add_filter(r, "hide", cfg->hide, &cap);
    add_filter(r, "show", cfg->show, &cap);
    add_filter(r, "show_from", cfg->show_from, &cap);
    add_filter(r, "tagfocus", cfg->tagfocus, &cap);
    add_filter(r, "tagignore", cfg->tagignore, &cap);
    add_filter(r, "tagshow", cfg->tagshow, &cap);
    add_filter(r, "taghide", cfg->taghide, &cap);

    o->cum_sort = cfg->sort_cum;
    o->call_tree = cfg->call_tree;
    o->drop_negative = cfg->drop_negative;
    o->compact_labels = cfg->compact_labels;
    o->ratio = 1 / cfg->divide_by;
    o->nodecount = cfg->nodecount;
    o->nodefraction = cfg->nodefraction;
    o->edgefraction = cfg->edgefraction;
    o->output_unit = cfg->unit && *cfg->unit ? cfg->unit : "minimum";
    o->source_path = cfg->source_path ? cfg->source_path : "";
    o->trim_path = cfg->trim_path ? cfg->trim_path : "";
    o->title = "";
    if (p->n_mappings > 0 && *pw_s(p, p->mappings[0].file))
        o->title = path_base(&r->arena, pw_s(p, p->mappings[0].file));
    return 0;
}

/* pprof's computeTotal: the sum of |value| over samples (only diff-base samples when there are
 * any), divided by the summed mean divisors when -mean is on. */
static int64_t compute_total(struct pw_report *r)
{
    struct pw_profile *p = r->prof;
    pw_str base_key = pw_intern_cstr(p, "pprof::base"), base_true = pw_intern_cstr(p, "true");
    int64_t div = 0, total = 0, diff_div = 0, diff_total = 0;
    for (size_t i = 0; i < p->n_samples; i++) {
        const struct pw_sample *s = &p->samples[i];
        int64_t v = s->values[r->opt.sample_index];
        int64_t d = r->opt.mean ? s->values[0] : 0;
        v = pw_wabs(v);
        total = pw_wadd(total, v);
        div = pw_wadd(div, d);
        if (pw_sample_has_label(p, s, base_key, base_true)) {
            diff_total = pw_wadd(diff_total, v);
            diff_div = pw_wadd(diff_div, d);
        }
    }
    if (diff_total > 0) {
        total = diff_total;
        div = diff_div;
    }
    return div != 0 ? pw_wdiv(total, div) : total;
}

void pw_report_free(struct pw_report *r)
{
    if (!r)
        return;
    if (r->graph)
        pw_graph_free(r->graph);
    pw_graph_infos_free(r->graph_infos);
    pw_regex_free(r->opt.symbol_rx);
    free(r->opt.active_filters);
    free(r->opt.num_label_units);
    pw_profile_free(r->prof);
    pw_arena_release(&r->arena);
    free(r);
}

/* Builds the report on owned, which it takes (freed with the report, or on failure), or when
 * owned is NULL on a copy of src. What the copy would do to owned is done in place. */
static struct pw_report *report_new(const struct pw_profile *src, struct pw_profile *owned,
                                    const char *cmd, const char *arg,
                                    const struct pw_config *cfg_in, bool settings_only,
                                    struct pw_buf *warn, struct pw_err *err)
{
    int format = pw_report_format_of(cmd);
    if (format < 0) {
        pw_profile_free(owned);
        pw_fail(err, PW_EINVAL, "unknown report %s", cmd);
        return NULL;
    }
    struct pw_report *r = pw_xcalloc(1, sizeof(*r));
    pw_arena_init(&r->arena);
    if (owned)
        pw_profile_drop_unencoded_labels(owned);
    r->prof = owned ? owned : pw_profile_derive(src);
    r->opt.format = (enum pw_report_format)format;

    identify_num_label_units(r, warn);
    struct pw_config cfg = *cfg_in;
    apply_command_overrides(cmd, r->opt.format, &cfg);
    if (pw_report_add_label_nodes(r, &cfg, warn, err))
        goto fail;

    /* With relative percentages the focus applies before the total is computed. */
    bool relative = cfg.relative_percentages;
    if (relative && pw_apply_focus(r->prof, &cfg, warn, err))
        goto fail;
    if (report_options(r, &cfg, err))
        goto fail;
    if (arg) {
        r->opt.symbol = pw_arena_strdup(&r->arena, arg);
        r->opt.symbol_rx = pw_regex_compile(arg, err);
        if (!r->opt.symbol_rx) {
            char msg[sizeof(err->msg)];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            pw_fail(err, PW_EINVAL, "parsing argument regexp %s: %s", arg, msg);
            goto fail;
        }
    }
    r->opt.restrict_sources = true;
    r->total = compute_total(r);
    if (!relative && pw_apply_focus(r->prof, &cfg, warn, err))
        goto fail;
    if (!settings_only && aggregate(r->prof, &cfg, err))
        goto fail;
    return r;
fail:
    pw_report_free(r);
    return NULL;
}

struct pw_report *pw_report_new(const struct pw_profile *src, const char *cmd, const char *arg,
                                const struct pw_config *cfg, struct pw_buf *warn,
                                struct pw_err *err)
{
    return report_new(src, NULL, cmd, arg, cfg, false, warn, err);
}

struct pw_report *pw_report_new_settings(const struct pw_profile *src, const char *cmd,
                                         const struct pw_config *cfg, struct pw_buf *warn,
                                         struct pw_err *err)
{
    return report_new(src, NULL, cmd, NULL, cfg, true, warn, err);
}

int pw_report_generate(struct pw_report *r, struct pw_buf *out, struct pw_err *err)
{
    switch (r->opt.format) {
    case PW_REPORT_TEXT:
        pw_report_print_text(r, out);
        return 0;
    case PW_REPORT_TRACES:
        pw_report_print_traces(r, out);
        return 0;
    case PW_REPORT_TAGS:
        pw_report_print_tags(r, out);
        return 0;
    case PW_REPORT_RAW:
        pw_profile_format_raw(r->prof, out);
        return 0;
    case PW_REPORT_TREE:
        return pw_report_print_tree(r, out, err);
    case PW_REPORT_COMMENTS:
        for (uint32_t i = 0; i < r->prof->n_comments; i++)
            pw_buf_addf(out, "%s\n", pw_s(r->prof, r->prof->comments[i]));
        return 0;
    case PW_REPORT_DOT:
        return pw_report_print_dot(r, out, err);
    case PW_REPORT_LIST:
        return pw_report_print_source(r, out, err);
    }
    return pw_fail(err, PW_EINVAL, "unexpected output format");
}

/* Runs the report of cmd on owned, or when NULL on a copy of src, as report_new. */
static int run(struct pw_buf *out, struct pw_buf *warn, const struct pw_profile *src,
               struct pw_profile *owned, const char *cmd, const char *arg,
               const struct pw_config *cfg, struct pw_err *err)
{
    /* -svg is -dot laid out by Graphviz, as pprof pipes -dot into `dot -Tsvg`. */
    bool svg = strcmp(cmd, "svg") == 0;
    struct pw_report *r = report_new(src, owned, svg ? "dot" : cmd, arg, cfg, false, warn, err);
    if (!r)
        return -1;
    r->opt.restrict_sources = false; /* the CLI reads sources wherever pprof would */
    int rc;
    if (svg) {
        struct pw_buf dot;
        pw_buf_init(&dot, 0);
        rc = pw_report_generate(r, &dot, err);
        if (rc == 0)
            rc = pw_layout_svg(pw_buf_str(&dot), dot.len, out, err);
        pw_buf_release(&dot);
    } else {
        rc = pw_report_generate(r, out, err);
    }
    pw_report_free(r);
    if (rc == 0 && out->overflow)
        return pw_fail(err, PW_ETOOBIG, "report larger than %zu bytes", out->max);
    return rc;
}

int pw_report_run(struct pw_buf *out, struct pw_buf *warn, const struct pw_profile *p,
                  const char *cmd, const char *arg, const struct pw_config *cfg, struct pw_err *err)
{
    return run(out, warn, p, NULL, cmd, arg, cfg, err);
}

int pw_report_run_consume(struct pw_buf *out, struct pw_buf *warn, struct pw_profile *p,
                          const char *cmd, const char *arg, const struct pw_config *cfg,
                          struct pw_err *err)
{
    return run(out, warn, NULL, p, cmd, arg, cfg, err);
}
