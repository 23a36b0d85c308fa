/* test_normalize.c — unit tests of the text normalizer: every step, the offset map back to the
 * original bytes, invalid UTF-8, big inputs, idempotence, and the fast blocks (portable and
 * SSE2) against the general per-character step. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "normalize.h"
#include "test.h"
#include "utf8.h"

static bp_norm_t g_n;

static bp_norm_opts_t opts_all(void)
{
    bp_norm_opts_t o;
    bp_norm_opts_default(&o);
    o.digits_as_letters = 1;
    return o;
}

static bp_norm_opts_t opts_none(void)
{
    bp_norm_opts_t o = {0, 0, 0, 0};
    return o;
}

/* Normalizes the NUL-terminated s with o (NULL: defaults) into g_n; returns g_n.text. */
static const char *norm(const char *s, const bp_norm_opts_t *o)
{
    if (bp_normalize(&g_n, s, strlen(s), o) < 0)
        return NULL;
    return g_n.text;
}

/* The map invariants every normalization must keep: valid UTF-8 without NUL, map entries
 * inside the original, non-decreasing, each byte of a character mapped alike. Returns 1. */
static int map_ok(const bp_norm_t *n, size_t olen)
{
    if (bp_utf8_check(n->text, n->len) != n->len || strlen(n->text) != n->len)
        return 0;
    if (n->map[n->len] != olen || n->map_end[n->len] != olen)
        return 0;
    for (size_t i = 0; i < n->len; i++) {
        if (n->map[i] >= olen || n->map_end[i] <= n->map[i] || n->map_end[i] > olen)
            return 0;
        if (i && (n->map[i] < n->map[i - 1] || n->map_end[i] < n->map_end[i - 1]))
            return 0;
        if (i && n->map[i] < n->map_end[i - 1] && n->map[i] != n->map[i - 1])
            return 0; /* overlapping characters */
        if (((unsigned char)n->text[i] & 0xC0) == 0x80 &&
            (n->map[i] != n->map[i - 1] || n->map_end[i] != n->map_end[i - 1]))
            return 0;
    }
    return 1;
}

/* Finds needle in the normalized text of g_n and maps it back: [*oa, *ob). Returns 0, or -1
 * if the needle is not in the normalized text. */
static int span_of(const char *needle, size_t *oa, size_t *ob)
{
    const char *p = strstr(g_n.text, needle);
    if (!p)
        return -1;
    size_t a = (size_t)(p - g_n.text);
    bp_norm_span(&g_n, a, a + strlen(needle), oa, ob);
    return 0;
}

/* Where sub is in s: byte offsets [start, end), or [-1,-1). */
static long at_of(const char *s, const char *sub)
{
    const char *p = strstr(s, sub);
    return p ? (long)(p - s) : -1;
}

TEST(case_folding)
{
    CHECK_STR(norm("ПРИВАТБАНК Приват", NULL), "приватбанк приват");
    CHECK_STR(norm("ÉCOLE Über ÀÇ ÞÐ", NULL), "école über àç þð");
    CHECK_STR(norm("ŁÓDŹ ČESKÁ ĞŞİ", NULL), "łódź česká ğşi");
    CHECK_STR(norm("Straße ẞ STRASSE", NULL), "straße ß strasse");
    CHECK_STR(norm("ІЇЄҐ Ў Ђ Ѕ", NULL), "іїєґ ў ђ ѕ");
    CHECK_STR(norm("ΣΟΦΊΑ ΟΔΌΣ σοφός", NULL), "σοφία οδόσ σοφόσ");
    CHECK_STR(norm("KELVIN K µ", NULL), "kelvin k μ");
    CHECK_STR(norm("Ǆ, ǅ, Ȁ, Ḁ, Ẁ", NULL), "ǆ, ǆ, ȁ, ḁ, ẁ");
    CHECK_STR(norm("ὈΔΥΣΣΕΎΣ", NULL), "ὀδυσσεύσ");
}

TEST(yo_and_ukrainian)
{
    CHECK_STR(norm("Ёлка ёжик ЕЩЁ", NULL), "елка ежик еще");
    CHECK_STR(norm("Їжак їсть і є ґанок", NULL), "їжак їсть і є ґанок");
    CHECK_STR(norm("Ѐ ѝ", NULL), "е и");
    CHECK_STR(norm("Прывітанне, ўсім", NULL), "прывітанне, ўсім");
}

TEST(fullwidth_and_styled)
{
    CHECK_STR(norm("ＰＲＩＶＡＴ！１２３", NULL), "privat!123");
    CHECK_STR(norm("𝐏𝐫𝐢𝐯𝐚𝐭 𝓟𝓻𝓲𝓿𝓪𝓽 𝟐𝟒", NULL), "privat privat 24");
    CHECK_STR(norm("ⓅⓇⒾⓋⒶⓉ ⓟⓡⓘⓥⓐⓣ", NULL), "privat privat");
    CHECK_STR(norm("ℙ𝕣𝕚𝕧𝕒𝕥 ℎ", NULL), "privat h");
}

TEST(removed_characters)
{
    CHECK_STR(norm("При\xE2\x80\x8Bват", NULL), "приват");       /* U+200B */
    CHECK_STR(norm("При\xC2\xADват", NULL), "приват");           /* soft hyphen */
    CHECK_STR(norm("При\xE2\x81\xA0ват", NULL), "приват");       /* U+2060 */
    CHECK_STR(norm("\xEF\xBB\xBFприват", NULL), "приват");       /* BOM */
    CHECK_STR(norm("\xE2\x80\xAEприват\xE2\x80\xAC", NULL), "приват"); /* bidi override */
    CHECK_STR(norm("при\x01в\x7F" "ат\x1B", NULL), "приват");    /* controls */
    CHECK_STR(norm("a\tb\nc\r\nd", NULL), "a\tb\nc\r\nd");       /* whitespace controls stay */
    CHECK_STR(norm("a\xC2\x85" "b", NULL), "a\nb");              /* NEL */
    /* every zero-width character of the list */
    static const char *zw[] = {"\xE2\x80\x8B", "\xE2\x80\x8C", "\xE2\x80\x8D", "\xE2\x80\x8E",
                               "\xE2\x80\x8F", "\xE2\x81\xA0", "\xE2\x81\xA1", "\xE2\x81\xA2",
                               "\xE2\x81\xA3", "\xE2\x81\xA4", "\xEF\xBB\xBF", "\xC2\xAD"};
    for (size_t i = 0; i < sizeof zw / sizeof zw[0]; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "ab%scd", zw[i]);
        CHECK_STR(norm(buf, NULL), "abcd");
    }
}

TEST(combining_marks)
{
    CHECK_STR(norm("и\xCC\x86", NULL), "й");                      /* и + U+0306 */
    CHECK_STR(norm("И\xCC\x86" "ТИ", NULL), "йти");
    CHECK_STR(norm("і\xCC\x88жак", NULL), "їжак");               /* і + U+0308 */
    CHECK_STR(norm("І\xCC\x88", NULL), "ї");
    CHECK_STR(norm("у\xCC\x86", NULL), "ў");
    CHECK_STR(norm("приве\xCC\x81т моло\xCC\x81ко", NULL), "привет молоко"); /* stress */
    CHECK_STR(norm("е\xCC\x88лка", NULL), "елка");               /* NFD ё */
    CHECK_STR(norm("cafe\xCC\x81 Cafe\xCC\x81", NULL), "café café");
    CHECK_STR(norm("e\xCC\x82\xCC\x81", NULL), "ế");             /* chained */
    CHECK_STR(norm("\xCC\x81" "abc", NULL), "abc");               /* mark at the start */
    CHECK_STR(norm("a\xCC\xB6" "b", NULL), "ab");                  /* no precomposed form */
    CHECK_STR(norm("пр\xD2\x83ивет", NULL), "привет");            /* Cyrillic titlo */
    CHECK_STR(norm("❤\xEF\xB8\x8F ok", NULL), "❤ ok");          /* variation selector */
    /* NFC and NFD spell the same */
    char *a = bp_normalize_cstr("Йогурт їжа", NULL);
    char *b = bp_normalize_cstr("И\xCC\x86огурт і\xCC\x88жа", NULL);
    CHECK_STR(a, b);
    free(a);
    free(b);
    /* the composed letter covers the base and the mark */
    CHECK_STR(norm("xи\xCC\x86y", &(bp_norm_opts_t){0, 0, 0, 0}), "xйy");
    CHECK_INT(g_n.map[1], 1);
    CHECK_INT(g_n.map_end[1], 5);
    CHECK_INT(g_n.map[3], 5);
}

TEST(typography)
{
    CHECK_STR(norm("a\xE2\x80\x94" "b \xE2\x80\x93 c\xE2\x88\x92" "d\xE2\x80\x90" "e", NULL),
              "a-b - c-d-e");
    CHECK_STR(norm("\xE2\x80\x9Cx\xE2\x80\x9D «y» \xE2\x80\x98z\xE2\x80\x99 \xE2\x80\x9Ew\xE2\x80\x9C",
                   NULL),
              "\"x\" \"y\" 'z' \"w\"");
    CHECK_STR(norm("п\xCA\xBCять м\xE2\x80\x99ясо", NULL), "п'ять м'ясо");
    CHECK_STR(norm("ab\xC2\xA0" "bc\xE2\x80\x89" "cd\xE3\x80\x80" "de\xE2\x80\xAF" "ef\xE2\x81\x9F" "fg",
                   NULL),
              "ab bc cd de ef fg");
    CHECK_STR(norm("a   b\n\n  c", NULL), "a   b\n\n  c"); /* runs are kept */
    CHECK_STR(norm("a\xE2\x80\xA8" "b", NULL), "a\nb");
}

TEST(lookalikes)
{
    CHECK_STR(norm("Пpивaт", NULL), "приват");              /* Latin p, a */
    CHECK_STR(norm("Grеаt", NULL), "great");                /* Cyrillic е, а */
    CHECK_STR(norm("ПРИВAТБАНК", NULL), "приватбанк");      /* Latin A */
    CHECK_STR(norm("ПPИBAT", NULL), "приват");              /* tie, Cyrillic has П, И */
    CHECK_STR(norm("ПPИBATБAHK", NULL), "приватбанк");
    CHECK_STR(norm("cоk", NULL), "cok");                    /* only look-alikes, tie: Latin */
    CHECK_STR(norm("ocoбo", NULL), "особо");                /* Latin majority but look-alikes */
    CHECK_STR(norm("мoлoкo", NULL), "молоко");
    CHECK_STR(norm("пpивiт", NULL), "привіт");              /* Latin i -> Ukrainian і */
    CHECK_STR(norm("Pіzza", NULL), "pizza");                /* Cyrillic і in a Latin word */
    CHECK_STR(norm("Gοοgle", NULL), "google");              /* Greek ο */
    CHECK_STR(norm("λoγος", NULL), "λογοσ");                /* Latin o in a Greek word */
    CHECK_STR(norm("һello", NULL), "hello");                /* Cyrillic shha */
    CHECK_STR(norm("privat приват Пpивaт24", NULL), "privat приват приват24");
    CHECK_STR(norm("Privatбank", NULL), "privatбank");       /* б has no Latin twin */
    /* off */
    bp_norm_opts_t o;
    bp_norm_opts_default(&o);
    o.fold_lookalikes = 0;
    CHECK_STR(norm("Пpивaт", &o), "пpивaт");
}

TEST(repeats)
{
    CHECK_STR(norm("ненавижууу", NULL), "ненавижу");
    CHECK_STR(norm("ооочень плохоооо!!!", NULL), "очень плохо!!!");
    CHECK_STR(norm("sooo good", NULL), "so good");
    CHECK_STR(norm("SoOoO", NULL), "so");
    CHECK_STR(norm("Ааа", NULL), "а");
    CHECK_STR(norm("аа ссора 1000 ...", NULL), "аа ссора 1000 ...");
    CHECK_STR(norm("у\xE2\x80\x8Bу\xE2\x80\x8Bу", NULL), "у");
    CHECK_STR(norm("ууух ууУх", NULL), "ух ух");
    bp_norm_opts_t o;
    bp_norm_opts_default(&o);
    o.collapse_repeats = 0;
    CHECK_STR(norm("ненавижууу", &o), "ненавижууу");
    /* the kept letter covers the whole run */
    const char *s = "я ненавижууу это";
    CHECK_STR(norm(s, NULL), "я ненавижу это");
    size_t oa, ob;
    CHECK(span_of("ненавижу", &oa, &ob) == 0);
    CHECK_INT(oa, at_of(s, "ненавижууу"));
    CHECK_INT(ob, at_of(s, "ненавижууу") + (long)strlen("ненавижууу"));
}

TEST(spaced_letters)
{
    CHECK_STR(norm("П р и в а т б а н к", NULL), "приватбанк");
    CHECK_STR(norm("P.R.I.V.A.T", NULL), "privat");
    CHECK_STR(norm("P.R.I.V.A.T.", NULL), "privat.");
    CHECK_STR(norm("п-р-и-в-е-т", NULL), "привет");
    CHECK_STR(norm("п_р_и_в, п*р*и*в, п·р·и·в, п р.и-в", NULL), "прив, прив, прив, прив");
    CHECK_STR(norm("п\xC2\xA0р\xC2\xA0и\xC2\xA0в, п\xE2\x80\x93р\xE2\x80\x93и\xE2\x80\x93в", NULL),
              "прив, прив");
    CHECK_STR(norm("я в шоке", NULL), "я в шоке");
    CHECK_STR(norm("и в с", NULL), "и в с");
    /* four one-letter words in a row are text, not a spaced-out word */
    CHECK_STR(norm("ну а я в к сожалению", NULL), "ну а я в к сожалению");
    CHECK_STR(norm("a i o a", NULL), "a i o a");
    CHECK_STR(norm("п  р  и  в", NULL), "п  р  и  в");       /* two separators */
    CHECK_STR(norm("П р и в a т", NULL), "приват");          /* Latin a, folded after joining */
    CHECK_STR(norm("с у п е е е р", NULL), "супер");         /* repeats collapse after joining */
    CHECK_STR(norm("Привет П р и в а т банк", NULL), "привет приват банк");
    CHECK_STR(norm("ааа б в г", NULL), "абвг");              /* ааа collapses to a single letter */
    bp_norm_opts_t o;
    bp_norm_opts_default(&o);
    o.join_spaced = 0;
    CHECK_STR(norm("П р и в а т", &o), "п р и в а т");
    /* the joined word maps to the whole spaced-out run */
    const char *s = "Это П р и в а т!";
    CHECK_STR(norm(s, NULL), "это приват!");
    size_t oa, ob;
    CHECK(span_of("приват", &oa, &ob) == 0);
    CHECK_INT(oa, at_of(s, "П р"));
    CHECK_INT(ob, at_of(s, "!"));
    CHECK(span_of("!", &oa, &ob) == 0);
    CHECK_INT(oa, at_of(s, "!"));
    CHECK_INT(ob, strlen(s));
}

TEST(digits_as_letters)
{
    bp_norm_opts_t o = opts_all();
    CHECK_STR(norm("пр1ват pr1vat прив4т ве4ер п0ка", &o), "приват privat приват вечер пока");
    CHECK_STR(norm("0бман 3вонил", &o), "обман звонил");
    CHECK_STR(norm("gr3at h4ck3r c0vid19", &o), "great hacker covid19");
    CHECK_STR(norm("прив@т $ber pr1v@t", &o), "приват $ber privat");
    CHECK_STR(norm("2024 год, приват24, iphone6, 4то, 100500руб, b2b", &o),
              "2024 год, приват24, iphone6, 4то, 100500руб, b2b");
    CHECK_STR(norm("Пp1вaт", &o), "приват");                 /* after look-alike folding */
    CHECK_STR(norm("п000ка", &o), "пока");                   /* then repeats */
    CHECK_STR(norm("user@mail", NULL), "user@mail");         /* off by default */
    CHECK_STR(norm("пр1ват", NULL), "пр1ват");
    /* a digit-mapped word keeps its offsets */
    const char *s = "ну пр1ват!";
    CHECK_STR(norm(s, &o), "ну приват!");
    size_t oa, ob;
    CHECK(span_of("приват", &oa, &ob) == 0);
    CHECK_INT(oa, at_of(s, "пр1"));
    CHECK_INT(ob, at_of(s, "!"));
}

TEST(offsets_lookalike_word)
{
    const char *s = "Пpивaт не работает";
    CHECK_STR(norm(s, NULL), "приват не работает");
    CHECK(map_ok(&g_n, strlen(s)));
    size_t oa, ob;
    bp_norm_span(&g_n, 0, strlen("приват"), &oa, &ob);
    CHECK_INT(oa, 0);
    CHECK_INT(ob, strlen("Пpивaт"));
    CHECK(span_of("не работает", &oa, &ob) == 0);
    CHECK_INT(oa, at_of(s, "не"));
    CHECK_INT(ob, strlen(s));
    /* one byte inside the word maps to its whole character */
    bp_norm_span(&g_n, 2, 3, &oa, &ob); /* the 'р' that was a Latin p */
    CHECK_INT(oa, 2);
    CHECK_INT(ob, 3);
    /* clamping and empty spans */
    bp_norm_span(&g_n, 1000, 2000, &oa, &ob);
    CHECK_INT(oa, strlen(s));
    CHECK_INT(ob, strlen(s));
    bp_norm_span(&g_n, 4, 4, &oa, &ob);
    CHECK_INT(oa, 3);
    CHECK_INT(ob, 3);
}

TEST(offsets_after_removed)
{
    const char *s = "\xE2\x80\x8B\xE2\x80\x8BПри\xE2\x80\x8Bват банк";
    CHECK_STR(norm(s, NULL), "приват банк");
    CHECK(map_ok(&g_n, strlen(s)));
    size_t oa, ob;
    CHECK(span_of("приват", &oa, &ob) == 0);
    CHECK_INT(oa, 6);
    CHECK_INT(ob, at_of(s, " банк"));
    CHECK(span_of("банк", &oa, &ob) == 0);
    CHECK_INT(oa, at_of(s, "банк"));
    CHECK_INT(ob, strlen(s));
    /* a mark belongs to the letter before it */
    const char *t = "моло\xCC\x81ко плохо";
    CHECK_STR(norm(t, NULL), "молоко плохо");
    CHECK(span_of("моло", &oa, &ob) == 0);
    CHECK_INT(oa, 0);
    CHECK_INT(ob, at_of(t, "ко"));
    CHECK(span_of("плохо", &oa, &ob) == 0);
    CHECK_INT(oa, at_of(t, "плохо"));
    CHECK_INT(ob, strlen(t));
}

TEST(invalid_utf8)
{
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"\xD0", 1, "\xEF\xBF\xBD"},                              /* truncated */
        {"a\xD0", 2, "a\xEF\xBF\xBD"},
        {"\xC0\xAF", 2, "\xEF\xBF\xBD\xEF\xBF\xBD"},              /* overlong '/' */
        {"\xE0\x80\xAF", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\x80x", 2, "\xEF\xBF\xBDx"},                            /* lone continuation */
        {"\xFF\xFE", 2, "\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\xED\xA0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* surrogate */
        {"\xF0\x9F\x98", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* truncated 4-byte */
        {"\xF4\x90\x80\x80", 4, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* > 10FFFF */
        {"При\xFFват", 13, "при\xEF\xBF\xBDват"},
        {"\xEF\xBF\xBE", 3, "\xEF\xBF\xBD"},                      /* U+FFFE */
        {"a\0b", 3, "ab"},                                        /* NUL is removed */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(bp_normalize(&g_n, cases[i].in, cases[i].len, NULL) == 0);
        CHECK_STR(g_n.text, cases[i].out);
        CHECK(map_ok(&g_n, cases[i].len));
    }
    /* each U+FFFD maps to its own byte */
    CHECK(bp_normalize(&g_n, "a\xC0\xAF" "b", 4, NULL) == 0);
    size_t oa, ob;
    bp_norm_span(&g_n, 1, 4, &oa, &ob);
    CHECK_INT(oa, 1);
    CHECK_INT(ob, 2);
    bp_norm_span(&g_n, 4, 7, &oa, &ob);
    CHECK_INT(oa, 2);
    CHECK_INT(ob, 3);
    bp_norm_span(&g_n, 7, 8, &oa, &ob);
    CHECK_INT(oa, 3);
    CHECK_INT(ob, 4);
}

TEST(empty_and_limits)
{
    CHECK(bp_normalize(&g_n, "", 0, NULL) == 0);
    CHECK_STR(g_n.text, "");
    CHECK_INT(g_n.len, 0);
    CHECK_INT(g_n.map[0], 0);
    CHECK(bp_normalize(&g_n, NULL, 0, NULL) == 0);
    CHECK_INT(g_n.len, 0);
    size_t oa = 9, ob = 9;
    bp_norm_span(&g_n, 0, 0, &oa, &ob);
    CHECK_INT(oa, 0);
    CHECK_INT(ob, 0);
    CHECK_STR(norm("\xE2\x80\x8B\xCC\x81", NULL), ""); /* only removed characters */
    CHECK_INT(g_n.map[0], 5);
    /* too long */
    size_t big = BP_NORM_MAX_LEN + 1;
    char *s = malloc(big);
    CHECK(s != NULL);
    if (s) {
        memset(s, 'a', big);
        CHECK(bp_normalize(&g_n, s, big, NULL) == -1);
        CHECK_INT(g_n.len, 0);
        CHECK_STR(g_n.text, "");
        free(s);
    }
    /* a fresh normalizer spans nothing */
    bp_norm_t f;
    bp_norm_init(&f);
    bp_norm_span(&f, 0, 3, &oa, &ob);
    CHECK_INT(oa, 0);
    CHECK_INT(ob, 0);
    bp_norm_free(&f);
    bp_norm_free(NULL);
}

/* Builds about len bytes of varied text: Cyrillic, look-alikes, repeats, spaced letters,
 * zero-width characters, invalid bytes. */
static char *big_text(size_t len, size_t *outlen)
{
    static const char *piece = "Пpивaт не работает!!! П р и в а т ооочень "
                               "пло\xE2\x80\x8Bхо \xFF ENGLISH sooo bad 2024 ";
    size_t pl = strlen(piece);
    char *s = malloc(len + pl + 1);
    if (!s)
        return NULL;
    size_t o = 0;
    while (o < len) {
        memcpy(s + o, piece, pl);
        o += pl;
    }
    s[o] = '\0';
    *outlen = o;
    return s;
}

TEST(one_megabyte)
{
    size_t len = 0;
    char *s = big_text(1 << 20, &len);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(bp_normalize(&g_n, s, len, NULL) == 0);
    CHECK(map_ok(&g_n, len));
    /* the last "bad" maps to the last "bad" of the original */
    const char *p = g_n.text, *last = NULL;
    while ((p = strstr(p, "so bad")) != NULL)
        last = p++;
    CHECK(last != NULL);
    if (last) {
        size_t a = (size_t)(last - g_n.text) + 3, oa, ob;
        bp_norm_span(&g_n, a, a + 3, &oa, &ob);
        CHECK(ob - oa == 3 && memcmp(s + oa, "bad", 3) == 0);
        CHECK(oa > len - 100);
    }
    /* idempotent */
    char *once = strdup(g_n.text);
    size_t once_len = g_n.len;
    CHECK(bp_normalize(&g_n, once, once_len, NULL) == 0);
    CHECK(g_n.len == once_len && memcmp(g_n.text, once, once_len) == 0);
    free(once);
    free(s);
}

/* Characters and words that straddle the 64 KiB steps the output is reserved in. */
TEST(chunk_boundaries)
{
    for (size_t shift = 0; shift < 4; shift++) {
        size_t n = ((size_t)64 << 10) - 2 + shift;
        char *s = malloc(n + 64);
        CHECK(s != NULL);
        if (!s)
            return;
        memset(s, 'x', n);
        strcpy(s + n, "\xE2\x80\x94ok \xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB0\xD1\x82");
        size_t len = strlen(s);
        CHECK(bp_normalize(&g_n, s, len, NULL) == 0);
        CHECK_STR(g_n.text, "x-ok приват");
        CHECK(map_ok(&g_n, len));
        size_t oa, ob;
        bp_norm_span(&g_n, 0, 1, &oa, &ob);
        CHECK_INT(oa, 0);
        CHECK_INT(ob, n);
        /* a long Cyrillic word over the boundary */
        for (size_t k = 0; k + 2 <= n; k += 2)
            memcpy(s + k, k % 4 ? "\xD0\xB1" : "\xD0\xB0", 2);
        s[n - n % 2] = '\0';
        len = strlen(s);
        CHECK(bp_normalize(&g_n, s, len, NULL) == 0);
        CHECK_INT(g_n.len, len);
        CHECK(memcmp(g_n.text, s, len) == 0);
        CHECK(map_ok(&g_n, len));
        free(s);
    }
}

TEST(buffers_reused)
{
    size_t len = 0;
    char *s = big_text(300, &len);
    CHECK(s != NULL);
    if (!s)
        return;
    bp_norm_t n;
    bp_norm_init(&n);
    CHECK(bp_normalize(&n, s, len, NULL) == 0);
    char *text = n.text;
    uint32_t *map = n.map;
    struct bp_norm_ch *work = n.work;
    for (int i = 0; i < 10; i++) {
        CHECK(bp_normalize(&n, s, len, NULL) == 0);
        CHECK(bp_normalize(&n, "короткий текст", strlen("короткий текст"), NULL) == 0);
    }
    CHECK(n.text == text && n.map == map && n.work == work);
    CHECK_STR(n.text, "короткий текст");
    bp_norm_free(&n);
    CHECK(n.text == NULL && n.cap == 0);
    free(s);
}

/* Strings that exercise every step, for idempotence. */
static const char *tricky[] = {
    "Пpивaт не работает", "ПPИBAT", "ocoбo", "П р и в а т б а н к", "P.R.I.V.A.T.",
    "ааа б в г", "а а а а б", "а а а а  б в г", "oоо x", "ненавижууу!!!", "с у п е е е р",
    "пр1ват 0бман прив4т 4 3 2", "x у z a", "Gοοgle λoγος", "и\xCC\x86 і\xCC\x88 е\xCC\x88",
    "\xFF\xC0\xAF\xED\xA0\x80", "ＰＲＩＶＡＴ 𝐏𝐫𝐢𝐯", "a\xE2\x80\x8B" "a\xE2\x80\x8B" "a", "1 2 3 4",
    "п р и $ в", "@ @ @ @", "a.b.c.d.e", "о о о о о", "Ь Ъ Ы Й", "ʼ ' ` ´", "vν v ν",
    "ҺӀ", "а-б-в-г-д", "user@mail.ru $100 10$", "a@b@c@d", "00000 0000a a0000",
};

TEST(idempotence)
{
    bp_norm_opts_t os[6];
    bp_norm_opts_default(&os[0]);
    os[1] = opts_all();
    os[2] = opts_none();
    os[3] = opts_none();
    os[3].fold_lookalikes = 1;
    os[4] = opts_none();
    os[4].join_spaced = 1;
    os[5] = opts_all();
    os[5].collapse_repeats = 0;
    bp_norm_t n2;
    bp_norm_init(&n2);
    for (size_t k = 0; k < sizeof os / sizeof os[0]; k++) {
        for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++) {
            CHECK(bp_normalize(&g_n, tricky[i], strlen(tricky[i]), &os[k]) == 0);
            CHECK(bp_normalize(&n2, g_n.text, g_n.len, &os[k]) == 0);
            if (strcmp(g_n.text, n2.text) != 0) {
                fprintf(stderr, "    not idempotent (opts %zu): \"%s\" -> \"%s\" -> \"%s\"\n", k,
                        tricky[i], g_n.text, n2.text);
                test_cur_failed = 1;
            }
        }
    }
    bp_norm_free(&n2);
}

/* Random texts from interesting pieces: no crash, maps consistent, idempotent. */
/* The letter counts of the CAPS test, as a plain decoder counts them (the score used to count
 * them itself; the normalizer now does on its way). */
static void ref_letters(const char *t, size_t len, size_t *up, size_t *low)
{
    *up = *low = 0;
    for (size_t i = 0; i < len;) {
        uint32_t c = bp_utf8_decode(t, len, &i);
        if ((c >= 'A' && c <= 'Z') || (c >= 0x400 && c <= 0x42F) || c == 0x490)
            (*up)++;
        else if ((c >= 'a' && c <= 'z') || (c >= 0x430 && c <= 0x45F) || c == 0x491)
            (*low)++;
    }
}

TEST(letter_counts_for_caps)
{
    static const char *texts[] = {
        "", "ПРИВАТБАНК НЕНАВИЖУ", "Приватбанк ненавижу!!!", "ABC def", "ЀЁЂЏ ѐёђџ Ґґ",
        "ПРИВЕЕЕТ sooo", "Пpивaт", "П р и в а т", "ＡＢ ａｂ", "\xD0\xFF\xD0 Я\xE2\x80 я",
        "ё\xCC\x88 Ё\xCC\x81", "Ωω ß ẞ 中", "\xD0",
    };
    bp_norm_opts_t o = opts_all();
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        size_t up, low;
        ref_letters(texts[k], strlen(texts[k]), &up, &low);
        for (int d = 0; d < 2; d++) {
            CHECK_INT(bp_normalize(&g_n, texts[k], strlen(texts[k]), d ? &o : NULL), 0);
            CHECK_INT(g_n.upper, up);
            CHECK_INT(g_n.lower, low);
        }
    }
}

TEST(random_texts)
{
    static const char *pieces[] = {
        "а", "б", "о", "О", "р", "и", "й", "a", "o", "p", "P", "x", "ο", "α", "1", "0", "4",
        "@", "$", " ", " ", ".", "-", "_", "*", "!", "\n", "\xE2\x80\x8B", "\xCC\x81",
        "\xCC\x86", "\xCC\x88", "\xFF", "\xD0", "\x80", "\xE2\x80", "\xF0\x9F\x98\x80", "ё",
        "Ё", "і", "ї", "ў", "ё\xCC\x88", "ＡＢ", "\xC2\xA0", "\xE2\x80\x94", "«", "ууу",
        "ооо", "\xEF\xB8\x8F", "中", "ß", "ẞ", "\x01", "\xC2\xAD",
    };
    const size_t np = sizeof pieces / sizeof pieces[0];
    bp_norm_opts_t os[4];
    bp_norm_opts_default(&os[0]);
    os[1] = opts_all();
    os[2] = opts_none();
    os[3] = opts_all();
    os[3].fold_lookalikes = 0;
    uint32_t seed = 12345;
    char buf[512];
    bp_norm_t n2;
    bp_norm_init(&n2);
    int bad_map = 0, bad_idem = 0, bad_count = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        size_t count = (seed >> 16) % 40;
        for (size_t j = 0; j < count; j++) {
            seed = seed * 1103515245u + 12345u;
            const char *p = pieces[(seed >> 16) % np];
            size_t pl = strlen(p);
            if (len + pl >= sizeof buf)
                break;
            memcpy(buf + len, p, pl);
            len += pl;
        }
        const bp_norm_opts_t *o = &os[iter % 4];
        if (bp_normalize(&g_n, buf, len, o) != 0 || !map_ok(&g_n, len)) {
            if (!bad_map++)
                fprintf(stderr, "    bad map for \"%.*s\"\n", (int)len, buf);
            continue;
        }
        size_t up, low;
        ref_letters(buf, len, &up, &low);
        if ((g_n.upper != up || g_n.lower != low) && !bad_count++)
            fprintf(stderr, "    letters counted %zu/%zu, not %zu/%zu, in \"%.*s\"\n", g_n.upper,
                    g_n.lower, up, low, (int)len, buf);
        if (bp_normalize(&n2, g_n.text, g_n.len, o) != 0 || strcmp(g_n.text, n2.text) != 0) {
            if (!bad_idem++)
                fprintf(stderr, "    not idempotent (opts %d): \"%.*s\" -> \"%s\" -> \"%s\"\n",
                        iter % 4, (int)len, buf, g_n.text, n2.text);
        }
    }
    CHECK_INT(bad_map, 0);
    CHECK_INT(bad_idem, 0);
    CHECK_INT(bad_count, 0);
    bp_norm_free(&n2);
}

/* The three inner loops of bp_normalize_path (the general step alone, the portable fast
 * blocks, the SSE2 ones) on s[0..len) with o: 1 if all give the same text, maps and counts;
 * else prints the first difference (what names the case). */
static int paths_agree(const char *s, size_t len, const bp_norm_opts_t *o, const char *what)
{
    static bp_norm_t n[3];
    for (int p = 0; p < 3; p++)
        if (bp_normalize_path(&n[p], s, len, o, p) != 0)
            return 0;
    for (int p = 1; p < 3; p++) {
        const char *diff = NULL;
        if (n[p].len != n[0].len || memcmp(n[p].text, n[0].text, n[0].len + 1) != 0)
            diff = "text";
        else if (memcmp(n[p].map, n[0].map, (n[0].len + 1) * sizeof *n[0].map) != 0)
            diff = "map";
        else if (memcmp(n[p].map_end, n[0].map_end, (n[0].len + 1) * sizeof *n[0].map_end))
            diff = "map_end";
        else if (n[p].upper != n[0].upper || n[p].lower != n[0].lower)
            diff = "letter counts";
        if (diff) {
            fprintf(stderr, "    %s: path %d differs in %s on \"%.*s\" -> \"%s\" (general \"%s\")\n",
                    what, p, diff, (int)len, s, n[p].text, n[0].text);
            return 0;
        }
    }
    return 1;
}

/* The fast blocks against the general step on random texts: pieces of every kind (plain and
 * capital ASCII, а-я, ё, і, capitals, Greek, fullwidth, marks, zero-width, repeats, spaced
 * letters, digits, '@', invalid bytes, emoji, newlines), long enough to span several 64-byte
 * blocks, shifted by 0..15 bytes so pairs and words straddle the 16- and 64-byte steps. */
TEST(fast_blocks_match_general)
{
    static const char *pieces[] = {
        "привет ", "мир", "ооо", "ууу ", "ё", "Ё", "і", "ї", "є", "ў", "ґ", "ѐ", "ѝ", "Привет",
        "ПРИВАТ", "hello ", "Hello", "sooo", "aaa", "ZZZ", "a", "b", "x", "о", "р", "е", "с",
        " ", " ", "  ", ".", "-", "_", "*", "!!!", ",", "\n", "\t", "\r\n", "1", "0", "4", "2024",
        "@", "$", "#fail", "https://t.co/x", "п р и в а т ", "P.R.I.V.A.T", "а а а а б ",
        "прив4т", "пр1ват", "0бман", "Gοοgle", "λoγος", "ｐｒｉｖａｔ", "\xE2\x80\x8B",
        "\xC2\xAD", "\xCC\x81", "\xCC\x86", "и\xCC\x86", "\xFF", "\xD0", "\xD1", "\x80",
        "\xE2\x80", "\xF0\x9F\x98\xA1", "«", "»", "—", "№", "\xC2\xA0", "中", "ß", "\x01", "\x7F",
        "ааааааааааааааааа", "xyxyxyx", "хахаха", "нн", "сс", "ll", "~",
    };
    const size_t np = sizeof pieces / sizeof pieces[0];
    bp_norm_opts_t os[5];
    bp_norm_opts_default(&os[0]);
    os[1] = opts_all();
    os[2] = opts_none();
    os[3] = opts_all();
    os[3].fold_lookalikes = 0;
    os[4] = os[0];
    os[4].join_spaced = 0;
    uint32_t seed = 777;
    char buf[1200];
    int bad = 0;
    for (int iter = 0; iter < 30000 && !bad; iter++) {
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        size_t shift = (seed >> 16) % 16, count = (seed >> 8) % 90;
        memset(buf, 'q', shift);
        len = shift;
        for (size_t j = 0; j < count; j++) {
            seed = seed * 1103515245u + 12345u;
            const char *p = pieces[(seed >> 16) % np];
            size_t pl = strlen(p);
            if (len + pl >= sizeof buf)
                break;
            memcpy(buf + len, p, pl);
            len += pl;
        }
        bad = !paths_agree(buf, len, &os[iter % 5], "random");
    }
    CHECK_INT(bad, 0);
}

/* Fixed texts moved across the block steps: a word whose repeat, a pair, ё, a single letter or
 * a spaced-out word sits on a 16- or 64-byte step; texts that end anywhere in a block. */
TEST(fast_block_edges)
{
    static const char *words[] = {
        "пооочень", "sooo", "ненавижууу!!!", "ё", "ёёё", "П р и в а т", "p r i v a t",
        "я в шоке", "Пpивaт", "ocoбo", "x у z a", "прив4т", "hello", "і", "а", "ааа",
        "\xD0\xB0\xCC\x81", "и\xCC\x86", "\xD1\x8F\xE2\x80\x8B\xD1\x8F\xE2\x80\x8B\xD1\x8F",
    };
    bp_norm_opts_t os[2];
    bp_norm_opts_default(&os[0]);
    os[1] = opts_all();
    char buf[300];
    int bad = 0;
    for (size_t w = 0; w < sizeof words / sizeof words[0] && !bad; w++) {
        for (size_t pre = 0; pre < 140 && !bad; pre++) {
            /* pre bytes of ASCII words or of Cyrillic letters (odd pre: one ASCII byte first) */
            size_t len = 0;
            if (pre % 4 < 2) {
                for (; len < pre; len++)
                    buf[len] = len % 7 == 6 ? ' ' : (char)('a' + len % 5);
            } else {
                if (pre % 2)
                    buf[len++] = ' ';
                while (len + 2 <= pre) {
                    memcpy(buf + len, len % 14 == 12 ? " \xD0" : "\xD0\xB1", 2);
                    if (buf[len] == ' ')
                        buf[len + 1] = ' ';
                    len += 2;
                }
            }
            buf[len++] = ' ';
            size_t wl = strlen(words[w]);
            memcpy(buf + len, words[w], wl);
            len += wl;
            for (int k = 0; k < 2 && !bad; k++) {
                bad = !paths_agree(buf, len, &os[k], "edge");
                /* and the same text cut at every length near its end */
                for (size_t cut = len > 8 ? len - 8 : 0; cut < len && !bad; cut++)
                    bad = !paths_agree(buf, cut, &os[k], "edge cut");
            }
        }
    }
    CHECK_INT(bad, 0);
    /* a few exact results with the word on a step */
    for (size_t pre = 58; pre < 70; pre++) {
        char t[200];
        for (size_t k = 0; k < pre; k++)
            t[k] = k % 2 ? 'b' : 'a';
        strcpy(t + pre, " пооочень П р и в а т ёлка");
        CHECK(bp_normalize(&g_n, t, strlen(t), NULL) == 0);
        CHECK(g_n.len > pre && strcmp(g_n.text + pre, " почень приват елка") == 0);
        CHECK(map_ok(&g_n, strlen(t)));
    }
}

/* The fast blocks on either side of the 64 KiB steps the output is reserved in. */
TEST(fast_blocks_over_chunks)
{
    size_t n = ((size_t)64 << 10) + 300;
    char *s = malloc(n);
    CHECK(s != NULL);
    if (!s)
        return;
    static const char piece[] = "привет мир ё hello ооо ";
    for (size_t off = 0; off < 3; off++) {
        size_t len = 0;
        memset(s, ' ', off);
        len = off;
        while (len + sizeof piece - 1 <= n) {
            memcpy(s + len, piece, sizeof piece - 1);
            len += sizeof piece - 1;
        }
        CHECK(paths_agree(s, len, NULL, "chunks"));
    }
    free(s);
}

TEST(cstr_and_fold_cp)
{
    char *s = bp_normalize_cstr("ПРИВАТ  Ёж", NULL);
    CHECK_STR(s, "приват  еж");
    free(s);
    CHECK(bp_normalize_cstr(NULL, NULL) == NULL);
    bp_norm_opts_t o = opts_none();
    s = bp_normalize_cstr("ооочень П р и в", &o);
    CHECK_STR(s, "ооочень п р и в");
    free(s);
    CHECK_INT(bp_norm_fold_cp('A'), 'a');
    CHECK_INT(bp_norm_fold_cp(0x401), 0x435);
    CHECK_INT(bp_norm_fold_cp(0x200B), 0);
    CHECK_INT(bp_norm_fold_cp(0x301), 0);
    CHECK_INT(bp_norm_fold_cp(0xFF21), 'a');
    CHECK_INT(bp_norm_fold_cp(0x2014), '-');
    CHECK_INT(bp_norm_fold_cp(0x1F600), 0x1F600);
}

TEST(word_characters)
{
    static const uint32_t yes[] = {'a', 'Z', '5', 0x436, 0x416, 0x456, 0x3B1, 0x4E2D, 0xDF,
                                   0x5D0, 0xFF21, 0x1D400, 0x1F00};
    static const uint32_t no[] = {' ', '_', '@', '$', '\'', '-', 0x2014, 0x1F600, 0x301,
                                  0x200B, 0xFFFD, 0xAB, 0x3000, 0xD7};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        CHECK(bp_norm_is_word_cp(yes[i]) == 1);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        CHECK(bp_norm_is_word_cp(no[i]) == 0);
    const char *s = "ab приват, 中!\xFF";
    size_t len = strlen(s);
    CHECK(bp_norm_word_at(s, len, 0) == 1);
    CHECK(bp_norm_word_at(s, len, 2) == 0);
    CHECK(bp_norm_word_at(s, len, 3) == 1);   /* п */
    CHECK(bp_norm_word_at(s, len, 4) == 0);   /* inside п: a continuation byte */
    CHECK(bp_norm_word_before(s, len, 15) == 1); /* after т */
    CHECK(bp_norm_word_at(s, len, 15) == 0);  /* ',' */
    CHECK(bp_norm_word_at(s, len, 17) == 1);  /* 中 */
    CHECK(bp_norm_word_before(s, len, 20) == 1);
    CHECK(bp_norm_word_before(s, len, 21) == 0); /* after '!' */
    CHECK(bp_norm_word_at(s, len, 21) == 0);  /* invalid byte */
    CHECK(bp_norm_word_before(s, len, 22) == 0);
    CHECK(bp_norm_word_before(s, len, 0) == 0);
    CHECK(bp_norm_word_at(s, len, len) == 0);
    CHECK(bp_norm_is_word_ascii('q') && bp_norm_is_word_ascii('7') && !bp_norm_is_word_ascii('@'));
    CHECK(!bp_norm_is_word_ascii('[') && !bp_norm_is_word_ascii(0xD0));
}

int main(void)
{
    bp_norm_init(&g_n);
    RUN(case_folding);
    RUN(yo_and_ukrainian);
    RUN(fullwidth_and_styled);
    RUN(removed_characters);
    RUN(combining_marks);
    RUN(typography);
    RUN(lookalikes);
    RUN(repeats);
    RUN(spaced_letters);
    RUN(digits_as_letters);
    RUN(offsets_lookalike_word);
    RUN(offsets_after_removed);
    RUN(invalid_utf8);
    RUN(empty_and_limits);
    RUN(one_megabyte);
    RUN(chunk_boundaries);
    RUN(buffers_reused);
    RUN(idempotence);
    RUN(letter_counts_for_caps);
    RUN(random_texts);
    RUN(fast_blocks_match_general);
    RUN(fast_block_edges);
    RUN(fast_blocks_over_chunks);
    RUN(cstr_and_fold_cp);
    RUN(word_characters);
    bp_norm_free(&g_n);
    return test_summary();
}
