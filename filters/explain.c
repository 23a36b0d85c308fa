/* explain.c — bp_engine_explain: why a text matched or not, for the people who write rules:
 * normalized text, every hit with its span and fate, the score arithmetic, the decision. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "learned.h"
#include "ruleset.h"

static const char *const kind_names[BP_MK_COUNT] = {
    "variant", "pattern", "handle", "negative", "positive", "urgent", "negator", "intensifier",
    "softener"};

/* Appends s[a..b) with control characters shown as spaces. */
static void ex_span(bp_buf_t *out, const char *s, size_t a, size_t b)
{
    bp_buf_putc(out, '"');
    for (size_t i = a; i < b; i++)
        bp_buf_putc(out, (unsigned char)s[i] < 0x20 ? ' ' : s[i]);
    bp_buf_putc(out, '"');
}

static void ex_num(bp_buf_t *out, double v)
{
    double r = round(v * 100) / 100;
    if (r == 0)
        r = 0;
    bp_buf_printf(out, "%g", r);
}

static void ex_hit(bp_engine_t *e, const bp_hit_t *h, const char *text, bp_buf_t *out)
{
    const bp_rules_t *r = e->r;
    const bp_matcher_t *m = &r->m[h->m];
    bp_buf_printf(out, "  [%u,%u) ", h->os, h->oe);
    ex_span(out, text, h->os, h->oe);
    if (m->kind <= BP_MK_HANDLE)
        bp_buf_printf(out, "  brand %s, %s '%s'", r->brands[m->owner].id, kind_names[m->kind],
                      m->term);
    else
        bp_buf_printf(out, "  %s '%s' (%s)", kind_names[m->kind], m->term,
                      r->lex[m->owner].language);
    if (m->kind == BP_MK_NEGATIVE || m->kind == BP_MK_POSITIVE) {
        bp_buf_puts(out, " weight ");
        ex_num(out, m->weight);
    } else if (m->kind == BP_MK_URGENT) {
        bp_buf_printf(out, " reason %s", m->reason);
    } else if (m->kind == BP_MK_INTENSIFIER || m->kind == BP_MK_SOFTENER) {
        bp_buf_puts(out, " factor ");
        ex_num(out, m->weight);
    }
    bp_buf_printf(out, "  (%s:%d:%d)", m->file, m->line, m->col);
    if (h->flags & BP_HF_EXCLUDED)
        bp_buf_puts(out, "  EXCLUDED: overlaps an exclude pattern");
    else if (h->flags & BP_HF_NONEAR)
        bp_buf_printf(out, "  IGNORED: no near term within %d words",
                      r->brands[m->owner].near_words);
    else if (h->flags & BP_HF_DROPPED)
        bp_buf_puts(out, m->kind <= BP_MK_HANDLE || m->kind == BP_MK_NEGATIVE ||
                                 m->kind == BP_MK_POSITIVE
                             ? "  IGNORED: inside a longer hit"
                             : "  IGNORED: part of a term");
    else if (m->kind == BP_MK_URGENT && (h->flags & BP_HF_NEGATED))
        bp_buf_puts(out, "  IGNORED: negated");
    else if ((m->kind == BP_MK_NEGATOR || m->kind == BP_MK_INTENSIFIER ||
              m->kind == BP_MK_SOFTENER) &&
             !(h->flags & BP_HF_USED))
        bp_buf_puts(out, "  (no term to act on)");
    bp_buf_putc(out, '\n');
}

static void ex_term(bp_engine_t *e, const bp_hit_t *h, const char *text, bp_buf_t *out)
{
    const bp_rules_t *r = e->r;
    const bp_result_t *res = &e->res;
    const bp_matcher_t *m = &r->m[h->m];
    bp_buf_puts(out, "  ");
    ex_span(out, text, h->os, h->oe);
    bp_buf_puts(out, ": ");
    ex_num(out, m->weight);
    if (h->negator >= 0) {
        const bp_hit_t *n = &res->hits[h->negator];
        bp_buf_puts(out, m->weight > 0 ? " x -1 (negated by " : " x -0.5 (negated by ");
        ex_span(out, text, n->os, n->oe);
        bp_buf_puts(out, ")");
    }
    /* intensifiers: every one in the window before the term, as score.c applied them */
    for (size_t j = 0; j < res->nhits; j++) {
        const bp_hit_t *x = &res->hits[j];
        if (r->m[x->m].kind != BP_MK_INTENSIFIER || x->target != (int)(h - res->hits))
            continue;
        bp_buf_puts(out, " x ");
        ex_num(out, r->m[x->m].weight);
        bp_buf_puts(out, " (");
        ex_span(out, text, x->os, x->oe);
        bp_buf_puts(out, ")");
    }
    if (h->softener >= 0) {
        const bp_hit_t *s = &res->hits[h->softener];
        bp_buf_puts(out, " x ");
        ex_num(out, r->m[s->m].weight);
        bp_buf_puts(out, " (softened by ");
        ex_span(out, text, s->os, s->oe);
        bp_buf_puts(out, ")");
    }
    if (res->caps) {
        bp_buf_puts(out, " x ");
        ex_num(out, r->policy.caps_factor);
        bp_buf_puts(out, " (CAPS)");
    }
    if (res->excl) {
        bp_buf_puts(out, " x ");
        ex_num(out, r->policy.excl_factor);
        bp_buf_puts(out, " (\"!!!\")");
    }
    bp_buf_puts(out, " = ");
    ex_num(out, h->weight);
    bp_buf_putc(out, '\n');
}

void bp_explain_hits(bp_engine_t *e, const char *text, int brands, bp_buf_t *out)
{
    int any = 0;
    for (size_t i = 0; i < e->res.nhits; i++) {
        int isb = e->r->m[e->res.hits[i].m].kind <= BP_MK_HANDLE;
        if (isb == (brands != 0)) {
            ex_hit(e, &e->res.hits[i], text, out);
            any = 1;
        }
    }
    if (!any)
        bp_buf_printf(out, "  (no %s hits)\n", brands ? "brand" : "lexicon");
}

int bp_engine_explain(bp_engine_t *e, const char *text, size_t len, const char *lang,
                      long long followers, const char *author, bp_buf_t *out)
{
    const bp_rules_t *r = e->r;
    bp_buf_printf(out, "rules      %s (%zu brands, %zu lexicons, %zu terms)\n", r->version,
                  r->nbrands, r->nlex, r->nm);
    bp_buf_puts(out, "text       ");
    ex_span(out, text, 0, len);
    bp_buf_putc(out, '\n');
    if (bp_engine_run(e, text, len, lang, followers, author, author) < 0) {
        bp_buf_printf(out, "ERROR      %s\n", e->err);
        return -1;
    }
    const bp_result_t *res = &e->res;
    bp_buf_puts(out, "normalized ");
    ex_span(out, e->norm.text, 0, e->norm.len);
    bp_buf_putc(out, '\n');
    size_t nb = 0, nl = 0;
    for (size_t i = 0; i < res->nhits; i++)
        r->m[res->hits[i].m].kind <= BP_MK_HANDLE ? nb++ : nl++;
    bp_buf_printf(out, "\nbrand hits (%zu)\n", nb);
    for (size_t i = 0; i < res->nhits; i++)
        if (r->m[res->hits[i].m].kind <= BP_MK_HANDLE)
            ex_hit(e, &res->hits[i], text, out);
    bp_buf_printf(out, "\nlexicon hits (%zu)\n", nl);
    for (size_t i = 0; i < res->nhits; i++)
        if (r->m[res->hits[i].m].kind > BP_MK_HANDLE)
            ex_hit(e, &res->hits[i], text, out);
    if (res->overflow)
        bp_buf_printf(out, "  (%zu more hits ignored: at most %d per text)\n", res->overflow,
                      BP_ENGINE_MAX_HITS);
    bp_buf_puts(out, "\nscore\n");
    int any = 0;
    for (size_t i = 0; i < res->nhits; i++) {
        const bp_hit_t *h = &res->hits[i];
        bp_mkind_t k = r->m[h->m].kind;
        if ((k == BP_MK_NEGATIVE || k == BP_MK_POSITIVE) && !(h->flags & BP_HF_DROPPED)) {
            ex_term(e, h, text, out);
            any = 1;
        }
    }
    if (!any)
        bp_buf_puts(out, "  no sentiment terms\n");
    bp_buf_puts(out, "  total = ");
    ex_num(out, res->score);
    bp_buf_printf(out, " (%s)\n", bp_score_label(res->score));
    /* the learned scorer: per brand, its top features, the sum and the blend */
    for (size_t i = 0; res->model && i < res->nbs; i++)
        bp_learned_explain(e, res->model, i, out);
    if (res->urgent)
        bp_buf_printf(out, "  urgent terms: %d\n", res->urgent);
    bp_buf_puts(out, "\nbrands\n");
    if (!res->nbs)
        bp_buf_puts(out, "  none: this text is not a mention (bp-filter would drop it)\n");
    for (size_t i = 0; i < res->nbs; i++) {
        bp_buf_printf(out, "  %s: ", r->brands[res->bs[i].brand].id);
        ex_num(out, res->bs[i].score);
        bp_buf_printf(out, " (%s)\n", bp_score_label(res->bs[i].score));
    }
    const bp_policy_t *p = &r->policy;
    bp_buf_puts(out, "\npolicy\n  judged score ");
    ex_num(out, res->judge_score);
    bp_buf_printf(out, "%s, followers %lld%s\n",
                  res->nbs > 1 ? " (the most negative brand)" : "", res->followers,
                  res->vip >= 0 ? ", VIP author" : "");
    bp_buf_printf(out, "  alert: %s", res->alert ? "yes" : "no");
    if (res->alert) {
        const char *sep = " because ";
        if (p->any_urgent_term && res->urgent) {
            bp_buf_printf(out, "%san urgent term", sep);
            sep = "; ";
        }
        if (p->has_score_at_most && res->judge_score <= p->score_at_most) {
            bp_buf_printf(out, "%sscore <= ", sep);
            ex_num(out, p->score_at_most);
            sep = "; ";
        }
        if (res->judge_score < 0 && p->negative_followers >= 0 &&
            res->followers >= p->negative_followers) {
            bp_buf_printf(out, "%snegative and followers >= %lld", sep, p->negative_followers);
            sep = "; ";
        }
        if (res->judge_score < 0 && p->vip_negative && res->vip >= 0)
            bp_buf_printf(out, "%snegative from a VIP author", sep);
    }
    bp_buf_printf(out, "\n  priority: %s\n  reasons:", res->priority);
    const char *q = res->reasons.data;
    for (size_t i = 0; i < res->nreasons; i++, q += strlen(q) + 1)
        bp_buf_printf(out, " %s", q);
    bp_buf_puts(out, res->nreasons ? "\n" : " none\n");
    return 0;
}
