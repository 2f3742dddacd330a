/* Unit tests for goroutines: Go goroutine dumps decoded into a profile of goroutine counts, on a
 * real debug=2 dump and a real panic (testdata/gopages), newer Go's header forms, and malformed
 * dumps whose errors name the line. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/decode.h"
#include "pprofweb/goroutines.h"

static const struct pw_label *label(const struct pw_profile *p, const struct pw_sample *s,
                                    const char *key)
{
    for (uint32_t i = 0; i < s->n_labels; i++)
        if (!strcmp(pw_s(p, s->labels[i].key), key))
            return &s->labels[i];
    return NULL;
}

static const char *leaf(const struct pw_profile *p, const struct pw_sample *s)
{
    if (!s->n_locs)
        return "";
    const struct pw_location *l = &p->locations[s->locs[0]];
    return pw_s(p, p->functions[l->lines[0].function].name);
}

static void test_real_dump(void)
{
    struct pw_err err = {0};
    struct pw_profile *p = pw_decode_file("testdata/gopages/pages/goroutine.debug2.txt", &err);
    CHECK(p != NULL, "%s", err.msg);
    if (!p)
        return;
    CHECK_INTEQ(p->n_samples, 20);
    CHECK_STREQ(pw_s(p, p->sample_types[0].type), "goroutine");
    int consumers = 0, locked = 0, waits = 0;
    for (size_t i = 0; i < p->n_samples; i++) {
        const struct pw_sample *s = &p->samples[i];
        const struct pw_label *st = label(p, s, "state");
        CHECK(st != NULL, "every goroutine has a state");
        if (!strcmp(leaf(p, s), "main.consumer")) {
            consumers++;
            CHECK_STREQ(pw_s(p, st->str), "chan receive");
            const struct pw_label *c = label(p, s, "created_by");
            CHECK(c && !strcmp(pw_s(p, c->str), "main.main"), "created_by main.main");
            const struct pw_location *l = &p->locations[s->locs[0]];
            CHECK_INTEQ(l->lines[0].line, 44);
        }
        locked += label(p, s, "locked") != NULL;
        const struct pw_label *w = label(p, s, "wait");
        if (w) {
            waits++;
            CHECK(w->is_num && w->num == 1 && !strcmp(pw_s(p, w->unit), "minutes"),
                  "wait in minutes");
        }
    }
    CHECK_INTEQ(consumers, 12);
    CHECK_INTEQ(locked, 1);
    CHECK_INTEQ(waits, 19);
    pw_profile_free(p);

    /* GOTRACEBACK=system (go1.19.8): runtime goroutines, " fp= sp= pc=" after each file line. */
    p = pw_decode_file("testdata/gopages/pages/panic-system.txt", &err);
    CHECK(p != NULL, "panic-system: %s", err.msg);
    if (p) {
        CHECK_INTEQ(p->n_samples, 6);
        CHECK_STREQ(pw_s(p, label(p, &p->samples[1], "state")->str), "force gc (idle)");
        const struct pw_location *l = &p->locations[p->samples[0].locs[0]];
        CHECK_STREQ(pw_s(p, p->functions[l->lines[0].function].filename), "runtime/panic.go");
        CHECK_INTEQ(l->lines[0].line, 987);
        pw_profile_free(p);
    }

    p = pw_decode_file("testdata/gopages/pages/panic.txt", &err);
    CHECK(p != NULL, "panic: %s", err.msg);
    if (p) {
        CHECK_INTEQ(p->n_samples, 2);
        CHECK_STREQ(leaf(p, &p->samples[0]), "main.(*order).first");
        CHECK_INTEQ(p->samples[0].n_locs, 3);
        pw_profile_free(p);
    }
}

static void test_newer_headers(void)
{
    const char *d = "goroutine 1 gp=0xc000002380 m=0 mp=0x5a1b20 [running]:\n"
                    "main.main()\n\t/app/main.go:10 +0x1d\n\n"
                    "goroutine 7 gp=0xc000007c00 m=nil [chan receive, 940 minutes]:\n"
                    "labels: {\"worker\":\"a\\\"b\", \"shard\":\"0\"}\n"
                    "main.F[...](0xc000010000)\n\t/app/f.go:3 +0x25\n"
                    "...additional frames elided...\n"
                    "created by main.main in goroutine 1\n\t/app/main.go:9 +0x3d\n";
    struct pw_err err = {0};
    CHECK(pw_goroutines_detect(d, strlen(d)), "detected");
    struct pw_profile *p = pw_goroutines_parse(d, strlen(d), &err);
    CHECK(p != NULL, "%s", err.msg);
    if (!p)
        return;
    CHECK_INTEQ(p->n_samples, 2);
    const struct pw_sample *s = &p->samples[1];
    CHECK_STREQ(leaf(p, s), "main.F[...]");
    CHECK_STREQ(pw_s(p, label(p, s, "state")->str), "chan receive");
    CHECK_INTEQ(label(p, s, "wait")->num, 940);
    CHECK_STREQ(pw_s(p, label(p, s, "created_by")->str), "main.main");
    CHECK(label(p, s, "worker") && !strcmp(pw_s(p, label(p, s, "worker")->str), "a\"b"),
          "pprof labels unquoted");
    CHECK_STREQ(pw_s(p, label(p, s, "shard")->str), "0");
    pw_profile_free(p);
}

static const char *file_of(const struct pw_profile *p, const struct pw_sample *s, uint32_t k)
{
    const struct pw_location *l = &p->locations[s->locs[k]];
    return pw_s(p, p->functions[l->lines[0].function].filename);
}

static const char *str_label(const struct pw_profile *p, const struct pw_sample *s,
                             const char *key)
{
    const struct pw_label *l = label(p, s, key);
    return l && !l->is_num ? pw_s(p, l->str) : "(none)";
}

/* Headers and frames as runtime/traceback.go prints them from Go 1.19 to current Go (the forms
 * are listed in goroutines.c): goroutineheader writes "goroutine ", the id, with
 * GOTRACEBACK=system (or a crash) " gp=", " m=" and " mp=" (or " m=nil"), then " [", the status
 * or wait reason, " (scan)" while scanned, ", N minutes" past one minute, ", locked to thread",
 * ", synctest group N" in a bubble, "]:"; frames are the function with its arguments, then a tab,
 * file:line, " +0xOFF" and, at that level, " fp= sp= pc="; inlined frames have no offset; cgo
 * frames print "\tpc=0x..."; "created by F in goroutine N" since Go 1.21; tracebackancestors
 * prints "[originating from goroutine N]:" and the ancestor's frames. Labels printed with the
 * header are read after or inside the bracket. */
static void test_header_forms(void)
{
    const char *d =
        "goroutine 1 gp=0xc000002380 m=0 mp=0x5a1b20 [running]:\n"
        "main.main()\n"
        "\t/app/main.go:10 +0x1d fp=0xc00006af70 sp=0xc00006af50 pc=0x4a1c1d\n"
        "runtime.main()\n"
        "\t/usr/local/go/src/runtime/proc.go:283 +0x28b fp=0xc00006afe0 sp=0xc00006af70 "
        "pc=0x43b64b\n"
        "runtime.goexit({})\n"
        "\t/usr/local/go/src/runtime/asm_amd64.s:1700 +0x1 fp=0xc00006afe8 sp=0xc00006afe0 "
        "pc=0x470c41\n"
        "\n"
        "goroutine 18 gp=0xc000102540 m=nil [chan receive, 5 minutes, locked to thread]:\n"
        "runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)\n"
        "\t/usr/local/go/src/runtime/proc.go:435 +0xce fp=0xc00004e6f8 sp=0xc00004e6d8 "
        "pc=0x43ab2e\n"
        "main.pinned(0xc00001e0c0)\n"
        "\t/app/main.go:66 +0x3e fp=0xc00004e7c8 sp=0xc00004e798 pc=0x4a1e3e\n"
        "created by main.main in goroutine 1\n"
        "\t/app/main.go:150 +0x3b\n"
        "\n"
        "goroutine 21 [sync.Mutex.Lock]:\n"
        "internal/sync.runtime_SemacquireMutex(0xc000012345?, 0x0?, 0x0?)\n"
        "\t/usr/local/go/src/runtime/sema.go:95 +0x25\n"
        "sync.(*Mutex).Lock(...)\n"
        "\t/usr/local/go/src/sync/mutex.go:46\n"
        "main.(*inventory).add(0xc000010030, {0x4b0001, 0x6})\n"
        "\t/app/main.go:36 +0x45\n"
        "...additional frames elided...\n"
        "created by main.main in goroutine 1\n"
        "\t/app/main.go:160 +0x91\n"
        "\n"
        "goroutine 22 [select (scan), 3 minutes]:\n"
        "main.poller(0xc00001e060, 0xc00001e0c0)\n"
        "\t/app/main.go:52 +0x5d\n"
        "created by main.main\n"
        "\t/app/main.go:140 +0x8d\n"
        "[originating from goroutine 1]:\n"
        "main.main(...)\n"
        "\t/app/main.go:140 +0x8d\n"
        "\n"
        "goroutine 23 [select, synctest group 20] {\"worker\": \"poller\", \"note\": \"a]b, c\"}:\n"
        "main.poller(0xc00001e060, 0xc00001e0c0)\n"
        "\t/app/main.go:52 +0x5d\n"
        "\n"
        "goroutine 24 [IO wait, 12 minutes]:\n"
        "non-Go function\n"
        "\tpc=0x7f3a2b1c\n"
        "main.acceptor({0x4c1e40, 0xc00007e000})\n"
        "\tC:/app/main.go:60 +0x2a\n"
        "\n"
        "goroutine 25 [running, labels:{\"k\": \"v, w\", bare: x}]:\n"
        "\tgoroutine running on other thread; stack unavailable\n"
        "created by main.main in goroutine 1\n"
        "\t/app/main.go:170 +0x11\n";
    struct pw_err err = {0};
    struct pw_profile *p = pw_goroutines_parse(d, strlen(d), &err);
    CHECK(p != NULL, "%s", err.msg);
    if (!p)
        return;
    CHECK_INTEQ(p->n_samples, 7);
    if (p->n_samples != 7) {
        pw_profile_free(p);
        return;
    }
    const struct pw_sample *g = p->samples;
    /* gp=/m=/mp= and fp=/sp=/pc= are not part of the state or the file. */
    CHECK_STREQ(str_label(p, &g[0], "state"), "running");
    CHECK_INTEQ(g[0].n_locs, 3);
    CHECK_STREQ(leaf(p, &g[0]), "main.main");
    CHECK_STREQ(file_of(p, &g[0], 1), "/usr/local/go/src/runtime/proc.go");
    CHECK_INTEQ(p->locations[g[0].locs[1]].lines[0].line, 283);
    /* m=nil, status with wait and lock. */
    CHECK_STREQ(str_label(p, &g[1], "state"), "chan receive");
    CHECK(label(p, &g[1], "wait") && label(p, &g[1], "wait")->num == 5, "wait 5 minutes");
    CHECK_STREQ(str_label(p, &g[1], "locked"), "true");
    CHECK_STREQ(str_label(p, &g[1], "created_by"), "main.main");
    CHECK_INTEQ(g[1].n_locs, 2);
    /* A sync wait reason; an inlined frame without offset; elided frames. */
    CHECK_STREQ(str_label(p, &g[2], "state"), "sync.Mutex.Lock");
    CHECK_STREQ(leaf(p, &g[2]), "internal/sync.runtime_SemacquireMutex");
    CHECK_INTEQ(g[2].n_locs, 3);
    CHECK_INTEQ(p->locations[g[2].locs[1]].lines[0].line, 46);
    /* "(scan)" dropped; the ancestor's frames are not this goroutine's stack. */
    CHECK_STREQ(str_label(p, &g[3], "state"), "select");
    CHECK(label(p, &g[3], "wait") && label(p, &g[3], "wait")->num == 3, "wait 3 minutes");
    CHECK_INTEQ(g[3].n_locs, 1);
    /* A bubble, labels after the bracket (a ']' and a ',' inside a quoted value). */
    CHECK_STREQ(str_label(p, &g[4], "state"), "select");
    CHECK_STREQ(str_label(p, &g[4], "synctest"), "20");
    CHECK_STREQ(str_label(p, &g[4], "worker"), "poller");
    CHECK_STREQ(str_label(p, &g[4], "note"), "a]b, c");
    /* A cgo frame without file; a Windows path keeps its drive. */
    CHECK_STREQ(leaf(p, &g[5]), "non-Go function");
    CHECK_STREQ(file_of(p, &g[5], 0), "");
    CHECK_STREQ(file_of(p, &g[5], 1), "C:/app/main.go");
    CHECK_INTEQ(p->locations[g[5].locs[1]].lines[0].line, 60);
    /* Labels inside the bracket; a goroutine running elsewhere has no stack. */
    CHECK_STREQ(str_label(p, &g[6], "state"), "running");
    CHECK_STREQ(str_label(p, &g[6], "k"), "v, w");
    CHECK_STREQ(str_label(p, &g[6], "bare"), "x");
    CHECK_INTEQ(g[6].n_locs, 0);
    CHECK_STREQ(str_label(p, &g[6], "created_by"), "main.main");
    pw_profile_free(p);

    /* A crash: the lines it prints after a goroutine end it; "runtime stack:" and what follows
     * a blank line are not goroutines. */
    const char *crash = "panic: boom\n\n"
                        "goroutine 1 gp=0xc000002380 m=0 mp=0x5a1b20 [running]:\n"
                        "main.main()\n\t/app/main.go:10 +0x1d\n"
                        "fatal error: unexpected signal during runtime execution\n"
                        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x0]\n\n"
                        "runtime stack:\n"
                        "runtime.throw({0x4b1f1a?, 0x0?})\n"
                        "\t/usr/local/go/src/runtime/panic.go:1101 +0x48\n";
    p = pw_goroutines_parse(crash, strlen(crash), &err);
    CHECK(p != NULL, "crash: %s", err.msg);
    if (p) {
        CHECK_INTEQ(p->n_samples, 1);
        CHECK_INTEQ(p->samples[0].n_locs, 1);
        pw_profile_free(p);
    }
}

static void test_malformed(void)
{
    static const char *const bad[] = {
        "goroutine 1 [running]:\nmain.main()\nnot a file line\n",
        "goroutine 1 [running]:\nmain.main()\n\t/a.go:x +0x1\n",
        "goroutine 1 [running]:\nmain.main()\n",
        "goroutine 1 [running]:\ncreated by x\n\t/a.go:1\nmain.f()\n\t/a.go:2\n",
    };
    static const char *const want[] = {"line 3:", "line 3:", "line 2:", "line 4:"};
    for (int i = 0; i < 4; i++) {
        struct pw_err err = {0};
        struct pw_profile *p = pw_goroutines_parse(bad[i], strlen(bad[i]), &err);
        CHECK(p == NULL, "bad %d refused", i);
        CHECK(strncmp(err.msg, want[i], strlen(want[i])) == 0, "bad %d: %s", i, err.msg);
        pw_profile_free(p);
    }
    CHECK(!pw_goroutines_detect("hello\n", 6), "plain text is not a dump");
}

int main(void)
{
    test_real_dump();
    test_newer_headers();
    test_header_forms();
    test_malformed();
    return harness_done();
}
