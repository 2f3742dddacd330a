/* sha256: SHA-256 (FIPS 180-4), for the store's content-addressed ids, from OpenSSL's libcrypto,
 * which uses the CPU's SHA instructions where it has them: a stored profile is hashed once per
 * load, and the portable C form took a tenth of a large profile's start-up. One-shot; libcrypto
 * stays in this file. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#include "pprofweb/store.h"

void pw_sha256(const void *data, size_t len, unsigned char out[32])
{
    unsigned int n = 0;
    /* Fails only when libcrypto cannot allocate its context: out of memory, which aborts. */
    if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) || n != 32) {
        fprintf(stderr, "pprofweb: SHA-256 failed\n");
        abort();
    }
}
