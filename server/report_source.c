/* report_source: the -list report (pprof's printSource in report/source.go): for every function
 * whose name matches the regexp, each of its source files is printed around the sampled lines
 * with flat and cum values per line. Source files are looked up as pprof does: the profile's
 * path after -trim_path (and pprof's /proc/self/cwd heuristics), absolute paths as they are,
 * relative ones under each -source_path directory (default: the working directory) and their
 * parents. Unless the report is restricted (the default of pw_report_new; the CLI lifts it),
 * a file is read only when its real path lies under a configured -source_path directory, so a
 * profile cannot make a server print arbitrary files. File contents are cached per report run and
 * freed before returning. Not here: weblist/disasm (no object tools in pprofweb). */
#include "pprofweb/report.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pprofweb/graph.h"
#include "pprofweb/limits.h"
#include "pprofweb/measurement.h"
#include "pprofweb/regex.h"
#include "pprofweb/wrap.h"

#define SOURCE_MARGIN 5 /* lines shown before the first and after the last sample */

/* Go's bufio.Scanner gives up on lines over 64 KiB; pprof then shows the lines before it. */
#define MAX_SOURCE_LINE (64 * 1024)

struct source_file {
    char *path;   /* as named in the profile */
    char **lines; /* lines[1..n_lines] */
    size_t n_lines;
    char *error; /* open failure, Go's text */
};

struct source_reader {
    const char *search_path, *trim_path;
    char **roots; /* real paths of the search path directories, when restricted */
    size_t n_roots;
    bool restricted;
    struct source_file *files;
    size_t n_files, cap_files;
};

/* Go's path.Clean (on '/' paths). */
static char *clean_path(const char *p)
{
    size_t n = strlen(p);
    if (n == 0)
        return strdup(".");
    bool rooted = p[0] == '/';
    char *out = pw_xmalloc(n + 2);
    size_t w = 0, r = 0, dotdot = 0;
    if (rooted) {
        out[w++] = '/';
        r = dotdot = 1;
    }
    while (r < n) {
        if (p[r] == '/') {
            r++;
        } else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
            r++;
        } else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
            r += 2;
            if (w > dotdot) {
                w--;
                while (w > dotdot && out[w] != '/')
                    w--;
            } else if (!rooted) {
                if (w > 0)
                    out[w++] = '/';
                out[w++] = '.';
                out[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0))
                out[w++] = '/';
            for (; r < n && p[r] != '/'; r++)
                out[w++] = p[r];
        }
    }
    if (w == 0)
        out[w++] = '.';
    out[w] = 0;
    return out;
}

/* Go's filepath.Dir. */
static char *dir_of(const char *p)
{
    const char *slash = strrchr(p, '/');
    if (!slash)
        return strdup(".");
    char *d = strndup(p, (size_t)(slash - p) + 1);
    char *c = clean_path(d);
    free(d);
    return c;
}

/* Go's syscall error text: strerror with a lowercase first letter. */
static char *open_error(const char *path, int errnum)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "%s", strerror(errnum));
    msg[0] = (char)tolower((unsigned char)msg[0]);
    struct pw_buf b;
    pw_buf_init(&b, 0);
    pw_buf_addf(&b, "open %s: %s", path, msg);
    return pw_buf_detach(&b, NULL);
}

/* With restricted sources, a file may be read only when its real path is under a root. */
static FILE *open_allowed(const struct source_reader *rd, const char *name)
{
    if (!rd->restricted)
        return fopen(name, "r");
    char *real = realpath(name, NULL);
    if (!real)
        return NULL;
    FILE *f = NULL;
    for (size_t i = 0; i < rd->n_roots && !f; i++) {
        size_t n = strlen(rd->roots[i]);
        if (strncmp(real, rd->roots[i], n) == 0 &&
            (real[n] == '/' || (n > 0 && rd->roots[i][n - 1] == '/')))
            f = fopen(real, "r");
    }
    free(real);
    return f;
}

/* pprof's openSourceFile. Returns NULL with *error set (malloc'd) on failure. */
static FILE *open_source(const struct source_reader *rd, const char *path, char **error)
{
    const char *search_path = rd->search_path;
    path = pw_report_trim_path(path, rd->trim_path, search_path);
    if (path[0] == '/') {
        errno = EACCES;
        FILE *f = open_allowed(rd, path);
        if (!f)
            *error = open_error(path, errno);
        return f;
    }
    const char *list = search_path;
    while (*list) {
        const char *colon = strchr(list, ':');
        size_t len = colon ? (size_t)(colon - list) : strlen(list);
        char *dir = strndup(list, len);
        for (;;) {
            struct pw_buf joined;
            pw_buf_init(&joined, 0);
            if (*dir)
                pw_buf_addf(&joined, "%s/%s", dir, path);
            else
                pw_buf_adds(&joined, path);
            char *name = clean_path(pw_buf_str(&joined));
            pw_buf_release(&joined);
            FILE *f = open_allowed(rd, name);
            free(name);
            if (f) {
                free(dir);
                return f;
            }
            char *parent = dir_of(dir);
            bool top = strcmp(parent, dir) == 0;
            free(dir);
            dir = parent;
            if (top)
                break;
        }
        free(dir);
        if (!colon)
            break;
        list = colon + 1;
    }
    struct pw_buf b;
    pw_buf_init(&b, 0);
    pw_buf_addf(&b, "could not find file %s on path %s", path, search_path);
    *error = pw_buf_detach(&b, NULL);
    return NULL;
}

static struct source_file *reader_file(struct source_reader *rd, const char *path)
{
    for (size_t i = 0; i < rd->n_files; i++)
        if (strcmp(rd->files[i].path, path) == 0)
            return &rd->files[i];
    PW_GROW(rd->files, rd->cap_files, rd->n_files + 1);
    struct source_file *sf = &rd->files[rd->n_files++];
    memset(sf, 0, sizeof(*sf));
    sf->path = strdup(path);
    FILE *f = open_source(rd, path, &sf->error);
    if (!f)
        return sf;
    size_t cap = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    while ((len = getline(&line, &line_cap, f)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = 0;
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = 0;
        if (len > MAX_SOURCE_LINE)
            break;
        PW_GROW(sf->lines, cap, sf->n_lines + 2);
        sf->lines[++sf->n_lines] = strdup(line);
    }
    free(line);
    fclose(f);
    return sf;
}

static void reader_release(struct source_reader *rd)
{
    for (size_t i = 0; i < rd->n_files; i++) {
        for (size_t j = 1; j <= rd->files[i].n_lines; j++)
            free(rd->files[i].lines[j]);
        free(rd->files[i].lines);
        free(rd->files[i].path);
        free(rd->files[i].error);
    }
    free(rd->files);
    for (size_t i = 0; i < rd->n_roots; i++)
        free(rd->roots[i]);
    free(rd->roots);
}

static const char *value_or_dot(const struct pw_report *r, int64_t v, char dst[PW_VALUE_MAX])
{
    if (v == 0)
        return ".";
    return pw_report_format_value(r, v, dst);
}

/* pprof's getSourceFromFile + the per-file part of printSource. */
static void print_file(struct pw_report *r, struct pw_buf *out, struct source_reader *rd,
                       struct pw_node **fns, size_t n)
{
    const char *file = fns[0]->info.file;
    int64_t flat_sum = 0, cum_sum = 0;
    pw_nodes_sum(fns, n, &flat_sum, &cum_sum);
    int64_t start =
        fns[0]->info.start_line ? fns[0]->info.start_line : fns[0]->info.lineno - SOURCE_MARGIN;
    int64_t end = fns[0]->info.lineno + SOURCE_MARGIN;
    for (size_t i = 0; i < n; i++) {
        int64_t lineno = fns[i]->info.lineno;
        int64_t node_start =
            fns[i]->info.start_line ? fns[i]->info.start_line : lineno - SOURCE_MARGIN;
        if (node_start < start)
            start = node_start;
        else if (lineno + SOURCE_MARGIN > end)
            end = lineno + SOURCE_MARGIN;
    }
    if (start < 1)
        start = 1;
    char a[PW_VALUE_MAX], b[PW_VALUE_MAX], pct[PW_PERCENT_MAX];
    pw_buf_adds(out, "ROUTINE ======================== ");
    pw_buf_add(out, fns[0]->info.name, fns[0]->info.name_len);
    pw_buf_adds(out, " in ");
    pw_buf_add(out, file, fns[0]->info.file_len);
    pw_buf_addc(out, '\n');
    pw_buf_addf(out, "%10s %10s (flat, cum) %s of Total\n", pw_report_format_value(r, flat_sum, a),
                pw_report_format_value(r, cum_sum, b), pw_percentage(pct, cum_sum, r->total));
    struct source_file *sf = reader_file(rd, file);
    if (sf->error) {
        pw_buf_addf(out, " Error: %s\n", sf->error);
        return;
    }
    for (int64_t lineno = start; lineno <= end && lineno <= (int64_t)sf->n_lines; lineno++) {
        int64_t flat = 0, cum = 0;
        for (size_t i = 0; i < n; i++) {
            if (fns[i]->info.lineno == lineno) {
                flat = pw_wadd(flat, fns[i]->flat);
                cum = pw_wadd(cum, fns[i]->cum);
            }
        }
        pw_buf_addf(out, "%10s %10s %6lld:%s\n", value_or_dot(r, flat, a), value_or_dot(r, cum, b),
                    (long long)lineno, sf->lines[lineno]);
    }
}

/* Names and files are Go strings: they may hold NUL bytes. */
static int name_cmp(const struct pw_node *x, const struct pw_node *y)
{
    return pw_gostr_cmp(x->info.name, x->info.name_len, y->info.name, y->info.name_len);
}

static int file_cmp(const struct pw_node *x, const struct pw_node *y)
{
    return pw_gostr_cmp(x->info.file, x->info.file_len, y->info.file, y->info.file_len);
}

static int cmp_node_name(const void *a, const void *b)
{
    const struct pw_node *x = *(struct pw_node *const *)a, *y = *(struct pw_node *const *)b;
    int c = name_cmp(x, y);
    return c ? c : pw_node_info_key_cmp(&x->info, &y->info);
}

static int cmp_node_file(const void *a, const void *b)
{
    const struct pw_node *x = *(struct pw_node *const *)a, *y = *(struct pw_node *const *)b;
    int c = file_cmp(x, y);
    if (c)
        return c;
    if (x->info.start_line != y->info.start_line)
        return x->info.start_line < y->info.start_line ? -1 : 1;
    return pw_node_info_key_cmp(&x->info, &y->info);
}

/* Prints one function: its nodes grouped by source file, files in pprof's FileOrder. */
static void print_function(struct pw_report *r, struct pw_buf *out, struct source_reader *rd,
                           struct pw_node **nodes, size_t n)
{
    struct pw_node **files = pw_xcalloc(n, sizeof(*files));
    size_t n_files = 0;
    for (size_t i = 0; i < n; i++) {
        if (!nodes[i]->info.file_len)
            continue;
        size_t j = 0;
        while (j < n_files && file_cmp(files[j], nodes[i]) != 0)
            j++;
        if (j == n_files)
            files[n_files++] = nodes[i];
    }
    if (n_files == 0) {
        pw_buf_adds(out, "No source information for ");
        pw_buf_add(out, nodes[0]->info.name, nodes[0]->info.name_len);
        pw_buf_addc(out, '\n');
    }
    qsort(files, n_files, sizeof(*files), cmp_node_file);
    struct pw_node **fns = pw_xcalloc(n, sizeof(*fns));
    for (size_t f = 0; f < n_files; f++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (file_cmp(nodes[i], files[f]) == 0)
                fns[m++] = nodes[i];
        print_file(r, out, rd, fns, m);
    }
    free(fns);
    free(files);
}

int pw_report_print_source(struct pw_report *r, struct pw_buf *out, struct pw_err *err)
{
    if (!r->opt.symbol_rx)
        return pw_fail(err, PW_EINVAL, "list needs a regexp argument");
    /* The untrimmed graph in creation order; values keep the "minimum" unit per value. */
    struct pw_graph *g = pw_report_new_graph(r);
    /* Matching nodes, one representative per function name (pprof's NameOrder). */
    struct pw_node **matched = pw_xcalloc(g->n_nodes + 1, sizeof(*matched));
    struct pw_node **functions = pw_xcalloc(g->n_nodes + 1, sizeof(*functions));
    size_t n_matched = 0, n_functions = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        struct pw_node *n = g->nodes[i];
        if (!pw_regex_match(r->opt.symbol_rx, n->info.name, n->info.name_len))
            continue;
        matched[n_matched++] = n;
        size_t j = 0;
        while (j < n_functions && name_cmp(functions[j], n) != 0)
            j++;
        if (j == n_functions)
            functions[n_functions++] = n;
    }
    int rc = 0;
    if (n_functions == 0) {
        rc = pw_fail(err, PW_EINVAL, "no matches found for regexp: %s", r->opt.symbol);
        goto done;
    }
    qsort(functions, n_functions, sizeof(*functions), cmp_node_name);
    char cwd[4096];
    const char *search_path = r->opt.source_path;
    if (!*search_path) {
        if (!getcwd(cwd, sizeof(cwd))) {
            rc = pw_fail(err, PW_EIO, "could not stat current dir: %s", strerror(errno));
            goto done;
        }
        search_path = cwd;
    }
    struct source_reader rd = {.search_path = search_path, .trim_path = r->opt.trim_path};
    if (r->opt.restrict_sources) {
        /* Only the configured source_path counts as roots: never the working directory. */
        rd.restricted = true;
        rd.roots = pw_xcalloc(strlen(r->opt.source_path) + 1, sizeof(*rd.roots));
        for (const char *l = r->opt.source_path; *l;) {
            const char *colon = strchr(l, ':');
            char *dir = colon ? strndup(l, (size_t)(colon - l)) : strdup(l);
            char *real = *dir ? realpath(dir, NULL) : NULL;
            if (real)
                rd.roots[rd.n_roots++] = real;
            free(dir);
            if (!colon)
                break;
            l = colon + 1;
        }
    }
    char total[PW_VALUE_MAX];
    pw_buf_addf(out, "Total: %s\n", pw_report_format_value(r, r->total, total));
    struct pw_node **nodes = pw_xcalloc(n_matched + 1, sizeof(*nodes));
    for (size_t f = 0; f < n_functions; f++) {
        size_t m = 0;
        for (size_t i = 0; i < n_matched; i++)
            if (name_cmp(matched[i], functions[f]) == 0)
                nodes[m++] = matched[i];
        print_function(r, out, &rd, nodes, m);
    }
    free(nodes);
    reader_release(&rd);
done:
    pw_graph_free(g);
    free(matched);
    free(functions);
    return rc;
}
