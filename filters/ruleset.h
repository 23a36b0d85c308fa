/* ruleset.h — the rule engine's internal types (compiled rules, per-thread scratch, the
 * result of judging one text) and the prototypes of its modules, grouped by file. Only the
 * engine's own files and bp-rules include this; everyone else uses engine.h. */
#ifndef BP_RULESET_H
#define BP_RULESET_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "engine.h"
#include "normalize.h"

/* ---- limits ---- */
#define BP_RULES_MAX_FILES 20000
#define BP_RULES_MAX_FILE_BYTES ((size_t)4 << 20)
#define BP_RULES_MAX_TERM 512        /* bytes in one variant / term / pattern */
#define BP_ENGINE_MAX_HITS 4096      /* hits kept per post; more are ignored (and counted) */
#define BP_ENGINE_MAX_TEXT ((size_t)1 << 20)
#define BP_ENDINGS_MAX 64            /* case endings known to the C check of simple terms */
#define BP_NEG_WINDOW 2              /* a negator/intensifier acts within this many words */
#define BP_NEGATED_NEGATIVE_FACTOR (-0.5) /* «не плохо»: a negated complaint turns mildly good */

/* What a matcher finds. Brand kinds belong to a brand; the others to a lexicon. */
typedef enum {
    BP_MK_VARIANT = 0, /* a brand's literal variant compiled into a tolerant pattern */
    BP_MK_PATTERN,     /* a brand's PCRE2 pattern */
    BP_MK_HANDLE,      /* a brand's account handle, matched as written */
    BP_MK_NEGATIVE,    /* lexicon: negative term (weight < 0) */
    BP_MK_POSITIVE,    /* lexicon: positive term (weight > 0) */
    BP_MK_URGENT,      /* lexicon: urgent category (reason) */
    BP_MK_NEGATOR,
    BP_MK_INTENSIFIER,
    BP_MK_SOFTENER,
    BP_MK_COUNT
} bp_mkind_t;

/* One compiled term or pattern. */
typedef struct bp_matcher {
    bp_mkind_t kind;
    int owner;        /* brand index (brand kinds) or lexicon index */
    char *term;       /* as the rule wrote it (reported in matches[].term) */
    pcre2_code *re;   /* unanchored: scans the whole text */
    pcre2_code *rea;  /* the same compiled anchored (JIT cannot anchor at match time) */
    int anchored;     /* the regex starts with its prefilter literal: verified at each hit */
    uint32_t litoff;  /* terms: most bytes a match can have before the literal (0: anchored) */
    int simple;       /* 1: one plain word, 2: one word + any continuation; checked in C */
    char **need;      /* literals of a phrase's other words: all must occur for it to run */
    size_t nneed;
    uint32_t *need_idx; /* their indexes among the rule set's presence literals */
    char **any;       /* literals of which one must occur too (bp_regex_required_any) */
    size_t nany;
    uint32_t *any_idx; /* their indexes among the rule set's presence literals */
    uint32_t litlen;
    int digits;       /* runs on the digits-as-letters copy of the text */
    int always;       /* no literal could be extracted: runs on every post */
    double weight;    /* sentiment weight, or the factor of intensifiers/softeners */
    int comparative;  /* «лучше», "better": between two brands, the later one gets the opposite */
    char *reason;     /* urgent: the category */
    char *src;        /* the generated (or written) regex, for explain */
    char *lit;        /* the prefilter literal of a term (NULL for patterns) */
    char *prog;       /* a brand term's program (bp_regex_from_term), NULL for the others */
    char **lits;      /* a pattern's literals: any of them schedules it (none: always run) */
    size_t nlits;
    const char *file; /* where it was written (points into the rule set's file list) */
    int line, col;
} bp_matcher_t;

typedef struct bp_example {
    char *text;
    int expect; /* brands: 1 match, 0 no_match; lexicons: a bp_exkind_t */
    const char *file;
    int line, col;
} bp_example_t;

typedef enum { BP_EX_NEGATIVE = 0, BP_EX_POSITIVE, BP_EX_NEUTRAL, BP_EX_URGENT } bp_exkind_t;

typedef struct bp_brand {
    char *id, *display, *category;
    pcre2_code **exclude;
    char **exclude_src;
    size_t nexclude;
    char ***exclude_lits;  /* per exclusion: literals one of which each of its matches holds */
    size_t *exclude_nlits; /* (bp_regex_literals; 0: none known, the exclusion always runs) */
    pcre2_code **near; /* near terms, compiled like variants */
    char **near_src;
    char **near_lit;   /* literal of each near term: a brand hit containing one needs no NEAR */
    size_t nnear;
    int near_words;    /* 0: no NEAR condition */
    int near_order;    /* 0 any, 1 the term after the brand, -1 before */
    int digits;
    bp_example_t *examples;
    size_t nexamples;
    const char *file;
} bp_brand_t;

typedef struct bp_lexicon {
    char *language;
    bp_example_t *examples;
    size_t nexamples;
    const char *file;
} bp_lexicon_t;

typedef struct bp_prio_rule {
    char *name;
    int urgent_term;          /* -1: don't care, else required value */
    int vip;                  /* -1: don't care */
    int has_score_max, has_score_min;
    double score_max, score_min;
    long long followers_min;  /* -1: don't care */
} bp_prio_rule_t;

typedef struct bp_policy {
    int any_urgent_term;
    int has_score_at_most;
    double score_at_most;
    long long negative_followers; /* -1: off */
    int vip_negative;
    bp_prio_rule_t *prio;
    size_t nprio;
    char **vip;
    size_t nvip;
    long long notable_followers; /* -1: off */
    double caps_factor, excl_factor;
    uint32_t match_limit, depth_limit;
} bp_policy_t;

typedef struct bp_prefilter bp_prefilter_t;

struct bp_rules {
    char version[16];
    char **files; /* every file loaded (paths), for positions in examples and matchers */
    size_t nfiles;
    bp_brand_t *brands;
    size_t nbrands;
    bp_lexicon_t *lex;
    size_t nlex;
    bp_matcher_t *m;
    size_t nm, capm;
    bp_prefilter_t *pf;        /* literals of every main-text matcher */
    bp_prefilter_t *pf_digits; /* literals of digits-as-letters matchers */
    int *always;               /* matchers run on every post (main text) */
    size_t nalways;
    int *always_digits;
    size_t nalways_digits;
    int has_digits;
    size_t npresence;          /* distinct need literals (prefilter ids with the low bit set) */
    char **presence_lazy;      /* per need literal: its bytes if the prefilter leaves it out
                                * (memmem looks for it when a phrase needs it), else NULL */
    bp_policy_t policy;
    bp_norm_opts_t nopts, nopts_digits;
    char *endings_after_vowel, *endings_after_consonant; /* regex alternations */
    /* the same endings as keys for the C check of simple terms (bp_regex_ending_match): each
     * ending's bytes zero-padded to 8, [0] after a vowel, [1] after a consonant; lens has bit
     * L set if some ending is L bytes long */
    struct bp_endset {
        uint64_t key[BP_ENDINGS_MAX];
        unsigned char len[BP_ENDINGS_MAX];
        size_t n;
        uint32_t lens;
        int ok; /* built (every ending 1..8 bytes, at most BP_ENDINGS_MAX) */
    } endset[2];
    struct bp_learned *models; /* learned sentiment scorers (rules/model/), see learned.h */
    size_t nmodels;
};

/* One hit of a matcher in the text. s,e: bytes in the main normalized text; os,oe: bytes in
 * the original text; w0,w1: first and last word index (main text). */
typedef struct bp_hit {
    int m;
    int owner;      /* r->m[m].owner: the brand (brand kinds) or lexicon */
    uint32_t s, e, os, oe;
    int w0, w1;
    int clause, sentence;
    double weight;  /* effective weight after modifiers (sentiment terms) */
    int flags;      /* BP_HF_* */
    int negator;    /* index of the negating hit, -1 */
    int intens;     /* index of the (first) intensifier hit, -1 */
    int softener;   /* index of the softener hit, -1 */
    int target;     /* modifiers: index of the term it acted on (the last one), -1 */
} bp_hit_t;

#define BP_HF_DROPPED 1   /* overlapped by a longer hit, or a modifier inside a term */
#define BP_HF_EXCLUDED 2  /* brand hit overlapping an exclusion */
#define BP_HF_NONEAR 4    /* brand hit without its NEAR term */
#define BP_HF_NEGATED 8
#define BP_HF_USED 16     /* a modifier that acted on a term */

typedef struct bp_word {
    uint32_t s, e;
    int clause, sentence;
} bp_word_t;

typedef struct bp_brand_score {
    int brand;
    double score;
    int first_hit;
    double lex;     /* the lexicon's score alone (score is lex + the learned scorer's part) */
    double learned; /* the learned scorer's part: blend x (bias + sum of feature weights) */
    int neutral;    /* 1: lex + learned fell inside the model's neutral band: score set to 0 */
} bp_brand_score_t;

/* The judgement of one text (lives in the engine, reused). */
typedef struct bp_result {
    bp_hit_t *hits;
    size_t nhits, caphits, overflow;
    bp_brand_score_t *bs;
    size_t nbs;
    double score;       /* every sentiment term */
    double judge_score; /* what the policy judged: the most negative brand score */
    int caps, excl;
    int urgent;
    int alert;
    const char *priority;
    bp_buf_t reasons;   /* NUL-separated reasons */
    size_t nreasons;
    int vip;            /* index into policy vip list, -1 */
    long long followers;
    const struct bp_learned *model; /* the learned scorer applied to the brands, NULL: none */
} bp_result_t;

#define BP_MF_SIMPLE 7   /* mask: bp_regex_simple_kind */
#define BP_MF_ANCHOR 8   /* its prefilter hits are anchors: a term (m->lit) or a pattern
                          * whose matches start with its literals (bp_regex_lits_lead) */
#define BP_MF_KIND(f) ((bp_mkind_t)((f) >> 4)) /* the matcher's kind (high 4 bits) */

struct bp_engine {
    const bp_rules_t *r;
    bp_norm_t norm, normd;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit;
    int prefilter; /* 0: run every matcher over the whole text (for tests and benchmarks) */
    unsigned char *mf; /* per matcher, computed with the engine: its bp_regex_simple_kind
                        * (low 3 bits) | BP_MF_* (what the hot loops need, in one byte) */
    int brand_gate; /* 1: a text without any brand hit is left at that (no lexicon, no score):
                     * bp_engine_judge wants mentions only; explain wants everything */
    uint32_t *stamp;  /* per matcher: last generation it was scheduled */
    uint32_t gen;
    int *cand;        /* scheduled matchers of the current pass */
    size_t ncand;
    struct bp_anc { int m; uint32_t pos; } *anc; /* literal hits of terms: matcher, position */
    /* per matcher, in one small record (the hot loop touches one cache line per matcher):
     * its state in this pass (gen, last_end, done), and what a literal hit needs to be
     * checked in C: the bytes of its check (c: phrase words or term program, in e->checks),
     * its literal's length, whether it needs other words */
    struct bp_mstate {
        uint32_t gen, last_end;
        uint32_t litlen;
        uint32_t owner;    /* the matcher's brand or lexicon (copied into its hits) */
        uint32_t need_off; /* its need and alternative presence indexes in e->needix */
        uint8_t nneed, nany, done, spare;
        const unsigned char *c;
    } *ms;
    /* per brand: where its exclusions' literals start in xgate (UINT32_MAX: no exclusions).
     * There: the number of exclusions (2 bytes), then per exclusion the number of its
     * literals (0: none known, it always runs) and each as a length byte and its bytes */
    uint32_t *xat;
    bp_buf_t xgate;
    uint8_t *bnear; /* per brand: 1 if it has a NEAR condition (brands[].near_words) */
    double *mweight; /* per matcher: r->m[].weight, packed for the score's loop */
    uint32_t *needix; /* per matcher (from ms[].need_off): nneed need indexes, then nany
                       * alternative indexes, among the rule set's presence literals */
    uint32_t *present; /* per presence literal: the pass (gen) it was last seen in */
    uint32_t *looked;  /* per lazy presence literal: the pass (gen) memmem looked for it in */
    size_t nanc, capanc;
    bp_word_t *words;
    size_t nwords, capwords;
    struct bp_span { uint32_t s, e; } *xs; /* exclusion / NEAR spans of one brand */
    size_t nxs, capxs;
    bp_result_t res;
    bp_buf_t cstrs; /* bp_engine_judge_view: a view's strings copied NUL-terminated */
    bp_buf_t terms; /* every matcher's term as a JSON string (quoted, escaped), for mentions */
    bp_buf_t checks;   /* the C checks' bytes, in one block: BP_SIMPLE_PHRASE matchers' words
                        * (per phrase a count byte, then each word as a length byte and its
                        * bytes) and BP_SIMPLE_TERM matchers' programs */
    uint32_t *term_at; /* per matcher: offset and length in terms */
    uint32_t *bhits;   /* bp_score_text: the indexes of the valid brand hits, in text order */
    size_t nbhits;
    /* literal hits the C checks decided, and those they left to PCRE2 (tests, benchmarks) */
    unsigned long c_decided, c_deferred;
    char err[256];
};

/* ---- rules.c: loading (bp_rules_load/free/version are in engine.h) ---- */
struct bp_ynode;
/* Appends a matcher to r; returns its index or -1 (no memory). m's strings and re are owned by
 * r from then on (also when -1 is returned). */
int bp_rules_add_matcher(bp_rules_t *r, bp_matcher_t *m);
/* Compiles term (brand: a variant or near term; else a lexicon term) into m->re/src/lit.
 * Returns 0, or -1 with the reason in err. */
int bp_rules_compile_term(bp_rules_t *r, bp_matcher_t *m, const char *term, int brand,
                          const bp_norm_opts_t *o, char *err, size_t errlen);
/* Compiles a user pattern into m->re/src/lit. Returns 0 or -1 with the reason in err. */
int bp_rules_compile_pattern(bp_matcher_t *m, const char *pat, char *err, size_t errlen);
/* Validation helpers. Each appends "file:line:col: ctx: what: message" to errors on failure
 * and returns -1 (or NULL); ctx and what may be "". */
int bp_rules_err(bp_buf_t *errors, const struct bp_ynode *at, const char *ctx, const char *what,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int bp_rules_keys(const struct bp_ynode *map, const char *const *allowed, const char *ctx,
                  const char *what, bp_buf_t *errors);
const char *bp_rules_str(const struct bp_ynode *n, const char *ctx, const char *what,
                         bp_buf_t *errors);
int bp_rules_int(const struct bp_ynode *n, const char *ctx, const char *what, long long lo,
                 long long hi, long long *out, bp_buf_t *errors);
int bp_rules_num(const struct bp_ynode *n, const char *ctx, const char *what, double lo,
                 double hi, double *out, bp_buf_t *errors);
int bp_rules_bool(const struct bp_ynode *n, const char *ctx, const char *what, int *out,
                  bp_buf_t *errors);
int bp_rules_type(const struct bp_ynode *n, int type, const char *ctx, const char *what,
                  bp_buf_t *errors);
/* Reads `examples:` lists of strings (keys given with their expect values) into *ex. */
int bp_rules_examples(const struct bp_ynode *n, const char *const *keys, const int *expect,
                      const char *file, const char *ctx, bp_example_t **ex, size_t *nex,
                      bp_buf_t *errors);
/* The stored copy of a file name (for positions that outlive the YAML tree). */
const char *bp_rules_file(bp_rules_t *r, const char *path);

/* ---- rules_brand.c ---- */
/* Parses one brand file's tree into r (appending a brand and its matchers). Returns 0, or -1
 * after appending every error found to errors. */
int bp_rules_brand(bp_rules_t *r, const struct bp_ynode *root, const char *file,
                   bp_buf_t *errors);

/* ---- rules_lexicon.c ---- */
int bp_rules_lexicon(bp_rules_t *r, const struct bp_ynode *root, const char *file,
                     bp_buf_t *errors);

/* ---- policy.c ---- */
void bp_policy_default(bp_policy_t *p);
int bp_policy_load(bp_policy_t *p, const struct bp_ynode *root, bp_buf_t *errors);
void bp_policy_free(bp_policy_t *p);
/* Decides alert, priority and reasons of res (score, urgent, followers filled in). author_id
 * and handle may be NULL. Returns 0 or -1 (no memory). */
int bp_policy_decide(const bp_rules_t *r, bp_result_t *res, const char *author_id,
                     const char *author_handle);

/* ---- regex.c: compiling terms into PCRE2 ---- */
/* Compiles src (UTF, UCP, caseless; JIT unless BP_RE_NOJIT; BP_RE_ANCHORED: PCRE2_ANCHORED).
 * Returns the code, or NULL with "bad regex at offset N: message" in err. */
#define BP_RE_ANCHORED 1
#define BP_RE_NOJIT 2
pcre2_code *bp_regex_compile(const char *src, size_t len, int flags, char *err, size_t errlen);
/* Builds the tolerant regex for a brand variant or near term (brand = 1: case endings,
 * separators optional) or for a lexicon term (brand = 0: no endings, separators required).
 * Handles '!' and '*' suffixes. *lit gets the prefilter literal (malloc'd: the first segment of
 * the longest word), *litoff the most bytes a match can have before it (0: every match starts
 * with it), *simple (may be NULL) 1 if the term is one plain word (a match is the literal
 * between word boundaries), 2 if one word with '*', else 0; *others (may be NULL) the literals
 * of the other words, which every match also contains (malloc'd array of up to 31).
 * *prog (may be NULL) gets, for a brand term (brand = 1), the term program: what the regex
 * matches, spelled out for the engine's C check (NULL for lexicon terms):
 *   byte 0: flags (BP_TERM_STAR: a continuation of word characters before the end),
 *   byte 1: the number of segments, then per segment: the separator before it
 *   (BP_TERM_SEP_*), its ending kind (0, BP_SIMPLE_ENDING or BP_SIMPLE_ENDING_OPT), the stem's
 *   length, the stem's bytes (normalized).
 * The regex is: no word character before, the segments with their separators and endings,
 * no word character after. Returns a malloc'd regex source, or NULL with the reason in err. */
#define BP_TERM_STAR 1
#define BP_TERM_SEP_NONE 0  /* the first segment */
#define BP_TERM_SEP_DIGIT 1 /* between letters and digits of a word: [\s\-_.]? */
#define BP_TERM_SEP_BRAND 2 /* between words: [\s\-_./+&'\x{2019}\x{00b7}]{0,3} */
char *bp_regex_from_term(const bp_rules_t *r, const char *term, int brand,
                         const bp_norm_opts_t *o, char **lit, size_t *litoff, int *simple,
                         char **prog, char ***others, size_t *nothers, char *err, size_t errlen);
/* A handle: the normalized text matched as written, not inside a longer name. */
#define BP_SIMPLE_ENDING 3     /* stem + an ending after a final vowel (required) */
#define BP_SIMPLE_ENDING_OPT 4 /* stem + an ending after a consonant (optional) */
#define BP_SIMPLE_PHRASE 5     /* a lexicon phrase of plain words (bp_regex_phrase_words; set
                                * by bp_match_prepare: bp_regex_simple_kind never gives it) */
#define BP_SIMPLE_TERM 6       /* any other anchored brand term: its program (m->prog) */
/* How the engine can check m in C: its simple kind (1, 2), or for a brand's one-word variant
 * whose regex is exactly lookbehind + literal [+ case endings] + lookahead, 1 (no endings),
 * BP_SIMPLE_ENDING or BP_SIMPLE_ENDING_OPT; for another anchored brand term with a program,
 * BP_SIMPLE_TERM; 0: only the regex can tell. */
int bp_regex_simple_kind(const bp_rules_t *r, const bp_matcher_t *m);
/* 1 if every match of the pattern src starts with one of lits (its prefilter literals, from
 * bp_regex_literals): its prefilter hits can then start the search instead of the text's
 * beginning. 0 when that cannot be shown. */
int bp_regex_lits_lead(const char *src, char *const *lits, size_t nlits);
/* Whether s (n bytes: the rest of a word after a stem) is one of the case endings a matcher
 * of that simple kind allows: 1 yes, 0 no, -1 cannot tell (the caller runs the regex). */
int bp_regex_ending_match(const bp_rules_t *r, int simple, const char *s, size_t n);
/* For a lexicon term whose regex is its plain words joined by separators and run anchored at
 * its first word (BP_SIMPLE_PHRASE): appends to out a count byte, then each word as a length
 * byte and its bytes, and returns the count (2 or more); 0 (out unchanged) for any other
 * matcher; -1 if out cannot grow. */
int bp_regex_phrase_words(const bp_matcher_t *m, bp_buf_t *out);
char *bp_regex_from_handle(const char *handle, const bp_norm_opts_t *o, char **lit, char *err,
                           size_t errlen);
/* Literals such that every match of the regex src contains one of them (lowercased like the
 * text), each at least 2 bytes. Returns how many (0: none could be proven) and a malloc'd
 * array of malloc'd strings in *out (caller frees both). */
size_t bp_regex_literals(const char *src, char ***out);
/* Other literals every match of the pattern src contains (the plain runs of 3 bytes or more
 * of its top-level sequence, lowercased like the text), besides chosen (its prefilter
 * literals): none when it has a top-level alternation. Returns how many (at most 8) and a
 * malloc'd array of malloc'd strings in *out (caller frees both). */
size_t bp_regex_required(const char *src, char *const *chosen, size_t nchosen, char ***out);
/* For a pattern without a top-level alternation: the literals of its first required group
 * (not optional, not a lookaround) that holds an alternation with a literal in every branch
 * («(?:исчезл\w*|пропал\w*|украл\w*)»): every match contains one of them. Only when there
 * are several, each of 3 bytes or more and none of chosen. Returns how many (0: none) and a
 * malloc'd array of malloc'd strings in *out (caller frees both). */
size_t bp_regex_required_any(const char *src, char *const *chosen, size_t nchosen, char ***out);
/* The single literal of bp_regex_literals when there is exactly one of at least 3 bytes, else
 * NULL. Caller frees. */
char *bp_regex_literal(const char *src);
/* Copy of a user pattern with ё/Ё replaced by е (normalized text has no ё). Caller frees. */
char *bp_regex_fix_yo(const char *src);
/* 1 if lit, a prefilter literal of m (its own or one its match needs), matters only at a
 * word start: m is a generated term or handle whose regex opens with a lookbehind refusing a
 * word character before the match, directly followed by lit's bytes (or, for a lexicon term,
 * preceded by a separator of non-letters), or a pattern opening with "\b" whose every branch
 * opens with one of its literals, all starting with a letter or digit. 0 when that cannot be
 * shown. */
int bp_regex_lit_at_word_start(const bp_matcher_t *m, const char *lit);
/* Builds r's case-ending alternations (normalized). Returns 0 or -1. */
int bp_regex_endings_init(bp_rules_t *r);

/* ---- prefilter.c: every rule literal found in one pass ---- */
bp_prefilter_t *bp_prefilter_new(void);
void bp_prefilter_free(bp_prefilter_t *p);
/* Adds a literal; the scan reports id with each occurrence. Returns 0 or -1. */
int bp_prefilter_add(bp_prefilter_t *p, const char *lit, size_t len, int id);
/* The same for a literal that matters only where the character before it is not a letter or
 * digit (or at the text's start): the scan skips its occurrences inside words (and reports
 * them wherever it cannot tell). Returns 0 or -1. */
int bp_prefilter_add_word_start(bp_prefilter_t *p, const char *lit, size_t len, int id);
/* Builds the automaton; no adds after this. Returns 0 or -1 (no memory). */
int bp_prefilter_build(bp_prefilter_t *p);
typedef void (*bp_prefilter_cb)(void *ctx, int id, size_t start);
/* Calls cb for every occurrence of every literal in text (start = byte offset). */
void bp_prefilter_scan(const bp_prefilter_t *p, const char *text, size_t len, bp_prefilter_cb cb,
                       void *ctx);
/* How many literals it holds. */
size_t bp_prefilter_size(const bp_prefilter_t *p);

/* ---- match.c: running matchers over a text ---- */

/* memmem for a short word in a post (memchr on the word's last byte, then a compare). */
const char *bp_match_find(const char *h, size_t hl, const char *w, size_t wl);
/* Finds the matchers whose literal hits C can verify as phrases (BP_SIMPLE_PHRASE in e->mf)
 * and keeps their words. Called by bp_engine_new after e->mf is set. Returns 0 or -1. */
int bp_match_prepare(bp_engine_t *e);
/* Normalizes text, finds every hit of every matcher (brands and lexicon), words, clauses,
 * applies exclusions and NEAR. Returns 0, or -1 with the reason in e->err (match limit, bad
 * UTF-8 after normalization). */
int bp_match_text(bp_engine_t *e, const char *text, size_t len);

/* ---- score.c ---- */
/* Applies negation, intensifiers, softeners, CAPS/"!!!", overlap resolution; fills score,
 * urgent and per-brand scores in e->res. text is the original text. Returns 0 or -1. */
int bp_score_text(bp_engine_t *e, const char *text, size_t len, const char *lang);
/* "negative", "positive" or "neutral" for a score. */
const char *bp_score_label(double s);

/* ---- explain.c ---- */
/* After bp_engine_run: one line per brand hit (brands = 1) or lexicon hit (0), with span,
 * rule, position in the rule files and fate. */
void bp_explain_hits(bp_engine_t *e, const char *text, int brands, bp_buf_t *out);

/* ---- engine.c ---- */
/* Judges a bare text (no post): matching, scoring, policy. The result stays in e->res until
 * the next call. Returns 0 or -1 (reason in e->err). */
int bp_engine_run(bp_engine_t *e, const char *text, size_t len, const char *lang,
                  long long followers, const char *author_id, const char *author_handle);

#endif
