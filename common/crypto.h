/* crypto.h — HMAC-SHA256, SHA-256 and base64/hex encodings (OpenSSL libcrypto), for webhook
 * signatures, signed acknowledgement links and content hashes (rules_version). */
#ifndef BP_CRYPTO_H
#define BP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* out gets 32 raw bytes. */
void bp_sha256(const void *data, size_t len, unsigned char out[32]);
void bp_hmac_sha256(const void *key, size_t klen, const void *data, size_t len,
                    unsigned char out[32]);
/* Lowercase hex of n bytes into out (2n+1 bytes). Returns out. */
char *bp_hex(const unsigned char *in, size_t n, char *out);
/* Standard base64 with padding. Returns a malloc'd string (NULL if out of memory). */
char *bp_base64(const void *in, size_t n);
/* Decodes standard base64 (whitespace ignored). Returns a malloc'd buffer and its length in
 * *outlen, or NULL if the input is not base64. */
unsigned char *bp_base64_decode(const char *in, size_t n, size_t *outlen);
/* Compares two byte strings in constant time (for signatures). Returns 1 if equal. */
int bp_consttime_eq(const void *a, const void *b, size_t n);
/* Cryptographically random bytes; returns 0 or -1. */
int bp_random_bytes(void *out, size_t n);

#endif
