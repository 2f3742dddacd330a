/* gctrace_view: /api/gctrace, the GC cycles of a gctrace log (a profile decode made from one
 * keeps the log's text): one entry per "gc N @..." line, plus the counts of other and of
 * unreadable lines. Parsing is redone per request into scratch memory freed here; the log is
 * bounded by the input limits and its cycles by PW_MAX_GCTRACE_CYCLES. */
#include <string.h>

#include "pprofweb/gctrace.h"
#include "pprofweb/json.h"
#include "pprofweb/views.h"

int pw_view_gctrace(const struct pw_view_args *a, struct pw_buf *out, struct pw_err *err)
{
    if (!a->p->gctrace)
        return pw_fail(err, PW_ENOTFOUND, "not a gctrace log");
    struct pw_gctrace t;
    if (pw_gctrace_parse(a->p->gctrace, strlen(a->p->gctrace), &t, err))
        return -1;
    struct pw_json j;
    pw_json_init(&j, out);
    pw_json_obj_begin(&j);
    pw_view_json_common(&j, a, "gctrace");
    pw_json_key(&j, "log");
    pw_gctrace_json(&t, &j);
    pw_json_obj_end(&j);
    pw_gctrace_release(&t);
    return 0;
}
