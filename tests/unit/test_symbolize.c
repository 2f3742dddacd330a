/* Unit tests for symbolize: names come out as pprof's default demangling shows them. */
#include "harness.h"
#include "pprofweb/profile.h"
#include "pprofweb/symbolize.h"

static const char *demangled(const char *mode, const char *name, const char *system_name)
{
    static char out[512];
    struct pw_profile *p = pw_profile_new();
    struct pw_function *f = pw_add_function(p);
    f->id = 1;
    f->name = pw_intern_cstr(p, name);
    f->system_name = pw_intern_cstr(p, system_name);
    struct pw_err err;
    if (pw_symbolize(p, mode, &err))
        snprintf(out, sizeof(out), "error: %s", err.msg);
    else
        snprintf(out, sizeof(out), "%s", pw_s(p, p->functions[0].name));
    pw_profile_free(p);
    return out;
}

int main(void)
{
    /* Mangled C++: parameters and template arguments dropped by default, kept in full mode. */
    CHECK_STREQ(demangled("", "_ZNSt6vectorIiSaIiEE9push_backERKi",
                          "_ZNSt6vectorIiSaIiEE9push_backERKi"),
                "std::vector::push_back");
    CHECK_STREQ(demangled("demangle=full", "_ZN3foo3barEi", "_ZN3foo3barEi"), "foo::bar(int)");
    CHECK_STREQ(demangled("none", "_ZN3foo3barEv", "_ZN3foo3barEv"), "_ZN3foo3barEv");
    /* Rust legacy mangling loses its hash. */
    CHECK_STREQ(demangled("", "_ZN4core3ptr13drop_in_place17h1234567890abcdefE",
                          "_ZN4core3ptr13drop_in_place17h1234567890abcdefE"),
                "core::ptr::drop_in_place");
    /* Already demangled C++/Rust: pprof's heuristics. */
    CHECK_STREQ(demangled("remote", "<a::B as c::D>::poll", "<a::B as c::D>::poll"), "::poll");
    CHECK_STREQ(demangled("", "ns::f(int, char)", "ns::f(int, char)"), "ns::f");
    /* Go and Java names are left alone. */
    CHECK_STREQ(demangled("", "main.(*T[...]).M", "main.(*T[...]).M"), "main.(*T[...]).M");
    CHECK_STREQ(demangled("", "java.lang.Thread.<init>", "java.lang.Thread.<init>"),
                "java.lang.Thread.<init>");
    /* A name that differs from its system name was demangled by the producer: kept. */
    CHECK_STREQ(demangled("", "pretty", "_ZN3foo3barEv"), "pretty");
    CHECK(demangled("bogus", "f", "f")[0] == 'e', "unknown mode accepted");
    return harness_done();
}
