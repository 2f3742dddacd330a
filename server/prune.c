/* prune: pprof's frame pruning (profile/prune.go). Prune and RemoveUninteresting cut stacks at
 * the profile's drop_frames / keep_frames (malloc, allocator frames, ...); PruneFrom serves
 * -prune_from. Function names are first simplified as pprof does (no leading '.', no C++
 * argument list) so that "^(malloc)$" matches "malloc(unsigned long)".
 *
 * In: a profile owned by the caller, changed in place. Stacks and line lists only lose a prefix
 * or suffix, so they are re-pointed, never copied. Regexps are borrowed. */
#include "pprofweb/filter.h"

#include <stdlib.h>
#include <string.h>

#include "pprofweb/buf.h"
#include "pprofweb/regex.h"

const char *pw_simplify_func(const char *name, size_t *len)
{
    static const char anon[] = "(anonymous namespace)", op[] = "operator()";
    const char *s = name;
    size_t n = *len;
    if (n > 0 && s[0] == '.')
        s++, n--;
    /* The first '(' that does not begin one of the reserved names, scanning as pprof's
     * alternation "\(anonymous namespace\)|operator\(\)|\(" does, leftmost first. */
    for (size_t i = 0; i < n;) {
        if (n - i >= sizeof anon - 1 && memcmp(s + i, anon, sizeof anon - 1) == 0) {
            i += sizeof anon - 1;
        } else if (n - i >= sizeof op - 1 && memcmp(s + i, op, sizeof op - 1) == 0) {
            i += sizeof op - 1;
        } else if (s[i] == '(') {
            n = i;
            break;
        } else {
            i++;
        }
    }
    *len = n;
    return s;
}

/* The simplified name of line's function matches re; false without a function or name. */
static bool simplified_matches(const struct pw_profile *p, const struct pw_line *ln,
                               const struct pw_regex *re)
{
    if (ln->function == PW_NONE)
        return false;
    pw_str name = p->functions[ln->function].name;
    size_t len = p->string_lens[name];
    if (len == 0)
        return false;
    const char *s = pw_simplify_func(p->strings[name], &len);
    return pw_regex_match(re, s, len);
}

enum { KEEP = 0, PRUNE_BENEATH = 1, PRUNE = 2 };

void pw_profile_prune(struct pw_profile *p, const struct pw_regex *drop,
                      const struct pw_regex *keep)
{
    unsigned char *mark = pw_xcalloc(p->n_locations ? p->n_locations : 1, 1);
    for (uint32_t li = 0; li < p->n_locations; li++) {
        struct pw_location *l = &p->locations[li];
        /* the outermost (caller-most) matching line */
        uint32_t i = l->n_lines;
        while (i-- > 0) {
            const struct pw_line *ln = &l->lines[i];
            if (simplified_matches(p, ln, drop) && !(keep && simplified_matches(p, ln, keep)))
                break;
        }
        if (i == UINT32_MAX)
            continue;
        if (i == l->n_lines - 1) {
            mark[li] = PRUNE;
        } else {
            mark[li] = PRUNE_BENEATH;
            l->lines += i + 1;
            l->n_lines -= i + 1;
        }
    }
    for (size_t si = 0; si < p->n_samples; si++) {
        struct pw_sample *s = &p->samples[si];
        /* From the root: frames before the first unmatched one are never pruned, so a stack
         * made only of matching frames keeps them all. */
        bool found_user = false;
        for (uint32_t i = s->n_locs; i-- > 0;) {
            unsigned char m = mark[s->locs[i]];
            if (m == KEEP) {
                found_user = true;
                continue;
            }
            if (!found_user)
                continue;
            uint32_t cut = m == PRUNE ? i + 1 : i;
            s->locs += cut;
            s->n_locs -= cut;
            break;
        }
    }
    free(mark);
}

int pw_profile_remove_uninteresting(struct pw_profile *p, struct pw_err *err)
{
    if (p->drop_frames == 0 || p->string_lens[p->drop_frames] == 0)
        return 0;
    const char *drop_src = pw_s(p, p->drop_frames);
    struct pw_buf pat;
    pw_buf_init(&pat, 0);
    pw_buf_addf(&pat, "^(%s)$", drop_src);
    struct pw_regex *drop = pw_regex_compile(pw_buf_str(&pat), err), *keep = NULL;
    if (!drop) {
        pw_buf_release(&pat);
        return pw_err_prefix(err, "failed to compile regexp %s: ", drop_src);
    }
    if (p->keep_frames != 0 && p->string_lens[p->keep_frames] > 0) {
        const char *keep_src = pw_s(p, p->keep_frames);
        pw_buf_reset(&pat);
        pw_buf_addf(&pat, "^(%s)$", keep_src);
        keep = pw_regex_compile(pw_buf_str(&pat), err);
        if (!keep) {
            pw_buf_release(&pat);
            pw_regex_free(drop);
            return pw_err_prefix(err, "failed to compile regexp %s: ", keep_src);
        }
    }
    pw_buf_release(&pat);
    pw_profile_prune(p, drop, keep);
    pw_regex_free(drop);
    pw_regex_free(keep);
    return 0;
}

void pw_profile_prune_from(struct pw_profile *p, const struct pw_regex *drop)
{
    bool *beneath = pw_xcalloc(p->n_locations ? p->n_locations : 1, sizeof(*beneath));
    for (uint32_t li = 0; li < p->n_locations; li++) {
        struct pw_location *l = &p->locations[li];
        /* the innermost matching line stays, with its callers */
        for (uint32_t i = 0; i < l->n_lines; i++) {
            if (simplified_matches(p, &l->lines[i], drop)) {
                beneath[li] = true;
                l->lines += i;
                l->n_lines -= i;
                break;
            }
        }
    }
    for (size_t si = 0; si < p->n_samples; si++) {
        struct pw_sample *s = &p->samples[si];
        for (uint32_t i = 0; i < s->n_locs; i++) {
            if (beneath[s->locs[i]]) {
                s->locs += i;
                s->n_locs -= i;
                break;
            }
        }
    }
    free(beneath);
}
