/* goroutines: Go goroutine dumps (/debug/pprof/goroutine?debug=2, SIGQUIT output, a panic's
 * traceback) decoded into a profile of goroutine counts: one sample of 1 per goroutine, its stack
 * (function, file, line per frame, leaf first) and labels: state ("chan receive"), wait (minutes,
 * numeric, where printed), created_by, locked ("locked to thread") and the goroutine's pprof
 * labels where the dump prints them; a crash's "panic: ..." / "fatal error: ..." lines are its
 * comments. The returned profile is owned by the caller. */
#ifndef PPROFWEB_GOROUTINES_H
#define PPROFWEB_GOROUTINES_H

#include <stdbool.h>
#include <stddef.h>

#include "pprofweb/err.h"
#include "pprofweb/profile.h"

/* True when data reads as a goroutine dump: a "goroutine N [...]:" header line among the first
 * lines (after a panic message, say). */
bool pw_goroutines_detect(const char *data, size_t len);

/* Decodes a dump. NULL with err filled: PW_ETOOBIG past PW_MAX_GOROUTINE_DUMP bytes or
 * PW_MAX_GOROUTINES goroutines; PW_ECORRUPT naming the line for a malformed header or frame. */
struct pw_profile *pw_goroutines_parse(const char *data, size_t len, struct pw_err *err);

#endif
