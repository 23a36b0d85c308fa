/* langguess.c — ru/uk/en guess by counting script letters and language-specific letters. */
#include "langguess.h"

#include <stdint.h>

#include "utf8.h"

static int langguess_is_uk(uint32_t cp)
{
    /* і ї є ґ and their capitals */
    return cp == 0x456 || cp == 0x406 || cp == 0x457 || cp == 0x407 || cp == 0x454 ||
           cp == 0x404 || cp == 0x491 || cp == 0x490;
}

static int langguess_is_ru(uint32_t cp)
{
    /* ы э ъ ё and their capitals */
    return cp == 0x44B || cp == 0x42B || cp == 0x44D || cp == 0x42D || cp == 0x44A ||
           cp == 0x42A || cp == 0x451 || cp == 0x401;
}

const char *bp_langguess(const char *s, size_t n)
{
    size_t i = 0, latin = 0, cyr = 0, uk = 0, ru = 0;
    if (!s)
        return NULL;
    while (i < n) {
        uint32_t cp = bp_utf8_decode(s, n, &i);
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) {
            latin++;
        } else if (cp >= 0x400 && cp <= 0x4FF) {
            cyr++;
            if (langguess_is_uk(cp))
                uk++;
            else if (langguess_is_ru(cp))
                ru++;
        }
    }
    if (latin + cyr < 2)
        return NULL;
    if (latin > cyr)
        return "en";
    if (uk > ru)
        return "uk";
    return "ru";
}
