/* match.c — runs the compiled matchers over one text: normalization, the literal prefilter,
 * anchored verification of candidates, words/clauses/sentences, exclusions and NEAR. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "ruleset.h"
#include "utf8.h"

static int match_push(bp_engine_t *e, int mi, size_t s, size_t en)
{
    bp_result_t *res = &e->res;
    if (res->nhits >= BP_ENGINE_MAX_HITS) {
        res->overflow++;
        return 0;
    }
    if (bp_grow(&res->hits, &res->caphits, res->nhits + 1, sizeof *res->hits, 64,
                BP_ENGINE_MAX_HITS) < 0)
        return -1;
    bp_hit_t *h = &res->hits[res->nhits++];
    memset(h, 0, sizeof *h);
    h->m = mi;
    h->owner = (int)e->ms[mi].owner;
    h->s = (uint32_t)s;
    h->e = (uint32_t)en;
    h->negator = h->intens = h->softener = h->target = -1;
    return 0;
}

static int match_err(bp_engine_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int match_err(bp_engine_t *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err, sizeof e->err, fmt, ap);
    va_end(ap);
    return -1;
}

/* A regex error while matching (the match or depth limit, usually): names the rule. */
static int match_fail(bp_engine_t *e, const bp_matcher_t *m, const char *label, int rc)
{
    PCRE2_UCHAR msg[160];
    pcre2_get_error_message(rc, msg, sizeof msg);
    if (!m)
        return match_err(e, "%.120s: %s", label, (char *)msg);
    int brand = m->kind <= BP_MK_HANDLE;
    return match_err(e, "%s '%s' term '%.80s' (%s:%d:%d): %s", brand ? "brand" : "lexicon",
                     brand ? e->r->brands[m->owner].id : e->r->lex[m->owner].language, m->term,
                     m->file, m->line, m->col, (char *)msg);
}

/* Every match of re in text (leftmost, non-overlapping); zero-length matches are skipped.
 * label names the regex in errors when mi < 0. */
static int match_scan(bp_engine_t *e, int mi, const char *label, const pcre2_code *re,
                      const char *t, size_t len, int (*push)(bp_engine_t *, int, size_t, size_t))
{
    size_t off = 0;
    while (off <= len) {
        int rc = pcre2_match(re, (PCRE2_SPTR)t, len, off, PCRE2_NO_UTF_CHECK, e->md, e->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            return 0;
        if (rc < 0)
            return match_fail(e, mi >= 0 ? &e->r->m[mi] : NULL, label, rc);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(e->md);
        if (ov[1] > ov[0]) {
            if (push(e, mi, ov[0], ov[1]) < 0)
                return -1;
            off = ov[1];
        } else {
            off = ov[0] + 1;
            while (off < len && ((unsigned char)t[off] & 0xC0) == 0x80)
                off++;
        }
    }
    return 0;
}

static void match_cb(void *ctx, int code, size_t start)
{
    bp_engine_t *e = ctx;
    int id = code >> 5;
    if (code & 1) { /* a word some phrase needs: note it is here */
        e->present[id] = e->gen;
        return;
    }
    if (e->mf[id] & BP_MF_ANCHOR) {
        if (bp_grow(&e->anc, &e->capanc, e->nanc + 1, sizeof *e->anc, 256,
                    BP_ENGINE_MAX_TEXT) < 0)
            return;
        e->anc[e->nanc].m = id;
        e->anc[e->nanc].pos = (uint32_t)start;
        e->nanc++;
    } else if (e->stamp[id] != e->gen) {
        e->stamp[id] = e->gen;
        e->cand[e->ncand++] = id;
    }
}

static int hit_cmp(const void *a, const void *b)
{
    const bp_hit_t *x = a, *y = b;
    if (x->m != y->m)
        return x->m < y->m ? -1 : 1;
    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    return x->e > y->e ? -1 : x->e < y->e;
}

/* Is cp in [\p{L}\p{N}_] (what the generated regexes call a word character)? 1 yes, 0 no,
 * -1 not sure (outside the ranges known here): the caller asks PCRE2 instead. */
static int match_wclass(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= '0' && cp <= '9') || ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') || cp == '_';
    if (cp >= 0xC0 && cp <= 0x24F)
        return cp != 0xD7 && cp != 0xF7; /* Latin-1 letters, Latin Extended-A/B */
    if ((cp >= 0x400 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x52F))
        return 1; /* Cyrillic letters */
    if ((cp >= 0x2000 && cp <= 0x206F) || cp == 0xFFFD || (cp >= 0x1F300 && cp <= 0x1FAFF))
        return 0; /* punctuation, the replacement character, emoji */
    return -1;
}

/* match_wclass of the character before pos (0 at the text's start). */
static int match_class_before(const char *t, size_t len, size_t pos)
{
    if (pos == 0)
        return 0;
    size_t b = pos - 1;
    while (b > 0 && ((unsigned char)t[b] & 0xC0) == 0x80)
        b--;
    return match_wclass(bp_utf8_decode(t, len, &b));
}

/* A one-word term at pos (literal of lit bytes): 1 match [pos,*end), 0 none, -1 unsure. For
 * simple = 2 the match runs on over word characters (the term's '*'); for the ending kinds
 * (BP_SIMPLE_ENDING*) the rest of the word after the stem must be one of the case endings. */
static int match_simple(const bp_rules_t *r, const char *t, size_t len, size_t pos, size_t lit,
                        int simple, size_t *end)
{
    int before = match_class_before(t, len, pos);
    if (before != 0)
        return before > 0 ? 0 : -1;
    size_t e = pos + lit;
    for (;;) {
        if (e >= len)
            break;
        size_t j = e;
        int w = match_wclass(bp_utf8_decode(t, len, &j));
        if (w < 0)
            return -1;
        if (!w)
            break;
        if (simple == 1)
            return 0;
        e = j;
    }
    if (simple >= BP_SIMPLE_ENDING) {
        int f = bp_regex_ending_match(r, simple, t + pos + lit, e - pos - lit);
        if (f <= 0)
            return f;
    }
    *end = e;
    return 1;
}

/* ---- brand terms checked in C, from their programs ---- */

/* Is cp one of a term separator's characters (kind BP_TERM_SEP_BRAND: \s - _ . / + & ' ’ ·;
 * BP_TERM_SEP_DIGIT: \s - _ .)? 1 yes, 0 no, -1 not sure. \s is Unicode white space (UCP):
 * the spaces listed, never a letter or digit. */
static int term_sepclass(uint32_t cp, int kind)
{
    if (cp < 0x80) {
        if (cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == '-' || cp == '_' || cp == '.')
            return 1;
        return kind == BP_TERM_SEP_BRAND && (cp == '/' || cp == '+' || cp == '&' || cp == '\'');
    }
    if (cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
        cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000)
        return 1;
    if (kind == BP_TERM_SEP_BRAND && (cp == 0x2019 || cp == 0xB7))
        return 1;
    return match_wclass(cp) == 1 ? 0 : -1;
}

/* The n (<= 8) bytes at s as a number, the bytes after them zero (as the ending keys are). */
static inline uint64_t term_load8(const char *s, size_t n)
{
    uint64_t v = 0;
    memcpy(&v, s, n);
    return v;
}

/* The mask keeping the first n (1..8) bytes of a number loaded by term_load8. */
static inline uint64_t term_mask(size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return ~0ULL << (64 - 8 * n);
#else
    return ~0ULL >> (64 - 8 * n);
#endif
}

/* The rest of a term program from text position p: segments seg (k of them left). PCRE2's
 * order is followed (separators greedy, then fewer; endings in their list's order, then none
 * where optional), so the first way that matches is the regex's match. 1 match, end in *end;
 * 0 none; -1 unsure (a character the C check does not know, or too many ways to try). */
static int term_from(const bp_rules_t *r, const char *t, size_t len, size_t p,
                     const unsigned char *seg, int k, int star, size_t *end, int *budget)
{
    if (--*budget < 0)
        return -1;
    if (k == 0) {
        for (;;) { /* '*': any word characters; then no word character may follow */
            if (p >= len)
                break;
            size_t j = p;
            int w = match_wclass(bp_utf8_decode(t, len, &j));
            if (w < 0)
                return -1;
            if (!w)
                break;
            if (!star)
                return 0;
            p = j;
        }
        *end = p;
        return 1;
    }
    int sep = seg[0], ending = seg[1];
    size_t sl = seg[2];
    const unsigned char *stem = seg + 3, *next = stem + sl;
    /* where the stem may start: after 0 to max separator characters, most first */
    size_t at[4] = {p};
    int max = sep == BP_TERM_SEP_BRAND ? 3 : sep == BP_TERM_SEP_DIGIT ? 1 : 0, n = 0;
    while (n < max && at[n] < len) {
        size_t j = at[n];
        int c = term_sepclass(bp_utf8_decode(t, len, &j), sep);
        if (c < 0)
            return -1;
        if (!c)
            break;
        at[++n] = j;
    }
    for (int i = n; i >= 0; i--) {
        size_t q = at[i];
        if (q + sl > len || (sl <= 8 ? term_load8(t + q, sl) != term_load8((const char *)stem, sl)
                                     : memcmp(t + q, stem, sl) != 0))
            continue;
        q += sl;
        int rc;
        if (ending) {
            const struct bp_endset *es = &r->endset[ending == BP_SIMPLE_ENDING ? 0 : 1];
            size_t avail = len - q < 8 ? len - q : 8;
            uint64_t w = term_load8(t + q, avail); /* the keys are zero-padded like this */
            for (size_t x = 0; x < es->n; x++) {
                if (es->len[x] > avail || (w & term_mask(es->len[x])) != es->key[x])
                    continue;
                if ((rc = term_from(r, t, len, q + es->len[x], next, k - 1, star, end, budget)))
                    return rc;
            }
            if (ending == BP_SIMPLE_ENDING)
                continue; /* the ending is required */
        }
        if ((rc = term_from(r, t, len, q, next, k - 1, star, end, budget)))
            return rc;
    }
    return 0;
}

/* A BP_SIMPLE_TERM matcher at pos (its program pg): 1 match [pos,*end), 0 none, -1 unsure. */
static int match_term(const bp_rules_t *r, const char *t, size_t len, size_t pos,
                      const unsigned char *pg, size_t *end)
{
    int before = match_class_before(t, len, pos);
    if (before != 0)
        return before > 0 ? 0 : -1;
    int budget = 256;
    return term_from(r, t, len, pos, pg + 2, pg[1], pg[0] & BP_TERM_STAR, end, &budget);
}

/* ---- lexicon phrases checked in C ---- */

/* Lays out every brand's exclusion literals in e->xgate (see ruleset.h), so that a brand hit
 * checks them without touching the brand. Returns 0 or -1 (no memory). */
static int match_prepare_exclusions(bp_engine_t *e)
{
    const bp_rules_t *r = e->r;
    bp_buf_init(&e->xgate, 0);
    e->xat = malloc((r->nbrands + 1) * sizeof *e->xat);
    e->bnear = calloc(r->nbrands + 1, 1);
    if (!e->xat || !e->bnear)
        return -1;
    for (size_t bi = 0; bi < r->nbrands; bi++) {
        const bp_brand_t *b = &r->brands[bi];
        e->bnear[bi] = b->near_words != 0;
        e->xat[bi] = UINT32_MAX;
        if (!b->nexclude)
            continue;
        e->xat[bi] = (uint32_t)e->xgate.len;
        size_t nx = b->nexclude < 65535 ? b->nexclude : 65535;
        unsigned char head[2] = {(unsigned char)(nx & 0xFF), (unsigned char)(nx >> 8)};
        if (bp_buf_append(&e->xgate, (const char *)head, 2) < 0)
            return -1;
        for (size_t x = 0; x < nx; x++) {
            size_t nl = b->exclude_nlits[x];
            for (size_t k = 0; k < nl; k++)
                if (strlen(b->exclude_lits[x][k]) > 255)
                    nl = 0; /* too long for its length byte: the exclusion always runs */
            if (nl > 255)
                nl = 0;
            if (bp_buf_putc(&e->xgate, (char)nl) < 0)
                return -1;
            for (size_t k = 0; k < nl; k++) {
                size_t l = strlen(b->exclude_lits[x][k]);
                if (bp_buf_putc(&e->xgate, (char)l) < 0 ||
                    bp_buf_append(&e->xgate, b->exclude_lits[x][k], l) < 0)
                    return -1;
            }
        }
    }
    return 0;
}

/* The length of a term program (bp_regex_from_term). */
static size_t term_prog_len(const unsigned char *pg)
{
    size_t at = 2;
    for (unsigned k = 0; k < pg[1]; k++)
        at += 3 + pg[at + 2];
    return at;
}

int bp_match_prepare(bp_engine_t *e)
{
    const bp_rules_t *r = e->r;
    bp_buf_init(&e->checks, 0);
    uint32_t *at = calloc(r->nm + 1, sizeof *at);
    if (!at)
        return -1;
    for (size_t i = 0; i < r->nm; i++) {
        at[i] = (uint32_t)e->checks.len;
        int simple = e->mf[i] & BP_MF_SIMPLE;
        if (simple == BP_SIMPLE_TERM) {
            const unsigned char *pg = (const unsigned char *)r->m[i].prog;
            if (bp_buf_append(&e->checks, (const char *)pg, term_prog_len(pg)) < 0)
                goto nomem;
            continue;
        }
        if (simple)
            continue;
        int nw = bp_regex_phrase_words(&r->m[i], &e->checks);
        if (nw < 0)
            goto nomem;
        if (nw > 0)
            e->mf[i] = (unsigned char)((e->mf[i] & ~BP_MF_SIMPLE) | BP_SIMPLE_PHRASE);
    }
    if (match_prepare_exclusions(e) < 0)
        goto nomem;
    /* the block is complete: point each matcher's record at its bytes; its needs' presence
     * indexes go to one array (an alternation of more than 255 words is not checked first) */
    size_t nix = 0;
    for (size_t i = 0; i < r->nm; i++)
        nix += r->m[i].nneed + (r->m[i].nany <= 255 ? r->m[i].nany : 0);
    e->needix = malloc((nix + 1) * sizeof *e->needix);
    e->mweight = malloc((r->nm + 1) * sizeof *e->mweight);
    if (!e->needix || !e->mweight)
        goto nomem;
    nix = 0;
    for (size_t i = 0; i < r->nm; i++) {
        const bp_matcher_t *m = &r->m[i];
        struct bp_mstate *st = &e->ms[i];
        int simple = e->mf[i] & BP_MF_SIMPLE;
        st->c = simple >= BP_SIMPLE_PHRASE ? (const unsigned char *)e->checks.data + at[i]
                                           : NULL;
        st->litlen = m->litlen;
        st->owner = (uint32_t)m->owner;
        e->mweight[i] = m->weight;
        st->need_off = (uint32_t)nix;
        st->nneed = m->need_idx ? (uint8_t)m->nneed : 0;
        st->nany = m->any_idx && m->nany <= 255 ? (uint8_t)m->nany : 0;
        for (size_t k = 0; k < st->nneed; k++)
            e->needix[nix++] = m->need_idx[k];
        for (size_t k = 0; k < st->nany; k++)
            e->needix[nix++] = m->any_idx[k];
    }
    free(at);
    return 0;
nomem:
    free(at);
    return -1;
}

/* Is cp in [\p{L}\p{N}]? 1 yes, 0 no, -1 not sure. */
static int match_lnclass(uint32_t cp)
{
    return cp == '_' ? 0 : match_wclass(cp);
}

/* A BP_SIMPLE_PHRASE matcher at pos: 1 match [pos,*end), 0 none, -1 unsure (run the regex).
 * ph: the count byte, then each word as a length byte and its bytes. */
static int match_phrase(const char *t, size_t len, size_t pos, const unsigned char *ph,
                        size_t *end)
{
    int before = match_class_before(t, len, pos); /* nothing of [\p{L}\p{N}_] before */
    if (before != 0)
        return before > 0 ? 0 : -1;
    size_t p = pos, nw = ph[0];
    ph++;
    for (size_t k = 0; k < nw; k++) {
        if (k) { /* one to three characters outside [\p{L}\p{N}], then the word */
            size_t seps = 0;
            while (p < len) {
                size_t j = p;
                int w = match_lnclass(bp_utf8_decode(t, len, &j));
                if (w < 0)
                    return -1;
                if (w)
                    break;
                p = j;
                seps++;
            }
            if (seps < 1 || seps > 3)
                return 0;
        }
        size_t wl = ph[0];
        if (p + wl > len || memcmp(t + p, ph + 1, wl) != 0)
            return 0;
        p += wl;
        ph += 1 + wl;
    }
    if (p < len) { /* nothing of [\p{L}\p{N}_] after */
        size_t j = p;
        int w = match_wclass(bp_utf8_decode(t, len, &j));
        if (w != 0)
            return w > 0 ? 0 : -1;
    }
    *end = p;
    return 1;
}

/* Position order: start, longer first, then matcher. */
static int hit_pos_cmp(const void *a, const void *b)
{
    const bp_hit_t *x = a, *y = b;
    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    if (x->e != y->e)
        return x->e > y->e ? -1 : 1;
    return (x->m > y->m) - (x->m < y->m);
}

/* Sorts hits by cmp, stably (as glibc's merge-sort qsort does, so that the order of equal hits
 * stays what it was): binary insertion for the few hits of a usual post, qsort beyond. */
static inline __attribute__((always_inline)) void hits_sort(bp_hit_t *h, size_t n,
                                                            int (*cmp)(const void *, const void *))
{
    if (n > 64) {
        qsort(h, n, sizeof *h, cmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        if (cmp(&h[i - 1], &h[i]) <= 0)
            continue;
        size_t lo = 0, hi = i - 1; /* the first hit that sorts after h[i] */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cmp(&h[mid], &h[i]) <= 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        bp_hit_t x = h[i];
        memmove(&h[lo + 1], &h[lo], (i - lo) * sizeof *h);
        h[lo] = x;
    }
}

/* Whether need literal idx is in the text of this pass: the prefilter marked it, or (for one
 * the prefilter leaves out) memmem finds it, looked for once a pass. */
/* memmem for a short word in a post (ruleset.h): memchr finds the word's last byte (in Cyrillic the byte
 * that tells letters apart; a Cyrillic letter's first byte is one of two), then the rest is
 * compared. Faster than memmem on texts of a few hundred bytes. */
const char *bp_match_find(const char *h, size_t hl, const char *w, size_t wl)
{
    if (wl == 0 || wl > hl)
        return wl == 0 ? h : NULL;
    const char *p = h + wl - 1, *end = h + hl;
    while ((p = memchr(p, (unsigned char)w[wl - 1], (size_t)(end - p))) != NULL) {
        if (memcmp(p - (wl - 1), w, wl - 1) == 0)
            return p - (wl - 1);
        p++;
    }
    return NULL;
}

static int match_present(bp_engine_t *e, const bp_norm_t *n, uint32_t idx)
{
    if (e->present[idx] == e->gen)
        return 1;
    const char *lit = e->r->presence_lazy[idx];
    if (!lit || e->looked[idx] == e->gen)
        return 0;
    e->looked[idx] = e->gen;
    if (bp_match_find(n->text, n->len, lit, strlen(lit)))
        e->present[idx] = e->gen;
    return e->present[idx] == e->gen;
}

/* Whether the words a matcher needs are in the text of this pass (st: its record): each of its
 * needs, and one of its alternatives when it has some. */
static int match_needs_met(bp_engine_t *e, const bp_norm_t *n, const struct bp_mstate *st)
{
    const uint32_t *ix = e->needix + st->need_off;
    for (size_t k = 0; k < st->nneed; k++)
        if (!match_present(e, n, ix[k]))
            return 0;
    for (size_t k = 0; k < st->nany; k++)
        if (match_present(e, n, ix[st->nneed + k]))
            return 1;
    return st->nany == 0;
}

/* Which matchers a step of a pass runs: brand kinds or the lexicon's. Brands go first so
 * that a post naming no brand costs no lexicon work when the caller only wants mentions. */
enum { MATCH_BRANDS = 1, MATCH_LEXICON = 2 };

static int match_phase_has(const bp_engine_t *e, int mi, int phase)
{
    return (BP_MF_KIND(e->mf[mi]) <= BP_MK_HANDLE ? MATCH_BRANDS : MATCH_LEXICON) & phase;
}

/* Starts a pass over a normalized text: the prefilter scan, which schedules matchers (e->cand)
 * and notes the literal hits of terms and of patterns led by their literals (e->anc). */
static void match_pass_begin(bp_engine_t *e, const bp_norm_t *n, const bp_prefilter_t *pf,
                             const int *always, size_t nalways, int digits)
{
    const bp_rules_t *r = e->r;
    e->gen++;
    if (e->gen == 0 && r->nm) { /* wrapped: forget old stamps */
        memset(e->stamp, 0, r->nm * sizeof *e->stamp);
        for (size_t i = 0; i < r->nm; i++)
            e->ms[i].gen = 0;
        memset(e->present, 0, (r->npresence + 1) * sizeof *e->present);
        memset(e->looked, 0, (r->npresence + 1) * sizeof *e->looked);
        e->gen = 1;
    }
    e->ncand = 0;
    e->nanc = 0;
    if (e->prefilter) {
        bp_prefilter_scan(pf, n->text, n->len, match_cb, e);
        for (size_t i = 0; i < nalways; i++)
            if (e->stamp[always[i]] != e->gen) {
                e->stamp[always[i]] = e->gen;
                e->cand[e->ncand++] = always[i];
            }
    } else {
        for (size_t i = 0; i < r->nm; i++)
            if (r->m[i].digits == digits)
                e->cand[e->ncand++] = (int)i;
    }
}

/* Runs the scheduled matchers of phase (MATCH_BRANDS, MATCH_LEXICON or both) over the text
 * of the pass begun. Returns 0 or -1 (e->err). */
static int match_pass_run(bp_engine_t *e, const bp_norm_t *n, int phase)
{
    const bp_rules_t *r = e->r;
    if (e->prefilter) {
        /* literal hits come in text order; per matcher, rebuild the chain of leftmost
         * non-overlapping matches a scan of the whole text would find */
        for (size_t i = 0; i < e->nanc; i++) {
            int mi = e->anc[i].m;
            if (!match_phase_has(e, mi, phase))
                continue;
            struct bp_mstate *st = &e->ms[mi];
            uint32_t pos = e->anc[i].pos;
            if (st->gen != e->gen) {
                st->gen = e->gen;
                st->last_end = 0;
                /* a phrase runs only if each of its other words is somewhere in the text */
                st->done = (st->nneed || st->nany) && !match_needs_met(e, n, st);
            }
            if (st->done || pos < st->last_end)
                continue;
            int rc;
            int simple = e->mf[mi] & BP_MF_SIMPLE;
            if (simple) {
                size_t end = pos;
                int f = simple == BP_SIMPLE_PHRASE ? match_phrase(n->text, n->len, pos, st->c, &end)
                        : simple == BP_SIMPLE_TERM
                            ? match_term(r, n->text, n->len, pos, st->c, &end)
                            : match_simple(r, n->text, n->len, pos, st->litlen, simple, &end);
                if (f < 0) {
                    e->c_deferred++;
                } else {
                    e->c_decided++;
                }
                if (f == 0)
                    continue;
                if (f == 1) {
                    if (match_push(e, mi, pos, end) < 0)
                        return -1;
                    st->last_end = (uint32_t)end;
                    continue;
                }
                /* a character the C check does not know: let PCRE2 decide */
            }
            const bp_matcher_t *m = &r->m[mi];
            if (m->anchored) {
                /* every match starts with the literal: try right here */
                rc = pcre2_match(m->rea, (PCRE2_SPTR)n->text, n->len, pos, PCRE2_NO_UTF_CHECK,
                                 e->md, e->mctx);
            } else {
                /* the literal is within litoff bytes of the match start: the leftmost match
                 * from there (or from the previous match's end) is the next one of the chain */
                size_t litoff = m->lit ? m->litoff : 0; /* patterns: hits lead matches */
                size_t from = pos > litoff ? pos - litoff : 0;
                if (from < st->last_end)
                    from = st->last_end;
                while (from < n->len && ((unsigned char)n->text[from] & 0xC0) == 0x80)
                    from++;
                rc = pcre2_match(m->re, (PCRE2_SPTR)n->text, n->len, from, PCRE2_NO_UTF_CHECK,
                                 e->md, e->mctx);
                if (rc == PCRE2_ERROR_NOMATCH)
                    st->done = 1; /* none from here on */
            }
            if (rc == PCRE2_ERROR_NOMATCH)
                continue;
            if (rc < 0)
                return match_fail(e, m, m->term, rc);
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(e->md);
            if (ov[1] > ov[0]) {
                if (match_push(e, mi, ov[0], ov[1]) < 0)
                    return -1;
                st->last_end = (uint32_t)ov[1];
            }
        }
    }
    for (size_t i = 0; i < e->ncand; i++) {
        const bp_matcher_t *m = &r->m[e->cand[i]];
        if (!match_phase_has(e, e->cand[i], phase))
            continue;
        /* a word it needs is not in the text: no match anywhere */
        const struct bp_mstate *st = &e->ms[e->cand[i]];
        int absent = e->prefilter && (st->nneed || st->nany) && !match_needs_met(e, n, st);
        if (!absent && match_scan(e, e->cand[i], NULL, m->re, n->text, n->len, match_push) < 0)
            return -1;
    }
    return 0;
}

/* Ends a pass: per matcher, leftmost non-overlapping hits (from index first on), as one scan
 * of the whole text finds them, with their spans in the original text. */
static void match_pass_end(bp_engine_t *e, const bp_norm_t *n, size_t first)
{
    bp_hit_t *h = e->res.hits + first;
    size_t nh = e->res.nhits - first, k = 0;
    if (nh) /* hits may still be NULL: qsort must not get it */
        hits_sort(h, nh, hit_cmp);
    for (size_t i = 0; i < nh; i++) {
        if (k && h[k - 1].m == h[i].m && h[i].s < h[k - 1].e)
            continue;
        h[k++] = h[i];
    }
    e->res.nhits = first + k;
    for (size_t i = first; i < e->res.nhits; i++) {
        size_t oa = 0, ob = 0;
        bp_norm_span(n, e->res.hits[i].s, e->res.hits[i].e, &oa, &ob);
        e->res.hits[i].os = (uint32_t)oa;
        e->res.hits[i].oe = (uint32_t)ob;
    }
}

/* One pass of every scheduled matcher over a normalized text; hits from index first on. */
static int match_pass(bp_engine_t *e, const bp_norm_t *n, const bp_prefilter_t *pf,
                      const int *always, size_t nalways, int digits)
{
    size_t first = e->res.nhits;
    match_pass_begin(e, n, pf, always, nalways, digits);
    if (match_pass_run(e, n, MATCH_BRANDS) < 0 || match_pass_run(e, n, MATCH_LEXICON) < 0)
        return -1;
    match_pass_end(e, n, first);
    return 0;
}

/* ---- exclusions ---- */

static int match_xpush(bp_engine_t *e, int mi, size_t s, size_t en)
{
    (void)mi;
    if (e->nxs >= BP_ENGINE_MAX_HITS * 4)
        return 0;
    if (bp_grow(&e->xs, &e->capxs, e->nxs + 1, sizeof *e->xs, 32, BP_ENGINE_MAX_HITS * 4) < 0)
        return -1;
    e->xs[e->nxs].s = (uint32_t)s;
    e->xs[e->nxs].e = (uint32_t)en;
    e->nxs++;
    return 0;
}

/* Marks brand hits [first, nhits) that overlap one of their brand's exclusions in text n. */
static int match_exclude(bp_engine_t *e, const bp_norm_t *n, size_t first)
{
    const bp_rules_t *r = e->r;
    for (size_t i = first; i < e->res.nhits; i++) {
        bp_hit_t *h = &e->res.hits[i];
        if (BP_MF_KIND(e->mf[h->m]) > BP_MK_HANDLE || (h->flags & BP_HF_EXCLUDED) ||
            e->xat[h->owner] == UINT32_MAX)
            continue;
        const unsigned char *g = (const unsigned char *)e->xgate.data + e->xat[h->owner];
        size_t nx = (size_t)g[0] | (size_t)g[1] << 8;
        g += 2;
        e->nxs = 0;
        for (size_t x = 0; x < nx; x++) {
            /* none of its literals in the text: it cannot match (without the prefilter, for
             * tests, every exclusion runs) */
            size_t nl = *g++;
            int maybe = !e->prefilter || nl == 0;
            for (size_t k = 0; k < nl; k++) {
                size_t l = *g++;
                maybe = maybe || bp_match_find(n->text, n->len, (const char *)g, l) != NULL;
                g += l;
            }
            const bp_brand_t *b = &r->brands[h->owner];
            if (maybe && match_scan(e, -1, b->exclude_src[x], b->exclude[x], n->text, n->len,
                                    match_xpush) < 0)
                return -1;
        }
        for (size_t j = i; j < e->res.nhits; j++) {
            bp_hit_t *o = &e->res.hits[j];
            if (BP_MF_KIND(e->mf[o->m]) > BP_MK_HANDLE || o->owner != h->owner)
                continue;
            for (size_t x = 0; x < e->nxs; x++)
                if (e->xs[x].s < o->e && o->s < e->xs[x].e) {
                    o->flags |= BP_HF_EXCLUDED;
                    break;
                }
        }
    }
    return 0;
}

/* ---- words, clauses, sentences ---- */

static int is_conjunction(const char *w, size_t n)
{
    /* by length (bytes), so that a word is compared with one or two at most */
    static const char *const by_len[13][2] = {
        [2] = {"а"}, [3] = {"but"}, [4] = {"но"}, [5] = {"while"}, [6] = {"але", "though"},
        [7] = {"however", "whereas"}, [8] = {"зато"}, [10] = {"проте"}, [12] = {"однако"}};
    if (n > 12)
        return 0;
    for (int k = 0; k < 2 && by_len[n][k]; k++)
        if (by_len[n][k][n - 1] == w[n - 1] && memcmp(by_len[n][k], w, n) == 0)
            return 1;
    return 0;
}

/* Decodes the code point at t[*i] of valid UTF-8 (the normalized text), advancing *i. */
static inline uint32_t match_cp(const char *t, size_t len, size_t *i)
{
    unsigned char c = (unsigned char)t[*i];
    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF && *i + 1 < len && ((unsigned char)t[*i + 1] & 0xC0) == 0x80) {
        uint32_t cp = (uint32_t)(c & 0x1F) << 6 | ((unsigned char)t[*i + 1] & 0x3F);
        *i += 2;
        return cp;
    }
    return bp_utf8_decode(t, len, i);
}

static int match_words(bp_engine_t *e, const bp_norm_t *n)
{
    e->nwords = 0;
    int clause = 0, sentence = 0, sep_clause = 0, sep_sentence = 0;
    size_t i = 0;
    while (i < n->len) {
        size_t at = i;
        uint32_t cp = match_cp(n->text, n->len, &i);
        if (cp < 0x80 ? !bp_norm_is_word_ascii((unsigned char)cp) : !bp_norm_is_word_cp(cp)) {
            if (cp == '.' || cp == '!' || cp == '?' || cp == ';' || cp == '\n' || cp == 0x2026)
                sep_sentence = 1;
            else if (cp == ',' || cp == ':' || cp == 0x2014 || cp == 0x2013 || cp == '(' ||
                     cp == ')')
                sep_clause = 1;
            continue;
        }
        size_t ws = at;
        while (i < n->len) {
            unsigned char c = (unsigned char)n->text[i];
            if (c < 0x80) {
                if (!bp_norm_is_word_ascii(c))
                    break;
                i++;
                continue;
            }
            if ((c == 0xD0 || c == 0xD1) && i + 1 < n->len) {
                i += 2; /* U+0400 to U+047F: Cyrillic letters, all word characters */
                continue;
            }
            size_t j = i;
            if (!bp_norm_is_word_cp(match_cp(n->text, n->len, &j)))
                break;
            i = j;
        }
        if (bp_grow(&e->words, &e->capwords, e->nwords + 1, sizeof *e->words, 128,
                    (size_t)-1 / sizeof *e->words) < 0)
            return -1;
        if (e->nwords) {
            if (sep_sentence) {
                sentence++;
                clause++;
            } else if (sep_clause || is_conjunction(n->text + ws, i - ws)) {
                clause++;
            }
        }
        sep_clause = sep_sentence = 0;
        e->words[e->nwords++] = (bp_word_t){(uint32_t)ws, (uint32_t)i, clause, sentence};
    }
    return 0;
}

/* Index of the word containing byte pos, or of the first word after it (nwords if none). */
static int word_at(const bp_engine_t *e, uint32_t pos)
{
    size_t lo = 0, hi = e->nwords;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (e->words[mid].e <= pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (int)lo;
}

/* Sets hit h's words [w0, w1] and the clause and sentence of its first word. */
static void match_set_words(const bp_engine_t *e, bp_hit_t *h, int w0, int w1)
{
    h->w0 = w0;
    h->w1 = w1 < w0 ? w0 : w1;
    int w = w0 < (int)e->nwords ? w0 : (int)e->nwords - 1;
    h->clause = w >= 0 ? e->words[w].clause : 0;
    h->sentence = w >= 0 ? e->words[w].sentence : 0;
}

static void match_place(bp_engine_t *e, bp_hit_t *h)
{
    match_set_words(e, h, word_at(e, h->s), word_at(e, h->e ? h->e - 1 : 0));
}

/* match_place for hits in order of their start: *cur, the word of the previous one, only
 * moves forward (the words are sorted, and so are the starts). Same result as match_place. */
static void match_place_next(bp_engine_t *e, bp_hit_t *h, size_t *cur)
{
    size_t w0 = *cur, nw = e->nwords;
    while (w0 < nw && e->words[w0].e <= h->s)
        w0++;
    *cur = w0;
    uint32_t last = h->e ? h->e - 1 : 0;
    size_t w1 = w0;
    while (w1 < nw && e->words[w1].e <= last)
        w1++;
    match_set_words(e, h, (int)w0, (int)w1);
}

/* ---- NEAR ---- */

static int match_near(bp_engine_t *e)
{
    const bp_rules_t *r = e->r;
    for (size_t i = 0; i < e->res.nhits; i++) {
        bp_hit_t *h = &e->res.hits[i];
        if (BP_MF_KIND(e->mf[h->m]) > BP_MK_HANDLE ||
            (h->flags & (BP_HF_EXCLUDED | BP_HF_DROPPED)) || !e->bnear[h->owner])
            continue;
        const bp_brand_t *b = &r->brands[h->owner];
        /* a hit that spells a near term itself («альфабанк» has «банк») needs no other */
        int inside = 0;
        for (size_t x = 0; x < b->nnear && !inside; x++) {
            const char *l = b->near_lit[x];
            size_t ll = l ? strlen(l) : 0;
            inside = ll && h->e - h->s >= ll && memmem(e->norm.text + h->s, h->e - h->s, l, ll);
        }
        if (inside)
            continue;
        e->nxs = 0;
        for (size_t x = 0; x < b->nnear; x++)
            if (match_scan(e, -1, b->near_src[x], b->near[x], e->norm.text, e->norm.len,
                           match_xpush) < 0)
                return -1;
        int ok = 0;
        for (size_t x = 0; x < e->nxs && !ok; x++) {
            bp_hit_t t = {0};
            t.s = e->xs[x].s;
            t.e = e->xs[x].e;
            match_place(e, &t);
            if (t.s < h->e && h->s < t.e) {
                ok = 1; /* the term is part of the brand's own mention («альфа-банк») */
            } else if (t.s >= h->e) {
                ok = b->near_order >= 0 && t.w0 - h->w1 <= b->near_words;
            } else {
                ok = b->near_order <= 0 && h->w0 - t.w1 <= b->near_words;
            }
        }
        if (!ok)
            h->flags |= BP_HF_NONEAR;
    }
    return 0;
}

/* Original offset -> normalized offset: the first normalized byte whose character starts at or
 * after o (map is non-decreasing; map[len] is the original length). */
static uint32_t match_orig_to_norm(const bp_norm_t *n, uint32_t o)
{
    size_t lo = 0, hi = n->len;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (n->map[mid] < o)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint32_t)lo;
}

static int text_has_digitish(const char *t, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((t[i] >= '0' && t[i] <= '9') || t[i] == '@' || t[i] == '$' || t[i] == '|')
            return 1;
    return 0;
}

int bp_match_text(bp_engine_t *e, const char *text, size_t len)
{
    const bp_rules_t *r = e->r;
    e->res.nhits = 0;
    e->res.overflow = 0;
    e->err[0] = 0;
    if (len > BP_ENGINE_MAX_TEXT)
        return match_err(e, "text longer than %zu bytes", (size_t)BP_ENGINE_MAX_TEXT);
    if (bp_normalize(&e->norm, text, len, &r->nopts) < 0)
        return match_err(e, "cannot normalize the text (out of memory)");
    if (bp_utf8_check(e->norm.text, e->norm.len) != e->norm.len)
        return match_err(e, "normalized text is not valid UTF-8");
    int digits = r->has_digits && text_has_digitish(text, len);
    if (e->brand_gate && !digits) {
        /* only mentions wanted: the lexicon and the words only when a brand is named */
        match_pass_begin(e, &e->norm, r->pf, r->always, r->nalways, 0);
        if (match_pass_run(e, &e->norm, MATCH_BRANDS) < 0)
            return -1;
        if (e->res.nhits == 0)
            return 0;
        if (match_pass_run(e, &e->norm, MATCH_LEXICON) < 0)
            return -1;
        match_pass_end(e, &e->norm, 0);
    } else if (match_pass(e, &e->norm, r->pf, r->always, r->nalways, 0) < 0) {
        return -1;
    }
    if (match_words(e, &e->norm) < 0)
        return match_err(e, "out of memory");
    if (match_exclude(e, &e->norm, 0) < 0)
        return -1;
    size_t nmain = e->res.nhits;
    if (digits) {
        if (bp_normalize(&e->normd, text, len, &r->nopts_digits) < 0)
            return match_err(e, "cannot normalize the text (out of memory)");
        if (bp_utf8_check(e->normd.text, e->normd.len) != e->normd.len)
            return match_err(e, "normalized text is not valid UTF-8");
        if (match_pass(e, &e->normd, r->pf_digits, r->always_digits, r->nalways_digits, 1) < 0)
            return -1;
        if (match_exclude(e, &e->normd, nmain) < 0)
            return -1;
        /* keep a digits hit only where the plain text had no hit of the same brand */
        size_t k = nmain;
        for (size_t i = nmain; i < e->res.nhits; i++) {
            bp_hit_t h = e->res.hits[i];
            int dup = 0;
            for (size_t j = 0; j < nmain && !dup; j++) {
                const bp_hit_t *o = &e->res.hits[j];
                dup = BP_MF_KIND(e->mf[o->m]) <= BP_MK_HANDLE &&
                      o->owner == h.owner && o->os < h.oe && h.os < o->oe;
            }
            if (dup)
                continue;
            h.s = match_orig_to_norm(&e->norm, h.os);
            h.e = match_orig_to_norm(&e->norm, h.oe);
            if (h.e < h.s)
                h.e = h.s;
            e->res.hits[k++] = h;
        }
        e->res.nhits = k;
    }
    if (e->res.nhits)
        hits_sort(e->res.hits, e->res.nhits, hit_pos_cmp);
    size_t cur = 0;
    for (size_t i = 0; i < e->res.nhits; i++)
        match_place_next(e, &e->res.hits[i], &cur);
    /* one brand, overlapping hits of several of its matchers: the longest one speaks */
    for (size_t i = 0; i < e->res.nhits; i++) {
        bp_hit_t *a = &e->res.hits[i];
        if (BP_MF_KIND(e->mf[a->m]) > BP_MK_HANDLE || (a->flags & BP_HF_EXCLUDED))
            continue;
        for (size_t j = 0; j < e->res.nhits; j++) {
            bp_hit_t *b = &e->res.hits[j];
            if (j == i || BP_MF_KIND(e->mf[b->m]) > BP_MK_HANDLE || (b->flags & BP_HF_EXCLUDED) ||
                b->owner != a->owner || !(a->os < b->oe && b->os < a->oe))
                continue;
            uint32_t la = a->oe - a->os, lb = b->oe - b->os;
            if (la < lb || (la == lb && j < i)) {
                a->flags |= BP_HF_DROPPED;
                break;
            }
        }
    }
    return match_near(e);
}
