/* test_engine_raw.c — bp_engine_judge_raw (the mention spliced into the post's own bytes)
 * and bp_engine_judge_view (the same from a one-pass view of the record, no json_t)
 * against bp_engine_judge (the json_t path): same verdict, same fields and values, a valid
 * JSON object without duplicate keys; byte for byte the same when the record is what
 * bp_json_dump writes. Over the default rule pack with the demo posts and a few hundred
 * generated posts (escapes, emoji, control characters, odd spacing, mention fields already
 * present). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "postview.h"
#include "ruleset.h"
#include "test.h"

static bp_rules_t *R;
static bp_engine_t *E;
static int n_judged, n_mentions, n_spliced, n_viewed;

/* A small deterministic generator (the same posts every run). */
static unsigned long long rng_state = 88172645463325252ULL;
static unsigned rng(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

/* The mention's text up to its filtered_at field (whose value is the clock's). */
static size_t upto_filtered_at(const char *s)
{
    const char *p = strstr(s, ",\"filtered_at\":\"");
    return p ? (size_t)(p - s) : strlen(s);
}

/* Judges raw both ways and compares. canonical: raw is bp_json_dump's spelling of the post,
 * so the spliced mention must equal the dumped one byte for byte (filtered_at aside). */
static void compare_one(const char *raw, int canonical)
{
    char err[512] = "";
    json_t *post = bp_post_parse(raw, strlen(raw), err, sizeof err);
    CHECK(post != NULL);
    if (!post) {
        fprintf(stderr, "    not a post (%s): %.200s\n", err, raw);
        return;
    }
    n_judged++;
    json_t *m = NULL;
    char e1[256] = "", e2[256] = "";
    int rc1 = bp_engine_judge(E, post, &m, e1, sizeof e1);
    bp_buf_t out = BP_BUF_INIT(0);
    int alert = -1;
    int rc2 = bp_engine_judge_raw(E, post, raw, strlen(raw), &out, &alert, e2, sizeof e2);
    CHECK_INT(rc2, rc1);
    if (rc1 == 1 && rc2 == 1) {
        n_mentions++;
        json_error_t je;
        json_t *got = json_loadb(out.data, out.len, JSON_REJECT_DUPLICATES, &je);
        CHECK(got != NULL && json_is_object(got));
        CHECK(memchr(out.data, '\n', out.len) == NULL);
        if (got) {
            CHECK(json_is_string(json_object_get(got, "filtered_at")));
            CHECK(json_is_string(json_object_get(m, "filtered_at")));
            CHECK_INT(alert, json_is_true(json_object_get(m, "alert")));
            json_object_del(got, "filtered_at");
            json_t *want = json_deep_copy(m);
            json_object_del(want, "filtered_at");
            int same = json_equal(got, want);
            CHECK(same);
            if (!same) {
                char *a = bp_json_dump(want);
                fprintf(stderr, "    want %s\n    got  %s\n", a, out.data);
                free(a);
            }
            json_decref(want);
            json_decref(got);
        } else {
            fprintf(stderr, "    not JSON (%s): %s\n", je.text, out.data);
        }
        /* spliced: the record's bytes (without its '}') open the mention */
        size_t rl = strlen(raw);
        while (rl && (raw[rl - 1] == ' ' || raw[rl - 1] == '}'))
            rl--;
        if (out.len > rl && memcmp(out.data, raw, rl) == 0)
            n_spliced++;
        if (canonical) {
            char *js = bp_json_dump(m);
            size_t a = upto_filtered_at(js), b = upto_filtered_at(out.data);
            CHECK(a == b && memcmp(js, out.data, a) == 0);
            if (!(a == b && memcmp(js, out.data, a) == 0))
                fprintf(stderr, "    want %s\n    got  %s\n", js, out.data);
            free(js);
        }
    } else if (rc2 != 1) {
        CHECK_INT(out.len, 0);
    }
    /* the one-pass view (bp-filter's path): the same bytes as judge_raw, filtered_at aside */
    bp_post_view_t v;
    bp_post_view_init(&v);
    if (bp_post_view_scan(&v, raw, strlen(raw)) == 1) {
        n_viewed++;
        bp_buf_t vout = BP_BUF_INIT(0);
        int valert = -1;
        char e3[256] = "";
        int rc3 = bp_engine_judge_view(E, &v, raw, strlen(raw), &vout, &valert, e3, sizeof e3);
        CHECK_INT(rc3, rc2);
        if (rc3 == 1 && rc2 == 1) {
            size_t a = upto_filtered_at(out.data), b = upto_filtered_at(vout.data);
            int same = a == b && memcmp(out.data, vout.data, a) == 0;
            CHECK(same);
            if (!same)
                fprintf(stderr, "    raw  %s\n    view %s\n", out.data, vout.data);
            CHECK_INT(valert, alert);
            /* the accessors agree with the mention's brands and alert_brands */
            json_t *ab = json_object_get(m, "alert_brands"), *bs = json_object_get(m, "brands");
            size_t i = 0;
            int alerted;
            for (const char *id; (id = bp_engine_mention_brand(E, i, &alerted)); i++) {
                CHECK_STR(id, json_string_value(json_array_get(bs, i)));
                int listed = 0;
                for (size_t k = 0; k < json_array_size(ab); k++)
                    listed |= strcmp(json_string_value(json_array_get(ab, k)), id) == 0;
                CHECK_INT(alerted, listed);
            }
            CHECK_INT(i, json_array_size(bs));
            CHECK_STR(bp_engine_mention_priority(E), json_string_value(json_object_get(m, "priority")));
        } else if (rc3 != 1) {
            CHECK_INT(vout.len, 0);
        }
        bp_buf_free(&vout);
    }
    bp_post_view_free(&v);
    json_decref(m);
    json_decref(post);
    bp_buf_free(&out);
}

TEST(demo_posts)
{
    FILE *f = fopen("demo/posts.jsonl", "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int before = n_mentions;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n)
            compare_one(line, 0);
    }
    free(line);
    fclose(f);
    CHECK(n_mentions - before >= 10);
}

/* Pieces of generated texts: brand examples of the pack, lexicon terms, and characters JSON
 * must escape or carry as they are. */
static const char *const extras[] = {
    "\"в кавычках\"", "back\\slash", "line\nbreak", "tab\there", "\x01\x02\x1f control",
    "emoji 😡🤬👍", "«ёлки»", "ненавижу!!!", "очень плохо", "не плохо", "СПАСИБО", "😊",
    "\xe2\x80\xa8 sep", "/slash/", "\x7f del", "мошенники украли деньги с карты", "терпеть не могу",
    "worst service ever", "thanks!", "Ґ ї є", ""};

static void add_piece(json_t *a, const char *s) { json_array_append_new(a, json_string(s)); }

/* A generated post text of a few pieces joined by spaces. */
static char *gen_text(void)
{
    json_t *pieces = json_array();
    int k = 1 + (int)rng(4);
    for (int i = 0; i < k; i++) {
        unsigned pick = rng(3);
        if (pick == 0 && R->nbrands) {
            const bp_brand_t *b = &R->brands[rng((unsigned)R->nbrands)];
            if (b->nexamples)
                add_piece(pieces, b->examples[rng((unsigned)b->nexamples)].text);
            else
                add_piece(pieces, b->id);
        } else if (pick == 1 && R->nlex) {
            const bp_lexicon_t *l = &R->lex[rng((unsigned)R->nlex)];
            if (l->nexamples)
                add_piece(pieces, l->examples[rng((unsigned)l->nexamples)].text);
        } else {
            add_piece(pieces, extras[rng(sizeof extras / sizeof extras[0])]);
        }
    }
    bp_buf_t b = BP_BUF_INIT(0);
    size_t i;
    json_t *v;
    json_array_foreach(pieces, i, v)
    {
        if (i)
            bp_buf_putc(&b, ' ');
        bp_buf_puts(&b, json_string_value(v));
    }
    json_decref(pieces);
    return bp_buf_steal(&b);
}

static json_t *gen_post(int i)
{
    char id[32];
    snprintf(id, sizeof id, "gen:%d", i);
    char *text = gen_text();
    json_t *p = json_object();
    if (rng(2)) /* key order varies */
        json_object_set_new(p, "text", json_string(text));
    json_object_set_new(p, "id", json_string(id));
    json_object_set_new(p, "source", json_string(rng(2) ? "vk" : "tg\"quoted\\"));
    json_object_set_new(p, "text", json_string(text));
    free(text);
    if (rng(2))
        json_object_set_new(p, "author",
                            json_pack("{s:s, s:I, s:s}", "id", "vk:1", "followers",
                                      (json_int_t)(rng(3) ? rng(1000) : 250000), "name",
                                      "Имя \"Фамилия\" 😀"));
    if (rng(2))
        json_object_set_new(p, "lang", json_string(rng(2) ? "ru" : "en"));
    if (rng(3) == 0)
        json_object_set_new(p, "metrics", json_pack("{s:f, s:[i, n, b], s:{}}", "ratio", 0.1,
                                                    "list", 3, 1, "empty"));
    if (rng(4) == 0)
        json_object_set_new(p, "published_at", json_string("2026-11-22T06:37:13Z"));
    return p;
}

/* The fields of a mention, as a post fed back in would carry them. */
static void add_mention_fields(json_t *p)
{
    static const char *const keys[] = {"brands", "matches", "sentiment", "brand_sentiment",
                                       "alert", "alert_brands", "priority", "reasons",
                                       "rules_version", "filtered_at"};
    const char *k = keys[rng(10)];
    json_object_set_new(p, k, json_pack("[s]", "old"));
    if (rng(2))
        json_object_set_new(p, "alert", json_true());
}

TEST(generated_posts)
{
    int before = n_mentions, spliced = n_spliced;
    for (int i = 0; i < 400; i++) {
        json_t *p = gen_post(i);
        int feedback = i % 10 == 9;
        if (feedback)
            add_mention_fields(p);
        char *raw = bp_json_dump(p);
        compare_one(raw, 1);
        free(raw);
        json_decref(p);
    }
    CHECK(n_mentions - before >= 100);
    CHECK(n_spliced - spliced >= 80); /* most go through the splice, not the fallback */
}

/* Records spelled differently from bp_json_dump: spaces, escapes jansson would not write,
 * numbers in other forms, a record spread over lines (falls back), mention fields present. */
TEST(odd_spellings)
{
    static const char *const recs[] = {
        "{ \"id\" : \"o:1\" , \"source\" : \"x\" , \"text\" : \"Сбербанк \\u043e\\u043f\\u044f\\u0442\\u044c "
        "\\u0443\\u0436\\u0430\\u0441 \\ud83d\\ude21\" }  ",
        "{\"id\":\"o:2\",\"source\":\"x\",\"text\":\"\\/Сбербанк\\/ \\b\\f\\r\\t \\u0001 ужасно\","
        "\"n\":1.5e3,\"m\":-0.0,\"big\":12345678901234}",
        "{\"id\":\"o:3\",\n\"source\":\"x\",\"text\":\"Сбербанк ужасно\"}",
        "{\"id\":\"o:4\",\"source\":\"x\",\"text\":\"Сбербанк ужасно\",\"brands\":[\"x\"],"
        "\"alert\":true,\"filtered_at\":\"2020-01-01T00:00:00Z\"}",
        "\t{\"id\":\"o:5\",\"source\":\"x\",\"text\":\"Тинькофф заблокировали карту, мошенники "
        "украли деньги\",\"author\":{\"id\":\"a\",\"followers\":1000000}}\t",
        "{\"text\":\"Билайн лучше МТС\",\"id\":\"o:6\",\"source\":\"x\",\"rules_version\":\"old\"}",
        "{\"id\":\"o:7\",\"source\":\"x\",\"text\":\"ничего про банки\"}",
    };
    int before = n_mentions;
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++)
        compare_one(recs[i], 0);
    CHECK(n_mentions - before >= 5);
}

/* Rule strings JSON must escape (a pattern with a quote, a backslash, a control character)
 * come out escaped as jansson escapes them. */
TEST(escaped_rule_strings)
{
    char dir[] = "/tmp/bp-test-engine-raw.XXXXXX", path[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/brands", dir);
    CHECK(mkdir(path, 0700) == 0);
    snprintf(path, sizeof path, "%s/brands/esc.yaml", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("brand: esc\ndisplay: Esc\ncategory: other\nvariants: [escbrand]\n"
          "patterns:\n  - 'q\"uote\\w*'\n  - 'back\\\\slash'\n  - \"ctl(?:\\x1f|\\t)?x\"\n",
          f);
    fclose(f);
    bp_buf_t errs = BP_BUF_INIT(0);
    bp_rules_t *r = bp_rules_load(dir, &errs);
    CHECK(r != NULL);
    if (!r)
        fprintf(stderr, "    %s\n", errs.data ? errs.data : "");
    bp_buf_free(&errs);
    if (r) {
        bp_engine_t *save = E;
        E = bp_engine_new(r);
        int before = n_mentions;
        compare_one("{\"id\":\"e:1\",\"source\":\"x\",\"text\":\"q\\\"uotes back\\\\slash "
                    "c\\u001Ftl\\ttab ctlx\"}",
                    1);
        CHECK_INT(n_mentions - before, 1);
        bp_engine_free(E);
        E = save;
        bp_rules_free(r);
    }
    remove(path);
    snprintf(path, sizeof path, "%s/brands", dir);
    rmdir(path);
    rmdir(dir);
}

/* Judges text with the prefilter and without it (every regex over the whole text); checks
 * that both give the same verdict and mention. Returns 1 if there was a mention. */
static int same_with_every_regex(bp_engine_t *off, const char *text)
{
    json_t *post = json_pack("{s:s, s:s, s:s}", "id", "c:1", "source", "x", "text", text);
    json_t *m1 = NULL, *m2 = NULL;
    char err[256];
    int rc1 = bp_engine_judge(E, post, &m1, err, sizeof err);
    int rc2 = bp_engine_judge(off, post, &m2, err, sizeof err);
    CHECK_INT(rc1, rc2);
    int mention = m1 && m2;
    if (mention) {
        json_object_del(m1, "filtered_at");
        json_object_del(m2, "filtered_at");
        CHECK(json_equal(m1, m2));
        if (!json_equal(m1, m2)) {
            char *a = bp_json_dump(m1), *b = bp_json_dump(m2);
            fprintf(stderr, "    %s\n    prefilter: %s\n    every regex: %s\n", text, a, b);
            free(a);
            free(b);
        }
    }
    json_decref(m1);
    json_decref(m2);
    json_decref(post);
    return mention;
}

/* Patterns searched from their literal hits (bp_regex_lits_lead) find what a search of the
 * whole text finds: every example of the default pack (brands and lexicons, each after a
 * brand so that lexicon hits reach the mention), alone and two by two. */
TEST(pattern_anchors_agree_with_regexes)
{
    bp_engine_t *off = bp_engine_new(R);
    CHECK(off != NULL);
    if (!off)
        return;
    bp_engine_set_prefilter(off, 0);
    json_t *texts = json_array();
    for (size_t b = 0; b < R->nbrands; b++)
        for (size_t k = 0; k < R->brands[b].nexamples; k++)
            json_array_append_new(texts, json_string(R->brands[b].examples[k].text));
    for (size_t l = 0; l < R->nlex; l++)
        for (size_t k = 0; k < R->lex[l].nexamples; k++) {
            char t[2048];
            snprintf(t, sizeof t, "Сбербанк %s", R->lex[l].examples[k].text);
            json_array_append_new(texts, json_string(t));
        }
    size_t n = json_array_size(texts);
    int compared = 0, mentions = 0;
    for (size_t i = 0; i < n; i++) {
        char t[4096];
        snprintf(t, sizeof t, "%s", json_string_value(json_array_get(texts, i)));
        mentions += same_with_every_regex(off, t);
        snprintf(t, sizeof t, "%s. %s", json_string_value(json_array_get(texts, i)),
                 json_string_value(json_array_get(texts, rng((unsigned)n))));
        mentions += same_with_every_regex(off, t);
        compared += 2;
    }
    json_decref(texts);
    bp_engine_free(off);
    CHECK(compared >= 200);
    CHECK(mentions >= compared / 2);
}

/* Literal hits the engine verifies in C (one-word variants, with or without case endings)
 * find what the regexes find: every variant of the default pack, declined and decorated,
 * judged with the prefilter (C checks) and without it (every regex over the whole text). */
TEST(c_checks_agree_with_regexes)
{
    static const char *const endings[] = {"", "а", "у", "ом", "ами", "ы", "ов", "ой", "е", "и",
                                          "ю", "ях", "ь", "й", "ский", "x", "1", "ов!", "_"};
    static const char *const before[] = {"", "#", "@", "x", "не ", "«", "1"};
    int compared = 0, mentions = 0;
    bp_engine_t *off = bp_engine_new(R);
    CHECK(off != NULL);
    if (!off)
        return;
    bp_engine_set_prefilter(off, 0);
    for (size_t i = 0; i < R->nm; i++) {
        const bp_matcher_t *m = &R->m[i];
        if (m->kind != BP_MK_VARIANT || bp_regex_simple_kind(R, m) == 0)
            continue;
        for (int k = 0; k < 3; k++) {
            char text[1200];
            const char *t = m->term;
            snprintf(text, sizeof text, "%s%s%s все плохо, %s%s.", before[rng(7)], t,
                     endings[rng(19)], k == 2 ? "" : R->m[rng((unsigned)R->nm)].term,
                     endings[rng(19)]);
            json_t *post = json_pack("{s:s, s:s, s:s}", "id", "c:1", "source", "x", "text", text);
            json_t *m1 = NULL, *m2 = NULL;
            char err[256];
            int rc1 = bp_engine_judge(E, post, &m1, err, sizeof err);
            int rc2 = bp_engine_judge(off, post, &m2, err, sizeof err);
            CHECK_INT(rc1, rc2);
            if (m1 && m2) {
                json_object_del(m1, "filtered_at");
                json_object_del(m2, "filtered_at");
                CHECK(json_equal(m1, m2));
                if (!json_equal(m1, m2)) {
                    char *a = bp_json_dump(m1), *b = bp_json_dump(m2);
                    fprintf(stderr, "    %s\n    prefilter: %s\n    every regex: %s\n", text,
                            a, b);
                    free(a);
                    free(b);
                }
                mentions++;
            }
            compared++;
            json_decref(m1);
            json_decref(m2);
            json_decref(post);
        }
    }
    bp_engine_free(off);
    CHECK(compared >= 300);
    CHECK(mentions >= compared / 2);
}

/* The view path was compared on most posts (a record the scanner leaves to jansson, say with
 * an exponent in a number, is compared by the other two paths only). */
TEST(views_took_part)
{
    CHECK(n_viewed * 10 >= n_judged * 8);
}

/* Lexicon phrases the engine verifies in C (BP_SIMPLE_PHRASE) find what their regexes find:
 * every such phrase of the default pack with its words joined by one to four separators of
 * many kinds, glued to letters, digits, '_' and characters the C check does not know. */
TEST(phrase_checks_agree_with_regexes)
{
    static const char *const seps[] = {" ", "  ", ", ", "...", "_", "—", " - ", "    ", "",
                                       "\xC2\xA0", "\xF0\x9F\x98\xA1", "中", "1", "x"};
    static const char *const around[] = {"", " ", "x", "_", "1", "#", "中", "«", "ж"};
    bp_engine_t *off = bp_engine_new(R);
    CHECK(off != NULL);
    if (!off)
        return;
    bp_engine_set_prefilter(off, 0);
    int phrases = 0, compared = 0;
    for (size_t i = 0; i < R->nm; i++) {
        if ((E->mf[i] & BP_MF_SIMPLE) != BP_SIMPLE_PHRASE)
            continue;
        phrases++;
        for (int k = 0; k < 4; k++) {
            /* the term's words (split at spaces) with random separators */
            char text[1200] = "Сбербанк ", words[600];
            snprintf(words, sizeof words, "%s", R->m[i].term);
            strcat(text, around[rng(9)]);
            char *save = NULL;
            int first = 1;
            for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                if (!first)
                    strcat(text, k == 0 ? " " : seps[rng(14)]);
                first = 0;
                strncat(text, w, 100);
            }
            strcat(text, around[rng(9)]);
            strcat(text, " ok");
            same_with_every_regex(off, text);
            compared++;
        }
    }
    bp_engine_free(off);
    CHECK(phrases >= 50);
    CHECK(compared >= 200);
}

/* Brand terms of several words or segments that the engine verifies in C from their programs
 * (BP_SIMPLE_TERM) against their regexes, on the rules r that E judges with: each such variant,
 * each word declined or not, joined by separators of every kind the regex allows and some it
 * does not (too many, a dash, characters the C check does not know), glued to neighbours.
 * Adds to the counts; returns how many literal hits the C checks settled. */
static unsigned long term_checks_on(const bp_rules_t *r, int *terms, int *compared,
                                    int *mentions)
{
    static const char *const endings[] = {"", "", "а", "у", "ом", "ами", "ы", "ов", "е", "и",
                                          "ю", "ях", "й", "x", "1", "_", "ский"};
    static const char *const seps[] = {" ", " ", "", "-", "  ", "   ", "    ", " - ", "_", ".",
                                       "/", "+", "&", "'", "\xE2\x80\x99", "\xC2\xB7",
                                       "\xC2\xA0", "\t", "\xE2\x80\x94", "\xE4\xB8\xAD",
                                       ",", "1"};
    static const char *const around[] = {"", " ", "x", "_", "1", "#", "@", "\xE4\xB8\xAD", "«",
                                         "ж"};
    bp_engine_t *off = bp_engine_new(r);
    CHECK(off != NULL);
    if (!off)
        return 0;
    bp_engine_set_prefilter(off, 0);
    unsigned long decided = E->c_decided;
    for (size_t i = 0; i < r->nm; i++) {
        if ((E->mf[i] & BP_MF_SIMPLE) != BP_SIMPLE_TERM)
            continue;
        (*terms)++;
        for (int k = 0; k < 6; k++) {
            /* the term's words (split at spaces and dashes), declined, with separators */
            char text[1200] = "ну ", words[600];
            snprintf(words, sizeof words, "%s", r->m[i].term);
            size_t wl = strlen(words);
            if (wl && (words[wl - 1] == '*' || words[wl - 1] == '!'))
                words[wl - 1] = '\0'; /* the term's mark, not its text */
            strcat(text, around[rng(10)]);
            char *save = NULL;
            int first = 1;
            for (char *w = strtok_r(words, " -", &save); w; w = strtok_r(NULL, " -", &save)) {
                if (!first)
                    strcat(text, k == 0 ? " " : seps[rng(22)]);
                first = 0;
                strncat(text, w, 100);
                strcat(text, k == 0 ? "" : endings[rng(17)]);
            }
            strcat(text, around[rng(10)]);
            strcat(text, " плохо");
            *mentions += same_with_every_regex(off, text);
            (*compared)++;
        }
    }
    bp_engine_free(off);
    return E->c_decided - decided;
}

TEST(term_checks_agree_with_regexes)
{
    int terms = 0, compared = 0, mentions = 0;
    unsigned long decided = term_checks_on(R, &terms, &compared, &mentions);
    CHECK(terms >= 30);
    CHECK(mentions >= compared / 5); /* the plain spellings and some declined ones */
    /* most literal hits were settled in C, not handed to PCRE2 */
    CHECK(decided >= (unsigned long)compared);
}

/* The same for the kinds the default pack lacks: several words with '*' (any continuation,
 * no endings) or '!' (as written), letters next to digits, a dash inside. */
TEST(term_checks_star_bang_digits)
{
    char dir[] = "/tmp/bp-test-term-checks.XXXXXX", path[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/brands", dir);
    CHECK(mkdir(path, 0700) == 0);
    snprintf(path, sizeof path, "%s/brands/t.yaml", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("brand: t\ndisplay: T\ncategory: other\n"
          "variants: ['сова банк*', 'мега фон!', 'тест24 банк', 'кака-маркет', 'ab cd*',\n"
          "           'зелёная лампа', 'quux 7 pay!']\n",
          f);
    fclose(f);
    bp_buf_t errs = BP_BUF_INIT(0);
    bp_rules_t *r = bp_rules_load(dir, &errs);
    CHECK(r != NULL);
    if (!r)
        fprintf(stderr, "    %s\n", errs.data ? errs.data : "");
    bp_buf_free(&errs);
    if (r) {
        bp_engine_t *save = E;
        E = bp_engine_new(r);
        int terms = 0, compared = 0, mentions = 0, star = 0;
        for (size_t i = 0; i < r->nm; i++)
            star += (E->mf[i] & BP_MF_SIMPLE) == BP_SIMPLE_TERM && r->m[i].prog &&
                    (r->m[i].prog[0] & BP_TERM_STAR);
        unsigned long decided = 0;
        for (int round = 0; round < 20; round++)
            decided += term_checks_on(r, &terms, &compared, &mentions);
        CHECK(terms >= 20 * 6);
        CHECK(star >= 2);
        CHECK(mentions >= compared / 12); /* glued neighbours and endings spoil most */
        CHECK(decided >= (unsigned long)compared / 3);
        bp_engine_free(E);
        E = save;
        bp_rules_free(r);
    }
    remove(path);
    snprintf(path, sizeof path, "%s/brands", dir);
    rmdir(path);
    rmdir(dir);
}

/* A mention that would pass the output buffer's cap: -1, nothing written; the same through a
 * view. */
TEST(output_cap)
{
    const char *raw = "{\"id\":\"c:1\",\"source\":\"x\",\"text\":\"Сбербанк ужасно\"}";
    char err[256] = "";
    json_t *post = bp_post_parse(raw, strlen(raw), err, sizeof err);
    CHECK(post != NULL);
    bp_buf_t out = BP_BUF_INIT(64);
    CHECK_INT(bp_engine_judge_raw(E, post, raw, strlen(raw), &out, NULL, err, sizeof err), -1);
    CHECK_INT(out.len, 0);
    CHECK(strstr(err, "exceeds") != NULL);
    bp_post_view_t v;
    bp_post_view_init(&v);
    CHECK_INT(bp_post_view_scan(&v, raw, strlen(raw)), 1);
    err[0] = 0;
    CHECK_INT(bp_engine_judge_view(E, &v, raw, strlen(raw), &out, NULL, err, sizeof err), -1);
    CHECK_INT(out.len, 0);
    CHECK(strstr(err, "exceeds") != NULL);
    bp_post_view_free(&v);
    bp_buf_free(&out);
    json_decref(post);
}

int main(void)
{
    bp_buf_t errs = BP_BUF_INIT(0);
    R = bp_rules_load("rules", &errs);
    if (!R) {
        fprintf(stderr, "cannot load rules/: %s\n", errs.data ? errs.data : "");
        return 1;
    }
    bp_buf_free(&errs);
    E = bp_engine_new(R);
    RUN(demo_posts);
    RUN(generated_posts);
    RUN(odd_spellings);
    RUN(escaped_rule_strings);
    RUN(c_checks_agree_with_regexes);
    RUN(pattern_anchors_agree_with_regexes);
    RUN(phrase_checks_agree_with_regexes);
    RUN(term_checks_agree_with_regexes);
    RUN(term_checks_star_bang_digits);
    RUN(output_cap);
    RUN(views_took_part);
    printf("judged %d posts, %d mentions, %d spliced, %d through a view\n", n_judged, n_mentions,
           n_spliced, n_viewed);
    bp_engine_free(E);
    bp_rules_free(R);
    return test_summary();
}
