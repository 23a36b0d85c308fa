/* engine.c — the engine's per-thread scratch and bp_engine_judge: a post in, a mention out
 * (matching, scoring, policy, then the mention JSON, the only allocation per matched post). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "ruleset.h"
#include "timeutil.h"

bp_engine_t *bp_engine_new(const bp_rules_t *r)
{
    if (!r)
        return NULL;
    bp_engine_t *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->r = r;
    e->prefilter = 1;
    bp_norm_init(&e->norm);
    bp_norm_init(&e->normd);
    bp_buf_init(&e->res.reasons, 64 * 1024);
    e->md = pcre2_match_data_create(16, NULL);
    e->mctx = pcre2_match_context_create(NULL);
    e->jit = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
    e->stamp = calloc(r->nm + 1, sizeof *e->stamp);
    e->ms = calloc(r->nm + 1, sizeof *e->ms);
    e->present = calloc(r->npresence + 1, sizeof *e->present);
    e->cand = malloc((r->nm + 1) * sizeof *e->cand);
    e->res.bs = calloc(r->nbrands + 1, sizeof *e->res.bs);
    if (!e->md || !e->mctx || !e->jit || !e->stamp || !e->ms || !e->present || !e->cand ||
        !e->res.bs) {
        bp_engine_free(e);
        return NULL;
    }
    pcre2_set_match_limit(e->mctx, r->policy.match_limit);
    pcre2_set_depth_limit(e->mctx, r->policy.depth_limit);
    pcre2_jit_stack_assign(e->mctx, NULL, e->jit);
    return e;
}

void bp_engine_free(bp_engine_t *e)
{
    if (!e)
        return;
    bp_norm_free(&e->norm);
    bp_norm_free(&e->normd);
    pcre2_match_data_free(e->md);
    pcre2_match_context_free(e->mctx);
    pcre2_jit_stack_free(e->jit);
    free(e->stamp);
    free(e->ms);
    free(e->present);
    free(e->cand);
    free(e->anc);
    free(e->words);
    free(e->xs);
    free(e->res.hits);
    free(e->res.bs);
    bp_buf_free(&e->res.reasons);
    free(e);
}

void bp_engine_set_prefilter(bp_engine_t *e, int on) { e->prefilter = on != 0; }

int bp_engine_run(bp_engine_t *e, const char *text, size_t len, const char *lang,
                  long long followers, const char *author_id, const char *author_handle)
{
    e->res.nbs = 0;
    e->res.score = e->res.judge_score = 0;
    e->res.alert = 0;
    e->res.priority = "normal";
    e->res.followers = followers;
    if (bp_match_text(e, text, len) < 0)
        return -1;
    if (bp_score_text(e, text, len, lang) < 0 ||
        bp_policy_decide(e->r, &e->res, author_id, author_handle) < 0) {
        snprintf(e->err, sizeof e->err, "out of memory");
        return -1;
    }
    return 0;
}

/* A score for JSON: one decimal; whole numbers as integers. */
static json_t *engine_num(double v)
{
    double r = round(v * 10) / 10;
    if (r == 0)
        r = 0; /* no -0 */
    if (r == floor(r) && fabs(r) < 1e15)
        return json_integer((json_int_t)r);
    return json_real(r);
}

static int engine_set(json_t *o, const char *k, json_t *v)
{
    return v ? json_object_set_new(o, k, v) : -1;
}

static const char *author_field(const json_t *post, const char *k)
{
    const json_t *a = json_object_get(post, "author");
    const json_t *v = a ? json_object_get(a, k) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *engine_mention(bp_engine_t *e, const json_t *post)
{
    const bp_rules_t *r = e->r;
    const bp_result_t *res = &e->res;
    int rc = 0;
    json_t *m = json_copy((json_t *)post);
    json_t *brands = json_array(), *matches = json_array(), *terms = json_array();
    json_t *sent = json_object(), *bsent = json_object(), *reasons = json_array();
    if (!m || !brands || !matches || !terms || !sent || !bsent || !reasons)
        goto fail;
    for (size_t i = 0; i < res->nbs; i++) {
        const bp_brand_t *b = &r->brands[res->bs[i].brand];
        json_t *o = json_object();
        rc |= json_array_append_new(brands, json_string(b->id));
        rc |= engine_set(o, "score", engine_num(res->bs[i].score));
        rc |= engine_set(o, "label", json_string(bp_score_label(res->bs[i].score)));
        rc |= engine_set(bsent, b->id, o);
    }
    for (size_t i = 0; i < res->nhits; i++) {
        const bp_hit_t *h = &res->hits[i];
        const bp_matcher_t *mt = &r->m[h->m];
        if (h->flags & (BP_HF_DROPPED | BP_HF_EXCLUDED | BP_HF_NONEAR))
            continue;
        json_t *o = NULL;
        if (mt->kind <= BP_MK_HANDLE) {
            o = json_object();
            rc |= engine_set(o, "rule", json_string(r->brands[mt->owner].id));
            rc |= engine_set(o, "kind", json_string("brand"));
        } else if (mt->kind == BP_MK_URGENT && !(h->flags & BP_HF_NEGATED)) {
            o = json_object();
            rc |= engine_set(o, "rule", json_string(mt->reason));
            rc |= engine_set(o, "kind", json_string("urgent"));
        } else if (mt->kind == BP_MK_NEGATIVE || mt->kind == BP_MK_POSITIVE) {
            json_t *t = json_object();
            rc |= engine_set(t, "term", json_string(mt->term));
            rc |= engine_set(t, "weight", engine_num(h->weight));
            rc |= engine_set(t, "start", json_integer(h->os));
            rc |= engine_set(t, "end", json_integer(h->oe));
            if (h->flags & BP_HF_NEGATED)
                rc |= engine_set(t, "negated", json_true());
            rc |= json_array_append_new(terms, t);
            continue;
        } else {
            continue;
        }
        rc |= engine_set(o, "term", json_string(mt->term));
        rc |= engine_set(o, "start", json_integer(h->os));
        rc |= engine_set(o, "end", json_integer(h->oe));
        rc |= json_array_append_new(matches, o);
    }
    rc |= engine_set(sent, "score", engine_num(res->score));
    rc |= engine_set(sent, "label", json_string(bp_score_label(res->score)));
    rc |= json_object_set_new(sent, "terms", terms);
    terms = NULL;
    const char *q = res->reasons.data;
    for (size_t i = 0; i < res->nreasons; i++, q += strlen(q) + 1)
        rc |= json_array_append_new(reasons, json_string(q));
    rc |= json_object_set_new(m, "brands", brands);
    brands = NULL;
    rc |= json_object_set_new(m, "matches", matches);
    matches = NULL;
    rc |= json_object_set_new(m, "sentiment", sent);
    sent = NULL;
    rc |= json_object_set_new(m, "brand_sentiment", bsent);
    bsent = NULL;
    rc |= json_object_set_new(m, "alert", json_boolean(res->alert));
    if (res->alert) {
        /* which brands' care teams hear of it: those judged negative («Билайн лучше МТС» alerts
         * MTS only); when none is (an urgent term, a popular author), every brand named */
        json_t *ab = json_array();
        for (size_t i = 0; i < res->nbs; i++)
            if (res->bs[i].score < 0)
                rc |= json_array_append_new(ab, json_string(r->brands[res->bs[i].brand].id));
        if (json_array_size(ab) == 0)
            for (size_t i = 0; i < res->nbs; i++)
                rc |= json_array_append_new(ab, json_string(r->brands[res->bs[i].brand].id));
        rc |= json_object_set_new(m, "alert_brands", ab);
    }
    rc |= engine_set(m, "priority", json_string(res->priority));
    rc |= json_object_set_new(m, "reasons", reasons);
    reasons = NULL;
    rc |= engine_set(m, "rules_version", json_string(r->version));
    rc |= bp_json_set_time(m, "filtered_at", bp_now_ms());
    if (rc)
        goto fail;
    return m;
fail:
    json_decref(m);
    json_decref(brands);
    json_decref(matches);
    json_decref(terms);
    json_decref(sent);
    json_decref(bsent);
    json_decref(reasons);
    return NULL;
}

int bp_engine_judge(bp_engine_t *e, const json_t *post, json_t **mention, char *err,
                    size_t errlen)
{
    *mention = NULL;
    const json_t *t = json_object_get(post, "text");
    if (!json_is_string(t)) {
        snprintf(err, errlen, "post has no text");
        return -1;
    }
    const char *handle = author_field(post, "handle");
    if (!handle)
        handle = author_field(post, "username");
    if (bp_engine_run(e, json_string_value(t), json_string_length(t), bp_json_str(post, "lang"),
                      bp_post_followers(post), author_field(post, "id"), handle) < 0) {
        snprintf(err, errlen, "%s", e->err);
        return -1;
    }
    if (e->res.nbs == 0)
        return 0;
    *mention = engine_mention(e, post);
    if (!*mention) {
        snprintf(err, errlen, "out of memory building the mention");
        return -1;
    }
    return 1;
}
