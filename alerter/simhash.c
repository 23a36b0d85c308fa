/* simhash.c — SimHash over case-folded words and word pairs for near-duplicate detection. */
#include "simhash.h"

#include <string.h>

#include "utf8.h"

#define SIMHASH_MAX_WORD 128

uint64_t simhash_fnv1a(const void *s, size_t n)
{
    const unsigned char *p = s;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint32_t simhash_fold(uint32_t cp)
{
    if (cp >= 'A' && cp <= 'Z')
        return cp + 32;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
        return cp + 32;
    if (cp >= 0x410 && cp <= 0x42F) /* А..Я */
        return cp + 32;
    if (cp >= 0x400 && cp <= 0x40F) /* Ѐ..Џ (incl. Ё, Є, І, Ї) */
        return cp + 80;
    if (cp == 0x451) /* ё -> е */
        return 0x435;
    if (cp == 0x490) /* Ґ */
        return 0x491;
    return cp;
}

static int simhash_is_word_cp(uint32_t cp)
{
    if ((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'))
        return 1;
    if (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7)
        return 1;
    if (cp >= 0x400 && cp <= 0x52F)
        return 1;
    return cp >= 0x3040; /* CJK and the rest: treat as letters */
}

static void simhash_add(int32_t acc[64], uint64_t h)
{
    for (int b = 0; b < 64; b++)
        acc[b] += (h >> b) & 1 ? 1 : -1;
}

uint64_t simhash_text(const char *s, size_t n)
{
    int32_t acc[64];
    char word[SIMHASH_MAX_WORD], prev[SIMHASH_MAX_WORD];
    size_t wl = 0, pl = 0, nfeat = 0;
    size_t i = 0, tok_start = 0;
    memset(acc, 0, sizeof acc);
    while (i <= n) {
        uint32_t cp = 0;
        size_t at = i;
        int is_word = 0;
        if (i < n) {
            cp = bp_utf8_decode(s, n, &i);
            is_word = simhash_is_word_cp(cp);
        } else {
            i++;
        }
        if (is_word) {
            if (wl == 0)
                tok_start = at;
            char enc[4];
            int k = bp_utf8_encode(simhash_fold(cp), enc);
            if (wl + (size_t)k < sizeof word) {
                memcpy(word + wl, enc, (size_t)k);
                wl += (size_t)k;
            }
            continue;
        }
        if (wl == 0)
            continue;
        /* a word ended at `at`; skip URLs (word followed by "://") and @handles */
        int skip = (tok_start > 0 && (s[tok_start - 1] == '@' || s[tok_start - 1] == '#')) ||
                   (at + 3 <= n && memcmp(s + at, "://", 3) == 0);
        if (at + 3 <= n && memcmp(s + at, "://", 3) == 0) {
            while (i < n && s[i] != ' ' && s[i] != '\n' && s[i] != '\t')
                i++;
        }
        if (!skip) {
            simhash_add(acc, simhash_fnv1a(word, wl));
            nfeat++;
            if (pl > 0) {
                char pair[2 * SIMHASH_MAX_WORD + 1];
                memcpy(pair, prev, pl);
                pair[pl] = ' ';
                memcpy(pair + pl + 1, word, wl);
                simhash_add(acc, simhash_fnv1a(pair, pl + 1 + wl));
            }
            memcpy(prev, word, wl);
            pl = wl;
        }
        wl = 0;
    }
    if (nfeat == 0)
        return 0;
    uint64_t h = 0;
    for (int b = 0; b < 64; b++)
        if (acc[b] > 0)
            h |= 1ULL << b;
    return h;
}

int simhash_distance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }
