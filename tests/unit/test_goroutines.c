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
    CHECK(label(p, s, "worker") && !strcmp(pw_s(p, label(p, s, "worker")->str), "a\\\"b"),
          "pprof labels kept (escaped as printed)");
    CHECK_STREQ(pw_s(p, label(p, s, "shard")->str), "0");
    pw_profile_free(p);
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
    test_malformed();
    return harness_done();
}
