/* learned.h — the learned sentiment scorer: a linear model over word-stem features of the
 * engine's normalized text (the files in rules/model/, trained offline by tools/train_scorer.py),
 * whose output joins each brand's lexicon score. Feature extraction lives here once: the
 * trainer gets its features from `bp-rules features`, which calls bp_learned_features. */
#ifndef BP_LEARNED_H
#define BP_LEARNED_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct bp_engine;
struct bp_ynode;
struct bp_rules;

#define BP_LEARNED_MAX_WORDS 64    /* words of a brand's window the model reads */
#define BP_LEARNED_MAX_FEAT 96     /* bytes in one feature string */
#define BP_LEARNED_MAX_FEATURES 200000 /* entries in one model file */
#define BP_LEARNED_MAX_STEM 12     /* letters kept of a word, at most */

/* Which words a brand's features come from. */
typedef enum {
    BP_LS_TEXT = 0, /* the whole text */
    BP_LS_SENTENCE, /* the sentences holding the brand's hits */
    BP_LS_CLAUSE    /* the clauses holding the brand's hits */
} bp_learned_scope_t;

/* How features are extracted (the trainer and the model file must agree). */
typedef struct bp_learned_opts {
    int stem;                 /* letters (code points) kept of each word, 3..BP_LEARNED_MAX_STEM */
    bp_learned_scope_t scope;
} bp_learned_opts_t;

/* One model entry (16 bytes: the table stays small in cache): a feature's key (learned.c:
 * lf_hash), its string in the model's pool and its weight. */
typedef struct bp_learned_ent {
    uint64_t hash;
    uint32_t offlen; /* the string: pool + (offlen >> 8), (offlen & 255) bytes */
    float weight;
} bp_learned_ent_t;

/* One loaded model file. */
typedef struct bp_learned {
    char *language;           /* posts of this language (see bp_learned_pick) */
    bp_learned_opts_t opts;
    double blend;             /* the learned sum (+ bias) is multiplied by this */
    double bias;
    double band_lo, band_hi;  /* a combined brand score strictly inside is neutral (0) */
    char *pool;               /* feature strings, NUL-separated */
    size_t pool_len;
    bp_learned_ent_t *tab;    /* open addressing, cap a power of two; offlen 0 = empty (no
                               * feature is empty) */
    size_t cap, n;
    uint64_t *bits;           /* one bit per hash (high bits), 16+ bits per feature: most
                               * features of a post are not in the model, and this small
                               * array (in L1) says so without touching the table */
    uint64_t bits_mask;
    uint64_t h_b, h_o;        /* the token hashes of "<b>" and "<o>", made once at load */
    const char *file;
} bp_learned_t;

/* Fills o with the defaults (stem 5, scope text). */
void bp_learned_opts_default(bp_learned_opts_t *o);
/* Parses "text", "sentence" or "clause". Returns 0 or -1. */
int bp_learned_scope_parse(const char *s, bp_learned_scope_t *out);
const char *bp_learned_scope_name(bp_learned_scope_t s);

/* Parses one model file's tree (top-level key `model: sentiment`) into a new model appended to
 * r->models. Returns 0, or -1 after appending every error found to errors as
 * "file:line:col: model: key: message". The model belongs to r (bp_learned_free_all). */
int bp_learned_load(struct bp_rules *r, const struct bp_ynode *root, const char *file,
                    bp_buf_t *errors);
/* Frees every model of r (accepts r without models). */
void bp_learned_free_all(struct bp_rules *r);

/* The weight of feature f (len bytes) in m, or 0 if m has no such feature; *found (may be NULL)
 * gets 1 if it has. */
double bp_learned_weight(const bp_learned_t *m, const char *f, size_t len, int *found);

/* The model that judges a post of language lang (NULL or "": guessed from the script of the
 * normalized text: Cyrillic -> "ru", else "en"), or NULL if r has none for it. */
const bp_learned_t *bp_learned_pick(const struct bp_engine *e, const char *lang);

/* Called with each feature of a brand's window, in text order (f is not NUL-terminated and
 * valid only during the call). */
typedef void (*bp_learned_cb)(void *ctx, const char *f, size_t len);

/* Extracts the features of brand (an index into r->brands, which must have a valid hit in
 * e->res) from the text e last matched (after bp_match_text and the overlap/negation step of
 * bp_score_text): word stems, stem bigrams, negated stems, emoticons, with the brand's own words
 * as "<b>" and other brands' as "<o>". No allocation. Returns how many features were given. */
size_t bp_learned_features(const struct bp_engine *e, const bp_learned_opts_t *o, int brand,
                           bp_learned_cb cb, void *ctx);

/* Applies model m to every brand of e->res (its lexicon score already in bs[].score): fills
 * bs[].lex, .learned, .neutral and sets bs[].score to the combined score. Returns 0. */
int bp_learned_apply(struct bp_engine *e, const bp_learned_t *m);

/* For explain: appends the learned lines of brand bi (index into e->res.bs): the top features
 * by |weight|, the sum, bias and blend, the combined score and the neutral band. */
void bp_learned_explain(const struct bp_engine *e, const bp_learned_t *m, size_t bi,
                        bp_buf_t *out);

#endif
