/* Unit tests for parallel.c: how many parts a loop is split into, and that each part runs once,
 * the second on a thread of its own. */
#include <pthread.h>
#include <stdbool.h>

#include "harness.h"
#include "pprofweb/parallel.h"

struct part {
    int runs;
    pthread_t thread;
};

static void *run(void *arg)
{
    struct part *p = arg;
    p->runs++;
    p->thread = pthread_self();
    return NULL;
}

int main(void)
{
    CHECK_INTEQ(pw_parallel_parts(0), 1);
    CHECK_INTEQ(pw_parallel_parts(PW_PARALLEL_MIN_SAMPLES - 1), 1);
    CHECK_INTEQ(pw_parallel_parts(PW_PARALLEL_MIN_SAMPLES), PW_PARALLEL_MAX_PARTS);

    struct part parts[PW_PARALLEL_MAX_PARTS] = {{0}};
    pw_parallel_run(run, parts, sizeof *parts, PW_PARALLEL_MAX_PARTS);
    for (int i = 0; i < PW_PARALLEL_MAX_PARTS; i++)
        CHECK_INTEQ(parts[i].runs, 1);
    CHECK(pthread_equal(parts[0].thread, pthread_self()), "the first part runs on the caller");
    CHECK(!pthread_equal(parts[1].thread, pthread_self()), "the second part has its own thread");

    struct part one = {0};
    pw_parallel_run(run, &one, sizeof one, 1);
    CHECK_INTEQ(one.runs, 1);
    CHECK(pthread_equal(one.thread, pthread_self()), "a single part runs on the caller");
    return harness_done();
}
