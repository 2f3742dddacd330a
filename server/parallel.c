/* parallel: runs the parts of a split loop on threads; see parallel.h. */
#include "pprofweb/parallel.h"

#include <pthread.h>
#include <stdbool.h>

size_t pw_parallel_parts(size_t n)
{
    return n >= PW_PARALLEL_MIN_SAMPLES ? PW_PARALLEL_MAX_PARTS : 1;
}

void pw_parallel_run(void *(*fn)(void *), void *parts, size_t size, size_t n)
{
    pthread_t threads[PW_PARALLEL_MAX_PARTS];
    bool started[PW_PARALLEL_MAX_PARTS] = {false};
    char *at = parts;
    for (size_t i = 1; i < n && i < PW_PARALLEL_MAX_PARTS; i++)
        started[i] = pthread_create(&threads[i], NULL, fn, at + i * size) == 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || i >= PW_PARALLEL_MAX_PARTS || !started[i])
            fn(at + i * size);
    for (size_t i = 1; i < n && i < PW_PARALLEL_MAX_PARTS; i++)
        if (started[i])
            pthread_join(threads[i], NULL);
}
