/* learned.c — the learned sentiment scorer: model files (rules/model/) loaded into a hash table
 * of feature strings, feature extraction from a brand's window of the normalized text (stems,
 * stem bigrams, negated stems, emoticons), and the combination with each brand's lexicon score. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learned.h"
#include "ruleset.h"
#include "utf8.h"
#include "yamltree.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const char *const model_keys[] = {"model", "language", "stem", "scope", "blend", "bias",
                                         "neutral_band", "features", "about", NULL};

void bp_learned_opts_default(bp_learned_opts_t *o)
{
    o->stem = 5;
    o->scope = BP_LS_TEXT;
}

static const char *const scope_names[] = {"text", "sentence", "clause"};

int bp_learned_scope_parse(const char *s, bp_learned_scope_t *out)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, scope_names[i]) == 0) {
            *out = (bp_learned_scope_t)i;
            return 0;
        }
    return -1;
}

const char *bp_learned_scope_name(bp_learned_scope_t s)
{
    return (unsigned)s < 3 ? scope_names[s] : "?";
}

/* ---- the table ---- */

/* Token hashes. A token (a word's stem, "<b>", "@", ...) is hashed as two little-endian 64-bit
 * words of its first 16 bytes, zero-padded (tokens and features hold no NUL, so the padding
 * cannot make two strings alike); longer ones fold in the rest eight bytes a step. The
 * tokenizer builds the same two words from the 16 bytes it loads to find the stem's end
 * (lw_stem_hash), so a token of at most 16 bytes is hashed without a byte loop. */
#define LF_K0 0x9E3779B97F4A7C15ULL
#define LF_K1 0xFF51AFD7ED558CCDULL
#define LF_K2 0xC4CEB9FE1A85EC53ULL

static inline uint64_t lf_le64(uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(v);
#else
    return v;
#endif
}

/* The first n (0..8) bytes of s as a little-endian word, zero-padded. */
static inline uint64_t lf_word(const char *s, size_t n)
{
    unsigned char b[8] = {0};
    memcpy(b, s, n);
    uint64_t v;
    memcpy(&v, b, 8);
    return lf_le64(v);
}

/* The hash of a token whose first 16 bytes, zero-padded, are the words w0 and w1. */
static inline uint64_t lf_fin(uint64_t w0, uint64_t w1)
{
    uint64_t h = (w0 ^ LF_K0) * LF_K1;
    h ^= h >> 32;
    h = (h ^ w1) * LF_K2;
    h ^= h >> 29;
    return h;
}

static uint64_t learned_hash(const char *s, size_t n)
{
    uint64_t w0 = lf_word(s, n < 8 ? n : 8), w1 = n > 8 ? lf_word(s + 8, n < 16 ? n - 8 : 8) : 0;
    uint64_t h = lf_fin(w0, w1);
    for (size_t i = 16; i < n; i += 8)
        h = lf_fin(h, lf_word(s + i, n - i < 8 ? n - i : 8) ^ n);
    return h;
}

/* A feature's key is made from the hashes of its tokens, so that the scorer can look a feature
 * up without writing it out: a word's unigram (kind 1) is keyed by the word's hash, its negated
 * form "!w" (2) by that hash with a constant mixed in, a pair "a b" (3) by both hashes, anything
 * else, such as the marks ":)" ":!" (4), by its own hash (it is no token, nothing to tell it
 * from). Keys may collide: a key hit compares the strings. kind is a constant wherever this is
 * inlined. */
enum { LF_UNI = 1, LF_NEG = 2, LF_PAIR = 3, LF_OTHER = 4 };
#define LF_NEGC 0x5851F42D4C957F2DULL

static inline uint64_t lf_key(uint64_t a, uint64_t b, unsigned kind)
{
    if (kind == LF_PAIR)
        return a * LF_K1 ^ b;
    return kind == LF_NEG ? a ^ LF_NEGC : a;
}

/* The key of the feature string f, read the way extraction writes features (tokens have no
 * spaces; a word opens with a letter or digit, never '!' or ':'). */
static uint64_t lf_hash(const char *f, size_t n)
{
    const char *sp = memchr(f, ' ', n);
    if (sp)
        return lf_key(learned_hash(f, (size_t)(sp - f)),
                      learned_hash(sp + 1, n - (size_t)(sp - f) - 1), LF_PAIR);
    if (n > 1 && f[0] == '!')
        return lf_key(learned_hash(f + 1, n - 1), 0, LF_NEG);
    return lf_key(learned_hash(f, n), 0, n && f[0] == ':' ? LF_OTHER : LF_UNI);
}

/* 1 if the key's bit is set: the model may have a feature of that key (most have none). */
static inline int lf_maybe(const bp_learned_t *m, uint64_t h)
{
    uint64_t b = (h >> 40) & m->bits_mask;
    return m->bits[b >> 6] >> (b & 63) & 1;
}

double bp_learned_weight(const bp_learned_t *m, const char *f, size_t len, int *found)
{
    if (found)
        *found = 0;
    if (!m->cap)
        return 0;
    uint64_t h = lf_hash(f, len);
    if (!lf_maybe(m, h))
        return 0;
    for (size_t at = (size_t)h & (m->cap - 1);; at = (at + 1) & (m->cap - 1)) {
        const bp_learned_ent_t *x = &m->tab[at];
        if (!x->offlen)
            return 0;
        if (x->hash == h && (x->offlen & 255) == len &&
            memcmp(m->pool + (x->offlen >> 8), f, len) == 0) {
            if (found)
                *found = 1;
            return x->weight;
        }
    }
}

/* Adds f (len < 256 bytes; the pool below 16 MiB) with weight w; returns 0, or 1 if f is
 * there already. */
static int learned_put(bp_learned_t *m, const char *f, size_t len, double w)
{
    uint64_t h = lf_hash(f, len);
    size_t at = (size_t)h & (m->cap - 1);
    while (m->tab[at].offlen) {
        const bp_learned_ent_t *x = &m->tab[at];
        if (x->hash == h && (x->offlen & 255) == len &&
            memcmp(m->pool + (x->offlen >> 8), f, len) == 0)
            return 1;
        at = (at + 1) & (m->cap - 1);
    }
    uint64_t b = (h >> 40) & m->bits_mask;
    m->bits[b >> 6] |= (uint64_t)1 << (b & 63);
    memcpy(m->pool + m->pool_len, f, len);
    m->pool[m->pool_len + len] = 0;
    m->tab[at] = (bp_learned_ent_t){h, (uint32_t)(m->pool_len << 8 | len), (float)w};
    m->pool_len += len + 1;
    m->n++;
    return 0;
}

/* ---- loading ---- */

static void learned_free(bp_learned_t *m)
{
    free(m->language);
    free(m->pool);
    free(m->tab);
    free(m->bits);
}

void bp_learned_free_all(bp_rules_t *r)
{
    for (size_t i = 0; i < r->nmodels; i++)
        learned_free(&r->models[i]);
    free(r->models);
    r->models = NULL;
    r->nmodels = 0;
}

static int lang_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 8)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || *s == '-'))
            return 0;
    return 1;
}

/* A feature string as extraction writes it: not longer than BP_LEARNED_MAX_FEAT, no control
 * characters, unchanged by normalization (what the engine reads is normalized). */
static int learned_feature_ok(const bp_rules_t *r, bp_norm_t *nb, const bp_ynode_t *k,
                              bp_buf_t *errors)
{
    const char *f = k->value;
    if (k->len == 0 || strlen(f) != k->len)
        return bp_rules_err(errors, k, "model", "features", "empty feature or NUL in it");
    if (k->len >= BP_LEARNED_MAX_FEAT)
        return bp_rules_err(errors, k, "model", "features", "'%s' is longer than %d bytes", f,
                            BP_LEARNED_MAX_FEAT - 1);
    if (bp_utf8_check(f, k->len) != k->len)
        return bp_rules_err(errors, k, "model", "features", "not valid UTF-8");
    for (size_t i = 0; i < k->len; i++)
        if ((unsigned char)f[i] < 0x20)
            return bp_rules_err(errors, k, "model", "features",
                                "'%s' contains a control character", f);
    if (bp_normalize(nb, f, k->len, &r->nopts) < 0)
        return bp_rules_err(errors, k, "model", "features", "out of memory");
    if (nb->len == k->len && memcmp(nb->text, f, k->len) == 0)
        return 0;
    return bp_rules_err(errors, k, "model", "features",
                        "'%s' is not in normalized form (the engine would read '%s')", f,
                        nb->text);
}

int bp_learned_load(bp_rules_t *r, const bp_ynode_t *root, const char *file, bp_buf_t *errors)
{
    bp_learned_t m = {0};
    m.h_b = learned_hash("<b>", 3);
    m.h_o = learned_hash("<o>", 3);
    int rc = 0;
    bp_learned_opts_default(&m.opts);
    m.blend = 1;
    m.file = file;
    if (bp_rules_type(root, BP_Y_MAP, "model", "", errors) < 0)
        return -1;
    if (bp_rules_keys(root, model_keys, "model", "", errors) < 0)
        rc = -1;
    const bp_ynode_t *n = bp_yaml_get(root, "model");
    const char *s;
    if (!n) {
        bp_rules_err(errors, root, "model", "",
                     "missing key 'model' (a model file starts with 'model: sentiment')");
        return -1;
    }
    if (!(s = bp_rules_str(n, "model", "model", errors)))
        return -1;
    if (strcmp(s, "sentiment") != 0)
        return bp_rules_err(errors, n, "model", "model",
                            "unknown model kind '%s' (expected 'sentiment')", s);
    n = bp_yaml_get(root, "language");
    if (!n)
        return bp_rules_err(errors, root, "model", "", "missing key 'language'");
    if (!(s = bp_rules_str(n, "model", "language", errors)))
        return -1;
    if (!lang_ok(s))
        return bp_rules_err(errors, n, "model", "language",
                            "'%s' is not a language code (2-8 lowercase letters)", s);
    for (size_t i = 0; i < r->nmodels; i++)
        if (strcmp(r->models[i].language, s) == 0)
            return bp_rules_err(errors, n, "model", "language",
                                "a model for '%s' is already loaded from %s", s,
                                r->models[i].file);
    m.language = strdup(s);
    if (!m.language)
        return bp_rules_err(errors, n, "model", "", "out of memory");
    long long v;
    if ((n = bp_yaml_get(root, "stem"))) {
        if (bp_rules_int(n, "model", "stem", 3, BP_LEARNED_MAX_STEM, &v, errors) < 0)
            rc = -1;
        else
            m.opts.stem = (int)v;
    }
    if ((n = bp_yaml_get(root, "scope"))) {
        if (!(s = bp_rules_str(n, "model", "scope", errors)))
            rc = -1;
        else if (bp_learned_scope_parse(s, &m.opts.scope) < 0)
            rc = bp_rules_err(errors, n, "model", "scope",
                              "'%s' is not one of text, sentence, clause", s);
    }
    if ((n = bp_yaml_get(root, "blend")) && bp_rules_num(n, "model", "blend", 0, 10, &m.blend,
                                                         errors) < 0)
        rc = -1;
    if ((n = bp_yaml_get(root, "bias")) && bp_rules_num(n, "model", "bias", -10, 10, &m.bias,
                                                        errors) < 0)
        rc = -1;
    if ((n = bp_yaml_get(root, "about")) && !bp_rules_str(n, "model", "about", errors))
        rc = -1;
    if ((n = bp_yaml_get(root, "neutral_band"))) {
        if (bp_rules_type(n, BP_Y_SEQ, "model", "neutral_band", errors) < 0) {
            rc = -1;
        } else if (n->n != 2) {
            rc = bp_rules_err(errors, n, "model", "neutral_band",
                              "expected two numbers [low, high], got %zu items", n->n);
        } else if (bp_rules_num(n->items[0], "model", "neutral_band[0]", -10, 0, &m.band_lo,
                                errors) < 0 ||
                   bp_rules_num(n->items[1], "model", "neutral_band[1]", 0, 10, &m.band_hi,
                                errors) < 0) {
            rc = -1;
        }
    }
    n = bp_yaml_get(root, "features");
    if (!n) {
        rc = bp_rules_err(errors, root, "model", "", "missing key 'features'");
    } else if (bp_rules_type(n, BP_Y_SEQ, "model", "features", errors) < 0) {
        /* a list of one-entry mappings, `- "не работ": -0.41`, not one big mapping: the YAML
         * reader's duplicate-key check is quadratic in a mapping's size; duplicates are
         * found here, through the table */
        rc = -1;
    } else if (n->n > BP_LEARNED_MAX_FEATURES) {
        rc = bp_rules_err(errors, n, "model", "features", "%zu features (at most %d)", n->n,
                          BP_LEARNED_MAX_FEATURES);
    } else {
        size_t bytes = 0;
        for (size_t i = 0; i < n->n; i++)
            if (n->items[i]->type == BP_Y_MAP && n->items[i]->n == 1)
                bytes += n->items[i]->keys[0]->len + 1;
        m.cap = 16;
        while (m.cap < n->n * 2 + 2)
            m.cap *= 2;
        m.tab = calloc(m.cap, sizeof *m.tab);
        m.bits_mask = (uint64_t)m.cap * 8 - 1; /* 16+ bits per feature, at least 128 */
        m.bits = calloc(m.cap / 8, sizeof *m.bits);
        if (bytes >= ((size_t)1 << 24)) {
            learned_free(&m);
            return bp_rules_err(errors, n, "model", "features", "more than 16 MiB of features");
        }
        m.pool = malloc(bytes + 1);
        if (!m.tab || !m.pool || !m.bits) {
            learned_free(&m);
            return bp_rules_err(errors, n, "model", "features", "out of memory");
        }
        bp_norm_t nb; /* one normalizer for every key: its buffers are reused */
        bp_norm_init(&nb);
        for (size_t i = 0; i < n->n; i++) {
            const bp_ynode_t *it = n->items[i];
            char what[BP_LEARNED_MAX_FEAT + 32];
            if (it->type != BP_Y_MAP || it->n != 1) {
                snprintf(what, sizeof what, "features[%zu]", i);
                rc = bp_rules_err(errors, it, "model", what,
                                  "expected one `\"feature\": weight` entry, got %s",
                                  it->type == BP_Y_MAP ? "several" : bp_yaml_type_name(it->type));
                continue;
            }
            const bp_ynode_t *k = it->keys[0], *val = it->items[0];
            double w;
            snprintf(what, sizeof what, "features.'%.*s'", BP_LEARNED_MAX_FEAT,
                     k->value);
            if (learned_feature_ok(r, &nb, k, errors) < 0 ||
                bp_rules_num(val, "model", what, -10, 10, &w, errors) < 0) {
                rc = -1;
                continue;
            }
            if (learned_put(&m, k->value, k->len, w) == 1) {
                int first = 0; /* where it was written first (an error: a search is fine) */
                for (size_t j = 0; j < i && !first; j++)
                    if (n->items[j]->type == BP_Y_MAP && n->items[j]->n == 1 &&
                        n->items[j]->keys[0]->len == k->len &&
                        memcmp(n->items[j]->keys[0]->value, k->value, k->len) == 0)
                        first = n->items[j]->keys[0]->line;
                rc = bp_rules_err(errors, k, "model", "features",
                                  "duplicate feature '%s' (first at line %d)", k->value, first);
            }
        }
        bp_norm_free(&nb);
    }
    if (m.band_lo > m.band_hi)
        rc = bp_rules_err(errors, bp_yaml_get(root, "neutral_band"), "model", "neutral_band",
                          "low is above high");
    if (rc < 0) {
        learned_free(&m);
        return -1;
    }
    bp_learned_t *nm = realloc(r->models, (r->nmodels + 1) * sizeof *nm);
    if (!nm) {
        learned_free(&m);
        return bp_rules_err(errors, root, "model", "", "out of memory");
    }
    r->models = nm;
    r->models[r->nmodels++] = m;
    return 0;
}

/* ---- picking the model ---- */

const bp_learned_t *bp_learned_pick(const bp_engine_t *e, const char *lang)
{
    const bp_rules_t *r = e->r;
    if (!r->nmodels)
        return NULL;
    if (!lang || !*lang) {
        /* the script of most letters: Cyrillic (lead bytes D0..D3, 2-byte letters) or not */
        size_t cyr = 0, lat = 0;
        const unsigned char *t = (const unsigned char *)e->norm.text;
        for (size_t i = 0; i < e->norm.len; i++) {
            if (t[i] >= 0xD0 && t[i] <= 0xD3)
                cyr++;
            else if (t[i] >= 'a' && t[i] <= 'z')
                lat++;
        }
        lang = cyr > lat ? "ru" : "en";
    }
    for (size_t i = 0; i < r->nmodels; i++)
        if (strcmp(r->models[i].language, lang) == 0)
            return &r->models[i];
    return NULL;
}

/* ---- features ---- */

/* Which features a token opens (lw_tok_t.feat): its unigram, its negated form "!w" (the word
 * is within two words after a negator, same clause), the pair of the token before it and it,
 * with no brand word in the pair (PC) or with one (PB). */
enum { LW_F_UNI = 1, LW_F_NEG = 2, LW_F_PC = 4, LW_F_PB = 8 };

typedef struct lw_tok {
    const char *s; /* the token's bytes (into the text, or a literal) */
    uint64_t h;    /* learned_hash of them; brand tokens: of "<o>" (lw_h makes it "<b>") */
    uint32_t len;
    int owner;     /* brand tokens: the hit's brand ("<b>" if judged, else "<o>"); else -1 */
    unsigned feat; /* LW_F_* (not a char: stores of chars may alias anything) */
} lw_tok_t;

/* A brand's window as tokens, and the span [ma, mb) of the text its marks come from (marks: 0
 * when the window is empty). It depends on the brand only through the window's bounds (scope
 * sentence or clause, or more words than BP_LEARNED_MAX_WORDS), not through "<b>" or "<o>",
 * which are decided when the features are given: one tokenization serves every brand of a post
 * whose window is the whole text. near[] lists the tokens with LW_F_PB: the only features
 * that depend on the brand judged. */
typedef struct lw_win {
    lw_tok_t tok[BP_LEARNED_MAX_WORDS];
    size_t nt;
    uint16_t near[BP_LEARNED_MAX_WORDS];
    size_t nnear;
    size_t ma, mb;
    int marks;
} lw_win_t;

static int is_brand_kind(bp_mkind_t k) { return k <= BP_MK_HANDLE; }

static int hit_valid(const bp_hit_t *h)
{
    return !(h->flags & (BP_HF_DROPPED | BP_HF_EXCLUDED | BP_HF_NONEAR));
}

/* Emits a + " " + b (b may be NULL) with an optional one-byte prefix; skips what is too long. */
static size_t lw_emit(bp_learned_cb cb, void *ctx, char pre, const char *a, size_t an,
                      const char *b, size_t bn)
{
    char f[BP_LEARNED_MAX_FEAT];
    size_t n = 0;
    if ((pre ? 1 : 0) + an + (b ? bn + 1 : 0) >= sizeof f)
        return 0;
    if (pre)
        f[n++] = pre;
    memcpy(f + n, a, an);
    n += an;
    if (b) {
        f[n++] = ' ';
        memcpy(f + n, b, bn);
        n += bn;
    }
    cb(ctx, f, n);
    return 1;
}

/* 1 if the word starting at byte ws lies inside a URL: its whitespace-delimited chunk (up to
 * 256 bytes back) has "://" or starts with "www.". */
static int lw_in_url(const char *t, size_t len, size_t ws)
{
    size_t a = ws;
    while (a > 0 && ws - a < 256 && t[a - 1] != ' ' && t[a - 1] != '\n' && t[a - 1] != '\t')
        a--;
    size_t b = ws;
    while (b < len && b - a < 512 && t[b] != ' ' && t[b] != '\n' && t[b] != '\t')
        b++;
    if (b - a >= 4 && memcmp(t + a, "www.", 4) == 0)
        return 1;
    for (size_t i = a; i + 3 <= b; i++)
        if (t[i] == ':' && t[i + 1] == '/' && t[i + 2] == '/')
            return 1;
    return 0;
}

/* Emoticons and marks in t[a..b): ":)" for a smile (a run of 2+ ')' or an unopened ')'), ":("
 * for a frown (a run of 2+ '(' or an unclosed '('), ":!" and ":?" once each, ":" + the
 * character for pictographs (each at most 4 times). */
#define LW_R4(x) [x] = 1, [x + 1] = 1, [x + 2] = 1, [x + 3] = 1
/* The bytes lw_marks stops at: brackets, marks, and the lead bytes of 3- and 4-byte
 * characters (pictographs are among those). */
static const unsigned char lw_mark_byte[256] = {
    ['('] = 1, [')'] = 1, ['!'] = 1, ['?'] = 1, LW_R4(0xE0), LW_R4(0xE4), LW_R4(0xE8),
    LW_R4(0xEC), LW_R4(0xF0), LW_R4(0xF4), LW_R4(0xF8), LW_R4(0xFC)};
#undef LW_R4

/* The first i' >= i (< b) where u[i'] is a mark byte (lw_mark_byte), or b: 16 bytes a step
 * with SSE2 (most of a text is letters and spaces), then byte by byte. */
static inline size_t lw_mark_next(const unsigned char *u, size_t i, size_t b)
{
#ifdef __SSE2__
    const __m128i fe = _mm_set1_epi8((char)0xFE), par = _mm_set1_epi8('('),
                  ex = _mm_set1_epi8('!'), qu = _mm_set1_epi8('?'),
                  e0 = _mm_set1_epi8((char)0xE0);
    for (; i + 16 <= b; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(u + i));
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(_mm_and_si128(v, fe), par), /* ( ) */
                                 _mm_or_si128(_mm_cmpeq_epi8(v, ex), _mm_cmpeq_epi8(v, qu)));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_max_epu8(v, e0), v)); /* >= 0xE0 */
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return i + (size_t)__builtin_ctz(bits);
    }
#endif
    while (i < b && !lw_mark_byte[u[i]])
        i++;
    return i;
}

static size_t lw_marks(const char *t, size_t a, size_t b, bp_learned_cb cb, void *ctx)
{
    size_t n = 0, i = a;
    int open = 0, smiles = 0, frowns = 0, excl = 0, quest = 0, pics = 0;
    const unsigned char *u = (const unsigned char *)t;
    while (i < b) {
        /* valid UTF-8 (normalized): letters and the rest are passed over */
        i = lw_mark_next(u, i, b);
        if (i >= b)
            break;
        unsigned char c = u[i];
        if (c == '(' || c == ')') {
            size_t run = 0;
            while (i < b && t[i] == (char)c) {
                run++;
                i++;
            }
            if (c == '(') {
                if (run >= 2)
                    frowns++;
                else
                    open++;
            } else {
                int closes = open > 0;
                if (closes)
                    open--;
                if (run >= 2 || !closes)
                    smiles++;
            }
            continue;
        }
        if (c == '!')
            excl = 1;
        else if (c == '?')
            quest = 1;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c < 0xE0 && i + 1 < b) { /* two-byte letters: no pictograph among them */
            i += 2;
            continue;
        }
        size_t s = i;
        uint32_t cp = bp_utf8_decode(t, b, &i);
        if (i == s)
            i++;
        if (((cp >= 0x1F300 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF)) && pics < 4) {
            pics++;
            n += lw_emit(cb, ctx, ':', t + s, i - s, NULL, 0);
        }
    }
    frowns += open;
    for (int k = 0; k < smiles && k < 4; k++)
        n += lw_emit(cb, ctx, 0, ":)", 2, NULL, 0);
    for (int k = 0; k < frowns && k < 4; k++)
        n += lw_emit(cb, ctx, 0, ":(", 2, NULL, 0);
    if (excl)
        n += lw_emit(cb, ctx, 0, ":!", 2, NULL, 0);
    if (quest)
        n += lw_emit(cb, ctx, 0, ":?", 2, NULL, 0);
    return n;
}

/* Which features learned_features gives: all of them, those that do not depend on which brand
 * is judged (no brand word in them), or only those that do. */
enum { LW_ALL, LW_COMMON, LW_BRAND };

static size_t learned_features(const bp_engine_t *e, const bp_learned_opts_t *o, int brand,
                               int part, bp_learned_cb cb, void *ctx);

size_t bp_learned_features(const bp_engine_t *e, const bp_learned_opts_t *o, int brand,
                           bp_learned_cb cb, void *ctx)
{
    return learned_features(e, o, brand, LW_ALL, cb, ctx);
}

/* Bit i set: byte i of p[0..16) starts a character (is not a UTF-8 continuation byte). */
static inline unsigned lw_lead16(const unsigned char *p)
{
#ifdef __SSE2__
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    /* continuation bytes 0x80..0xBF are the signed bytes below -64 */
    return (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(v, _mm_set1_epi8(-65)));
#else
    unsigned m = 0;
    for (int i = 0; i < 16; i++)
        m |= (unsigned)((p[i] & 0xC0) != 0x80) << i;
    return m;
#endif
}

/* lead with its lowest n (0..BP_LEARNED_MAX_STEM) set bits cleared: a jump into a run of
 * clears, cheaper than a loop for the few letters of a stem. */
static inline unsigned lw_drop_bits(unsigned lead, int n)
{
#define LW_DROP(k)                                                                              \
    case k:                                                                                     \
        lead &= lead - 1;                                                                       \
        __attribute__((fallthrough))
    switch (n) {
        LW_DROP(12);
        LW_DROP(11);
        LW_DROP(10);
        LW_DROP(9);
        LW_DROP(8);
        LW_DROP(7);
        LW_DROP(6);
        LW_DROP(5);
        LW_DROP(4);
        LW_DROP(3);
        LW_DROP(2);
        LW_DROP(1);
    default:
        break;
    }
#undef LW_DROP
    return lead;
}

/* The masks keeping the first l (0..16) bytes of a token's two words. */
#define LW_M0(l) ((l) >= 8 ? ~0ULL : (1ULL << (8 * ((l) & 7))) - 1)
#define LW_M1(l) ((l) <= 8 ? 0ULL : (l) >= 16 ? ~0ULL : (1ULL << (8 * ((l) & 7))) - 1)
#define LW_M4(f, l) f(l), f(l + 1), f(l + 2), f(l + 3)
static const uint64_t lw_mask0[17] = {LW_M4(LW_M0, 0), LW_M4(LW_M0, 4), LW_M4(LW_M0, 8),
                                      LW_M4(LW_M0, 12), LW_M0(16)};
static const uint64_t lw_mask1[17] = {LW_M4(LW_M1, 0), LW_M4(LW_M1, 4), LW_M4(LW_M1, 8),
                                      LW_M4(LW_M1, 12), LW_M1(16)};
#undef LW_M0
#undef LW_M1
#undef LW_M4

/* The stem of the word t[s..e) that does not start with a digit: its first stem letters (code
 * points; the text is valid UTF-8) or all of it. If the stem ends within the 16 bytes from s,
 * sets *len to its bytes and returns its learned_hash, made from the same 16 bytes; else
 * returns 0 with *len 0 (the caller steps through it). lim: t[0..lim) may be read (the text
 * and its NUL). */
static inline uint64_t lw_stem_hash(const char *t, size_t s, size_t e, size_t lim, int stem,
                                    uint32_t *len)
{
    const unsigned char *p = (const unsigned char *)t + s;
    unsigned char buf[16];
    size_t n = e - s;
    if (s + 16 > lim) { /* the text's last bytes */
        memset(buf, 0, sizeof buf);
        memcpy(buf, p, n < 16 ? n : 16);
        p = buf;
    }
    size_t l, most = n < 16 ? n : 16;
    unsigned full = (1u << most) - 1, lead = lw_lead16(p) & full;
    if (lead == full) { /* one-byte letters (Latin) */
        l = (size_t)stem < most ? (size_t)stem : most;
    } else if (lead == (full & 0x5555)) { /* two-byte letters (Cyrillic) */
        l = 2 * (size_t)stem < most ? 2 * (size_t)stem : most;
        if (l == 16 && n > 16)
            l = 2 * (size_t)stem > 16 ? 0 : 16;
    } else {
        lead = lw_drop_bits(lead, stem); /* the first stem letters off: the next ends it */
        l = lead ? (size_t)__builtin_ctz(lead) : n <= 16 ? n : 0;
    }
    if (!l) {
        *len = 0;
        return 0;
    }
    uint64_t w0, w1;
    memcpy(&w0, p, 8);
    memcpy(&w1, p + 8, 8);
    *len = (uint32_t)l;
    return lf_fin(lf_le64(w0) & lw_mask0[l], lf_le64(w1) & lw_mask1[l]);
}

/* The window [*w0, *w1) of brand's words (scope, and at most BP_LEARNED_MAX_WORDS around its
 * first hit). */
static void lw_window(const bp_engine_t *e, const bp_learned_opts_t *o, int brand, size_t *pw0,
                      size_t *pw1)
{
    const bp_result_t *res = &e->res;
    const bp_hit_t *h = res->hits;
    size_t w0 = 0, w1 = e->nwords; /* [w0, w1) */
    *pw0 = w0;
    *pw1 = w1;
    if (o->scope == BP_LS_TEXT && e->nwords <= BP_LEARNED_MAX_WORDS)
        return; /* every word, whichever the brand */
    /* the window: the sentences/clauses of the brand's hits, or every word */
    int lo = 1 << 30, hi = -1, first_w = -1;
    for (size_t i = 0; i < res->nhits; i++) {
        if (!is_brand_kind(BP_MF_KIND(e->mf[h[i].m])) || !hit_valid(&h[i]) ||
            h[i].owner != brand)
            continue;
        int key = o->scope == BP_LS_CLAUSE ? h[i].clause : h[i].sentence;
        if (key < lo)
            lo = key;
        if (key > hi)
            hi = key;
        if (first_w < 0)
            first_w = h[i].w0;
    }
    if (o->scope != BP_LS_TEXT && hi >= 0) {
        while (w0 < e->nwords &&
               (o->scope == BP_LS_CLAUSE ? e->words[w0].clause : e->words[w0].sentence) < lo)
            w0++;
        w1 = w0;
        while (w1 < e->nwords &&
               (o->scope == BP_LS_CLAUSE ? e->words[w1].clause : e->words[w1].sentence) <= hi)
            w1++;
    }
    if (w1 - w0 > BP_LEARNED_MAX_WORDS) {
        size_t c = first_w > 0 ? (size_t)first_w : 0;
        size_t s = c > w0 + BP_LEARNED_MAX_WORDS / 2 ? c - BP_LEARNED_MAX_WORDS / 2 : w0;
        if (s + BP_LEARNED_MAX_WORDS > w1)
            s = w1 - BP_LEARNED_MAX_WORDS;
        w0 = s;
        w1 = s + BP_LEARNED_MAX_WORDS;
    }
    *pw0 = w0;
    *pw1 = w1;
}

/* 1 if the word wd starts a link ("http://...", "www.") or, as the window's first word, lies
 * inside one; *url_end then gets the end of the link's chunk. */
static int lw_url_at(const char *t, size_t len, const bp_word_t *wd, int first,
                     size_t *url_end)
{
    char after = t[wd->e]; /* the text is NUL-terminated: t[len] is 0 */
    if (!((after == ':' && t[wd->e + 1] == '/' && t[wd->e + 2] == '/') ||
          (after == '.' && wd->e - wd->s == 3 && memcmp(t + wd->s, "www", 3) == 0) ||
          (first && lw_in_url(t, len, wd->s))))
        return 0;
    size_t x = wd->s;
    while (x < len && t[x] != ' ' && t[x] != '\n' && t[x] != '\t')
        x++;
    *url_end = x;
    return 1;
}

/* The token of a word that is no brand's and no handle: a number "<n>" (returns 1: special),
 * or its stem (returns 0). */
static inline int lw_word_tok(const char *t, size_t len, const bp_word_t *wd, int stem,
                               lw_tok_t *k)
{
    const char *ws = t + wd->s;
    k->s = ws;
    k->len = 0;
    if (wd->e > wd->s && !(ws[0] >= '0' && ws[0] <= '9'))
        k->h = lw_stem_hash(t, wd->s, wd->e, len + 1, stem, &k->len);
    if (k->len)
        return 0;
    /* a number, or a stem past 16 bytes: step through it */
    size_t i = wd->s, letters = 0;
    while (i < wd->e && t[i] >= '0' && t[i] <= '9')
        i++;
    int number = i == wd->e;
    i = wd->s;
    while (i < wd->e && letters < (size_t)stem) {
        unsigned char c = (unsigned char)t[i];
        if (c < 0x80)
            i++;
        else if (c < 0xE0 && i + 1 < wd->e) /* two bytes (valid UTF-8: normalized) */
            i += 2;
        else
            bp_utf8_decode(t, wd->e, &i);
        letters++;
    }
    if (number) {
        k->s = "<n>";
        k->len = 3;
    } else {
        k->len = (uint32_t)(i - wd->s);
    }
    k->h = learned_hash(k->s, k->len);
    return number;
}

/* Tokenizes brand's window into W and says which features each token opens (LW_F_*): the one
 * place that decides which features a window has (lw_each walks them). h_o: learned_hash of
 * "<o>", the hash brand tokens get (0 when no hash is wanted). */
static void lw_tokenize(const bp_engine_t *e, const bp_learned_opts_t *o, int brand,
                        uint64_t h_o, lw_win_t *W)
{
    const bp_result_t *res = &e->res;
    const bp_hit_t *h = res->hits;
    const char *t = e->norm.text;
    size_t len = e->norm.len;
    const size_t max = BP_LEARNED_MAX_FEAT;
    W->nt = 0;
    W->nnear = 0;
    W->ma = 0;
    W->mb = len;
    W->marks = 1;
    if (!e->nwords)
        return;
    size_t w0, w1;
    lw_window(e, o, brand, &w0, &w1);
    if (w0 >= w1) {
        W->marks = 0;
        return;
    }
    /* per word of the window: brand hit (>= 0) and negation */
    int bw[BP_LEARNED_MAX_WORDS];
    unsigned char neg[BP_LEARNED_MAX_WORDS];
    for (size_t k = 0; k < w1 - w0; k++) {
        bw[k] = -1;
        neg[k] = 0;
    }
    for (size_t i = 0; i < res->nhits; i++) {
        bp_mkind_t k = BP_MF_KIND(e->mf[h[i].m]);
        if (is_brand_kind(k) && hit_valid(&h[i])) {
            for (int w = h[i].w0; w <= h[i].w1; w++)
                if (w >= (int)w0 && w < (int)w1 && bw[w - (int)w0] < 0)
                    bw[w - (int)w0] = (int)i;
        } else if (k == BP_MK_NEGATOR && !(h[i].flags & BP_HF_DROPPED)) {
            for (int w = h[i].w1 + 1; w <= h[i].w1 + BP_NEG_WINDOW; w++)
                if (w >= (int)w0 && w < (int)w1 && e->words[w].clause == h[i].clause)
                    neg[w - (int)w0] = 1;
        }
    }
    /* a stem (at most 12 letters of at most 4 bytes) and its "!" form are always short enough
     * to be features; a pair of two may not be */
    _Static_assert(BP_LEARNED_MAX_STEM * 4 + 1 < BP_LEARNED_MAX_FEAT, "stems fit features");
    const int stem = o->stem;
    const bp_word_t *words = e->words;
    lw_tok_t *tok = W->tok;
    size_t nt = 0, nnear = 0, url_end = 0; /* the words starting before url_end are in a link */
    /* the token before: its hit (brand tokens), sentence, and 1 if special (<b>, <o>, @, <n>:
     * no unigram of its own; two of them make no pair) */
    int prev_hit = -1, prev_sentence = -1, prev_special = 0;
    uint32_t prev_len = 0;
    for (size_t w = w0; w < w1; w++) {
        const bp_word_t *wd = &words[w];
        if (wd->s < url_end || lw_url_at(t, len, wd, w == w0, &url_end))
            continue;
        lw_tok_t *k = &tok[nt];
        int hb = bw[w - w0], special = 1;
        if (hb >= 0) {
            if (prev_hit == hb)
                continue; /* the same hit's next word */
            k->s = "<o>"; /* or "<b>": lw_str, lw_h */
            k->len = 3;
            k->h = h_o;
            k->owner = h[hb].owner;
        } else if (wd->s > 0 && t[wd->s - 1] == '@') {
            k->s = "@";
            k->len = 1;
            k->h = learned_hash("@", 1);
            k->owner = -1;
        } else {
            special = lw_word_tok(t, len, wd, stem, k);
            k->owner = -1;
        }
        uint32_t kl = k->len;
        unsigned f = special ? 0 : LW_F_UNI | (neg[w - w0] ? LW_F_NEG : 0);
        if (nt && prev_sentence == wd->sentence && !(prev_special && special) &&
            prev_len + 1 + kl < max)
            f |= prev_hit >= 0 || hb >= 0 ? LW_F_PB : LW_F_PC;
        k->feat = f;
        if (f & LW_F_PB)
            W->near[nnear++] = (uint16_t)nt;
        prev_hit = hb;
        prev_sentence = wd->sentence;
        prev_special = special;
        prev_len = kl;
        nt++;
    }
    W->nt = nt;
    W->nnear = nnear;
    /* marks: from the window's first word to the word after its last (a smiley follows the
     * words it belongs to) */
    W->ma = o->scope == BP_LS_TEXT ? 0 : e->words[w0].s;
    W->mb = (o->scope == BP_LS_TEXT || w1 >= e->nwords) ? len : e->words[w1].s;
}

/* The token's string as brand sees it. */
static inline const char *lw_str(const lw_tok_t *k, int brand)
{
    return k->owner >= 0 && k->owner == brand ? "<b>" : k->s;
}

/* The token's hash as brand sees it (h_b: learned_hash of "<b>"; brand >= 0, owner is -1 for a
 * word). */
static inline uint64_t lw_h(const lw_tok_t *k, int brand, uint64_t h_b)
{
    return k->owner == brand ? h_b : k->h;
}

/* One feature of a window: kind LF_UNI (token a), LF_NEG ("!" + a) or LF_PAIR (a b), a and b
 * as brand sees them (lw_str, lw_h); plain: 1 if neither is a brand token. */
typedef void (*lw_visit_fn)(void *ctx, unsigned kind, const lw_tok_t *a, const lw_tok_t *b,
                            int brand, int plain);

/* Walks the word features of window W for brand (part: LW_ALL, LW_COMMON or LW_BRAND) in their
 * order, as lw_tokenize marked them (features of BP_LEARNED_MAX_FEAT bytes or more are not);
 * the marks are not among them (lw_marks). lw_give writes them out, lw_give_sum looks them
 * up. */
static inline __attribute__((always_inline)) void
lw_each(const lw_win_t *W, int brand, int part, lw_visit_fn visit, void *ctx)
{
    const lw_tok_t *tok = W->tok;
    if (part == LW_BRAND) {
        for (size_t j = 0; j < W->nnear; j++)
            visit(ctx, LF_PAIR, &tok[W->near[j] - 1], &tok[W->near[j]], brand, 0);
        return;
    }
    unsigned pairs = part == LW_ALL ? LW_F_PC | LW_F_PB : LW_F_PC;
    for (size_t i = 0; i < W->nt; i++) {
        unsigned f = tok[i].feat;
        if (f & LW_F_UNI)
            visit(ctx, LF_UNI, &tok[i], NULL, brand, 1);
        if (f & LW_F_NEG)
            visit(ctx, LF_NEG, &tok[i], NULL, brand, 1);
        if (f & pairs)
            visit(ctx, LF_PAIR, &tok[i - 1], &tok[i], brand, part == LW_COMMON);
    }
}

typedef struct lw_cb_ctx {
    bp_learned_cb cb;
    void *ctx;
    size_t n;
} lw_cb_ctx_t;

static void lw_visit_emit(void *ctx, unsigned kind, const lw_tok_t *a, const lw_tok_t *b,
                          int brand, int plain)
{
    lw_cb_ctx_t *c = ctx;
    c->n += lw_emit(c->cb, c->ctx, kind == LF_NEG ? '!' : 0, lw_str(a, brand), a->len,
                    b ? lw_str(b, brand) : NULL, b ? b->len : 0);
}

/* Gives the features of window W for brand (part: LW_ALL, LW_COMMON or LW_BRAND). */
static size_t lw_give(const bp_engine_t *e, const lw_win_t *W, int brand, int part,
                      bp_learned_cb cb, void *ctx)
{
    lw_cb_ctx_t c = {cb, ctx, 0};
    lw_each(W, brand, part, lw_visit_emit, &c);
    if (part != LW_BRAND && W->marks)
        c.n += lw_marks(e->norm.text, W->ma, W->mb, cb, ctx);
    return c.n;
}

static size_t learned_features(const bp_engine_t *e, const bp_learned_opts_t *o, int brand,
                               int part, bp_learned_cb cb, void *ctx)
{
    lw_win_t W;
    lw_tokenize(e, o, brand, 0, &W);
    return lw_give(e, &W, brand, part, cb, ctx);
}

/* ---- scoring ---- */

/* The weight of the feature of key h whose string is (pre) a (" " b): what bp_learned_weight
 * answers for that string, without the string written out. Called only when lf_maybe says
 * the key may be there. */
static __attribute__((noinline)) double lw_weight_parts(const bp_learned_t *m, uint64_t h,
                                                        unsigned kind, const lw_tok_t *ta,
                                                        const lw_tok_t *tb, int brand)
{
    char pre = kind == LF_NEG ? '!' : 0;
    const char *a = lw_str(ta, brand), *b = tb ? lw_str(tb, brand) : NULL;
    size_t an = ta->len, bn = tb ? tb->len : 0;
    size_t len = (pre ? 1 : 0) + an + (b ? bn + 1 : 0);
    for (size_t at = (size_t)h & (m->cap - 1);; at = (at + 1) & (m->cap - 1)) {
        const bp_learned_ent_t *x = &m->tab[at];
        if (!x->offlen)
            return 0;
        if (x->hash != h || (x->offlen & 255) != len)
            continue;
        const char *q = m->pool + (x->offlen >> 8);
        if (pre && *q++ != pre)
            continue;
        if (memcmp(q, a, an) != 0 || (b && (q[an] != ' ' || memcmp(q + an + 1, b, bn) != 0)))
            continue;
        return x->weight;
    }
}

typedef struct lw_sum {
    const bp_learned_t *m;
    double sum;
    const uint64_t *bits; /* copies of m's: the walk keeps them in registers */
    uint64_t bits_mask, h_b;
} lw_sum_t;

static void lw_add(void *ctx, const char *f, size_t len)
{
    lw_sum_t *s = ctx;
    s->sum += bp_learned_weight(s->m, f, len, NULL);
}

/* A feature not in the model adds 0 to the sum, which leaves it as it was (it is never -0:
 * it starts at +0, and x + y rounds to -0 only when both are -0): such features are skipped,
 * the others are added in the same order. */
static inline __attribute__((always_inline)) void
lw_visit_sum(void *ctx, unsigned kind, const lw_tok_t *a, const lw_tok_t *b, int brand,
             int plain)
{
    lw_sum_t *c = ctx;
    uint64_t h = plain ? lf_key(a->h, b ? b->h : 0, kind)
                       : lf_key(lw_h(a, brand, c->h_b), lw_h(b, brand, c->h_b), kind);
    uint64_t bit = (h >> 40) & c->bits_mask;
    if (c->bits[bit >> 6] >> (bit & 63) & 1) /* lf_maybe */
        c->sum += lw_weight_parts(c->m, h, kind, a, b, brand);
}

/* lw_give with the model's weights summed into *sum instead of the strings given: the same
 * features in the same order (lw_each, so the same sum to the last bit), each looked up by a
 * key made from its tokens' hashes. tests/unit/test_learned.c holds the two to each other. */
static inline __attribute__((always_inline)) void
lw_give_sum(const bp_engine_t *e, const lw_win_t *W, int brand, int part, const bp_learned_t *m,
            double *sum)
{
    if (!m->cap)
        return;
    lw_sum_t c = {m, *sum, m->bits, m->bits_mask, m->h_b};
    lw_each(W, brand, part, lw_visit_sum, &c);
    if (part != LW_BRAND && W->marks)
        lw_marks(e->norm.text, W->ma, W->mb, lw_add, &c);
    *sum = c.sum;
}

int bp_learned_apply(bp_engine_t *e, const bp_learned_t *m)
{
    bp_result_t *res = &e->res;
    /* several brands in one window (the whole text, when the model reads at most that many
     * words): the features without a brand word in them are summed once */
    int share = m->opts.scope == BP_LS_TEXT && res->nbs > 1 && e->nwords <= BP_LEARNED_MAX_WORDS;
    double common = 0;
    lw_win_t W;
    if (share) {
        /* one window for all: the tokens are made once */
        lw_tokenize(e, &m->opts, res->bs[0].brand, m->h_o, &W);
        lw_give_sum(e, &W, res->bs[0].brand, LW_COMMON, m, &common);
    }
    for (size_t i = 0; i < res->nbs; i++) {
        bp_brand_score_t *bs = &res->bs[i];
        double sum = common;
        if (share) {
            lw_give_sum(e, &W, bs->brand, LW_BRAND, m, &sum);
        } else {
            lw_tokenize(e, &m->opts, bs->brand, m->h_o, &W);
            lw_give_sum(e, &W, bs->brand, LW_ALL, m, &sum);
        }
        bs->lex = bs->score;
        bs->learned = m->blend * (m->bias + sum);
        double c = bs->lex + bs->learned;
        bs->neutral = c > m->band_lo && c < m->band_hi;
        bs->score = bs->neutral ? 0 : c;
    }
    return 0;
}

/* ---- explain ---- */

#define LX_MAX 256
typedef struct lx_item {
    char f[BP_LEARNED_MAX_FEAT];
    double w;
    int count;
} lx_item_t;
typedef struct lx_ctx {
    const bp_learned_t *m;
    lx_item_t *it;
    size_t n, unknown, more;
} lx_ctx_t;

static void lx_add(void *ctx, const char *f, size_t len)
{
    lx_ctx_t *x = ctx;
    int found;
    double w = bp_learned_weight(x->m, f, len, &found);
    if (!found) {
        x->unknown++;
        return;
    }
    for (size_t i = 0; i < x->n; i++)
        if (strlen(x->it[i].f) == len && memcmp(x->it[i].f, f, len) == 0) {
            x->it[i].count++;
            return;
        }
    if (x->n == LX_MAX) {
        x->more++;
        return;
    }
    memcpy(x->it[x->n].f, f, len);
    x->it[x->n].f[len] = 0;
    x->it[x->n].w = w;
    x->it[x->n].count = 1;
    x->n++;
}

static int lx_cmp(const void *a, const void *b)
{
    const lx_item_t *x = a, *y = b;
    double ax = fabs(x->w * x->count), ay = fabs(y->w * y->count);
    return ax < ay ? 1 : ax > ay ? -1 : strcmp(x->f, y->f);
}

static void lx_num(bp_buf_t *out, double v)
{
    double r = round(v * 1000) / 1000;
    if (r == 0)
        r = 0;
    bp_buf_printf(out, "%g", r);
}

void bp_learned_explain(const bp_engine_t *e, const bp_learned_t *m, size_t bi, bp_buf_t *out)
{
    const bp_brand_score_t *bs = &e->res.bs[bi];
    static _Thread_local lx_item_t items[LX_MAX];
    lx_ctx_t x = {m, items, 0, 0, 0};
    size_t nf = bp_learned_features(e, &m->opts, bs->brand, lx_add, &x);
    qsort(items, x.n, sizeof *items, lx_cmp);
    const char *base = strrchr(m->file, '/');
    bp_buf_printf(out, "  learned for %s (%s, %s, scope %s, stem %d): %zu features, %zu known\n",
                  e->r->brands[bs->brand].id, base ? base + 1 : m->file, m->language,
                  bp_learned_scope_name(m->opts.scope), m->opts.stem, nf, nf - x.unknown);
    size_t show = x.n < 8 ? x.n : 8;
    double rest = 0;
    for (size_t i = 0; i < x.n; i++) {
        if (i >= show) {
            rest += items[i].w * items[i].count;
            continue;
        }
        bp_buf_printf(out, "    learned \u00ab%s\u00bb: ", items[i].f);
        lx_num(out, items[i].w);
        if (items[i].count > 1)
            bp_buf_printf(out, " x %d", items[i].count);
        bp_buf_putc(out, '\n');
    }
    if (x.n > show) {
        bp_buf_printf(out, "    (%zu more: ", x.n - show);
        lx_num(out, rest);
        bp_buf_puts(out, ")\n");
    }
    double sum = bs->learned;
    bp_buf_puts(out, "    learned sum = bias ");
    lx_num(out, m->bias);
    bp_buf_puts(out, " + features ");
    lx_num(out, m->blend ? sum / m->blend - m->bias : 0);
    bp_buf_puts(out, ", x blend ");
    lx_num(out, m->blend);
    bp_buf_puts(out, " = ");
    lx_num(out, sum);
    bp_buf_printf(out, "\n    %s = lexicon ", e->r->brands[bs->brand].id);
    lx_num(out, bs->lex);
    bp_buf_puts(out, " + learned ");
    lx_num(out, sum);
    bp_buf_puts(out, " = ");
    lx_num(out, bs->lex + sum);
    if (bs->neutral) {
        bp_buf_puts(out, ", inside the neutral band (");
        lx_num(out, m->band_lo);
        bp_buf_puts(out, ", ");
        lx_num(out, m->band_hi);
        bp_buf_puts(out, "): 0");
    }
    bp_buf_putc(out, '\n');
}
