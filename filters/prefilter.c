/* prefilter.c — the literal prefilter: finds every occurrence of every rule literal in one
 * pass over the normalized text. Literals are bucketed by their first 1, 2, 3, 4, 6 or 8 bytes
 * (the most their length allows; 8 bytes are 4 Cyrillic letters, so buckets stay small) in
 * hash tables with a bitmap in front for quick rejection: each character position of the
 * text costs a few L1/L2 lookups however many rules there are. Built once per rule set. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ruleset.h"

#define PF_MAX_LITERALS (1u << 22)
#define PF_BITS 16 /* quick-reject bitmap: 2^16 bits = 8 KiB per key length */

typedef struct pf_lit { uint32_t off, len; int id; } pf_lit_t;
typedef struct pf_slot { uint64_t key; uint32_t first, count; } pf_slot_t;

#define PF_NK 6
static const size_t pf_klens[PF_NK] = {1, 2, 3, 4, 6, 8};

typedef struct pf_table {
    pf_slot_t *slots;      /* open addressing; count 0 = empty */
    uint32_t mask;
    uint64_t bits[(1u << PF_BITS) / 64];
    size_t nkeys;
} pf_table_t;

struct bp_prefilter {
    char *pool;            /* literal bytes */
    size_t npool, cappool;
    pf_lit_t *lits;        /* sorted by (key length, key) after build */
    size_t nlits, caplits;
    pf_table_t t[PF_NK];   /* by key length pf_klens[] */
    uint64_t kmask[PF_NK]; /* the first k bytes of a loaded word, whatever the endianness */
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
    p->lits[p->nlits++] = (pf_lit_t){(uint32_t)p->npool, (uint32_t)len, id};
    p->npool += len;
    return 0;
}

static uint64_t pf_key(const char *s, size_t k)
{
    uint64_t v = 0;
    memcpy(&v, s, k);
    return v;
}

static uint32_t pf_hash(uint64_t key)
{
    return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - PF_BITS));
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
            uint32_t h = pf_hash(key);
            t->bits[h / 64] |= 1ull << (h % 64);
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
        for (int ki = 0; ki < PF_NK; ki++) {
            const pf_table_t *t = &p->t[ki];
            size_t k = pf_klens[ki];
            if (k > avail)
                break;
            if (!t->nkeys)
                continue;
            uint64_t key = word & p->kmask[ki];
            uint32_t h = pf_hash(key);
            if (!(t->bits[h / 64] & (1ull << (h % 64))))
                continue;
            uint32_t s = pf_slot0(key, t->mask);
            while (t->slots[s].count && t->slots[s].key != key)
                s = (s + 1) & t->mask;
            if (!t->slots[s].count)
                continue;
            for (uint32_t j = t->slots[s].first; j < t->slots[s].first + t->slots[s].count; j++) {
                const pf_lit_t *l = &p->lits[j];
                if (l->len <= avail &&
                    (l->len == k || memcmp(text + i + k, p->pool + l->off + k, l->len - k) == 0))
                    cb(ctx, l->id, i);
            }
        }
    }
}

size_t bp_prefilter_size(const bp_prefilter_t *p) { return p ? p->nlits : 0; }
