/* test_engine.c — the rule engine end to end through bp_engine_judge: tolerant variants,
 * endings, look-alikes, spacing, exclusions, NEAR, digits, offsets into the original text,
 * negation, intensity, urgent terms, several brands, policy, limits, bad input, and the
 * prefilter giving the same results as running every rule. */
#include <stdlib.h>
#include <string.h>

#include "ruleset.h"
#include "test.h"

static bp_rules_t *R;
static bp_engine_t *E;

static json_t *post_new(const char *text, long long followers, const char *author)
{
    return json_pack("{s:s, s:s, s:s, s:{s:s, s:I}, s:s, s:i}", "id", "test:1", "source", "test",
                     "text", text, "author", "id", author ? author : "test:99", "followers",
                     (json_int_t)followers, "lang", "ru", "extra", 7);
}

/* Judges text; returns the mention (or NULL when no brand), rc in *rc. */
static json_t *judge_full(const char *text, long long followers, const char *author, int *rc)
{
    json_t *p = post_new(text, followers, author), *m = NULL;
    char err[256] = "";
    *rc = bp_engine_judge(E, p, &m, err, sizeof err);
    json_decref(p);
    return m;
}

static json_t *judge(const char *text)
{
    int rc;
    json_t *m = judge_full(text, 0, NULL, &rc);
    return m;
}

static int has_brand(const json_t *m, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(m, "brands"), i, v) if (strcmp(json_string_value(v), id) == 0) return 1;
    return 0;
}

static int matches_brand(const char *text, const char *id)
{
    json_t *m = judge(text);
    int r = m && has_brand(m, id);
    json_decref(m);
    return r;
}

/* The first match of rule id: start/end, or -1. */
static void span_of(const json_t *m, const char *id, long long *s, long long *e)
{
    size_t i;
    json_t *v;
    *s = *e = -1;
    json_array_foreach(json_object_get(m, "matches"), i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "rule")), id) == 0) {
            *s = json_integer_value(json_object_get(v, "start"));
            *e = json_integer_value(json_object_get(v, "end"));
            return;
        }
    }
}

static double score_of(const json_t *m)
{
    return json_number_value(json_object_get(json_object_get(m, "sentiment"), "score"));
}

static const char *brand_label(const json_t *m, const char *id)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(m, "brand_sentiment"), id), "label"));
}

/* Score of a text that names privatbank first. */
static double text_score(const char *text)
{
    json_t *m = judge(text);
    double s = m ? score_of(m) : -999;
    json_decref(m);
    return s;
}

static int has_reason(const json_t *m, const char *reason)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(m, "reasons"), i, v) if (strcmp(json_string_value(v), reason) == 0) return 1;
    return 0;
}

TEST(tolerant_variants_and_separators)
{
    CHECK(matches_brand("Альфа-Банк заблокировал карту", "alfabank"));
    CHECK(matches_brand("альфа банк", "alfabank"));
    CHECK(matches_brand("АльфаБанк", "alfabank"));
    CHECK(matches_brand("альфа_банк", "alfabank"));
    CHECK(matches_brand("Теле-2 опять без связи", "tele2"));
    CHECK(matches_brand("теле 2", "tele2"));
    CHECK(matches_brand("tele2", "tele2"));
    CHECK(!matches_brand("телевизор 2", "tele2"));
    CHECK(!matches_brand("билайнер", "beeline")); /* "ер" is not a case ending */
}

TEST(case_endings)
{
    CHECK(matches_brand("нет денег на карте Приватбанка", "privatbank"));
    CHECK(matches_brand("пишу Приватбанку", "privatbank"));
    CHECK(matches_brand("с Приватбанком", "privatbank"));
    CHECK(matches_brand("в Альфе опять не работает приложение", "alfabank"));
    CHECK(matches_brand("у Альфа-Банка", "alfabank"));
    CHECK(matches_brand("в Сбербанке", "sberbank"));
    /* '!' forbids endings */
    CHECK(matches_brand("МТС", "mts"));
    CHECK(!matches_brand("мтсу", "mts"));
    CHECK(!matches_brand("сбера нет", "sberbank"));
}

TEST(lookalikes_spacing_zero_width)
{
    CHECK(matches_brand("Пpивaтбанк", "privatbank"));      /* Latin p, a */
    CHECK(matches_brand("П р и в а т б а н к", "privatbank"));
    CHECK(matches_brand("При\xE2\x80\x8Bватбанк", "privatbank")); /* U+200B inside */
    CHECK(matches_brand("ПРИВАТБАНК!!!", "privatbank"));
    CHECK(matches_brand("PrivatBank app is down again", "privatbank"));
    CHECK(matches_brand("ｐｒｉｖａｔｂａｎｋ", "privatbank")); /* fullwidth */
}

TEST(exclusions)
{
    CHECK(!matches_brand("приватная вечеринка", "privatbank"));
    CHECK(!matches_brand("Альфа Центавра видна ночью", "alfabank"));
    CHECK(!matches_brand("альфа-центавра и банк", "alfabank"));
    /* the exclusion hides only the overlapping hit */
    CHECK(matches_brand("приватная вечеринка в Приватбанке", "privatbank"));
}

TEST(near)
{
    CHECK(!matches_brand("альфа версия игры", "alfabank"));
    CHECK(matches_brand("альфа опять не работает приложение", "alfabank"));
    CHECK(!matches_brand("альфа раз два три четыре пять приложение", "alfabank"));
    CHECK(matches_brand("карта альфа", "alfabank"));
}

TEST(digits_as_letters)
{
    CHECK(matches_brand("sb3rbank down", "sberbank"));
    CHECK(matches_brand("сбер6анк не работает", "sberbank"));
    /* only brands that ask for it */
    CHECK(!matches_brand("pr1vatbank", "privatbank"));
    json_t *m = judge("ну и sb3rbank");
    long long s, e;
    span_of(m, "sberbank", &s, &e);
    CHECK_INT(s, 8);
    CHECK_INT(e, 16);
    json_decref(m);
}

TEST(offsets_into_original_text)
{
    long long s, e;
    json_t *m = judge("Вчера Приватбанк");
    span_of(m, "privatbank", &s, &e);
    CHECK_INT(s, 11);
    CHECK_INT(e, 31);
    json_decref(m);
    m = judge("У Пpивaтбанк"); /* mixed scripts: 1-byte Latin letters */
    span_of(m, "privatbank", &s, &e);
    CHECK_INT(s, 3);
    CHECK_INT(e, 21);
    json_decref(m);
    m = judge("При\xE2\x80\x8Bватбанк плохо"); /* the zero-width space is inside the span */
    span_of(m, "privatbank", &s, &e);
    CHECK_INT(s, 0);
    CHECK_INT(e, 23);
    /* the lexicon term's span too */
    json_t *t = json_array_get(json_object_get(json_object_get(m, "sentiment"), "terms"), 0);
    CHECK_INT(json_integer_value(json_object_get(t, "start")), 24);
    CHECK_INT(json_integer_value(json_object_get(t, "end")), 34);
    json_decref(m);
    m = judge("П р и в а т б а н к!");
    span_of(m, "privatbank", &s, &e);
    CHECK_INT(s, 0);
    CHECK_INT(e, 29); /* ten 2-byte letters and nine spaces; the '!' is outside */
    json_decref(m);
}

TEST(negation)
{
    CHECK(text_score("Приватбанк не плохо") > 0);     /* a negated complaint is not negative */
    CHECK(text_score("Приватбанк не работает") < 0);  /* the phrase is the complaint */
    CHECK(text_score("Приватбанк работает") > 0);
    CHECK(text_score("Приватбанк, не люблю") < 0);
    CHECK(text_score("Приватбанк не очень плохо") > 0); /* within two words */
    /* farther than two words: not negated */
    CHECK(text_score("Приватбанк не то чтобы совсем плохо") < 0);
    /* the negator acts on the next term only */
    json_t *m = judge("Приватбанк не плохо работает");
    json_t *terms = json_object_get(json_object_get(m, "sentiment"), "terms");
    CHECK_INT(json_array_size(terms), 2);
    CHECK(json_is_true(json_object_get(json_array_get(terms, 0), "negated")));
    CHECK(json_object_get(json_array_get(terms, 1), "negated") == NULL);
    json_decref(m);
}

TEST(intensifiers_softeners_caps_exclamations)
{
    CHECK(text_score("Приватбанк плохо") == -2);
    CHECK(text_score("Приватбанк очень плохо") == -3);
    CHECK(text_score("Приватбанк вообще очень плохо") == -6);
    CHECK(text_score("Приватбанк плохо, но уже починили") > -1);
    CHECK(text_score("Приватбанк плохо, но уже починили") < 0);
    CHECK(text_score("ПРИВАТБАНК НЕНАВИЖУ") == -4.5);
    CHECK(text_score("Приватбанк ненавижу!!!") == -3.9);
    CHECK(text_score("Приватбанк ненавижу!") == -3);
}

TEST(urgent_terms_and_policy)
{
    int rc;
    json_t *m = judge_full("Приватбанк, у меня украли деньги", 0, NULL, &rc);
    CHECK_INT(rc, 1);
    CHECK(json_is_true(json_object_get(m, "alert")));
    CHECK_STR(json_string_value(json_object_get(m, "priority")), "urgent");
    CHECK(has_reason(m, "urgent:fraud"));
    json_decref(m);
    m = judge_full("Приватбанк заблокировали карту", 0, NULL, &rc);
    CHECK(has_reason(m, "urgent:card_blocked"));
    json_decref(m);
    /* negated: not urgent */
    m = judge_full("Приватбанк, у меня не украли деньги", 0, NULL, &rc);
    CHECK(!has_reason(m, "urgent:fraud"));
    CHECK(json_is_false(json_object_get(m, "alert")));
    json_decref(m);
    /* mildly negative: no alert for a nobody; alert for a blogger and for a VIP */
    m = judge_full("Приватбанк плохо", 50, NULL, &rc);
    CHECK(json_is_false(json_object_get(m, "alert")));
    CHECK(has_reason(m, "negative:-2"));
    json_decref(m);
    m = judge_full("Приватбанк плохо", 15300, NULL, &rc);
    CHECK(json_is_true(json_object_get(m, "alert")));
    CHECK(has_reason(m, "reach:15300"));
    json_decref(m);
    m = judge_full("Приватбанк плохо", 3, "x:12345", &rc);
    CHECK(json_is_true(json_object_get(m, "alert")));
    CHECK(has_reason(m, "vip:x:12345"));
    json_decref(m);
    m = judge_full("Приватбанк ненавижу, ужасный банк", 0, NULL, &rc);
    CHECK(json_is_true(json_object_get(m, "alert")));
    CHECK_STR(json_string_value(json_object_get(m, "priority")), "high");
    json_decref(m);
    m = judge_full("Приватбанк спасибо", 500000, NULL, &rc);
    CHECK(json_is_false(json_object_get(m, "alert")));
    CHECK_STR(json_string_value(json_object_get(m, "priority")), "low");
    json_decref(m);
}

TEST(several_brands)
{
    json_t *m = judge("Билайн лучше МТС");
    CHECK(has_brand(m, "beeline") && has_brand(m, "mts"));
    CHECK_STR(brand_label(m, "beeline"), "positive");
    CHECK_STR(brand_label(m, "mts"), "negative");
    json_decref(m);
    m = judge("МТС хуже, чем Билайн");
    CHECK_STR(brand_label(m, "mts"), "negative");
    json_decref(m);
    m = judge("Билайн ужасный, а МТС спасибо");
    CHECK_STR(brand_label(m, "beeline"), "negative");
    CHECK_STR(brand_label(m, "mts"), "positive");
    json_decref(m);
    m = judge("Билайн спасибо. МТС ненавижу");
    CHECK_STR(brand_label(m, "beeline"), "positive");
    CHECK_STR(brand_label(m, "mts"), "negative");
    /* the policy judges the worst brand, and only that brand's team is alerted */
    CHECK(has_reason(m, "negative:-3"));
    CHECK(json_is_true(json_object_get(m, "alert")));
    const json_t *ab = json_object_get(m, "alert_brands");
    CHECK(json_array_size(ab) == 1 && strcmp(json_string_value(json_array_get(ab, 0)), "mts") == 0);
    json_decref(m);
}

TEST(mention_fields)
{
    int rc;
    json_t *m = judge_full("Приватбанк не работает", 0, NULL, &rc);
    CHECK_INT(rc, 1);
    CHECK_STR(json_string_value(json_object_get(m, "rules_version")), bp_rules_version(R));
    CHECK(json_is_string(json_object_get(m, "filtered_at")));
    CHECK_INT(json_integer_value(json_object_get(m, "extra")), 7); /* unknown fields kept */
    CHECK_STR(json_string_value(json_object_get(m, "id")), "test:1");
    json_t *mt = json_array_get(json_object_get(m, "matches"), 0);
    CHECK_STR(json_string_value(json_object_get(mt, "rule")), "privatbank");
    CHECK_STR(json_string_value(json_object_get(mt, "kind")), "brand");
    CHECK_STR(json_string_value(json_object_get(mt, "term")), "приватбанк");
    CHECK_STR(json_string_value(json_object_get(json_object_get(m, "sentiment"), "label")),
              "negative");
    json_decref(m);
    m = judge_full("ничего интересного", 0, NULL, &rc);
    CHECK_INT(rc, 0);
    CHECK(m == NULL);
}

TEST(match_limit_dead_letters)
{
    bp_rules_t *r = bp_rules_load("tests/data/rules/catastrophic", NULL);
    CHECK(r != NULL);
    if (!r)
        return;
    bp_engine_t *e = bp_engine_new(r);
    char text[200] = "acme ";
    for (int i = 0; i < 40; i++)
        strcat(text, "ab");
    strcat(text, "!");
    json_t *p = post_new(text, 0, NULL), *m = NULL;
    char err[256] = "";
    CHECK_INT(bp_engine_judge(e, p, &m, err, sizeof err), -1);
    CHECK(m == NULL);
    CHECK(strstr(err, "match limit exceeded") != NULL);
    CHECK(strstr(err, "brand 'acme'") != NULL);
    /* the engine stays usable */
    json_decref(p);
    p = post_new("acme is fine", 0, NULL);
    CHECK_INT(bp_engine_judge(e, p, &m, err, sizeof err), 1);
    json_decref(m);
    json_decref(p);
    bp_engine_free(e);
    bp_rules_free(r);
}

TEST(bad_input_does_not_crash)
{
    static const char *const texts[] = {
        "Приватбанк \xEF\xBF\xBD плохо",           /* U+FFFD */
        "Приватбанк \xff\xfe\xc0 плохо",             /* invalid bytes */
        "\xd0",                                      /* a cut sequence */
        "",
        "\xcc\x81\xcc\x81 Приватбанк",               /* combining marks first */
        "Пpивaт\xE2\x80\x8D\xE2\x80\x8D\xE2\x80\x8D", /* zero-width joiners */
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        json_t *p = post_new("", 0, NULL), *m = NULL;
        json_object_set_new(p, "text", json_stringn_nocheck(texts[i], strlen(texts[i])));
        char err[256];
        int rc = bp_engine_judge(E, p, &m, err, sizeof err);
        CHECK(rc >= 0);
        if (i < 2) {
            CHECK_INT(rc, 1);
            long long s, e;
            span_of(m, "privatbank", &s, &e);
            CHECK_INT(s, 0);
            CHECK_INT(e, 20);
        }
        json_decref(m);
        json_decref(p);
    }
    /* a huge post: hits are capped, nothing breaks */
    size_t n = 200000;
    char *big = malloc(n + 1);
    const char *unit = "Приватбанк плохо ";
    size_t ul = strlen(unit), k = 0;
    while (k + ul <= n) {
        memcpy(big + k, unit, ul);
        k += ul;
    }
    big[k] = 0;
    json_t *p = post_new(big, 0, NULL), *m = NULL;
    char err[256];
    CHECK_INT(bp_engine_judge(E, p, &m, err, sizeof err), 1);
    CHECK(E->res.overflow > 0);
    json_decref(m);
    json_decref(p);
    free(big);
    /* no text at all */
    p = json_pack("{s:s}", "id", "x");
    CHECK_INT(bp_engine_judge(E, p, &m, err, sizeof err), -1);
    json_decref(p);
}

/* ---- the prefilter changes nothing but speed ---- */

static const char *const frags[] = {
    "Приватбанк", "Приватбанку", "приват", "приватная", "вечеринка", "Пpивaт", "П р и в а т",
    "privatbank", "приват24", "@privatbank_ua", "Альфа-Банк", "альфа", "Альфы", "Центавра",
    "карта", "приложение", "сбер", "сбер6анк", "sb3rbank", "Сбербанка", "Билайн", "МТС",
    "мтсу", "теле2", "Теле-2", "tele 2", "не", "ни", "нет", "очень", "вообще", "плохо",
    "ужасно", "ужасный", "ненавижу", "отстооой", "не работает", "работает", "спасибо",
    "лучше", "хуже", "люблю", "украли деньги", "заблокировали карту", "уже починили", "the",
    "app", "is", "down", "hate", "wtf", "OMG", "thanks", "not", "don't", ",", ".", "!!!", "и", "в", "на",
    "опять", "сегодня", "банк", "ПРИВАТ", "aaa", "123", "\xE2\x80\x8B", "ё", "ёлки", "—"};

/* Judges text (language lang, may be NULL) with the prefilter and without it; 1 if the hits
 * (matcher, span, fate) and the score agree, else 0 (the first few differences are printed).
 * save: room for BP_ENGINE_MAX_HITS hits; *n1 gets the hits found with the prefilter. */
static int same_without_prefilter(bp_engine_t *e, const char *text, const char *lang,
                                  bp_hit_t *save, size_t *n1)
{
    static int shown;
    bp_engine_set_prefilter(e, 1);
    int rc1 = bp_engine_run(e, text, strlen(text), lang, 0, NULL, NULL);
    *n1 = e->res.nhits;
    double s1 = e->res.score;
    memcpy(save, e->res.hits, *n1 * sizeof *save);
    bp_engine_set_prefilter(e, 0);
    int rc2 = bp_engine_run(e, text, strlen(text), lang, 0, NULL, NULL);
    bp_engine_set_prefilter(e, 1);
    int same = rc1 == rc2 && *n1 == e->res.nhits && s1 == e->res.score;
    for (size_t i = 0; same && i < *n1; i++)
        same = save[i].m == e->res.hits[i].m && save[i].os == e->res.hits[i].os &&
               save[i].oe == e->res.hits[i].oe && save[i].flags == e->res.hits[i].flags;
    if (!same && shown++ < 6)
        fprintf(stderr, "    differs: \"%s\" (%zu vs %zu hits)\n", text, *n1, e->res.nhits);
    return same;
}

TEST(prefilter_equivalence)
{
    srand(42);
    size_t nf = sizeof frags / sizeof *frags;
    int differ = 0, with_hits = 0;
    bp_hit_t *save = malloc(BP_ENGINE_MAX_HITS * sizeof *save);
    for (int t = 0; t < 400 && save; t++) {
        char text[2048] = "";
        int words = 3 + rand() % 14;
        for (int w = 0; w < words; w++) {
            strcat(text, frags[(size_t)rand() % nf]);
            strcat(text, rand() % 5 ? " " : "");
        }
        size_t n1 = 0;
        if (!same_without_prefilter(E, text, "ru", save, &n1))
            differ++;
        with_hits += n1 > 0;
    }
    free(save);
    CHECK_INT(differ, 0);
    CHECK(with_hits > 300); /* the generated posts do exercise the rules */
}

/* Every word of every example of r (brands and lexicons), for stitching posts; *nw gets how
 * many. Caller frees each and the array. */
static char **example_words(const bp_rules_t *r, size_t *nw)
{
    char **words = NULL;
    *nw = 0;
    for (size_t b = 0; b < r->nbrands + r->nlex; b++) {
        bp_example_t *ex = b < r->nbrands ? r->brands[b].examples : r->lex[b - r->nbrands].examples;
        size_t n = b < r->nbrands ? r->brands[b].nexamples : r->lex[b - r->nbrands].nexamples;
        for (size_t i = 0; i < n; i++) {
            char *copy = strdup(ex[i].text), *save = NULL;
            for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                char **nwp = realloc(words, (*nw + 1) * sizeof *words);
                if (!nwp)
                    break;
                words = nwp;
                words[(*nw)++] = strdup(w);
            }
            free(copy);
        }
    }
    return words;
}

/* Posts stitched from the words of the shipped pack's examples (min_words + up to spread - 1 of
 * them, each followed by one of glue), judged with and without the prefilter: how many differ;
 * *with_hits gets how many had hits. -1 if rules/ does not load. */
static int pack_prefilter_differences(const char *const *glue, size_t nglue, unsigned seed, int posts,
                                 int min_words, int spread, int *with_hits)
{
    bp_rules_t *r = bp_rules_load("rules", NULL);
    if (!r) {
        fprintf(stderr, "    rules/ does not load; skipped\n");
        return -1;
    }
    bp_engine_t *e = bp_engine_new(r);
    size_t nw = 0;
    char **words = example_words(r, &nw);
    CHECK(nw > 100);
    srand(seed);
    int differ = 0;
    *with_hits = 0;
    bp_hit_t *save = malloc(BP_ENGINE_MAX_HITS * sizeof *save);
    for (int t = 0; t < posts && nw && save; t++) {
        char text[4096] = "";
        int n = min_words + rand() % spread;
        for (int k = 0; k < n; k++) {
            strncat(text, words[(size_t)rand() % nw], 100);
            strcat(text, glue[nglue > 1 ? (size_t)rand() % nglue : 0]);
        }
        size_t n1 = 0;
        if (!same_without_prefilter(e, text, NULL, save, &n1))
            differ++;
        *with_hits += n1 > 0;
    }
    free(save);
    for (size_t i = 0; i < nw; i++)
        free(words[i]);
    free(words);
    bp_engine_free(e);
    bp_rules_free(r);
    return differ;
}

/* The same on the shipped rule pack, with posts stitched from its own examples' words. */
TEST(prefilter_equivalence_default_pack)
{
    static const char *const space[] = {" "};
    int with_hits;
    int differ = pack_prefilter_differences(space, 1, 7, 500, 4, 30, &with_hits);
    if (differ >= 0)
        CHECK_INT(differ, 0);
}

/* The same with words glued by every kind of neighbour the prefilter's word-start test must
 * get right: none, '_', '-', digits, Latin and Cyrillic letters, CJK, emoji, combining marks,
 * punctuation. */
TEST(prefilter_equivalence_glued)
{
    static const char *const glue[] = {"", "", "_", "-", "1", "x", "ж", "中", "\xF0\x9F\x98\xA1",
                                       "\xCC\x81", "'", ".", "#", "@", "\xC3\x9F", " ", " ", " "};
    int with_hits;
    int differ =
        pack_prefilter_differences(glue, sizeof glue / sizeof *glue, 11, 600, 3, 20, &with_hits);
    if (differ >= 0) {
        CHECK_INT(differ, 0);
        CHECK(with_hits > 400);
    }
}

/* The shipped pack's urgent patterns start at a word: a grateful customer whose card was
 * unblocked is not paged as «card blocked», «перерасчет» holds no «счет». */
TEST(shipped_urgent_patterns_at_word_starts)
{
    bp_rules_t *r = bp_rules_load("rules", NULL);
    bp_engine_t *e = r ? bp_engine_new(r) : NULL;
    CHECK(e != NULL);
    if (!e) {
        bp_rules_free(r);
        return;
    }
    static const struct { const char *text, *reason; int want; } cases[] = {
        {"@united they blocked my card while I am abroad", "urgent:card_blocked", 1},
        {"@united thanks for unblocking my card so fast", "urgent:card_blocked", 0},
        {"@united unlocked my card at last, thank you", "urgent:card_blocked", 0},
        {"@united someone hacked my account", "urgent:fraud", 1},
        {"@united you whacked my app again", "urgent:fraud", 0},
        {"Сбербанк, счет заблокировали", "urgent:account_blocked", 1},
        {"Сбербанк, перерасчет заблокировали", "urgent:account_blocked", 0},
        {"Сбербанк, у меня украли деньги", "urgent:stolen_money", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *p = post_new(cases[i].text, 0, NULL), *m = NULL;
        char err[256] = "";
        int rc = bp_engine_judge(e, p, &m, err, sizeof err);
        json_decref(p);
        CHECK_INT(rc, 1);
        if (has_reason(m, cases[i].reason) != cases[i].want) {
            fprintf(stderr, "    \"%s\": %s %s\n", cases[i].text, cases[i].reason,
                    cases[i].want ? "missing" : "given");
            CHECK(0);
        }
        json_decref(m);
    }
    bp_engine_free(e);
    bp_rules_free(r);
}

int main(void)
{
    R = bp_rules_load("tests/data/rules/good", NULL);
    E = R ? bp_engine_new(R) : NULL;
    if (!E) {
        printf("FAIL test_engine.load_rules\n");
        return 1;
    }
    RUN(tolerant_variants_and_separators);
    RUN(case_endings);
    RUN(lookalikes_spacing_zero_width);
    RUN(exclusions);
    RUN(near);
    RUN(digits_as_letters);
    RUN(offsets_into_original_text);
    RUN(negation);
    RUN(intensifiers_softeners_caps_exclamations);
    RUN(urgent_terms_and_policy);
    RUN(shipped_urgent_patterns_at_word_starts);
    RUN(several_brands);
    RUN(mention_fields);
    RUN(match_limit_dead_letters);
    RUN(bad_input_does_not_crash);
    RUN(prefilter_equivalence);
    RUN(prefilter_equivalence_default_pack);
    RUN(prefilter_equivalence_glued);
    bp_engine_free(E);
    bp_rules_free(R);
    return test_summary();
}
