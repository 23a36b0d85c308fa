/* crypto.c — SHA-256, HMAC-SHA256, hex/base64, constant-time compare on OpenSSL (see crypto.h). */
#include "crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

void bp_sha256(const void *data, size_t len, unsigned char out[32])
{
    SHA256((const unsigned char *)data, len, out);
}

void bp_hmac_sha256(const void *key, size_t klen, const void *data, size_t len,
                    unsigned char out[32])
{
    unsigned int olen = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)data, len, out, &olen);
}

char *bp_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
}

char *bp_base64(const void *in, size_t n)
{
    size_t olen = 4 * ((n + 2) / 3) + 1;
    char *out = malloc(olen);
    if (!out)
        return NULL;
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)n);
    return out;
}

unsigned char *bp_base64_decode(const char *in, size_t n, size_t *outlen)
{
    char *clean = malloc(n + 1);
    if (!clean)
        return NULL;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (in[i] != ' ' && in[i] != '\n' && in[i] != '\r' && in[i] != '\t')
            clean[m++] = in[i];
    if (m % 4 != 0) {
        free(clean);
        return NULL;
    }
    unsigned char *out = malloc(m / 4 * 3 + 1);
    if (!out) {
        free(clean);
        return NULL;
    }
    int r = m ? EVP_DecodeBlock(out, (unsigned char *)clean, (int)m) : 0;
    if (r < 0) {
        free(clean);
        free(out);
        return NULL;
    }
    size_t pad = 0;
    if (m >= 1 && clean[m - 1] == '=')
        pad++;
    if (m >= 2 && clean[m - 2] == '=')
        pad++;
    free(clean);
    *outlen = (size_t)r - pad;
    out[*outlen] = 0;
    return out;
}

int bp_consttime_eq(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= x[i] ^ y[i];
    return d == 0;
}

int bp_random_bytes(void *out, size_t n)
{
    return RAND_bytes((unsigned char *)out, (int)n) == 1 ? 0 : -1;
}
