/* utf8.h — UTF-8 validation, repair and decoding helpers shared by parsers and the filter. */
#ifndef BP_UTF8_H
#define BP_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Returns the byte offset of the first invalid sequence in s[0..n), or n if all of it is valid
 * UTF-8 (overlongs, surrogates and code points past U+10FFFF are invalid). */
size_t bp_utf8_check(const char *s, size_t n);

/* Returns a newly allocated NUL-terminated copy of s[0..n) with every invalid sequence replaced
 * by U+FFFD; *nrepl (if not NULL) gets the number of replacements. NULL only if out of memory. */
char *bp_utf8_repair(const char *s, size_t n, size_t *nrepl);

/* Decodes one code point at s[*i] (i < n), advancing *i. Invalid bytes decode as U+FFFD and
 * advance by one byte. */
uint32_t bp_utf8_decode(const char *s, size_t n, size_t *i);

/* Encodes cp into out (at least 4 bytes); returns the number of bytes written (1..4). */
int bp_utf8_encode(uint32_t cp, char *out);

#ifdef __SSE2__
#include <emmintrin.h>
/* For the 16-byte fast paths (bp_utf8_check, the post scanner): of the bytes x[skip..16), the
 * mask (bit 0 = x[skip]) of those >= 0x80 that are not a lead 0xC2..0xDF followed by a
 * continuation, or a continuation after such a lead, within the block; *high gets the mask of
 * all bytes >= 0x80. x[skip] must start a character. */
static inline __attribute__((always_inline)) unsigned bp_utf8_pairs16_bad(__m128i x,
                                                                         unsigned skip,
                                                                         unsigned *high)
{
    *high = (unsigned)_mm_movemask_epi8(x) >> skip;
    if (!*high)
        return 0;
    /* as signed bytes: continuations 0x80..0xBF are < -64, leads 0xC2..0xDF are -62..-33 */
    unsigned c = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(x, _mm_set1_epi8(-64))) >> skip;
    unsigned l = (unsigned)_mm_movemask_epi8(_mm_and_si128(
        _mm_cmpgt_epi8(x, _mm_set1_epi8(-63)), _mm_cmplt_epi8(x, _mm_set1_epi8(-32)))) >> skip;
    return (*high & ~(l | c)) | (c & ~(l << 1)) | (l & ~(c >> 1));
}
#endif

#endif
