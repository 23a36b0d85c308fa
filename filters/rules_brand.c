/* rules_brand.c — one brand file (in brands/) validated and compiled into matchers:
 * variants, patterns, handles, exclusions, NEAR terms, examples. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruleset.h"
#include "yamltree.h"

static const char *const brand_keys[] = {"brand",    "display",  "category",          "variants",
                                         "patterns", "exclude",  "near",              "handles",
                                         "languages", "examples", "digits_as_letters", NULL};
static const char *const near_keys[] = {"terms", "words", "order", NULL};
static const char *const example_keys[] = {"match", "no_match", NULL};
static const int example_expect[] = {1, 0};

static int brand_id_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* A list key that must be a non-empty list of strings when present. Returns the node, NULL
 * when absent; sets *rc = -1 on errors. */
static const bp_ynode_t *brand_list(const bp_ynode_t *root, const char *key, const char *ctx,
                                    bp_buf_t *errors, int *rc)
{
    const bp_ynode_t *l = bp_yaml_get(root, key);
    if (!l || bp_yaml_is_null(l))
        return NULL;
    if (bp_rules_type(l, BP_Y_SEQ, ctx, key, errors) < 0) {
        *rc = -1;
        return NULL;
    }
    if (l->n == 0) {
        *rc = bp_rules_err(errors, l, ctx, key, "empty list (remove the key or add entries)");
        return NULL;
    }
    return l;
}

/* Adds the matchers for one variant/pattern/handle; for a digits brand, a second copy that
 * runs on the digits-as-letters text. */
static int brand_add(bp_rules_t *r, int bi, bp_mkind_t kind, const bp_ynode_t *n, const char *s,
                     int digits, const char *ctx, const char *what, const char *file,
                     bp_buf_t *errors)
{
    for (int d = 0; d <= (digits && kind != BP_MK_HANDLE); d++) {
        bp_matcher_t m = {0};
        char err[512];
        m.kind = kind;
        m.owner = bi;
        m.digits = d;
        m.file = file;
        m.line = n->line;
        m.col = n->col;
        m.term = strdup(s);
        int rc;
        if (kind == BP_MK_VARIANT) {
            rc = bp_rules_compile_term(r, &m, s, 1, d ? &r->nopts_digits : &r->nopts, err,
                                       sizeof err);
        } else if (kind == BP_MK_PATTERN) {
            rc = bp_rules_compile_pattern(&m, s, err, sizeof err);
        } else {
            m.src = bp_regex_from_handle(s, &r->nopts, &m.lit, err, sizeof err);
            rc = -1;
            if (m.src) {
                char e2[300];
                m.re = bp_regex_compile(m.src, strlen(m.src), BP_RE_NOJIT, e2, sizeof e2);
                if (m.re)
                    m.rea = bp_regex_compile(m.src, strlen(m.src), BP_RE_ANCHORED, e2,
                                             sizeof e2);
                if (m.re && m.rea) {
                    m.anchored = 1;
                    rc = 0;
                } else {
                    snprintf(err, sizeof err, "cannot compile the generated pattern (%s)", e2);
                }
            }
        }
        if (rc < 0 || !m.term) {
            bp_matcher_t tmp = m;
            pcre2_code_free(tmp.re);
            pcre2_code_free(tmp.rea);
            free(tmp.term);
            free(tmp.src);
            free(tmp.lit);
            return bp_rules_err(errors, n, ctx, what, "%s", m.term ? err : "out of memory");
        }
        if (bp_rules_add_matcher(r, &m) < 0)
            return bp_rules_err(errors, n, ctx, what, "out of memory");
    }
    return 0;
}

static int brand_regex_list(const bp_ynode_t *l, const char *ctx, const char *key, int as_terms,
                            bp_rules_t *r, pcre2_code ***codes, char ***srcs, char ***lits,
                            size_t *n, bp_buf_t *errors)
{
    int rc = 0;
    *codes = calloc(l->n, sizeof **codes);
    *srcs = calloc(l->n, sizeof **srcs);
    if (lits)
        *lits = calloc(l->n, sizeof **lits);
    if (!*codes || !*srcs || (lits && !*lits))
        return bp_rules_err(errors, l, ctx, key, "out of memory");
    for (size_t i = 0; i < l->n; i++) {
        char what[64], err[512];
        snprintf(what, sizeof what, "%s[%zu]", key, i);
        const char *s = bp_rules_str(l->items[i], ctx, what, errors);
        if (!s) {
            rc = -1;
            continue;
        }
        char *lit = NULL;
        size_t litoff = 0;
        char *src = as_terms ? bp_regex_from_term(r, s, 1, &r->nopts, &lit, &litoff, NULL,
                                                  NULL, NULL, NULL, err, sizeof err)
                             : bp_regex_fix_yo(s);
        pcre2_code *re = NULL;
        if (src)
            re = bp_regex_compile(src, strlen(src), 0, err, sizeof err);
        if (!re) {
            free(src);
            free(lit);
            rc = bp_rules_err(errors, l->items[i], ctx, what, "%s", err);
            continue;
        }
        if (lits)
            (*lits)[*n] = lit;
        else
            free(lit);
        (*codes)[*n] = re;
        (*srcs)[*n] = src;
        (*n)++;
    }
    return rc;
}

int bp_rules_brand(bp_rules_t *r, const bp_ynode_t *root, const char *file, bp_buf_t *errors)
{
    int rc = 0;
    char ctx[200] = "brand";
    if (root->type != BP_Y_MAP)
        return bp_rules_err(errors, root, "", "", "a brand file must be a mapping, got %s",
                            bp_yaml_type_name(root->type));
    const bp_ynode_t *idn = bp_yaml_get(root, "brand");
    if (!idn)
        return bp_rules_err(errors, root, "", "", "missing key 'brand' (the brand's id)");
    const char *id = bp_rules_str(idn, "", "brand", errors);
    if (!id)
        return -1;
    if (!brand_id_ok(id))
        return bp_rules_err(errors, idn, "", "brand",
                            "'%s' is not a valid id (lowercase letters, digits, '_' and '-')", id);
    snprintf(ctx, sizeof ctx, "brand '%s'", id);
    for (size_t i = 0; i < r->nbrands; i++)
        if (strcmp(r->brands[i].id, id) == 0)
            return bp_rules_err(errors, idn, ctx, "", "duplicate brand id (also in %s)",
                                r->brands[i].file);
    if (bp_rules_keys(root, brand_keys, ctx, "", errors) < 0)
        rc = -1;
    bp_brand_t *nb = realloc(r->brands, (r->nbrands + 1) * sizeof *nb);
    if (!nb)
        return bp_rules_err(errors, root, ctx, "", "out of memory");
    r->brands = nb;
    int bi = (int)r->nbrands++;
    bp_brand_t *b = &r->brands[bi];
    memset(b, 0, sizeof *b);
    b->file = file;
    b->id = strdup(id);
    const bp_ynode_t *n;
    const char *s;
    if ((n = bp_yaml_get(root, "display")) && (s = bp_rules_str(n, ctx, "display", errors)))
        b->display = strdup(s);
    else if (n)
        rc = -1;
    if ((n = bp_yaml_get(root, "category")) && (s = bp_rules_str(n, ctx, "category", errors)))
        b->category = strdup(s);
    else if (n)
        rc = -1;
    if ((n = bp_yaml_get(root, "digits_as_letters")) &&
        bp_rules_bool(n, ctx, "digits_as_letters", &b->digits, errors) < 0)
        rc = -1;
    int digits = b->digits;
    const bp_ynode_t *l;
    size_t nmatchers = 0;
    static const struct { const char *key; bp_mkind_t kind; } lists[] = {
        {"variants", BP_MK_VARIANT}, {"patterns", BP_MK_PATTERN}, {"handles", BP_MK_HANDLE}};
    for (size_t k = 0; k < 3; k++) {
        if (!(l = brand_list(root, lists[k].key, ctx, errors, &rc)))
            continue;
        for (size_t i = 0; i < l->n; i++) {
            char what[64];
            snprintf(what, sizeof what, "%s[%zu]", lists[k].key, i);
            if (!(s = bp_rules_str(l->items[i], ctx, what, errors))) {
                rc = -1;
                continue;
            }
            if (brand_add(r, bi, lists[k].kind, l->items[i], s, digits, ctx, what, file,
                          errors) < 0)
                rc = -1;
            else
                nmatchers++;
        }
    }
    b = &r->brands[bi];
    if (!nmatchers && rc == 0)
        rc = bp_rules_err(errors, idn, ctx, "",
                          "no variants, patterns or handles: the brand could never match");
    if ((l = brand_list(root, "exclude", ctx, errors, &rc)) &&
        brand_regex_list(l, ctx, "exclude", 0, r, &b->exclude, &b->exclude_src, NULL,
                         &b->nexclude, errors) < 0)
        rc = -1;
    /* an exclusion runs only on texts holding one of its literals */
    if (b->nexclude) {
        b->exclude_lits = calloc(b->nexclude, sizeof *b->exclude_lits);
        b->exclude_nlits = calloc(b->nexclude, sizeof *b->exclude_nlits);
        if (!b->exclude_lits || !b->exclude_nlits)
            return bp_rules_err(errors, root, ctx, "exclude", "out of memory");
        for (size_t x = 0; x < b->nexclude; x++)
            b->exclude_nlits[x] = bp_regex_literals(b->exclude_src[x], &b->exclude_lits[x]);
    }
    if ((l = brand_list(root, "languages", ctx, errors, &rc))) {
        for (size_t i = 0; i < l->n; i++) {
            char what[64];
            snprintf(what, sizeof what, "languages[%zu]", i);
            if (!bp_rules_str(l->items[i], ctx, what, errors))
                rc = -1;
        }
    }
    if ((n = bp_yaml_get(root, "near"))) {
        if (bp_rules_type(n, BP_Y_MAP, ctx, "near", errors) < 0) {
            rc = -1;
        } else {
            if (bp_rules_keys(n, near_keys, ctx, "near", errors) < 0)
                rc = -1;
            const bp_ynode_t *t = bp_yaml_get(n, "terms"), *w = bp_yaml_get(n, "words"),
                             *o = bp_yaml_get(n, "order");
            long long words = 5;
            if (!t) {
                rc = bp_rules_err(errors, n, ctx, "near", "missing key 'terms'");
            } else if (bp_rules_type(t, BP_Y_SEQ, ctx, "near.terms", errors) < 0) {
                rc = -1;
            } else if (t->n == 0) {
                rc = bp_rules_err(errors, t, ctx, "near.terms", "empty list");
            } else if (brand_regex_list(t, ctx, "near.terms", 1, r, &b->near, &b->near_src,
                                        &b->near_lit, &b->nnear, errors) < 0) {
                rc = -1;
            }
            if (w && bp_rules_int(w, ctx, "near.words", 1, 50, &words, errors) < 0)
                rc = -1;
            b->near_words = (int)words;
            if (o) {
                const char *os = bp_rules_str(o, ctx, "near.order", errors);
                if (os && strcmp(os, "any") == 0)
                    b->near_order = 0;
                else if (os && strcmp(os, "after") == 0)
                    b->near_order = 1;
                else if (os && strcmp(os, "before") == 0)
                    b->near_order = -1;
                else
                    rc = os ? bp_rules_err(errors, o, ctx, "near.order",
                                           "'%s': expected any, after or before", os)
                            : -1;
            }
        }
    }
    if ((n = bp_yaml_get(root, "examples")) &&
        bp_rules_examples(n, example_keys, example_expect, file, ctx, &b->examples,
                          &b->nexamples, errors) < 0)
        rc = -1;
    if (!b->id)
        rc = bp_rules_err(errors, root, ctx, "", "out of memory");
    return rc;
}
