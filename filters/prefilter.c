/* prefilter.c — the literal prefilter: finds every occurrence of every rule literal in one
 * pass over the normalized text. Literals are bucketed by their first 1, 2, 3, 4, 6 or 8 bytes
 * (the most their length allows; 8 bytes are 4 Cyrillic letters, so buckets stay small) in
 * hash tables with a bitmap in front for quick rejection. At each character position, a table
 * indexed by the next two bytes says which key lengths can start there at all (for the long
 * ones, a second table by a hash of four bytes), so a position costs one or two L1 lookups
 * however many rules there are, and only the tables that may hold a literal are probed.
 * Literals of one bucket are compared 8 bytes at a time against the loaded text; a literal
 * several rules share is compared once. Literals that matter only at the start of a word (a
 * term's first word, which its regex opens with a no-word-character-before lookbehind; a
 * lexicon phrase's later words, which follow a separator) live in a group of their own that
 * is looked up only where the previous character is not a letter or digit: inside a word only
 * the few other literals are looked for. Built once per rule set. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "ruleset.h"

#define PF_MAX_LITERALS (1u << 22)
#define PF_BITS 16 /* quick-reject bitmap: 2^16 bits = 8 KiB */

typedef struct pf_lit {
    uint64_t head;     /* its first min(len, 8) bytes, as pf_key loads them */
    uint32_t off;
    uint32_t len : 30;
    uint32_t same : 1; /* the same bytes as the literal before it in the bucket */
    uint32_t ws : 1;   /* looked for at word starts only (group PF_WS) */
    int id;
} pf_lit_t;
typedef struct pf_slot { uint64_t key; uint32_t first, count; } pf_slot_t;

#define PF_NK 6
#define PF_K4 3 /* index of the 4-byte keys */
#define PF_LONG 0x80u /* in lm2: a literal of 4 bytes or more starts with these two bytes */
#define PF_LM4_BITS 14
static const size_t pf_klens[PF_NK] = {1, 2, 3, 4, 6, 8};

typedef struct pf_table {
    pf_slot_t *slots;      /* open addressing; count 0 = empty */
    uint32_t mask;
    size_t nkeys;
} pf_table_t;

/* The literals looked for anywhere (PF_ANY) or at word starts only (PF_WS). */
enum { PF_ANY = 0, PF_WS = 1, PF_NG = 2 };
typedef struct pf_group {
    pf_table_t t[PF_NK];   /* by key length pf_klens[] */
    size_t nlits;
    /* quick reject, one bitmap for every key length (up to 8 KiB: stays in L1 while the text
     * is scanned; a bitmap per length did not), sized to the group's keys */
    uint64_t *bits;
    unsigned shift;        /* 64 - log2(bits in the bitmap) */
    /* which key lengths to look up at a position, from its first two bytes (indexed directly,
     * 64 KiB, of which ordinary text touches a few lines): bit ki (ki < PF_K4) if a literal of
     * key length index ki starts with them (a 1-byte literal: with the first), PF_LONG if one
     * of 4 bytes or more does; 0: no literal of the group starts here */
    uint8_t *lm2;
    /* the same for the keys of 4, 6 and 8 bytes, from a hash of the first 4 bytes
     * (2^PF_LM4_BITS entries; a collision only costs a lookup) */
    uint8_t *lm4;
} pf_group_t;

struct bp_prefilter {
    char *pool;            /* literal bytes */
    size_t npool, cappool;
    pf_lit_t *lits;        /* sorted by (group, key length, key) after build */
    size_t nlits, caplits;
    pf_group_t g[PF_NG];
    uint64_t kmask[PF_NK]; /* the first k bytes of a loaded word, whatever the endianness */
    uint64_t lmask[9];     /* the same for every length 0..8 */
    int built;
};

bp_prefilter_t *bp_prefilter_new(void) { return calloc(1, sizeof(bp_prefilter_t)); }

void bp_prefilter_free(bp_prefilter_t *p)
{
    if (!p)
        return;
    for (int g = 0; g < PF_NG; g++) {
        for (int k = 0; k < PF_NK; k++)
            free(p->g[g].t[k].slots);
        free(p->g[g].bits);
        free(p->g[g].lm2);
        free(p->g[g].lm4);
    }
    free(p->pool);
    free(p->lits);
    free(p);
}

/* 1 if the character whose first byte is text[i] is surely a letter or a digit (ASCII,
 * Latin-1 and Latin Extended letters, Cyrillic letters); 0 if it is not or might not be: the
 * next position then counts as a word start, which costs a lookup, never a hit. ('_' counts
 * as a word start's neighbour: the regexes' word class has it, a lexicon term's separators
 * too.) */
static inline int pf_surely_alnum(const unsigned char *t, size_t i, size_t len)
{
    unsigned c = t[i];
    if (c < 0x80)
        return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    if (c < 0xC3 || c > 0xD4 || i + 1 >= len)
        return 0;
    unsigned cp = (c & 0x1F) << 6 | (t[i + 1] & 0x3F);
    if (cp <= 0x24F) /* Latin-1 letters, Latin Extended-A and -B */
        return cp >= 0xC0 && cp != 0xD7 && cp != 0xF7;
    return (cp >= 0x400 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x52F); /* Cyrillic */
}

static int pf_add(bp_prefilter_t *p, const char *lit, size_t len, int id, int ws)
{
    if (p->built || len == 0 || len > BP_RULES_MAX_TERM * 8 || p->nlits >= PF_MAX_LITERALS)
        return -1;
    if (bp_grow(&p->pool, &p->cappool, p->npool + len, 1, 4096, (size_t)-1) < 0 ||
        bp_grow(&p->lits, &p->caplits, p->nlits + 1, sizeof *p->lits, 256, PF_MAX_LITERALS) < 0)
        return -1;
    memcpy(p->pool + p->npool, lit, len);
    /* a literal opening with a character that is not surely a letter or digit is looked for
     * where such a character stands, which the scan does with the word starts */
    if (!pf_surely_alnum((const unsigned char *)lit, 0, len))
        ws = 1;
    p->lits[p->nlits++] = (pf_lit_t){0, (uint32_t)p->npool, (uint32_t)len, 0, ws != 0, id};
    p->npool += len;
    return 0;
}

int bp_prefilter_add(bp_prefilter_t *p, const char *lit, size_t len, int id)
{
    return pf_add(p, lit, len, id, 0);
}

int bp_prefilter_add_word_start(bp_prefilter_t *p, const char *lit, size_t len, int id)
{
    return pf_add(p, lit, len, id, 1);
}

static uint64_t pf_key(const char *s, size_t k)
{
    uint64_t v = 0;
    memcpy(&v, s, k);
    return v;
}

/* The bitmap bit of a key of key length index ki in a bitmap of 2^(64 - shift) bits. */
static inline uint32_t pf_hash(uint64_t key, int ki, unsigned shift)
{
    return (uint32_t)(((key + (uint64_t)ki) * 0x9E3779B97F4A7C15ull) >> shift);
}

static uint32_t pf_slot0(uint64_t key, uint32_t mask)
{
    return (uint32_t)((key * 0xC2B2AE3D27D4EB4Full) >> 32) & mask;
}

/* Index into pf_klens of the key length a literal of len bytes is filed under. */
static int pf_kidx(size_t len)
{
    int k = PF_NK - 1;
    while (pf_klens[k] > len)
        k--;
    return k;
}

static int pf_cmp(const void *a, const void *b, void *ctx)
{
    const bp_prefilter_t *p = ctx;
    const pf_lit_t *x = a, *y = b;
    if (x->ws != y->ws)
        return x->ws < y->ws ? -1 : 1;
    int kx = pf_kidx(x->len), ky = pf_kidx(y->len);
    if (kx != ky)
        return kx < ky ? -1 : 1;
    uint64_t a1 = pf_key(p->pool + x->off, pf_klens[kx]), b1 = pf_key(p->pool + y->off, pf_klens[ky]);
    if (a1 != b1)
        return a1 < b1 ? -1 : 1;
    /* the same literal's copies next to each other */
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    int c = memcmp(p->pool + x->off, p->pool + y->off, x->len);
    if (c)
        return c;
    return x->off < y->off ? -1 : x->off > y->off; /* stable: insertion order */
}

/* The lm2 index of a position whose first two bytes are b0, b1 (b1 = 0 at the text's end). */
static inline uint32_t pf_lead2(unsigned char b0, unsigned char b1)
{
    return (uint32_t)b0 | (uint32_t)b1 << 8;
}

/* Builds group g's tables and bitmaps from its literals p->lits[first, end) (sorted). */
static int pf_build_group(bp_prefilter_t *p, pf_group_t *g, size_t first, size_t end)
{
    g->nlits = end - first;
    if (!g->nlits)
        return 0;
    /* bitmaps of 16 bits per literal, 2^9 to 2^PF_BITS bits */
    unsigned lg = 9;
    while (lg < PF_BITS && ((size_t)1 << lg) < g->nlits * 16)
        lg++;
    g->shift = 64 - lg;
    g->bits = calloc(((size_t)1 << lg) / 64, sizeof *g->bits);
    g->lm2 = calloc(65536, 1);
    g->lm4 = calloc((size_t)1 << PF_LM4_BITS, 1);
    if (!g->bits || !g->lm2 || !g->lm4)
        return -1;
    size_t i = first;
    for (int ki = 0; ki < PF_NK; ki++) {
        pf_table_t *t = &g->t[ki];
        size_t k = pf_klens[ki], start = i, nkeys = 0;
        while (i < end && pf_kidx(p->lits[i].len) == ki) {
            if (i == start ||
                pf_key(p->pool + p->lits[i].off, k) != pf_key(p->pool + p->lits[i - 1].off, k))
                nkeys++;
            i++;
        }
        if (!nkeys)
            continue;
        size_t cap = 16;
        while (cap < nkeys * 2)
            cap *= 2;
        t->slots = calloc(cap, sizeof *t->slots);
        if (!t->slots)
            return -1;
        t->mask = (uint32_t)(cap - 1);
        t->nkeys = nkeys;
        for (size_t j = start; j < i;) {
            uint64_t key = pf_key(p->pool + p->lits[j].off, k);
            size_t e = j;
            while (e < i && pf_key(p->pool + p->lits[e].off, k) == key)
                e++;
            uint32_t h = pf_hash(key, ki, g->shift);
            g->bits[h / 64] |= 1ull << (h % 64);
            const unsigned char *kb = (const unsigned char *)(p->pool + p->lits[j].off);
            if (k >= 4) {
                g->lm2[pf_lead2(kb[0], kb[1])] |= PF_LONG;
                g->lm4[pf_hash(key & p->kmask[PF_K4], PF_NK, 64 - PF_LM4_BITS)] |= 1u << ki;
            } else {
                unsigned from = k >= 2 ? kb[1] : 0, to = k >= 2 ? kb[1] : 255;
                for (unsigned b2 = from; b2 <= to; b2++)
                    g->lm2[pf_lead2(kb[0], (unsigned char)b2)] |= 1u << ki;
            }
            uint32_t s = pf_slot0(key, t->mask);
            while (t->slots[s].count)
                s = (s + 1) & t->mask;
            t->slots[s] = (pf_slot_t){key, (uint32_t)j, (uint32_t)(e - j)};
            j = e;
        }
    }
    return 0;
}

int bp_prefilter_build(bp_prefilter_t *p)
{
    if (p->built)
        return 0;
    if (p->nlits)
        qsort_r(p->lits, p->nlits, sizeof *p->lits, pf_cmp, p);
    for (int ki = 0; ki < PF_NK; ki++) {
        p->kmask[ki] = 0;
        memset(&p->kmask[ki], 0xFF, pf_klens[ki]);
    }
    for (size_t k = 0; k <= 8; k++) {
        p->lmask[k] = 0;
        memset(&p->lmask[k], 0xFF, k);
    }
    size_t nany = 0;
    for (size_t j = 0; j < p->nlits; j++) {
        pf_lit_t *l = &p->lits[j];
        l->head = pf_key(p->pool + l->off, l->len < 8 ? l->len : 8);
        l->same = j > 0 && p->lits[j - 1].ws == l->ws && p->lits[j - 1].len == l->len &&
                  memcmp(p->pool + p->lits[j - 1].off, p->pool + l->off, l->len) == 0;
        nany += !l->ws;
    }
    if (pf_build_group(p, &p->g[PF_ANY], 0, nany) < 0 ||
        pf_build_group(p, &p->g[PF_WS], nany, p->nlits) < 0)
        return -1;
    p->built = 1;
    return 0;
}

/* Looks up every literal of group g that starts at text[i] (word: the next 8 bytes, avail
 * bytes left; m2: g->lm2 of the position, not 0). */
static inline __attribute__((always_inline)) void pf_probe(const bp_prefilter_t *p, const pf_group_t *g, const char *text,
                            size_t i, uint64_t word, size_t avail, unsigned m2, bp_prefilter_cb cb,
                            void *ctx)
{
    unsigned m = m2 & ((1u << PF_K4) - 1);
    if ((m2 & PF_LONG) && avail >= 4)
        m |= g->lm4[pf_hash(word & p->kmask[PF_K4], PF_NK, 64 - PF_LM4_BITS)];
    while (m) {
        int ki = __builtin_ctz(m);
        m &= m - 1;
        const pf_table_t *t = &g->t[ki];
        size_t k = pf_klens[ki];
        if (k > avail)
            break;
        uint64_t key = word & p->kmask[ki];
        uint32_t h = pf_hash(key, ki, g->shift);
        if (!(g->bits[h / 64] & (1ull << (h % 64))))
            continue;
        uint32_t s = pf_slot0(key, t->mask);
        while (t->slots[s].count && t->slots[s].key != key)
            s = (s + 1) & t->mask;
        if (!t->slots[s].count)
            continue;
        int found = 0;
        for (uint32_t j = t->slots[s].first, end = j + t->slots[s].count; j < end; j++) {
            const pf_lit_t *l = &p->lits[j];
            if (!l->same) /* a copy shares the verdict of the literal before it */
                found = l->len <= avail &&
                        (word & p->lmask[l->len < 8 ? l->len : 8]) == l->head &&
                        (l->len <= 8 || memcmp(text + i + 8, p->pool + l->off + 8, l->len - 8) == 0);
            if (found)
                cb(ctx, l->id, i);
        }
    }
}

void bp_prefilter_scan(const bp_prefilter_t *p, const char *text, size_t len, bp_prefilter_cb cb,
                       void *ctx)
{
    if (!p || !p->built || p->nlits == 0)
        return;
    const unsigned char *u = (const unsigned char *)text;
    const pf_group_t *any = p->g[PF_ANY].nlits ? &p->g[PF_ANY] : NULL;
    const pf_group_t *ws = p->g[PF_WS].nlits ? &p->g[PF_WS] : NULL;
    int inword = 0; /* the previous character is surely a letter or digit */
    /* character by character (literals are UTF-8: they start at a character) */
    for (size_t i = 0, step; i < len; i += step) {
        unsigned b = u[i];
        int alnum;
        if (b < 0x80) {
            step = 1;
            alnum = (b - '0' < 10u) || ((b | 0x20) - 'a' < 26u);
        } else if ((b == 0xD0 || b == 0xD1) && i + 1 < len) {
            step = 2; /* U+0400 to U+047F: Cyrillic letters, the usual case inline */
            alnum = 1;
        } else {
            step = b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
            alnum = pf_surely_alnum(u, i, len);
        }
        /* word starts, and every character not surely a letter or digit */
        int start = !inword || !alnum;
        inword = alnum;
        /* a group is probed only where some literal of it starts with these two bytes */
        uint32_t l2 = pf_lead2((unsigned char)b, i + 1 < len ? u[i + 1] : 0);
        unsigned pany = any ? any->lm2[l2] : 0;
        unsigned pws = start && ws ? ws->lm2[l2] : 0;
        if (!pany && !pws)
            continue;
        /* the next 8 bytes in one load (zero-padded at the end of the text); each key length
         * is a mask of it */
        uint64_t word = 0;
        size_t avail = len - i;
        if (avail >= 8)
            memcpy(&word, text + i, 8);
        else
            memcpy(&word, text + i, avail);
        if (pany)
            pf_probe(p, any, text, i, word, avail, pany, cb, ctx);
        if (pws)
            pf_probe(p, ws, text, i, word, avail, pws, cb, ctx);
    }
}

size_t bp_prefilter_size(const bp_prefilter_t *p) { return p ? p->nlits : 0; }
