/* test_rules_prefilter.c — the literal prefilter, literal extraction from patterns and
 * the tolerant regexes generated from variants and terms. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruleset.h"
#include "test.h"

typedef struct found { int id[64]; size_t at[64]; int n; } found_t;

static void collect(void *ctx, int id, size_t start)
{
    found_t *f = ctx;
    if (f->n < 64) {
        f->id[f->n] = id;
        f->at[f->n] = start;
        f->n++;
    }
}

static int has(const found_t *f, int id, size_t at)
{
    for (int i = 0; i < f->n; i++)
        if (f->id[i] == id && f->at[i] == at)
            return 1;
    return 0;
}

TEST(finds_overlapping_occurrences)
{
    bp_prefilter_t *p = bp_prefilter_new();
    CHECK(p != NULL);
    const char *w[] = {"he", "she", "his", "hers"};
    for (int i = 0; i < 4; i++)
        CHECK_INT(bp_prefilter_add(p, w[i], strlen(w[i]), i), 0);
    CHECK_INT(bp_prefilter_build(p), 0);
    found_t f = {0};
    bp_prefilter_scan(p, "ushers", 6, collect, &f);
    CHECK_INT(f.n, 3);
    CHECK(has(&f, 1, 1)); /* she */
    CHECK(has(&f, 0, 2)); /* he */
    CHECK(has(&f, 3, 2)); /* hers */
    f.n = 0;
    bp_prefilter_scan(p, "xyz", 3, collect, &f);
    CHECK_INT(f.n, 0);
    bp_prefilter_free(p);
}

TEST(shared_literals_and_utf8)
{
    bp_prefilter_t *p = bp_prefilter_new();
    CHECK_INT(bp_prefilter_add(p, "банк", strlen("банк"), 7), 0);
    CHECK_INT(bp_prefilter_add(p, "банк", strlen("банк"), 8), 0); /* two rules, one literal */
    CHECK_INT(bp_prefilter_add(p, "альфабанк", strlen("альфабанк"), 9), 0);
    CHECK_INT(bp_prefilter_build(p), 0);
    found_t f = {0};
    const char *t = "альфабанк и банк";
    bp_prefilter_scan(p, t, strlen(t), collect, &f);
    CHECK(has(&f, 9, 0));
    CHECK(has(&f, 7, 10));
    CHECK(has(&f, 8, 10));
    CHECK(has(&f, 7, 22));
    CHECK(has(&f, 8, 22));
    CHECK_INT(f.n, 5);
    bp_prefilter_free(p);
}

TEST(many_literals)
{
    bp_prefilter_t *p = bp_prefilter_new();
    char lit[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(lit, sizeof lit, "brand%dx", i);
        CHECK_INT(bp_prefilter_add(p, lit, strlen(lit), i), 0);
    }
    CHECK_INT(bp_prefilter_build(p), 0);
    found_t f = {0};
    const char *t = "I like brand4999x and brand17x, not brand5000x";
    bp_prefilter_scan(p, t, strlen(t), collect, &f);
    CHECK_INT(f.n, 2);
    CHECK(has(&f, 4999, 7));
    CHECK(has(&f, 17, 22));
    bp_prefilter_free(p);
}

/* ---- the scan against a plain search, on random literals and texts ---- */

typedef struct hitlist { uint64_t *v; size_t n, cap; } hitlist_t;

static void collect_all(void *ctx, int id, size_t start)
{
    hitlist_t *h = ctx;
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 256;
        h->v = realloc(h->v, h->cap * sizeof *h->v);
    }
    h->v[h->n++] = (uint64_t)start << 32 | (uint32_t)id;
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The prefilter's notion of a letter or digit (see pf_surely_alnum), written plainly. */
static int ref_alnum(const unsigned char *t, size_t i, size_t len)
{
    if (t[i] < 0x80)
        return (t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'z') ||
               (t[i] >= 'A' && t[i] <= 'Z');
    if (t[i] < 0xC0 || t[i] >= 0xE0 || i + 1 >= len)
        return 0;
    unsigned cp = (t[i] & 0x1Fu) << 6 | (t[i + 1] & 0x3Fu);
    return (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) ||
           (cp >= 0x400 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x52F);
}

/* The plain search: every literal at every character start the walk by lead bytes reaches
 * (a word-start literal only where the character before is not surely a letter or digit), in
 * the order the prefilter promises: by position; at one position the literals looked for
 * anywhere first, then the word-start ones, each by length, copies in the order added. */
static void plain_search(char lits[][48], const int *ws, size_t nl, const char *text, size_t len,
                         hitlist_t *want)
{
    const unsigned char *u = (const unsigned char *)text;
    int inword = 0;
    for (size_t i = 0; i < len;) {
        size_t step = u[i] < 0xC0 ? 1 : u[i] < 0xE0 ? 2 : u[i] < 0xF0 ? 3 : 4;
        int alnum = ref_alnum(u, i, len), start = !inword || !alnum;
        inword = alnum;
        /* the ones here, as (word start, length, index) in one sortable number */
        uint64_t here[300];
        size_t nh = 0;
        for (size_t k = 0; k < nl; k++) {
            size_t n = strlen(lits[k]);
            /* a literal opening with a non-letter is looked for where one stands */
            int kws = ws[k] || !ref_alnum((const unsigned char *)lits[k], 0, n);
            if (n <= len - i && memcmp(text + i, lits[k], n) == 0 && (!kws || start))
                here[nh++] = (uint64_t)kws << 40 | (uint64_t)n << 20 | k;
        }
        qsort(here, nh, sizeof *here, u64_cmp);
        for (size_t h = 0; h < nh; h++)
            collect_all(want, (int)(here[h] & 0xFFFFF), i);
        i += step;
    }
}

/* Random literals and texts of small alphabets, so that literals share prefixes, have copies
 * and occur often; texts of up to ~700 bytes, so that they span several of the scan's blocks
 * of 64 bytes and end anywhere in one; some rounds with bytes that are not well-formed UTF-8
 * (stray continuation bytes, cut sequences), where the scan goes on without its blocks. */
TEST(scan_matches_plain_search)
{
    static const char *alpha[] = {"а", "б", "р", "я", "ё", "a", "b", "z", "1", " ", ".", "#",
                                  ":", "(", "é", "ґ", "\xD2\x82", "中", "😀", "_",
                                  /* not well-formed */
                                  "\x80", "\xD0", "\xE2\x80", "\xF0\x9F\x98", "\xBF\xBF"};
    const size_t na = sizeof alpha / sizeof alpha[0];
    uint32_t seed = 777;
#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7FFF)
    int bad = 0;
    for (int round = 0; round < 60 && !bad; round++) {
        bp_prefilter_t *p = bp_prefilter_new();
        size_t nl = 1 + RND() % 300;
        char lits[300][48];
        int ws[300];
        /* a third of the rounds with every letter, half of those with the broken bytes too */
        size_t nalpha = round % 3 ? 8 : round % 6 ? na - 5 : na;
        for (size_t k = 0; k < nl; k++) {
            size_t parts = 1 + RND() % 7, n = 0;
            for (size_t j = 0; j < parts; j++) {
                const char *a = alpha[RND() % (round % 3 ? 8 : na - 5)];
                memcpy(lits[k] + n, a, strlen(a));
                n += strlen(a);
            }
            lits[k][n] = 0;
            ws[k] = RND() % 2;
            if (round % 10 >= 8) /* rounds with one group only */
                ws[k] = round % 10 == 8;
            int rc = ws[k] ? bp_prefilter_add_word_start(p, lits[k], n, (int)k)
                           : bp_prefilter_add(p, lits[k], n, (int)k);
            CHECK_INT(rc, 0);
        }
        CHECK_INT(bp_prefilter_build(p), 0);
        for (int t = 0; t < 50 && !bad; t++) {
            char text[4 * 180];
            size_t len = 0, parts = RND() % (t % 2 ? 60 : 180);
            for (size_t j = 0; j < parts; j++) {
                /* the broken bytes rarely, so that whole blocks before them are well-formed */
                size_t from = nalpha;
                if (nalpha == na && RND() % 8)
                    from = na - 5;
                const char *a = alpha[RND() % from];
                memcpy(text + len, a, strlen(a));
                len += strlen(a);
            }
            hitlist_t got = {0}, want = {0};
            bp_prefilter_scan(p, text, len, collect_all, &got);
            plain_search(lits, ws, nl, text, len, &want);
            if (got.n != want.n || (got.n && memcmp(got.v, want.v, got.n * sizeof *got.v))) {
                fprintf(stderr, "    round %d: %zu hits, the plain search %zu, in \"%.*s\"\n", round,
                        got.n, want.n, (int)len, text);
                bad = 1;
            }
            free(got.v);
            free(want.v);
        }
        bp_prefilter_free(p);
    }
#undef RND
    CHECK_INT(bad, 0);
}

/* More hits than the scan buffers between two reports, literals of more lengths than it
 * keeps room for at one position (it then goes character by character), literals longer
 * than 16 bytes: the same as the plain search, in the same order. */
TEST(scan_many_hits_and_lengths)
{
    static char lits[200][48];
    int ws[200];
    char text[1500];
    for (int round = 0; round < 2; round++) {
        bp_prefilter_t *p = bp_prefilter_new();
        /* round 1: literals of 87 lengths, more than the scan's hit buffer keeps room for at
         * one position (it then goes character by character) */
        size_t nl = round ? 160 : 40;
        for (size_t k = 0; k < nl; k++) {
            /* "я", "яя", ... up to 23 letters, then "ба", "бба", ... */
            size_t n = k % 40 < 23 ? k % 40 + 1 : k % 40 - 21;
            const char *c = k % 40 < 23 ? "я" : "б";
            size_t len = 0;
            for (size_t j = 0; j < n && len + 4 < sizeof lits[k]; j++)
                len += (size_t)sprintf(lits[k] + len, "%s", c);
            if (k % 40 >= 23)
                len += (size_t)sprintf(lits[k] + len, "а");
            if (k >= 40) /* the other lengths: ASCII runs of 'x' */
                len = (size_t)sprintf(lits[k], "%.*s", (int)(k - 40 + 1) % 47 + 1,
                                      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
            ws[k] = (int)(k % 3 == 0);
            CHECK_INT(ws[k] ? bp_prefilter_add_word_start(p, lits[k], len, (int)k)
                            : bp_prefilter_add(p, lits[k], len, (int)k),
                      0);
        }
        CHECK_INT(bp_prefilter_build(p), 0);
        size_t len = 0;
        for (int j = 0; j < 300; j++)
            len += (size_t)sprintf(text + len, "%s",
                                   j % 50 == 49 ? " " : j % 97 == 5 ? "ббба" : "я");
        for (int j = 0; j < 120; j++)
            text[len++] = j % 60 == 59 ? ' ' : 'x';
        hitlist_t got = {0}, want = {0};
        bp_prefilter_scan(p, text, len, collect_all, &got);
        plain_search(lits, ws, nl, text, len, &want);
        CHECK(want.n > 1000);
        CHECK_INT(got.n, want.n);
        CHECK(got.n == want.n && memcmp(got.v, want.v, got.n * sizeof *got.v) == 0);
        free(got.v);
        free(want.v);
        bp_prefilter_free(p);
    }
}

/* The C check of a case ending reads keys built from the endings' alternation; it must say
 * what reading the alternation itself says, for every ending and for strings that are not. */
TEST(ending_keys_match_the_alternation)
{
    bp_rules_t *r = bp_rules_load("tests/data/rules/good", NULL);
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK(r->endset[0].ok && r->endset[1].ok);
    static const char *const pieces[] = {"а", "я", "м", "и", "х", "о", "в", "ї", "є", "ю", "е",
                                         "ь", "й", "і", "ы", "у", "x", "", "ами"};
    const size_t np = sizeof pieces / sizeof *pieces;
    uint32_t seed = 99;
    int bad = 0, yes = 0;
    for (int it = 0; it < 20000; it++) {
        char w[64];
        size_t n = 0;
        seed = seed * 1103515245u + 12345u;
        for (size_t k = 0, parts = (seed >> 16) % 5; k < parts; k++) {
            seed = seed * 1103515245u + 12345u;
            const char *p = pieces[(seed >> 16) % np];
            memcpy(w + n, p, strlen(p));
            n += strlen(p);
        }
        for (int kind = BP_SIMPLE_ENDING; kind <= BP_SIMPLE_ENDING_OPT; kind++) {
            int keyed = bp_regex_ending_match(r, kind, w, n);
            struct bp_endset save = r->endset[kind == BP_SIMPLE_ENDING ? 0 : 1];
            r->endset[kind == BP_SIMPLE_ENDING ? 0 : 1].ok = 0;
            int read = bp_regex_ending_match(r, kind, w, n);
            r->endset[kind == BP_SIMPLE_ENDING ? 0 : 1] = save;
            yes += keyed == 1;
            if (keyed != read && !bad++)
                fprintf(stderr, "    '%.*s' (kind %d): keys say %d, the alternation %d\n", (int)n,
                        w, kind, keyed, read);
        }
    }
    CHECK_INT(bad, 0);
    CHECK(yes > 1000);
    bp_rules_free(r);
}

TEST(find_matches_memmem)
{
    static const char *alpha[] = {"а", "б", "я", "a", "b", " ", "бa", "\xD0", "\xB0"};
    uint32_t seed = 5;
    int bad = 0;
    for (int it = 0; it < 50000; it++) {
        char h[64], w[16];
        size_t hl = 0, wl = 0;
        seed = seed * 1103515245u + 12345u;
        for (size_t k = 0, n = (seed >> 16) % 20; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            const char *a = alpha[(seed >> 16) % 9];
            memcpy(h + hl, a, strlen(a));
            hl += strlen(a);
        }
        for (size_t k = 0, n = (seed >> 8) % 4; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            const char *a = alpha[(seed >> 16) % 9];
            memcpy(w + wl, a, strlen(a));
            wl += strlen(a);
        }
        if (bp_match_find(h, hl, w, wl) != memmem(h, hl, w, wl) && !bad++)
            fprintf(stderr, "    '%.*s' in '%.*s': not where memmem finds it\n", (int)wl, w,
                    (int)hl, h);
    }
    CHECK_INT(bad, 0);
}

static void lit_is(const char *pat, const char *want)
{
    char *l = bp_regex_literal(pat);
    if (want)
        CHECK_STR(l, want);
    else if (l) {
        fprintf(stderr, "    literal of '%s' is '%s', expected none\n", pat, l);
        CHECK(l == NULL);
    }
    free(l);
}

TEST(literal_extraction)
{
    lit_is("\\bприват(?!н)", "приват");
    lit_is("отсто+й\\w*", "отсто");   /* "ab+c" has "ab" and "bc", not always "abc" */
    lit_is("рос+ельхоз", "сельхоз");
    lit_is("заблокирова\\w* карт\\w*", "заблокирова");
    lit_is("colou?r", "colo");
    lit_is("[ab]cdef", "cdef");
    lit_is("ПРИВАТ", "приват");         /* lowercased like the text */
    lit_is("a\\.b\\.c", "a.b.c");
    lit_is("x{0,3}yzw", "yzw");
    lit_is("(ab)+cd", NULL);            /* too short */
    lit_is("foo|barbaz", NULL);         /* top-level alternation */
    lit_is("(?:foo|bar)bazqux", "bazqux");
    lit_is("\\p{L}+abc", "abc");
    lit_is("\\x{43f}ривет", "ривет");
    lit_is("(*LIMIT_MATCH=10)abcdef", NULL);
    lit_is("x{3}yz", "xxxyz");
    lit_is("ab{2,5}cdef", "bbcdef");
    lit_is("!{3,}", "!!!");
    lit_is("(?=abc)x", NULL);           /* lookarounds are not required text */
    lit_is("\\bе[б]\\w*(?:ан|ат)", "еб"); /* a one-character class is that character */
    lit_is("[(]{2,}x", "((x");
    lit_is("[^a]bcd", "bcd");
}

/* The set of literals of pat, sorted into one comma-separated string. */
/* Checks that the n strings of v (freed here, with v), joined by commas, are want. */
static void joined_is(char **v, size_t n, const char *want)
{
    char got[512] = "";
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(got, ",");
        strncat(got, v[i], sizeof got - strlen(got) - 1);
        free(v[i]);
    }
    free(v);
    CHECK_STR(got, want);
}

static void lits_are(const char *pat, const char *want)
{
    char **v = NULL;
    size_t n = bp_regex_literals(pat, &v);
    joined_is(v, n, want);
}

TEST(literal_sets)
{
    lits_are("foo|barbaz", "foo,barbaz");
    lits_are("\\bflying\\W+united\\b|\\bflew\\W+united\\b", "flying,united");
    lits_are("(?:украли|сняли|Списали)\\W+(?:\\w+\\W+){0,3}?(?:деньг\\w*|\\d+)",
             "украли,сняли,списали");
    lits_are(":\\)|:-\\)|:D|❤", ":),:-),:d,❤");
    lits_are("foo|\\w+", "");          /* one branch without a literal: none */
    lits_are("(?:abc|de)?xyz", "xyz");  /* an optional group is not required */
    lits_are("a|b", "");                /* shorter than 2 bytes */
    /* literals leading every match beat longer ones further on (the pattern is then searched
     * from their hits) */
    lits_are("(?:block\\w*|froze|lock\\w*)\\W+(?:\\w+\\W+){0,2}?(?:account|money)",
             "block,froze,lock");
    lits_are("\\bкарт\\w*\\W+(?:\\w+\\W+){0,2}?заблоки\\w*", "карт");
    lits_are("ab?cdefg", "cdefg");      /* "a" alone leads: too short */
    lits_are("(?:ab|cd)?efghij", "efghij");
}

static void required_are(const char *pat, const char *chosen, const char *want)
{
    char **v = NULL;
    char *ch = (char *)chosen;
    size_t n = bp_regex_required(pat, &ch, 1, &v);
    joined_is(v, n, want);
}

/* The other words a pattern's every match holds: checked before the pattern runs. */
TEST(required_literals)
{
    required_are("карт\\w*\\W+(?:\\w+\\W+){0,2}?заблоки\\w*", "карт", "заблоки");
    required_are("\\bскрыт\\w*\\W+ПЛАТЕЖ\\w*", "скрыт", "платеж"); /* lowercased */
    required_are("foo\\W+barbaz|qux", "foo", "");    /* a top-level alternation: none */
    required_are("foo\\W+(?:barbaz)?\\W+quux", "foo", "quux"); /* optional group skipped */
    required_are("foo\\W+bars?\\W+x{2}yz", "foo", "bar"); /* "s?" and "x{2}" end runs */
    required_are("foo\\W+ab", "foo", "");             /* under 3 bytes */
}

static void required_any_is(const char *pat, const char *chosen, const char *want)
{
    char **v = NULL;
    char *ch = (char *)chosen;
    size_t n = bp_regex_required_any(pat, &ch, chosen ? 1 : 0, &v);
    joined_is(v, n, want);
}

/* The words of an alternation a pattern's every match holds one of: checked before it runs. */
TEST(required_alternatives)
{
    required_any_is("\\bденьг\\w*\\W+(?:\\w+\\W+){0,2}?(?:исчезл\\w*|пропал\\w*|УКРАЛ\\w*)",
                    "деньг", "исчезл,пропал,украл"); /* lowercased; {0,2}? skipped */
    required_any_is("\\bcards?\\W+(blocked|frozen)\\b", "card", "blocked,frozen");
    required_any_is("x\\W+(?:foo|bar)?\\W+(?:quux|corge)", NULL, "quux,corge"); /* optional */
    required_any_is("x\\W+(?:foo|bar)*y", NULL, "");       /* may be absent */
    required_any_is("x\\W+(?:foo|bar){0,1}y", NULL, "");
    required_any_is("x\\W+(?=foo|bar)", NULL, "");         /* a lookahead */
    required_any_is("foo\\W+(?:bar|baz)|qux", NULL, "");   /* a top-level alternation */
    required_any_is("foo\\W+(?:ab|baz)", NULL, "");        /* "ab": under 3 bytes */
    required_any_is("foo\\W+(?:bar|\\w+)", NULL, "");    /* a branch without a literal */
    required_any_is("foo\\W+(?:barbaz)", NULL, "");        /* one word: a plain need */
    required_any_is("(?:foo|bar)\\W+x", "foo", "");        /* the pattern's own literals */
}

TEST(variant_regexes)
{
    bp_rules_t *r = bp_rules_load("tests/data/rules/good", NULL);
    CHECK(r != NULL);
    if (!r)
        return;
    char err[256], *lit = NULL;
    size_t off = 99;
    int simple = -1;
    char *src = bp_regex_from_term(r, "Альфа Банк", 1, &r->nopts, &lit, &off, &simple, NULL, NULL, NULL, err, sizeof err);
    CHECK(src != NULL);
    CHECK_STR(lit, "альф"); /* the stem: the final vowel takes the case endings */
    CHECK_INT(off, 0);
    free(src);
    free(lit);
    src = bp_regex_from_term(r, "т банк", 1, &r->nopts, &lit, &off, &simple, NULL, NULL, NULL, err, sizeof err);
    CHECK_STR(lit, "банк"); /* the longest word, somewhere after the start */
    CHECK(off >= 2 && off < 40);
    free(src);
    free(lit);
    src = bp_regex_from_term(r, "мтс!", 1, &r->nopts, &lit, &off, &simple, NULL, NULL, NULL, err, sizeof err);
    CHECK(src && strstr(src, "ами") == NULL); /* '!': no endings */
    CHECK_STR(lit, "мтс");
    free(src);
    free(lit);
    src = bp_regex_from_term(r, "ужасн*", 0, &r->nopts, &lit, &off, &simple, NULL, NULL, NULL, err, sizeof err);
    CHECK(src && strstr(src, "ужасн[\\p{L}\\p{N}_]*") != NULL);
    CHECK_INT(simple, 2);
    free(src);
    free(lit);
    src = bp_regex_from_term(r, "Ненавижу", 0, &r->nopts, &lit, &off, &simple, NULL, NULL, NULL, err, sizeof err);
    CHECK_INT(simple, 1);
    CHECK_STR(lit, "ненавижу");
    free(src);
    free(lit);
    src = bp_regex_from_term(r, "приватбанк", 1, &r->nopts, &lit, &off, &simple, NULL, NULL, NULL, err, sizeof err);
    CHECK_INT(simple, 0); /* a brand word takes case endings: the regex decides */
    free(src);
    free(lit);
    src = bp_regex_from_term(r, "у*жас", 0, &r->nopts, &lit, &off, &simple, NULL, NULL, NULL, err, sizeof err);
    CHECK(src == NULL);
    CHECK_STR(err, "'*' is only allowed at the end");
    free(lit);
    bp_rules_free(r);
}

/* Word-start literals are found where the character before is not surely a letter or digit
 * (the text's start, blanks, punctuation, '_', characters the scan does not know), never
 * inside a word; the others everywhere. */
TEST(word_start_literals)
{
    bp_prefilter_t *p = bp_prefilter_new();
    CHECK_INT(bp_prefilter_add_word_start(p, "банк", strlen("банк"), 1), 0);
    CHECK_INT(bp_prefilter_add(p, "банк", strlen("банк"), 2), 0);
    CHECK_INT(bp_prefilter_add_word_start(p, "bank", 4, 3), 0);
    CHECK_INT(bp_prefilter_add_word_start(p, ":(", 2, 4), 0); /* opens with punctuation */
    CHECK_INT(bp_prefilter_build(p), 0);
    /* offsets: банк 0, альфабанк 9 (банк at 19), _банк 28 (банк at 29), x банк, 中банк */
    const char *t = "банк альфабанк _банк 1банк 中банк ok:( bank.bank";
    found_t f = {0};
    bp_prefilter_scan(p, t, strlen(t), collect, &f);
    size_t alfa = (size_t)(strstr(t, "альфабанк") - t) + strlen("альфа");
    size_t under = (size_t)(strstr(t, "_банк") - t) + 1;
    size_t digit = (size_t)(strstr(t, "1банк") - t) + 1;
    size_t cjk = (size_t)(strstr(t, "中банк") - t) + strlen("中");
    size_t smile = (size_t)(strstr(t, ":(") - t);
    size_t bank1 = (size_t)(strstr(t, "bank") - t), bank2 = bank1 + 5;
    CHECK(has(&f, 1, 0) && has(&f, 2, 0));
    CHECK(!has(&f, 1, alfa) && has(&f, 2, alfa)); /* inside a word: only the other one */
    CHECK(has(&f, 1, under) && has(&f, 2, under));
    CHECK(!has(&f, 1, digit) && has(&f, 2, digit));
    CHECK(has(&f, 1, cjk)); /* not sure what 中 is: looked at */
    CHECK(has(&f, 4, smile)); /* after a letter, but it opens with ':' */
    CHECK(has(&f, 3, bank1) && has(&f, 3, bank2));
    CHECK_INT(f.n, 11);
    bp_prefilter_free(p);
}

/* Which literals the rules put at word starts: a term's first word, a lexicon phrase's later
 * words; not a brand phrase's later word (it may be glued on), nor a pattern without "\b". */
TEST(word_start_classification)
{
    bp_rules_t *r = bp_rules_load("tests/data/rules/good", NULL);
    CHECK(r != NULL);
    if (!r)
        return;
    char err[256];
    bp_matcher_t m;
    memset(&m, 0, sizeof m);
    m.kind = BP_MK_VARIANT;
    size_t off;
    m.src = bp_regex_from_term(r, "совика маркет", 1, &r->nopts, &m.lit, &off, NULL, NULL, &m.need,
                               &m.nneed, err, sizeof err);
    CHECK(m.src != NULL);
    CHECK_STR(m.lit, "совик"); /* the first word leads now that it is long enough */
    CHECK_INT(off, 0);
    CHECK(bp_regex_lit_at_word_start(&m, m.lit));
    CHECK_INT(m.nneed, 1);
    CHECK(m.nneed == 1 && !bp_regex_lit_at_word_start(&m, m.need[0])); /* «совикамаркет» */
    free(m.src);
    free(m.lit);
    for (size_t k = 0; k < m.nneed; k++)
        free(m.need[k]);
    free(m.need);
    memset(&m, 0, sizeof m);
    m.kind = BP_MK_NEGATIVE;
    m.src = bp_regex_from_term(r, "не работает", 0, &r->nopts, &m.lit, &off, NULL, NULL, &m.need,
                               &m.nneed, err, sizeof err);
    CHECK(m.src != NULL);
    CHECK_STR(m.lit, "работает"); /* «не» is too short to lead */
    CHECK(bp_regex_lit_at_word_start(&m, m.lit)); /* after a separator */
    CHECK(m.nneed == 1 && bp_regex_lit_at_word_start(&m, m.need[0]));
    free(m.src);
    free(m.lit);
    for (size_t k = 0; k < m.nneed; k++)
        free(m.need[k]);
    free(m.need);
    /* patterns */
    char *lits1[] = {"kakaka"};
    bp_matcher_t pm = {.kind = BP_MK_PATTERN, .src = "\\bkakaka(?:app|online)\\b", .lits = lits1, .nlits = 1};
    CHECK(bp_regex_lit_at_word_start(&pm, "kakaka"));
    pm.src = "kakaka(?:app|online)\\b";
    CHECK(!bp_regex_lit_at_word_start(&pm, "kakaka"));
    pm.src = "\\bkakaka|xkakaka";
    CHECK(!bp_regex_lit_at_word_start(&pm, "kakaka")); /* the second branch has no \\b */
    bp_rules_free(r);
}

int main(void)
{
    RUN(finds_overlapping_occurrences);
    RUN(shared_literals_and_utf8);
    RUN(many_literals);
    RUN(scan_matches_plain_search);
    RUN(scan_many_hits_and_lengths);
    RUN(ending_keys_match_the_alternation);
    RUN(find_matches_memmem);
    RUN(literal_extraction);
    RUN(literal_sets);
    RUN(variant_regexes);
    RUN(required_literals);
    RUN(required_alternatives);
    RUN(word_start_literals);
    RUN(word_start_classification);
    return test_summary();
}
