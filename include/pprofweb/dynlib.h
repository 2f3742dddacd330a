/* dynlib: libraries loaded when first used rather than at start. A command-line report needs
 * neither the HTTP server, the fetcher, the database client nor the hash, and most draw no
 * graph; linked, libmicrohttpd, libcurl, libpq and libcrypto and what they bring (TLS, Kerberos,
 * LDAP: some thirty libraries) took 10 ms of every start, Graphviz's six 1.2 ms more. Each
 * module that wraps one (http, fetch, store_pg, sha256, layout) keeps its table of functions and
 * asks for it here before a call; the library stays loaded for the life of the process. The
 * table is the module's; this module only fills it. */
#ifndef PPROFWEB_DYNLIB_H
#define PPROFWEB_DYNLIB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "pprofweb/err.h"

/* One function of a library: its name and where its address goes (a function pointer of the
 * module's table, given as the address of that pointer). */
struct pw_dynsym {
    const char *name;
    void *slot;
};

struct pw_dynlib {
    const char *soname; /* "libcurl.so.4": the build's (sonames.h, made by the Makefile) */
    const struct pw_dynsym *syms;
    size_t n_syms;
    pthread_mutex_t mu;
    bool loaded;
    char error[200]; /* the first failure, repeated to every later caller */
};

#define PW_DYNLIB_INIT(soname, syms)                                                              \
    {(soname), (syms), sizeof(syms) / sizeof(*(syms)), PTHREAD_MUTEX_INITIALIZER, false, ""}

/* Loads lib and fills its table, once; thread-safe. Returns 0, or -1 with err (PW_EIO) naming
 * the library and what the loader said: the table is then left untouched and nothing of it may
 * be called. */
int pw_dynlib_open(struct pw_dynlib *lib, struct pw_err *err);

#endif
