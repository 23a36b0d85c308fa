/* rules.c — loads a rules directory (brands/, lexicon/, policy.yaml) into a compiled,
 * immutable rule set: file walk, validation helpers, the prefilter build, rules_version. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto.h"
#include "fileutil.h"
#include "grow.h"
#include "learned.h"
#include "ruleset.h"
#include "yamltree.h"

/* ---- validation helpers ---- */

int bp_rules_err(bp_buf_t *errors, const bp_ynode_t *at, const char *ctx, const char *what,
                 const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!errors)
        return -1;
    if (at)
        bp_buf_printf(errors, "%s:%d:%d: ", at->file, at->line, at->col);
    if (ctx && *ctx)
        bp_buf_printf(errors, "%s: ", ctx);
    if (what && *what)
        bp_buf_printf(errors, "%s: ", what);
    bp_buf_printf(errors, "%s\n", msg);
    return -1;
}

int bp_rules_type(const bp_ynode_t *n, int type, const char *ctx, const char *what,
                  bp_buf_t *errors)
{
    if ((int)n->type == type)
        return 0;
    return bp_rules_err(errors, n, ctx, what, "expected %s, got %s",
                        bp_yaml_type_name((bp_ytype_t)type), bp_yaml_type_name(n->type));
}

int bp_rules_keys(const bp_ynode_t *map, const char *const *allowed, const char *ctx,
                  const char *what, bp_buf_t *errors)
{
    int rc = 0;
    for (size_t i = 0; i < map->n; i++) {
        const char *k = map->keys[i]->value;
        size_t j = 0;
        while (allowed[j] && strcmp(allowed[j], k) != 0)
            j++;
        if (allowed[j])
            continue;
        char list[512] = "";
        size_t used = 0;
        for (j = 0; allowed[j] && used < sizeof list; j++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "",
                                     allowed[j]);
        rc = bp_rules_err(errors, map->keys[i], ctx, what, "unknown key '%s' (expected one of: %s)",
                          k, list);
    }
    return rc;
}

const char *bp_rules_str(const bp_ynode_t *n, const char *ctx, const char *what,
                         bp_buf_t *errors)
{
    if (n->type != BP_Y_SCALAR) {
        bp_rules_err(errors, n, ctx, what, "expected a string, got %s", bp_yaml_type_name(n->type));
        return NULL;
    }
    if (strlen(n->value) != n->len) {
        bp_rules_err(errors, n, ctx, what, "contains a NUL character");
        return NULL;
    }
    if (n->len == 0 || bp_yaml_is_null(n)) {
        bp_rules_err(errors, n, ctx, what, "is empty");
        return NULL;
    }
    return n->value;
}

int bp_rules_int(const bp_ynode_t *n, const char *ctx, const char *what, long long lo,
                 long long hi, long long *out, bp_buf_t *errors)
{
    char e[512];
    if (bp_yaml_as_int(n, out, e, sizeof e) < 0) {
        const char *m = strstr(e, ": ");
        return bp_rules_err(errors, n, ctx, what, "%s", m ? m + 2 : e);
    }
    if (*out < lo || *out > hi)
        return bp_rules_err(errors, n, ctx, what, "%lld is out of range %lld..%lld", *out, lo, hi);
    return 0;
}

int bp_rules_num(const bp_ynode_t *n, const char *ctx, const char *what, double lo, double hi,
                 double *out, bp_buf_t *errors)
{
    char e[512];
    if (bp_yaml_as_double(n, out, e, sizeof e) < 0) {
        const char *m = strstr(e, ": ");
        return bp_rules_err(errors, n, ctx, what, "%s", m ? m + 2 : e);
    }
    if (!(*out >= lo && *out <= hi))
        return bp_rules_err(errors, n, ctx, what, "%g is out of range %g..%g", *out, lo, hi);
    return 0;
}

int bp_rules_bool(const bp_ynode_t *n, const char *ctx, const char *what, int *out,
                  bp_buf_t *errors)
{
    char e[512];
    if (bp_yaml_as_bool(n, out, e, sizeof e) < 0) {
        const char *m = strstr(e, ": ");
        return bp_rules_err(errors, n, ctx, what, "%s", m ? m + 2 : e);
    }
    return 0;
}

int bp_rules_examples(const bp_ynode_t *n, const char *const *keys, const int *expect,
                      const char *file, const char *ctx, bp_example_t **ex, size_t *nex,
                      bp_buf_t *errors)
{
    int rc = 0;
    if (bp_rules_type(n, BP_Y_MAP, ctx, "examples", errors) < 0)
        return -1;
    if (bp_rules_keys(n, keys, ctx, "examples", errors) < 0)
        rc = -1;
    for (size_t k = 0; keys[k]; k++) {
        const bp_ynode_t *l = bp_yaml_get(n, keys[k]);
        char what[64];
        snprintf(what, sizeof what, "examples.%s", keys[k]);
        if (!l || bp_yaml_is_null(l))
            continue;
        if (bp_rules_type(l, BP_Y_SEQ, ctx, what, errors) < 0) {
            rc = -1;
            continue;
        }
        for (size_t i = 0; i < l->n; i++) {
            char w2[96];
            snprintf(w2, sizeof w2, "%s[%zu]", what, i);
            const char *s = bp_rules_str(l->items[i], ctx, w2, errors);
            if (!s) {
                rc = -1;
                continue;
            }
            bp_example_t *ne = realloc(*ex, (*nex + 1) * sizeof *ne);
            if (!ne)
                return bp_rules_err(errors, l->items[i], ctx, w2, "out of memory");
            *ex = ne;
            ne[*nex] = (bp_example_t){strdup(s), expect[k], file, l->items[i]->line,
                                      l->items[i]->col};
            if (!ne[*nex].text)
                return -1;
            (*nex)++;
        }
    }
    return rc;
}

const char *bp_rules_file(bp_rules_t *r, const char *path)
{
    for (size_t i = 0; i < r->nfiles; i++)
        if (strcmp(r->files[i], path) == 0)
            return r->files[i];
    return "?";
}

/* ---- matchers ---- */

static void matcher_free(bp_matcher_t *m)
{
    pcre2_code_free(m->re);
    pcre2_code_free(m->rea);
    free(m->term);
    free(m->reason);
    free(m->src);
    free(m->lit);
    free(m->prog);
    for (size_t i = 0; i < m->nlits; i++)
        free(m->lits[i]);
    free(m->lits);
    for (size_t i = 0; i < m->nneed; i++)
        free(m->need[i]);
    free(m->need);
    free(m->need_idx);
    for (size_t i = 0; i < m->nany; i++)
        free(m->any[i]);
    free(m->any);
    free(m->any_idx);
}

int bp_rules_add_matcher(bp_rules_t *r, bp_matcher_t *m)
{
    if (bp_grow(&r->m, &r->capm, r->nm + 1, sizeof *r->m, 256, (size_t)-1 / sizeof *r->m) < 0) {
        matcher_free(m);
        return -1;
    }
    r->m[r->nm] = *m;
    return (int)r->nm++;
}

int bp_rules_compile_term(bp_rules_t *r, bp_matcher_t *m, const char *term, int brand,
                          const bp_norm_opts_t *o, char *err, size_t errlen)
{
    size_t litoff = 0;
    m->src = bp_regex_from_term(r, term, brand, o, &m->lit, &litoff, &m->simple, &m->prog, &m->need,
                                &m->nneed, err, errlen);
    if (!m->src)
        return -1;
    m->litoff = (uint32_t)litoff;
    char e2[300];
    /* with the prefilter, an anchored term only ever runs anchored: its unanchored copy
     * (for running without the prefilter) needs no JIT, which halves the load time */
    m->re = bp_regex_compile(m->src, strlen(m->src), litoff == 0 ? BP_RE_NOJIT : 0, e2,
                             sizeof e2);
    if (m->re)
        m->rea = bp_regex_compile(m->src, strlen(m->src), BP_RE_ANCHORED, e2, sizeof e2);
    if (!m->re || !m->rea) {
        snprintf(err, errlen, "cannot compile the generated pattern (%s)", e2);
        return -1;
    }
    m->anchored = litoff == 0;
    return 0;
}

int bp_rules_compile_pattern(bp_matcher_t *m, const char *pat, char *err, size_t errlen)
{
    if (strlen(pat) > BP_RULES_MAX_TERM * 4) {
        snprintf(err, errlen, "longer than %d bytes", BP_RULES_MAX_TERM * 4);
        return -1;
    }
    m->src = bp_regex_fix_yo(pat);
    if (!m->src) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->re = bp_regex_compile(m->src, strlen(m->src), 0, err, errlen);
    if (!m->re)
        return -1;
    m->nlits = bp_regex_literals(m->src, &m->lits);
    /* the words it needs besides those: a match is tried only where all of them are */
    if (m->nlits)
        m->nneed = bp_regex_required(m->src, m->lits, m->nlits, &m->need);
    /* and one word of an alternation it needs («деньг… (исчезл|пропал|украл)») */
    m->nany = bp_regex_required_any(m->src, m->lits, m->nlits, &m->any);
    m->anchored = 0;
    return 0;
}

/* ---- the directory ---- */

typedef struct rules_file { char *path; char *data; size_t len; int kind; } rules_file_t;
enum { RF_BRAND, RF_LEXICON, RF_POLICY, RF_MODEL };

static int has_yaml_ext(const char *n)
{
    size_t l = strlen(n);
    return (l > 5 && strcmp(n + l - 5, ".yaml") == 0) || (l > 4 && strcmp(n + l - 4, ".yml") == 0);
}

static int rules_list(const char *dir, const char *sub, int kind, rules_file_t **files,
                      size_t *nfiles, bp_buf_t *errors)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    struct dirent **ents = NULL;
    int n = scandir(path, &ents, NULL, alphasort);
    if (n < 0) {
        if (errno == ENOENT)
            return 0;
        return bp_rules_err(errors, NULL, "", "", "%s: cannot read: %s", path, strerror(errno));
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        if (nm[0] != '.' && has_yaml_ext(nm) && rc == 0) {
            if (*nfiles >= BP_RULES_MAX_FILES) {
                rc = bp_rules_err(errors, NULL, "", "", "%s: more than %d rule files", dir,
                                  BP_RULES_MAX_FILES);
            } else {
                rules_file_t *nf = realloc(*files, (*nfiles + 1) * sizeof *nf);
                if (!nf) {
                    rc = -1;
                } else {
                    *files = nf;
                    char p[4096 + 512];
                    snprintf(p, sizeof p, "%s/%s", path, nm);
                    nf[*nfiles] = (rules_file_t){strdup(p), NULL, 0, kind};
                    (*nfiles)++;
                }
            }
        }
        free(ents[i]);
    }
    free(ents);
    return rc;
}

static int rules_check_top(const char *dir, bp_buf_t *errors)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0)
        return bp_rules_err(errors, NULL, "", "", "%s: cannot read the rules directory: %s", dir,
                            strerror(errno));
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        if (nm[0] != '.' && has_yaml_ext(nm) && strcmp(nm, "policy.yaml") != 0 &&
            strcmp(nm, "policy.yml") != 0)
            rc = bp_rules_err(errors, NULL, "", "",
                              "%s/%s: unexpected rule file (brands go in brands/, lexicons in "
                              "lexicon/, the alert policy in policy.yaml)",
                              dir, nm);
        free(ents[i]);
    }
    free(ents);
    return rc;
}

/* Gives every distinct need literal of a prefilter an index and registers it once (id with
 * the low bit set): the scan then marks it present, however many phrases share it. */
typedef struct presence { char *s; uint32_t idx; int ws; } presence_t;

/* The presence index of literal lit, which m needs: registered in tab on first sight. Returns
 * it, or -1 (no memory). */
static long rules_presence_index(bp_rules_t *r, const bp_matcher_t *m, char *lit,
                                 presence_t **tab, size_t *cap)
{
    if (r->npresence * 2 + 2 >= *cap) { /* grow and rehash */
        size_t nc = *cap ? *cap * 2 : 1024;
        presence_t *nt = calloc(nc, sizeof *nt);
        if (!nt)
            return -1;
        for (size_t j = 0; j < *cap; j++) {
            if (!(*tab)[j].s)
                continue;
            unsigned long h = 5381;
            for (const char *c = (*tab)[j].s; *c; c++)
                h = h * 33 + (unsigned char)*c;
            size_t at = h & (nc - 1);
            while (nt[at].s)
                at = (at + 1) & (nc - 1);
            nt[at] = (*tab)[j];
        }
        free(*tab);
        *tab = nt;
        *cap = nc;
    }
    unsigned long h = 5381;
    for (const char *c = lit; *c; c++)
        h = h * 33 + (unsigned char)*c;
    size_t at = h & (*cap - 1);
    while ((*tab)[at].s && strcmp((*tab)[at].s, lit) != 0)
        at = (at + 1) & (*cap - 1);
    int ws = bp_regex_lit_at_word_start(m, lit);
    if (!(*tab)[at].s) {
        (*tab)[at].s = lit;
        (*tab)[at].idx = (uint32_t)r->npresence++;
        (*tab)[at].ws = ws;
    }
    (*tab)[at].ws &= ws; /* at word starts only if it is so for every phrase */
    return (*tab)[at].idx;
}

/* Presence indexes for each of the n literals lits of m, in a new array *idx. */
static int rules_presence_list(bp_rules_t *r, const bp_matcher_t *m, char **lits, size_t n,
                               uint32_t **idx, presence_t **tab, size_t *cap)
{
    if (!n)
        return 0;
    *idx = calloc(n, sizeof **idx);
    if (!*idx)
        return -1;
    for (size_t k = 0; k < n; k++) {
        long at = rules_presence_index(r, m, lits[k], tab, cap);
        if (at < 0)
            return -1;
        (*idx)[k] = (uint32_t)at;
    }
    return 0;
}

static int rules_presence(bp_rules_t *r, bp_prefilter_t *pf, int digits, presence_t **tab,
                          size_t *cap)
{
    for (size_t i = 0; i < r->nm; i++) {
        bp_matcher_t *m = &r->m[i];
        if (m->digits != digits)
            continue;
        if (rules_presence_list(r, m, m->need, m->nneed, &m->need_idx, tab, cap) < 0 ||
            rules_presence_list(r, m, m->any, m->nany, &m->any_idx, tab, cap) < 0)
            return -1;
    }
    /* literals of a phrase's first word (or a lexicon phrase's words) go to the prefilter's
     * word starts; a brand phrase's later words, which may be glued to the one before
     * («совикмаркет»), are looked for with memmem only when a phrase needs them */
    char **lazy = realloc(r->presence_lazy, (r->npresence + 1) * sizeof *lazy);
    if (!lazy)
        return -1;
    r->presence_lazy = lazy;
    for (size_t j = 0; j < *cap; j++) {
        const presence_t *ps = &(*tab)[j];
        if (!ps->s)
            continue;
        lazy[ps->idx] = ps->ws ? NULL : ps->s;
        if (ps->ws && bp_prefilter_add_word_start(pf, ps->s, strlen(ps->s),
                                                  (int)((ps->idx << 5) | 1)) < 0)
            return -1;
    }
    return 0;
}

static int rules_finish(bp_rules_t *r)
{
    if (r->nm >= (1u << 25)) /* prefilter ids are matcher << 5 in an int */
        return -1;
    r->pf = bp_prefilter_new();
    r->pf_digits = bp_prefilter_new();
    r->always = malloc((r->nm + 1) * sizeof *r->always);
    r->always_digits = malloc((r->nm + 1) * sizeof *r->always_digits);
    if (!r->pf || !r->pf_digits || !r->always || !r->always_digits)
        return -1;
    for (size_t i = 0; i < r->nm; i++) {
        bp_matcher_t *m = &r->m[i];
        bp_prefilter_t *pf = m->digits ? r->pf_digits : r->pf;
        m->litlen = m->lit ? (uint32_t)strlen(m->lit) : 0;
        /* ids are matcher << 5 (the low bits are free for variants of the scheme) */
        if (m->lit && *m->lit) {
            int id = (int)(i << 5);
            if ((bp_regex_lit_at_word_start(m, m->lit)
                     ? bp_prefilter_add_word_start(pf, m->lit, strlen(m->lit), id)
                     : bp_prefilter_add(pf, m->lit, strlen(m->lit), id)) < 0)
                return -1;
        } else if (m->nlits) {
            int ws = bp_regex_lit_at_word_start(m, m->lits[0]); /* all of them or none */
            for (size_t k = 0; k < m->nlits; k++)
                if ((ws ? bp_prefilter_add_word_start(pf, m->lits[k], strlen(m->lits[k]),
                                                      (int)(i << 5))
                        : bp_prefilter_add(pf, m->lits[k], strlen(m->lits[k]), (int)(i << 5))) <
                    0)
                    return -1;
        } else {
            m->always = 1;
            m->anchored = 0;
            m->litoff = 0;
            if (m->digits)
                r->always_digits[r->nalways_digits++] = (int)i;
            else
                r->always[r->nalways++] = (int)i;
        }
        if (m->digits)
            r->has_digits = 1;
    }
    presence_t *tab = NULL;
    size_t cap = 0;
    int prc = rules_presence(r, r->pf, 0, &tab, &cap);
    free(tab); /* digits literals get their own indexes: the passes are separate */
    tab = NULL;
    cap = 0;
    if (prc == 0)
        prc = rules_presence(r, r->pf_digits, 1, &tab, &cap);
    free(tab);
    if (prc < 0)
        return -1;
    if (bp_prefilter_build(r->pf) < 0 || bp_prefilter_build(r->pf_digits) < 0)
        return -1;
    return 0;
}

static int rules_version(bp_rules_t *r, rules_file_t *files, size_t n, const char *dir)
{
    bp_buf_t all = BP_BUF_INIT((size_t)1 << 30);
    size_t dl = strlen(dir);
    for (size_t i = 0; i < n; i++) {
        const char *rel = files[i].path + dl + 1;
        if (bp_buf_append(&all, rel, strlen(rel) + 1) < 0 ||
            bp_buf_append(&all, files[i].data, files[i].len) < 0 || bp_buf_putc(&all, 0) < 0) {
            bp_buf_free(&all);
            return -1;
        }
    }
    unsigned char h[32];
    char hex[65];
    bp_sha256(all.data ? all.data : "", all.len, h);
    bp_hex(h, 32, hex);
    memcpy(r->version, hex, 12);
    r->version[12] = 0;
    bp_buf_free(&all);
    return 0;
}

bp_rules_t *bp_rules_load(const char *dir, bp_buf_t *errors)
{
    rules_file_t *files = NULL;
    size_t nfiles = 0;
    int rc = 0;
    bp_rules_t *r = calloc(1, sizeof *r);
    if (!r) {
        bp_rules_err(errors, NULL, "", "", "out of memory");
        return NULL;
    }
    bp_norm_opts_default(&r->nopts);
    r->nopts.digits_as_letters = 0;
    r->nopts_digits = r->nopts;
    r->nopts_digits.digits_as_letters = 1;
    bp_policy_default(&r->policy);
    if (bp_regex_endings_init(r) < 0) {
        bp_rules_err(errors, NULL, "", "", "out of memory");
        goto fail;
    }
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        bp_rules_err(errors, NULL, "", "", "%s: not a rules directory: %s", dir,
                     stat(dir, &st) < 0 ? strerror(errno) : "not a directory");
        goto fail;
    }
    if (rules_check_top(dir, errors) < 0)
        rc = -1;
    if (rules_list(dir, "brands", RF_BRAND, &files, &nfiles, errors) < 0 ||
        rules_list(dir, "lexicon", RF_LEXICON, &files, &nfiles, errors) < 0 ||
        rules_list(dir, "model", RF_MODEL, &files, &nfiles, errors) < 0)
        goto fail;
    for (const char *const *pn = (const char *const[]){"policy.yaml", "policy.yml", NULL}; *pn;
         pn++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, *pn);
        if (stat(p, &st) == 0) {
            rules_file_t *nf = realloc(files, (nfiles + 1) * sizeof *nf);
            if (!nf)
                goto fail;
            files = nf;
            files[nfiles++] = (rules_file_t){strdup(p), NULL, 0, RF_POLICY};
            break;
        }
    }
    r->files = calloc(nfiles + 1, sizeof *r->files);
    if (!r->files)
        goto fail;
    for (size_t i = 0; i < nfiles; i++) {
        if (!files[i].path)
            goto fail;
        r->files[r->nfiles++] = strdup(files[i].path);
        files[i].data = bp_file_read(files[i].path, BP_RULES_MAX_FILE_BYTES, &files[i].len);
        if (!files[i].data) {
            rc = bp_rules_err(errors, NULL, "", "", "%s: cannot read: %s", files[i].path,
                              errno == EFBIG ? "larger than 4 MiB" : strerror(errno));
            continue;
        }
        char err[1024];
        bp_ynode_t *root = bp_yaml_load_string(files[i].data, files[i].len, files[i].path, err,
                                               sizeof err);
        if (!root) {
            bp_buf_printf(errors, "%s\n", err);
            rc = -1;
            continue;
        }
        const char *fname = bp_rules_file(r, files[i].path);
        int frc;
        if (files[i].kind == RF_BRAND)
            frc = bp_rules_brand(r, root, fname, errors);
        else if (files[i].kind == RF_LEXICON)
            frc = bp_rules_lexicon(r, root, fname, errors);
        else if (files[i].kind == RF_MODEL)
            frc = bp_learned_load(r, root, fname, errors);
        else
            frc = bp_policy_load(&r->policy, root, errors);
        if (frc < 0)
            rc = -1;
        bp_yaml_free(root);
    }
    if (rc < 0)
        goto fail;
    if (rules_finish(r) < 0 || rules_version(r, files, nfiles, dir) < 0) {
        bp_rules_err(errors, NULL, "", "", "%s: out of memory building the rule set", dir);
        goto fail;
    }
    for (size_t i = 0; i < nfiles; i++) {
        free(files[i].path);
        free(files[i].data);
    }
    free(files);
    return r;
fail:
    for (size_t i = 0; i < nfiles; i++) {
        free(files[i].path);
        free(files[i].data);
    }
    free(files);
    bp_rules_free(r);
    return NULL;
}

const char *bp_rules_version(const bp_rules_t *r) { return r ? r->version : ""; }

static void examples_free(bp_example_t *ex, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ex[i].text);
    free(ex);
}

void bp_rules_free(bp_rules_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nm; i++)
        matcher_free(&r->m[i]);
    free(r->m);
    for (size_t i = 0; i < r->nbrands; i++) {
        bp_brand_t *b = &r->brands[i];
        free(b->id);
        free(b->display);
        free(b->category);
        for (size_t j = 0; j < b->nexclude; j++) {
            pcre2_code_free(b->exclude[j]);
            free(b->exclude_src[j]);
            for (size_t k = 0; b->exclude_nlits && k < b->exclude_nlits[j]; k++)
                free(b->exclude_lits[j][k]);
            if (b->exclude_lits)
                free(b->exclude_lits[j]);
        }
        free(b->exclude);
        free(b->exclude_src);
        free(b->exclude_lits);
        free(b->exclude_nlits);
        for (size_t j = 0; j < b->nnear; j++) {
            pcre2_code_free(b->near[j]);
            free(b->near_src[j]);
            free(b->near_lit[j]);
        }
        free(b->near_lit);
        free(b->near);
        free(b->near_src);
        examples_free(b->examples, b->nexamples);
    }
    free(r->brands);
    for (size_t i = 0; i < r->nlex; i++) {
        free(r->lex[i].language);
        examples_free(r->lex[i].examples, r->lex[i].nexamples);
    }
    free(r->lex);
    for (size_t i = 0; i < r->nfiles; i++)
        free(r->files[i]);
    free(r->files);
    bp_prefilter_free(r->pf);
    bp_prefilter_free(r->pf_digits);
    free(r->always);
    free(r->always_digits);
    bp_policy_free(&r->policy);
    free(r->presence_lazy);
    free(r->endings_after_vowel);
    free(r->endings_after_consonant);
    bp_learned_free_all(r);
    free(r);
}
