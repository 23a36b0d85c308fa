/* langguess.h — a cheap language guess (ru, uk, en) from the letters of a text. */
#ifndef BP_LANGGUESS_H
#define BP_LANGGUESS_H

#include <stddef.h>

/* Guesses the language of s[0..n) (UTF-8; invalid bytes are ignored) by counting letters:
 * mostly Latin -> "en"; mostly Cyrillic -> "uk" when the Ukrainian-only letters і ї є ґ
 * outnumber the Russian-only ы э ъ ё, else "ru". Returns a static string, or NULL when the
 * text has fewer than 2 letters (nothing to say). */
const char *bp_langguess(const char *s, size_t n);

#endif
