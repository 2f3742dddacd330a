/* decode: profile bytes -> struct pw_profile.
 *
 * In: a file or buffer, gzip-compressed (one or more members) or raw. Raw bytes are parsed as
 * profile.proto (decode_proto.c, with protobuf-c); when they are not a profile.proto, the legacy
 * parsers (legacy.c) are tried, as pprof does.
 * Out: a profile whose every index is valid (string, mapping, location and function references),
 * as pprof's postDecode + CheckValid would accept it.
 * Limits: input and decompressed sizes (limits.h); a gzip bomb stops at PW_MAX_DECOMPRESSED.
 * zlib stays in this file, protobuf-c in decode_proto.c. */
#include "pprofweb/decode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pprofweb/decode_internal.h"
#include "pprofweb/legacy.h"
#include "pprofweb/limits.h"

/* --- gzip --- */

int pw_gunzip(const unsigned char *data, size_t len, size_t max, unsigned char **out,
              size_t *out_len, struct pw_err *err)
{
    *out = NULL;
    *out_len = 0;
    if (len < 2 || data[0] != 0x1f || data[1] != 0x8b)
        return 0;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return pw_fail(err, PW_EIO, "decompressing profile: zlib initialisation failed");
    size_t cap = len * 4 < (1u << 20) ? (1u << 20) : len * 4;
    if (cap > max)
        cap = max;
    unsigned char *buf = pw_xmalloc(cap);
    size_t n = 0;
    zs.next_in = (unsigned char *)data;
    int rc = Z_OK;
    size_t consumed = 0;
    for (;;) {
        size_t in_left = len - consumed;
        zs.next_in = (unsigned char *)data + consumed;
        zs.avail_in = in_left > UINT32_MAX ? UINT32_MAX : (uInt)in_left;
        if (n == cap) {
            if (cap >= max) {
                inflateEnd(&zs);
                free(buf);
                return pw_fail(err, PW_ETOOBIG,
                               "decompressing profile: more than %zu MB uncompressed (limit)",
                               max >> 20);
            }
            cap = cap > max / 2 ? max : cap * 2;
            buf = pw_xrealloc(buf, cap);
        }
        size_t room = cap - n;
        zs.next_out = buf + n;
        zs.avail_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
        uInt avail_in_before = zs.avail_in;
        uInt avail_out_before = zs.avail_out;
        rc = inflate(&zs, Z_NO_FLUSH);
        consumed += avail_in_before - zs.avail_in;
        n += avail_out_before - zs.avail_out;
        if (rc == Z_STREAM_END) {
            /* Another gzip member may follow, as Go's reader accepts. */
            if (consumed + 2 <= len && data[consumed] == 0x1f && data[consumed + 1] == 0x8b) {
                inflateReset(&zs);
                continue;
            }
            break;
        }
        if (rc == Z_BUF_ERROR && zs.avail_in == 0 && consumed == len) {
            inflateEnd(&zs);
            free(buf);
            return pw_fail(err, PW_ECORRUPT, "decompressing profile: unexpected EOF");
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            const char *why = zs.msg ? zs.msg : "corrupt data";
            char msg[128];
            snprintf(msg, sizeof(msg), "%s", why);
            inflateEnd(&zs);
            free(buf);
            return pw_fail(err, PW_ECORRUPT, "decompressing profile: %s", msg);
        }
    }
    inflateEnd(&zs);
    *out = buf;
    *out_len = n;
    return 0;
}

/* Decodes raw (gunzipped) bytes: profile.proto, else the legacy formats. */
static struct pw_profile *decode_raw(const unsigned char *data, size_t len, struct pw_err *err)
{
    if (len == 0) {
        pw_fail(err, PW_ECORRUPT, "parsing profile: empty input file");
        return NULL;
    }
    bool not_proto;
    char why[200] = "";
    struct pw_profile *p = pw_decode_proto(data, len, &not_proto, why, sizeof(why), err);
    if (!p && not_proto) {
        struct pw_err lerr = {0};
        p = pw_legacy_parse(data, len, &lerr);
        if (!p) {
            if (strcmp(lerr.msg, "unrecognized profile format") == 0)
                pw_fail(err, PW_ECORRUPT,
                        "parsing profile: unrecognized profile format (not profile.proto: %s)",
                        why);
            else
                pw_fail(err, lerr.code, "parsing profile: %s", lerr.msg);
        }
    } else if (!p) {
        pw_err_prefix(err, "malformed profile: ");
    }
    if (p && pw_profile_check_valid(p, err)) {
        pw_err_prefix(err, "malformed profile: ");
        pw_profile_free(p);
        p = NULL;
    }
    return p;
}

/* Decodes data, freeing it (when owned) as soon as it is gunzipped: the compressed bytes, the
 * raw bytes and the model need not all be in memory at once. */
static struct pw_profile *decode(const unsigned char *data, size_t len, unsigned char *owned,
                                 struct pw_err *err)
{
    if (len > PW_MAX_INPUT) {
        free(owned);
        pw_fail(err, PW_ETOOBIG, "profile is %zu MB (limit %zu MB)", len >> 20,
                PW_MAX_INPUT >> 20);
        return NULL;
    }
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    if (pw_gunzip(data, len, PW_MAX_DECOMPRESSED, &raw, &raw_len, err)) {
        free(owned);
        return NULL;
    }
    if (raw) {
        free(owned);
        owned = raw;
        data = raw;
        len = raw_len;
    }
    struct pw_profile *p = decode_raw(data, len, err);
    free(owned);
    return p;
}

struct pw_profile *pw_decode(const unsigned char *data, size_t len, struct pw_err *err)
{
    return decode(data, len, NULL, err);
}

int pw_read_file(const char *path, size_t max, unsigned char **data, size_t *len,
                 struct pw_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return pw_fail(err, errno == ENOENT ? PW_ENOTFOUND : PW_EIO, "%s: %s", path,
                       strerror(errno));
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = pw_xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                fclose(f);
                free(buf);
                return pw_fail(err, PW_ETOOBIG, "%s: larger than %zu MB (limit)", path,
                               max >> 20);
            }
            cap *= 2;
            buf = pw_xrealloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                int e = errno;
                fclose(f);
                free(buf);
                return pw_fail(err, PW_EIO, "%s: %s", path, strerror(e));
            }
            break;
        }
    }
    fclose(f);
    if (n > max) {
        free(buf);
        return pw_fail(err, PW_ETOOBIG, "%s: larger than %zu MB (limit)", path, max >> 20);
    }
    *data = buf;
    *len = n;
    return 0;
}

struct pw_profile *pw_decode_file(const char *path, struct pw_err *err)
{
    unsigned char *data;
    size_t len;
    if (pw_read_file(path, PW_MAX_INPUT, &data, &len, err))
        return NULL;
    struct pw_profile *p = decode(data, len, data, err); /* frees data */
    if (!p)
        pw_err_prefix(err, "%s: ", path);
    return p;
}
