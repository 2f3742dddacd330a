/* sha256: SHA-256 (FIPS 180-4), for the store's content-addressed ids, from OpenSSL's libcrypto,
 * which uses the CPU's SHA instructions where it has them: a stored profile is hashed once per
 * load, and the portable C form took a tenth of a large profile's start-up. One-shot; libcrypto
 * stays in this file, loaded on the first hash (dynlib.h): a command-line report hashes nothing. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#include "pprofweb/dynlib.h"
#include "sonames.h"
#include "pprofweb/store.h"

static struct {
    int (*digest)(const void *data, size_t len, unsigned char *md, unsigned int *md_len,
                  const EVP_MD *type, ENGINE *impl);
    const EVP_MD *(*sha256)(void);
} ossl;

static const struct pw_dynsym ossl_syms[] = {
    {"EVP_Digest", &ossl.digest},
    {"EVP_sha256", &ossl.sha256},
};

static struct pw_dynlib ossl_lib = PW_DYNLIB_INIT(PW_SONAME_CRYPTO, ossl_syms);

void pw_sha256(const void *data, size_t len, unsigned char out[32])
{
    struct pw_err err = {0};
    /* libcrypto comes with libcurl and libpq, which pprofweb needs too: without it the
     * installation is broken, as without any linked library. */
    if (pw_dynlib_open(&ossl_lib, &err)) {
        fprintf(stderr, "pprofweb: %s\n", err.msg);
        abort();
    }
    unsigned int n = 0;
    /* Fails only when libcrypto cannot allocate its context: out of memory, which aborts. */
    if (!ossl.digest(data, len, out, &n, ossl.sha256(), NULL) || n != 32) {
        fprintf(stderr, "pprofweb: SHA-256 failed\n");
        abort();
    }
}
