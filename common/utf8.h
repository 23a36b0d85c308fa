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

#endif
