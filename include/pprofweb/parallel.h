/* parallel: splitting a loop over a profile's samples between the machine's two threads. */
#ifndef PPROFWEB_PARALLEL_H
#define PPROFWEB_PARALLEL_H

#include <stddef.h>

/* Below this many samples one thread does the work: a thread costs more than it saves. */
#define PW_PARALLEL_MIN_SAMPLES 20000

/* At most this many parts: the machines pprofweb is sized for have two cores. */
#define PW_PARALLEL_MAX_PARTS 2

/* How many parts a loop over n samples is split into: 1 or PW_PARALLEL_MAX_PARTS. */
size_t pw_parallel_parts(size_t n);

/* Runs fn on each of the n parts (elements of size bytes from parts): the first on the calling
 * thread, the others on threads of their own, or on the calling thread when one cannot start.
 * Returns when all are done. */
void pw_parallel_run(void *(*fn)(void *), void *parts, size_t size, size_t n);

#endif
