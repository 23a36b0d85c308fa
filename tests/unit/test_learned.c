/* test_learned.c — the learned sentiment scorer: feature extraction (exact features, negation,
 * folding reaching the features), model files (good and broken), the arithmetic of the
 * combined brand score, and its lines in explain. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "learned.h"
#include "ruleset.h"
#include "test.h"

#define GOOD "tests/data/learned/rules"

static bp_rules_t *R;
static bp_engine_t *E;

static void join_cb(void *ctx, const char *f, size_t len)
{
    bp_buf_t *b = ctx;
    if (b->len)
        bp_buf_putc(b, '|');
    bp_buf_append(b, f, len);
}

static int brand_index(const char *id)
{
    for (size_t i = 0; i < R->nbrands; i++)
        if (strcmp(R->brands[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* The features of brand id in text, joined by '|', into out (reset first). */
static void features_of(const char *text, const char *id, const bp_learned_opts_t *o,
                        bp_buf_t *out)
{
    bp_buf_reset(out);
    CHECK_INT(bp_engine_run(E, text, strlen(text), "ru", 0, NULL, NULL), 0);
    bp_learned_features(E, o, brand_index(id), join_cb, out);
    bp_buf_putc(out, 0);
}

static const bp_brand_score_t *bscore(const char *id)
{
    for (size_t i = 0; i < E->res.nbs; i++)
        if (E->res.bs[i].brand == brand_index(id))
            return &E->res.bs[i];
    return NULL;
}

TEST(exact_features)
{
    bp_learned_opts_t o = {5, BP_LS_TEXT};
    bp_buf_t b = BP_BUF_INIT(1 << 16);
    features_of("Сбербанк опять не работает((", "sberbank", &o, &b);
    CHECK_STR(b.data, "опять|<b> опять|не|опять не|работ|!работ|не работ|:(");
    /* stem length, a number, a handle, a link skipped, a smile after the last word */
    o.stem = 3;
    features_of("@vasya Сбербанк 2014 http://t.co/AbC молодец)))", "sberbank", &o, &b);
    CHECK_STR(b.data, "мол|:)"); /* special pairs make no bigram; the link's dot ends a
                                    * sentence, so «2014 ... молодец» is no bigram either */
    /* a parenthesis is not a frown; "!" and "?" once */
    o.stem = 5;
    features_of("Сбербанк (офис) работает! Правда? Да!", "sberbank", &o, &b);
    CHECK_STR(b.data, "офис|<b> офис|работ|офис работ|правд|да|:!|:?");
    bp_buf_free(&b);
}

TEST(negation_window)
{
    bp_learned_opts_t o = {5, BP_LS_TEXT};
    bp_buf_t b = BP_BUF_INIT(1 << 16);
    /* two words after «нет» are negated, not three; a clause boundary stops it */
    features_of("Сбербанк нет больше денег совсем", "sberbank", &o, &b);
    CHECK(strstr(b.data, "|!больш|") != NULL);
    CHECK(strstr(b.data, "|!денег|") != NULL);
    CHECK(strstr(b.data, "!совсе") == NULL);
    features_of("Сбербанк не, работает", "sberbank", &o, &b);
    CHECK(strstr(b.data, "!работ") == NULL);
    bp_buf_free(&b);
}

TEST(folding_reaches_features)
{
    bp_learned_opts_t o = {6, BP_LS_TEXT};
    bp_buf_t a = BP_BUF_INIT(1 << 16), b = BP_BUF_INIT(1 << 16);
    features_of("Сбербанк ужасный, НЕ РАБОТАЕТ", "sberbank", &o, &a);
    /* Latin look-alikes (p, a, o, e), a decomposed й (и + U+0306), ё, a zero-width space,
     * letters repeated for emphasis */
    features_of("Сбербанк ужасны\xd0\xb8\xcc\x86, НЕ PAБOTAEТ\xe2\x80\x8b", "sberbank", &o, &b);
    CHECK_STR(b.data, a.data);
    features_of("Сбербанк ужаааасный, не работает", "sberbank", &o, &b);
    CHECK_STR(b.data, a.data);
    CHECK(strstr(a.data, "ужасны|") != NULL);
    CHECK(strstr(a.data, "не работа") != NULL);
    bp_buf_free(&a);
    bp_buf_free(&b);
}

/* The first n code points of the UTF-8 string s (all of it if shorter), into out. */
static void utf8_prefix(const char *s, int n, char *out, size_t cap)
{
    size_t i = 0;
    for (int k = 0; s[i] && k < n; k++)
        do
            i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80);
    snprintf(out, cap, "%.*s", (int)i, s);
}

/* A word's stem is its first `stem` letters, whatever their widths (one to three bytes, mixed),
 * whether it ends before, at or past 16 bytes, and whether the word ends the text or not. */
TEST(stems_of_every_width)
{
    static const char *const words[] = {
        "работает", "превосходнейшими", "высококвалифицированный", "great", "ok", "я",
        "internationalization", "καλημέρα", "ευχαριστώ", "café", "naïve", "überraschend",
        "服务很好", "非常糟糕的服务", "გამარჯობა", "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a1b2c3d4e5f6g7h8", "4g", "ѣѣѣ"};
    bp_buf_t b = BP_BUF_INIT(1 << 16);
    char text[512], want[600], stem[256];
    for (int st = 3; st <= BP_LEARNED_MAX_STEM; st++) {
        bp_learned_opts_t o = {st, BP_LS_TEXT};
        for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
            char *nw = bp_normalize_cstr(words[i], &R->nopts);
            CHECK(nw != NULL);
            if (!nw)
                continue;
            utf8_prefix(nw, st, stem, sizeof stem);
            snprintf(want, sizeof want, "%s|<b> %s", stem, stem);
            for (int pad = 0; pad < 3; pad++) {
                /* the word at the end, followed by a few spaces, followed by many */
                snprintf(text, sizeof text, "Сбербанк %s%.*s", words[i], pad * 12,
                         "                        ");
                features_of(text, "sberbank", &o, &b);
                if (strcmp(b.data, want) != 0) {
                    fprintf(stderr, "    stem %d of \"%s\": \"%s\", expected \"%s\"\n", st,
                            text, b.data, want);
                    CHECK(0);
                }
            }
            free(nw);
        }
    }
    bp_buf_free(&b);
}

TEST(per_brand_windows)
{
    bp_learned_opts_t o = {5, BP_LS_SENTENCE};
    bp_buf_t b = BP_BUF_INIT(1 << 16);
    features_of("МТС молодец. Сбербанк не работает", "mts", &o, &b);
    CHECK_STR(b.data, "молод|<b> молод");
    bp_buf_free(&b);
}

TEST(loads_good_model)
{
    CHECK_INT(R->nmodels, 1);
    const bp_learned_t *m = &R->models[0];
    CHECK_STR(m->language, "ru");
    CHECK_INT(m->opts.stem, 5);
    CHECK_INT(m->opts.scope, BP_LS_SENTENCE);
    CHECK_INT(m->n, 6);
    int found = 0;
    CHECK(bp_learned_weight(m, "не работ", strlen("не работ"), &found) == -1.5);
    CHECK_INT(found, 1);
    CHECK(bp_learned_weight(m, "не рабо", strlen("не рабо"), &found) == 0);
    CHECK_INT(found, 0);
}

/* Writes a rules dir with one model file holding body; returns the load errors (or "" if it
 * loaded). */
static char dir[] = "/tmp/bp-learned-XXXXXX";
static int made;

static char *load_model_text(const char *body)
{
    char p[256];
    if (!made) {
        CHECK(mkdtemp(dir) != NULL);
        snprintf(p, sizeof p, "%s/model", dir);
        mkdir(p, 0700);
        made = 1;
    }
    snprintf(p, sizeof p, "%s/model/m.yaml", dir);
    FILE *f = fopen(p, "w");
    if (!f)
        return strdup("cannot write");
    fputs(body, f);
    fclose(f);
    bp_buf_t errs = BP_BUF_INIT(1 << 16);
    bp_rules_t *r = bp_rules_load(dir, &errs);
    char *s = strdup(r ? "" : errs.data ? errs.data : "?");
    bp_rules_free(r);
    bp_buf_free(&errs);
    return s;
}

#define HEAD "model: sentiment\nlanguage: ru\n"

TEST(broken_models)
{
    char *e = load_model_text(HEAD "features:\n  - \"работ\": -0.5\n");
    CHECK_STR(e, "");
    free(e);
    /* each broken file and what the errors must say (one or two lines) */
    static const struct { const char *text, *want[2]; } cases[] = {
        {HEAD "features:\n  - \"работ\": -0.5\n  - \"плох\": minus\n",
         {"model/m.yaml:5:13: model: features.'плох': expected a number"}},
        {HEAD "features:\n  - \"работ\": 40\n",
         {"m.yaml:4:14: model: features.'работ': 40 is out of range"}},
        {HEAD "colour: red\nfeatures: []\n", {"m.yaml:3:1: model: unknown key 'colour'"}},
        {HEAD "features:\n  - \"работ\": -0.5\n  - \"работ\": 0.5\n",
         {"m.yaml:5:5: model: features: duplicate feature 'работ' (first at line 4)"}},
        {HEAD "features:\n  - {\"работ\": -0.5, \"плох\": -1}\n  - 0.5\n",
         {"m.yaml:4:5: model: features[0]: expected one `\"feature\": weight` entry, got several",
          "m.yaml:5:5: model: features[1]: expected one `\"feature\": weight` entry, got a scalar"}},
        {HEAD "features: {\"работ\": -0.5}\n",
         {"m.yaml:3:11: model: features: expected a list, got a mapping"}},
        {HEAD "features:\n  - \"Работ\": -0.5\n",
         {"m.yaml:4:5: model: features: 'Работ' is not in normalized form"}},
        {"model: sentiment\nfeatures: []\n", {"m.yaml:1:1: model: missing key 'language'"}},
        {"model: lexicon\nlanguage: ru\nfeatures: []\n",
         {"m.yaml:1:8: model: model: unknown model kind 'lexicon'"}},
        {HEAD "scope: paragraph\nfeatures: []\n",
         {"m.yaml:3:8: model: scope: 'paragraph' is not one of"}},
        {HEAD "neutral_band: [0.5, 1]\nfeatures: []\n",
         {"m.yaml:3:16: model: neutral_band[0]: 0.5 is out of range"}},
        {HEAD "stem: 40\nfeatures: []\n", {"m.yaml:3:7: model: stem: 40 is out of range 3..12"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        e = load_model_text(cases[i].text);
        for (int k = 0; k < 2 && cases[i].want[k]; k++)
            if (!strstr(e, cases[i].want[k])) {
                fprintf(stderr, "    expected \"%s\" in:\n%s\n", cases[i].want[k], e);
                CHECK(0);
            }
        free(e);
    }
}

TEST(score_arithmetic)
{
    /* blend 2, bias 0.125: learned = 2 * (0.125 + sum) */
    CHECK_INT(bp_engine_run(E, "Сбербанк ужасный", strlen("Сбербанк ужасный"), "ru", 0, NULL,
                            NULL), 0);
    const bp_brand_score_t *s = bscore("sberbank");
    CHECK(s != NULL);
    double without = s ? s->score : 0;
    CHECK(s && s->lex == -3 && s->learned == 0.25 && !s->neutral);
    CHECK_INT(bp_engine_run(E, "Сбербанк ужасный :)", strlen("Сбербанк ужасный :)"), "ru", 0,
                            NULL, NULL), 0);
    s = bscore("sberbank");
    /* ":)" weighs 0.75: the brand's score moves by exactly blend x 0.75 */
    CHECK(s && fabs(s->score - without - 1.5) < 1e-12);
    CHECK(E->res.judge_score == (s ? s->score : 1));
    /* nothing learned and no lexicon: bias alone, inside the neutral band */
    CHECK_INT(bp_engine_run(E, "Сбербанк", strlen("Сбербанк"), "ru", 0, NULL, NULL), 0);
    s = bscore("sberbank");
    CHECK(s && s->score == 0 && s->neutral && s->learned == 0.25);
    /* per brand: each from its own sentence */
    const char *t = "МТС молодец. Сбербанк не работает";
    CHECK_INT(bp_engine_run(E, t, strlen(t), "ru", 0, NULL, NULL), 0);
    s = bscore("mts");
    CHECK(s && s->score == 2 * (0.125 + 1.25));
    s = bscore("sberbank");
    CHECK(s && s->score == 2 * (0.125 - 0.25 - 0.5 - 1.5));
    /* another language: no model, the lexicon alone */
    CHECK_INT(bp_engine_run(E, t, strlen(t), "en", 0, NULL, NULL), 0);
    s = bscore("sberbank");
    CHECK(s && s->score == 0 && s->learned == 0 && E->res.model == NULL);
    /* no language given: Cyrillic text picks the ru model */
    CHECK_INT(bp_engine_run(E, t, strlen(t), NULL, 0, NULL, NULL), 0);
    CHECK(E->res.model == &R->models[0]);
}

static void sum_weights(void *ctx, const char *f, size_t len)
{
    void **c = ctx;
    *(double *)c[1] += bp_learned_weight(c[0], f, len, NULL);
}

/* Brand i's learned part as the extracted feature strings give it: blend x (bias + the sum of
 * their weights); *sum gets that sum. */
static double learned_from_features(bp_engine_t *e, size_t i, double *sum)
{
    const bp_learned_t *m = e->res.model;
    *sum = 0;
    void *ctx[2] = {(void *)m, sum};
    bp_learned_features(e, &m->opts, e->res.bs[i].brand, sum_weights, ctx);
    return m->blend * (m->bias + *sum);
}

/* With several brands in one text, the features without a brand word are summed once for all
 * of them: every brand still gets blend x (bias + the sum of its own features). Over the
 * shipped models (which read the whole text). */
TEST(shared_features_same_sums)
{
    bp_rules_t *r = bp_rules_load("rules", NULL);
    CHECK(r != NULL);
    if (!r)
        return;
    bp_engine_t *e = bp_engine_new(r);
    static const char *const texts[] = {
        "Билайн лучше МТС, а Мегафон вообще не работает :(",
        "Сбербанк и ВТБ опять заблокировали карту, спасибо Тинькофф за быстрый ответ",
        "МТС, Билайн, Теле2: связи нет третий день!!! ненавижу",
        "@united lost my bag again, @AmericanAir was great though :)",
        "Приватбанк не працює, монобанк працює, дякую"};
    int multi = 0;
    for (size_t k = 0; k < sizeof texts / sizeof *texts; k++) {
        CHECK_INT(bp_engine_run(e, texts[k], strlen(texts[k]), NULL, 0, NULL, NULL), 0);
        const bp_learned_t *m = e->res.model;
        if (!m)
            continue;
        multi += e->res.nbs > 1;
        for (size_t i = 0; i < e->res.nbs; i++) {
            double sum;
            CHECK(fabs(e->res.bs[i].learned - learned_from_features(e, i, &sum)) < 1e-9);
        }
    }
    CHECK(multi >= 3);
    bp_engine_free(e);
    bp_rules_free(r);
}

/* The scorer sums the weights of features it looks up by their tokens' hashes; extraction
 * writes the same features as strings. Both must agree on every post: random posts made of
 * brands, words the models know, negators, handles, numbers, links and smileys. */
TEST(random_texts_same_sums)
{
    bp_rules_t *r = bp_rules_load("rules", NULL);
    CHECK(r != NULL);
    if (!r)
        return;
    bp_engine_t *e = bp_engine_new(r);
    static const char *const words[] = {
        "Сбербанк", "ВТБ", "МТС", "Билайн", "Мегафон", "Теле2", "Приватбанк", "united",
        "@AmericanAir", "не", "нет", "работает", "санкции", "против", "отличный", "ужасный",
        "спасибо", "деньги", "карту", "заблокировали", "вообще", "очень", "лучше", "хуже",
        "связь", "интернет", "отделение", "кэшбэк", "great", "worst", "not", "flight", "bag",
        "delayed", "thanks", "love", "@support", "123", "2014", "https://t.co/x1Y2z3",
        "www.sberbank.ru", ":)", ":(", "))", "((", "!!!", "?", ",", ".", "—", "😡", "👍",
        "RT", "@user:", "«", "»", "обладает", "всеми", "ресурсами", "защищен", "от"};
    const size_t nw = sizeof words / sizeof *words;
    uint32_t seed = 4242;
    int checked = 0, nonzero = 0, bad = 0;
    for (int it = 0; it < 3000; it++) {
        char text[1024];
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        size_t n = 1 + (seed >> 16) % 40;
        for (size_t j = 0; j < n; j++) {
            seed = seed * 1103515245u + 12345u;
            const char *w = words[(seed >> 16) % nw];
            size_t wl = strlen(w);
            if (len + wl + 2 >= sizeof text)
                break;
            memcpy(text + len, w, wl);
            len += wl;
            text[len++] = (seed >> 8) % 7 ? ' ' : ',';
        }
        text[len] = 0;
        if (bp_engine_run(e, text, len, NULL, 0, NULL, NULL) != 0 || !e->res.model)
            continue;
        for (size_t i = 0; i < e->res.nbs; i++) {
            double sum, want = learned_from_features(e, i, &sum);
            checked++;
            nonzero += sum != 0;
            if (fabs(e->res.bs[i].learned - want) >= 1e-9 && !bad++)
                fprintf(stderr, "    learned %.17g, the features' sum %.17g, in \"%s\"\n",
                        e->res.bs[i].learned, want, text);
        }
    }
    CHECK_INT(bad, 0);
    CHECK(checked > 2000);
    CHECK(nonzero > checked / 2);
    bp_engine_free(e);
    bp_rules_free(r);
}

/* Random text of 1..maxw words of words[], each followed by ' ' or ',' (the last one by
 * nothing, one time in four, when end_bare: a word at the very end of the text). */
static size_t random_text(uint32_t *seed, const char *const *words, size_t nw, size_t maxw,
                          int end_bare, char *text, size_t cap)
{
    size_t len = 0;
    *seed = *seed * 1103515245u + 12345u;
    size_t n = 1 + (*seed >> 16) % maxw;
    for (size_t j = 0; j < n; j++) {
        *seed = *seed * 1103515245u + 12345u;
        const char *w = words[(*seed >> 16) % nw];
        size_t wl = strlen(w);
        if (len + wl + 2 >= cap)
            break;
        memcpy(text + len, w, wl);
        len += wl;
        text[len++] = (*seed >> 8) % 7 ? ' ' : ',';
    }
    *seed = *seed * 1103515245u + 12345u;
    if (end_bare && len && (*seed >> 16) % 4 == 0)
        len--;
    text[len] = 0;
    return len;
}

/* Words of many shapes for the stem and hash fast paths: one-byte (Latin), two-byte
 * (Cyrillic, Greek, accented Latin) and three-byte letters (CJK, Georgian), mixed widths, stems
 * ending before, at and past 16 bytes (longer words), numbers, words opening with a digit,
 * brands, negators, handles, links, emoticons. */
static const char *const rich_words[] = {
    "Сбербанк", "МТС", "Билайн", "united", "@AmericanAir", "ВТБ", "не", "нет", "not",
    "работает", "превосходнейшими", "высококвалифицированный", "ужасно", "ок", "я",
    "great", "internationalization", "ok", "a", "delayed", "flight",
    "καλημέρα", "ευχαριστώ", "café", "naïve", "überraschend", "sehr",
    "服务很好", "非常糟糕的服务", "გამარჯობა", "ძალიან",
    "4g", "2gis", "100500", "3", "42x", "a1b2c3d4e5f6g7h8",
    "@user", "https://t.co/AbC", "www.example.com", ",", ".", "!", "?", "(", ")", "))", "((",
    ":)", "😡", "👍", "—", "«", "»", "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"};

typedef struct feat_set {
    char **f;
    size_t n, cap;
} feat_set_t;

static void feat_collect(void *ctx, const char *f, size_t len)
{
    feat_set_t *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->f = realloc(s->f, s->cap * sizeof *s->f);
    }
    s->f[s->n] = malloc(len + 1);
    memcpy(s->f[s->n], f, len);
    s->f[s->n][len] = 0;
    s->n++;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A rules dir in dir: the shipped brands, lexicons and policy (symlinks) and model/m.yaml. */
static int model_dir(const char *dir, const char *model)
{
    const char *const parts[] = {"brands", "lexicon", "policy.yaml"};
    char p[4096], q[4096];
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "rules/%s", parts[i]);
        snprintf(q, sizeof q, "%s/%s", dir, parts[i]);
        char *abs = realpath(p, NULL);
        unlink(q);
        if (!abs || symlink(abs, q) < 0) {
            free(abs);
            return -1;
        }
        free(abs);
    }
    snprintf(p, sizeof p, "%s/model", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/model/m.yaml", dir);
    FILE *f = fopen(p, "w");
    if (!f)
        return -1;
    fputs(model, f);
    fclose(f);
    return 0;
}

static void model_dir_remove(const char *dir)
{
    const char *const parts[] = {"brands", "lexicon", "policy.yaml", "model/m.yaml", "model"};
    char p[4096];
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, parts[i]);
        if (i == 4)
            rmdir(p);
        else
            unlink(p);
    }
    rmdir(dir);
}

/* For several stems and scopes: a model holding every feature that extraction gives on random
 * texts of rich_words (so that nearly every lookup is a hit, and a wrong hash or a wrong stem
 * end would show), with weights of different sizes; the scorer's sums must equal the sums of
 * the extracted strings' weights on those texts and on new ones. */
TEST(every_feature_model_same_sums)
{
    static const struct { int stem; const char *scope; } cfg[] = {
        {3, "text"}, {5, "text"}, {8, "text"}, {12, "text"}, {5, "sentence"}, {8, "clause"},
        {6, "sentence"}};
    const size_t nw = sizeof rich_words / sizeof *rich_words;
    char dir[] = "/tmp/bp-learned-all-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    bp_buf_t y = BP_BUF_INIT(1 << 24);
    for (size_t c = 0; c < sizeof cfg / sizeof *cfg; c++) {
        /* 1: the features of the texts, under a model of one feature with these options */
        bp_buf_reset(&y);
        bp_buf_printf(&y, "model: sentiment\nlanguage: ru\nstem: %d\nscope: %s\nblend: 1.5\n"
                      "bias: 0.25\nfeatures:\n  - \"x\": 1\n", cfg[c].stem, cfg[c].scope);
        bp_buf_putc(&y, 0);
        CHECK_INT(model_dir(dir, y.data), 0);
        bp_rules_t *r = bp_rules_load(dir, NULL);
        CHECK(r != NULL);
        if (!r)
            break;
        bp_engine_t *e = bp_engine_new(r);
        feat_set_t fs = {0};
        uint32_t seed = 977 + (uint32_t)c;
        char text[2048];
        for (int it = 0; it < 600; it++) {
            size_t len = random_text(&seed, rich_words, nw, 30, 1, text, sizeof text);
            if (bp_engine_run(e, text, len, "ru", 0, NULL, NULL) != 0 || !e->res.model)
                continue;
            for (size_t i = 0; i < e->res.nbs; i++)
                bp_learned_features(e, &e->res.model->opts, e->res.bs[i].brand, feat_collect,
                                    &fs);
        }
        bp_engine_free(e);
        /* 2: the model of them all (those in normalized form: the loader takes only those) */
        qsort(fs.f, fs.n, sizeof *fs.f, str_cmp);
        bp_buf_reset(&y);
        bp_buf_printf(&y, "model: sentiment\nlanguage: ru\nstem: %d\nscope: %s\nblend: 1.5\n"
                      "bias: 0.25\nfeatures:\n", cfg[c].stem, cfg[c].scope);
        size_t kept = 0;
        for (size_t i = 0; i < fs.n; i++) {
            char *nf = bp_normalize_cstr(fs.f[i], &r->nopts);
            if ((i == 0 || strcmp(fs.f[i], fs.f[i - 1]) != 0) && nf && strcmp(nf, fs.f[i]) == 0 &&
                !strchr(fs.f[i], '"') && !strchr(fs.f[i], '\\')) {
                bp_buf_printf(&y, "  - \"%s\": %g\n", fs.f[i],
                              ((double)(kept * 7919 % 2001) - 1000) / 997.0);
                kept++;
            }
            free(nf);
        }
        bp_buf_putc(&y, 0);
        for (size_t i = 0; i < fs.n; i++)
            free(fs.f[i]);
        free(fs.f);
        bp_rules_free(r);
        CHECK(kept > 200);
        CHECK_INT(model_dir(dir, y.data), 0);
        bp_buf_t errs = BP_BUF_INIT(1 << 16);
        r = bp_rules_load(dir, &errs);
        if (!r)
            fprintf(stderr, "    %s\n", errs.data ? errs.data : "?");
        bp_buf_free(&errs);
        CHECK(r != NULL);
        if (!r)
            break;
        CHECK_INT(r->models[0].n, kept);
        /* 3: the same texts (every feature known), then new ones */
        e = bp_engine_new(r);
        int checked = 0, bad = 0;
        size_t known = 0, all = 0;
        for (int round = 0; round < 2; round++) {
            seed = round ? 31337 + (uint32_t)c : 977 + (uint32_t)c;
            for (int it = 0; it < 600; it++) {
                size_t len = random_text(&seed, rich_words, nw, 30, 1, text, sizeof text);
                if (bp_engine_run(e, text, len, "ru", 0, NULL, NULL) != 0 || !e->res.model)
                    continue;
                for (size_t i = 0; i < e->res.nbs; i++) {
                    double sum, want = learned_from_features(e, i, &sum);
                    checked++;
                    all++;
                    known += sum != 0;
                    if (fabs(e->res.bs[i].learned - want) >= 1e-9 && !bad++)
                        fprintf(stderr, "    stem %d, scope %s: learned %.17g, the features' "
                                "sum %.17g, in \"%s\"\n", cfg[c].stem, cfg[c].scope,
                                e->res.bs[i].learned, want, text);
                }
            }
        }
        CHECK_INT(bad, 0);
        CHECK(checked > 400);
        CHECK(known > all * 9 / 10);
        bp_engine_free(e);
        bp_rules_free(r);
    }
    bp_buf_free(&y);
    model_dir_remove(dir);
}

TEST(explain_shows_learned)
{
    bp_buf_t out = BP_BUF_INIT(1 << 20);
    const char *t = "Сбербанк не работает";
    CHECK_INT(bp_engine_explain(E, t, strlen(t), "ru", 0, NULL, &out), 0);
    CHECK(out.data && strstr(out.data, "    learned \u00abне работ\u00bb: -1.5\n") != NULL);
    CHECK(out.data && strstr(out.data, "    learned \u00ab!работ\u00bb: -0.5\n") != NULL);
    CHECK(out.data && strstr(out.data, "learned sum = bias 0.125 + features -2.25, x blend 2 = "
                                       "-4.25\n") != NULL);
    CHECK(out.data && strstr(out.data, "    sberbank = lexicon 0 + learned -4.25 = -4.25\n"));
    /* the learned lines sit in the score section, before the brands */
    const char *sc = out.data ? strstr(out.data, "\nscore\n") : NULL;
    const char *le = out.data ? strstr(out.data, "learned \u00ab") : NULL;
    const char *br = out.data ? strstr(out.data, "\nbrands\n") : NULL;
    CHECK(sc && le && br && sc < le && le < br);
    CHECK(out.data && strstr(out.data, "  sberbank: -4.25 (negative)\n"));
    bp_buf_free(&out);
}

int main(void)
{
    bp_buf_t errs = BP_BUF_INIT(0);
    R = bp_rules_load(GOOD, &errs);
    if (!R) {
        fprintf(stderr, "cannot load %s: %s\n", GOOD, errs.data ? errs.data : "");
        return 1;
    }
    bp_buf_free(&errs);
    E = bp_engine_new(R);
    RUN(exact_features);
    RUN(negation_window);
    RUN(folding_reaches_features);
    RUN(per_brand_windows);
    RUN(stems_of_every_width);
    RUN(loads_good_model);
    RUN(broken_models);
    RUN(score_arithmetic);
    RUN(explain_shows_learned);
    RUN(shared_features_same_sums);
    RUN(random_texts_same_sums);
    RUN(every_feature_model_same_sums);
    if (made) {
        char p[256];
        snprintf(p, sizeof p, "%s/model/m.yaml", dir);
        unlink(p);
        snprintf(p, sizeof p, "%s/model", dir);
        rmdir(p);
        rmdir(dir);
    }
    bp_engine_free(E);
    bp_rules_free(R);
    return test_summary();
}
