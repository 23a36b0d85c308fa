/* utf8.c — UTF-8 validation, repair, decode and encode (see utf8.h). */
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Length of the valid sequence at s[i], or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n, size_t i, uint32_t *cp)
{
    unsigned char c = s[i];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (i + len > n)
        return 0;
    for (size_t k = 1; k < len; k++) {
        unsigned char cc = s[i + k];
        if ((cc & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (cc & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

#ifdef __SSE2__
/* Length of the longest prefix of u[skip..16) that is ASCII and two-byte sequences (U+0080 to
 * U+07FF) only, ending where a character ends; u[skip] must start a character. 16 - skip if
 * all of it. */
static inline __attribute__((always_inline)) unsigned utf8_plain16(const unsigned char *u,
                                                                 unsigned skip)
{
    unsigned high;
    unsigned bad = bp_utf8_pairs16_bad(_mm_loadu_si128((const __m128i *)u), skip, &high);
    return bad ? (unsigned)__builtin_ctz(bad) : 16 - skip;
}
#endif

size_t bp_utf8_check(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
#ifdef __SSE2__
    /* sixteen bytes at a time while they are ASCII and two-byte characters; the loop below
     * (from the same character boundary) takes anything else and the tail */
    while (n - i >= 16) {
        unsigned k = utf8_plain16(u + i, 0);
        i += k;
        if (k < 16) {
            if (k > 0)
                continue;
            uint32_t cp;
            size_t l = utf8_seq_len(u, n, i, &cp);
            if (!l)
                return i;
            i += l;
        }
    }
    /* the last 1..15 bytes: the block that ends at n, without the bytes before i */
    if (n >= 16 && i < n)
        i += utf8_plain16(u + n - 16, (unsigned)(16 - (n - i)));
#endif
    while (i < n) {
        /* ASCII eight bytes at a time */
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        unsigned char c = u[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        /* two-byte sequences (Cyrillic, Greek, Latin accents) inline */
        if (c >= 0xC2 && c <= 0xDF && i + 1 < n && (u[i + 1] & 0xC0) == 0x80) {
            i += 2;
            continue;
        }
        uint32_t cp;
        size_t l = utf8_seq_len(u, n, i, &cp);
        if (!l)
            return i;
        i += l;
    }
    return n;
}

char *bp_utf8_repair(const char *s, size_t n, size_t *nrepl)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t bad = 0;
    char *out = malloc(n * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    while (i < n) {
        uint32_t cp;
        size_t l = utf8_seq_len(u, n, i, &cp);
        if (l) {
            memcpy(out + o, s + i, l);
            o += l;
            i += l;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
            bad++;
        }
    }
    out[o] = '\0';
    if (nrepl)
        *nrepl = bad;
    return out;
}

uint32_t bp_utf8_decode(const char *s, size_t n, size_t *i)
{
    uint32_t cp;
    size_t l = utf8_seq_len((const unsigned char *)s, n, *i, &cp);
    if (!l) {
        (*i)++;
        return 0xFFFD;
    }
    *i += l;
    return cp;
}

int bp_utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}
