/* gonames: function, file and line of each address, read from the "#\t0xADDR\tfunc+0xOFF\t
 * file:line" comment lines Go writes under each stack of its ?debug=1 pages (heap, allocs,
 * goroutine, mutex, block), and given to locations that have no names. pprof skips those lines;
 * they are applied only when -symbolize is not "none", so that mode stays pprof's output. The
 * frames live in the profile's arena (strings interned); nothing here is owned by the caller. */
#ifndef PPROFWEB_GONAMES_H
#define PPROFWEB_GONAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "pprofweb/err.h"
#include "pprofweb/profile.h"

/* One frame of a comment line; frames of one address come innermost first (inlining). */
struct pw_comment_frame {
    uint64_t addr;
    pw_str function, file;
    int64_t line;
};

/* Reads the comment frames of text (a Go ?debug=1 page) into p->comment_frames. Lines that are
 * not frame lines are skipped; a frame line that is malformed (address past 64 bits, a line
 * number that is not one) fails with its line number. PW_ETOOBIG past PW_MAX_TABLE_ENTRIES. */
int pw_gonames_read(struct pw_profile *p, const char *text, size_t len, struct pw_err *err);

/* Gives every location without lines the frames of its address, when the comments have them,
 * and sets p->names_from_comments when any did. Returns how many locations got names. */
size_t pw_gonames_apply(struct pw_profile *p);

/* The function given to the leading runtime frames Go leaves out of its comments. */
#define PW_GONAMES_HIDDEN "runtime.(hidden)"

/* The legend line of a profile named so: "Names: from the profile's comments". */
#define PW_GONAMES_LEGEND "Names: from the profile's comments"

#endif
