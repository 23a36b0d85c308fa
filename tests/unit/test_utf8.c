/* test_utf8.c — bp_utf8_check against a byte-at-a-time reference: the same offset for every
 * input, with invalid sequences at every position relative to the 8- and 16-byte blocks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "utf8.h"

/* The reference: one sequence at a time, the rules of utf8.h (no overlongs, no surrogates,
 * nothing past U+10FFFF). Returns the offset of the first invalid sequence, or n. */
static size_t ref_check(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        uint32_t v, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2, v = c & 0x1F, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3, v = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4, v = c & 0x07, min = 0x10000;
        } else {
            return i;
        }
        if (i + len > n)
            return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            v = (v << 6) | (s[i + k] & 0x3F);
        }
        if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            return i;
        i += len;
    }
    return n;
}

/* Checks bp_utf8_check on s[0..n) in a heap buffer exactly n bytes long (ASan catches any
 * read past it) against the reference. Returns 1 if they agree. */
static int agree(const char *s, size_t n)
{
    char *b = malloc(n ? n : 1);
    if (!b)
        return 0;
    memcpy(b, s, n);
    size_t got = bp_utf8_check(b, n), want = ref_check((const unsigned char *)b, n);
    free(b);
    if (got != want) {
        fprintf(stderr, "    bp_utf8_check = %zu, reference %zu, on %zu bytes:", got, want, n);
        for (size_t i = 0; i < n && i < 80; i++)
            fprintf(stderr, " %02x", (unsigned char)s[i]);
        fprintf(stderr, "\n");
        return 0;
    }
    return 1;
}

static uint64_t rng = 0x2545F4914F6CDD1DULL;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* Valid pieces (the background) and troublesome ones (valid or not) to drop into it. */
static const char *const valid_pieces[] = {
    "a", " ", "z", "0", "\"", "\\", "\x01", "\x7f", "\0", "б", "я", "ж", "Ї", "é", "ß", "ω",
    "\xc2\x80", "\xdf\xbf", "€", "☺", "\xe0\xa0\x80", "\xef\xbf\xbf", "\xed\x9f\xbf",
    "\xee\x80\x80", "😀", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "𝄞", "привет", "hello "};
static const char *const odd_pieces[] = {
    "\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc2", "\xdf", "\xd0\xd0", "\xd0\x41", "\xd0\xc0",
    "\xe0\x80\x80", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xe2\x82", "\xe2",
    "\xe2\x28\xa1", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
    "\xf0\x9f\x98", "\xf0\x9f", "\xf0", "\xf8\x88\x80\x80\x80", "\xfc", "\xfe", "\xff",
    "\xd0\xb0\x80", "\x80\xd0\xb0", "\xe2\x82\xac\xac", "\xc2\xc2\x80"};

#define NELEM(a) (sizeof(a) / sizeof *(a))

TEST(known_offsets)
{
    CHECK_INT(bp_utf8_check("", 0), 0);
    CHECK_INT(bp_utf8_check("abc", 3), 3);
    CHECK_INT(bp_utf8_check("\0\0", 2), 2);
    const char cyr[] = "Приватбанк не работает, кошмар";
    CHECK_INT(bp_utf8_check(cyr, strlen(cyr)), strlen(cyr));
    /* a lead byte as the last byte of a 16-byte block, its continuation in the next */
    const char cut[] = "aaaaaaaaaaaaaaa\xd0\xb0" "bbbbbbbbbbbbbbbbbbbb";
    CHECK_INT(bp_utf8_check(cut, strlen(cut)), strlen(cut));
    const char cut_bad[] = "aaaaaaaaaaaaaaa\xd0" "bbbbbbbbbbbbbbbbbbbb";
    CHECK_INT(bp_utf8_check(cut_bad, strlen(cut_bad)), 15);
    const char end_lead[] = "жжжжжжжжжжжжжжжжжжжж\xd0";
    CHECK_INT(bp_utf8_check(end_lead, strlen(end_lead)), strlen(end_lead) - 1);
    const char stray[] = "жжжжжжжж\x80жжжж";
    CHECK_INT(bp_utf8_check(stray, strlen(stray)), 16);
}

TEST(every_piece_at_every_offset)
{
    /* backgrounds: ASCII, Cyrillic (2-byte pairs, both alignments), and a mix */
    static const char *const bg[] = {"abcdefgh", "жжжж", "a" "жжжж", "ж ж ", "😀ж"};
    int bad = 0, n = 0;
    char buf[256];
    for (size_t g = 0; g < NELEM(bg); g++)
        for (int which = 0; which < 2; which++) {
            const char *const *pieces = which ? odd_pieces : valid_pieces;
            size_t npieces = which ? NELEM(odd_pieces) : NELEM(valid_pieces);
            for (size_t pi = 0; pi < npieces; pi++) {
                const char *piece = pieces[pi];
                size_t pl = strlen(piece) ? strlen(piece) : 1; /* "\0" is one NUL byte */
                for (size_t pre = 0; pre < 40; pre++)
                    for (size_t post = 0; post < 20; post += 3) {
                        size_t len = 0;
                        /* pre bytes of background (it may end inside a character) */
                        for (; len < pre; len++)
                            buf[len] = bg[g][len % strlen(bg[g])];
                        memcpy(buf + len, piece, pl);
                        len += pl;
                        for (size_t k = 0; k < post; k++)
                            buf[len++] = bg[g][k % strlen(bg[g])];
                        n++;
                        bad += !agree(buf, len);
                        if (bad > 10)
                            goto out;
                    }
            }
        }
out:
    printf("     utf8 pieces at every offset: %d inputs\n", n);
    CHECK_INT(bad, 0);
}

TEST(random_and_mutated_inputs)
{
    int bad = 0, valid = 0;
    char buf[512];
    for (int round = 0; round < 60000 && bad <= 10; round++) {
        size_t len = 0, want = 1 + rnd(round % 3 ? 64 : 400);
        while (len < want) {
            const char *p = rnd(20) ? valid_pieces[rnd(NELEM(valid_pieces))]
                                    : odd_pieces[rnd(NELEM(odd_pieces))];
            size_t pl = strlen(p) ? strlen(p) : 1;
            if (len + pl > sizeof buf - 8)
                break;
            memcpy(buf + len, p, pl);
            len += pl;
        }
        /* byte-level mutations */
        for (int m = rnd(4); m > 0 && len > 0; m--) {
            size_t at = rnd((unsigned)len);
            switch (rnd(4)) {
            case 0: buf[at] = (char)rnd(256); break;
            case 1: buf[at] = (char)(buf[at] ^ (1 << rnd(8))); break;
            case 2: len = at; break;
            default: buf[at] = (char)(0x80 | rnd(64)); break;
            }
        }
        /* and every suffix start and prefix length of it now and then */
        valid += ref_check((const unsigned char *)buf, len) == len;
        bad += !agree(buf, len);
        if (round % 50 == 0)
            for (size_t a = 0; a < len && a < 20; a++)
                for (size_t b = len; b > a && b + 20 > len; b--)
                    bad += !agree(buf + a, b - a);
    }
    printf("     utf8 random: %d valid of 60000\n", valid);
    CHECK_INT(bad, 0);
    CHECK(valid > 10000 && valid < 50000);
}

TEST(every_byte_pair_and_triple_in_a_block)
{
    /* all two-byte values at the end of 15 ASCII or 14 Cyrillic bytes (the block's edge) and
     * in the middle of a block */
    int bad = 0;
    char buf[64];
    for (int pos = 13; pos <= 17 && bad <= 10; pos++)
        for (int a = 0x80; a < 0x100 && bad <= 10; a++)
            for (int b = 0; b < 0x100 && bad <= 10; b++) {
                for (int i = 0; i < pos; i++)
                    buf[i] = 'a';
                buf[pos] = (char)a;
                buf[pos + 1] = (char)b;
                memcpy(buf + pos + 2, "\xd0\xb0\xd0\xb0xxxxxxxxxxxxxxxxxxxx", 24);
                bad += !agree(buf, (size_t)pos + 2 + 24);
                bad += !agree(buf, (size_t)pos + 2);
                bad += !agree(buf, (size_t)pos + 1);
            }
    for (int a = 0xE0; a < 0xF8 && bad <= 10; a++)
        for (int b = 0x70; b < 0xD0 && bad <= 10; b++)
            for (int c = 0x70; c < 0xD0 && bad <= 10; c += 7) {
                memcpy(buf, "\xd0\xb0\xd0\xb0\xd0\xb0\xd0\xb0\xd0\xb0\xd0\xb0", 12);
                buf[12] = (char)a, buf[13] = (char)b, buf[14] = (char)c, buf[15] = (char)0x80;
                memcpy(buf + 16, "\xd1\x8f\xd1\x8f\xd1\x8f\xd1\x8f\xd1\x8f zzzzzz", 17);
                bad += !agree(buf, 33);
                bad += !agree(buf + 1, 32);
            }
    CHECK_INT(bad, 0);
}

int main(void)
{
    RUN(known_offsets);
    RUN(every_piece_at_every_offset);
    RUN(random_and_mutated_inputs);
    RUN(every_byte_pair_and_triple_in_a_block);
    return test_summary();
}
