/* symbolize: the part of pprof's symbolizer that applies to profiles read from files: demangling
 * and simplifying function names (Demangle in pprof's internal/symbolizer). pprofweb never runs
 * binutils; symbolz.c asks a symbol server. Mangled C++ and Rust names (_Z..., _R...) are
 * demangled with libiberty (Debian's libiberty-dev), then simplified as pprof's demangle options do; names
 * that are already demangled are simplified with pprof's heuristics (parameters and template
 * arguments removed). libiberty's header stays in this file. */
#include "pprofweb/symbolize.h"

#include <ctype.h>
#include <libiberty/demangle.h>
#include <stdlib.h>
#include <string.h>

enum demangle_mode { DM_DEFAULT, DM_TEMPLATES, DM_FULL, DM_NONE };

static bool looks_like_demangled_cplusplus(const char *s)
{
    if (strstr(s, ".<") || strstr(s, "]).")) /* Java "class.<init>", Go "pkg.(*T[...]).M" */
        return false;
    return strpbrk(s, "<>[]") != NULL || strstr(s, "::") != NULL;
}

/* Removes nested start..end groups from name (in place); leaves it as is on a mismatch. */
static void remove_matching(char *name, char open, char close)
{
    size_t len = strlen(name);
    char *work = malloc(len + 1);
    if (!work)
        abort();
    memcpy(work, name, len + 1);
    int nesting = 0;
    size_t first = 0;
    for (size_t cur = 0; cur < len; cur++) {
        if (work[cur] == open) {
            if (++nesting == 1)
                first = cur;
        } else if (work[cur] == close) {
            nesting--;
            if (nesting < 0) {
                free(work);
                return; /* mismatch: keep the original */
            }
            if (nesting == 0) {
                memmove(work + first, work + cur + 1, len - cur);
                len -= cur + 1 - first;
                cur = first - 1;
            }
        }
    }
    memcpy(name, work, len + 1);
    free(work);
}

static void demangle_function(struct pw_profile *p, struct pw_function *f,
                              enum demangle_mode mode)
{
    if (f->name && f->system_name != f->name)
        return; /* already demangled */
    const char *sys = pw_s(p, f->system_name);
    if ((sys[0] == '_' && (sys[1] == 'Z' || sys[1] == 'R')) && mode != DM_NONE) {
        /* Parameters only in full mode; template arguments are dropped below by default. */
        int opts = DMGL_AUTO | (mode == DM_FULL ? DMGL_PARAMS | DMGL_ANSI : 0);
        char *d = cplus_demangle(sys, opts);
        if (d) {
            if (mode == DM_DEFAULT)
                remove_matching(d, '<', '>');
            f->name = pw_intern_cstr(p, d);
            free(d);
            return;
        }
    }
    size_t len = strlen(sys);
    bool simplify = mode == DM_DEFAULT || mode == DM_TEMPLATES;
    if (len == p->string_lens[f->system_name] &&
        !(simplify && looks_like_demangled_cplusplus(sys))) {
        f->name = f->system_name; /* nothing to change, and no NUL byte cuts it */
        return;
    }
    char *name = malloc(len + 1);
    if (!name)
        abort();
    memcpy(name, sys, len + 1);
    if (looks_like_demangled_cplusplus(name)) {
        if (simplify)
            remove_matching(name, '(', ')');
        if (mode == DM_DEFAULT)
            remove_matching(name, '<', '>');
    }
    f->name = pw_intern_cstr(p, name);
    free(name);
}

int pw_symbolize(struct pw_profile *p, const char *mode, struct pw_err *err)
{
    enum demangle_mode dm = DM_DEFAULT;
    bool force = false;
    char opts[256];
    size_t n = strlen(mode);
    if (n >= sizeof(opts))
        return pw_fail(err, PW_EINVAL, "-symbolize: option too long");
    for (size_t i = 0; i <= n; i++)
        opts[i] = (char)tolower((unsigned char)mode[i]);
    for (char *save = NULL, *o = strtok_r(opts, ":", &save); o; o = strtok_r(NULL, ":", &save)) {
        if (!strcmp(o, "none") || !strcmp(o, "no"))
            return 0;
        if (!strcmp(o, "force")) {
            force = true;
        } else if (!strncmp(o, "demangle=", 9)) {
            const char *d = o + 9;
            if (!strcmp(d, "full"))
                dm = DM_FULL, force = true;
            else if (!strcmp(d, "none"))
                dm = DM_NONE, force = true;
            else if (!strcmp(d, "templates"))
                dm = DM_TEMPLATES, force = true;
            else if (strcmp(d, "default"))
                return pw_fail(err, PW_EINVAL, "unrecognized symbolization option: %s", mode);
        } else if (strcmp(o, "local") && strcmp(o, "fastlocal") && strcmp(o, "remote")) {
            return pw_fail(err, PW_EINVAL,
                           "unrecognized symbolization option: %s (expecting "
                           "[local|fastlocal|remote|none][:force][:demangle=[none|full|templates|"
                           "default]])",
                           mode);
        }
    }
    for (uint32_t i = 0; i < p->n_functions; i++) {
        struct pw_function *f = &p->functions[i];
        if (force && f->name && f->system_name)
            f->name = f->system_name;
        demangle_function(p, f, dm);
    }
    return 0;
}

bool pw_symbolize_uses_comments(const char *mode)
{
    char opts[256];
    if (!mode)
        return true;
    if (strlen(mode) >= sizeof(opts))
        return false;
    size_t n = strlen(mode);
    for (size_t i = 0; i <= n; i++)
        opts[i] = (char)tolower((unsigned char)mode[i]);
    for (char *save = NULL, *o = strtok_r(opts, ":", &save); o; o = strtok_r(NULL, ":", &save))
        if (!strcmp(o, "none") || !strcmp(o, "no") || !strcmp(o, "remote"))
            return false;
    return true;
}

void pw_profile_unsource_mappings(struct pw_profile *p)
{
    for (uint32_t i = 0; i < p->n_mappings; i++) {
        struct pw_mapping *m = &p->mappings[i];
        if (m->build_id)
            continue;
        /* An absolute URL: a scheme ("http:", "https:", ...) then anything. */
        const char *f = pw_s(p, m->file);
        size_t k = 0;
        if (isalpha((unsigned char)f[0])) {
            while (isalnum((unsigned char)f[k]) || f[k] == '+' || f[k] == '-' || f[k] == '.')
                k++;
            if (f[k] == ':')
                m->file = 0;
        }
    }
}
