/* normalize.h — the text normalizer the rule engine matches on: a normalized UTF-8 copy of a
 * post's text plus a map from every normalized byte back to the original bytes.
 *
 * What bp_normalize does (always, in one pass over the code points):
 *   - Unicode simple case folding for Latin (ASCII, Latin-1, Extended-A, the regular pairs of
 *     Extended-B and Extended Additional), Greek and Cyrillic; İ -> i, ſ -> s, µ -> μ, ẞ -> ß
 *     (ß stays ß). Accented Latin letters keep their accents (é stays é).
 *   - ё/Ё -> е; ѐ -> е and ѝ -> и (Bulgarian/Macedonian stress). і ї є ґ ў stay as they are.
 *   - Fullwidth forms U+FF01..U+FF5E -> ASCII; mathematical alphanumerics (𝐏𝐫𝐢𝐯𝐚𝐭, U+1D400..
 *     U+1D6A3, digits U+1D7CE..U+1D7FF), circled letters (Ⓐ ⓐ) and letter-like symbols (ℂ ℎ K
 *     Å Ω ...) -> their plain letters.
 *   - Removed: zero-width and invisible format characters (U+200B..U+200F, U+202A..U+202E,
 *     U+2060..U+2064, U+2066..U+206F, U+FEFF, U+180E, U+061C), the soft hyphen U+00AD, C0/C1
 *     control characters other than \t \n \v \f \r (U+0085 becomes \n).
 *   - Combining marks (U+0300..U+036F, U+0483..U+0489, U+1AB0..U+1AFF, U+1DC0..U+1DFF,
 *     U+20D0..U+20FF, U+2DE0..U+2DFF, U+FE20..U+FE2F), variation selectors and tag characters:
 *     a mark that, with the letter before it, has a precomposed form is composed into it (и+◌̆
 *     -> й, і+◌̈ -> ї, у+◌̆ -> ў, e+◌́ -> é, so NFD and NFC input normalize alike); any other
 *     mark (a stress accent on a Cyrillic vowel, ...) is dropped. Either way its bytes are
 *     attached to the letter before it (that letter's map_end covers them).
 *   - Typography: dashes U+2010..U+2015, U+2043, U+2212 -> '-'; ‘ ’ ‚ ‛ ′ ‵ ‹ › ´ ʼ -> '\'';
 *     “ ” „ ‟ ″ ‶ « » -> '"'; U+00A0, U+1680, U+2000..U+200A, U+202F, U+205F, U+3000 -> ' ';
 *     U+2028/U+2029 -> '\n'. Runs of whitespace are kept as they are (not collapsed).
 *   - Invalid UTF-8: every byte that does not start a valid sequence becomes U+FFFD.
 * Then, per word (a maximal run of letters and digits; with digits_as_letters also '@' '$'),
 * in this order: look-alike folding, digits as letters, repeat collapsing (repeated until
 * stable when collapsing changes a mixed word's majority); after that spaced-out letters are
 * joined and the joined words get the same word steps. The result is idempotent: normalizing
 * a normalized text with the same options changes nothing.
 *
 * The map: every normalized byte maps to the original character it came from. A folded,
 * composed or digit-mapped letter maps to its original character (with any marks after it); a
 * letter kept from a collapsed repeat spans the whole run; a joined word's letters map to the
 * spaced-out letters, so a span over the word covers the whole spaced-out run; removed
 * characters map to nothing, but a span across them covers them.
 *
 * Word characters: letters (any script; Latin, Greek and Cyrillic by script) and digits. '_',
 * '\'', '@' and '$' are not word characters. */
#ifndef BP_NORMALIZE_H
#define BP_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#define BP_NORM_MAX_LEN ((size_t)16 << 20) /* longest input bp_normalize accepts */

typedef struct bp_norm_opts {
    /* Latin/Cyrillic/Greek look-alike letters (a/а/α c/с e/е/ε o/о/ο p/р/ρ x/х/χ y/у/υ k/к/κ
     * m/м/μ t/т/τ h/н/η b/в/β i/і/ι j/ј s/ѕ d/ԁ q/ԛ w/ԝ/ω v/ν z/ζ, and one-way һ->h ӏ->l) in
     * a word that mixes scripts are folded into one script. The target: if exactly one of the
     * scripts present has letters that are not look-alikes, that script («ocoбo» -> «особо»);
     * else the script with the most letters among those having non-look-alike letters (or among
     * all present scripts if none has); ties go to Cyrillic when it has a non-look-alike
     * letter, else to Latin. Letters without an equivalent in the target stay. */
    int fold_lookalikes;
    /* a letter (Latin, Cyrillic, Greek) repeated 3+ times in a row collapses to one:
     * «ненавижууу» -> «ненавижу», "sooo" -> "so"; "аа", digits and punctuation ("!!!") stay */
    int collapse_repeats;
    /* 4+ single letters, each separated from the next by exactly one of ' ' '.' '-' '_' '*'
     * '·' (after typography: NBSP, dashes count), are joined into one word: «П р и в а т» ->
     * «приват», "P.R.I.V.A.T" -> "privat"; «я в шоке» (two single letters) stays */
    int join_spaced;
    /* in a word whose letters are all of one script (Latin or Cyrillic), a run of digits/'@'/'$'
     * between two letters, or a single leading digit followed by 3+ letters, becomes letters:
     *   Cyrillic: 0->о 1->и 3->з 4->а between two consonants («прив4т»), else ч («ве4ер»)
     *             6->б @->а $->с
     *   Latin:    0->o 1->i 3->e 4->a 5->s 6->b 7->t @->a $->s
     * A run with any other digit (2 8 9, or 5 7 in Cyrillic), or longer than 16, stays whole.
     * Trailing digits stay (приват24, iphone6, covid19), as do numbers and words with digits
     * only; a leading '@' or '$' stays (@privatbank). */
    int digits_as_letters;
} bp_norm_opts_t;

/* Fills o with the defaults: everything on except digits_as_letters. */
void bp_norm_opts_default(bp_norm_opts_t *o);

struct bp_norm_ch;

typedef struct bp_norm {
    char *text;        /* normalized UTF-8, NUL-terminated (never contains NUL itself) */
    size_t len;        /* bytes in text */
    uint32_t *map;     /* map[i]: byte offset in the original where the character that produced
                        * normalized byte i starts; map[len] = the original length */
    uint32_t *map_end; /* map_end[i]: offset just after that character (and after any combining
                        * marks, repeats collapsed into it, ...); map_end[len] = original length */
    /* letters of the original text, counted on the way for the CAPS test (score.c): capitals
     * A-Z, U+0400-U+042F, U+0490; small letters a-z, U+0430-U+045F, U+0491 */
    size_t upper, lower;
    size_t cap;        /* internal: bytes allocated for text (and entries for map, map_end) */
    struct bp_norm_ch *work; /* internal: code-point scratch for word steps and joining */
    size_t work_cap;
} bp_norm_t;
/* One bp_norm_t per thread; the functions below share only read-only tables (built on first
 * use, thread-safely). Speed: runs of plain ASCII and small Cyrillic letters go up to 63 bytes
 * at a time; about 18 instructions per byte of ordinary Russian or English text with SSE2
 * (x86-64), 36 with the portable C blocks used elsewhere. */

/* Prepares an empty normalizer (no allocation). */
void bp_norm_init(bp_norm_t *n);

/* Normalizes s[0..len) (s may be NULL when len is 0) into n->text / n->map / n->map_end,
 * reusing n's buffers: once warmed up on texts of a similar size it allocates nothing.
 * opts NULL means the defaults. Returns 0, or -1 if out of memory or len > BP_NORM_MAX_LEN
 * (then n->len is 0 and n->text, if allocated, is ""). The text and maps belong to n and
 * stay valid until the next call on n or bp_norm_free. */
int bp_normalize(bp_norm_t *n, const char *s, size_t len, const bp_norm_opts_t *opts);

/* For tests: bp_normalize with a chosen inner loop. BP_NORM_PATH_GENERAL sends every
 * character through the general per-character step (the reference); BP_NORM_PATH_PORTABLE
 * takes runs of plain ASCII and small Cyrillic letters 16 bytes at a time in portable C;
 * BP_NORM_PATH_SIMD does that with SSE2 where built with it (else as PORTABLE): what
 * bp_normalize does. All three give the same text, maps and counts. */
enum { BP_NORM_PATH_GENERAL, BP_NORM_PATH_PORTABLE, BP_NORM_PATH_SIMD };
int bp_normalize_path(bp_norm_t *n, const char *s, size_t len, const bp_norm_opts_t *opts,
                      int path);

/* Maps the normalized byte span [a,b) to the original byte span [*oa,*ob): from the start of
 * the original character that produced byte a to the end of the one that produced byte b-1.
 * a and b are clamped to n->len; an empty span maps to the empty span at map[a]. */
void bp_norm_span(const bp_norm_t *n, size_t a, size_t b, size_t *oa, size_t *ob);

/* Frees n's buffers and leaves it empty (as bp_norm_init does); accepts NULL. */
void bp_norm_free(bp_norm_t *n);

/* Normalizes the NUL-terminated s (rule text: variants, lexicon terms) exactly as posts are
 * normalized. opts NULL means the defaults. Returns a malloc'd string the caller frees, or
 * NULL if s is NULL or out of memory. */
char *bp_normalize_cstr(const char *s, const bp_norm_opts_t *opts);

/* The per-character step alone (case folding, ё, fullwidth, typography), for one code point:
 * returns what cp becomes, or 0 if it is removed (zero-width, controls, combining marks). */
uint32_t bp_norm_fold_cp(uint32_t cp);

/* Returns 1 if cp is a word character (a letter of any script or a digit, as the normalizer
 * sees them; uppercase letters count too), else 0. */
int bp_norm_is_word_cp(uint32_t cp);

/* Byte-level word checks on normalized (or any UTF-8) text, ASCII without a table call:
 * bp_norm_word_at: 1 if the code point starting at s[i] (i < len) is a word character;
 * bp_norm_word_before: 1 if the code point ending just before s[i] (0 < i <= len) is one.
 * Both return 0 outside the text. Invalid bytes count as non-word. */
int bp_norm_word_at(const char *s, size_t len, size_t i);
int bp_norm_word_before(const char *s, size_t len, size_t i);

/* 1 if the ASCII byte c is a word character ([0-9A-Za-z]); 0 for every other byte. */
static inline int bp_norm_is_word_ascii(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

#endif
