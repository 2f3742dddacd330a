/* Unit tests for the legacy parsers (legacy*.c). Expected numbers come from pprof's own
 * profile.Parse (Go 1.19's vendored pprof) on the same inputs: the corpus legacy files (run from
 * the repository root, ../shared/corpus), small inputs written here for the quirks pprof has
 * (regexp splits, memory map heuristics, scanner limits), and malformed inputs that must give an
 * error, never a crash. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/decode.h"
#include "pprofweb/legacy.h"
#include "pprofweb/limits.h"

#define CORPUS "../shared/corpus/"

static struct pw_profile *parse_str(const char *s, size_t len, struct pw_err *err)
{
    memset(err, 0, sizeof(*err));
    return pw_legacy_parse((const unsigned char *)s, len, err);
}

static struct pw_profile *parse_text(const char *s, struct pw_err *err)
{
    return parse_str(s, strlen(s), err);
}

static struct pw_profile *parse_file(const char *path)
{
    unsigned char *d;
    size_t n;
    struct pw_err err = {0};
    if (pw_read_file(path, (size_t)1 << 30, &d, &n, &err)) {
        CHECK(0, "%s: %s", path, err.msg);
        return NULL;
    }
    struct pw_profile *p = pw_legacy_parse(d, n, &err);
    free(d);
    CHECK(p != NULL, "%s: %s", path, err.msg);
    return p;
}

/* What pprof's Parse gives for each corpus file (before the driver merges samples). */
static const struct corpus_case {
    const char *path;
    const char *type0, *period_type;
    int64_t period;
    size_t n_samples;
    uint32_t n_locations, n_mappings;
    int64_t v0, v_last; /* first sample's first and last value */
    uint64_t loc0_addr;
    const char *map0_file; /* NULL: no mapping */
    const char *fn0;       /* first location's function, or NULL */
} corpus_cases[] = {
    {"public/cpp-contention-cppbench.legacy.txt", "contentions", "contentions", 100, 6, 40, 12,
     2700, 608881724, 0xbccc96, "cppbench_server_main", NULL},
    {"public/cpp-cpu-cppbench.legacy.bin", "samples", "cpu", 10000000, 52, 109, 12, 1, 10000000,
     0x42ef04, "cppbench_server_main", NULL},
    {"public/cpp-heap-cppbench.legacy.txt", "objects", "space", 524288, 31, 157, 12, 57, 528909,
     0xc635c7, "/home/cppbench_server_main", NULL},
    {"public/cpp-thread-cppbench.legacy.txt", "thread", "thread", 1, 3, 12, 12, 1, 1, 0xbc8f1c,
     "/home/rsilvera/cppbench/cppbench_server_main", NULL},
    {"public/go-cpu-gobench.legacy.bin", "samples", "cpu", 10000000, 206, 202, 1, 1, 10000000,
     0x410bc0, "", NULL},
    {"public/go-heap-gobench.legacy.txt", "alloc_objects", "space", 524288, 15, 100, 1, 4, 829411,
     0x420cee, "", NULL},
    {"public/go-threadcreate-godoc.legacy.txt", "threadcreate", "threadcreate", 1, 7, 23, 1, 1, 1,
     0x44cb2, "", NULL},
    {"public/java-contention.legacy.txt", "contentions", "contentions", 100, 4, 32, 0, 100, 100, 0,
     NULL, "com.example.function03"},
    {"public/java-cpu.legacy.bin", "samples", "cpu", 10000000, 8, 64, 0, 0, 0, 0, NULL, "GC"},
    {"public/java-heap.legacy.txt", "inuse_objects", "", 0, 7, 119, 0, 74, 527819, 0, NULL,
     "com.example.function003"},
    {"local/profiles/go119-block.debug1.txt", "contentions", "contentions", 1, 13, 31, 1, 2002,
     2202760242, 0x404f7c, "", NULL},
    {"local/profiles/go119-goroutine.debug1.txt", "goroutine", "goroutine", 1, 4, 16, 1, 2, 2,
     0x437cd5, "", NULL},
    {"local/profiles/go119-heap-t0.debug1.txt", "alloc_objects", "space", 4096, 103, 171, 1, 227,
     229376, 0x40d9ad, "", NULL},
    {"local/profiles/go119-mutex.debug1.txt", "contentions", "contentions", 1, 4, 9, 1, 376,
     117890368, 0x4bd95e, "", NULL},
};

static void test_corpus(void)
{
    for (size_t i = 0; i < sizeof(corpus_cases) / sizeof(corpus_cases[0]); i++) {
        const struct corpus_case *c = &corpus_cases[i];
        char path[512];
        snprintf(path, sizeof(path), CORPUS "%s", c->path);
        struct pw_profile *p = parse_file(path);
        if (!p)
            continue;
        CHECK(p->n_sample_types > 0, "%s: no sample types", c->path);
        if (p->n_sample_types > 0)
            CHECK(strcmp(pw_s(p, p->sample_types[0].type), c->type0) == 0, "%s: type %s",
                  c->path, pw_s(p, p->sample_types[0].type));
        CHECK(p->has_period_type && strcmp(pw_s(p, p->period_type.type), c->period_type) == 0,
              "%s: period type %s", c->path, pw_s(p, p->period_type.type));
        CHECK(p->period == c->period, "%s: period %lld", c->path, (long long)p->period);
        CHECK(p->n_samples == c->n_samples, "%s: %zu samples", c->path, p->n_samples);
        CHECK(p->n_locations == c->n_locations, "%s: %u locations", c->path, p->n_locations);
        CHECK(p->n_mappings == c->n_mappings, "%s: %u mappings", c->path, p->n_mappings);
        CHECK(pw_profile_check_valid(p, NULL) == 0, "%s: not valid", c->path);
        if (p->n_samples && p->n_sample_types) {
            const struct pw_sample *s = &p->samples[0];
            CHECK(s->values[0] == c->v0 && s->values[p->n_sample_types - 1] == c->v_last,
                  "%s: first sample %lld .. %lld", c->path, (long long)s->values[0],
                  (long long)s->values[p->n_sample_types - 1]);
            CHECK(s->n_locs > 0 && s->locs[0] == 0, "%s: first sample's leaf", c->path);
        }
        if (p->n_locations) {
            const struct pw_location *l = &p->locations[0];
            CHECK(l->id == 1 && l->address == c->loc0_addr, "%s: location 1 at %#llx", c->path,
                  (unsigned long long)l->address);
            if (c->fn0)
                CHECK(l->n_lines == 1 && strcmp(pw_s(p, p->functions[l->lines[0].function].name),
                                                c->fn0) == 0,
                      "%s: location 1 function", c->path);
            else
                CHECK(l->n_lines == 0, "%s: unsymbolized location has lines", c->path);
        }
        if (c->map0_file && p->n_mappings)
            CHECK(strcmp(pw_s(p, p->mappings[0].file), c->map0_file) == 0 &&
                      p->mappings[0].id == 1,
                  "%s: mapping 1 file %s", c->path, pw_s(p, p->mappings[0].file));
        pw_profile_free(p);
    }
}

/* Details of single corpus files that pprof's -raw shows. */
static void test_corpus_details(void)
{
    struct pw_profile *p = parse_file(CORPUS "local/profiles/go119-heap-t0.debug1.txt");
    if (p) {
        CHECK(p->memstats && strncmp(p->memstats, "# runtime.MemStats\n# Alloc = ", 29) == 0,
              "memstats kept from its header line");
        CHECK(p->memstats && strstr(p->memstats, "# MaxRSS = 13008896") != NULL,
              "memstats runs to the end");
        CHECK(p->samples[0].n_labels == 1 && p->samples[0].labels[0].is_num &&
                  p->samples[0].labels[0].num == 229376 &&
                  strcmp(pw_s(p, p->samples[0].labels[0].key), "bytes") == 0,
              "heap sample bytes label");
        CHECK(strncmp(pw_s(p, p->drop_frames), "calloc|cfree|malloc|free|", 25) == 0,
              "heap drop_frames");
        CHECK_STREQ(pw_s(p, p->keep_frames), "runtime\\.panic|runtime\\.reflectcall|runtime\\.call[0-9]*");
        pw_profile_free(p);
    }
    p = parse_file(CORPUS "public/java-contention.legacy.txt");
    if (p) {
        CHECK_STREQ(pw_s(p, p->sample_types[1].unit), "microseconds");
        CHECK_INTEQ(p->duration_nanos, 6019923LL * 1000 * 1000);
        CHECK(strncmp(pw_s(p, p->drop_frames), "RecordLockProfileData|", 22) == 0,
              "contention drop_frames");
        CHECK_STREQ(pw_s(p, p->functions[0].filename), "source.java");
        CHECK_INTEQ(p->locations[0].lines[0].line, 3);
        pw_profile_free(p);
    }
    p = parse_file(CORPUS "public/cpp-cpu-cppbench.legacy.bin");
    if (p) {
        CHECK_STREQ(pw_s(p, p->drop_frames),
                    "ProfileData::Add|ProfileData::prof_handler|CpuProfiler::prof_handler|"
                    "__pthread_sighandler|__restore");
        pw_profile_free(p);
    }
}

/* The regexp engine must split "12345 @" as Go does: the first group gives up its last digit. */
static void test_regexp(void)
{
    struct lg_re re;
    struct lg_str m[LG_RE_MAX_SUB];
    CHECK(lg_re_compile(&re, "(\\d+) *(\\d+) @([ x0-9a-f]*)") == 0, "compile contention");
    struct lg_str s = {"xx 12345 @ 0x1 0x2", 18};
    CHECK(lg_re_find(&re, s, m), "contention match");
    CHECK(m[1].len == 4 && memcmp(m[1].s, "1234", 4) == 0, "group 1 = 1234");
    CHECK(m[2].len == 1 && m[2].s[0] == '5', "group 2 = 5");
    CHECK(m[3].len == 8, "addresses group");

    /* A single hex run "400000" is split into start 40000 and limit 0 by backtracking. */
    CHECK(lg_re_compile(&re, "^\\s*(?:0x)?([[:xdigit:]]+)[\\s-]?\\s*(?:0x)?([[:xdigit:]]+):?"
                             "(?:\\s+([-rwxp]+))?(?:\\s+([[:xdigit:]]+))?\\s+[[:xdigit:]]+:"
                             "[[:xdigit:]]+\\s+[[:digit:]]+(?:\\s+(\\S+))?") == 0,
          "compile proc maps");
    struct lg_str l = {"400000 r-xp 0 08:01 5 /weird", 28};
    CHECK(lg_re_find(&re, l, m), "proc maps match");
    CHECK(m[1].len == 5 && m[2].len == 1 && m[2].s[0] == '0', "hex run split 40000/0");
    CHECK(m[5].len == 6 && memcmp(m[5].s, "/weird", 6) == 0, "file group");
    l = (struct lg_str){"no mapping here", 15};
    CHECK(!lg_re_find(&re, l, m), "proc maps no match");

    CHECK(lg_re_compile(&re, "^(.*)\\s+\\((.+):(-?[[:digit:]]+)\\)$") == 0, "compile java");
    l = (struct lg_str){"f (a) (b.java:12)", 17};
    CHECK(lg_re_find(&re, l, m) && m[1].len == 5 && m[2].len == 6, "greedy first group");
    CHECK(lg_re_compile(&re, "a|b") == -1, "alternation is outside the subset");
}

static void test_numbers(void)
{
    char msg[160];
    int64_t v;
    uint64_t u;
    CHECK(lg_parse_int((struct lg_str){"010", 3}, 0, &v, msg, sizeof(msg)) == 0 && v == 8,
          "base 0 octal");
    CHECK(lg_parse_int((struct lg_str){"0x1f", 4}, 0, &v, msg, sizeof(msg)) == 0 && v == 31,
          "base 0 hex");
    CHECK(lg_parse_int((struct lg_str){"1_000", 5}, 0, &v, msg, sizeof(msg)) == 0 && v == 1000,
          "base 0 underscores");
    CHECK(lg_parse_int((struct lg_str){"1__0", 4}, 0, &v, msg, sizeof(msg)) == -1,
          "double underscore");
    CHECK(lg_parse_int((struct lg_str){"08", 2}, 0, &v, msg, sizeof(msg)) == -1, "bad octal");
    CHECK(lg_parse_int((struct lg_str){"-9223372036854775808", 20}, 10, &v, msg, sizeof(msg)) ==
                  0 &&
              v == INT64_MIN,
          "min int64");
    CHECK(lg_parse_int((struct lg_str){"9223372036854775808", 19}, 10, &v, msg, sizeof(msg)) ==
              -1,
          "int64 overflow");
    CHECK_STREQ(msg, "strconv.ParseInt: parsing \"9223372036854775808\": value out of range");
    CHECK(lg_parse_uint((struct lg_str){"ffffffffffffffff", 16}, 16, &u, msg, sizeof(msg)) == 0 &&
              u == UINT64_MAX,
          "max uint64");
    CHECK(lg_parse_uint((struct lg_str){"10000000000000000", 17}, 16, &u, msg, sizeof(msg)) == -1,
          "uint64 overflow");

    /* math.Exp bits as Go 1.19 computes them on amd64 (this machine's CPU has FMA). */
    static const struct {
        double x;
        uint64_t bits;
    } exps[] = {{-0.017578125, 0x3fef71421c20d55dull}, {-1e-06, 0x3feffffde7211d81ull},
                {-0.5, 0x3fe368b2fc6f960aull},         {-3.75, 0x3f981509354f0d29ull},
                {-700, 0x00d14f2b0fb9307full},         {-745.5, 0},
                {1, 0x4005bf0a8b145769ull},            {10.5, 0x40e1bb7015e84d3bull},
                {709.7, 0x7ff0000000000000ull},        {-1e300, 0},
                {0, 0x3ff0000000000000ull}};
    for (size_t i = 0; i < sizeof(exps) / sizeof(exps[0]); i++) {
        double r = lg_exp(exps[i].x);
        uint64_t b;
        memcpy(&b, &r, sizeof(b));
        CHECK(b == exps[i].bits, "exp(%g) = %#llx, want %#llx", exps[i].x, (unsigned long long)b,
              (unsigned long long)exps[i].bits);
    }
    static const int64_t scale[][5] = {{1, 9216, 524288, 57, 528909},
                                       {7, 114688, 524288, 227, 3727658},
                                       {1, 48, 524288, 10923, 524312},
                                       {3, 100, 4096, 370, 12338},
                                       {5, 0, 4096, 0, 0},
                                       {5, 7, 1, 5, 7}};
    for (size_t i = 0; i < sizeof(scale) / sizeof(scale[0]); i++) {
        int64_t c, s;
        lg_scale_heap_sample(scale[i][0], scale[i][1], scale[i][2], &c, &s);
        CHECK(c == scale[i][3] && s == scale[i][4], "scale %lld/%lld: %lld %lld",
              (long long)scale[i][0], (long long)scale[i][1], (long long)c, (long long)s);
    }
    CHECK(lg_f2i(NAN) == INT64_MIN && lg_f2i(1e19) == INT64_MIN && lg_f2i(-3.9) == -3,
          "float to int64 as amd64");
}

static void test_scanner(void)
{
    struct lg_scanner s;
    lg_scanner_init(&s, "a\r\nb\n\nc", 7);
    CHECK(lg_scan(&s) && s.tok.len == 1 && s.tok.s[0] == 'a', "drops \\r");
    CHECK(lg_scan(&s) && lg_eq(s.tok, "b"), "second line");
    CHECK(lg_scan(&s) && s.tok.len == 0, "empty line");
    CHECK(lg_scan(&s) && lg_eq(s.tok, "c"), "last line without newline");
    CHECK(!lg_scan(&s) && s.tok.len == 0 && lg_scan_err(&s, NULL) == 0, "EOF is no error");

    size_t n = 70000;
    char *big = malloc(n + 3);
    memcpy(big, "x\n", 2);
    memset(big + 2, 'y', n);
    big[n + 2] = '\n';
    lg_scanner_init(&s, big, n + 3);
    CHECK(lg_scan(&s) && lg_eq(s.tok, "x"), "line before the long one");
    CHECK(!lg_scan(&s) && lg_eq(s.tok, "x"), "too long: fails, token unchanged");
    struct pw_err err = {0};
    CHECK(lg_scan_err(&s, &err) == -1, "too long is an error");
    CHECK_STREQ(err.msg, "bufio.Scanner: token too long");
    CHECK(lg_scan(&s) && s.tok.len == 65536, "then Go hands out the 64 KiB buffer");
    CHECK(!lg_scan(&s), "and stops");
    free(big);

    struct lg_str t = lg_trim((struct lg_str){"\xc2\xa0 x y\t\xe3\x80\x80", 10});
    CHECK(t.len == 3 && memcmp(t.s, "x y", 3) == 0, "TrimSpace removes Unicode spaces");
}

/* Small inputs whose pprof output was checked with pprof's own parser. */
static void test_formats(void)
{
    struct pw_err err;
    struct pw_profile *p = parse_text("--- contentionz 1 ---\ncycles/second = 1000\n"
                                      "12345 @ 0x10 0x20\n",
                                      &err);
    CHECK(p && p->n_samples == 1, "contention: %s", err.msg);
    if (p) {
        CHECK(p->samples[0].values[0] == 5 && p->samples[0].values[1] == 1234000000,
              "contention values 5, 1234000000");
        CHECK(p->locations[0].address == 0xf && p->locations[1].address == 0x1f,
              "addresses moved onto the call");
        pw_profile_free(p);
    }
    p = parse_text("goroutine profile: total 1\n010 @ 0x10\n# labels: {\"a\":\"b\"}\n", &err);
    CHECK(p && p->n_samples == 1 && p->samples[0].values[0] == 8, "count base 0: %s", err.msg);
    pw_profile_free(p);

    p = parse_text("--- threadz 1 ---\n\n--- Thread 1 (name: a/1) stack: ---\n  PC: 0x10: x\n"
                   "  0x20: y\n--- Thread 2 (name: b/2) stack: ---\n  same as previous thread\n"
                   "--- Thread 3 (name: c/3) stack: ---\n  PC: 0x40 0x11\n"
                   "---- no stack trace for x\n",
                   &err);
    CHECK(p && p->n_samples == 2, "threadz: %s", err.msg);
    if (p) {
        CHECK(p->samples[0].values[0] == 2, "same as previous thread counts");
        CHECK(p->samples[1].n_locs == 2, "duplicate leaf removed (0x40 0x11 -> 0x40 0x10)");
        pw_profile_free(p);
    }

    p = parse_text("heap profile:    3:  300 [   3:  300] @ heapz_v2/0\n"
                   "     1:      100 [     1:      100] @ 0x400100 0x500200 0x401\n"
                   "--- Memory map: ---\nname = server\n/anon_hugepage x\n"
                   "7000-8000 r-xp 00000000 08:01 1 /anon_hugepage\n"
                   "8000-9000 r-xp 00000000 08:01 1 /x\n"
                   "00400000-00450000 r-xp 00000000 08:01 1234 /bin/$name (deleted)\n"
                   "00450000-00700000 r-xp 00050000 08:01 1234 /bin/$name\n"
                   "7f0000010000-7f0000020000 rw-p 00000000 08:01 99 /lib/libc.so.6\n",
                   &err);
    CHECK(p != NULL, "heap with maps: %s", err.msg);
    if (p) {
        CHECK_INTEQ(p->n_mappings, 3);
        CHECK_STREQ(pw_s(p, p->mappings[0].file), "/x");
        CHECK_STREQ(pw_s(p, p->mappings[1].file), "/bin/server");
        CHECK(p->mappings[1].start == 0x400000 && p->mappings[1].limit == 0x700000,
              "adjacent mappings merged");
        CHECK(p->mappings[2].limit == UINT64_MAX, "fake mapping for unmapped addresses");
        CHECK(p->locations[0].mapping == 1 && p->locations[2].mapping == 2,
              "locations mapped");
        pw_profile_free(p);
    }

    p = parse_text("--- heapz 1 ---\nformat = java\nresolution = kilobytes\n  100 3 @ 0x1 0x2 0x3\n"
                   "\n 0x1 a.b.c (File.java:12)\n 0x2 a.b.d (/usr/lib/libx.so)\n"
                   " 0x3 generated stub/JIT thing\n",
                   &err);
    CHECK(p && p->n_functions == 3, "java heap: %s", err.msg);
    if (p) {
        CHECK_STREQ(pw_s(p, p->functions[1].filename), "libx.so");
        CHECK_STREQ(pw_s(p, p->functions[2].name), "STUB");
        CHECK_STREQ(pw_s(p, p->sample_types[1].unit), "kilobytes");
        CHECK(p->samples[0].labels[0].num == 33, "java heap bytes label");
        CHECK(p->locations[0].address == 0 && p->n_mappings == 0, "java addresses dropped");
        pw_profile_free(p);
    }
}

static void expect_error(const char *what, const char *data, size_t len, const char *msg)
{
    struct pw_err err;
    struct pw_profile *p = parse_str(data, len, &err);
    CHECK(p == NULL, "%s: parsed", what);
    pw_profile_free(p);
    if (!p) {
        CHECK(err.code == PW_ECORRUPT, "%s: code %d", what, err.code);
        CHECK(strcmp(err.msg, msg) == 0, "%s: message \"%s\", want \"%s\"", what, err.msg, msg);
    }
}

static void put64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static void test_malformed(void)
{
    expect_error("empty", "", 0, "unrecognized profile format");
    expect_error("garbage", "\x01\x02\x03 hello", 9, "unrecognized profile format");
    expect_error("heap sample garbage", "heap profile: 1: 2 [3: 4] @ heap/8192\ngarbage\n", 47,
                 "unexpected number of sample values: got 0, want 6");
    expect_error("count bad address", "goroutine profile: total 1\n1 @ 0xzz\n", 36,
                 "malformed profile format");
    expect_error("heap count 0", "heap profile: 1: 2 [1: 2] @ heap/2\n0: 5 [0: 0] @ 0x1\n", 52,
                 "inuse count was 0 but inuse bytes was 5");
    expect_error("hex overflow", "heap profile: 1: 2 [1: 2] @ heap/2\n1: 5 [1: 5] @ 0x11111111111111111\n",
                 69,
                 "malformed sample: 1: 5 [1: 5] @ 0x11111111111111111: failed to parse as hex "
                 "64-bit number: 0x11111111111111111");
    expect_error("threadz without map", "--- threadz 1 ---\n\n--- Thread 1 (name: a/1) stack: ---\n"
                 "  0x10 0x20\n", 67, "unrecognized profile format");
    const char *jz = "--- heapz 1 ---\nformat = java\nresolution = bytes\n5 0 @ 0x1\n";
    expect_error("java zero count", jz, strlen(jz),
                 "parsing sample 5 0 @ 0x1: second value must be non-zero");

    /* Binary: a header, then a record that declares 2^60 frames: pprof calls it unrecognized,
     * and nothing is allocated for the declared depth. */
    unsigned char b[8 * 9];
    memset(b, 0, sizeof(b));
    put64(b + 8, 3);
    put64(b + 24, 10000);
    put64(b + 40, 1);
    put64(b + 48, (uint64_t)1 << 60);
    expect_error("huge depth", (const char *)b, 56, "unrecognized profile format");
    /* A truncated record: the missing words read as 0, as in pprof. For C++ the lone sample's
     * second frame then goes as a signal handler frame; Java (word 3 = 1) keeps it, and its
     * addresses get the fake mapping before they are zeroed. */
    put64(b + 48, 2);
    put64(b + 56, 0x400000);
    struct pw_err err;
    struct pw_profile *p = parse_str((const char *)b, 68, &err);
    CHECK(p && p->n_samples == 1 && p->samples[0].n_locs == 1, "truncated record: %s", err.msg);
    if (p)
        CHECK(p->locations[0].address == 0x400000 && p->n_locations == 1, "leaf kept");
    pw_profile_free(p);
    put64(b + 16, 1);
    p = parse_str((const char *)b, 68, &err);
    CHECK(p && p->n_samples == 1 && p->samples[0].n_locs == 2, "java truncated: %s", err.msg);
    if (p)
        CHECK(p->n_mappings == 1 && p->locations[0].mapping == 0 &&
                  p->locations[1].mapping == PW_NONE && p->locations[0].address == 0,
              "fake mapping only for the nonzero address");
    pw_profile_free(p);

    /* A line over 64 KiB stops the heap parser with Go's scanner error. */
    size_t n = 70000;
    char *big = malloc(n);
    memset(big, ' ', n);
    memcpy(big, "heap profile: 1: 2 [1: 2] @ heapz_v2/524288\n1: 2 [1: 2] @", 56);
    expect_error("long line", big, n, "bufio.Scanner: token too long");
    free(big);

    /* Memory map attributes that expand a line past the limit are an error, not a huge line. */
    struct pw_buf_like {
        char *s;
        size_t len, cap;
    } m = {NULL, 0, 0};
    const char *head = "heap profile: 1: 2 [1: 2] @ heapz_v2/524288\n1: 2 [1: 2] @ 0x10\n"
                       "--- Memory map: ---\na=";
    m.cap = strlen(head) + 70000 + 40000;
    m.s = malloc(m.cap);
    memcpy(m.s, head, strlen(head));
    m.len = strlen(head);
    memset(m.s + m.len, 'v', 60000);
    m.len += 60000;
    m.s[m.len++] = '\n';
    for (int i = 0; i < 20000; i++) {
        m.s[m.len++] = '$';
        m.s[m.len++] = 'a';
    }
    m.s[m.len++] = '\n';
    expect_error("attribute bomb", m.s, m.len, "memory map: line over 1048576 bytes after substitution");
    free(m.s);
}

/* A legacy profile of more samples than PW_MAX_TABLE_ENTRIES: the builder stops growing and
 * marks the profile too large (a 300 MB heap text of 17 M lines is refused this way). */
static void test_table_limit(void)
{
    struct lg g;
    lg_init(&g);
    for (size_t i = 0; i < PW_MAX_TABLE_ENTRIES; i++)
        lg_add_sample(&g, 0)->n_v = 1;
    CHECK(g.too_many == NULL, "too many after %zu samples", (size_t)PW_MAX_TABLE_ENTRIES);
    struct lg_sample *s = lg_add_sample(&g, 3);
    s->locs[2] = 7; /* the spare takes what a parser writes */
    CHECK_INTEQ(g.n_samples, PW_MAX_TABLE_ENTRIES);
    CHECK(g.too_many && strcmp(g.too_many, "samples") == 0, "too_many: %s",
          g.too_many ? g.too_many : "(none)");
    lg_release(&g);
}

int main(void)
{
    test_corpus();
    test_table_limit();
    test_corpus_details();
    test_regexp();
    test_numbers();
    test_scanner();
    test_formats();
    test_malformed();
    return harness_done();
}
