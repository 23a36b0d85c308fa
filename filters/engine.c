/* engine.c — the engine's per-thread scratch and bp_engine_judge: a post in, a mention out
 * (matching, scoring, policy, then the mention JSON, the only allocation per matched post).
 * bp_engine_judge_raw writes the mention as text instead: the post's own bytes with the
 * mention's fields appended (no json_t copied or dumped); bp_engine_judge_view does the same
 * from a one-pass view of the record (postview.h), no json_t at all: what bp-filter runs. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "postview.h"
#include "ruleset.h"
#include "timeutil.h"

static int raw_cstr(bp_buf_t *b, const char *s);

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
    bp_buf_init(&e->cstrs, 4 * BP_POST_MAX_BYTES);
    e->md = pcre2_match_data_create(16, NULL);
    e->mctx = pcre2_match_context_create(NULL);
    e->jit = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
    e->stamp = calloc(r->nm + 1, sizeof *e->stamp);
    e->ms = calloc(r->nm + 1, sizeof *e->ms);
    e->present = calloc(r->npresence + 1, sizeof *e->present);
    e->looked = calloc(r->npresence + 1, sizeof *e->looked);
    e->cand = malloc((r->nm + 1) * sizeof *e->cand);
    e->res.bs = calloc(r->nbrands + 1, sizeof *e->res.bs);
    e->mf = calloc(r->nm + 1, 1);
    e->bhits = malloc(BP_ENGINE_MAX_HITS * sizeof *e->bhits);
    if (!e->md || !e->mctx || !e->jit || !e->stamp || !e->ms || !e->present || !e->looked ||
        !e->cand || !e->res.bs || !e->mf || !e->bhits) {
        bp_engine_free(e);
        return NULL;
    }
    /* which literal hits C can verify without the regex, and the rest of what the hot loops
     * ask of a matcher, in one byte each */
    for (size_t i = 0; i < r->nm; i++) {
        const bp_matcher_t *m = &r->m[i];
        /* a pattern whose matches all start with one of its literals is searched from its
         * literal hits, like a term, not over the whole text */
        int anchor = m->lit || (m->nlits && !m->always && m->src &&
                                bp_regex_lits_lead(m->src, m->lits, m->nlits));
        e->mf[i] = (unsigned char)((bp_regex_simple_kind(r, m) & BP_MF_SIMPLE) |
                                   (anchor ? BP_MF_ANCHOR : 0) | (unsigned)m->kind << 4);
    }
    if (bp_match_prepare(e) < 0) {
        bp_engine_free(e);
        return NULL;
    }
    /* each term, then each brand id, as the mentions write it: escaped once here rather than
     * per mention */
    e->term_at = malloc((r->nm + r->nbrands + 1) * 2 * sizeof *e->term_at);
    bp_buf_init(&e->terms, 0);
    for (size_t i = 0; e->term_at && i < r->nm + r->nbrands; i++) {
        size_t at = e->terms.len;
        const char *s = i < r->nm ? r->m[i].term : r->brands[i - r->nm].id;
        if (raw_cstr(&e->terms, s ? s : "") != 0) {
            free(e->term_at);
            e->term_at = NULL;
            break;
        }
        e->term_at[2 * i] = (uint32_t)at;
        e->term_at[2 * i + 1] = (uint32_t)(e->terms.len - at);
    }
    if (!e->term_at) {
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
    free(e->looked);
    free(e->cand);
    free(e->mf);
    free(e->bhits);
    free(e->anc);
    free(e->words);
    free(e->xs);
    free(e->res.hits);
    free(e->res.bs);
    bp_buf_free(&e->res.reasons);
    bp_buf_free(&e->cstrs);
    bp_buf_free(&e->terms);
    bp_buf_free(&e->checks);
    free(e->needix);
    free(e->xat);
    free(e->bnear);
    free(e->mweight);
    bp_buf_free(&e->xgate);
    free(e->term_at);
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
    if (e->brand_gate && e->res.nhits == 0) {
        /* no brand: no mention, nothing to score (bp_match_text stopped early) */
        e->res.nbs = 0;
        bp_buf_reset(&e->res.reasons);
        e->res.nreasons = 0;
        return 0;
    }
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

/* Whether an alert about res is for its i-th brand (alert_brands): the brands judged negative
 * («Билайн лучше МТС» alerts MTS only); when none is (an urgent term, a popular author),
 * every brand named. */
static int engine_alert_for(const bp_result_t *res, size_t i)
{
    if (res->bs[i].score < 0)
        return 1;
    for (size_t k = 0; k < res->nbs; k++)
        if (res->bs[k].score < 0)
            return 0;
    return 1;
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
            if (engine_alert_for(res, i))
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

/* ---- the mention spliced into the post's own bytes (bp_engine_judge_raw) ---- */

/* Appends s (len bytes, UTF-8) as a JSON string the way jansson's json_dumps writes it
 * without JSON_ENSURE_ASCII: '"', '\\' and control characters escaped, the rest as is. */
static int raw_str(bp_buf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = bp_buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc |= bp_buf_append(b, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        rc |= bp_buf_append(b, esc, n);
    }
    rc |= bp_buf_append(b, s + run, len - run);
    return rc | bp_buf_putc(b, '"');
}

/* raw_str of a NUL-terminated string: one pass when it holds nothing to escape (rule terms,
 * brand ids, reasons mostly). */
static int raw_cstr(bp_buf_t *b, const char *s)
{
    size_t n = 0;
    for (;; n++) {
        unsigned char c = (unsigned char)s[n];
        if (c == 0)
            break;
        if (c < 0x20 || c == '"' || c == '\\')
            return raw_str(b, s, n + strlen(s + n));
    }
    return bp_buf_putc(b, '"') | bp_buf_append(b, s, n) | bp_buf_putc(b, '"');
}

/* Matcher mi's term as a JSON string (made by bp_engine_new). */
static int raw_term(const bp_engine_t *e, bp_buf_t *b, int mi)
{
    return bp_buf_append(b, e->terms.data + e->term_at[2 * mi], e->term_at[2 * mi + 1]);
}

/* Brand bi's id as a JSON string (made by bp_engine_new). */
static int raw_brand(const bp_engine_t *e, bp_buf_t *b, size_t bi)
{
    return raw_term(e, b, (int)(e->r->nm + bi));
}

/* "key": (key is a plain ASCII literal, nothing to escape), preceded by a comma. */
static int raw_key(bp_buf_t *b, const char *k)
{
    return bp_buf_putc(b, ',') | bp_buf_putc(b, '"') | bp_buf_puts(b, k) |
           bp_buf_append(b, "\":", 2);
}

/* A literal string (sizeof, not strlen). */
#define RAW_LIT(b, lit) bp_buf_append((b), (lit), sizeof(lit) - 1)

/* An integer as jansson writes it ("%lld"). */
static int raw_int(bp_buf_t *b, long long v)
{
    char s[24], *p = s + sizeof s;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return bp_buf_append(b, p, (size_t)(s + sizeof s - p));
}

/* A score as engine_num then json_dumps write it: whole numbers as integers, else jansson's
 * real format ("%.17g", ".0" added when there is no '.' or 'e', exponent without '+' and
 * leading zeros). */
#define RAW_NUM_SPAN 300 /* tenths: -30.0 .. 30.0 (14 KiB a thread) */
static _Thread_local char raw_num_text[2 * RAW_NUM_SPAN + 1][24];
static _Thread_local unsigned char raw_num_len[2 * RAW_NUM_SPAN + 1];

static int raw_num(bp_buf_t *b, double v)
{
    double r = round(v * 10) / 10;
    if (r == 0)
        r = 0;
    if (r == floor(r) && fabs(r) < 1e15)
        return raw_int(b, (long long)r);
    if (r * 2 == floor(r * 2) && fabs(r) < 1e15) {
        /* a half («1.5», «-0.5»): exact in binary, "%.17g" writes it as such */
        long long w = (long long)fabs(r);
        return (r < 0 ? bp_buf_putc(b, '-') : 0) | raw_int(b, w) | bp_buf_append(b, ".5", 2);
    }
    /* scores of -30..30: formatted once each, remembered (snprintf costs a microsecond) */
    int cached = fabs(r) < RAW_NUM_SPAN / 10.0 + 0.05;
    long k = cached ? lround(r * 10) + RAW_NUM_SPAN : 0;
    cached = cached && k >= 0 && k <= 2 * RAW_NUM_SPAN;
    if (cached && raw_num_len[k])
        return bp_buf_append(b, raw_num_text[k], raw_num_len[k]);
    char s[64];
    int n = snprintf(s, sizeof s, "%.17g", r);
    if (n < 0 || (size_t)n >= sizeof s - 3)
        return -1;
    if (!strchr(s, '.') && !strchr(s, 'e')) {
        s[n++] = '.';
        s[n++] = '0';
        s[n] = '\0';
    }
    char *x = strchr(s, 'e');
    if (x) {
        char *start = x + 1, *end = x + 2;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, (size_t)n - (size_t)(end - s) + 1);
            n -= (int)(end - start);
        }
    }
    if (cached && (size_t)n < sizeof raw_num_text[k]) {
        memcpy(raw_num_text[k], s, (size_t)n);
        raw_num_len[k] = (unsigned char)n;
    }
    return bp_buf_append(b, s, (size_t)n);
}


/* The fields a mention adds to its post: a post that has one already (a mention fed back in)
 * is judged through the json_t path, which replaces them in place. */
static const char *const engine_mention_keys[] = {
    "brands", "matches", "sentiment", "brand_sentiment", "alert", "alert_brands",
    "priority", "reasons", "rules_version", "filtered_at", NULL};

/* Appends the mention's fields (",\"brands\":[...],...}") for e->res; b already holds the
 * post's bytes up to, not including, its closing brace. Same fields, order and formatting as
 * engine_mention + bp_json_dump. Returns 0 or -1 (cap or memory). */
static int engine_mention_raw(bp_engine_t *e, bp_buf_t *b, int64_t now_ms)
{
    const bp_rules_t *r = e->r;
    const bp_result_t *res = &e->res;
    int rc = raw_key(b, "brands") | bp_buf_putc(b, '[');
    for (size_t i = 0; i < res->nbs; i++) {
        if (i)
            rc |= bp_buf_putc(b, ',');
        rc |= raw_brand(e, b, res->bs[i].brand);
    }
    rc |= bp_buf_putc(b, ']') | raw_key(b, "matches") | bp_buf_putc(b, '[');
    int first = 1;
    for (size_t i = 0; i < res->nhits; i++) {
        const bp_hit_t *h = &res->hits[i];
        const bp_matcher_t *mt = &r->m[h->m];
        if (h->flags & (BP_HF_DROPPED | BP_HF_EXCLUDED | BP_HF_NONEAR))
            continue;
        int brand = mt->kind <= BP_MK_HANDLE;
        if (!brand && !(mt->kind == BP_MK_URGENT && !(h->flags & BP_HF_NEGATED)))
            continue;
        if (!brand && !mt->reason)
            return -1; /* as json_string(NULL) fails the json_t path */
        rc |= bp_buf_append(b, first ? "{\"rule\":" : ",{\"rule\":", first ? 8 : 9);
        first = 0;
        if (brand)
            rc |= raw_brand(e, b, mt->owner) | RAW_LIT(b, ",\"kind\":\"brand\"");
        else
            rc |= raw_cstr(b, mt->reason) | RAW_LIT(b, ",\"kind\":\"urgent\"");
        rc |= RAW_LIT(b, ",\"term\":") | raw_term(e, b, h->m) | RAW_LIT(b, ",\"start\":") |
              raw_int(b, h->os) | RAW_LIT(b, ",\"end\":") | raw_int(b, h->oe) | bp_buf_putc(b, '}');
    }
    rc |= bp_buf_putc(b, ']') | raw_key(b, "sentiment") | RAW_LIT(b, "{\"score\":") |
          raw_num(b, res->score) | RAW_LIT(b, ",\"label\":") |
          raw_cstr(b, bp_score_label(res->score)) | RAW_LIT(b, ",\"terms\":[");
    first = 1;
    for (size_t i = 0; i < res->nhits; i++) {
        const bp_hit_t *h = &res->hits[i];
        const bp_matcher_t *mt = &r->m[h->m];
        if (h->flags & (BP_HF_DROPPED | BP_HF_EXCLUDED | BP_HF_NONEAR))
            continue;
        if (mt->kind != BP_MK_NEGATIVE && mt->kind != BP_MK_POSITIVE)
            continue;
        rc |= bp_buf_append(b, first ? "{\"term\":" : ",{\"term\":", first ? 8 : 9);
        first = 0;
        rc |= raw_term(e, b, h->m) | RAW_LIT(b, ",\"weight\":") | raw_num(b, h->weight) |
              RAW_LIT(b, ",\"start\":") | raw_int(b, h->os) |
              RAW_LIT(b, ",\"end\":") | raw_int(b, h->oe);
        if (h->flags & BP_HF_NEGATED)
            rc |= RAW_LIT(b, ",\"negated\":true");
        rc |= bp_buf_putc(b, '}');
    }
    rc |= bp_buf_append(b, "]}", 2) | raw_key(b, "brand_sentiment") | bp_buf_putc(b, '{');
    /* json_object_set_new replaces a brand already set: keep the first position, last value
     * (a brand is in res->bs once, so this is the plain loop) */
    for (size_t i = 0; i < res->nbs; i++) {
        if (i)
            rc |= bp_buf_putc(b, ',');
        rc |= raw_brand(e, b, res->bs[i].brand) | RAW_LIT(b, ":{\"score\":") |
              raw_num(b, res->bs[i].score) | RAW_LIT(b, ",\"label\":") |
              raw_cstr(b, bp_score_label(res->bs[i].score)) | bp_buf_putc(b, '}');
    }
    rc |= bp_buf_putc(b, '}') | raw_key(b, "alert") |
          bp_buf_puts(b, res->alert ? "true" : "false");
    if (res->alert) {
        rc |= raw_key(b, "alert_brands") | bp_buf_putc(b, '[');
        size_t n = 0;
        for (size_t i = 0; i < res->nbs; i++)
            if (engine_alert_for(res, i)) {
                if (n++)
                    rc |= bp_buf_putc(b, ',');
                rc |= raw_brand(e, b, res->bs[i].brand);
            }
        rc |= bp_buf_putc(b, ']');
    }
    rc |= raw_key(b, "priority") | raw_cstr(b, res->priority) | raw_key(b, "reasons") |
          bp_buf_putc(b, '[');
    const char *q = res->reasons.data;
    for (size_t i = 0; i < res->nreasons; i++) {
        size_t ql = strlen(q);
        if (i)
            rc |= bp_buf_putc(b, ',');
        rc |= raw_str(b, q, ql);
        q += ql + 1;
    }
    /* many mentions share a millisecond: format it once */
    static _Thread_local int64_t ts_ms = INT64_MIN;
    static _Thread_local char ts[BP_TIME_BUFSZ];
    if (now_ms != ts_ms) {
        bp_time_format_rfc3339(now_ms, ts);
        ts_ms = now_ms;
    }
    rc |= bp_buf_putc(b, ']') | raw_key(b, "rules_version") | raw_cstr(b, r->version) |
          raw_key(b, "filtered_at") | raw_cstr(b, ts) | bp_buf_putc(b, '}');
    return rc ? -1 : 0;
}

/* Judges post and fetches what the callers of judge and judge_raw share. */
static int engine_judge_post(bp_engine_t *e, const json_t *post, char *err, size_t errlen)
{
    e->brand_gate = 1;
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
        e->brand_gate = 0;
        snprintf(err, errlen, "%s", e->err);
        return -1;
    }
    e->brand_gate = 0;
    return e->res.nbs ? 1 : 0;
}

/* Writes to out the record raw[0, close) (close: the offset of its closing brace) without the
 * blanks before that brace, then the mention's fields and the brace. Returns 0 or -1 (out
 * reset, reason in err). */
static int engine_splice(bp_engine_t *e, const char *raw, size_t close, bp_buf_t *out,
                         char *err, size_t errlen)
{
    while (close && (raw[close - 1] == ' ' || raw[close - 1] == '\t'))
        close--;
    /* "{}": no field before ours; the comma raw_key writes would be one too many */
    int empty = close == 1;
    if (bp_buf_append(out, raw, close) != 0 || engine_mention_raw(e, out, bp_now_ms()) != 0) {
        snprintf(err, errlen, "the mention exceeds %zu bytes or memory ran out",
                 out->limit ? out->limit : BP_BUF_DEFAULT_LIMIT);
        bp_buf_reset(out);
        return -1;
    }
    if (empty)
        out->data[1] = ' '; /* "{ \"brands\"...": the comma blanked */
    return 0;
}

/* The mention of post built as a json_t and dumped into out. Returns 0 or -1. */
static int engine_dump_mention(bp_engine_t *e, const json_t *post, bp_buf_t *out, char *err,
                               size_t errlen)
{
    json_t *m = engine_mention(e, post);
    char *js = m ? bp_json_dump(m) : NULL;
    json_decref(m);
    if (!js || bp_buf_puts(out, js) != 0) {
        free(js);
        snprintf(err, errlen, "out of memory building the mention");
        bp_buf_reset(out);
        return -1;
    }
    free(js);
    return 0;
}

int bp_engine_judge_raw(bp_engine_t *e, const json_t *post, const char *raw, size_t rawlen,
                        bp_buf_t *out, int *alert, char *err, size_t errlen)
{
    bp_buf_reset(out);
    if (alert)
        *alert = 0;
    int rc = engine_judge_post(e, post, err, errlen);
    if (rc <= 0)
        return rc;
    if (alert)
        *alert = e->res.alert;
    /* the record without its closing brace (and the whitespace around it) */
    while (rawlen && (raw[rawlen - 1] == ' ' || raw[rawlen - 1] == '\t' ||
                      raw[rawlen - 1] == '\n' || raw[rawlen - 1] == '\r'))
        rawlen--;
    while (rawlen && (*raw == ' ' || *raw == '\t' || *raw == '\n' || *raw == '\r')) {
        raw++;
        rawlen--;
    }
    int splice = rawlen >= 2 && raw[0] == '{' && raw[rawlen - 1] == '}' &&
                 !memchr(raw, '\n', rawlen) && !memchr(raw, '\r', rawlen);
    for (size_t i = 0; splice && engine_mention_keys[i]; i++)
        if (json_object_get(post, engine_mention_keys[i]))
            splice = 0;
    if (splice)
        return engine_splice(e, raw, rawlen - 1, out, err, errlen) < 0 ? -1 : 1;
    return engine_dump_mention(e, post, out, err, errlen) < 0 ? -1 : 1;
}

/* Appends s (n bytes, or none when s is NULL) and a NUL to b; returns its offset, or -1 for
 * NULL (or no memory). */
static long engine_cstr(bp_buf_t *b, bp_strv_t s)
{
    if (!s.s)
        return -1;
    long at = (long)b->len;
    if (bp_buf_append(b, s.s, s.n) != 0 || bp_buf_putc(b, '\0') != 0)
        return -1;
    return at;
}

int bp_engine_judge_view(bp_engine_t *e, const bp_post_view_t *v, const char *raw,
                         size_t rawlen, bp_buf_t *out, int *alert, char *err, size_t errlen)
{
    bp_buf_reset(out);
    if (alert)
        *alert = 0;
    /* the engine wants NUL-terminated strings: copies in a buffer kept for that */
    bp_buf_t *cs = &e->cstrs;
    bp_buf_reset(cs);
    long lang = engine_cstr(cs, v->lang);
    long id = engine_cstr(cs, v->author_id);
    long handle = engine_cstr(cs, v->author_handle.s ? v->author_handle : v->author_username);
    e->brand_gate = 1;
    int rc = bp_engine_run(e, v->text.s, v->text.n, lang >= 0 ? cs->data + lang : "",
                           v->followers, id >= 0 ? cs->data + id : NULL,
                           handle >= 0 ? cs->data + handle : NULL);
    e->brand_gate = 0;
    if (rc < 0) {
        snprintf(err, errlen, "%s", e->err);
        return -1;
    }
    if (!e->res.nbs)
        return 0;
    if (alert)
        *alert = e->res.alert;
    int splice = v->obj_close < rawlen && raw[v->obj_close] == '}' &&
                 !memchr(raw, '\n', rawlen) && !memchr(raw, '\r', rawlen);
    for (size_t i = 0; splice && engine_mention_keys[i]; i++)
        splice = !bp_post_view_has(v, engine_mention_keys[i]);
    if (splice)
        return engine_splice(e, raw + v->obj_open, v->obj_close - v->obj_open, out, err,
                             errlen) < 0
                   ? -1
                   : 1;
    /* a mention judged again, or a record over several lines: the json_t path */
    json_t *post = bp_post_parse(raw, rawlen, err, errlen);
    if (!post)
        return -1;
    rc = engine_dump_mention(e, post, out, err, errlen);
    json_decref(post);
    return rc < 0 ? -1 : 1;
}

const char *bp_engine_mention_brand(const bp_engine_t *e, size_t i, int *alerted)
{
    const bp_result_t *res = &e->res;
    if (i >= res->nbs)
        return NULL;
    if (alerted)
        *alerted = res->alert && engine_alert_for(res, i);
    return e->r->brands[res->bs[i].brand].id;
}

const char *bp_engine_mention_priority(const bp_engine_t *e) { return e->res.priority; }

int bp_engine_judge(bp_engine_t *e, const json_t *post, json_t **mention, char *err,
                    size_t errlen)
{
    *mention = NULL;
    int rc = engine_judge_post(e, post, err, errlen);
    if (rc <= 0)
        return rc;
    *mention = engine_mention(e, post);
    if (!*mention) {
        snprintf(err, errlen, "out of memory building the mention");
        return -1;
    }
    return 1;
}
