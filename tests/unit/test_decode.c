/* Unit tests for decode: every corpus profile.proto decodes to the profile pprof sees (its -raw
 * dump matches Go 1.19 pprof's), and malformed inputs are rejected with a message, not a crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "harness.h"
#include "pprofweb/buf.h"
#include "pprofweb/decode.h"
#include "pprofweb/decode_internal.h"
#include "pprofweb/limits.h"
#include "pprofweb/profile.h"

#define CORPUS "../shared/corpus/"

static char *read_text(const char *path)
{
    unsigned char *d;
    size_t n;
    struct pw_err err;
    if (pw_read_file(path, 1 << 30, &d, &n, &err))
        return NULL;
    d = realloc(d, n + 1);
    d[n] = 0;
    return (char *)d;
}

static void check_raw(const char *profile)
{
    char path[512], want_path[512];
    snprintf(path, sizeof(path), CORPUS "%s", profile);
    snprintf(want_path, sizeof(want_path), CORPUS "expected/%s/raw.txt", profile);
    char *want = read_text(want_path);
    if (!want) {
        CHECK(0, "%s: no expected raw.txt", profile);
        return;
    }
    struct pw_err err = {0};
    struct pw_profile *p = pw_decode_file(path, &err);
    CHECK(p != NULL, "%s: %s", profile, err.msg);
    if (!p) {
        free(want);
        return;
    }
    /* pprof gives a profile without mappings a fake one, and merges every source, even a single
     * one, before reporting. */
    pw_profile_ensure_mapping(p);
    struct pw_profile *merged = pw_profile_compact(p);
    pw_profile_free(p);
    p = merged;
    struct pw_buf out;
    pw_buf_init(&out, 0);
    pw_profile_format_raw(p, &out);
    const char *got = pw_buf_str(&out);
    size_t i = 0;
    while (got[i] && got[i] == want[i])
        i++;
    CHECK(strcmp(got, want) == 0, "%s: -raw differs at byte %zu: got \"%.60s\" want \"%.60s\"",
          profile, i, got + i, want + i);
    pw_buf_release(&out);
    pw_profile_free(p);
    free(want);
}

static void check_rejected(const char *what, const unsigned char *data, size_t len,
                           const char *want_msg)
{
    struct pw_err err = {0};
    struct pw_profile *p = pw_decode(data, len, &err);
    CHECK(p == NULL, "%s: accepted", what);
    CHECK(strstr(err.msg, want_msg) != NULL, "%s: message \"%s\" lacks \"%s\"", what, err.msg,
          want_msg);
    pw_profile_free(p);
}

/* A profile.proto of n samples of value 1 at location 1, except that the samples at the
 * indexes in bad_loc name location 7 (which does not exist) and the one at bad_wire has a
 * location list longer than the sample: enough samples for the two-thread sample decoding. */
static unsigned char *many_samples(size_t n, const size_t *bad_loc, size_t n_bad, size_t bad_wire,
                                   size_t *len)
{
    unsigned char *d = malloc(n * 7 + 16), *w = d;
    *w++ = 0x0a; /* sample_type {} */
    *w++ = 0x00;
    for (size_t i = 0; i < n; i++) {
        uint8_t loc = 1;
        for (size_t k = 0; k < n_bad; k++)
            if (bad_loc[k] == i)
                loc = 7;
        const uint8_t sample[] = {0x12, 0x05, 0x0a, i == bad_wire ? 0x05 : 0x01, loc, 0x10, 0x01};
        memcpy(w, sample, sizeof sample);
        w += sizeof sample;
    }
    const uint8_t rest[] = {0x22, 0x02, 0x08, 0x01, /* location {id: 1} */ 0x32, 0x00};
    memcpy(w, rest, sizeof rest);
    w += sizeof rest;
    *len = (size_t)(w - d);
    return d;
}

static void check_many_samples(void)
{
    size_t len, n = 30000;
    unsigned char *d = many_samples(n, NULL, 0, SIZE_MAX, &len);
    struct pw_err err = {0};
    struct pw_profile *p = pw_decode(d, len, &err);
    CHECK(p != NULL, "many samples: %s", err.msg);
    if (p) {
        CHECK_INTEQ(p->n_samples, n);
        size_t wrong = 0;
        for (size_t i = 0; i < p->n_samples; i++)
            wrong += p->samples[i].n_locs != 1 || p->samples[i].locs[0] != 0 ||
                     p->samples[i].values[0] != 1;
        CHECK_INTEQ(wrong, 0);
    }
    pw_profile_free(p);
    free(d);
    /* The first bad sample in file order is the one named, in either half. */
    d = many_samples(n, (size_t[]){25000}, 1, SIZE_MAX, &len);
    check_rejected("bad sample in the second half", d, len,
                   "sample 25000: location id 7 not in profile");
    free(d);
    d = many_samples(n, (size_t[]){100, 25000}, 2, SIZE_MAX, &len);
    check_rejected("bad samples in both halves", d, len, "sample 100: location id 7");
    free(d);
    /* A sample protobuf-c rejects makes the bytes no profile.proto, whatever comes first. */
    d = many_samples(n, (size_t[]){100}, 1, 25000, &len);
    check_rejected("wire error after a bad sample", d, len, "not profile.proto: sample 25000");
    free(d);
}


/* --- large gzip inputs, inflated while their samples are unpacked --- */

static void pb_varint(struct pw_buf *b, uint64_t v)
{
    do {
        unsigned char c = (unsigned char)(v & 0x7f);
        v >>= 7;
        pw_buf_addc(b, (char)(c | (v ? 0x80 : 0)));
    } while (v);
}

static void pb_field(struct pw_buf *b, unsigned field, uint64_t v)
{
    pb_varint(b, (uint64_t)field << 3);
    pb_varint(b, v);
}

static void pb_bytes(struct pw_buf *b, unsigned field, const struct pw_buf *m)
{
    pb_varint(b, (uint64_t)field << 3 | 2);
    pb_varint(b, m->len);
    pw_buf_add(b, m->data, m->len);
}

/* What one of the large test profiles gets wrong, at sample index at. */
enum flaw { FLAW_NONE, FLAW_LOCATION, FLAW_LABEL, FLAW_VALUES, FLAW_WIRE, FLAW_HUGE_ID };

/* A profile.proto in Go's field order (samples first, strings last) of n samples with random
 * values, which compress badly, stacks of up to 12 of 600 locations, some inlined, and string
 * and numeric labels on some samples. */
static void large_profile(struct pw_buf *out, size_t n, enum flaw flaw, size_t at)
{
    enum { N_FUNCS = 150, N_LOCS = 600 };
    /* Strings: "", samples, count, bytes, key, val, file.go, then the function names. */
    const unsigned S_SAMPLES = 1, S_COUNT = 2, S_BYTES = 3, S_KEY = 4, S_VAL = 5, S_FILE = 6,
                   S_FN = 7;
    uint64_t loc_base = flaw == FLAW_HUGE_ID ? (uint64_t)1 << 40 : 0;
    uint64_t x = 88172645463325252ull;
    struct pw_buf m, sub;
    pw_buf_init(&m, 0);
    pw_buf_init(&sub, 0);
    pb_field(&m, 1, S_SAMPLES);
    pb_field(&m, 2, S_COUNT);
    pb_bytes(out, 1, &m);
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        pw_buf_reset(&m);
        pw_buf_reset(&sub);
        size_t depth = 1 + x % 12;
        for (size_t d = 0; d < depth; d++)
            pb_varint(&sub, loc_base + 1 + (x >> (d * 5)) % N_LOCS);
        if (flaw == FLAW_LOCATION && i == at)
            pb_varint(&sub, N_LOCS + 7);
        pb_bytes(&m, 1, &sub);
        pw_buf_reset(&sub);
        pb_varint(&sub, x >> 2);
        if (flaw == FLAW_VALUES && i == at)
            pb_varint(&sub, 1);
        pb_bytes(&m, 2, &sub);
        if (x % 3 == 0 || (flaw == FLAW_LABEL && i == at)) {
            pw_buf_reset(&sub);
            pb_field(&sub, 1, S_KEY);
            pb_field(&sub, 2, flaw == FLAW_LABEL && i == at ? 999999 : S_VAL);
            pb_bytes(&m, 3, &sub);
            pw_buf_reset(&sub);
            pb_field(&sub, 1, S_BYTES);
            pb_field(&sub, 3, x % 4096);
            pb_bytes(&m, 3, &sub);
        }
        if (flaw == FLAW_WIRE && i == at)
            pw_buf_adds(&m, "\x0a\x09"); /* a field longer than the sample */
        pb_bytes(out, 2, &m);
    }
    pw_buf_reset(&m);
    pb_field(&m, 1, 1);
    pb_field(&m, 3, 1 << 20);
    pb_bytes(out, 3, &m);
    for (unsigned l = 1; l <= N_LOCS; l++) {
        pw_buf_reset(&m);
        pb_field(&m, 1, loc_base + l);
        pb_field(&m, 2, 1);
        pb_field(&m, 3, 0x1000 + l * 16);
        for (unsigned k = 0; k < 1 + (l % 5 == 0); k++) {
            pw_buf_reset(&sub);
            pb_field(&sub, 1, 1 + (l + k * 7) % N_FUNCS);
            pb_field(&sub, 2, l % 97 + 1);
            pb_bytes(&m, 4, &sub);
        }
        pb_bytes(out, 4, &m);
    }
    for (unsigned f = 1; f <= N_FUNCS; f++) {
        pw_buf_reset(&m);
        pb_field(&m, 1, f);
        pb_field(&m, 2, S_FN + f - 1);
        pb_field(&m, 4, S_FILE);
        pb_bytes(out, 5, &m);
    }
    static const char *const fixed[] = {"", "samples", "count", "bytes", "key", "val", "file.go"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        pw_buf_reset(&m);
        pw_buf_adds(&m, fixed[i]);
        pb_bytes(out, 6, &m);
    }
    for (unsigned f = 1; f <= N_FUNCS; f++) {
        pw_buf_reset(&m);
        pw_buf_addf(&m, "main.fn%u", f);
        pb_bytes(out, 6, &m);
    }
    pw_buf_release(&m);
    pw_buf_release(&sub);
}

/* Appends data gzipped, as one member. */
static void gzip_member(struct pw_buf *out, const unsigned char *data, size_t len)
{
    uLongf cap = compressBound(len) + 64;
    unsigned char *comp = malloc(cap);
    z_stream zs = {0};
    deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = (unsigned char *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = comp;
    zs.avail_out = (uInt)cap;
    deflate(&zs, Z_FINISH);
    pw_buf_add(out, comp, zs.total_out);
    deflateEnd(&zs);
    free(comp);
}

/* Gunzips data with pw_gunzip: the text inflated, or "error: MESSAGE". */
static char *gunzipped(const unsigned char *data, size_t len, size_t max)
{
    struct pw_err err = {0};
    unsigned char *out;
    size_t out_len;
    struct pw_buf b;
    pw_buf_init(&b, 0);
    if (pw_gunzip(data, len, max, &out, &out_len, &err) == 0) {
        pw_buf_add(&b, out, out_len);
        free(out);
    } else {
        pw_buf_addf(&b, "error: %s", err.msg);
    }
    char *s = strdup(pw_buf_str(&b));
    pw_buf_release(&b);
    return s;
}

/* An ordinary gzip input is inflated at once into a buffer of the size its trailer gives; every
 * other is inflated as a stream, with the messages it always had. */
static void check_gzip_trailers(void)
{
    static const char text[] = "the quick brown fox jumps over the lazy dog, again and again";
    const unsigned char *t = (const unsigned char *)text;
    size_t n = sizeof text - 1;
    struct pw_buf gz;
    pw_buf_init(&gz, 0);
    gzip_member(&gz, t, n);
    unsigned char *g = (unsigned char *)gz.data;
    size_t len = gz.len;
    char *s = gunzipped(g, len, 1 << 20);
    CHECK_STREQ(s, text);
    free(s);
    /* Output capped just below the size: the stream stops at the cap. */
    s = gunzipped(g, len, n - 1);
    CHECK_STREQ(s, "error: decompressing profile: more than 0 MB uncompressed (limit)");
    free(s);
    /* A trailer whose size is wrong, or whose CRC is. */
    g[len - 4] ^= 1;
    s = gunzipped(g, len, 1 << 20);
    CHECK_STREQ(s, "error: decompressing profile: incorrect length check");
    free(s);
    g[len - 4] ^= 1;
    g[len - 8] ^= 1;
    s = gunzipped(g, len, 1 << 20);
    CHECK_STREQ(s, "error: decompressing profile: incorrect data check");
    free(s);
    g[len - 8] ^= 1;
    /* Two members: the trailer gives only the second's size. */
    gzip_member(&gz, t, 9);
    s = gunzipped((const unsigned char *)gz.data, gz.len, 1 << 20);
    CHECK(strlen(s) == n + 9 && strncmp(s, text, n) == 0 && strncmp(s + n, text, 9) == 0,
          "two members: %s", s);
    free(s);
    /* Bytes after the member that are not another one are ignored, as Go's reader does. */
    pw_buf_reset(&gz);
    gzip_member(&gz, t, n);
    pw_buf_adds(&gz, "trailing");
    s = gunzipped((const unsigned char *)gz.data, gz.len, 1 << 20);
    CHECK_STREQ(s, text);
    free(s);
    pw_buf_release(&gz);
}

/* pprof's -raw dump of data decoded, or the error. */
static char *decoded(const unsigned char *data, size_t len)
{
    struct pw_err err = {0};
    struct pw_profile *p = pw_decode(data, len, &err);
    struct pw_buf out;
    pw_buf_init(&out, 0);
    if (p)
        pw_profile_format_raw(p, &out);
    else
        pw_buf_addf(&out, "error: %s", err.msg);
    pw_profile_free(p);
    char *s = strdup(pw_buf_str(&out));
    pw_buf_release(&out);
    return s;
}

/* A profile of one sample whose body is given (its fields already encoded), one location per
 * id 1..3, and strings "", "samples", "count", "k", "v". */
static void one_sample_profile(struct pw_buf *out, const struct pw_buf *sample)
{
    struct pw_buf m;
    pw_buf_init(&m, 0);
    pb_field(&m, 1, 1);
    pb_field(&m, 2, 2);
    pb_bytes(out, 1, &m);
    pb_bytes(out, 2, sample);
    for (unsigned l = 1; l <= 3; l++) {
        pw_buf_reset(&m);
        pb_field(&m, 1, l);
        pb_field(&m, 3, 0x1000 * l);
        pb_bytes(out, 4, &m);
    }
    static const char *const strs[] = {"", "samples", "count", "k", "v"};
    for (size_t i = 0; i < 5; i++) {
        pw_buf_reset(&m);
        pw_buf_adds(&m, strs[i]);
        pb_bytes(out, 6, &m);
    }
    pw_buf_release(&m);
}

/* A location's fields in the order of order[] (0 ends it; 4 is the lines), and an unknown
 * field 6 at the end when unknown: a location of that shape is read by protobuf-c, not by hand. */
static void location_msg(struct pw_buf *m, const unsigned *order, uint64_t id, uint64_t address,
                         uint64_t folded, const struct pw_buf *lines, bool unknown)
{
    pw_buf_reset(m);
    for (; *order; order++) {
        if (*order == 4)
            pw_buf_add(m, lines->data, lines->len);
        else
            pb_field(m, *order, *order == 1 ? id : *order == 2 ? 1 : *order == 3 ? address : folded);
    }
    if (unknown)
        pb_field(m, 6, 1);
}

/* Location ids that are not 1..n in file order (permuted, with a gap) are looked up, not taken
 * for indexes: each sample gets the functions of the ids it names. */
static void check_location_ids(void)
{
    static const uint64_t id_sets[][3] = {{2, 3, 1}, {1, 2, 5}, {1, 2, 3}};
    for (size_t set = 0; set < 3; set++) {
        const uint64_t *ids = id_sets[set];
        struct pw_buf prof, m, sub;
        pw_buf_init(&prof, 0);
        pw_buf_init(&m, 0);
        pw_buf_init(&sub, 0);
        pb_field(&m, 1, 1);
        pb_field(&m, 2, 2);
        pb_bytes(&prof, 1, &m);
        /* one sample per location, on the location of the largest id and then that one */
        uint64_t top = ids[0] > ids[1] ? ids[0] : ids[1];
        top = top > ids[2] ? top : ids[2];
        for (size_t i = 0; i < 3; i++) {
            pw_buf_reset(&m);
            pw_buf_reset(&sub);
            pb_varint(&sub, ids[i]);
            pb_varint(&sub, top);
            pb_bytes(&m, 1, &sub);
            pw_buf_reset(&sub);
            pb_varint(&sub, 10 * (i + 1));
            pb_bytes(&m, 2, &sub);
            pb_bytes(&prof, 2, &m);
        }
        for (size_t i = 0; i < 3; i++) { /* location ids[i] is in function i + 1 */
            pw_buf_reset(&m);
            pb_field(&m, 1, ids[i]);
            pw_buf_reset(&sub);
            pb_field(&sub, 1, i + 1);
            pb_bytes(&m, 4, &sub);
            pb_bytes(&prof, 4, &m);
        }
        for (uint64_t f = 1; f <= 3; f++) {
            pw_buf_reset(&m);
            pb_field(&m, 1, f);
            pb_field(&m, 2, 2 + f);
            pb_bytes(&prof, 5, &m);
        }
        static const char *const strs[] = {"", "samples", "count", "fa", "fb", "fc"};
        for (size_t i = 0; i < 6; i++) {
            pw_buf_reset(&m);
            pw_buf_adds(&m, strs[i]);
            pb_bytes(&prof, 6, &m);
        }
        struct pw_err err = {0};
        struct pw_profile *p = pw_decode((const unsigned char *)prof.data, prof.len, &err);
        CHECK(p != NULL, "ids %llu %llu %llu: %s", (unsigned long long)ids[0],
              (unsigned long long)ids[1], (unsigned long long)ids[2], err.msg);
        for (size_t i = 0; p && i < 3 && i < p->n_samples; i++) {
            const struct pw_sample *smp = &p->samples[i];
            const struct pw_location *l = &p->locations[smp->locs[0]];
            CHECK_INTEQ(l->id, ids[i]);
            CHECK_STREQ(pw_s(p, p->functions[l->lines[0].function].name), strs[3 + i]);
            CHECK_INTEQ(p->locations[smp->locs[1]].id, top);
        }
        pw_profile_free(p);
        pw_buf_release(&prof);
        pw_buf_release(&m);
        pw_buf_release(&sub);
    }
}

/* Locations read by hand (ordinary_location) decode as protobuf-c reads them: fields in any
 * order, lines of one field or both in either order, ten-byte numbers, a negative line, a
 * folded flag of 2; a field given twice, which the hand reader leaves to protobuf-c, too. */
static void check_ordinary_locations(void)
{
    static const unsigned orders[][6] = {{1, 2, 3, 4, 5}, {5, 4, 3, 2, 1}, {4, 1, 4}, {1, 1, 4, 3},
                                         {3, 5, 5, 1, 4}, {1}};
    struct pw_buf prof[2], m, lines, line;
    pw_buf_init(&m, 0);
    pw_buf_init(&lines, 0);
    pw_buf_init(&line, 0);
    for (int k = 0; k < 2; k++)
        pw_buf_init(&prof[k], 0);
    for (int k = 0; k < 2; k++) {
        pw_buf_reset(&m);
        pb_field(&m, 1, 1);
        pb_field(&m, 2, 2);
        pb_bytes(&prof[k], 1, &m);
        pw_buf_reset(&m);
        pw_buf_reset(&line);
        for (uint64_t id = 1; id <= 6; id++)
            pb_varint(&line, id);
        pb_bytes(&m, 1, &line);
        pw_buf_reset(&line);
        pb_varint(&line, 7);
        pb_bytes(&m, 2, &line);
        pb_bytes(&prof[k], 2, &m);
        pw_buf_reset(&m);
        pb_field(&m, 1, 1);
        pb_bytes(&prof[k], 3, &m);
        for (uint64_t fn = 1; fn <= 2; fn++) {
            pw_buf_reset(&m);
            pb_field(&m, 1, fn);
            pb_field(&m, 2, 2 + fn);
            pb_bytes(&prof[k], 5, &m);
        }
        for (size_t i = 0; i < sizeof orders / sizeof *orders; i++) {
            pw_buf_reset(&lines);
            pw_buf_reset(&line);
            pb_field(&line, 2, (uint64_t)-(int64_t)(i + 3)); /* line before function id */
            pb_field(&line, 1, 1 + i % 2);
            pb_bytes(&lines, 4, &line);
            pw_buf_reset(&line);
            pb_field(&line, 1, 2 - i % 2);
            pb_bytes(&lines, 4, &line);
            location_msg(&m, orders[i], i + 1, i == 0 ? UINT64_MAX - 5 : 0x1000 * (i + 1),
                         i == 1 ? 2 : i % 3, &lines, k == 1);
            pb_bytes(&prof[k], 4, &m);
        }
        static const char *const strs[] = {"", "samples", "count", "f", "g"};
        for (size_t i = 0; i < 5; i++) {
            pw_buf_reset(&m);
            pw_buf_adds(&m, strs[i]);
            pb_bytes(&prof[k], 6, &m);
        }
    }
    char *by_hand = decoded((const unsigned char *)prof[0].data, prof[0].len);
    char *by_protobuf_c = decoded((const unsigned char *)prof[1].data, prof[1].len);
    CHECK(strstr(by_hand, "error") == NULL && strstr(by_hand, "0xfffffffffffffffa") &&
              strstr(by_hand, "0x2000 M=1 [F] g :-4") && strstr(by_hand, "0x5000 [F] f :-7"),
          "locations: %s", by_hand);
    CHECK(strcmp(by_hand, by_protobuf_c) == 0, "by hand:\n%s\nby protobuf-c:\n%s", by_hand,
          by_protobuf_c);
    free(by_hand);
    free(by_protobuf_c);
    for (int k = 0; k < 2; k++)
        pw_buf_release(&prof[k]);
    pw_buf_release(&m);
    pw_buf_release(&lines);
    pw_buf_release(&line);
}

/* Packed varints of every length, at every place in their field (a short one last reads fewer
 * than three bytes ahead), decode as protobuf-c reads the same numbers unpacked. */
static void check_packed_varint_lengths(void)
{
    static const uint64_t ids[] = {1, 127, 128, 16383, 16384, 2097151, 2097152, 268435456,
                                   (uint64_t)1 << 35, (uint64_t)1 << 63};
    static const int64_t values[] = {0, 5, 300, 70000, 1 << 22, 1 << 30, (int64_t)1 << 45, -1};
    enum { N_IDS = sizeof ids / sizeof ids[0], N_VALUES = sizeof values / sizeof values[0] };
    for (size_t start = 0; start < N_IDS; start++) {
        char *want = NULL;
        for (int packed = 0; packed < 2; packed++) {
            struct pw_buf prof, m, sub;
            pw_buf_init(&prof, 0);
            pw_buf_init(&m, 0);
            pw_buf_init(&sub, 0);
            for (size_t t = 0; t < N_VALUES; t++) {
                pw_buf_reset(&m);
                pb_field(&m, 1, 1);
                pb_field(&m, 2, 2);
                pb_bytes(&prof, 1, &m);
            }
            /* the ids from start on, then the first ones: each length ends the field once */
            pw_buf_reset(&m);
            for (size_t k = 0; k < N_IDS; k++) {
                uint64_t id = ids[(start + k) % N_IDS];
                if (packed)
                    pb_varint(&sub, id);
                else
                    pb_field(&m, 1, id);
            }
            if (packed)
                pb_bytes(&m, 1, &sub);
            pw_buf_reset(&sub);
            for (size_t k = 0; k < N_VALUES; k++) {
                uint64_t v = (uint64_t)values[(start + k) % N_VALUES];
                if (packed)
                    pb_varint(&sub, v);
                else
                    pb_field(&m, 2, v);
            }
            if (packed)
                pb_bytes(&m, 2, &sub);
            pb_bytes(&prof, 2, &m);
            for (size_t k = 0; k < N_IDS; k++) {
                pw_buf_reset(&m);
                pb_field(&m, 1, ids[k]);
                pb_field(&m, 3, 0x1000 * (k + 1));
                pb_bytes(&prof, 4, &m);
            }
            static const char *const strs[] = {"", "samples", "count"};
            for (size_t i = 0; i < 3; i++) {
                pw_buf_reset(&m);
                pw_buf_adds(&m, strs[i]);
                pb_bytes(&prof, 6, &m);
            }
            char *got = decoded((const unsigned char *)prof.data, prof.len);
            if (!want) {
                want = got;
                CHECK(strstr(want, "error") == NULL && strstr(want, "1073741824") != NULL,
                      "unpacked, from %zu: %s", start, want);
            } else {
                CHECK(strcmp(got, want) == 0, "packed, from %zu: %s\nwant %s", start, got,
                      want);
                free(got);
            }
            pw_buf_release(&prof);
            pw_buf_release(&m);
            pw_buf_release(&sub);
        }
        free(want);
    }
}

/* A sample as producers write it (packed location ids and values, each once) is read by hand,
 * any other encoding by protobuf-c: the same sample encoded either way decodes the same. */
static void check_sample_encodings(void)
{
    char *want = NULL;
    for (int form = 0; form < 4; form++) {
        struct pw_buf smp, sub, prof;
        pw_buf_init(&smp, 0);
        pw_buf_init(&sub, 0);
        pw_buf_init(&prof, 0);
        if (form == 1) { /* location ids not packed */
            for (uint64_t l = 1; l <= 3; l++)
                pb_field(&smp, 1, l);
        } else if (form == 2) { /* packed in two runs */
            pb_varint(&sub, 1);
            pb_bytes(&smp, 1, &sub);
            pw_buf_reset(&sub);
            pb_varint(&sub, 2);
            pb_varint(&sub, 3);
            pb_bytes(&smp, 1, &sub);
        } else {
            for (uint64_t l = 1; l <= 3; l++)
                pb_varint(&sub, l);
            pb_bytes(&smp, 1, &sub);
        }
        pw_buf_reset(&sub);
        pb_varint(&sub, (uint64_t)-7); /* a negative value: ten bytes */
        pb_bytes(&smp, 2, &sub);
        pw_buf_reset(&sub);
        if (form == 3) /* a label field given twice: the last counts */
            pb_field(&sub, 2, 3);
        pb_field(&sub, 1, 3);
        pb_field(&sub, 2, 4);
        pb_bytes(&smp, 3, &sub);
        one_sample_profile(&prof, &smp);
        char *got = decoded((const unsigned char *)prof.data, prof.len);
        if (!want) {
            want = got;
            CHECK(strstr(want, "        -7: 1 2 3 \n                k:[v]\n") != NULL,
                  "ordinary sample: %s", want);
        } else {
            CHECK(strcmp(got, want) == 0, "form %d: %s", form, got);
            free(got);
        }
        pw_buf_release(&smp);
        pw_buf_release(&sub);
        pw_buf_release(&prof);
    }
    free(want);
}

/* A gzip input large enough to be inflated on a thread while its samples are unpacked decodes
 * to what its raw bytes decode to, and fails with the same message. */
static void check_streamed(const char *what, enum flaw flaw, size_t at, bool two_members,
                           const char *want)
{
    struct pw_buf raw, gz;
    pw_buf_init(&raw, 0);
    pw_buf_init(&gz, 0);
    size_t n = 120000;
    large_profile(&raw, n, flaw, at);
    if (two_members) {
        gzip_member(&gz, (const unsigned char *)raw.data, raw.len / 2);
        gzip_member(&gz, (const unsigned char *)raw.data + raw.len / 2, raw.len - raw.len / 2);
    } else {
        gzip_member(&gz, (const unsigned char *)raw.data, raw.len);
    }
    CHECK(gz.len >= PW_GUNZIP_STREAM_MIN, "%s: %zu bytes gzipped, too few to stream", what,
          gz.len);
    char *from_raw = decoded((const unsigned char *)raw.data, raw.len);
    char *from_gz = decoded((const unsigned char *)gz.data, gz.len);
    CHECK(strstr(from_raw, want) != NULL, "%s: \"%.200s\" lacks \"%s\"", what, from_raw, want);
    size_t i = 0;
    while (from_raw[i] && from_raw[i] == from_gz[i])
        i++;
    CHECK(strcmp(from_raw, from_gz) == 0, "%s: gzipped differs at byte %zu: \"%.80s\" vs \"%.80s\"",
          what, i, from_gz + i, from_raw + i);
    if (flaw == FLAW_NONE && !two_members) {
        free(from_gz);
        from_gz = decoded((const unsigned char *)gz.data, gz.len - 9);
        CHECK(strstr(from_gz, "decompressing profile: unexpected EOF") != NULL,
              "%s, truncated: %.200s", what, from_gz);
    }
    free(from_raw);
    free(from_gz);
    pw_buf_release(&raw);
    pw_buf_release(&gz);
}

static void check_streamed_all(void)
{
    check_streamed("large gzip", FLAW_NONE, 0, false, "Samples:\nsamples/count\n");
    check_streamed("two gzip members", FLAW_NONE, 0, true, "Samples:\nsamples/count\n");
    check_streamed("location ids past 32 bits", FLAW_HUGE_ID, 0, false, "Locations\n");
    check_streamed("late unknown location", FLAW_LOCATION, 119990, false,
                   "sample 119990: location id 607 not in profile");
    check_streamed("label string index", FLAW_LABEL, 70000, false,
                   "sample 70000: string index 999999 out of range");
    check_streamed("value count", FLAW_VALUES, 3, false,
                   "sample 3: mismatch: sample has 2 values vs. 1 types");
    check_streamed("sample protobuf-c rejects", FLAW_WIRE, 90000, false,
                   "not profile.proto: sample 90000");
}

/* A profile.proto of one sample at location 1 and n locations, each with a line of function 1,
 * except those at the indexes in bad, whose line names function 9 (which does not exist):
 * enough locations for the two-thread location decoding. */
static void many_locations(struct pw_buf *out, size_t n, const size_t *bad, size_t n_bad)
{
    struct pw_buf m, sub;
    pw_buf_init(&m, 0);
    pw_buf_init(&sub, 0);
    pb_bytes(out, 1, &m); /* sample_type {} */
    pb_varint(&sub, 1);
    pb_bytes(&m, 1, &sub); /* location_id: [1] */
    pb_bytes(&m, 2, &sub); /* value: [1] */
    pb_bytes(out, 2, &m);
    for (size_t i = 0; i < n; i++) {
        uint64_t f = 1;
        for (size_t k = 0; k < n_bad; k++)
            f = bad[k] == i ? 9 : f;
        pw_buf_reset(&m);
        pw_buf_reset(&sub);
        pb_field(&m, 1, i + 1);
        pb_field(&sub, 1, f);
        pb_bytes(&m, 4, &sub);
        pb_bytes(out, 4, &m);
    }
    pw_buf_reset(&m);
    pb_field(&m, 1, 1);
    pb_bytes(out, 5, &m); /* function {id: 1} */
    pw_buf_reset(&m);
    pb_bytes(out, 6, &m); /* string_table: [""] */
    pw_buf_release(&m);
    pw_buf_release(&sub);
}

static void check_many_locations(void)
{
    size_t n = 30000;
    struct pw_buf d;
    pw_buf_init(&d, 0);
    many_locations(&d, n, NULL, 0);
    struct pw_err err = {0};
    struct pw_profile *p = pw_decode((const unsigned char *)d.data, d.len, &err);
    CHECK(p != NULL, "many locations: %s", err.msg);
    if (p) {
        CHECK_INTEQ(p->n_locations, n);
        size_t wrong = 0;
        for (uint32_t i = 0; i < p->n_locations; i++)
            wrong += p->locations[i].id != i + 1 || p->locations[i].n_lines != 1 ||
                     p->locations[i].lines[0].function != 0;
        CHECK_INTEQ(wrong, 0);
    }
    pw_profile_free(p);
    /* The first bad location in file order is the one named, in either half. */
    pw_buf_reset(&d);
    many_locations(&d, n, (size_t[]){25000}, 1);
    check_rejected("bad location in the second half", (const unsigned char *)d.data, d.len,
                   "location id: 25001: line 0: function id 9 not in profile");
    pw_buf_reset(&d);
    many_locations(&d, n, (size_t[]){100, 25000}, 2);
    check_rejected("bad locations in both halves", (const unsigned char *)d.data, d.len,
                   "location id: 101: line 0: function id 9 not in profile");
    pw_buf_release(&d);
}

/* A table past PW_MAX_TABLE_ENTRIES is refused before its entries are built: two bytes of input
 * must not become a sample of a model twenty times larger. */
static void check_table_limit(const char *what, unsigned char field)
{
    size_t n = PW_MAX_TABLE_ENTRIES + 1, len = 2 + n * 2 + 2;
    unsigned char *d = malloc(len);
    d[0] = 0x0a; /* sample_type {} */
    d[1] = 0x00;
    for (size_t i = 0; i < n; i++) {
        d[2 + 2 * i] = (unsigned char)(field << 3 | 2); /* an empty entry */
        d[3 + 2 * i] = 0x00;
    }
    d[len - 2] = 0x32; /* string_table: [""] */
    d[len - 1] = 0x00;
    char want[80];
    snprintf(want, sizeof want, "more than %zu %s (limit)", (size_t)PW_MAX_TABLE_ENTRIES, what);
    check_rejected(what, d, len, want);
    free(d);
}

int main(void)
{
    static const char *const protos[] = {
        "public/go-cpu-sample.pb.gz",
        "public/go-cpu-labels.pb.gz",     "public/go-cpu-stripped.pb.gz",
        "public/go-cpu-uncompressed.pb",  "public/go-goroutine.pb.gz",
        "public/go-heap-nomappings.pb.gz", "public/go-heap-parca.pb.gz",
        "public/go-mutex.pb.gz",
        "public/go-wall-fgprof.pb.gz",    "public/invalid-utf8.pb.gz",
        "public/dotnet-labels.pb",        "public/nodejs-wall.pb.gz",
        "public/python-pyspy.pb.gz",      "public/rust-pprof-rs.pb.gz",
        "public/java-cpu-jfr-kafka-t0.pb.gz", "public/native-cpu-parca-agent-labels.pb.gz",
        "local/profiles/go119-heap-t0.pb.gz", "local/profiles/go119-cpu-t0.pb.gz",
    };
    for (size_t i = 0; i < sizeof(protos) / sizeof(*protos); i++)
        check_raw(protos[i]);

    /* pprof rejects a function with id 0; so do we, with pprof's words. */
    struct pw_err err = {0};
    struct pw_profile *p = pw_decode_file(CORPUS "public/dotnet-reserved-function-id0.pb", &err);
    CHECK(p == NULL, "reserved function id accepted");
    CHECK_STREQ(err.msg, CORPUS "public/dotnet-reserved-function-id0.pb: malformed profile: "
                                "found function with reserved ID=0");

    /* Malformed inputs. */
    static const unsigned char bad_varint[] = {0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                               0x80, 0x80, 0x80, 0x80, 0x80};
    check_rejected("bad varint", bad_varint, sizeof(bad_varint), "profile");
    /* sample_type {type: 1} with a string table of only "": index out of range. */
    static const unsigned char bad_string[] = {0x0a, 0x02, 0x08, 0x05, 0x32, 0x00};
    check_rejected("string index", bad_string, sizeof(bad_string), "string index 5 out of range");
    /* A sample that names location 7, which does not exist. */
    static const unsigned char bad_loc[] = {0x0a, 0x00, 0x12, 0x05, 0x0a, 0x01, 0x07, 0x10,
                                            0x01, 0x32, 0x00};
    check_rejected("unknown location", bad_loc, sizeof(bad_loc), "location id 7 not in profile");
    /* A sample with two values for one sample type. */
    static const unsigned char bad_values[] = {0x0a, 0x00, 0x12, 0x04, 0x12, 0x02, 0x01, 0x02,
                                               0x32, 0x00};
    check_rejected("value count", bad_values, sizeof(bad_values), "2 values vs. 1 types");
    check_rejected("empty", (const unsigned char *)"", 0, "empty input");
    check_many_samples();
    check_many_locations();
    check_table_limit("samples", 2);
    check_table_limit("locations", 4);
    check_streamed_all();

    /* Truncated gzip. */
    unsigned char *gz;
    size_t gz_len;
    CHECK(pw_read_file(CORPUS "public/go-cpu-sample.pb.gz", 1 << 20, &gz, &gz_len, &err) == 0,
          "read");
    check_rejected("truncated gzip", gz, gz_len / 2, "decompressing profile");
    free(gz);

    /* A gzip bomb: 64 MB of zeros compress to ~64 KB; with a small cap it must stop. */
    size_t big = 64 << 20;
    unsigned char *zeros = calloc(1, big);
    uLongf clen = compressBound(big);
    unsigned char *comp = malloc(clen + 32);
    z_stream zs = {0};
    deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
    zs.next_in = zeros;
    zs.avail_in = (uInt)big;
    zs.next_out = comp;
    zs.avail_out = (uInt)clen;
    deflate(&zs, Z_FINISH);
    size_t comp_len = zs.total_out;
    deflateEnd(&zs);
    unsigned char *out;
    size_t out_len;
    CHECK(pw_gunzip(comp, comp_len, 1 << 20, &out, &out_len, &err) == -1 && err.code == PW_ETOOBIG,
          "gzip bomb not stopped: %s", err.msg);
    free(zeros);
    free(comp);
    check_gzip_trailers();
    check_sample_encodings();
    check_packed_varint_lengths();
    check_ordinary_locations();
    check_location_ids();
    return harness_done();
}
