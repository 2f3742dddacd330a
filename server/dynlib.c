/* dynlib: dlopen and dlsym behind a once-per-library lock (dynlib.h). A library that cannot be
 * loaded, or lacks a function, is an error the caller reports like any other (the module that
 * needed it fails its request); the process keeps running. */
#include "pprofweb/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int pw_dynlib_open(struct pw_dynlib *lib, struct pw_err *err)
{
    pthread_mutex_lock(&lib->mu);
    if (!lib->loaded && !lib->error[0]) {
        void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
        void *addr[64];
        size_t i = 0;
        if (!h) {
            snprintf(lib->error, sizeof(lib->error), "%s", dlerror());
        } else if (lib->n_syms > sizeof(addr) / sizeof(*addr)) {
            snprintf(lib->error, sizeof(lib->error), "%s: too many functions", lib->soname);
        } else {
            for (; i < lib->n_syms && (addr[i] = dlsym(h, lib->syms[i].name)); i++)
                ;
            if (i < lib->n_syms)
                snprintf(lib->error, sizeof(lib->error), "%s: no %s", lib->soname,
                         lib->syms[i].name);
        }
        if (lib->error[0]) {
            if (h)
                dlclose(h);
        } else {
            /* POSIX makes a function's address from dlsym a valid function pointer. */
            for (i = 0; i < lib->n_syms; i++)
                memcpy(lib->syms[i].slot, &addr[i], sizeof(addr[i]));
            lib->loaded = true;
        }
    }
    int rc = lib->loaded ? 0 : pw_fail(err, PW_EIO, "loading %s: %s", lib->soname, lib->error);
    pthread_mutex_unlock(&lib->mu);
    return rc;
}
