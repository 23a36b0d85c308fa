/* prefilter.c — the literal prefilter: finds every occurrence of every rule literal in one
 * pass over the normalized text. Literals are bucketed by their first 1, 2, 3, 4, 6 or 8 bytes
 * (the most their length allows; 8 bytes are 4 Cyrillic letters, so buckets stay small) in
 * hash tables with a bitmap in front for quick rejection: each character position of the
 * text costs a few L1/L2 lookups however many rules there are. Literals of one bucket are
 * compared 8 bytes at a time against the loaded text; a literal several rules share is
 * compared once. Built once per rule set. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ruleset.h"

#define PF_MAX_LITERALS (1u << 22)
#define PF_BITS 16 /* quick-reject bitmap: 2^16 bits = 8 KiB */

typedef struct pf_lit {
    uint64_t head;     /* its first min(len, 8) bytes, as pf_key loads them */
    uint32_t off;
    uint32_t len : 31;
    uint32_t same : 1; /* the same bytes as the literal before it in the bucket */
    int id;
} pf_lit_t;
typedef struct pf_slot { uint64_t key; uint32_t first, count; } pf_slot_t;

#define PF_NK 6
#define PF_K4 3 /* index of the 4-byte keys */
static const size_t pf_klens[PF_NK] = {1, 2, 3, 4, 6, 8};

typedef struct pf_table {
    pf_slot_t *slots;      /* open addressing; count 0 = empty */
    uint32_t mask;
    size_t nkeys;
} pf_table_t;

struct bp_prefilter {
    char *pool;            /* literal bytes */
    size_t npool, cappool;
    pf_lit_t *lits;        /* sorted by (key length, key) after build */
    size_t nlits, caplits;
    pf_table_t t[PF_NK];   /* by key length pf_klens[] */
    /* quick reject, one bitmap for every key length (8 KiB: stays in L1 while the text is
     * scanned; a bitmap per length did not) */
    uint64_t bits[(1u << PF_BITS) / 64];
    /* the first 4 bytes of every literal of 4 bytes or more (the keys of 4, 6 and 8 bytes):
     * a position whose 4 bytes are not here skips those three tables */
    uint64_t gate4[(1u << PF_BITS) / 64];
    uint64_t kmask[PF_NK]; /* the first k bytes of a loaded word, whatever the endianness */
    uint64_t lmask[9];     /* the same for every length 0..8 */
    int built;
};

bp_prefilter_t *bp_prefilter_new(void) { return calloc(1, sizeof(bp_prefilter_t)); }

void bp_prefilter_free(bp_prefilter_t *p)
{
    if (!p)
        return;
    for (int k = 0; k < PF_NK; k++)
        free(p->t[k].slots);
    free(p->pool);
    free(p->lits);
    free(p);
}

int bp_prefilter_add(bp_prefilter_t *p, const char *lit, size_t len, int id)
{
    if (p->built || len == 0 || len > BP_RULES_MAX_TERM * 8 || p->nlits >= PF_MAX_LITERALS)
        return -1;
    if (p->npool + len > p->cappool) {
        size_t nc = p->cappool ? p->cappool * 2 : 4096;
        while (nc < p->npool + len)
            nc *= 2;
        char *np = realloc(p->pool, nc);
        if (!np)
            return -1;
        p->pool = np;
        p->cappool = nc;
    }
    if (p->nlits == p->caplits) {
        size_t nc = p->caplits ? p->caplits * 2 : 256;
        pf_lit_t *nl = realloc(p->lits, nc * sizeof *nl);
        if (!nl)
            return -1;
        p->lits = nl;
        p->caplits = nc;
    }
    memcpy(p->pool + p->npool, lit, len);
    p->lits[p->nlits++] = (pf_lit_t){0, (uint32_t)p->npool, (uint32_t)len, 0, id};
    p->npool += len;
    return 0;
}

static uint64_t pf_key(const char *s, size_t k)
{
    uint64_t v = 0;
    memcpy(&v, s, k);
    return v;
}

/* The bitmap bit of a key of key length index ki. */
static uint32_t pf_hash(uint64_t key, int ki)
{
    return (uint32_t)(((key + (uint64_t)ki) * 0x9E3779B97F4A7C15ull) >> (64 - PF_BITS));
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
    for (size_t j = 0; j < p->nlits; j++) {
        pf_lit_t *l = &p->lits[j];
        l->head = pf_key(p->pool + l->off, l->len < 8 ? l->len : 8);
        l->same = j > 0 && p->lits[j - 1].len == l->len &&
                  pf_kidx(p->lits[j - 1].len) == pf_kidx(l->len) &&
                  memcmp(p->pool + p->lits[j - 1].off, p->pool + l->off, l->len) == 0;
    }
    size_t i = 0;
    for (int ki = 0; ki < PF_NK; ki++) {
        pf_table_t *t = &p->t[ki];
        size_t k = pf_klens[ki], start = i, nkeys = 0;
        while (i < p->nlits && pf_kidx(p->lits[i].len) == ki) {
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
            uint32_t h = pf_hash(key, ki);
            p->bits[h / 64] |= 1ull << (h % 64);
            if (k >= 4) {
                uint32_t g = pf_hash(key & p->kmask[PF_K4], PF_NK);
                p->gate4[g / 64] |= 1ull << (g % 64);
            }
            uint32_t s = pf_slot0(key, t->mask);
            while (t->slots[s].count)
                s = (s + 1) & t->mask;
            t->slots[s] = (pf_slot_t){key, (uint32_t)j, (uint32_t)(e - j)};
            j = e;
        }
    }
    p->built = 1;
    return 0;
}

void bp_prefilter_scan(const bp_prefilter_t *p, const char *text, size_t len, bp_prefilter_cb cb,
                       void *ctx)
{
    if (!p || !p->built || p->nlits == 0)
        return;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)text[i] & 0xC0) == 0x80)
            continue; /* literals are UTF-8: they start at a character */
        /* the next 8 bytes in one load (zero-padded at the end of the text); each key length
         * is a mask of it */
        uint64_t word = 0;
        size_t avail = len - i;
        if (avail >= 8) {
            memcpy(&word, text + i, 8);
        } else {
            memcpy(&word, text + i, avail);
        }
        int nk = PF_NK;
        if (avail >= 4) {
            uint32_t g = pf_hash(word & p->kmask[PF_K4], PF_NK);
            if (!(p->gate4[g / 64] & (1ull << (g % 64))))
                nk = PF_K4; /* no literal of 4 bytes or more starts here */
        }
        for (int ki = 0; ki < nk; ki++) {
            const pf_table_t *t = &p->t[ki];
            size_t k = pf_klens[ki];
            if (k > avail)
                break;
            if (!t->nkeys)
                continue;
            uint64_t key = word & p->kmask[ki];
            uint32_t h = pf_hash(key, ki);
            if (!(p->bits[h / 64] & (1ull << (h % 64))))
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
                            (l->len <= 8 ||
                             memcmp(text + i + 8, p->pool + l->off + 8, l->len - 8) == 0);
                if (found)
                    cb(ctx, l->id, i);
            }
        }
    }
}

size_t bp_prefilter_size(const bp_prefilter_t *p) { return p ? p->nlits : 0; }
