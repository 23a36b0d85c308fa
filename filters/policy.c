/* policy.c — the alert policy (policy.yaml): loading with validation, and the decision that
 * turns a score, urgent terms, reach and VIP authors into alert, priority and reasons. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ruleset.h"
#include "yamltree.h"

static const char *const policy_keys[] = {"alert_when", "priority", "vip_authors", "reach",
                                          "intensity",  "limits",   NULL};
static const char *const alert_keys[] = {"any_urgent_term", "score_at_most",
                                         "negative_and_followers_at_least",
                                         "author_followers_at_least", "vip_negative", NULL};
static const char *const prio_keys[] = {"name", "when", NULL};
static const char *const when_keys[] = {"urgent_term", "score_at_most", "score_at_least",
                                        "followers_at_least", "vip", NULL};
static const char *const reach_keys[] = {"notable_followers", NULL};
static const char *const intensity_keys[] = {"caps_factor", "exclamations_factor", NULL};
static const char *const limits_keys[] = {"match_limit", "depth_limit", NULL};

static int policy_add_prio(bp_policy_t *p, const char *name, int urgent, double smax,
                           int has_smax, long long fmin)
{
    bp_prio_rule_t *n = realloc(p->prio, (p->nprio + 1) * sizeof *n);
    if (!n)
        return -1;
    p->prio = n;
    n[p->nprio] = (bp_prio_rule_t){strdup(name), urgent, -1, has_smax, 0, smax, 0, fmin};
    if (!n[p->nprio].name)
        return -1;
    p->nprio++;
    return 0;
}

static void policy_clear_prio(bp_policy_t *p)
{
    for (size_t i = 0; i < p->nprio; i++)
        free(p->prio[i].name);
    free(p->prio);
    p->prio = NULL;
    p->nprio = 0;
}

void bp_policy_default(bp_policy_t *p)
{
    memset(p, 0, sizeof *p);
    p->any_urgent_term = 1;
    p->has_score_at_most = 1;
    p->score_at_most = -3;
    p->negative_followers = 10000;
    p->vip_negative = 1;
    p->notable_followers = 10000;
    p->caps_factor = 1.5;
    p->excl_factor = 1.3;
    p->match_limit = 200000;
    p->depth_limit = 5000;
    /* the priority ladder of the rule language's example; allocation failure leaves fewer
     * rules, and the fallback "normal" still holds */
    if (policy_add_prio(p, "urgent", 1, 0, 0, -1) == 0 &&
        policy_add_prio(p, "high", -1, -5, 1, -1) == 0 &&
        policy_add_prio(p, "high", -1, -1, 1, 100000) == 0 &&
        policy_add_prio(p, "normal", -1, -3, 1, -1) == 0)
        (void)policy_add_prio(p, "low", -1, 0, 0, -1);
}

void bp_policy_free(bp_policy_t *p)
{
    policy_clear_prio(p);
    for (size_t i = 0; i < p->nvip; i++)
        free(p->vip[i]);
    free(p->vip);
    p->vip = NULL;
    p->nvip = 0;
}

static const char *const ctx = "policy";

static int policy_when(bp_prio_rule_t *pr, const bp_ynode_t *w, const char *what,
                       bp_buf_t *errors)
{
    int rc = 0;
    char k[160];
    if (bp_rules_type(w, BP_Y_MAP, ctx, what, errors) < 0)
        return -1;
    if (bp_rules_keys(w, when_keys, ctx, what, errors) < 0)
        rc = -1;
    const bp_ynode_t *n;
    if ((n = bp_yaml_get(w, "urgent_term"))) {
        snprintf(k, sizeof k, "%s.urgent_term", what);
        if (bp_rules_bool(n, ctx, k, &pr->urgent_term, errors) < 0)
            rc = -1;
    }
    if ((n = bp_yaml_get(w, "vip"))) {
        snprintf(k, sizeof k, "%s.vip", what);
        if (bp_rules_bool(n, ctx, k, &pr->vip, errors) < 0)
            rc = -1;
    }
    if ((n = bp_yaml_get(w, "score_at_most"))) {
        snprintf(k, sizeof k, "%s.score_at_most", what);
        pr->has_score_max = 1;
        if (bp_rules_num(n, ctx, k, -1000, 1000, &pr->score_max, errors) < 0)
            rc = -1;
    }
    if ((n = bp_yaml_get(w, "score_at_least"))) {
        snprintf(k, sizeof k, "%s.score_at_least", what);
        pr->has_score_min = 1;
        if (bp_rules_num(n, ctx, k, -1000, 1000, &pr->score_min, errors) < 0)
            rc = -1;
    }
    if ((n = bp_yaml_get(w, "followers_at_least"))) {
        snprintf(k, sizeof k, "%s.followers_at_least", what);
        if (bp_rules_int(n, ctx, k, 0, 1LL << 40, &pr->followers_min, errors) < 0)
            rc = -1;
    }
    return rc;
}

int bp_policy_load(bp_policy_t *p, const bp_ynode_t *root, bp_buf_t *errors)
{
    int rc = 0;
    const bp_ynode_t *n, *m;
    if (root->type != BP_Y_MAP)
        return bp_rules_err(errors, root, "", "", "the policy file must be a mapping, got %s",
                            bp_yaml_type_name(root->type));
    if (bp_rules_keys(root, policy_keys, ctx, "", errors) < 0)
        rc = -1;
    if ((n = bp_yaml_get(root, "alert_when"))) {
        if (bp_rules_type(n, BP_Y_MAP, ctx, "alert_when", errors) < 0) {
            rc = -1;
        } else {
            if (bp_rules_keys(n, alert_keys, ctx, "alert_when", errors) < 0)
                rc = -1;
            /* a policy that names alert_when says all of it: what it leaves out is off */
            p->any_urgent_term = 0;
            p->has_score_at_most = 0;
            p->negative_followers = -1;
            p->vip_negative = 0;
            if ((m = bp_yaml_get(n, "any_urgent_term")) &&
                bp_rules_bool(m, ctx, "alert_when.any_urgent_term", &p->any_urgent_term,
                              errors) < 0)
                rc = -1;
            if ((m = bp_yaml_get(n, "vip_negative")) &&
                bp_rules_bool(m, ctx, "alert_when.vip_negative", &p->vip_negative, errors) < 0)
                rc = -1;
            if ((m = bp_yaml_get(n, "score_at_most"))) {
                p->has_score_at_most = 1;
                if (bp_rules_num(m, ctx, "alert_when.score_at_most", -1000, 1000,
                                 &p->score_at_most, errors) < 0)
                    rc = -1;
            }
            const char *fk = "negative_and_followers_at_least";
            if (!(m = bp_yaml_get(n, fk)) && (m = bp_yaml_get(n, "author_followers_at_least")))
                fk = "author_followers_at_least";
            if (m) {
                char what[80];
                snprintf(what, sizeof what, "alert_when.%s", fk);
                if (bp_rules_int(m, ctx, what, 0, 1LL << 40, &p->negative_followers, errors) < 0)
                    rc = -1;
            }
        }
    }
    if ((n = bp_yaml_get(root, "priority"))) {
        if (bp_rules_type(n, BP_Y_SEQ, ctx, "priority", errors) < 0) {
            rc = -1;
        } else {
            policy_clear_prio(p);
            for (size_t i = 0; i < n->n; i++) {
                char what[64];
                snprintf(what, sizeof what, "priority[%zu]", i);
                const bp_ynode_t *it = n->items[i];
                if (bp_rules_type(it, BP_Y_MAP, ctx, what, errors) < 0 ||
                    bp_rules_keys(it, prio_keys, ctx, what, errors) < 0) {
                    rc = -1;
                    continue;
                }
                const bp_ynode_t *nm = bp_yaml_get(it, "name"), *w = bp_yaml_get(it, "when");
                char w2[96];
                snprintf(w2, sizeof w2, "%s.name", what);
                const char *name = nm ? bp_rules_str(nm, ctx, w2, errors) : NULL;
                if (!nm)
                    bp_rules_err(errors, it, ctx, what, "missing key 'name'");
                if (!name) {
                    rc = -1;
                    continue;
                }
                if (policy_add_prio(p, name, -1, 0, 0, -1) < 0)
                    return bp_rules_err(errors, it, ctx, what, "out of memory");
                snprintf(w2, sizeof w2, "%s.when", what);
                if (w && !bp_yaml_is_null(w) && policy_when(&p->prio[p->nprio - 1], w, w2, errors) < 0)
                    rc = -1;
            }
        }
    }
    if ((n = bp_yaml_get(root, "vip_authors")) && !bp_yaml_is_null(n)) {
        if (bp_rules_type(n, BP_Y_SEQ, ctx, "vip_authors", errors) < 0) {
            rc = -1;
        } else {
            p->vip = calloc(n->n + 1, sizeof *p->vip);
            if (!p->vip)
                return bp_rules_err(errors, n, ctx, "vip_authors", "out of memory");
            for (size_t i = 0; i < n->n; i++) {
                char what[64];
                snprintf(what, sizeof what, "vip_authors[%zu]", i);
                const char *s = bp_rules_str(n->items[i], ctx, what, errors);
                if (!s) {
                    rc = -1;
                    continue;
                }
                if (!(p->vip[p->nvip++] = strdup(s)))
                    return bp_rules_err(errors, n, ctx, what, "out of memory");
            }
        }
    }
    if ((n = bp_yaml_get(root, "reach"))) {
        if (bp_rules_type(n, BP_Y_MAP, ctx, "reach", errors) < 0 ||
            bp_rules_keys(n, reach_keys, ctx, "reach", errors) < 0)
            rc = -1;
        else if ((m = bp_yaml_get(n, "notable_followers")) &&
                 bp_rules_int(m, ctx, "reach.notable_followers", 0, 1LL << 40,
                              &p->notable_followers, errors) < 0)
            rc = -1;
    }
    if ((n = bp_yaml_get(root, "intensity"))) {
        if (bp_rules_type(n, BP_Y_MAP, ctx, "intensity", errors) < 0 ||
            bp_rules_keys(n, intensity_keys, ctx, "intensity", errors) < 0) {
            rc = -1;
        } else {
            if ((m = bp_yaml_get(n, "caps_factor")) &&
                bp_rules_num(m, ctx, "intensity.caps_factor", 1, 5, &p->caps_factor, errors) < 0)
                rc = -1;
            if ((m = bp_yaml_get(n, "exclamations_factor")) &&
                bp_rules_num(m, ctx, "intensity.exclamations_factor", 1, 5, &p->excl_factor,
                             errors) < 0)
                rc = -1;
        }
    }
    if ((n = bp_yaml_get(root, "limits"))) {
        long long v;
        if (bp_rules_type(n, BP_Y_MAP, ctx, "limits", errors) < 0 ||
            bp_rules_keys(n, limits_keys, ctx, "limits", errors) < 0) {
            rc = -1;
        } else {
            if ((m = bp_yaml_get(n, "match_limit"))) {
                if (bp_rules_int(m, ctx, "limits.match_limit", 1000, 100000000, &v, errors) < 0)
                    rc = -1;
                else
                    p->match_limit = (uint32_t)v;
            }
            if ((m = bp_yaml_get(n, "depth_limit"))) {
                if (bp_rules_int(m, ctx, "limits.depth_limit", 100, 10000000, &v, errors) < 0)
                    rc = -1;
                else
                    p->depth_limit = (uint32_t)v;
            }
        }
    }
    return rc;
}

/* VIP: an entry equals the author's id, or the handle (with or without '@'), ignoring case. */
static int policy_vip(const bp_policy_t *p, const char *id, const char *handle)
{
    for (size_t i = 0; i < p->nvip; i++) {
        const char *v = p->vip[i];
        if (id && *id && strcasecmp(v, id) == 0)
            return (int)i;
        if (handle && *handle) {
            const char *h = handle[0] == '@' ? handle + 1 : handle;
            const char *vv = v[0] == '@' ? v + 1 : v;
            if (strcasecmp(h, vv) == 0)
                return (int)i;
        }
    }
    return -1;
}

/* Adds the reason kind + value (e.g. "urgent:" "fraud"), at most 299 bytes, unless it is there
 * already. */
static int policy_reason(bp_result_t *res, const char *kind, const char *val)
{
    char s[300];
    size_t kl = strlen(kind), vl = strlen(val);
    if (kl + vl > sizeof s - 1)
        vl = sizeof s - 1 - kl;
    memcpy(s, kind, kl);
    memcpy(s + kl, val, vl);
    s[kl + vl] = '\0';
    /* no duplicates */
    const char *q = res->reasons.data;
    for (size_t i = 0; i < res->nreasons; i++, q += strlen(q) + 1)
        if (strcmp(q, s) == 0)
            return 0;
    if (bp_buf_append(&res->reasons, s, kl + vl + 1) < 0)
        return -1;
    res->nreasons++;
    return 0;
}

/* Writes v in decimal to out (room for 21 bytes); returns out. */
static char *policy_lld(long long v, char *out)
{
    char tmp[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    char *o = out;
    if (v < 0)
        *o++ = '-';
    while (n)
        *o++ = tmp[--n];
    *o = '\0';
    return out;
}

/* A negative score as reasons show it: rounded to one decimal, without ".0" (what "%.0f" or
 * "%.1f" of the rounded value print; written by hand, printf being slow on the hot path). */
static void policy_score_text(double s, char *num, size_t size)
{
    double rs = round(s * 10) / 10;
    if (rs == 0 || !(fabs(rs) < 1e15)) { /* "-0", huge or not a number: as printf has it */
        snprintf(num, size, rs == floor(rs) ? "%.0f" : "%.1f", rs);
        return;
    }
    long long tenths = llround(rs * 10);
    policy_lld(tenths / 10, num);
    if (tenths / 10 == 0 && tenths < 0) { /* -0.x: the integer part lost its sign */
        memmove(num + 1, num, strlen(num) + 1);
        num[0] = '-';
    }
    if (tenths % 10) {
        size_t l = strlen(num);
        num[l] = '.';
        num[l + 1] = (char)('0' + llabs(tenths % 10));
        num[l + 2] = '\0';
    }
}

int bp_policy_decide(const bp_rules_t *r, bp_result_t *res, const char *author_id,
                     const char *author_handle)
{
    const bp_policy_t *p = &r->policy;
    double s = res->judge_score;
    int neg = s < 0;
    bp_buf_reset(&res->reasons);
    res->nreasons = 0;
    res->vip = policy_vip(p, author_id, author_handle);
    char num[32];
    if (neg) {
        policy_score_text(s, num, sizeof num);
        if (policy_reason(res, "negative:", num) < 0)
            return -1;
    }
    /* res->urgent counts exactly these hits: none, nothing to look for */
    for (size_t i = 0; res->urgent && i < res->nhits; i++) {
        const bp_hit_t *h = &res->hits[i];
        if (r->m[h->m].kind == BP_MK_URGENT && !(h->flags & (BP_HF_DROPPED | BP_HF_NEGATED)) &&
            policy_reason(res, "urgent:", r->m[h->m].reason) < 0)
            return -1;
    }
    if (p->notable_followers >= 0 && res->followers >= p->notable_followers &&
        policy_reason(res, "reach:", policy_lld(res->followers, num)) < 0)
        return -1;
    if (res->vip >= 0 && policy_reason(res, "vip:", p->vip[res->vip]) < 0)
        return -1;
    res->alert = (p->any_urgent_term && res->urgent) ||
                 (p->has_score_at_most && s <= p->score_at_most) ||
                 (neg && p->negative_followers >= 0 && res->followers >= p->negative_followers) ||
                 (neg && p->vip_negative && res->vip >= 0);
    res->priority = "normal";
    for (size_t i = 0; i < p->nprio; i++) {
        const bp_prio_rule_t *pr = &p->prio[i];
        if (pr->urgent_term >= 0 && pr->urgent_term != (res->urgent != 0))
            continue;
        if (pr->vip >= 0 && pr->vip != (res->vip >= 0))
            continue;
        if (pr->has_score_max && !(s <= pr->score_max))
            continue;
        if (pr->has_score_min && !(s >= pr->score_min))
            continue;
        if (pr->followers_min >= 0 && res->followers < pr->followers_min)
            continue;
        res->priority = pr->name;
        break;
    }
    return 0;
}
