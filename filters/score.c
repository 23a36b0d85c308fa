/* score.c — lexicon scoring of one matched text: overlap resolution, negation, intensifiers,
 * softeners, CAPS and "!!!", urgent categories, and each brand's own sentiment from the terms
 * nearest to it, joined with the learned scorer's part (learned.c) when a model is loaded. */
#include <stdlib.h>
#include <string.h>

#include "learned.h"
#include "ruleset.h"
#include "utf8.h"

const char *bp_score_label(double s)
{
    return s < 0 ? "negative" : s > 0 ? "positive" : "neutral";
}

static int is_sentiment(bp_mkind_t k) { return k == BP_MK_NEGATIVE || k == BP_MK_POSITIVE; }
static int is_modifier(bp_mkind_t k)
{
    return k == BP_MK_NEGATOR || k == BP_MK_INTENSIFIER || k == BP_MK_SOFTENER;
}
static int is_brand(bp_mkind_t k) { return k <= BP_MK_HANDLE; }

static int brand_valid(const bp_hit_t *h)
{
    return !(h->flags & (BP_HF_DROPPED | BP_HF_EXCLUDED | BP_HF_NONEAR));
}

/* A post "in CAPS": most of its letters (at least 6) are capitals. The normalizer counted them
 * (bp_norm_t upper, lower) while it read the text. */
static int score_caps(size_t up, size_t low)
{
    return up >= 6 && up * 10 >= (up + low) * 7;
}

/* "!!!" somewhere in the text. */
static int score_excl(const char *t, size_t len)
{
    const char *end = t + len;
    for (const char *p = t; (p = memchr(p, '!', (size_t)(end - p))) != NULL; p++)
        if (end - p >= 3 && p[1] == '!' && p[2] == '!')
            return 1;
    return 0;
}

/* Overlaps: among sentiment terms the longer wins (a tie: the post's language, then the first
 * rule); modifiers inside a term or urgent phrase are part of it, not modifiers. */
static void score_overlaps(bp_engine_t *e, const char *lang)
{
    const bp_rules_t *r = e->r;
    bp_hit_t *h = e->res.hits;
    size_t n = e->res.nhits;
    /* hits are sorted by start: those that start more than the longest hit's length before
     * hit i cannot reach it, and lo, the first that might, only moves forward */
    uint32_t maxlen = 0;
    for (size_t i = 0; i < n; i++)
        if (h[i].e - h[i].s > maxlen)
            maxlen = h[i].e - h[i].s;
    size_t lo = 0;
    for (size_t i = 0; i < n; i++) {
        bp_mkind_t ki = BP_MF_KIND(e->mf[h[i].m]);
        if (is_brand(ki))
            continue;
        while (lo < i && h[lo].s + maxlen <= h[i].s)
            lo++;
        for (size_t j = lo; j < n; j++) {
            if (j == i)
                continue;
            if (h[j].s >= h[i].e)
                break; /* sorted by start */
            if (h[j].e <= h[i].s)
                continue;
            bp_mkind_t kj = BP_MF_KIND(e->mf[h[j].m]);
            if (is_modifier(ki) && (is_sentiment(kj) || kj == BP_MK_URGENT)) {
                h[i].flags |= BP_HF_DROPPED;
                break;
            }
            if (is_sentiment(ki) && is_sentiment(kj) && !(h[j].flags & BP_HF_DROPPED)) {
                uint32_t li = h[i].e - h[i].s, lj = h[j].e - h[j].s;
                int lose = li < lj;
                if (li == lj) {
                    int mi = lang && strcmp(r->lex[h[i].owner].language, lang) == 0;
                    int mj = lang && strcmp(r->lex[h[j].owner].language, lang) == 0;
                    lose = mi != mj ? mj : h[j].m < h[i].m;
                }
                if (lose) {
                    h[i].flags |= BP_HF_DROPPED;
                    break;
                }
            }
        }
    }
}

/* 1 if a counted sentiment term lies between hits a and b: a modifier acts on the next term
 * only («не плохо работает»: «не» is about «плохо»). */
static int score_between(const bp_engine_t *e, size_t a, size_t b)
{
    const bp_hit_t *h = e->res.hits;
    for (size_t j = a + 1; j < b; j++)
        if (is_sentiment(BP_MF_KIND(e->mf[h[j].m])) && !(h[j].flags & BP_HF_DROPPED) &&
            h[j].s >= h[a].e && h[j].e <= h[b].s)
            return 1;
    return 0;
}

/* The modifier of kind k acting on hit t: within BP_NEG_WINDOW words before it, same clause.
 * Returns its index or -1. */
static int score_before(bp_engine_t *e, size_t t, bp_mkind_t k, size_t from)
{
    const bp_hit_t *h = e->res.hits;
    for (size_t i = from; i-- > 0;) {
        if (h[i].e > h[t].s || BP_MF_KIND(e->mf[h[i].m]) != k || (h[i].flags & BP_HF_DROPPED))
            continue;
        int d = h[t].w0 - h[i].w1;
        if (d > BP_NEG_WINDOW)
            break;
        if (d >= 1 && h[i].clause == h[t].clause && !score_between(e, i, t))
            return (int)i;
    }
    return -1;
}

static bp_brand_score_t *score_brand(bp_engine_t *e, int brand, int hit)
{
    bp_result_t *res = &e->res;
    for (size_t i = 0; i < res->nbs; i++)
        if (res->bs[i].brand == brand)
            return &res->bs[i];
    if (res->nbs == e->r->nbrands)
        return NULL;
    res->bs[res->nbs] = (bp_brand_score_t){.brand = brand, .score = 0, .first_hit = hit};
    return &res->bs[res->nbs++];
}

static int word_dist(const bp_hit_t *a, const bp_hit_t *b)
{
    if (a->e <= b->s)
        return b->w0 - a->w1;
    if (b->e <= a->s)
        return a->w0 - b->w1;
    return 0;
}

/* Gives term t's weight to the brands it speaks about (see docs/rules.md, "Several brands"),
 * looking only at the valid brand hits (e->bhits). */
static void score_assign(bp_engine_t *e, size_t t)
{
    const bp_rules_t *r = e->r;
    bp_result_t *res = &e->res;
    const bp_hit_t *h = res->hits, *th = &h[t];
    const uint32_t *bh = e->bhits;
    size_t nbh = e->nbhits;
    double w = th->weight;
    /* 1. brands in the same clause */
    int before = 0, after = 0;
    for (size_t k = 0; k < nbh; k++) {
        const bp_hit_t *b = &h[bh[k]];
        if (b->clause != th->clause)
            continue;
        if (b->e <= th->s)
            before++;
        else if (b->s >= th->e)
            after++;
    }
    if (before || after) {
        int cmp = before && after && r->m[th->m].comparative;
        /* each brand once, by its hit nearest to the term */
        for (size_t bi = 0; bi < res->nbs; bi++) {
            int best = -1, bestd = 1 << 30;
            for (size_t k = 0; k < nbh; k++) {
                const bp_hit_t *b = &h[bh[k]];
                if (b->clause != th->clause || b->owner != res->bs[bi].brand)
                    continue;
                int d = word_dist(b, th);
                if (d < bestd) {
                    bestd = d;
                    best = (int)bh[k];
                }
            }
            if (best < 0)
                continue;
            res->bs[bi].score += (cmp && h[best].s >= th->e) ? -w : w;
        }
        return;
    }
    /* 2. the nearest brand(s) in the same sentence, else 3. in the whole text */
    for (int scope = 0; scope < 2; scope++) {
        int bestd = 1 << 30;
        for (size_t k = 0; k < nbh; k++) {
            const bp_hit_t *b = &h[bh[k]];
            if ((scope || b->sentence == th->sentence) && word_dist(b, th) < bestd)
                bestd = word_dist(b, th);
        }
        if (bestd == 1 << 30)
            continue;
        for (size_t bi = 0; bi < res->nbs; bi++) {
            for (size_t k = 0; k < nbh; k++) {
                const bp_hit_t *b = &h[bh[k]];
                if ((scope || b->sentence == th->sentence) && word_dist(b, th) == bestd &&
                    b->owner == res->bs[bi].brand) {
                    res->bs[bi].score += w;
                    break;
                }
            }
        }
        return;
    }
}

int bp_score_text(bp_engine_t *e, const char *text, size_t len, const char *lang)
{
    const bp_rules_t *r = e->r;
    bp_result_t *res = &e->res;
    bp_hit_t *h = res->hits;
    res->score = 0;
    res->urgent = 0;
    res->nbs = 0;
    res->caps = score_caps(e->norm.upper, e->norm.lower); /* bp_match_text read this text */
    res->excl = score_excl(text, len);
    if (lang && !*lang)
        lang = NULL;
    score_overlaps(e, lang);
    e->nbhits = 0;
    for (size_t i = 0; i < res->nhits; i++) {
        bp_mkind_t k = BP_MF_KIND(e->mf[h[i].m]);
        if (is_brand(k) && brand_valid(&h[i])) {
            if (!score_brand(e, h[i].owner, (int)i))
                return -1;
            e->bhits[e->nbhits++] = (uint32_t)i;
        }
        if ((!is_sentiment(k) && k != BP_MK_URGENT) || (h[i].flags & BP_HF_DROPPED))
            continue;
        int neg = score_before(e, i, BP_MK_NEGATOR, i);
        if (neg >= 0) {
            h[i].flags |= BP_HF_NEGATED;
            h[i].negator = neg;
            h[neg].flags |= BP_HF_USED;
        }
        if (k == BP_MK_URGENT) {
            if (neg < 0)
                res->urgent++;
            continue;
        }
        double w = e->mweight[h[i].m];
        if (neg >= 0)
            w = w > 0 ? -w : w * BP_NEGATED_NEGATIVE_FACTOR;
        /* intensifiers: each one in the window multiplies */
        size_t from = i;
        int in;
        while ((in = score_before(e, i, BP_MK_INTENSIFIER, from)) >= 0) {
            if (h[i].intens < 0)
                h[i].intens = in;
            h[in].flags |= BP_HF_USED;
            h[in].target = (int)i;
            w *= e->mweight[h[in].m];
            from = (size_t)in;
        }
        if (w < 0) {
            for (size_t j = i + 1; j < res->nhits; j++)
                if (BP_MF_KIND(e->mf[h[j].m]) == BP_MK_SOFTENER && !(h[j].flags & BP_HF_DROPPED) &&
                    h[j].s >= h[i].e) {
                    h[i].softener = (int)j;
                    h[j].flags |= BP_HF_USED;
                    w *= e->mweight[h[j].m];
                    break;
                }
        }
        if (res->caps)
            w *= r->policy.caps_factor;
        if (res->excl)
            w *= r->policy.excl_factor;
        h[i].weight = w;
        res->score += w;
    }
    for (size_t i = 0; i < res->nhits; i++)
        if (is_sentiment(BP_MF_KIND(e->mf[h[i].m])) && !(h[i].flags & BP_HF_DROPPED))
            score_assign(e, i);
    /* the learned scorer: each brand's lexicon score plus the model's part (learned.h) */
    res->model = NULL;
    for (size_t bi = 0; bi < res->nbs; bi++) {
        res->bs[bi].lex = res->bs[bi].score;
        res->bs[bi].learned = 0;
        res->bs[bi].neutral = 0;
    }
    if (res->nbs && r->nmodels) {
        res->model = bp_learned_pick(e, lang);
        if (res->model && bp_learned_apply(e, res->model) < 0)
            return -1;
    }
    res->judge_score = res->score;
    for (size_t bi = 0; bi < res->nbs; bi++)
        if (bi == 0 || res->bs[bi].score < res->judge_score)
            res->judge_score = res->bs[bi].score;
    return 0;
}
