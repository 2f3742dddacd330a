/* Unit tests for dynlib.c: a library is loaded once and its table filled; a missing library or
 * function is an error naming it, every time it is asked for, and leaves the table untouched. */
#include <string.h>

#include "harness.h"
#include "pprofweb/dynlib.h"

static struct {
    double (*cos)(double);
    double (*sqrt)(double);
} m;
static const struct pw_dynsym m_syms[] = {{"cos", &m.cos}, {"sqrt", &m.sqrt}};

static double (*missing_fn)(double);
static const struct pw_dynsym missing_syms[] = {{"cos", &missing_fn},
                                                {"pprofweb_no_such_function", &missing_fn}};

int main(void)
{
    struct pw_err err = {0};
    struct pw_dynlib libm = PW_DYNLIB_INIT("libm.so.6", m_syms);
    CHECK_INTEQ(pw_dynlib_open(&libm, &err), 0);
    CHECK(m.cos && m.cos(0.0) == 1.0 && m.sqrt(16.0) == 4.0, "libm's functions not filled in");
    CHECK_INTEQ(pw_dynlib_open(&libm, &err), 0); /* again: already loaded */

    struct pw_dynlib absent = PW_DYNLIB_INIT("libpprofweb-absent.so.9", m_syms);
    for (int i = 0; i < 2; i++) {
        err = (struct pw_err){0};
        CHECK_INTEQ(pw_dynlib_open(&absent, &err), -1);
        CHECK(err.code == PW_EIO && strstr(err.msg, "loading libpprofweb-absent.so.9: "),
              "missing library, call %d: %s", i, err.msg);
    }

    struct pw_dynlib partial = PW_DYNLIB_INIT("libm.so.6", missing_syms);
    err = (struct pw_err){0};
    CHECK_INTEQ(pw_dynlib_open(&partial, &err), -1);
    CHECK(strstr(err.msg, "no pprofweb_no_such_function") != NULL, "missing function: %s",
          err.msg);
    CHECK(missing_fn == NULL, "a failed load filled part of the table");
    return harness_done();
}
