/* prefilter.c — the literal prefilter: finds every occurrence of every rule literal in one
 * pass over the normalized text. Literals are bucketed by their first 1, 2, 3, 4, 6 or 8 bytes
 * (the most their length allows; 8 bytes are 4 Cyrillic letters, so buckets stay small) in
 * hash tables. At each character position, a table indexed by the next two bytes says which
 * key lengths can start there at all (for the long ones, a second table by a hash of four
 * bytes), so a position costs one or two L1 lookups however many rules there are, and only
 * the tables that may hold a literal are probed (a bitmap in front of them rejected too few
 * lookups to pay: most of the ones left find their key).
 * A bucket holds each distinct literal once, with the ids of every rule that wants it; one
 * is compared by its first and its last 8 bytes against the text (a memcmp only for the
 * middle of literals over 16 bytes).
 * Literals that matter only at the start of a word (a term's first word, which its regex
 * opens with a no-word-character-before lookbehind; a lexicon phrase's later words, which
 * follow a separator) live in a group of their own that is looked up only where the previous
 * character is not a letter or digit: inside a word only the few other literals are looked
 * for. Built once per rule set.
 *
 * The scan classifies 64 bytes at a time with SSE2 (character starts, letters and digits,
 * word starts, spaces) into bit masks and visits only the character starts that are not
 * spaces (when no literal starts with a space); inside words, where only the few literals
 * looked for anywhere can start, only the positions an AVX2 filter of their next 4 bytes lets
 * through (when the CPU has AVX2). It first notes the positions worth a lookup (a tight loop
 * without calls or unpredictable branches), then looks those up, and reports its hits from a
 * buffer a few blocks at a time, in order. Where the bytes are not well-formed UTF-8 the scan
 * goes on character by character as the lead bytes say (pf_walk, also the whole scan without
 * SSE2), so the positions and the order of the hits are the same whatever the text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PF_TEDDY 1 /* the AVX2 filter of positions inside words, where the CPU has AVX2 */
#endif

#include "grow.h"
#include "ruleset.h"

#define PF_MAX_LITERALS (1u << 22)

/* A literal as added (sorted at build time into its bucket's order). */
typedef struct pf_lit {
    uint32_t off;
    uint32_t len : 31;
    uint32_t ws : 1;   /* looked for at word starts only (group PF_WS) */
    int id;
} pf_lit_t;

/* One distinct literal of a bucket and the ids it reports (p->ids[ids .. ids + nids)). */
typedef struct pf_ent {
    uint64_t head;  /* its first min(len, 8) bytes, as pf_key loads them */
    uint64_t hmask; /* the mask of those bytes in a loaded word */
    uint64_t tail;  /* len > 8: its last 8 bytes */
    uint32_t len, off;
    uint32_t ids, nids;
} pf_ent_t;
/* A bucket: its literals are the bytes [from, to) of p->ents (offsets, not indexes: the scan
 * adds them without a multiply). */
typedef struct pf_slot { uint64_t key; uint32_t from, to; } pf_slot_t;

#define PF_NK 6
#define PF_K4 3 /* index of the 4-byte keys */
#define PF_LONG 0x80u /* in lm: a literal of 4 bytes or more starts with these two bytes */
#define PF_LM4_BITS 14
static const size_t pf_klens[PF_NK] = {1, 2, 3, 4, 6, 8};

typedef struct pf_table {
    pf_slot_t *slots;      /* open addressing; to 0 = empty */
    uint32_t mask;
    unsigned shift;        /* 64 - log2(slots) */
    size_t nkeys;
} pf_table_t;

/* The literals looked for anywhere (PF_ANY) or at word starts only (PF_WS). */
enum { PF_ANY = 0, PF_WS = 1, PF_NG = 2 };
typedef struct pf_group {
    pf_table_t t[PF_NK];   /* by key length pf_klens[] */
    size_t nents;
    /* the keys of 4, 6 and 8 bytes (bit ki) that may start with the 4 bytes of a position,
     * by a hash of them (2^PF_LM4_BITS entries; a collision only costs a lookup) */
    uint8_t *lm4;
} pf_group_t;

struct bp_prefilter {
    char *pool;            /* literal bytes */
    size_t npool, cappool;
    pf_lit_t *lits;        /* as added; freed by the build */
    size_t nlits, caplits;
    pf_ent_t *ents;        /* distinct literals, by (group, key length, key, length, bytes) */
    int *ids;              /* the ids of each, in the order they were added */
    pf_group_t g[PF_NG];
    /* which key lengths to look up at a position, from its first two bytes (indexed directly
     * by pf_lead2; 128 KiB, of which ordinary text touches a few lines): the low byte for
     * group PF_ANY, the high byte for PF_WS; in each, bit ki (ki < PF_K4) if a literal of key
     * length index ki starts with them (a 1-byte literal: with the first), PF_LONG if one of
     * 4 bytes or more does; 0: no literal starts here */
    uint16_t *lm;
    int skip_space;        /* no literal starts with ' ': the scan does not visit spaces */
    /* inside words only group PF_ANY is looked for: a position there is visited only if its
     * next 4 bytes may start one of its literals (inword 1: by the tables below; 0: group
     * PF_ANY is empty, none is; -1: every one is, as lm and lm4 say) */
    int inword;
    /* the literals of group PF_ANY in 8 buckets (bit b: bucket b); the 4 bytes of a position
     * may start one of bucket b if for each byte k of them bit b is set in tlo[k][its low 4
     * bits] and thi[k][its high 4 bits] (each table twice, for the two halves of an AVX2
     * register) */
    uint8_t tlo[4][32], thi[4][32];
    /* most distinct literals that can start at one position (of one group, every one has
     * another length): the room the scan's hit buffer keeps before each position */
    size_t maxhere;
    uint64_t kmask[PF_NK]; /* the first k bytes of a loaded word, whatever the endianness */
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
        free(p->g[g].lm4);
    }
    free(p->lm);
    free(p->pool);
    free(p->lits);
    free(p->ents);
    free(p->ids);
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
    p->lits[p->nlits++] = (pf_lit_t){(uint32_t)p->npool, (uint32_t)len, ws != 0, id};
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

/* The lm4 index of 4 bytes (ki: PF_NK), in a table of 2^(64 - shift) entries. */
static inline uint32_t pf_hash(uint64_t key, int ki, unsigned shift)
{
    return (uint32_t)(((key + (uint64_t)ki) * 0x9E3779B97F4A7C15ull) >> shift);
}

/* The first slot of key in a table of 2^(64 - shift) slots: the top bits of the product, which
 * every byte of the key reaches (the middle ones missed the last bytes: keys that differ only
 * in their fourth letter fell on one chain). */
static inline uint32_t pf_slot0(uint64_t key, unsigned shift)
{
    return (uint32_t)((key * 0xC2B2AE3D27D4EB4Full) >> shift);
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

/* The lm index of a position whose first two bytes are b0, b1 (b1 = 0 at the text's end). */
static inline uint32_t pf_lead2(unsigned char b0, unsigned char b1)
{
    return (uint32_t)b0 | (uint32_t)b1 << 8;
}

/* Builds group gi's tables from its distinct literals p->ents[first, end), and
 * its half of p->lm. */
static int pf_build_group(bp_prefilter_t *p, int gi, size_t first, size_t end)
{
    pf_group_t *g = &p->g[gi];
    unsigned lmshift = gi == PF_ANY ? 0 : 8;
    g->nents = end - first;
    g->lm4 = calloc((size_t)1 << PF_LM4_BITS, 1); /* (the scan reads it even for none) */
    if (!g->lm4)
        return -1;
    if (!g->nents)
        return 0;
    const pf_ent_t *ents = p->ents;
    size_t i = first;
    for (int ki = 0; ki < PF_NK; ki++) {
        pf_table_t *t = &g->t[ki];
        size_t k = pf_klens[ki], start = i, nkeys = 0;
        while (i < end && pf_kidx(ents[i].len) == ki) {
            if (i == start ||
                pf_key(p->pool + ents[i].off, k) != pf_key(p->pool + ents[i - 1].off, k))
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
        t->shift = 64 - (unsigned)__builtin_ctzll(cap);
        t->nkeys = nkeys;
        for (size_t j = start; j < i;) {
            uint64_t key = pf_key(p->pool + ents[j].off, k);
            size_t e = j;
            while (e < i && pf_key(p->pool + ents[e].off, k) == key)
                e++;
            const unsigned char *kb = (const unsigned char *)(p->pool + ents[j].off);
            if (k >= 4) {
                p->lm[pf_lead2(kb[0], kb[1])] |= (uint16_t)(PF_LONG << lmshift);
                g->lm4[pf_hash(key & p->kmask[PF_K4], PF_NK, 64 - PF_LM4_BITS)] |= 1u << ki;
            } else {
                unsigned from = k >= 2 ? kb[1] : 0, to = k >= 2 ? kb[1] : 255;
                for (unsigned b2 = from; b2 <= to; b2++)
                    p->lm[pf_lead2(kb[0], (unsigned char)b2)] |= (uint16_t)((1u << ki) << lmshift);
            }
            uint32_t s = pf_slot0(key, t->shift);
            while (t->slots[s].to)
                s = (s + 1) & t->mask;
            t->slots[s] = (pf_slot_t){key, (uint32_t)(j * sizeof *ents),
                                      (uint32_t)(e * sizeof *ents)};
            j = e;
        }
    }
    return 0;
}

/* Sorts the literals into their buckets' order and keeps each distinct one once (p->ents),
 * with the ids of its copies (p->ids). Returns how many are looked for anywhere (the first
 * ones), or -1 (no memory). */
static long pf_build_ents(bp_prefilter_t *p, size_t *nents)
{
    if (p->nlits)
        qsort_r(p->lits, p->nlits, sizeof *p->lits, pf_cmp, p);
    p->ents = malloc((p->nlits + 1) * sizeof *p->ents);
    p->ids = malloc((p->nlits + 1) * sizeof *p->ids);
    if (!p->ents || !p->ids)
        return -1;
    size_t n = 0, nany = 0;
    for (size_t j = 0; j < p->nlits; j++) {
        const pf_lit_t *l = &p->lits[j];
        p->ids[j] = l->id;
        if (j > 0 && p->lits[j - 1].ws == l->ws && p->lits[j - 1].len == l->len &&
            memcmp(p->pool + p->lits[j - 1].off, p->pool + l->off, l->len) == 0) {
            p->ents[n - 1].nids++; /* a copy: one more id for the same literal */
            continue;
        }
        size_t h = l->len < 8 ? l->len : 8;
        pf_ent_t *e = &p->ents[n++];
        *e = (pf_ent_t){pf_key(p->pool + l->off, h), 0, 0, l->len, l->off, (uint32_t)j, 1};
        memset(&e->hmask, 0xFF, h);
        if (l->len > 8)
            e->tail = pf_key(p->pool + l->off + l->len - 8, 8);
        nany += !l->ws;
    }
    *nents = n;
    return (long)nany;
}

static int pf_prefix_cmp(const void *a, const void *b) { return memcmp(a, b, 5); }

/* The filter of positions inside words (p->inword) from the nany distinct literals of group
 * PF_ANY: their first (up to) 4 bytes, sorted, in 8 buckets of neighbours (which share their
 * bytes, so a bucket accepts few others); a literal shorter than 4 bytes accepts any byte
 * after its end. */
static void pf_build_inword(bp_prefilter_t *p, size_t nany)
{
    p->inword = nany ? -1 : 0;
#ifdef PF_TEDDY
    /* (beyond 64 literals, the buckets would let most positions through: no filter) */
    if (!nany || nany > 64 || !__builtin_cpu_supports("avx2"))
        return;
    unsigned char (*pre)[5] = malloc(nany * sizeof *pre); /* 4 bytes, then the length */
    if (!pre)
        return; /* (no filter: every position looked up) */
    for (size_t j = 0; j < nany; j++) {
        size_t n = p->ents[j].len < 4 ? p->ents[j].len : 4;
        memset(pre[j], 0, 5);
        memcpy(pre[j], p->pool + p->ents[j].off, n);
        pre[j][4] = (unsigned char)n;
    }
    qsort(pre, nany, sizeof *pre, pf_prefix_cmp);
    memset(p->tlo, 0, sizeof p->tlo);
    memset(p->thi, 0, sizeof p->thi);
    for (size_t j = 0; j < nany; j++) {
        unsigned bit = 1u << (j * 8 / nany);
        for (unsigned k = 0; k < 4; k++)
            for (unsigned h = 0; h < 32; h++) {
                if (k >= pre[j][4] || h % 16 == (pre[j][k] & 15u))
                    p->tlo[k][h] |= (uint8_t)bit;
                if (k >= pre[j][4] || h % 16 == (pre[j][k] >> 4))
                    p->thi[k][h] |= (uint8_t)bit;
            }
    }
    free(pre);
    p->inword = 1;
#endif
}

int bp_prefilter_build(bp_prefilter_t *p)
{
    if (p->built)
        return 0;
    for (int ki = 0; ki < PF_NK; ki++) {
        p->kmask[ki] = 0;
        memset(&p->kmask[ki], 0xFF, pf_klens[ki]);
    }
    size_t nents = 0;
    long nany = pf_build_ents(p, &nents);
    p->lm = calloc(65536, sizeof *p->lm);
    if (nany < 0 || !p->lm || pf_build_group(p, PF_ANY, 0, (size_t)nany) < 0 ||
        pf_build_group(p, PF_WS, (size_t)nany, nents) < 0)
        return -1;
    /* distinct lengths of each group (ents are by group, then key length, then length) */
    p->maxhere = 0;
    for (int g = 0; g < PF_NG; g++) {
        size_t from = g == PF_ANY ? 0 : (size_t)nany, to = g == PF_ANY ? (size_t)nany : nents;
        unsigned char seen[BP_RULES_MAX_TERM * 8 + 1] = {0};
        for (size_t j = from; j < to; j++) {
            p->maxhere += !seen[p->ents[j].len];
            seen[p->ents[j].len] = 1;
        }
    }
    pf_build_inword(p, (size_t)nany);
    p->skip_space = 1;
    for (unsigned b1 = 0; b1 < 256; b1++)
        if (p->lm[pf_lead2(' ', (unsigned char)b1)])
            p->skip_space = 0;
    free(p->lits);
    p->lits = NULL;
    p->caplits = 0;
    p->built = 1;
    return 0;
}

static inline uint64_t pf_load8(const void *s)
{
    uint64_t v;
    memcpy(&v, s, 8);
    return v;
}

/* A literal the block scan found (p->ents[ent] at text[pos]): the scan keeps calling back out
 * of its loops, and reports the hits of a few blocks at once, in order. */
typedef struct pf_hit { size_t pos; const pf_ent_t *ent; } pf_hit_t;
#define PF_HITS 128

/* Looks up every literal of group g that starts at text[i] (word: the next 8 bytes, zero
 * beyond the text's end; avail bytes left; kavail: avail, or SIZE_MAX where avail is known to
 * be over 8, so that the key lengths need no check; m2: the group's byte of p->lm, not 0, or
 * the key lengths to look up (bit ki) if its lm4 was consulted already); appends the ones
 * there to hits (*nh of them, room for p->maxhere more), or calls back their ids if hits is
 * NULL. */
static inline __attribute__((always_inline)) void
pf_probe(const bp_prefilter_t *p, const pf_group_t *g, const char *text, size_t i, uint64_t word,
         size_t avail, size_t kavail, unsigned m2, bp_prefilter_cb cb, void *ctx, pf_hit_t *hits,
         size_t *nh)
{
    unsigned m = m2 & ~PF_LONG; /* (m2 from pf_visit_block: its long keys told already) */
    if ((m2 & PF_LONG) && kavail >= 4)
        m |= g->lm4[pf_hash(word & p->kmask[PF_K4], PF_NK, 64 - PF_LM4_BITS)];
    while (m) {
        int ki = __builtin_ctz(m);
        m &= m - 1;
        const pf_table_t *t = &g->t[ki];
        if (pf_klens[ki] > kavail)
            break;
        uint64_t key = word & p->kmask[ki];
        uint32_t s = pf_slot0(key, t->shift);
        while (t->slots[s].to && t->slots[s].key != key)
            s = (s + 1) & t->mask;
        if (!t->slots[s].to)
            continue;
        /* by length: the ones too long for the rest of the text come last */
        const char *ents = (const char *)p->ents;
        for (const pf_ent_t *e = (const pf_ent_t *)(ents + t->slots[s].from),
                            *end = (const pf_ent_t *)(ents + t->slots[s].to);
             e < end && e->len <= avail; e++) {
            if ((word & e->hmask) != e->head)
                continue;
            if (e->len > 8 &&
                (pf_load8(text + i + e->len - 8) != e->tail ||
                 (e->len > 16 && memcmp(text + i + 8, p->pool + e->off + 8, e->len - 16) != 0)))
                continue;
            if (hits)
                hits[(*nh)++] = (pf_hit_t){i, e};
            else
                for (const int *id = p->ids + e->ids, *idend = id + e->nids; id < idend; id++)
                    cb(ctx, *id, i);
        }
    }
}

/* Looks up both groups at text[i]: m is p->lm of the position, its high byte (PF_WS) already
 * cleared where it is no word start; s points at text[i] or at a zero-padded copy of it;
 * full: more than 8 bytes are left. */
static inline __attribute__((always_inline)) void
pf_visit(const bp_prefilter_t *p, const char *text, size_t len, size_t i, const unsigned char *s,
         int full, unsigned m, bp_prefilter_cb cb, void *ctx, pf_hit_t *hits, size_t *nh)
{
    uint64_t word = pf_load8(s);
    size_t kavail = full ? SIZE_MAX : len - i;
    if (m & 0xFF)
        pf_probe(p, &p->g[PF_ANY], text, i, word, len - i, kavail, m & 0xFF, cb, ctx, hits, nh);
    if (m >> 8)
        pf_probe(p, &p->g[PF_WS], text, i, word, len - i, kavail, m >> 8, cb, ctx, hits, nh);
}

/* The lm entry of the two bytes at s. */
static inline unsigned pf_lm(const uint16_t *lm, const unsigned char *s)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint16_t l2;
    memcpy(&l2, s, 2);
    return lm[l2];
#else
    return lm[pf_lead2(s[0], s[1])];
#endif
}

/* The scan character by character from text[i] (a character's first byte as the lead bytes
 * step; inword: the character before is surely a letter or digit), to the end. */
static void pf_walk(const bp_prefilter_t *p, const char *text, size_t len, size_t i, int inword,
                    bp_prefilter_cb cb, void *ctx)
{
    const unsigned char *u = (const unsigned char *)text;
    for (size_t step; i < len; i += step) {
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
        unsigned m = p->lm[pf_lead2((unsigned char)b, i + 1 < len ? u[i + 1] : 0)];
        if (!start)
            m &= 0xFF;
        if (!m)
            continue;
        if (len - i >= 8) {
            pf_visit(p, text, len, i, u + i, 0, m, cb, ctx, NULL, NULL);
        } else {
            unsigned char w[8] = {0};
            memcpy(w, u + i, len - i);
            pf_visit(p, text, len, i, w, 0, m, cb, ctx, NULL, NULL);
        }
    }
}

#ifdef __SSE2__
/* Calls back every id of each of the n hits h, in order. */
static void pf_flush(const bp_prefilter_t *p, const pf_hit_t *h, size_t n, bp_prefilter_cb cb,
                     void *ctx)
{
    for (const pf_hit_t *end = h + n; h < end; h++) {
        const pf_ent_t *e = h->ent;
        for (const int *id = p->ids + e->ids, *idend = id + e->nids; id < idend; id++)
            cb(ctx, *id, h->pos);
    }
}

/* The masks of 64 bytes the scan needs (bit j for byte j). */
typedef struct pf_masks {
    uint64_t cont;  /* continuation bytes 0x80..0xBF */
    uint64_t lead;  /* lead bytes 0xC0..0xFF */
    uint64_t lead3; /* lead bytes 0xE0..0xFF (characters of three or four bytes) */
    uint64_t alnum; /* ASCII letters and digits, 0xD0 and 0xD1 (Cyrillic letters) */
    uint64_t space;
} pf_masks_t;

static inline void pf_class64(const unsigned char *s, pf_masks_t *k)
{
    const __m128i c0 = _mm_set1_epi8((char)0xC0), cdf = _mm_set1_epi8((char)0xDF);
    const __m128i d0 = _mm_set1_epi8((char)0xD0), fe = _mm_set1_epi8((char)0xFE);
    const __m128i x20 = _mm_set1_epi8(0x20), sp = _mm_set1_epi8(' ');
    /* a byte range [lo, lo + n) is "x + (0x80 - lo) < -128 + n" in signed bytes */
    const __m128i dig = _mm_set1_epi8((char)(0x80 - '0')), dign = _mm_set1_epi8((char)(-128 + 10));
    const __m128i let = _mm_set1_epi8((char)(0x80 - 'a')), letn = _mm_set1_epi8((char)(-128 + 26));
    uint64_t cont = 0, hi = 0, ge_e0 = 0, alnum = 0, space = 0;
    for (int q = 0; q < 4; q++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + 16 * q));
        __m128i an = _mm_or_si128(
            _mm_or_si128(_mm_cmplt_epi8(_mm_add_epi8(v, dig), dign),
                         _mm_cmplt_epi8(_mm_add_epi8(_mm_or_si128(v, x20), let), letn)),
            _mm_cmpeq_epi8(_mm_and_si128(v, fe), d0));
        cont |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmplt_epi8(v, c0)) << (16 * q);
        hi |= (uint64_t)(uint16_t)_mm_movemask_epi8(v) << (16 * q);
        ge_e0 |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpgt_epi8(v, cdf)) << (16 * q);
        alnum |= (uint64_t)(uint16_t)_mm_movemask_epi8(an) << (16 * q);
        space |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sp)) << (16 * q);
    }
    k->cont = cont;
    k->lead = hi & ~cont;
    k->lead3 = ge_e0 & hi;
    k->alnum = alnum;
    k->space = space;
}

/* The lead bytes 0xF0..0xFF of 64 bytes (characters of four bytes). */
static inline uint64_t pf_lead4_64(const unsigned char *s)
{
    const __m128i cef = _mm_set1_epi8((char)0xEF);
    uint64_t m = 0;
    for (int q = 0; q < 4; q++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + 16 * q));
        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(
                 _mm_and_si128(_mm_cmpgt_epi8(v, cef), _mm_cmplt_epi8(v, _mm_setzero_si128())))
             << (16 * q);
    }
    return m;
}

#ifdef PF_TEDDY
/* The positions among the 64 at s (readable 3 bytes further) whose next 4 bytes may start a
 * literal of group PF_ANY, by p->tlo and p->thi (bit j for s + j). */
__attribute__((target("avx2"))) static uint64_t pf_inword64(const bp_prefilter_t *p,
                                                             const unsigned char *s)
{
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    uint64_t m = 0;
    for (int h = 0; h < 2; h++) {
        __m256i acc = _mm256_set1_epi8(-1);
        for (int k = 0; k < 4; k++) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(s + 32 * h + k));
            __m256i lo = _mm256_and_si256(v, low4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
            __m256i tl = _mm256_loadu_si256((const __m256i *)p->tlo[k]);
            __m256i th = _mm256_loadu_si256((const __m256i *)p->thi[k]);
            acc = _mm256_and_si256(acc, _mm256_and_si256(_mm256_shuffle_epi8(tl, lo),
                                                         _mm256_shuffle_epi8(th, hi)));
        }
        __m256i zero = _mm256_cmpeq_epi8(acc, _mm256_setzero_si256());
        uint32_t none = (uint32_t)_mm256_movemask_epi8(zero);
        m |= (uint64_t)~none << (32 * h);
    }
    return m;
}
#endif

/* The positions among the 64 at s (readable 3 bytes further) that may start a literal of
 * group PF_ANY: a superset, all of them where there is no filter. */
static inline uint64_t pf_inword(const bp_prefilter_t *p, const unsigned char *s)
{
#ifdef PF_TEDDY
    if (p->inword > 0)
        return pf_inword64(p, s);
#endif
    return p->inword ? ~0ull : 0;
}

/* The scan's state between blocks of 64 bytes. */
typedef struct pf_carry {
    uint64_t cont;   /* continuation bytes the characters begun before the block still owe */
    uint64_t alnum;  /* the last byte before the block is a letter's or digit's lead (bit 0) */
    uint64_t inword; /* it belongs to a letter or digit (bit 0) */
} pf_carry_t;

/* The positions to visit in the block of 64 bytes at text[base] (s: those bytes, zero beyond
 * the text's end; n: how many of them are in the text) into *pos, the word starts among them
 * into *starts. Returns 0, or -1 if the bytes are not well-formed UTF-8 (before the block's
 * last byte; then c is left as it was). */
static inline __attribute__((always_inline)) int
pf_block(const char *text, size_t len, size_t base, const unsigned char *s, unsigned n,
         int skip_space, pf_carry_t *c, uint64_t *pos, uint64_t *starts)
{
    pf_masks_t k;
    pf_class64(s, &k);
    uint64_t in = n >= 64 ? ~0ull : (1ull << n) - 1;
    /* the continuation bytes the lead bytes say, against the ones there: every character
     * whole, none stray, so the characters start where the continuation bytes do not */
    uint64_t owed = k.lead << 1 | c->cont, next = k.lead >> 63;
    if (k.lead3) {
        uint64_t lead4 = pf_lead4_64(s);
        owed |= k.lead3 << 2 | lead4 << 3;
        next |= k.lead3 >> 62 | lead4 >> 61;
    }
    if ((owed ^ k.cont) & in)
        return -1;
    c->cont = next;
    uint64_t chars = ~k.cont & in;
    /* letters and digits: the other two-byte characters one by one (rare); a lead byte as
     * the text's last byte is none */
    uint64_t alnum = k.alnum, odd = k.lead & ~k.lead3 & ~alnum & in;
    while (odd) {
        unsigned j = (unsigned)__builtin_ctzll(odd);
        odd &= odd - 1;
        if (pf_surely_alnum((const unsigned char *)text, base + j, len))
            alnum |= 1ull << j;
    }
    if (n < 64 || base + 64 == len)
        alnum &= ~(k.lead & (1ull << (n - 1)));
    /* a letter's bytes (lead and continuation); a position is in a word if the byte before
     * it is one and it is a letter or digit itself */
    uint64_t wordb = alnum | ((alnum << 1 | c->alnum) & k.cont);
    *starts = chars & ~((wordb << 1 | c->inword) & alnum);
    c->alnum = alnum >> 63;
    c->inword = wordb >> 63;
    *pos = skip_space ? chars & ~k.space : chars;
    return 0;
}

/* Looks up the positions pos of the block at text[base] (s: its bytes, readable 8 bytes
 * further, zero beyond the text's end; full: the text goes on 8 bytes past it, at least),
 * both groups at the word starts among them, the
 * anywhere group at the others; appends the literals found to hits (nh of them, reported
 * first when more than lim). Returns the new nh. */
static inline __attribute__((always_inline)) size_t
pf_visit_block(const bp_prefilter_t *p, const uint16_t *lm, const char *text, size_t len,
               size_t base, const unsigned char *s, int full, uint64_t pos, uint64_t starts,
               pf_hit_t *hits, size_t nh, size_t lim, bp_prefilter_cb cb, void *ctx)
{
    /* first the positions where some literal may start (a tight loop), then those; the
     * anywhere group's long keys are told by their four bytes right away (inside words, most
     * positions whose two bytes start one are none) */
    const uint8_t *lm4 = p->g[PF_ANY].lm4;
    pos &= starts | pf_inword(p, s);
    uint32_t cand[64];
    unsigned nc = 0;
    while (pos) {
        uint64_t j = (uint64_t)__builtin_ctzll(pos);
        pos &= pos - 1;
        unsigned m = pf_lm(lm, s + j);
        if (!(starts >> j & 1))
            m &= 0xFF;
        /* (no branch on m: it is 0 about half the time, unpredictably) */
        unsigned l4 = lm4[pf_hash(pf_key((const char *)s + j, 4), PF_NK, 64 - PF_LM4_BITS)];
        m = (m & (0xFF00u | ((1u << PF_K4) - 1))) | (m & PF_LONG ? l4 : 0);
        cand[nc] = m << 8 | (unsigned)j;
        nc += m != 0;
    }
    for (unsigned q = 0; q < nc; q++) {
        unsigned j = cand[q] & 0xFF, m = cand[q] >> 8;
        if (__builtin_expect(nh > lim, 0)) {
            pf_flush(p, hits, nh, cb, ctx);
            nh = 0;
        }
        pf_visit(p, text, len, base + j, s + j, full, m, cb, ctx, hits, &nh);
    }
    return nh;
}

/* The scan in blocks of 64 bytes; from the first block that is not well-formed UTF-8 on, the
 * walk. */
static void pf_scan_blocks(const bp_prefilter_t *p, const char *text, size_t len,
                           bp_prefilter_cb cb, void *ctx)
{
    const unsigned char *u = (const unsigned char *)text;
    const uint16_t *lm = p->lm;
    const int skip_space = p->skip_space;
    pf_hit_t hits[PF_HITS];
    size_t nh = 0, lim = PF_HITS - p->maxhere;
    pf_carry_t c = {0, 0, 0};
    uint64_t pos, starts;
    size_t base = 0;
    /* blocks whose lookups may read 8 bytes past their end straight from the text */
    for (; len - base >= 72; base += 64) {
        if (pf_block(text, len, base, u + base, 64, skip_space, &c, &pos, &starts) < 0)
            goto walk;
        nh = pf_visit_block(p, lm, text, len, base, u + base, 1, pos, starts, hits, nh, lim, cb,
                            ctx);
    }
    /* the rest (under 72 bytes) from a zero-padded copy */
    unsigned char tail[64 + 64 + 8];
    memset(tail, 0, sizeof tail);
    memcpy(tail, u + base, len - base);
    for (size_t off = 0; base < len; base += 64, off += 64) {
        size_t n = len - base < 64 ? len - base : 64;
        if (pf_block(text, len, base, tail + off, (unsigned)n, skip_space, &c, &pos, &starts) < 0)
            goto walk;
        nh = pf_visit_block(p, lm, text, len, base, tail + off, 0, pos, starts, hits, nh, lim, cb,
                            ctx);
    }
    pf_flush(p, hits, nh, cb, ctx);
    return;
walk:
    pf_flush(p, hits, nh, cb, ctx);
    /* the characters begun before the block are whole (the blocks before were checked) */
    pf_walk(p, text, len, base + (size_t)__builtin_ctzll(~c.cont), (int)c.inword, cb, ctx);
}
#endif

void bp_prefilter_scan(const bp_prefilter_t *p, const char *text, size_t len, bp_prefilter_cb cb,
                       void *ctx)
{
    if (!p || !p->built || p->nlits == 0)
        return;
#ifdef __SSE2__
    /* the hit buffer keeps room for the literals of one position (unless rules hold literals
     * of more than PF_HITS / 2 lengths) */
    if (p->maxhere <= PF_HITS / 2) {
        pf_scan_blocks(p, text, len, cb, ctx);
        return;
    }
#endif
    pf_walk(p, text, len, 0, 0, cb, ctx);
}

size_t bp_prefilter_size(const bp_prefilter_t *p) { return p ? p->nlits : 0; }
