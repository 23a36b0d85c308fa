/* rules_lexicon.c — one lexicon file (lexicon/<lang>.yaml) validated and compiled: negative,
 * positive and urgent terms, negators, intensifiers, softeners, examples. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruleset.h"
#include "yamltree.h"

static const char *const lex_keys[] = {"language",     "negative",  "positive", "urgent",
                                       "negators",     "intensifiers", "softeners", "examples",
                                       NULL};
static const char *const weighted_keys[] = {"term", "pattern", "weight", "comparative", NULL};
static const char *const urgent_keys[] = {"term", "pattern", "reason", NULL};
static const char *const factor_keys[] = {"term", "pattern", "factor", NULL};
static const char *const example_keys[] = {"negative", "positive", "neutral", "urgent", NULL};
static const int example_expect[] = {BP_EX_NEGATIVE, BP_EX_POSITIVE, BP_EX_NEUTRAL,
                                     BP_EX_URGENT};

static int lex_reason_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

/* One entry: a bare string (negators) or a mapping with term/pattern and its number. */
static int lex_entry(bp_rules_t *r, int li, bp_mkind_t kind, const bp_ynode_t *it,
                     const char *ctx, const char *what, const char *file, bp_buf_t *errors)
{
    bp_matcher_t m = {0};
    char err[512];
    int rc = 0;
    const char *term = NULL, *pat = NULL;
    m.kind = kind;
    m.owner = li;
    m.file = file;
    m.line = it->line;
    m.col = it->col;
    m.weight = 1;
    if (kind == BP_MK_NEGATOR) {
        if (it->type == BP_Y_MAP) {
            static const char *const k[] = {"term", NULL};
            if (bp_rules_keys(it, k, ctx, what, errors) < 0)
                return -1;
            const bp_ynode_t *t = bp_yaml_get(it, "term");
            if (!t)
                return bp_rules_err(errors, it, ctx, what, "missing key 'term'");
            it = t;
        }
        if (!(term = bp_rules_str(it, ctx, what, errors)))
            return -1;
    } else {
        if (bp_rules_type(it, BP_Y_MAP, ctx, what, errors) < 0)
            return -1;
        const char *const *keys = kind == BP_MK_URGENT ? urgent_keys
                                  : (kind == BP_MK_INTENSIFIER || kind == BP_MK_SOFTENER)
                                      ? factor_keys
                                      : weighted_keys;
        if (bp_rules_keys(it, keys, ctx, what, errors) < 0)
            rc = -1;
        const bp_ynode_t *t = bp_yaml_get(it, "term"), *p = bp_yaml_get(it, "pattern");
        if (t && p)
            return bp_rules_err(errors, p, ctx, what, "give either 'term' or 'pattern', not both");
        if (!t && !p)
            return bp_rules_err(errors, it, ctx, what, "missing key 'term' (or 'pattern')");
        if (t && !(term = bp_rules_str(t, ctx, what, errors)))
            return -1;
        if (p && !(pat = bp_rules_str(p, ctx, what, errors)))
            return -1;
        char w2[96];
        if (kind == BP_MK_NEGATIVE || kind == BP_MK_POSITIVE) {
            const bp_ynode_t *w = bp_yaml_get(it, "weight");
            long long v = 0;
            snprintf(w2, sizeof w2, "%s.weight", what);
            if (!w)
                return bp_rules_err(errors, it, ctx, what, "missing key 'weight'");
            if (kind == BP_MK_NEGATIVE && bp_rules_int(w, ctx, w2, -5, -1, &v, errors) < 0)
                return -1;
            if (kind == BP_MK_POSITIVE && bp_rules_int(w, ctx, w2, 1, 5, &v, errors) < 0)
                return -1;
            m.weight = (double)v;
            const bp_ynode_t *c = bp_yaml_get(it, "comparative");
            snprintf(w2, sizeof w2, "%s.comparative", what);
            if (c && bp_rules_bool(c, ctx, w2, &m.comparative, errors) < 0)
                return -1;
        } else if (kind == BP_MK_URGENT) {
            const bp_ynode_t *rn = bp_yaml_get(it, "reason");
            snprintf(w2, sizeof w2, "%s.reason", what);
            if (!rn)
                return bp_rules_err(errors, it, ctx, what, "missing key 'reason'");
            const char *rs = bp_rules_str(rn, ctx, w2, errors);
            if (!rs)
                return -1;
            if (!lex_reason_ok(rs))
                return bp_rules_err(errors, rn, ctx, w2,
                                    "'%s' is not a valid reason (lowercase letters, digits, '_')",
                                    rs);
            m.reason = strdup(rs);
        } else {
            const bp_ynode_t *f = bp_yaml_get(it, "factor");
            snprintf(w2, sizeof w2, "%s.factor", what);
            if (!f)
                return bp_rules_err(errors, it, ctx, what, "missing key 'factor'");
            if (kind == BP_MK_INTENSIFIER &&
                bp_rules_num(f, ctx, w2, 1.0, 5.0, &m.weight, errors) < 0)
                return -1;
            if (kind == BP_MK_SOFTENER && bp_rules_num(f, ctx, w2, 0.0, 1.0, &m.weight, errors) < 0)
                return -1;
        }
    }
    if (rc < 0) {
        free(m.reason);
        return -1;
    }
    m.term = strdup(term ? term : pat);
    int crc = term ? bp_rules_compile_term(r, &m, term, 0, &r->nopts, err, sizeof err)
                   : bp_rules_compile_pattern(&m, pat, err, sizeof err);
    if (crc < 0 || !m.term) {
        pcre2_code_free(m.re);
        pcre2_code_free(m.rea);
        free(m.term);
        free(m.src);
        free(m.lit);
        free(m.reason);
        return bp_rules_err(errors, term ? it : bp_yaml_get(it, "pattern"), ctx, what, "%s",
                            crc < 0 ? err : "out of memory");
    }
    if (bp_rules_add_matcher(r, &m) < 0)
        return bp_rules_err(errors, it, ctx, what, "out of memory");
    return 0;
}

int bp_rules_lexicon(bp_rules_t *r, const bp_ynode_t *root, const char *file, bp_buf_t *errors)
{
    int rc = 0;
    char ctx[200];
    if (root->type != BP_Y_MAP)
        return bp_rules_err(errors, root, "", "", "a lexicon file must be a mapping, got %s",
                            bp_yaml_type_name(root->type));
    /* the language: the key, or the file's name (ru.yaml) */
    char lang[64];
    const bp_ynode_t *ln = bp_yaml_get(root, "language");
    if (ln) {
        const char *s = bp_rules_str(ln, "lexicon", "language", errors);
        if (!s)
            return -1;
        snprintf(lang, sizeof lang, "%s", s);
    } else {
        const char *b = strrchr(file, '/');
        snprintf(lang, sizeof lang, "%s", b ? b + 1 : file);
        char *dot = strchr(lang, '.');
        if (dot)
            *dot = 0;
    }
    snprintf(ctx, sizeof ctx, "lexicon '%s'", lang);
    for (size_t i = 0; i < r->nlex; i++)
        if (strcmp(r->lex[i].language, lang) == 0)
            return bp_rules_err(errors, ln ? ln : root, ctx, "",
                                "duplicate language (also in %s)", r->lex[i].file);
    if (bp_rules_keys(root, lex_keys, ctx, "", errors) < 0)
        rc = -1;
    bp_lexicon_t *nl = realloc(r->lex, (r->nlex + 1) * sizeof *nl);
    if (!nl)
        return bp_rules_err(errors, root, ctx, "", "out of memory");
    r->lex = nl;
    int li = (int)r->nlex++;
    memset(&r->lex[li], 0, sizeof r->lex[li]);
    r->lex[li].language = strdup(lang);
    r->lex[li].file = file;
    static const struct { const char *key; bp_mkind_t kind; } lists[] = {
        {"negative", BP_MK_NEGATIVE},
        {"positive", BP_MK_POSITIVE},
        {"urgent", BP_MK_URGENT},
        {"negators", BP_MK_NEGATOR},
        {"intensifiers", BP_MK_INTENSIFIER},
        {"softeners", BP_MK_SOFTENER}};
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        const bp_ynode_t *l = bp_yaml_get(root, lists[k].key);
        if (!l || bp_yaml_is_null(l))
            continue;
        if (bp_rules_type(l, BP_Y_SEQ, ctx, lists[k].key, errors) < 0) {
            rc = -1;
            continue;
        }
        for (size_t i = 0; i < l->n; i++) {
            char what[64];
            snprintf(what, sizeof what, "%s[%zu]", lists[k].key, i);
            if (lex_entry(r, li, lists[k].kind, l->items[i], ctx, what, file, errors) < 0)
                rc = -1;
        }
    }
    const bp_ynode_t *n = bp_yaml_get(root, "examples");
    if (n && bp_rules_examples(n, example_keys, example_expect, file, ctx, &r->lex[li].examples,
                               &r->lex[li].nexamples, errors) < 0)
        rc = -1;
    if (!r->lex[li].language)
        rc = bp_rules_err(errors, root, ctx, "", "out of memory");
    return rc;
}
