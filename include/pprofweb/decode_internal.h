/* decode_internal: what decode.c (gzip, legacy fallback) needs from decode_proto.c (profile.proto);
 * not an API for other modules. The returned profile is owned by the caller. */
#ifndef PPROFWEB_DECODE_INTERNAL_H
#define PPROFWEB_DECODE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "pprofweb/err.h"
#include "pprofweb/profile.h"

/* Compressed inputs from this size on are inflated on a thread of their own while their samples
 * are unpacked (decode.c): below it a thread costs more than it saves. */
#define PW_GUNZIP_STREAM_MIN ((size_t)1 << 20)

/* Bytes another thread is still writing (decode.c inflating): data[0, avail) are final. */
struct pw_stream {
    const unsigned char *data;
    size_t avail;
    bool done; /* no more will come */
    pthread_mutex_t mu;
    pthread_cond_t cond;
};

/* Waits until more than have bytes are final or the stream is done; returns how many are final
 * and sets *done. */
size_t pw_stream_wait(struct pw_stream *s, size_t have, bool *done);

/* The samples of a profile.proto, unpacked while its bytes arrived (decode_proto.c): values,
 * location ids and label string indexes as the bytes give them, checked and resolved once the
 * whole profile is known. */
struct pw_early_samples;

/* Unpacks the samples of the stream's bytes as they arrive and returns them; returns NULL at
 * once when the bytes are not the ordinary case (not a profile.proto, ids or indexes past
 * 32 bits, a sample protobuf-c rejects or past a limit), which pw_decode_proto then meets. */
struct pw_early_samples *pw_proto_early_samples(struct pw_stream *s);
void pw_early_samples_free(struct pw_early_samples *e);

/* Parses raw profile.proto bytes (at most PW_MAX_DECOMPRESSED), using the samples early unpacked
 * from them when not NULL (it takes them). Returns NULL with *not_proto set and why filled when
 * the bytes are not a profile.proto at all (so legacy parsers may try), or NULL with err filled
 * when they are one but not a valid profile; early samples change neither. */
struct pw_profile *pw_decode_proto(const unsigned char *data, size_t len,
                                   struct pw_early_samples *early, bool *not_proto, char *why,
                                   size_t why_len, struct pw_err *err);

#endif
