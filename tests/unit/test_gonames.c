/* Unit tests for gonames: the names of Go's ?debug=1 pages read from their comment lines, on the
 * pages a real Go program wrote (testdata/gopages) and on small malformed inputs. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/decode.h"
#include "pprofweb/gonames.h"
#include "pprofweb/legacy.h"

static struct pw_profile *load(const char *path)
{
    unsigned char *d;
    size_t n;
    struct pw_err err = {0};
    if (pw_read_file(path, (size_t)1 << 26, &d, &n, &err)) {
        CHECK(0, "%s: %s", path, err.msg);
        return NULL;
    }
    struct pw_profile *p = pw_legacy_parse(d, n, &err);
    free(d);
    CHECK(p != NULL, "%s: %s", path, err.msg);
    return p;
}

/* The function name of a location's innermost line, or "". */
static const char *leaf_name(const struct pw_profile *p, const struct pw_location *l)
{
    if (!l->n_lines || l->lines[0].function == PW_NONE)
        return "";
    return pw_s(p, p->functions[l->lines[0].function].name);
}

static const struct pw_location *by_addr(const struct pw_profile *p, uint64_t addr)
{
    for (uint32_t i = 0; i < p->n_locations; i++)
        if (p->locations[i].address == addr)
            return &p->locations[i];
    return NULL;
}

static void test_heap_page(void)
{
    struct pw_profile *p = load("testdata/profiles/shop.heap-t1.debug1.txt");
    if (!p)
        return;
    CHECK(p->n_comment_frames > 0, "comment frames read");
    const struct pw_location *l = by_addr(p, 0x4d1cc4);
    CHECK(l && l->n_lines == 0, "decode alone leaves locations unnamed, as pprof");
    size_t named = pw_gonames_apply(p);
    CHECK(named > 0, "locations named");
    CHECK(p->names_from_comments, "profile marked");
    CHECK_STREQ(leaf_name(p, l), "main.remember");
    CHECK_STREQ(pw_s(p, p->functions[l->lines[0].function].filename),
                "example.com/shop/main.go");
    CHECK_INTEQ(l->lines[0].line, 47);
    /* 0x40dbad is a leading runtime frame Go leaves out; 0x462fa0 the root, runtime.goexit. */
    CHECK_STREQ(leaf_name(p, by_addr(p, 0x40dbad)), PW_GONAMES_HIDDEN);
    CHECK_STREQ(leaf_name(p, by_addr(p, 0x462fa0)), "runtime.goexit");
    pw_profile_free(p);
}

static void test_pages(void)
{
    static const char *const pages[] = {"goroutine.debug1.txt", "mutex.debug1.txt",
                                         "block.debug1.txt", "heap.debug1.txt"};
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        char path[256];
        snprintf(path, sizeof(path), "testdata/gopages/pages/%s", pages[i]);
        struct pw_profile *p = load(path);
        if (!p)
            continue;
        CHECK(pw_gonames_apply(p) > 0, "%s: names applied", pages[i]);
        bool seen_main = false;
        for (uint32_t k = 0; k < p->n_functions; k++)
            seen_main |= strncmp(pw_s(p, p->functions[k].name), "main.", 5) == 0;
        CHECK(seen_main, "%s: a main. function named", pages[i]);
        pw_profile_free(p);
    }
}

static void test_inline_and_errors(void)
{
    const char *page = "goroutine profile: total 2\n"
                       "2 @ 0x10 0x20 0x30\n"
                       "#\t0x1f\tmain.inner+0x3\t/src/a.go:7\n"
                       "#\t0x1f\tmain.outer+0x9\t/src/a.go:12\n"
                       "#\t0x2f\tmain.main+0x1\t/src/my dir/b.go:3\n";
    struct pw_err err = {0};
    struct pw_profile *p = pw_legacy_parse((const unsigned char *)page, strlen(page), &err);
    CHECK(p != NULL, "parse: %s", err.msg);
    if (p) {
        pw_gonames_apply(p);
        const struct pw_location *l = by_addr(p, 0x1f);
        CHECK(l && l->n_lines == 2, "inlined frames make one location's lines");
        if (l && l->n_lines == 2) {
            CHECK_STREQ(leaf_name(p, l), "main.inner");
            CHECK_STREQ(pw_s(p, p->functions[l->lines[1].function].name), "main.outer");
        }
        l = by_addr(p, 0x2f);
        CHECK(l && l->n_lines == 1 &&
                  !strcmp(pw_s(p, p->functions[l->lines[0].function].filename), "/src/my dir/b.go"),
              "file names with spaces");
        pw_profile_free(p);
    }
    const char *bad[] = {"x\n#\t0x1fffffffffffffffff\tmain.f+0x1\ta.go:1\n",
                         "x\n\n#\t0x1f\tmain.f+0x1\ta.go:notanumber\n", "x\n#\t0x1fz\tmain.f\n"};
    const char *want[] = {"line 2:", "line 3:", "line 2:"};
    for (int i = 0; i < 3; i++) {
        struct pw_profile *q = pw_profile_new();
        memset(&err, 0, sizeof(err));
        CHECK(pw_gonames_read(q, bad[i], strlen(bad[i]), &err) == -1, "bad %d refused", i);
        CHECK(strncmp(err.msg, want[i], strlen(want[i])) == 0, "bad %d: %s", i, err.msg);
        pw_profile_free(q);
    }
}

int main(void)
{
    test_heap_page();
    test_pages();
    test_inline_and_errors();
    return harness_done();
}
