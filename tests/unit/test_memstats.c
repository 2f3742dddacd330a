/* Unit tests for memstats: the runtime.MemStats block of a real ?debug=1 heap page read into
 * named fields, the derived figures and pause percentiles, and malformed lines named by number. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pprofweb/buf.h"
#include "pprofweb/decode.h"
#include "pprofweb/json.h"
#include "pprofweb/memstats.h"

static void test_real_page(void)
{
    unsigned char *d;
    size_t n;
    struct pw_err err = {0};
    if (pw_read_file("testdata/profiles/shop.heap-t1.debug1.txt", 1 << 24, &d, &n, &err)) {
        CHECK(0, "%s", err.msg);
        return;
    }
    const char *block = strstr((const char *)d, "# runtime.MemStats");
    CHECK(block != NULL, "block present");
    struct pw_memstats ms;
    CHECK(pw_memstats_parse(block, n - (size_t)(block - (const char *)d), &ms, &err) == 0, "%s",
          err.msg);
    /* The page's own lines: "# HeapAlloc = 12757384", "# Stack = 393216 / 393216", ... */
    const char *line = strstr(block, "# HeapAlloc = ");
    CHECK_INTEQ(ms.heap_alloc, strtoull(line + 14, NULL, 10));
    line = strstr(block, "# Stack = ");
    CHECK_INTEQ(ms.stack_inuse, strtoull(line + 10, NULL, 10));
    CHECK_INTEQ(ms.stack_sys, strtoull(strchr(line, '/') + 1, NULL, 10));
    line = strstr(block, "# NumGC = ");
    CHECK_INTEQ(ms.num_gc, strtoull(line + 10, NULL, 10));
    CHECK(ms.num_gc > 0 && ms.n_pause_ns == 256, "pauses read: %u", ms.n_pause_ns);
    CHECK(ms.gc_cpu_fraction > 0 && ms.gc_cpu_fraction < 1, "GCCPUFraction %g",
          ms.gc_cpu_fraction);
    CHECK(ms.max_rss > 0, "MaxRSS");
    CHECK_INTEQ(pw_memstats_heap_free(&ms), ms.heap_idle - ms.heap_released);
    CHECK_INTEQ(pw_memstats_process(&ms), ms.sys - ms.heap_released);
    struct pw_memstats_pauses ps;
    pw_memstats_pauses(&ms, &ps);
    CHECK_INTEQ(ps.count, ms.num_gc < 256 ? ms.num_gc : 256);
    CHECK_INTEQ(ps.last, ms.pause_ns[(ms.num_gc + 255) % 256]);
    CHECK(ps.p50 <= ps.p90 && ps.p90 <= ps.p99 && ps.p99 <= ps.max && ps.max > 0, "ordered");
    struct pw_buf out;
    pw_buf_init(&out, 1 << 20);
    struct pw_json j;
    pw_json_init(&j, &out);
    pw_memstats_json(&ms, &j);
    pw_buf_addf(&out, "%c", 0);
    CHECK(strstr(out.data, "\"name\":\"Held but free\"") != NULL, "derived in JSON");
    pw_buf_release(&out);
    free(d);
}

static void test_pauses(void)
{
    const char *b = "# runtime.MemStats\n# NumGC = 4\n# PauseNs = [40 10 30 20 0 0]\n";
    struct pw_memstats ms;
    struct pw_err err = {0};
    CHECK(pw_memstats_parse(b, strlen(b), &ms, &err) == 0, "%s", err.msg);
    struct pw_memstats_pauses ps;
    pw_memstats_pauses(&ms, &ps);
    CHECK_INTEQ(ps.count, 4);
    CHECK_INTEQ(ps.last, 20);
    CHECK_INTEQ(ps.p50, 20);
    CHECK_INTEQ(ps.max, 40);
}

static void test_malformed(void)
{
    static const char *const bad[] = {"# runtime.MemStats\n# Alloc = 12x\n",
                                      "# runtime.MemStats\n\n# Stack = 1 2\n",
                                      "# runtime.MemStats\n# PauseNs = [1 2\n",
                                      "# runtime.MemStats\n# DebugGC = maybe\n"};
    static const char *const want[] = {"memstats line 2: Alloc", "memstats line 3: Stack",
                                       "memstats line 2: PauseNs", "memstats line 2: DebugGC"};
    for (int i = 0; i < 4; i++) {
        struct pw_memstats ms;
        struct pw_err err = {0};
        CHECK(pw_memstats_parse(bad[i], strlen(bad[i]), &ms, &err) == -1, "bad %d refused", i);
        CHECK(strncmp(err.msg, want[i], strlen(want[i])) == 0, "bad %d: %s", i, err.msg);
    }
    const char *future = "# runtime.MemStats\n# SomeNewField = [x y]\n# Alloc = 5\n";
    struct pw_memstats ms;
    struct pw_err err = {0};
    CHECK(pw_memstats_parse(future, strlen(future), &ms, &err) == 0 && ms.alloc == 5,
          "unknown fields are skipped");
}

int main(void)
{
    test_real_page();
    test_pauses();
    test_malformed();
    return harness_done();
}
