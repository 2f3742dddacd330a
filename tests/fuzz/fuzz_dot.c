/* libFuzzer target: function and file names from the input (split at NUL bytes, at most 16)
 * become a profile of one call chain per name under main; its DOT graph and the SVG Graphviz
 * lays out from it are built without a crash, and the DOT text is accepted by the layout (names
 * are escaped, whatever bytes they hold). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/buf.h"
#include "pprofweb/config.h"
#include "pprofweb/layout.h"
#include "pprofweb/report.h"
#include "pprofweb/source.h"

static void varint(struct pw_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        pw_buf_addc(b, (char)(v | 0x80));
        v >>= 7;
    }
    pw_buf_addc(b, (char)v);
}

static void field_bytes(struct pw_buf *b, unsigned num, const void *p, size_t n)
{
    varint(b, (uint64_t)num << 3 | 2);
    varint(b, n);
    pw_buf_add(b, p, n);
}

static void field_varint(struct pw_buf *b, unsigned num, uint64_t v)
{
    varint(b, (uint64_t)num << 3);
    varint(b, v);
}

/* A message field built in tmp, then appended to b. */
static void field_msg(struct pw_buf *b, unsigned num, struct pw_buf *tmp)
{
    field_bytes(b, num, tmp->data, tmp->len);
    tmp->len = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    const char *names[17];
    size_t lens[17], n = 0;
    names[n] = "main";
    lens[n++] = 4;
    for (size_t at = 0; at <= size && n < 17;) {
        const uint8_t *z = memchr(data + at, 0, size - at);
        size_t end = z ? (size_t)(z - data) : size;
        names[n] = (const char *)data + at;
        lens[n++] = end - at;
        at = end + 1;
    }
    struct pw_buf p, m, m2;
    pw_buf_init(&p, 0);
    pw_buf_init(&m, 0);
    pw_buf_init(&m2, 0);
    /* strings: "", samples, count, cpu, nanoseconds, then the names */
    static const char *const fixed[] = {"", "samples", "count", "cpu", "nanoseconds"};
    field_varint(&m, 1, 1);
    field_varint(&m, 2, 2);
    field_msg(&p, 1, &m);
    field_varint(&m, 1, 3);
    field_varint(&m, 2, 4);
    field_msg(&p, 1, &m);
    for (size_t i = 1; i < n; i++) { /* sample: location i+1 called from location 1 (main) */
        varint(&m2, i + 1);
        varint(&m2, 1);
        field_msg(&m, 1, &m2);
        varint(&m2, i);
        varint(&m2, (uint64_t)i * 1000 + size);
        field_msg(&m, 2, &m2);
        field_msg(&p, 2, &m);
    }
    for (size_t i = 0; i < n; i++) {
        field_varint(&m, 1, i + 1); /* location */
        field_varint(&m, 3, 0x1000 + i);
        field_varint(&m2, 1, i + 1);
        field_varint(&m2, 2, 10 + i);
        field_msg(&m, 4, &m2);
        field_msg(&p, 4, &m);
        field_varint(&m, 1, i + 1); /* function: name and file name are the input's */
        field_varint(&m, 2, 5 + i);
        field_varint(&m, 3, 5 + i);
        field_varint(&m, 4, 5 + i);
        field_msg(&p, 5, &m);
    }
    for (size_t i = 0; i < 5; i++)
        field_bytes(&p, 6, fixed[i], strlen(fixed[i]));
    for (size_t i = 0; i < n; i++)
        field_bytes(&p, 6, names[i], lens[i]);
    struct pw_err err;
    struct pw_profile *prof =
        pw_source_prepare_bytes((const unsigned char *)p.data, p.len, &err);
    if (prof) {
        struct pw_config cfg;
        pw_config_default(&cfg);
        struct pw_buf dot, svg;
        pw_buf_init(&dot, 0);
        pw_buf_init(&svg, 0);
        if (pw_report_run(&dot, NULL, prof, "dot", NULL, &cfg, &err) == 0) {
            if (pw_layout_svg(dot.data, dot.len, &svg, &err) && err.code != PW_ETOOBIG) {
                fprintf(stderr, "layout refused the DOT of these names: %s\n", err.msg);
                abort();
            }
        }
        pw_buf_release(&dot);
        pw_buf_release(&svg);
        pw_profile_free(prof);
    }
    pw_buf_release(&p);
    pw_buf_release(&m);
    pw_buf_release(&m2);
    return 0;
}
