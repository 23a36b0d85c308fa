/* regex.c — turns rule terms into PCRE2: tolerant brand variants (separators, case endings,
 * '!'/'*'), lexicon terms, handles; compiles with UTF+UCP+caseless+JIT; extracts literals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruleset.h"
#include "utf8.h"

#define WORDCLASS "[\\p{L}\\p{N}_]"
#define LOOKBEHIND "(?<!" WORDCLASS ")"
#define LOOKAHEAD "(?!" WORDCLASS ")"
#define BRAND_SEP "[\\s\\-_./+&'\\x{2019}\\x{00b7}]{0,3}"
#define LEX_SEP "[^\\p{L}\\p{N}]{1,3}"
#define HANDLE_LOOKBEHIND "(?<![\\p{L}\\p{N}_@])"
#define DIGIT_SEP "[\\s\\-_.]?"

/* Russian and Ukrainian noun case endings. After a consonant the ending is optional; a final
 * vowel (or ь/й) is stripped and one of the second set must follow (it includes the vowel). */
static const char *const endings_consonant[] = {
    "ами", "ями", "ові", "еві", "ом", "ем", "ой", "ою", "ов", "ев", "ів", "ам", "ям", "ах",
    "ях", "ей", "а", "я", "у", "ю", "е", "є", "ы", "и", "і", "ї", NULL};
static const char *const endings_vowel[] = {
    "ами", "ями", "ові", "ой", "ей", "ою", "ею", "ом", "ем", "ам", "ям", "ах", "ях", "ью", "ов",
    "ев", "ів", "їв", "а", "я", "у", "ю", "ы", "и", "і", "ї", "е", "є", "о", "ь", "й", NULL};

pcre2_code *bp_regex_compile(const char *src, size_t len, int flags, char *err, size_t errlen)
{
    int ec = 0;
    PCRE2_SIZE off = 0;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)src, len,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS |
                                       ((flags & BP_RE_ANCHORED) ? PCRE2_ANCHORED : 0),
                                   &ec, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        snprintf(err, errlen, "bad regex at offset %zu: %s", (size_t)off, (char *)msg);
        return NULL;
    }
    if (!(flags & BP_RE_NOJIT))
        (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* without JIT it still works, slower */
    return re;
}

char *bp_regex_fix_yo(const char *src)
{
    char *s = strdup(src);
    if (!s)
        return NULL;
    for (size_t i = 0; s[i] && s[i + 1]; i++) {
        unsigned char a = (unsigned char)s[i], b = (unsigned char)s[i + 1];
        if ((a == 0xD1 && b == 0x91) || (a == 0xD0 && b == 0x81)) { /* ё Ё -> е */
            s[i] = (char)0xD0;
            s[i + 1] = (char)0xB5;
            i++;
        }
    }
    return s;
}

/* The endings of list, normalized with o, as a regex alternation "(?:a|b|...)" and as the keys
 * of es (es->ok stays 0 if an ending does not fit a key: bp_regex_ending_match then reads the
 * alternation). Returns the alternation or NULL (no memory). */
static char *regex_endings(const char *const *list, const bp_norm_opts_t *o, struct bp_endset *es)
{
    bp_buf_t b = BP_BUF_INIT(4096);
    char *out = NULL;
    memset(es, 0, sizeof *es);
    int fits = 1;
    if (bp_buf_puts(&b, "(?:") < 0)
        goto done;
    for (size_t i = 0; list[i]; i++) {
        char *n = bp_normalize_cstr(list[i], o);
        if (!n)
            goto done;
        size_t k = strlen(n);
        if (k == 0 || k > 8 || es->n >= BP_ENDINGS_MAX) {
            fits = 0;
        } else {
            uint64_t key = 0;
            memcpy(&key, n, k);
            es->key[es->n] = key;
            es->len[es->n++] = (unsigned char)k;
            es->lens |= 1u << k;
        }
        int rc = bp_buf_printf(&b, "%s%s", i ? "|" : "", n);
        free(n);
        if (rc < 0)
            goto done;
    }
    if (bp_buf_puts(&b, ")") < 0)
        goto done;
    out = bp_buf_steal(&b);
    es->ok = fits;
done:
    bp_buf_free(&b);
    return out;
}

int bp_regex_endings_init(bp_rules_t *r)
{
    /* endings are normalized like text, so that whatever the normalizer does to Ukrainian
     * letters it does to the endings too; repeats are not collapsed inside an ending */
    bp_norm_opts_t o = r->nopts;
    o.collapse_repeats = 0;
    o.join_spaced = 0;
    o.digits_as_letters = 0;
    r->endings_after_consonant = regex_endings(endings_consonant, &o, &r->endset[1]);
    r->endings_after_vowel = regex_endings(endings_vowel, &o, &r->endset[0]);
    return r->endings_after_consonant && r->endings_after_vowel ? 0 : -1;
}

static int is_cyr(uint32_t cp) { return cp >= 0x400 && cp <= 0x52F; }
static int is_digit(uint32_t cp) { return cp >= '0' && cp <= '9'; }
/* letters whose loss before an ending is the normal declension (альфа -> альфы) */
static int is_cyr_final_vowel(uint32_t cp)
{
    static const uint32_t v[] = {0x430, 0x44F, 0x43E, 0x435, 0x44C, 0x439, 0x44B,
                                 0x438, 0x456, 0x457, 0x454, 0x443, 0x44E};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (cp == v[i])
            return 1;
    return 0;
}

/* One part of a term: a run of word characters, [s, e) bytes of the normalized term. */
typedef struct term_part { size_t s, e; } term_part_t;

static int regex_split(const char *n, size_t len, term_part_t *parts, size_t max, size_t *np)
{
    size_t i = 0, k = 0;
    while (i < len) {
        size_t at = i;
        uint32_t cp = bp_utf8_decode(n, len, &i);
        if (!bp_norm_is_word_cp(cp))
            continue;
        if (k == 0 || parts[k - 1].e != at) {
            if (k == max)
                return -1;
            parts[k].s = at;
            k++;
        }
        parts[k - 1].e = i;
    }
    *np = k;
    return 0;
}

/* Appends one segment to a term program (see bp_regex_from_term): the separator before it,
 * its ending kind, its stem. A stem too long for its length byte spoils the program. */
static int regex_prog_seg(bp_buf_t *prog, int *ok, int sep, int ending, const char *s,
                          size_t len)
{
    if (!prog || !*ok)
        return 0;
    if (len == 0 || len > 255 || (unsigned char)prog->data[1] == 255) {
        *ok = 0;
        return 0;
    }
    prog->data[1]++;
    unsigned char head[3] = {(unsigned char)sep, (unsigned char)ending, (unsigned char)len};
    return bp_buf_append(prog, (const char *)head, 3) < 0 || bp_buf_append(prog, s, len) < 0 ? -1
                                                                                            : 0;
}

/* Appends one part: segments split where letters meet digits (теле2 = теле 2 = теле-2); the
 * last segment may get case endings. The first segment (or its stem) goes to lit, the most
 * bytes the part can take in a match to *span. prog (may be NULL): the term program, whose
 * first segment of this part follows a separator of kind sep. */
static int regex_part(const bp_rules_t *r, bp_buf_t *b, const char *n, term_part_t p,
                      int endings, bp_buf_t *lit, size_t *span, bp_buf_t *prog, int *prog_ok,
                      int sep)
{
    *span = p.e - p.s + 8; /* the part, an ending of up to 3 letters */
    size_t i = p.s, seg = p.s;
    int prevd = -1;
    while (i <= p.e) {
        size_t at = i;
        uint32_t cp = 0;
        int d = -1;
        if (i < p.e) {
            cp = bp_utf8_decode(n, p.e, &i);
            d = is_digit(cp);
        } else {
            i++;
        }
        if (prevd != -1 && (d != prevd || at == p.e)) {
            /* segment [seg, at) ends */
            const char *ss = n + seg;
            size_t sl = at - seg, stem = sl;
            const char *alt = NULL;
            int ending = 0;
            int last = at == p.e;
            if (last && endings && !prevd) {
                size_t cps = 0, j = seg, lastcp_at = seg;
                uint32_t lastcp = 0;
                int cyr = 1;
                while (j < at) {
                    lastcp_at = j;
                    lastcp = bp_utf8_decode(n, at, &j);
                    cyr = cyr && is_cyr(lastcp);
                    cps++;
                }
                if (cyr && cps >= 3) {
                    if (is_cyr_final_vowel(lastcp)) {
                        stem = lastcp_at - seg;
                        alt = r->endings_after_vowel;
                        ending = BP_SIMPLE_ENDING;
                    } else {
                        alt = r->endings_after_consonant;
                        ending = BP_SIMPLE_ENDING_OPT;
                    }
                }
            }
            if (seg != p.s) {
                if (bp_buf_puts(b, DIGIT_SEP) < 0)
                    return -1;
                *span += 4;
            }
            if (bp_buf_append(b, ss, stem) < 0)
                return -1;
            if (alt && bp_buf_printf(b, "%s%s", alt, stem == sl ? "?" : "") < 0)
                return -1;
            if (regex_prog_seg(prog, prog_ok, seg == p.s ? sep : BP_TERM_SEP_DIGIT, ending,
                               ss, stem) < 0)
                return -1;

            if (seg == p.s && bp_buf_append(lit, ss, stem) < 0)
                return -1;
            seg = at;
        }
        prevd = d;
    }
    return 0;
}

char *bp_regex_from_term(const bp_rules_t *r, const char *term, int brand,
                         const bp_norm_opts_t *o, char **lit, size_t *litoff, int *simple,
                         char **prog, char ***others, size_t *nothers, char *err, size_t errlen)
{
    char *plits[64] = {0};
    if (simple)
        *simple = 0;
    if (prog)
        *prog = NULL;
    /* the term program of a brand term: what the regex matches, for the engine's C check */
    bp_buf_t pg = BP_BUF_INIT(16384);
    int pg_ok = prog && brand;
    if (others) {
        *others = NULL;
        *nothers = 0;
    }
    bp_buf_t b = BP_BUF_INIT(16384), l = BP_BUF_INIT(BP_RULES_MAX_TERM),
             pl = BP_BUF_INIT(BP_RULES_MAX_TERM);
    char *copy = NULL, *n = NULL, *out = NULL;
    term_part_t parts[64];
    size_t np = 0;
    *lit = NULL;
    size_t tl = strlen(term);
    if (tl > BP_RULES_MAX_TERM) {
        snprintf(err, errlen, "longer than %d bytes", BP_RULES_MAX_TERM);
        goto done;
    }
    copy = strdup(term);
    if (!copy)
        goto nomem;
    while (tl && (copy[tl - 1] == ' ' || copy[tl - 1] == '\t'))
        copy[--tl] = 0;
    int bang = 0, star = 0;
    if (tl && copy[tl - 1] == '!') {
        bang = 1;
        copy[--tl] = 0;
    } else if (tl && copy[tl - 1] == '*') {
        star = 1;
        copy[--tl] = 0;
    }
    if (strchr(copy, '*')) {
        snprintf(err, errlen, "'*' is only allowed at the end");
        goto done;
    }
    n = bp_normalize_cstr(copy, o);
    if (!n)
        goto nomem;
    if (regex_split(n, strlen(n), parts, sizeof parts / sizeof parts[0], &np) < 0) {
        snprintf(err, errlen, "more than 64 words");
        goto done;
    }
    if (np == 0) {
        snprintf(err, errlen, "no letters or digits left after normalization");
        goto done;
    }
    if (bp_buf_puts(&b, LOOKBEHIND) < 0)
        goto nomem;
    if (pg_ok && bp_buf_append(&pg, (const char[]){(char)(star ? BP_TERM_STAR : 0), 0}, 2) < 0)
        goto nomem;
    /* the literal: the first part's first segment when it has 5 bytes or more (it starts
     * every match, right after a non-word character: the prefilter looks for it at word
     * starts only and the regex runs anchored there), else the longest part's (a short first
     * word like «т» in «т банк» would wake the rule on every post); *litoff bounds where it
     * can start in a match */
    size_t before = 0, chosen = 0;
    int first_chosen = 0;
    *litoff = 0;
    for (size_t i = 0; i < np; i++) {
        size_t span = 0;
        if (i) {
            if (bp_buf_puts(&b, brand ? BRAND_SEP : LEX_SEP) < 0)
                goto nomem;
            before += 12; /* up to 3 separators of up to 4 bytes */
        }
        bp_buf_reset(&pl);
        if (regex_part(r, &b, n, parts[i], brand && !bang && !star, &pl, &span,
                       pg_ok ? &pg : NULL, &pg_ok, i ? BP_TERM_SEP_BRAND : BP_TERM_SEP_NONE) < 0)
            goto nomem;
        plits[i] = strndup(pl.data ? pl.data : "", pl.len);
        if (!plits[i])
            goto nomem;
        if (!first_chosen && pl.len > l.len) {
            first_chosen = i == 0 && pl.len >= 5;
            bp_buf_reset(&l);
            if (bp_buf_append(&l, pl.data, pl.len) < 0)
                goto nomem;
            *litoff = before;
            chosen = i;
        }
        before += span;
    }
    /* every other word's literal must be in the text too (at most 31 of them) */
    if (others) {
        *others = calloc(np, sizeof **others);
        *nothers = 0;
        if (!*others)
            goto nomem;
        for (size_t i = 0; i < np && *nothers < 31; i++)
            if (i != chosen && plits[i][0]) {
                (*others)[(*nothers)++] = plits[i];
                plits[i] = NULL;
            }
    }
    if (star && bp_buf_puts(&b, WORDCLASS "*") < 0)
        goto nomem;
    /* one word, no case endings: the literal is the whole term (plus any continuation for
     * '*'), which the engine can check without running the regex */
    if (simple && np == 1 && l.len == parts[0].e - parts[0].s &&
        memcmp(l.data, n + parts[0].s, l.len) == 0 && (!brand || bang || star))
        *simple = star ? 2 : 1;
    if (bp_buf_puts(&b, LOOKAHEAD) < 0)
        goto nomem;
    *lit = bp_buf_steal(&l);
    out = bp_buf_steal(&b);
    if (pg_ok)
        *prog = bp_buf_steal(&pg);
    goto done;
nomem:
    snprintf(err, errlen, "out of memory or too long");
done:
    for (size_t i = 0; i < np; i++)
        free(plits[i]);
    if (!out && others && *others) {
        for (size_t i = 0; i < *nothers; i++)
            free((*others)[i]);
        free(*others);
        *others = NULL;
        *nothers = 0;
    }
    bp_buf_free(&b);
    bp_buf_free(&l);
    bp_buf_free(&pl);
    bp_buf_free(&pg);
    free(copy);
    free(n);
    return out;
}

/* Does src start with prefix? Returns the rest, or NULL. */
static const char *regex_skip(const char *src, const char *prefix)
{
    if (!prefix)
        return NULL;
    size_t n = strlen(prefix);
    return strncmp(src, prefix, n) == 0 ? src + n : NULL;
}

int bp_regex_simple_kind(const bp_rules_t *r, const bp_matcher_t *m)
{
    if (m->simple)
        return m->simple;
    if (m->kind != BP_MK_VARIANT || !m->lit || !m->prog || !m->anchored || !r->endset[0].ok ||
        !r->endset[1].ok)
        return 0;
    /* one segment: the literal between word boundaries, with its endings if it takes any
     * (the needs of a one-word term are none); else the program */
    const unsigned char *pg = (const unsigned char *)m->prog;
    if (pg[1] == 1 && !(pg[0] & BP_TERM_STAR) && !m->nneed)
        return pg[3] ? pg[3] : 1;
    return BP_SIMPLE_TERM;
}

static int lit_starts_alnum(const char *lit);

int bp_regex_phrase_words(const bp_matcher_t *m, bp_buf_t *out)
{
    /* a lexicon term run anchored at its first word: LOOKBEHIND a LEX_SEP b ... LOOKAHEAD */
    if (m->kind < BP_MK_NEGATIVE || !m->lit || !m->anchored || !m->src ||
        !regex_skip(m->src, LOOKBEHIND) || !regex_skip(m->src + strlen(LOOKBEHIND), m->lit))
        return 0;
    size_t ol = strlen(LOOKBEHIND), sl = strlen(LEX_SEP), cl = strlen(LOOKAHEAD);
    size_t len = strlen(m->src);
    if (len < ol + cl || strcmp(m->src + len - cl, LOOKAHEAD) != 0)
        return 0;
    const char *p = m->src + ol, *end = m->src + len - cl;
    size_t start = out->len, nw = 0;
    if (bp_buf_putc(out, 0) < 0)
        return -1;
    while (p <= end) {
        const char *sep = strstr(p, LEX_SEP);
        const char *we = sep && sep < end ? sep : end;
        size_t wl = (size_t)(we - p);
        /* a word of plain text (nothing the regex would read otherwise) opening with a letter
         * or digit, so that the separator before it ends right before it */
        int ok = nw < 64 && wl > 0 && wl < 256 && lit_starts_alnum(p);
        for (size_t i = 0; ok && i < wl; i++)
            ok = !strchr("\\^$.|?*+()[]{}", p[i]);
        if (!ok) {
            out->len = start; /* not a phrase after all: drop what was written */
            if (out->data)
                out->data[start] = '\0';
            return 0;
        }
        if (bp_buf_putc(out, (char)wl) < 0 || bp_buf_append(out, p, wl) < 0)
            return -1;
        nw++;
        p = we == end ? end + 1 : we + sl;
    }
    if (nw < 2) {
        out->len = start;
        out->data[start] = '\0';
        return 0;
    }
    out->data[start] = (char)nw;
    return (int)nw;
}

int bp_regex_ending_match(const bp_rules_t *r, int simple, const char *s, size_t n)
{
    if (n == 0)
        return simple == BP_SIMPLE_ENDING_OPT;
    const struct bp_endset *es = &r->endset[simple == BP_SIMPLE_ENDING ? 0 : 1];
    if (es->ok) {
        if (n > 8 || !(es->lens >> n & 1))
            return 0;
        uint64_t key = 0;
        memcpy(&key, s, n);
        for (size_t i = 0; i < es->n; i++)
            if (es->key[i] == key && es->len[i] == n)
                return 1;
        return 0;
    }
    const char *alt = simple == BP_SIMPLE_ENDING ? r->endings_after_vowel
                                                 : r->endings_after_consonant;
    if (!alt || strncmp(alt, "(?:", 3) != 0)
        return -1;
    const char *p = alt + 3;
    for (;;) {
        size_t k = strcspn(p, "|)");
        if (k == n && memcmp(p, s, n) == 0)
            return 1;
        if (p[k] != '|')
            return 0;
        p += k + 1;
    }
}

char *bp_regex_from_handle(const char *handle, const bp_norm_opts_t *o, char **lit, char *err,
                           size_t errlen)
{
    bp_buf_t b = BP_BUF_INIT(4096);
    char *out = NULL, *n = NULL;
    *lit = NULL;
    if (strlen(handle) > BP_RULES_MAX_TERM) {
        snprintf(err, errlen, "longer than %d bytes", BP_RULES_MAX_TERM);
        goto done;
    }
    bp_norm_opts_t oo = *o;
    oo.join_spaced = 0;
    oo.collapse_repeats = 0;
    n = bp_normalize_cstr(handle, &oo);
    if (!n)
        goto nomem;
    if (!*n) {
        snprintf(err, errlen, "empty after normalization");
        goto done;
    }
    if (bp_buf_puts(&b, HANDLE_LOOKBEHIND) < 0)
        goto nomem;
    for (const char *p = n; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '_')) {
            if (bp_buf_putc(&b, '\\') < 0)
                goto nomem;
        }
        if (bp_buf_putc(&b, (char)c) < 0)
            goto nomem;
    }
    if (bp_buf_puts(&b, LOOKAHEAD) < 0)
        goto nomem;
    out = bp_buf_steal(&b);
    *lit = n;
    n = NULL;
    goto done;
nomem:
    snprintf(err, errlen, "out of memory or too long");
done:
    bp_buf_free(&b);
    free(n);
    return out;
}

/* ---- literal extraction from a user pattern ----
 * A set of literals such that every match contains at least one of them: a run of plain
 * characters in a sequence, or the union of the sets of an alternation's branches. Anything
 * not understood (classes, escapes like \w, lookarounds, optional items) just ends a run. */

#define LIT_MAX_SET 24
#define LIT_MIN_BYTES 2

typedef struct litset {
    char *m[LIT_MAX_SET];
    size_t n;
    size_t minlen;
    int ok;
} litset_t;

static void litset_clear(litset_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->m[i]);
    memset(s, 0, sizeof *s);
}

/* 1 if a is a better set than b: present, longer shortest member, then fewer members. */
static int litset_better(const litset_t *a, const litset_t *b)
{
    if (!a->ok)
        return 0;
    if (!b->ok)
        return 1;
    if (a->minlen != b->minlen)
        return a->minlen > b->minlen;
    return a->n < b->n;
}

/* Moves cand into best when better; cand is left empty either way. */
static void litset_offer(litset_t *best, litset_t *cand)
{
    if (litset_better(cand, best)) {
        litset_clear(best);
        *best = *cand;
        memset(cand, 0, sizeof *cand);
    } else {
        litset_clear(cand);
    }
}

static void lit_offer_run(litset_t *best, bp_buf_t *run)
{
    if (run->len >= LIT_MIN_BYTES) {
        litset_t c = {0};
        c.m[0] = strndup(run->data, run->len);
        if (c.m[0]) {
            c.n = 1;
            c.minlen = run->len;
            c.ok = 1;
        }
        litset_offer(best, &c);
    }
    bp_buf_reset(run);
}

/* Skips a [...] class starting at s[i] == '['; returns the index after ']'. */
static size_t lit_skip_class(const char *s, size_t i)
{
    i++;
    if (s[i] == '^')
        i++;
    if (s[i] == ']')
        i++;
    while (s[i] && s[i] != ']') {
        if (s[i] == '\\' && s[i + 1])
            i++;
        else if (s[i] == '[' && s[i + 1] == ':') {
            const char *e = strstr(s + i + 2, ":]");
            if (e)
                i = (size_t)(e - s) + 1;
        }
        i++;
    }
    return s[i] ? i + 1 : i;
}

/* A class of one character ("[б]", "[(]", "[\\.]"): copies it to ch and returns 1. */
static int lit_single_class(const char *s, size_t i, char *ch, size_t *chn)
{
    size_t j = i + 1, n = 1;
    unsigned char c = (unsigned char)s[j];
    if (c == '^' || c == ']' || c == '[' || !c)
        return 0;
    if (c == '\\') {
        unsigned char d = (unsigned char)s[j + 1];
        if (!d || (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9') ||
            d >= 0x80)
            return 0;
        j++;
        c = d;
    } else if (c >= 0xC0) {
        n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    }
    for (size_t k = 1; k < n; k++)
        if (((unsigned char)s[j + k] & 0xC0) != 0x80)
            return 0;
    if (s[j + n] != ']')
        return 0;
    memcpy(ch, s + j, n);
    *chn = n;
    return 1;
}

/* Skips a (...) group starting at s[i] == '('; returns the index after ')'. */
static size_t lit_skip_group(const char *s, size_t i)
{
    int depth = 0;
    while (s[i]) {
        if (s[i] == '\\' && s[i + 1]) {
            i += 2;
            continue;
        }
        if (s[i] == '[') {
            i = lit_skip_class(s, i);
            continue;
        }
        if (s[i] == '(')
            depth++;
        else if (s[i] == ')' && --depth == 0)
            return i + 1;
        i++;
    }
    return i;
}

/* The index after the atom at s[i]: an escape, a class, a group, or one byte. */
static size_t lit_skip_atom(const char *s, size_t i)
{
    if (s[i] == '\\' && s[i + 1])
        return i + 2;
    if (s[i] == '[')
        return lit_skip_class(s, i);
    if (s[i] == '(')
        return lit_skip_group(s, i);
    return i + 1;
}

/* If a quantifier starts at s[i], returns its length, its minimum count in *min and whether
 * it allows more than the minimum in *more. */
static size_t lit_quant2(const char *s, size_t i, long *min, int *more)
{
    size_t q = 0;
    *min = 1;
    *more = 1;
    if (s[i] == '?' || s[i] == '*') {
        *min = 0;
        q = 1;
    } else if (s[i] == '+') {
        q = 1;
    } else if (s[i] == '{' && s[i + 1] >= '0' && s[i + 1] <= '9') {
        size_t j = i + 1;
        char *end;
        long lo = strtol(s + j, &end, 10), hi = -1;
        if (*end == ',' && end[1] >= '0' && end[1] <= '9')
            hi = strtol(end + 1, NULL, 10);
        else if (*end == '}')
            hi = lo;
        while (s[j] && s[j] != '}')
            j++;
        if (!s[j])
            return 0;
        *min = lo;
        *more = hi != lo;
        q = j + 1 - i;
    } else {
        return 0;
    }
    if (s[i + q] == '?' || s[i + q] == '+')
        q++;
    return q;
}

static size_t lit_quant(const char *s, size_t i, long *min)
{
    int more;
    return lit_quant2(s, i, min, &more);
}

static size_t lit_alt(const char *s, size_t i, litset_t *out, int depth);

/* One branch: until '|' or ')' or the end. The best set found goes to best. */
static size_t lit_seq(const char *s, size_t i, litset_t *best, int depth)
{
    bp_buf_t run = BP_BUF_INIT(BP_RULES_MAX_TERM * 8);
    while (s[i] && s[i] != '|' && s[i] != ')') {
        unsigned char c = (unsigned char)s[i];
        long min = 1;
        size_t q, lastch = run.len;
        char ch[4];
        size_t chn = 0;
        if (c == '\\') {
            unsigned char d = (unsigned char)s[i + 1];
            if (!d) {
                i++;
                break;
            }
            if ((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9') ||
                d >= 0x80) {
                lit_offer_run(best, &run); /* \b \w \p{..} \x.. \K and friends */
                i += 2;
                if (d == 'p' || d == 'P' || d == 'x' || d == 'o' || d == 'g' || d == 'k' ||
                    d == 'N') {
                    if (s[i] == '{') {
                        while (s[i] && s[i] != '}')
                            i++;
                        if (s[i])
                            i++;
                    } else if (d == 'x') {
                        while (s[i] && strchr("0123456789abcdefABCDEF", s[i]))
                            i++;
                    } else if (d != 'N' && s[i]) {
                        i++;
                    }
                }
                i += lit_quant(s, i, &min);
                continue;
            }
            ch[chn++] = (char)d;
            i += 2;
        } else if (c == '[' && lit_single_class(s, i, ch, &chn)) {
            i = lit_skip_class(s, i); /* [б] or [(] is just that character */
        } else if (c == '[') {
            lit_offer_run(best, &run);
            i = lit_skip_class(s, i);
            i += lit_quant(s, i, &min);
            continue;
        } else if (c == '(') {
            lit_offer_run(best, &run);
            size_t start = i;
            int plain = s[i + 1] != '?' && s[i + 1] != '*';
            size_t inner = i + 1;
            if (!plain && (!strncmp(s + i, "(?:", 3) || !strncmp(s + i, "(?>", 3) ||
                           !strncmp(s + i, "(?|", 3))) {
                plain = 1;
                inner = i + 3;
            } else if (!plain && (!strncmp(s + i, "(?<", 3) || !strncmp(s + i, "(?P<", 4) ||
                                  !strncmp(s + i, "(?'", 3)) &&
                       s[i + 3] != '=' && s[i + 3] != '!') {
                const char *e = strpbrk(s + i + 3, ">'");
                if (e) {
                    plain = 1;
                    inner = (size_t)(e - s) + 1;
                }
            }
            litset_t g = {0};
            if (plain && depth < 16) {
                size_t end = lit_alt(s, inner, &g, depth + 1);
                i = s[end] == ')' ? end + 1 : end;
            } else {
                i = lit_skip_group(s, start); /* lookarounds, options, verbs, recursion */
            }
            i += lit_quant(s, i, &min);
            if (min == 0)
                litset_clear(&g);
            litset_offer(best, &g);
            continue;
        } else if (c == '.' || c == '^' || c == '$') {
            lit_offer_run(best, &run);
            i++;
            i += lit_quant(s, i, &min);
            continue;
        } else {
            size_t n = 1;
            if (c >= 0xC0)
                n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            for (size_t k = 0; k < n && s[i]; k++)
                ch[chn++] = s[i++];
        }
        bp_buf_append(&run, ch, chn);
        int more = 0;
        q = lit_quant2(s, i, &min, &more);
        if (q) {
            i += q;
            if (min == 0) {
                run.len = lastch; /* the character may be absent */
                if (run.data)
                    run.data[run.len] = 0;
                lit_offer_run(best, &run);
            } else {
                long reps = min < 4 ? min : 4;
                for (long k = 1; k < reps; k++)
                    bp_buf_append(&run, ch, chn);
                if (more || min > 4) {
                    /* "ab+c" contains "ab" and "bc", not "abc": end the run after the
                     * repeats, start the next with them */
                    lit_offer_run(best, &run);
                    for (long k = 0; k < reps; k++)
                        bp_buf_append(&run, ch, chn);
                }
            }
        }
    }
    lit_offer_run(best, &run);
    bp_buf_free(&run);
    return i;
}

/* Branches until ')' or the end: the union of their sets (none if any branch has none). */
static size_t lit_alt(const char *s, size_t i, litset_t *out, int depth)
{
    int first = 1, ok = 1;
    memset(out, 0, sizeof *out);
    for (;;) {
        litset_t b = {0};
        i = lit_seq(s, i, &b, depth);
        if (!b.ok)
            ok = 0;
        if (first) {
            *out = b;
            first = 0;
        } else if (ok) {
            for (size_t k = 0; k < b.n; k++) {
                size_t j = 0;
                while (j < out->n && strcmp(out->m[j], b.m[k]) != 0)
                    j++;
                if (j < out->n)
                    continue;
                if (out->n == LIT_MAX_SET) {
                    ok = 0;
                    break;
                }
                out->m[out->n++] = b.m[k];
                b.m[k] = NULL;
                if (strlen(out->m[out->n - 1]) < out->minlen)
                    out->minlen = strlen(out->m[out->n - 1]);
            }
            litset_clear(&b);
        } else {
            litset_clear(&b);
        }
        if (s[i] != '|')
            break;
        i++;
    }
    if (!ok)
        litset_clear(out);
    return i;
}

/* The literals of src's first element (after a "\\b"), when it is a group or a run of plain
 * characters that is not optional: every match starts with one of them if bp_regex_lits_lead
 * agrees. *set is empty (not ok) when there is no such element. */
static void lit_leading(const char *src, litset_t *set)
{
    memset(set, 0, sizeof *set);
    size_t i = strncmp(src, "\\b", 2) == 0 ? 2 : 0, j = i;
    if (src[i] == '(') {
        j = lit_skip_group(src, i);
    } else {
        while (src[j] && !strchr("\\^$.|?*+()[]{}", src[j]))
            j++;
        if (j > i && src[j] && strchr("?*+{", src[j])) { /* the last character is repeated */
            j--;
            while (j > i && ((unsigned char)src[j] & 0xC0) == 0x80)
                j--;
        }
    }
    if (j <= i || (src[j] && strchr("?*{", src[j])))
        return; /* nothing, or an optional group */
    char *first = strndup(src + i, j - i);
    if (!first)
        return;
    size_t end = lit_alt(first, 0, set, 0);
    if (first[end] != '\0')
        litset_clear(set);
    free(first);
}

size_t bp_regex_literals(const char *src, char ***out)
{
    litset_t set = {0};
    *out = NULL;
    if (!strncmp(src, "(*", 2) || strstr(src, "\\Q") || strstr(src, "(?x") ||
        strstr(src, "(?-i") || strstr(src, "(?#"))
        return 0;
    size_t end = lit_alt(src, 0, &set, 0);
    if (src[end] != '\0' || !set.ok) { /* an unbalanced ')' or nothing usable */
        litset_clear(&set);
        return 0;
    }
    /* literals that lead every match (of 3 characters and 4 bytes or more) beat longer ones
     * further on: the pattern is then searched from their hits, not over the whole text */
    litset_t lead;
    lit_leading(src, &lead);
    size_t minchars = lead.ok && lead.n ? (size_t)-1 : 0;
    for (size_t k = 0; k < lead.n && lead.ok; k++) {
        size_t c = 0;
        for (const unsigned char *q = (const unsigned char *)lead.m[k]; *q; q++)
            c += (*q & 0xC0) != 0x80;
        if (c < minchars)
            minchars = c;
    }
    if (lead.ok && lead.n && lead.minlen >= 4 && minchars >= 3 &&
        bp_regex_lits_lead(src, lead.m, lead.n) && !bp_regex_lits_lead(src, set.m, set.n)) {
        litset_clear(&set);
        set = lead;
    } else {
        litset_clear(&lead);
    }
    bp_norm_opts_t o = {0, 0, 0, 0};
    char **v = calloc(set.n, sizeof *v);
    size_t n = 0;
    for (size_t k = 0; v && k < set.n; k++) {
        char *l = bp_normalize_cstr(set.m[k], &o);
        if (!l || strlen(l) < LIT_MIN_BYTES) { /* normalizing emptied it: no safe literal */
            free(l);
            for (size_t j = 0; j < n; j++)
                free(v[j]);
            free(v);
            v = NULL;
            n = 0;
            break;
        }
        v[n++] = l;
    }
    litset_clear(&set);
    *out = v;
    return n;
}

/* 1 if the regex s has a '|' outside every group and class (a top-level alternation). */
static int has_top_alt(const char *s)
{
    for (size_t j = 0; s[j]; j = lit_skip_atom(s, j))
        if (s[j] == '|')
            return 1;
    return 0;
}

/* Adds run (a top-level run of plain characters) to the required literals unless it is too
 * short, one of chosen, or the list is full. */
static void lit_require(bp_buf_t *run, char *const *chosen, size_t nchosen, char **req,
                        size_t *nreq)
{
    if (run->len >= 3 && *nreq < 8) {
        bp_norm_opts_t o = {0, 0, 0, 0};
        char *raw = strndup(run->data, run->len);
        char *l = raw ? bp_normalize_cstr(raw, &o) : NULL;
        free(raw);
        int dup = !l || strlen(l) < 3;
        for (size_t k = 0; k < nchosen && !dup; k++)
            dup = strcmp(chosen[k], l) == 0;
        for (size_t k = 0; k < *nreq && !dup; k++)
            dup = strcmp(req[k], l) == 0;
        if (dup)
            free(l);
        else
            req[(*nreq)++] = l;
    }
    bp_buf_reset(run);
}

/* The index after the quantifier at src[i] ("?", "*", "+", "{n,m}" and a lazy or possessive
 * mark), or i when there is none. */
static size_t lit_skip_quant(const char *src, size_t i)
{
    if (src[i] == '{') {
        const char *e = strchr(src + i, '}');
        i = e ? (size_t)(e - src) + 1 : i + 1;
    } else if (src[i] == '?' || src[i] == '*' || src[i] == '+') {
        i++;
    } else {
        return i;
    }
    if (src[i] == '?' || src[i] == '+')
        i++;
    return i;
}

/* 1 if the top-level items of src can be read one by one for required literals: no
 * top-level alternation, nothing that changes how the rest reads. */
static int regex_required_readable(const char *src)
{
    return src && !has_top_alt(src) && strncmp(src, "(*", 2) && !strstr(src, "\\Q") &&
           !strstr(src, "(?x") && !strstr(src, "(?-i") && !strstr(src, "(?#") &&
           !strstr(src, "(?|");
}

size_t bp_regex_required(const char *src, char *const *chosen, size_t nchosen, char ***out)
{
    *out = NULL;
    if (!regex_required_readable(src))
        return 0;
    char *req[8];
    size_t nreq = 0, i = 0;
    bp_buf_t run = BP_BUF_INIT(BP_RULES_MAX_TERM * 4);
    while (src[i]) {
        unsigned char c = (unsigned char)src[i];
        if (c == '\\' || c == '.' || c == '^' || c == '$' || c == '[' || c == '(') {
            /* escapes, classes and groups end a run (a group is skipped whole) */
            lit_require(&run, chosen, nchosen, req, &nreq);
            if (c == '\\')
                i += src[i + 1] ? 2 : 1;
            else if (c == '[')
                i = lit_skip_class(src, i);
            else if (c == '(')
                i = lit_skip_group(src, i);
            else
                i++;
            i = lit_skip_quant(src, i);
            continue;
        }
        if (c == '?' || c == '*' || c == '+' || c == '{') {
            /* the character before is repeated or optional: the run ends before it */
            if (run.len) {
                size_t k = run.len - 1;
                while (k > 0 && ((unsigned char)run.data[k] & 0xC0) == 0x80)
                    k--;
                run.len = k;
            }
            lit_require(&run, chosen, nchosen, req, &nreq);
            i = lit_skip_quant(src, i);
            continue;
        }
        size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        for (size_t k = 0; k < n && src[i]; k++)
            bp_buf_putc(&run, src[i++]);
    }
    lit_require(&run, chosen, nchosen, req, &nreq);
    bp_buf_free(&run);
    if (!nreq)
        return 0;
    *out = malloc(nreq * sizeof **out);
    if (!*out) {
        for (size_t k = 0; k < nreq; k++)
            free(req[k]);
        return 0;
    }
    memcpy(*out, req, nreq * sizeof *req);
    return nreq;
}

size_t bp_regex_required_any(const char *src, char *const *chosen, size_t nchosen, char ***out)
{
    *out = NULL;
    if (!regex_required_readable(src))
        return 0;
    for (size_t i = 0; src[i]; i = lit_skip_atom(src, i)) {
        if (src[i] != '(')
            continue;
        /* a plain or non-capturing group (not a lookaround, not optional) */
        size_t open = src[i + 1] == '?' && src[i + 2] == ':' ? 3 : src[i + 1] == '?' ? 0 : 1;
        size_t end = lit_skip_group(src, i);
        char q = src[end];
        if (!open || end < i + open + 1 || src[end - 1] != ')' || q == '?' || q == '*' ||
            (q == '{' && src[end + 1] == '0'))
            continue;
        char *inner = strndup(src + i + open, end - 1 - (i + open));
        char **v = NULL;
        size_t n = inner ? bp_regex_literals(inner, &v) : 0;
        free(inner);
        int usable = n > 1; /* one literal would be a plain need */
        for (size_t k = 0; k < n && usable; k++) {
            usable = strlen(v[k]) >= 3;
            for (size_t c = 0; c < nchosen && usable; c++)
                usable = strcmp(v[k], chosen[c]) != 0;
        }
        if (usable) {
            *out = v;
            return n;
        }
        for (size_t k = 0; k < n; k++)
            free(v[k]);
        free(v);
    }
    return 0;
}

char *bp_regex_literal(const char *src)
{
    char **v;
    size_t n = bp_regex_literals(src, &v);
    char *one = NULL;
    if (n == 1 && strlen(v[0]) >= 3)
        one = v[0];
    else
        for (size_t k = 0; k < n; k++)
            free(v[k]);
    free(v);
    return one;
}

/* ---- patterns whose every match starts with one of their literals ---- */

static int lead_alt(const char *s, size_t *i, char *const *lits, size_t nlits, int depth);

/* One branch at s[*i]: 1 if every match of it starts with one of lits; *i is left after it
 * (at '|', ')' or the end). */
static int lead_seq(const char *s, size_t *i, char *const *lits, size_t nlits, int depth)
{
    size_t j = *i;
    int ok = 0;
    /* zero-width items first: they consume nothing */
    for (;;) {
        if (s[j] == '\\' && s[j + 1] == 'b')
            j += 2;
        else if (s[j] == '^')
            j++;
        else if (!strncmp(s + j, "(?<!", 4) || !strncmp(s + j, "(?<=", 4) ||
                 !strncmp(s + j, "(?=", 3) || !strncmp(s + j, "(?!", 3))
            j = lit_skip_group(s, j);
        else
            break;
    }
    long min = 1;
    int more = 0;
    if (s[j] == '(' && (s[j + 1] != '?' || !strncmp(s + j, "(?:", 3))) {
        size_t k = j + (s[j + 1] == '?' ? 3 : 1);
        ok = depth < 8 && lead_alt(s, &k, lits, nlits, depth + 1) && s[k] == ')';
        j = lit_skip_group(s, j);
        if (lit_quant2(s, j, &min, &more) && min == 0)
            ok = 0; /* the group may be absent */
    } else {
        /* a run of plain characters; a quantified one ends it (kept if it must occur) */
        bp_buf_t run = BP_BUF_INIT(BP_RULES_MAX_TERM * 8);
        while (s[j] && !strchr("\\[]()|.^$*+?{}", s[j])) {
            size_t n = 1;
            unsigned char c = (unsigned char)s[j];
            if (c >= 0xC0)
                n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            size_t at = j;
            for (size_t k = 0; k < n && s[j]; k++)
                j++;
            size_t q = lit_quant2(s, j, &min, &more);
            if (!q || min > 0)
                bp_buf_append(&run, s + at, j - at);
            if (q)
                break;
        }
        bp_norm_opts_t o = {0, 0, 0, 0};
        char *norm = run.len ? bp_normalize_cstr(run.data, &o) : NULL;
        for (size_t k = 0; norm && k < nlits && !ok; k++)
            ok = lits[k][0] && strncmp(norm, lits[k], strlen(lits[k])) == 0;
        free(norm);
        bp_buf_free(&run);
    }
    /* the rest of the branch does not matter: skip to its end */
    while (s[j] && s[j] != '|' && s[j] != ')')
        j = lit_skip_atom(s, j);
    *i = j;
    return ok;
}

/* Branches until ')' or the end: 1 if each of them leads with a literal. */
static int lead_alt(const char *s, size_t *i, char *const *lits, size_t nlits, int depth)
{
    for (;;) {
        if (!lead_seq(s, i, lits, nlits, depth))
            return 0;
        if (s[*i] != '|')
            return 1;
        (*i)++;
    }
}

int bp_regex_lits_lead(const char *src, char *const *lits, size_t nlits)
{
    if (!src || !nlits || !strncmp(src, "(*", 2) || strstr(src, "\\Q") || strstr(src, "(?x") ||
        strstr(src, "(?#") || strstr(src, "\\K") || strstr(src, "(?|"))
        return 0;
    size_t i = 0;
    return lead_alt(src, &i, lits, nlits, 0) && src[i] == '\0';
}

/* Whether the literal begins with a character that is surely a letter or digit (ASCII, Latin-1
 * and Latin Extended letters, Cyrillic letters): "\b" before it then means no word character
 * before it. */
static int lit_starts_alnum(const char *lit)
{
    const unsigned char *u = (const unsigned char *)lit;
    if (u[0] < 0x80)
        return (u[0] >= '0' && u[0] <= '9') || ((u[0] | 0x20) >= 'a' && (u[0] | 0x20) <= 'z');
    if (u[0] < 0xC3 || u[0] > 0xD4 || (u[1] & 0xC0) != 0x80)
        return 0;
    unsigned cp = (u[0] & 0x1Fu) << 6 | (u[1] & 0x3Fu);
    if (cp <= 0x24F)
        return cp >= 0xC0 && cp != 0xD7 && cp != 0xF7;
    return (cp >= 0x400 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x52F);
}

int bp_regex_lit_at_word_start(const bp_matcher_t *m, const char *lit)
{
    static const char *const opens[] = {LOOKBEHIND, HANDLE_LOOKBEHIND};
    if (!m->src || !lit || !*lit)
        return 0;
    size_t ll = strlen(lit);
    if (!m->lit) { /* a pattern (a brand's, or a lexicon's: those have the lexicon kinds) */
        /* "\b" then branches that each open with one of the pattern's literals (not the
         * literals it needs further on) */
        int own = 0;
        for (size_t k = 0; k < m->nlits && !own; k++)
            own = strcmp(m->lits[k], lit) == 0;
        if (!own || strncmp(m->src, "\\b", 2) != 0 || has_top_alt(m->src + 2) ||
            !bp_regex_lits_lead(m->src + 2, m->lits, m->nlits))
            return 0;
        for (size_t k = 0; k < m->nlits; k++)
            if (!lit_starts_alnum(m->lits[k]))
                return 0;
        return 1;
    }
    for (size_t i = 0; i < sizeof opens / sizeof opens[0]; i++) {
        size_t ol = strlen(opens[i]);
        if (strncmp(m->src, opens[i], ol) == 0 && strncmp(m->src + ol, lit, ll) == 0)
            return 1; /* the match's first word */
    }
    if (m->kind >= BP_MK_NEGATIVE) {
        /* a lexicon term's later word: after a separator of one or more non-letters, which
         * the scan counts as word starts too */
        size_t sl = strlen(LEX_SEP);
        for (const char *at = strstr(m->src, LEX_SEP); at; at = strstr(at + 1, LEX_SEP))
            if (strncmp(at + sl, lit, ll) == 0)
                return 1;
    }
    return 0;
}
