/* store: profiles kept on disk so links outlive the server. Content-addressed (the same bytes get
 * the same id), written atomically (temporary file, fsync, rename), loaded lazily into a bounded
 * in-memory cache. A struct pw_store is shared by all request threads (it locks internally).
 * Ownership: the store owns its cached profiles; a caller borrows one between pw_store_acquire()
 * and pw_store_release(), during which it is never freed. Listings are owned by the caller
 * (pw_store_list_free). */
#ifndef PPROFWEB_STORE_H
#define PPROFWEB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "pprofweb/err.h"
#include "pprofweb/profile.h"

/* Length of a store id: hex of the first 12 bytes of the SHA-256 of the stored bytes. */
#define PW_STORE_ID_LEN 24
/* Profiles kept decoded in memory at once; older ones are dropped when not in use. */
#define PW_STORE_CACHE_PROFILES 16

struct pw_store;

/* What the store knows of one profile without decoding it (its .meta file). */
struct pw_store_entry {
    char id[PW_STORE_ID_LEN + 1];
    char name[256];      /* file name or URL it came from, sanitized to printable text */
    char type[128];      /* sample types, e.g. "alloc_objects,alloc_space,inuse_objects,inuse_space" */
    int64_t time_nanos;  /* the profile's own time (0: none) */
    int64_t stored_at;   /* seconds since the epoch */
    uint64_t size;       /* bytes as stored */
};

/* Opens (creating it 0700 if missing) the store directory. dir NULL picks the default:
 * $PPROFWEB_STORE, else $XDG_DATA_HOME/pprofweb/profiles, else ~/.local/share/pprofweb/profiles. */
struct pw_store *pw_store_open(const char *dir, struct pw_err *err);
void pw_store_free(struct pw_store *s);
/* Sets the -symbolize mode stored profiles are prepared with (copied; NULL: pprof's default).
 * Call before the store is shared. */
void pw_store_set_symbolize(struct pw_store *s, const char *mode);
const char *pw_store_symbolize(const struct pw_store *s);
const char *pw_store_dir(const struct pw_store *s);

/* Validates data as a profile (fully decoded first: PW_ECORRUPT/PW_ETOOBIG with the decoder's
 * message, nothing written) and stores it under its content id, written to id_out
 * (PW_STORE_ID_LEN + 1 bytes). Storing the same bytes again is not an error. name is recorded
 * for listings. The decoded profile is kept in the cache. */
int pw_store_put(struct pw_store *s, const unsigned char *data, size_t len, const char *name,
                 char *id_out, struct pw_err *err);

/* Stores data that the caller has already decoded into p (the same checks as pw_store_put; p
 * gives the listing's type and time and stays the caller's). For profiles loaded at start. */
int pw_store_put_valid(struct pw_store *s, const unsigned char *data, size_t len,
                       const char *name, const struct pw_profile *p, char *id_out,
                       struct pw_err *err);

/* Borrows the decoded profile of id (loading it on first use). PW_ENOTFOUND for a malformed or
 * unknown id. Every successful acquire needs one pw_store_release. */
const struct pw_profile *pw_store_acquire(struct pw_store *s, const char *id, struct pw_err *err);
void pw_store_release(struct pw_store *s, const struct pw_profile *p);

/* Reads the stored bytes of id (malloc'd, caller frees). */
int pw_store_read(struct pw_store *s, const char *id, unsigned char **data, size_t *len,
                  struct pw_err *err);
/* Looks up id's metadata. */
int pw_store_stat(struct pw_store *s, const char *id, struct pw_store_entry *out,
                  struct pw_err *err);

/* Every stored profile, newest first. */
struct pw_store_entry *pw_store_list(struct pw_store *s, size_t *n, struct pw_err *err);
void pw_store_list_free(struct pw_store_entry *entries);

/* True when id has the form of a store id (24 lowercase hex digits). */
bool pw_store_id_valid(const char *id);

/* SHA-256 of data (sha256.c). */
void pw_sha256(const void *data, size_t len, unsigned char out[32]);

#endif
