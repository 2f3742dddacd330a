/* main: pprofweb's command line, with pprof's flags and their spelling (-flag=value, -flag value,
 * --flag). Loads and merges the sources (files or http(s) URLs) and the -base/-diff_base profiles
 * (source.c, as pprof's fetchProfiles), then either prints one report (-top, -raw, -traces, -tags, -peek,
 * -list, -dot, -svg) or serves the web UI (-http). Errors print one line and exit 1; bad flags
 * exit 2 as Go's flag package does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pprofweb/arena.h"
#include "pprofweb/buf.h"
#include "pprofweb/config.h"
#include "pprofweb/http.h"
#include "pprofweb/limits.h"
#include "pprofweb/profile.h"
#include "pprofweb/report.h"
#include "pprofweb/share.h"
#include "pprofweb/source.h"
#include "pprofweb/store.h"
#include "pprofweb/timeline.h"
#include "pprofweb/watch.h"

struct options {
    struct pw_config cfg;
    const char *cmd;     /* "top", "raw", ...; NULL: none */
    const char *cmd_arg; /* regexp of -peek / -list */
    const char *http;
    bool no_browser;
    const char *store, *max_upload, *auth_token, *view_cache;
    size_t view_cache_bytes; /* -view_cache parsed; 0: PW_VIEW_CACHE_BYTES */
    bool private_mode;
    const char *symbolize;
    const char *output;
    int seconds, timeout;
    const char *sources[PW_MAX_SOURCES];
    size_t n_sources;
    const char *bases[PW_MAX_SOURCES];
    size_t n_bases;
    bool diff_base;
    bool series;                       /* -series: the sources are one series */
    const char *watch, *watch_keep;    /* -watch=INTERVAL: the sources are URLs to watch */
    bool store_copy;                   /* -store_copy FROM TO */
};

enum flag_kind { F_BOOL, F_STR, F_INT, F_FLOAT, F_CMD, F_CMD_ARG, F_SAMPLE, F_GRAN, F_BASE };

struct flag {
    const char *name;
    enum flag_kind kind;
    size_t off;          /* offset into struct options, for value flags */
    const char *value;   /* for F_SAMPLE / F_GRAN / F_CMD: what the flag selects */
    const char *help;
};

#define O(field) offsetof(struct options, field)
#define C(field) (offsetof(struct options, cfg) + offsetof(struct pw_config, field))

static const struct flag flags[] = {
    /* output formats */
    {"top", F_CMD, 0, "top", "Outputs top entries in text form"},
    {"text", F_CMD, 0, "top", "Outputs top entries in text form"},
    {"raw", F_CMD, 0, "raw", "Outputs a text representation of the raw profile"},
    {"traces", F_CMD, 0, "traces", "Outputs all profile samples in text form"},
    {"tags", F_CMD, 0, "tags", "Outputs all tags in the profile"},
    {"dot", F_CMD, 0, "dot", "Outputs a graph in DOT format"},
    {"svg", F_CMD, 0, "svg", "Outputs a graph in SVG format"},
    {"peek", F_CMD_ARG, 0, "peek", "Outputs callers/callees of functions matching regexp"},
    {"tree", F_CMD, 0, "tree", "Outputs a text rendering of call graph"},
    {"comments", F_CMD, 0, "comments", "Outputs all profile comments"},
    {"list", F_CMD_ARG, 0, "list", "Outputs annotated source for functions matching regexp"},
    {"output", F_STR, O(output), NULL, "Output filename for file-based outputs"},
    /* sample index */
    {"sample_index", F_STR, C(sample_index), NULL, "Sample value to report (0-based index or name)"},
    {"inuse_space", F_SAMPLE, 0, "inuse_space", "Same as -sample_index=inuse_space"},
    {"inuse_objects", F_SAMPLE, 0, "inuse_objects", "Same as -sample_index=inuse_objects"},
    {"alloc_space", F_SAMPLE, 0, "alloc_space", "Same as -sample_index=alloc_space"},
    {"alloc_objects", F_SAMPLE, 0, "alloc_objects", "Same as -sample_index=alloc_objects"},
    {"total_delay", F_SAMPLE, 0, "delay", "Same as -sample_index=delay"},
    {"contentions", F_SAMPLE, 0, "contentions", "Same as -sample_index=contentions"},
    {"mean_delay", F_SAMPLE, 0, "delay", "Same as -mean -sample_index=delay"},
    {"mean", F_BOOL, C(mean), NULL, "Average sample value over first value (count)"},
    /* granularity */
    {"granularity", F_STR, 0, NULL, "functions, filefunctions, files, lines or addresses"},
    {"functions", F_GRAN, 0, "functions", "Aggregate at the function level"},
    {"filefunctions", F_GRAN, 0, "filefunctions", "Aggregate at the function level, by file"},
    {"files", F_GRAN, 0, "files", "Aggregate at the file level"},
    {"lines", F_GRAN, 0, "lines", "Aggregate at the source code line level"},
    {"addresses", F_GRAN, 0, "addresses", "Aggregate at the address level"},
    {"noinlines", F_BOOL, C(noinlines), NULL, "Ignore inlines"},
    /* display */
    {"nodecount", F_INT, C(nodecount), NULL, "Max number of nodes to show"},
    {"nodefraction", F_FLOAT, C(nodefraction), NULL, "Hide nodes below <f>*total"},
    {"edgefraction", F_FLOAT, C(edgefraction), NULL, "Hide edges below <f>*total"},
    {"trim", F_BOOL, C(trim), NULL, "Honor nodefraction/edgefraction/nodecount defaults"},
    {"cum", F_BOOL, C(sort_cum), NULL, "Sort entries based on cumulative weight"},
    {"flat", F_BOOL, 0, NULL, "Sort entries based on own weight"},
    {"call_tree", F_BOOL, C(call_tree), NULL, "Create a context-sensitive call tree"},
    {"relative_percentages", F_BOOL, C(relative_percentages), NULL,
     "Show percentages relative to focused subgraph"},
    {"unit", F_STR, C(unit), NULL, "Measurement units to display"},
    {"divide_by", F_FLOAT, C(divide_by), NULL, "Ratio to divide all samples before visualization"},
    {"compact_labels", F_BOOL, C(compact_labels), NULL, "Show minimal headers"},
    {"drop_negative", F_BOOL, C(drop_negative), NULL, "Ignore negative differences"},
    {"source_path", F_STR, C(source_path), NULL, "Search path for source files"},
    {"trim_path", F_STR, C(trim_path), NULL, "Path to trim from source paths before search"},
    {"tagroot", F_STR, C(tagroot), NULL, "Adds pseudo stack frames for labels key/value pairs"},
    {"tagleaf", F_STR, C(tagleaf), NULL, "Adds pseudo stack frames for labels key/value pairs"},
    /* filters */
    {"focus", F_STR, C(focus), NULL, "Restricts to samples going through a node matching regexp"},
    {"ignore", F_STR, C(ignore), NULL, "Skips paths going through any nodes matching regexp"},
    {"hide", F_STR, C(hide), NULL, "Skips nodes matching regexp"},
    {"show", F_STR, C(show), NULL, "Only show nodes matching regexp"},
    {"show_from", F_STR, C(show_from), NULL, "Drops functions above the highest matched frame"},
    {"prune_from", F_STR, C(prune_from), NULL, "Drops any functions below the matched frame"},
    {"tagfocus", F_STR, C(tagfocus), NULL, "Restricts to samples with tags in range or matched"},
    {"tagignore", F_STR, C(tagignore), NULL, "Discard samples with tags in range or matched"},
    {"tagshow", F_STR, C(tagshow), NULL, "Only consider tags matching this regexp"},
    {"taghide", F_STR, C(taghide), NULL, "Skip tags matching this regexp"},
    /* sources */
    {"base", F_BASE, 0, "base", "Source profile to use as baseline"},
    {"diff_base", F_BASE, 0, "diff_base", "Source profile to use as diff base"},
    {"normalize", F_BOOL, C(normalize), NULL, "Scales profile based on the base profile"},
    {"symbolize", F_STR, O(symbolize), NULL, "Options for profile symbolization"},
    {"seconds", F_INT, O(seconds), NULL, "Duration for time-based profile collection"},
    {"timeout", F_INT, O(timeout), NULL, "Timeout in seconds for profile collection"},
    /* web server */
    {"http", F_STR, O(http), NULL, "Present interactive web UI at the specified http host:port"},
    {"no_browser", F_BOOL, O(no_browser), NULL, "Skip opening a browser for the web UI"},
    {"store", F_STR, O(store), NULL, "Directory of stored profiles (default $PPROFWEB_STORE, "
     "else ~/.local/share/pprofweb/profiles), or a PostgreSQL database (postgres://...)"},
    {"store_copy", F_BOOL, O(store_copy), NULL, "Copy the store FROM into the store TO "
     "(directories or databases), keeping ids so links survive"},
    {"max_upload", F_STR, O(max_upload), NULL, "Largest upload or fetched profile (bytes, or "
     "64MB, 1GB; default 256MB)"},
    {"view_cache", F_STR, O(view_cache), NULL, "Memory for computed views, least recently used "
     "dropped first (bytes, or 64MB, 1GB; default 256MB)"},
    {"auth_token", F_STR, O(auth_token), NULL, "Token required for uploads and fetches "
     "(default $PPROFWEB_AUTH_TOKEN)"},
    {"private", F_BOOL, O(private_mode), NULL, "Require the token for reading too"},
    {"series", F_BOOL, O(series), NULL, "Open the files (or a directory's) as one series, "
     "shown at /ui/timeline"},
    {"watch", F_STR, O(watch), NULL, "Fetch each URL every interval (30s, 5m) into its series"},
    {"watch_keep", F_STR, O(watch_keep), NULL, "Snapshots a watched series keeps: a count (500) "
     "or an age (24h)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: pprofweb [options] [-http=[host]:port] source...\n"
               "       pprofweb -top|-raw|-traces|-tags|-dot|-svg|-peek=RE|-list=RE [options] "
               "source...\n\nsource: a profile file (profile.proto, gzipped or not, or a legacy "
               "format) or an http(s) URL\nof a net/http/pprof endpoint.\n\nOptions:\n");
    for (size_t i = 0; i < sizeof(flags) / sizeof(*flags); i++)
        fprintf(f, "  -%-22s %s\n", flags[i].name, flags[i].help);
}

static int bad_flag(const char *fmt, const char *arg)
{
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    usage(stderr);
    return 2;
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "1") || !strcasecmp(v, "t") || !strcasecmp(v, "true")) {
        *out = true;
        return 0;
    }
    if (!strcmp(v, "0") || !strcasecmp(v, "f") || !strcasecmp(v, "false")) {
        *out = false;
        return 0;
    }
    return -1;
}

/* Parses argv into o; returns 0, or an exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
    int i = 1;
    for (; i < argc; i++) {
        char *a = argv[i];
        if (a[0] != '-' || a[1] == 0)
            break;
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        const char *name = a + 1 + (a[1] == '-');
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct flag *f = NULL;
        for (size_t k = 0; k < sizeof(flags) / sizeof(*flags); k++)
            if (strlen(flags[k].name) == nlen && !strncmp(flags[k].name, name, nlen))
                f = &flags[k];
        if (nlen == 1 && name[0] == 'h')
            return usage(stdout), 0 - 1;
        if (!f) {
            char buf[128];
            snprintf(buf, sizeof(buf), "%.*s", (int)nlen, name);
            return bad_flag("flag provided but not defined: -%s", buf);
        }
        const char *val = eq ? eq + 1 : NULL;
        bool is_bool = f->kind == F_BOOL || f->kind == F_CMD || f->kind == F_SAMPLE ||
                       f->kind == F_GRAN;
        if (!is_bool && !val) {
            if (i + 1 >= argc)
                return bad_flag("flag needs an argument: -%s", f->name);
            val = argv[++i];
        }
        bool b = true;
        if (is_bool && val && parse_bool(val, &b))
            return bad_flag("invalid boolean value for flag: %s", a);
        char *base = (char *)o;
        char *end;
        switch (f->kind) {
        case F_BOOL:
            if (!strcmp(f->name, "flat"))
                o->cfg.sort_cum = !b;
            else
                *(bool *)(base + f->off) = b;
            break;
        case F_STR:
            if (!strcmp(f->name, "granularity")) {
                int g = pw_granularity_parse(val);
                if (g < 0)
                    return bad_flag("invalid granularity: %s", val);
                o->cfg.granularity = (enum pw_granularity)g;
            } else {
                *(const char **)(base + f->off) = val;
            }
            break;
        case F_INT: {
            long long v = strtoll(val, &end, 10);
            if (*end || end == val)
                return bad_flag("invalid integer value for flag: %s", a);
            if (f->off == C(nodecount))
                o->cfg.nodecount = (int)(v > 1000000000 ? 1000000000 : v < -1 ? -1 : v);
            else
                *(int *)(base + f->off) = (int)(v > 1000000 ? 1000000 : v < 0 ? 0 : v);
            break;
        }
        case F_FLOAT: {
            double v = strtod(val, &end);
            if (*end || end == val)
                return bad_flag("invalid float value for flag: %s", a);
            *(double *)(base + f->off) = v;
            break;
        }
        case F_CMD:
            if (b) {
                o->cmd = f->value;
                o->cmd_arg = NULL;
            }
            break;
        case F_CMD_ARG:
            o->cmd = f->value;
            o->cmd_arg = val;
            break;
        case F_SAMPLE:
            if (b) {
                o->cfg.sample_index = f->value;
                if (!strcmp(f->name, "mean_delay"))
                    o->cfg.mean = true;
            }
            break;
        case F_GRAN:
            if (b)
                o->cfg.granularity = (enum pw_granularity)pw_granularity_parse(f->value);
            break;
        case F_BASE:
            if (o->n_bases >= PW_MAX_SOURCES)
                return bad_flag("too many base profiles (limit %s)", "1024");
            /* -diff_base and -base cannot be mixed: the last kind given wins, as in pprof. */
            o->diff_base = !strcmp(f->value, "diff_base");
            o->bases[o->n_bases++] = val;
            break;
        }
    }
    for (; i < argc; i++) {
        if (o->n_sources >= PW_MAX_SOURCES)
            return bad_flag("too many sources (limit %s)", "1024");
        o->sources[o->n_sources++] = argv[i];
    }
    return 0;
}

/* The web server's extras: the sharing routes, and the command line's profile under its id. */
struct serve {
    struct pw_share *share;
    struct pw_timeline *timeline;
    struct pw_profile *p;
    const char *name;
    char id[PW_STORE_ID_LEN + 1];
};

static int setup(struct pw_app *app, void *ctx, struct pw_err *err)
{
    struct serve *sv = ctx;
    pw_timeline_attach(sv->timeline, app);
    if (!sv->p)
        return 0;
    return pw_app_add_profile(app, sv->p, sv->name, sv->id[0] ? sv->id : NULL, NULL, err);
}

/* Serves the web UI: opens the store (a -store that cannot be opened is an error; the default
 * one only a warning), keeps p in it (from loaded_bytes when not NULL, which it frees), then
 * runs the server. */
static int serve(struct options *o, struct pw_profile *p, struct pw_store *store,
                 const char *loaded_id, unsigned char *loaded_bytes, size_t loaded_len,
                 size_t max_upload, const char *token, const char *series_id)
{
    struct pw_err err = {0};
    struct serve sv = {.p = p, .name = o->n_sources ? o->sources[0] : NULL};
    if (store && p &&
        pw_share_keep_loaded(store, o->sources, o->n_sources, o->n_bases, p, loaded_id,
                             loaded_bytes, loaded_len, sv.id, &err))
        fprintf(stderr, "pprofweb: the profile is not in the store (%s): its link lasts only "
                        "while this server runs\n", err.msg);
    free(loaded_bytes);
    struct pw_share_options so = {.store = store,
                                  .max_upload = max_upload,
                                  .auth_token = token,
                                  .private_mode = o->private_mode,
                                  .fetch_timeout = o->timeout};
    char host[256];
    int port;
    if (!token && pw_http_split_hostport(o->http, host, &port, &err) == 0 && *host &&
        strcmp(host, "localhost") && strcmp(host, "127.0.0.1") && strcmp(host, "::1"))
        fprintf(stderr, "pprofweb: no -auth_token: anyone who reaches %s can upload profiles "
                        "and make this server fetch URLs\n", o->http);
    sv.share = pw_share_new(&so);
    struct pw_watcher *watcher = NULL;
    char first_watch[PW_SERIES_ID_LEN + 1] = "";
    if (store) {
        struct pw_watch_options wo = {.store = store, .timeout = o->timeout, .max_bytes = max_upload};
        if (o->watch_keep && pw_watch_parse_keep(o->watch_keep, &wo.keep_count,
                                                 &wo.keep_age_nanos, &err)) {
            pw_share_free(sv.share);
            return bad_flag("-watch_keep: %s", err.msg);
        }
        watcher = pw_watcher_new(&wo);
    }
    if (o->watch) {
        long long ms;
        if (pw_watch_parse_interval(o->watch, &ms, &err)) {
            pw_watcher_free(watcher);
            pw_share_free(sv.share);
            return bad_flag("-watch: %s", err.msg);
        }
        for (size_t i = 0; i < o->n_sources; i++) {
            char sid[PW_SERIES_ID_LEN + 1];
            if (pw_watcher_start(watcher, o->sources[i], ms, o->seconds, sid, &err))
                fprintf(stderr, "pprofweb: -watch %s: %s\n", o->sources[i], err.msg);
            else if (!first_watch[0])
                snprintf(first_watch, sizeof(first_watch), "%s", sid);
        }
    }
    struct pw_timeline_options to = {.share = sv.share, .base = &o->cfg, .watcher = watcher,
                                     .default_series = series_id ? series_id
                                                       : first_watch[0] ? first_watch : NULL};
    sv.timeline = pw_timeline_new(&to);
    pw_timeline_warm(sv.timeline);
    struct pw_http_options ho = {.max_body = max_upload, .view_cache = o->view_cache_bytes,
                                 .setup = setup, .setup_ctx = &sv};
    int rc = pw_http_serve(o->http, NULL, 0, NULL, &o->cfg, !o->no_browser, &ho, &err);
    pw_watcher_free(watcher);
    pw_timeline_free(sv.timeline);
    pw_share_free(sv.share);
    if (rc) {
        fprintf(stderr, "pprofweb: %s\n", err.msg);
        return 1;
    }
    return 0;
}

/* -store_copy FROM TO: every profile (same ids), series and watch of one store into another. */
static int store_copy(const struct options *o)
{
    if (o->n_sources != 2)
        return bad_flag("%s", "-store_copy needs two stores: FROM TO (directories, or postgres:// "
                              "connection strings)");
    struct pw_err err = {0};
    struct pw_store *from = pw_store_open(o->sources[0], &err), *to = NULL;
    if (from)
        to = pw_store_open(o->sources[1], &err);
    int rc = from && to ? pw_store_copy(from, to, true, &err) : -1;
    if (rc)
        fprintf(stderr, "pprofweb: -store_copy: %s\n", err.msg);
    pw_store_free(to);
    pw_store_free(from);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct options o;
    memset(&o, 0, sizeof(o));
    pw_config_default(&o.cfg);
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (o.store_copy)
        return store_copy(&o);
    if (!o.cmd && !o.http)
        return bad_flag("%s", "no report selected: give -http=[host]:port or one of -top, "
                              "-raw, -traces, -tags, -dot, -svg, -peek, -list");
    if (o.n_sources == 0 && !o.http)
        return bad_flag("%s", "missing profile source");
    /* A report, and a server, start by loading one large model: the heap is sized and paged
     * for it (arena.h). */
    pw_heap_prefer_huge_pages(PW_HEAP_RESERVE);

    struct pw_err err = {0};
    struct pw_profile *p = NULL;
    struct pw_store *store = NULL;
    char fetched_id[PW_STORE_ID_LEN + 1] = "", file_id[PW_STORE_ID_LEN + 1] = "";
    unsigned char *file_bytes = NULL; /* the file's bytes as read, for the store */
    size_t file_len = 0;
    size_t max_upload = PW_MAX_REQUEST_BODY;
    const char *token = o.auth_token ? o.auth_token : getenv("PPROFWEB_AUTH_TOKEN");
    if (token && !*token)
        token = NULL;
    if (o.http) {
        if (o.max_upload && pw_parse_size(o.max_upload, &max_upload, &err))
            return bad_flag("-max_upload: %s", err.msg);
        if (o.view_cache && (pw_parse_size(o.view_cache, &o.view_cache_bytes, &err) ||
                             o.view_cache_bytes < 4096))
            return bad_flag("-view_cache: %s", o.view_cache_bytes < 4096 && !err.msg[0]
                                                   ? "below 4096 bytes" : err.msg);
        if (o.private_mode && (!token || !*token))
            return bad_flag("%s", "-private needs -auth_token (or $PPROFWEB_AUTH_TOKEN)");
        store = pw_store_open(o.store, &err);
        if (!store && o.store) {
            fprintf(stderr, "pprofweb: %s\n", err.msg);
            return 1;
        }
        if (store)
            pw_store_set_symbolize(store, o.symbolize);
        if (store && !pw_store_dir(store) && max_upload > PW_MAX_DB_PROFILE) {
            if (o.max_upload) {
                pw_store_free(store);
                fprintf(stderr, "pprofweb: -max_upload: a database store keeps profiles of at "
                                "most %zu MB\n", PW_MAX_DB_PROFILE >> 20);
                return 2;
            }
            max_upload = PW_MAX_DB_PROFILE;
        }
        if (!store)
            fprintf(stderr, "pprofweb: %s: uploads are off and links last only while this "
                            "server runs\n", err.msg);
    }
    char series_id[PW_SERIES_ID_LEN + 1] = "";
    if ((o.series || o.watch) && (!o.http || !store))
        return bad_flag("%s", o.series ? "-series needs -http and a store (-store)"
                                       : "-watch needs -http and a store (-store)");
    if (o.series && o.watch)
        return bad_flag("%s", "-series and -watch cannot be combined: watch URLs, or open files");
    if (o.watch && !o.n_sources)
        return bad_flag("%s", "-watch needs the URLs to watch");
    if (o.series) {
        struct pw_buf warn;
        pw_buf_init(&warn, 0);
        rc = pw_timeline_import(store, o.sources, o.n_sources, series_id, &warn, &err);
        fwrite(pw_buf_str(&warn), 1, warn.len, stderr);
        pw_buf_release(&warn);
        if (rc) {
            fprintf(stderr, "pprofweb: %s\n", err.msg);
            pw_store_free(store);
            return 1;
        }
    }
    if (o.n_sources && !o.series && !o.watch) {
        struct pw_source_options so = {
            .sources = o.sources,
            .n_sources = o.n_sources,
            .bases = o.bases,
            .n_bases = o.n_bases,
            .diff_base = o.diff_base,
            .normalize = o.cfg.normalize,
            .symbolize = o.symbolize,
            .seconds = o.seconds,
            .timeout = o.timeout,
            .store = store,
            .stored_id = fetched_id,
            .file_id = store ? file_id : NULL,
            .file_bytes = store ? &file_bytes : NULL,
            .file_len = &file_len,
            .graph_reports_only = !o.http && o.cmd && pw_report_is_graph(o.cmd),
        };
        struct pw_buf warn;
        pw_buf_init(&warn, 0);
        p = pw_source_load(&so, &warn, &err);
        fwrite(pw_buf_str(&warn), 1, warn.len, stderr);
        pw_buf_release(&warn);
        if (!p) {
            fprintf(stderr, "%s\n", err.msg);
            free(file_bytes);
            pw_store_free(store);
            return 1;
        }
    }

    if (o.http) {
        rc = serve(&o, p, store, fetched_id[0] ? fetched_id : file_id, file_bytes, file_len,
                   max_upload, token, series_id[0] ? series_id : NULL);
        pw_profile_free(p);
        pw_store_free(store);
        return rc;
    }

    struct pw_buf out, warn;
    pw_buf_init(&out, 0);
    pw_buf_init(&warn, 0);
    rc = pw_report_run_consume(&out, &warn, p, o.cmd, o.cmd_arg, &o.cfg, &err); /* frees p */
    fwrite(pw_buf_str(&warn), 1, warn.len, stderr);
    if (rc) {
        fprintf(stderr, "%s\n", err.msg);
    } else {
        FILE *f = o.output ? fopen(o.output, "wb") : stdout;
        if (!f) {
            perror(o.output);
            rc = -1;
        } else {
            fwrite(pw_buf_str(&out), 1, out.len, f);
            if (o.output && fclose(f)) {
                perror(o.output);
                rc = -1;
            }
        }
    }
    pw_buf_release(&out);
    pw_buf_release(&warn);
    return rc ? 1 : 0;
}
