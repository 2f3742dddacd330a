/* Unit tests for symbolz: the symbol endpoint pprof would ask, the request it would send and how
 * it reads the answer (pprof's internal/symbolz rules). */
#include <stdlib.h>

#include "harness.h"
#include "pprofweb/buf.h"
#include "pprofweb/profile.h"
#include "pprofweb/symbolz.h"

static const char *endpoint(const char *url)
{
    static char out[512];
    char *u = pw_symbolz_url(url);
    snprintf(out, sizeof(out), "%s", u ? u : "(none)");
    free(u);
    return out;
}

/* A legacy-like profile: one mapping without functions, locations at 0x10, 0x20, 0x30 and 0. */
static struct pw_profile *unnamed(void)
{
    struct pw_profile *p = pw_profile_new();
    struct pw_mapping *m = pw_add_mapping(p);
    m->id = 1;
    m->limit = UINT64_MAX;
    static const uint64_t addrs[] = {0x10, 0x20, 0x30, 0};
    for (size_t i = 0; i < 4; i++) {
        struct pw_location *l = pw_add_location(p);
        l->id = i + 1;
        l->mapping = 0;
        l->address = addrs[i];
    }
    return p;
}

static const char *name_at(const struct pw_profile *p, uint32_t loc)
{
    const struct pw_location *l = &p->locations[loc];
    return l->n_lines ? pw_s(p, p->functions[l->lines[0].function].name) : "(none)";
}

int main(void)
{
    /* net/http/pprof pages: the sibling "symbol"; the query goes. */
    CHECK_STREQ(endpoint("http://h:6060/debug/pprof/heap?debug=1"),
                "http://h:6060/debug/pprof/symbol");
    CHECK_STREQ(endpoint("https://h/x/debug/pprof/goroutine"), "https://h/x/debug/pprof/symbol");
    /* A trailing slash is cleaned as Go's path.Clean does: ".." then climbs one more. */
    CHECK_STREQ(endpoint("http://h/debug/pprof/"), "http://h/debug/symbol");
    /* gperftools handlers and other paths. */
    CHECK_STREQ(endpoint("http://h/pprof/heap"), "http://h/pprof/symbol");
    CHECK_STREQ(endpoint("http://h/prof/cpu?seconds=5"), "http://h/prof/symbolz");
    CHECK_STREQ(endpoint("http://h"), "http://h/symbolz");
    CHECK_STREQ(endpoint("/debug/pprof/heap"), "(none)");
    CHECK_STREQ(endpoint("http:///debug/pprof/heap"), "(none)");

    /* Modes: pprof's default and "remote" ask; "none", "local" and "fastlocal" do not. */
    bool force;
    CHECK(pw_symbolz_wanted(NULL, &force) && !force, "default asks");
    CHECK(pw_symbolz_wanted("", &force) && !force, "\"\" asks");
    CHECK(pw_symbolz_wanted("remote:force", &force) && force, "remote:force asks, forced");
    CHECK(pw_symbolz_wanted("demangle=full", &force) && force, "demangle=full forces");
    CHECK(!pw_symbolz_wanted("none", &force), "none does not ask");
    CHECK(!pw_symbolz_wanted("local", &force), "local does not ask");
    CHECK(!pw_symbolz_wanted("FastLocal", &force), "fastlocal does not ask");
    CHECK(pw_symbolz_wanted("local:remote", &force), "the last of local/remote wins");

    /* The request: "%#x" addresses joined by '+', locations at 0 and named ones left out. */
    struct pw_profile *p = unnamed();
    struct pw_buf q;
    pw_buf_init(&q, 0);
    CHECK_INTEQ(pw_symbolz_query(p, 0, &q), 3);
    CHECK_STREQ(pw_buf_str(&q), "0x10+0x20+0x30");

    /* The answer: Go's "num_symbols: 1" header is no symbol; a name may hold spaces; the last
     * line for an address wins; a line without its newline is not read. */
    static const char answer[] = "num_symbols: 1\n"
                                 "0x10 main.f\n"
                                 "0x20\tmain.(*T).g[...] shape\n"
                                 "0x10 main.h\n"
                                 "junk 0x30x nothing\n"
                                 "0x30 main.cut";
    struct pw_err err = {0};
    CHECK_INTEQ(pw_symbolz_answer(p, 0, answer, sizeof(answer) - 1, &err), 2);
    CHECK_STREQ(name_at(p, 0), "main.h");
    CHECK_STREQ(name_at(p, 1), "main.(*T).g[...] shape");
    CHECK_STREQ(name_at(p, 2), "(none)");
    CHECK_INTEQ(p->locations[0].lines[0].line, 0);
    /* Function per name, name and system name the same, no file; answer order. */
    CHECK_INTEQ(p->n_functions, 3);
    CHECK_STREQ(pw_s(p, p->functions[0].name), "main.f");
    CHECK(p->functions[1].system_name == p->functions[1].name && p->functions[1].filename == 0,
          "system name is the name, no file");
    CHECK_INTEQ(p->functions[2].id, 3);
    pw_buf_reset(&q);
    CHECK_INTEQ(pw_symbolz_query(p, 0, &q), 1);
    CHECK_STREQ(pw_buf_str(&q), "0x30");
    /* An address past 64 bits fails and changes nothing. */
    static const char wide[] = "0x30 main.ok\n0x10000000000000000 main.big\n";
    CHECK_INTEQ(pw_symbolz_answer(p, 0, wide, sizeof(wide) - 1, &err), -1);
    CHECK(strstr(err.msg, "line 2") != NULL, "names the line: %s", err.msg);
    CHECK_STREQ(name_at(p, 2), "(none)");
    /* Leading zeros are still 64 bits. */
    static const char zeros[] = "0x000000000000000000030 main.z\n";
    CHECK_INTEQ(pw_symbolz_answer(p, 0, zeros, sizeof(zeros) - 1, &err), 1);
    CHECK_STREQ(name_at(p, 2), "main.z");
    pw_buf_release(&q);
    pw_profile_free(p);

    /* No endpoint to ask (not a URL): nothing is named, no error. */
    p = unnamed();
    CHECK_INTEQ(pw_symbolz(p, "profile.txt", false, 5, &err), 0);
    CHECK(!p->mappings[0].has_functions, "not marked");
    pw_profile_free(p);
    return harness_done();
}
