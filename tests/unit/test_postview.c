/* test_postview.c — the one-pass post scanner: fields equal jansson's, every rejection rule of
 * bp_post_parse refused, and a differential test against bp_post_parse on generated records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "model.h"
#include "postview.h"
#include "test.h"

/* The record in a heap buffer exactly len bytes long (no NUL after it), so that ASan catches
 * any read past len. */
typedef struct rec {
    char *buf;
    size_t len;
} rec_t;

static rec_t rec_new(const char *s, size_t n)
{
    rec_t r = {malloc(n ? n : 1), n};
    if (r.buf && n)
        memcpy(r.buf, s, n);
    return r;
}

static void rec_free(rec_t *r)
{
    free(r->buf);
    r->buf = NULL;
}

/* 1 if sv is a string equal to the jansson string j, or both are "no string". */
static int sv_eq_json(bp_strv_t sv, const json_t *j)
{
    if (!json_is_string(j))
        return sv.s == NULL && sv.n == 0;
    return sv.s && sv.n == json_string_length(j) && memcmp(sv.s, json_string_value(j), sv.n) == 0;
}

/* 1 if sv equals bp_json_str's answer ("" when missing or not a string). */
static int sv_eq_cstr(bp_strv_t sv, const char *s)
{
    return sv.s && sv.n == strlen(s) && memcmp(sv.s, s, sv.n) == 0;
}

/* 1 if a time field's view matches: {NULL,0} when missing or null, else the same string. */
static int sv_eq_time(bp_strv_t sv, const json_t *j)
{
    if (!j || json_is_null(j))
        return sv.s == NULL && sv.n == 0;
    return sv_eq_json(sv, j);
}

/* Compares every view field with the jansson parse of the same record; names the first
 * field that differs in *what. Returns 1 if all agree. */
static int view_agrees(const bp_post_view_t *v, const rec_t *r, const json_t *post, const char **what)
{
    const json_t *author = json_object_get(post, "author");
    *what = "id";
    if (!sv_eq_json(v->id, json_object_get(post, "id")))
        return 0;
    *what = "source";
    if (!sv_eq_json(v->source, json_object_get(post, "source")))
        return 0;
    *what = "text";
    if (!sv_eq_json(v->text, json_object_get(post, "text")))
        return 0;
    *what = "lang";
    if (!sv_eq_cstr(v->lang, bp_json_str(post, "lang")))
        return 0;
    *what = "published_at";
    if (!sv_eq_time(v->published_at, json_object_get(post, "published_at")))
        return 0;
    *what = "collected_at";
    if (!sv_eq_time(v->collected_at, json_object_get(post, "collected_at")))
        return 0;
    *what = "author.id";
    if (!sv_eq_json(v->author_id, json_object_get(author, "id")))
        return 0;
    *what = "author.handle";
    if (!sv_eq_json(v->author_handle, json_object_get(author, "handle")))
        return 0;
    *what = "author.username";
    if (!sv_eq_json(v->author_username, json_object_get(author, "username")))
        return 0;
    *what = "author.followers";
    if (v->followers != bp_post_followers(post))
        return 0;
    *what = "keys";
    if (v->nkeys != json_object_size(post))
        return 0;
    size_t i = 0;
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)post, k, val) {
        if (!bp_strv_eq(v->keys[i], k) || !bp_post_view_has(v, k))
            return 0;
        i++;
    }
    *what = "braces";
    if (v->obj_open >= r->len || v->obj_close >= r->len || r->buf[v->obj_open] != '{' ||
        r->buf[v->obj_close] != '}' || v->obj_open >= v->obj_close)
        return 0;
    for (size_t j = v->obj_close + 1; j < r->len; j++)
        if (!strchr(" \t\r\n", r->buf[j]) || r->buf[j] == '\0')
            return 0;
    return 1;
}

/* Scans s (a C string, copied into an exact-length buffer) and checks the invariant: a 1 from
 * the scanner means bp_post_parse accepts it and all fields agree. Returns the scan result,
 * or -1 if the invariant broke. *parsed (if not NULL) tells whether bp_post_parse accepted. */
static int scan_check_n(bp_post_view_t *v, const char *s, size_t n, int *parsed)
{
    rec_t r = rec_new(s, n);
    char err[256];
    int rc = bp_post_view_scan(v, r.buf, r.len);
    json_t *post = bp_post_parse(r.buf, r.len, err, sizeof err);
    if (parsed)
        *parsed = post != NULL;
    if (rc == 1) {
        const char *what = "the record";
        if (!post || !view_agrees(v, &r, post, &what)) {
            fprintf(stderr, "    scanner said yes, jansson %s; differs at %s: %.*s\n",
                    post ? "agrees it is a post" : "refuses", what, (int)(n > 300 ? 300 : n), s);
            rc = -1;
        }
    }
    json_decref(post);
    rec_free(&r);
    return rc;
}

static int scan_check(bp_post_view_t *v, const char *s, int *parsed)
{
    return scan_check_n(v, s, strlen(s), parsed);
}

/* ---- field extraction ------------------------------------------------------------------- */

TEST(extracts_the_fields_of_a_design_post)
{
    bp_post_view_t v;
    bp_post_view_init(&v);
    const char *s =
        "{\"v\":1, \"id\":\"vk:wall-1234_5678\", \"source\":\"vk\", \"feed\":\"vk-privatbank\",\n"
        " \"url\":\"https://vk.com/wall-1234_5678\", \"kind\":\"post\",\n"
        " \"author\":{\"id\":\"vk:99\", \"name\":\"Иван\", \"followers\":15300, \"url\":\"x\"},\n"
        " \"text\":\"Приватбанк не работает\", \"lang\":\"ru\",\n"
        " \"published_at\":\"2026-11-22T10:00:00Z\", \"collected_at\":\"2026-11-22T10:00:03Z\",\n"
        " \"thread_id\":\"t1\", \"metrics\":{\"likes\":3, \"reposts\":0, \"views\":410, \"comments\":2}}";
    int parsed;
    CHECK_INT(scan_check(&v, s, &parsed), 1);
    CHECK(parsed);
    /* the view still points into a live copy only inside scan_check: rescan a kept copy */
    rec_t r = rec_new(s, strlen(s));
    CHECK_INT(bp_post_view_scan(&v, r.buf, r.len), 1);
    CHECK(bp_strv_eq(v.id, "vk:wall-1234_5678"));
    CHECK(bp_strv_eq(v.source, "vk"));
    CHECK(bp_strv_eq(v.text, "Приватбанк не работает"));
    CHECK(bp_strv_eq(v.lang, "ru"));
    CHECK(bp_strv_eq(v.published_at, "2026-11-22T10:00:00Z"));
    CHECK(bp_strv_eq(v.collected_at, "2026-11-22T10:00:03Z"));
    CHECK(bp_strv_eq(v.author_id, "vk:99"));
    CHECK(v.author_handle.s == NULL && v.author_username.s == NULL);
    CHECK_INT(v.followers, 15300);
    CHECK_INT(v.nkeys, 13);
    CHECK(bp_strv_eq(v.keys[0], "v") && bp_strv_eq(v.keys[12], "metrics"));
    CHECK(bp_post_view_has(&v, "thread_id") && !bp_post_view_has(&v, "likes"));
    CHECK(!bp_post_view_has(&v, "brands"));
    CHECK_INT(v.obj_open, 0);
    CHECK_INT(v.obj_close, r.len - 1);
    CHECK(v.text.s > r.buf && v.text.s < r.buf + r.len); /* no escapes: points into the record */
    char small[8], big[64];
    CHECK_STR(bp_strv_cstr(v.author_id, small, sizeof small), "vk:99");
    CHECK(bp_strv_cstr(v.published_at, small, sizeof small) == NULL && small[0] == '\0');
    CHECK_STR(bp_strv_cstr(v.published_at, big, sizeof big), "2026-11-22T10:00:00Z");
    CHECK(bp_strv_cstr(v.author_handle, big, sizeof big) == NULL && big[0] == '\0');
    rec_free(&r);
    bp_post_view_free(&v);
}

TEST(unescapes_text_like_jansson)
{
    bp_post_view_t v;
    bp_post_view_init(&v);
    const char *s = "{\"id\":\"a\\/1\",\"source\":\"x\",\"text\":\"line1\\nq\\\"b\\\\s\\/t\\tr\\rb\\bf\\f"
                    "\\u043f\\u0440\\u0438\\u0432\\u0435\\u0442 raw привет \\ud83d\\ude00 \\u20AC "
                    "\\u00e9 \\uD83D\\uDE21 😀\"}";
    CHECK_INT(scan_check(&v, s, NULL), 1);
    rec_t r = rec_new(s, strlen(s));
    CHECK_INT(bp_post_view_scan(&v, r.buf, r.len), 1);
    CHECK(bp_strv_eq(v.id, "a/1"));
    CHECK(bp_strv_eq(v.text, "line1\nq\"b\\s/t\tr\rb\bf\f"
                             "привет raw привет \xF0\x9F\x98\x80 € é \xF0\x9F\x98\xA1 😀"));
    CHECK(v.text.s >= v.scratch && v.text.s < v.scratch + v.scratch_cap);
    CHECK(bp_strv_eq(v.lang, "") && v.lang.s != NULL);
    CHECK(v.published_at.s == NULL && v.collected_at.s == NULL);
    rec_free(&r);
    bp_post_view_free(&v);
}

TEST(escaped_times_and_author_strings)
{
    bp_post_view_t v;
    bp_post_view_init(&v);
    const char *s = "{\"id\":\"a\",\"source\":\"x\",\"text\":\"\",\"published_at\":\"2026-11-22T10:00:00\\u005a\","
                    "\"author\":{\"handle\":\"\\u0431\\u043e\\u0431\",\"username\":\"u\\\"1\",\"id\":7}}";
    CHECK_INT(scan_check(&v, s, NULL), 1);
    rec_t r = rec_new(s, strlen(s));
    CHECK_INT(bp_post_view_scan(&v, r.buf, r.len), 1);
    CHECK(bp_strv_eq(v.published_at, "2026-11-22T10:00:00Z"));
    CHECK(bp_strv_eq(v.author_handle, "боб"));
    CHECK(bp_strv_eq(v.author_username, "u\"1"));
    CHECK(v.author_id.s == NULL); /* a number, not a string */
    CHECK(bp_strv_eq(v.text, ""));
    CHECK_INT(v.followers, 0);
    rec_free(&r);
    bp_post_view_free(&v);
}

TEST(null_author_null_followers_and_null_times)
{
    bp_post_view_t v;
    bp_post_view_init(&v);
    const char *cases[] = {
        "{\"id\":\"a\",\"source\":\"x\",\"text\":\"t\",\"author\":null}",
        "{\"id\":\"a\",\"source\":\"x\",\"text\":\"t\",\"author\":{\"followers\":null}}",
        "{\"id\":\"a\",\"source\":\"x\",\"text\":\"t\",\"author\":{}}",
        "{\"id\":\"a\",\"source\":\"x\",\"text\":\"t\",\"published_at\":null,\"collected_at\":null}",
        "{\"id\":\"a\",\"source\":\"x\",\"text\":\"t\",\"author\":{\"followers\":-0,\"id\":null}}",
        "{\"id\":\"a\",\"source\":\"x\",\"text\":\"t\",\"lang\":5,\"author\":{\"followers\":0}}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        CHECK_INT(scan_check(&v, cases[i], NULL), 1);
        CHECK_INT(v.followers, 0);
        CHECK(v.author_id.s == NULL && v.published_at.s == NULL && v.collected_at.s == NULL);
    }
    CHECK_INT(scan_check(&v, "{\"id\":\"a\",\"source\":\"x\",\"text\":\"t\","
                             "\"author\":{\"followers\":9223372036854775807}}", NULL), 1);
    CHECK(v.followers == 9223372036854775807LL);
    bp_post_view_free(&v);
}

TEST(unknown_nested_structures_and_whitespace)
{
    bp_post_view_t v;
    bp_post_view_init(&v);
    const char *s = " \r\n\t{ \"x\" : [ 1 , -2.50 , 0 , -0 , true , false , null , { } , [ ] , "
                    "{\"id\":\"nested\",\"text\":5,\"author\":\"no\"} , [[[\"deep\"]]] ] ,\n"
                    "\"id\"\t:\t\"p1\" , \"source\":\"s\", \"text\":\"t\" , "
                    "\"metrics\":{\"likes\":-9223372036854775808,\"r\":0.125,\"k\":{\"id\":1}},"
                    "\"ключ\":\"значение\", \"e\":\"\\u0000x\\\"\"  } \n\t\r ";
    /* "\u0000" in a value: jansson refuses, so must the scanner */
    CHECK_INT(scan_check(&v, s, NULL), 0);
    char fixed[1024];
    snprintf(fixed, sizeof fixed, "%s", s);
    char *z = strstr(fixed, "\\u0000");
    memcpy(z, "\\u0030", 6);
    int parsed;
    CHECK_INT(scan_check(&v, fixed, &parsed), 1);
    CHECK(parsed);
    rec_t r = rec_new(fixed, strlen(fixed));
    CHECK_INT(bp_post_view_scan(&v, r.buf, r.len), 1);
    CHECK_INT(v.nkeys, 7);
    CHECK(bp_strv_eq(v.keys[5], "ключ"));
    CHECK(bp_strv_eq(v.id, "p1")); /* the nested "id" is not the post's */
    CHECK(v.author_id.s == NULL && bp_strv_eq(v.text, "t"));
    rec_free(&r);
    bp_post_view_free(&v);
}

TEST(scratch_is_reused_and_grows_only_when_needed)
{
    bp_post_view_t v;
    bp_post_view_init(&v);
    const char *a = "{\"id\":\"a\",\"source\":\"x\",\"text\":\"\\n\"}";
    CHECK_INT(scan_check(&v, a, NULL), 1);
    char *first = v.scratch;
    size_t cap = v.scratch_cap;
    CHECK(first != NULL && cap >= strlen(a));
    for (int i = 0; i < 100; i++)
        CHECK_INT(scan_check(&v, a, NULL), 1);
    CHECK(v.scratch == first && v.scratch_cap == cap);
    /* a record larger than the scratch buffer makes it grow, and fields stay right */
    bp_buf_t b = BP_BUF_INIT(0);
    bp_buf_puts(&b, "{\"id\":\"b\",\"source\":\"\\u0078\",\"text\":\"");
    for (int i = 0; i < 2000; i++)
        bp_buf_puts(&b, "\\u0444\\n");
    bp_buf_puts(&b, "\"}");
    CHECK_INT(scan_check_n(&v, b.data, b.len, NULL), 1);
    CHECK(v.scratch_cap >= b.len);
    bp_buf_free(&b);
    bp_post_view_free(&v);
    bp_post_view_free(&v); /* twice is fine */
    bp_post_view_free(NULL);
}

/* ---- one case per rejection rule ------------------------------------------------------- */

TEST(refuses_what_bp_post_parse_refuses)
{
    bp_post_view_t v;
    bp_post_view_init(&v);
    /* the base record is a post, on the fast path: each case below breaks exactly one rule */
    CHECK_INT(scan_check(&v, "{\"id\":\"a\",\"source\":\"x\",\"text\":\"t\"}", NULL), 1);
#define P "\"id\":\"a\",\"source\":\"x\",\"text\":\"t\""
    static const char *const cases[] = {
        /* invalid UTF-8 */
        "{" P ",\"n\":\"\xff\"}", "{" P ",\"n\":\"\xc0\x80\"}", "{" P ",\"n\":\"\xed\xa0\x80\"}",
        "{" P ",\"n\":\"\xf4\x90\x80\x80\"}", "{" P ",\"n\":\"\xe0\x80\xaf\"}", "{" P ",\"n\":\"\x80\"}",
        "{" P ",\"n\":\"\xd0\"}", "{" P ",\"n\":\"\xf0\x9f\x98\"}", "{" P "}\xc2\xa0",
        /* top level not an object */
        "[{" P "}]", "\"x\"", "5", "null", "", "   ",
        /* trailing non-whitespace */
        "{" P "}x", "{" P "}}", "{" P "} {}", "{" P "}\f", "{" P "}\v", "\xef\xbb\xbf{" P "}",
        /* raw control characters in strings */
        "{" P ",\"n\":\"a\nb\"}", "{" P ",\"n\":\"a\tb\"}", "{" P ",\"n\":\"\x01\"}",
        "{" P ",\"n\":\"\x1f\"}", "{\"id\":\"a\",\"source\":\"x\",\"text\":\"a\rb\"}",
        /* bad escapes, \u0000, surrogates */
        "{" P ",\"n\":\"\\x\"}", "{" P ",\"n\":\"\\u12\"}", "{" P ",\"n\":\"\\uZZZZ\"}",
        "{" P ",\"n\":\"\\U0041\"}", "{" P ",\"n\":\"\\u0000\"}", "{" P ",\"n\\u0000\":1}",
        "{" P ",\"n\":\"\\ud800\"}", "{" P ",\"n\":\"\\udc00\"}", "{" P ",\"n\":\"\\ud800\\u0041\"}",
        "{" P ",\"n\":\"\\ud800\\\\\"}", "{" P ",\"n\":\"\\ud83d\\ud83d\"}", "{" P ",\"n\":\"\\\"}",
        /* number syntax and range */
        "{" P ",\"n\":01}", "{" P ",\"n\":-}", "{" P ",\"n\":1.}", "{" P ",\"n\":.5}", "{" P ",\"n\":+1}",
        "{" P ",\"n\":-01}", "{" P ",\"n\":1.e5}", "{" P ",\"n\":1e}", "{" P ",\"n\":0x10}",
        "{" P ",\"n\":NaN}", "{" P ",\"n\":Infinity}", "{" P ",\"n\":--1}",
        "{" P ",\"n\":9223372036854775808}", "{" P ",\"n\":-9223372036854775809}",
        "{" P ",\"n\":99999999999999999999}", "{" P ",\"n\":1e999}",
        /* literals */
        "{" P ",\"n\":tru}", "{" P ",\"n\":True}", "{" P ",\"n\":nul}", "{" P ",\"n\":falsey}",
        "{" P ",\"n\":nulll}", "{" P ",\"n\":NULL}", "{" P ",\"n\":true1}",
        /* structure */
        "{" P ",}", "{," P "}", "{" P ",\"n\":[1,]}", "{" P ",\"n\":[,1]}", "{" P ",\"n\":{\"a\"}}",
        "{" P ",\"n\":{\"a\":1,}}", "{" P ",\"n\" 1}", "{" P "\"n\":1}", "{" P, "{" P ",\"n\":[1",
        "{" P ",\"n\":{\"a\":1", "{" P ",'n':1}", "{" P ",n:1}", "{" P ",\"n\":[1 2]}",
        "{" P ",1:2}",
        /* duplicate keys at any depth */
        "{" P ",\"id\":\"b\"}", "{" P ",\"n\":1,\"n\":1}", "{" P ",\"m\":{\"a\":1,\"b\":{},\"a\":2}}",
        "{" P ",\"m\":[{\"a\":{\"c\":1,\"c\":2}}]}", "{" P ",\"author\":{\"id\":\"a\",\"id\":\"a\"}}",
        "{" P ",\"te\\u0078t\":\"u\"}", "{" P ",\"ключ\":1,\"ключ\":2}",
        /* too deep for jansson (2048) */
        NULL, /* filled in below */
        /* bp_post_validate */
        "{\"source\":\"x\",\"text\":\"t\"}", "{\"id\":\"\",\"source\":\"x\",\"text\":\"t\"}",
        "{\"id\":5,\"source\":\"x\",\"text\":\"t\"}", "{\"id\":null,\"source\":\"x\",\"text\":\"t\"}",
        "{\"id\":\"a\",\"text\":\"t\"}", "{\"id\":\"a\",\"source\":\"\",\"text\":\"t\"}",
        "{\"id\":\"a\",\"source\":[],\"text\":\"t\"}", "{\"id\":\"a\",\"source\":\"x\"}",
        "{\"id\":\"a\",\"source\":\"x\",\"text\":null}", "{\"id\":\"a\",\"source\":\"x\",\"text\":7}",
        "{" P ",\"published_at\":\"yesterday\"}", "{" P ",\"published_at\":5}",
        "{" P ",\"published_at\":\"2026-02-30T10:00:00Z\"}", "{" P ",\"published_at\":\"2026-11-22T10:00:00\"}",
        "{" P ",\"published_at\":\"\"}", "{" P ",\"published_at\":{}}", "{" P ",\"published_at\":true}",
        "{" P ",\"collected_at\":\"2026-11-22T25:00:00Z\"}", "{" P ",\"collected_at\":[]}",
        "{" P ",\"author\":\"bob\"}", "{" P ",\"author\":[]}", "{" P ",\"author\":5}",
        "{" P ",\"author\":false}", "{" P ",\"author\":{\"followers\":-1}}",
        "{" P ",\"author\":{\"followers\":1.0}}", "{" P ",\"author\":{\"followers\":\"100\"}}",
        "{" P ",\"author\":{\"followers\":true}}", "{" P ",\"author\":{\"followers\":{}}}",
        "{" P ",\"author\":{\"followers\":-0.0}}", "{" P ",\"author\":{\"followers\":1e3}}",
        "{" P ",\"author\":{\"followers\":9223372036854775808}}",
    };
#undef P
    /* nesting deeper than jansson allows */
    bp_buf_t deep = BP_BUF_INIT(0);
    bp_buf_puts(&deep, "{\"id\":\"a\",\"source\":\"x\",\"text\":\"t\",\"n\":");
    for (int i = 0; i < 2100; i++)
        bp_buf_putc(&deep, '[');
    for (int i = 0; i < 2100; i++)
        bp_buf_putc(&deep, ']');
    bp_buf_putc(&deep, '}');
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *c = cases[i] ? cases[i] : deep.data;
        int parsed = 1;
        int rc = scan_check(&v, c, &parsed);
        if (rc != 0 || parsed)
            fprintf(stderr, "    case %zu: scan %d, bp_post_parse %s: %.80s\n", i, rc,
                    parsed ? "accepts" : "refuses", c);
        CHECK_INT(rc, 0);
        CHECK(!parsed);
    }
    bp_buf_free(&deep);
    bp_post_view_free(&v);
}

TEST(refuses_records_over_the_size_cap)
{
    bp_post_view_t v;
    bp_post_view_init(&v);
    bp_buf_t b = BP_BUF_INIT(0);
    bp_buf_puts(&b, "{\"id\":\"a\",\"source\":\"x\",\"text\":\"");
    while (b.len < BP_POST_MAX_BYTES - 2)
        bp_buf_putc(&b, 'a');
    bp_buf_puts(&b, "\"}");
    CHECK_INT(b.len, BP_POST_MAX_BYTES);
    int parsed;
    CHECK_INT(scan_check_n(&v, b.data, b.len, &parsed), 1); /* exactly at the cap: fine */
    CHECK(parsed);
    bp_buf_putc(&b, ' ');
    CHECK_INT(scan_check_n(&v, b.data, b.len, &parsed), 0);
    CHECK(!parsed);
    bp_buf_free(&b);
    bp_post_view_free(&v);
}

TEST(rare_valid_shapes_take_the_slow_path)
{
    bp_post_view_t v;
    bp_post_view_init(&v);
#define P "\"id\":\"a\",\"source\":\"x\",\"text\":\"t\""
    static const char *const cases[] = {
        "{" P ",\"n\":1e5}", "{" P ",\"n\":2.5E-3}", "{" P ",\"te\\u0078t2\":1}",
        "{" P ",\"n\":0.12345678901234567890123456789012345678901}",
        "{" P ",\"published_at\":\"2026-11-22T10:00:00.000000000000000000000000000000000000000000000001Z\"}",
    };
#undef P
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int parsed = 0;
        CHECK_INT(scan_check(&v, cases[i], &parsed), 0);
        CHECK(parsed);
    }
    /* nesting: 32 levels in all is the fast path, 33 is not */
    for (int depth = 31; depth <= 33; depth++) {
        bp_buf_t b = BP_BUF_INIT(0);
        bp_buf_puts(&b, "{\"id\":\"a\",\"source\":\"x\",\"text\":\"t\",\"n\":");
        for (int i = 1; i < depth; i++)
            bp_buf_putc(&b, '[');
        for (int i = 1; i < depth; i++)
            bp_buf_putc(&b, ']');
        bp_buf_putc(&b, '}');
        int parsed = 0;
        CHECK_INT(scan_check_n(&v, b.data, b.len, &parsed), depth <= BP_POST_VIEW_MAX_DEPTH);
        CHECK(parsed);
        bp_buf_free(&b);
    }
    /* an object with more keys than the fast path holds */
    bp_buf_t b = BP_BUF_INIT(0);
    bp_buf_puts(&b, "{\"id\":\"a\",\"source\":\"x\",\"text\":\"t\"");
    for (int i = 0; i < BP_POST_VIEW_MAX_KEYS; i++)
        bp_buf_printf(&b, ",\"k%d\":%d", i, i);
    bp_buf_putc(&b, '}');
    int parsed = 0;
    CHECK_INT(scan_check_n(&v, b.data, b.len, &parsed), 0);
    CHECK(parsed);
    bp_buf_free(&b);
    bp_post_view_free(&v);
}

/* ---- strings at every offset from the scanner's 8- and 16-byte blocks -------------------- */

/* What may sit inside a string: valid characters of every length, escapes, and what must be
 * refused (broken UTF-8 of every kind, raw control bytes). */
static const char *const block_pieces[] = {
    /* valid */
    "a", "\x7f", "ж", "Ї", "é", "\xc2\x80", "\xdf\xbf", "€", "\xe0\xa0\x80", "\xef\xbf\xbf",
    "\xed\x9f\xbf", "\xee\x80\x80", "😀", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "\\\"", "\\\\",
    "\\n", "\\u0436", "\\ud83d\\ude00", "\\/", "привет, мир",
    /* refused */
    "\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc2", "\xdf", "\xd0\xd0", "\xd0\x41", "\xd0\"",
    "\xd0\\n", "\xe0\x80\x80", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xe2\x82",
    "\xe2\x28\xa1", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
    "\xf0\x9f\x98", "\xf0", "\xf8\x88\x80\x80\x80", "\xfe", "\xff", "\x01", "\x1f", "\t", "\n",
    "\\x", "\\u00", "\\ud800", "\\u0000", "\xd0\xb0\x80", "\x80\xd0\xb0", "\xc2\xc2\x80"};

/* Backgrounds the pieces sit in: ASCII, Cyrillic (pairs at both alignments), mixed. */
static const char *const block_bgs[] = {"abcdefgh", "жжжж", "aжжжж", "ж ж.", "😀ж"};

/* At least n bytes of bg repeated, ending at a character's end. */
static void put_bg(bp_buf_t *b, const char *bg, size_t n)
{
    size_t bl = strlen(bg);
    for (size_t i = 0; i < n || (bg[i % bl] & 0xC0) == 0x80; i++)
        bp_buf_putc(b, bg[i % bl]);
}

TEST(strings_with_every_piece_at_every_block_offset)
{
    bp_post_view_t v;
    bp_post_view_init(&v);
    static const size_t posts[] = {0, 1, 2, 7, 15, 16, 17, 31};
    int broken = 0, total = 0, parsed_n = 0, fast_n = 0, slow_valid = 0;
    for (size_t g = 0; g < sizeof block_bgs / sizeof *block_bgs; g++)
        for (size_t pi = 0; pi < sizeof block_pieces / sizeof *block_pieces; pi++)
            for (size_t pre = 0; pre < 40; pre++)
                for (size_t po = 0; po < sizeof posts / sizeof *posts; po++)
                    for (int shape = 0; shape < 3; shape++) {
                        bp_buf_t b = BP_BUF_INIT(0);
                        /* the piece in the text, last in the record or not; or in a key */
                        if (shape == 2)
                            bp_buf_puts(&b, "{\"id\":\"a\",\"source\":\"x\",\"text\":\"t\",\"");
                        else
                            bp_buf_puts(&b, "{\"id\":\"a\",\"source\":\"x\",\"text\":\"");
                        put_bg(&b, block_bgs[g], pre);
                        bp_buf_puts(&b, block_pieces[pi]);
                        put_bg(&b, block_bgs[g], posts[po]);
                        bp_buf_puts(&b, shape == 2   ? "\":1}"
                                        : shape == 1 ? "\",\"lang\":\"ru\"}"
                                                     : "\"}");
                        int parsed = 0;
                        int rc = scan_check_n(&v, b.data, b.len, &parsed);
                        total++;
                        broken += rc < 0;
                        parsed_n += parsed;
                        fast_n += rc == 1;
                        /* a valid text is always the fast path (keys with escapes are not) */
                        if (parsed && rc != 1 && shape != 2) {
                            if (++slow_valid <= 5)
                                fprintf(stderr, "    valid, not on the fast path: %.200s\n",
                                        b.data);
                        }
                        bp_buf_free(&b);
                    }
    printf("     block offsets: %d records, jansson accepts %d, fast %d\n", total, parsed_n,
           fast_n);
    CHECK_INT(broken, 0);
    CHECK_INT(slow_valid, 0);
    CHECK(parsed_n > total / 4 && parsed_n < total * 3 / 4);
    bp_post_view_free(&v);
}

TEST(keys_of_every_length_near_the_record_end)
{
    /* the key fast path looks at 16 bytes after the quote: keys of 0..40 bytes, plain, with
     * non-ASCII or escapes or a raw control byte, with 0..20 bytes after them */
    bp_post_view_t v;
    bp_post_view_init(&v);
    static const char *const kinds[] = {"k", "ж", "\\u006b", "\x01", "\xff", "\\", "\""};
    int broken = 0, plain_slow = 0, total = 0;
    for (size_t kind = 0; kind < sizeof kinds / sizeof *kinds; kind++)
        for (size_t kl = 0; kl <= 40; kl++)
            for (size_t at = 0; at <= kl; at += kl > 8 ? 3 : 1)
                for (size_t tail = 0; tail <= 20; tail++) {
                    bp_buf_t b = BP_BUF_INIT(0);
                    bp_buf_puts(&b, "{\"id\":\"a\",\"source\":\"x\",\"text\":\"t\",\"");
                    put_bg(&b, "q", at);
                    if (kl > 0)
                        bp_buf_puts(&b, kinds[kind]);
                    put_bg(&b, "r", kl > at + 1 ? kl - at - 1 : 0);
                    bp_buf_puts(&b, "\":");
                    put_bg(&b, "1", tail + 1);
                    bp_buf_putc(&b, '}');
                    int parsed = 0;
                    int rc = scan_check_n(&v, b.data, b.len, &parsed);
                    total++;
                    broken += rc < 0;
                    if (parsed && rc != 1 && kind < 2 && ++plain_slow <= 5)
                        fprintf(stderr, "    valid key, not on the fast path: %.200s\n", b.data);
                    bp_buf_free(&b);
                }
    printf("     keys: %d records\n", total);
    CHECK_INT(broken, 0);
    CHECK_INT(plain_slow, 0);
    /* duplicates still found whatever the key hashes to */
    int parsed = 1;
    CHECK_INT(scan_check(&v, "{\"id\":\"a\",\"source\":\"x\",\"text\":\"t\",\"brands\":1,"
                             "\"abcdefghijklmnopqrstuvwxyz0123456789\":2,\"brands\":3}", &parsed), 0);
    CHECK(!parsed);
    char rec[4096];
    for (int i = 0; i < 64; i++) {
        /* 40 keys whose hashes collide now and then, then one of them again */
        size_t n = (size_t)snprintf(rec, sizeof rec, "{\"id\":\"a\",\"source\":\"x\",\"text\":\"t\"");
        for (int k = 0; k < 40; k++)
            n += (size_t)snprintf(rec + n, sizeof rec - n, ",\"%c%d%c\":%d", 'a' + k % 26, k,
                                  'a' + (k * 7 + i) % 26, k);
        rec[n++] = '}';
        CHECK_INT(scan_check_n(&v, rec, n, &parsed), 1);
        CHECK(parsed);
        CHECK_INT(bp_post_view_scan(&v, rec, n), 1); /* (scan_check_n's copy is gone) */
        n--;
        for (int k = 0; k < 40; k++) {
            char key[16];
            snprintf(key, sizeof key, "%c%d%c", 'a' + k % 26, k, 'a' + (k * 7 + i) % 26);
            CHECK(bp_post_view_has(&v, key));
            key[0] = '_';
            CHECK(!bp_post_view_has(&v, key));
        }
        CHECK(bp_post_view_has(&v, "id") && bp_post_view_has(&v, "text"));
        CHECK(!bp_post_view_has(&v, "") && !bp_post_view_has(&v, "brands"));
        n = (size_t)snprintf(rec + n, sizeof rec - n, ",\"%c%d%c\":0}", 'a' + 17 % 26, 17,
                             'a' + (17 * 7 + i) % 26) + n;
        CHECK_INT(scan_check_n(&v, rec, n, &parsed), 0);
        CHECK(!parsed);
    }
    const char *empty = "{\"id\":\"a\",\"source\":\"x\",\"text\":\"t\",\"\":1}";
    CHECK_INT(scan_check(&v, empty, &parsed), 1);
    CHECK_INT(bp_post_view_scan(&v, empty, strlen(empty)), 1);
    CHECK(bp_post_view_has(&v, "") && !bp_post_view_has(&v, "x"));
    bp_post_view_free(&v);
}

/* ---- differential test ----------------------------------------------------------------- */

static uint64_t gen_state;

static uint64_t gen_rand(void)
{
    uint64_t x = gen_state; /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    gen_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static int gen_n(int n)
{
    return (int)(gen_rand() % (uint64_t)n);
}

#define PICK(arr) (arr)[gen_n((int)(sizeof(arr) / sizeof *(arr)))]

static void gen_ws(bp_buf_t *b)
{
    if (gen_n(10) < 8)
        return;
    static const char ws[] = " \t\n\r";
    for (int i = gen_n(3); i >= 0; i--)
        bp_buf_putc(b, ws[gen_n(4)]);
}

/* Text pieces: raw UTF-8, every escape jansson knows, \u escapes incl. surrogate pairs. */
static const char *const gen_pieces[] = {
    "Приватбанк", "не работает", "ненавижу", "отстой", "hello", "card", "blocked", " ", " ",
    ", ", "!!!", "\\n", "\\\"", "\\\\", "\\/", "\\t", "\\r", "\\b", "\\f",
    "\\u043f\\u0440\\u0438\\u0432\\u0430\\u0442", "\\u0451", "\\u00e9", "\\u20AC", "\\u0041",
    "\\ud83d\\ude00", "\\uD83D\\uDE21", "😀", "€", "ё", "日本", "\x7f", "@support", "#fail",
    "https:\\/\\/x.com\\/a", "'q'", "12:30", "Ёжик", "ß",
};

static void gen_text(bp_buf_t *b, int maxpieces)
{
    bp_buf_putc(b, '"');
    for (int i = gen_n(maxpieces + 1); i > 0; i--)
        bp_buf_puts(b, PICK(gen_pieces));
    bp_buf_putc(b, '"');
}

static const char *const gen_times[] = {
    "2026-11-22T10:00:00Z", "2026-11-22T10:00:00.123Z", "2026-11-22t10:00:00z",
    "2026-11-22T10:00:00+03:00", "2026-11-22 10:00:00-05:30", "2024-02-29T23:59:60Z",
    "2026-11-22T10:00:00.123456789Z", "2026-11-22T10:00:00\\u005a", "1970-01-01T00:00:00Z",
};

static const char *const gen_numbers[] = {
    "0", "-0", "1", "-1", "15300", "9223372036854775807", "-9223372036854775808", "0.5", "-2.25",
    "123456789.000001", "1234567890123456789", "-1234567890123456789", "3.0",
};

/* A random JSON value for unknown fields, nested up to depth more levels. */
static void gen_value(bp_buf_t *b, int depth)
{
    int k = gen_n(depth > 0 ? 9 : 6);
    switch (k) {
    case 0:
    case 1: gen_text(b, 3); break;
    case 2: bp_buf_puts(b, PICK(gen_numbers)); break;
    case 3: bp_buf_printf(b, "%d", gen_n(100000) - 50000); break;
    case 4: bp_buf_puts(b, gen_n(3) == 0 ? "null" : gen_n(2) ? "true" : "false"); break;
    case 5: gen_text(b, 1); break;
    case 6:
    case 7: {
        bp_buf_putc(b, '{');
        int n = gen_n(4);
        for (int i = 0; i < n; i++) {
            gen_ws(b);
            bp_buf_printf(b, i % 2 ? "\"k%d\"" : "\"ключ%d\"", i);
            gen_ws(b);
            bp_buf_putc(b, ':');
            gen_ws(b);
            gen_value(b, depth - 1);
            gen_ws(b);
            if (i + 1 < n)
                bp_buf_putc(b, ',');
        }
        bp_buf_putc(b, '}');
        break;
    }
    default: {
        bp_buf_putc(b, '[');
        int n = gen_n(4);
        for (int i = 0; i < n; i++) {
            gen_ws(b);
            gen_value(b, depth - 1);
            gen_ws(b);
            if (i + 1 < n)
                bp_buf_putc(b, ',');
        }
        bp_buf_putc(b, ']');
    }
    }
}

/* Faults a generated post may carry (0: none, a valid post). */
enum {
    F_NONE, F_DUP_TOP, F_DUP_NESTED, F_ID, F_SOURCE, F_TEXT, F_TIME, F_AUTHOR, F_FOLLOWERS,
    F_DEEP, F_NUMBER, F_ESCAPE, F_UTF8, F_LITERAL, F_ESCKEY, F_MANYKEYS, F_COUNT
};

static const char *const bad_ids[] = {"5", "\"\"", "null", "{}", "[\"a\"]", "true"};
static const char *const bad_texts[] = {"null", "7", "[]", "{}", "false"};
static const char *const bad_times[] = {"\"yesterday\"", "5", "\"2026-02-30T10:00:00Z\"",
                                        "\"2026-11-22T10:00:00\"", "\"\"", "{}", "true",
                                        "\"2026-11-22T24:00:00Z\"", "\"2026-11-22T10:00:00+3:00\"",
                                        "null"};
static const char *const bad_authors[] = {"\"bob\"", "[]", "5", "false", "null", "{}"};
static const char *const bad_followers[] = {"-1", "1.0", "\"100\"", "true", "{}", "-0.0",
                                            "1e3", "9223372036854775808", "null", "0", "[]"};
static const char *const odd_numbers[] = {
    "01", "-", "1.", ".5", "+1", "NaN", "Infinity", "9223372036854775808", "-9223372036854775809",
    "99999999999999999999", "1e999", "1E+2", "2e-5", "1.0e", "--1", "0x10", "-0.0", "1.5",
    "9223372036854775807", "-9223372036854775808", "00", "-a", "1e5", "0e0"};
static const char *const odd_escapes[] = {
    "\\x", "\\u12", "\\u0000", "\\ud800", "\\udc00", "\\ud800\\u0041", "\\ud800\\\\", "\\uZZZZ",
    "\\U0041", "\x01", "\x1f", "\n", "\t", "\\ud83d\\ude00", "\\u0001", "\\uDBFF\\uDFFF", "\\"};
static const char *const odd_utf8[] = {"\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                       "\xe0\x80\xaf", "\x80", "\xd0", "\xf8\x88\x80\x80\x80",
                                       "\xff", "\xf0\x9f\x98", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"};
static const char *const odd_literals[] = {"tru", "nul", "True", "falsey", "nulll", "t", "NULL",
                                           "true", "false", "null", "fals"};

static void gen_key(bp_buf_t *b, const char *k)
{
    bp_buf_printf(b, "\"%s\"", k);
    gen_ws(b);
    bp_buf_putc(b, ':');
    gen_ws(b);
}

static void gen_author(bp_buf_t *b, int fault)
{
    if (fault == F_AUTHOR) {
        bp_buf_puts(b, PICK(bad_authors));
        return;
    }
    int shape = gen_n(10);
    if (shape == 0 && fault != F_FOLLOWERS) {
        bp_buf_puts(b, "null");
        return;
    }
    bp_buf_putc(b, '{');
    bp_buf_t parts[6];
    int n = 0;
    for (int i = 0; i < 6; i++)
        bp_buf_init(&parts[i], 0);
    if (gen_n(5)) {
        gen_key(&parts[n], "id");
        if (gen_n(8))
            bp_buf_printf(&parts[n], "\"vk:%d\"", gen_n(100000));
        else
            gen_value(&parts[n], 1);
        n++;
    }
    if (gen_n(2)) {
        gen_key(&parts[n], "name");
        gen_text(&parts[n++], 3);
    }
    if (gen_n(2)) {
        gen_key(&parts[n], gen_n(2) ? "handle" : "username");
        gen_text(&parts[n++], 2);
    }
    if (fault == F_FOLLOWERS || gen_n(4)) {
        gen_key(&parts[n], "followers");
        if (fault == F_FOLLOWERS)
            bp_buf_puts(&parts[n], PICK(bad_followers));
        else if (gen_n(10) == 0)
            bp_buf_puts(&parts[n], "null");
        else
            bp_buf_printf(&parts[n], "%d", gen_n(2) ? gen_n(1000) : gen_n(100000000));
        n++;
    }
    if (fault == F_DUP_NESTED && n > 0) {
        bp_buf_t *d = &parts[n];
        bp_buf_append(d, parts[0].data, parts[0].len);
        n++;
    } else if (gen_n(3) == 0) {
        gen_key(&parts[n], "url");
        gen_value(&parts[n++], 2);
    }
    for (int i = 0; i < n; i++) {
        gen_ws(b);
        bp_buf_append(b, parts[i].data, parts[i].len);
        gen_ws(b);
        if (i + 1 < n)
            bp_buf_putc(b, ',');
    }
    bp_buf_putc(b, '}');
    for (int i = 0; i < 6; i++)
        bp_buf_free(&parts[i]);
}

/* Generates one post record carrying fault (F_NONE: a valid post) into b. */
static void gen_post(bp_buf_t *b, int fault)
{
    enum { NF = 24 };
    bp_buf_t f[NF];
    int n = 0;
    for (int i = 0; i < NF; i++)
        bp_buf_init(&f[i], 0);
    /* required fields */
    if (!(fault == F_ID && gen_n(4) == 0)) {
        gen_key(&f[n], "id");
        if (fault == F_ID)
            bp_buf_puts(&f[n], PICK(bad_ids));
        else
            bp_buf_printf(&f[n], gen_n(4) ? "\"vk:wall-%d_%d\"" : "\"x:\\/%d\\u0031%d\"",
                          gen_n(100000), gen_n(1000));
        n++;
    }
    if (!(fault == F_SOURCE && gen_n(2) == 0)) {
        gen_key(&f[n], "source");
        if (fault == F_SOURCE)
            bp_buf_puts(&f[n], PICK(bad_ids));
        else
            bp_buf_puts(&f[n], gen_n(2) ? "\"vk\"" : "\"telegram\"");
        n++;
    }
    if (!(fault == F_TEXT && gen_n(4) == 0)) {
        gen_key(&f[n], "text");
        if (fault == F_TEXT)
            bp_buf_puts(&f[n], PICK(bad_texts));
        else if (fault == F_ESCAPE || fault == F_UTF8) {
            bp_buf_putc(&f[n], '"');
            bp_buf_puts(&f[n], PICK(gen_pieces));
            bp_buf_puts(&f[n], fault == F_ESCAPE ? PICK(odd_escapes) : PICK(odd_utf8));
            bp_buf_puts(&f[n], PICK(gen_pieces));
            bp_buf_putc(&f[n], '"');
        } else
            gen_text(&f[n], 30);
        n++;
    }
    /* optional known fields */
    if (gen_n(4)) {
        gen_key(&f[n], "lang");
        if (gen_n(10))
            bp_buf_puts(&f[n], gen_n(2) ? "\"ru\"" : "\"en\"");
        else
            gen_value(&f[n], 1);
        n++;
    }
    static const char *const tkeys[] = {"published_at", "collected_at"};
    for (int t = 0; t < 2; t++) {
        int bad = fault == F_TIME && t == gen_n(2);
        if (bad || gen_n(5)) {
            gen_key(&f[n], tkeys[t]);
            if (bad)
                bp_buf_puts(&f[n], PICK(bad_times));
            else if (gen_n(12) == 0)
                bp_buf_puts(&f[n], "null");
            else
                bp_buf_printf(&f[n], "\"%s\"", PICK(gen_times));
            n++;
        }
    }
    if (fault == F_AUTHOR || fault == F_FOLLOWERS || fault == F_DUP_NESTED || gen_n(5)) {
        gen_key(&f[n], "author");
        gen_author(&f[n++], fault);
    }
    /* unknown fields */
    static const char *const ukeys[] = {"v", "feed", "url", "kind", "thread_id", "metrics",
                                        "tags", "geo", "лайки", "reply_to", "x_extra"};
    int nu = gen_n(6);
    int used = 0;
    for (int i = 0; i < nu; i++) {
        int k = gen_n(11);
        if (used & (1 << k))
            continue;
        used |= 1 << k;
        gen_key(&f[n], ukeys[k]);
        if (k == 0)
            bp_buf_puts(&f[n], "1");
        else
            gen_value(&f[n], 3);
        n++;
    }
    switch (fault) {
    case F_DUP_TOP: {
        int d = gen_n(n);
        bp_buf_append(&f[n], f[d].data, f[d].len);
        n++;
        break;
    }
    case F_DUP_NESTED:
        gen_key(&f[n], "metrics");
        bp_buf_puts(&f[n++], "{\"likes\":1,\"views\":{\"a\":[{\"b\":1,\"b\":2}]},\"likes\":2}");
        break;
    case F_DEEP: {
        int d = 20 + gen_n(30);
        gen_key(&f[n], "deep");
        for (int i = 0; i < d; i++)
            bp_buf_puts(&f[n], i % 3 ? "[" : "{\"a\":");
        bp_buf_puts(&f[n], "1");
        for (int i = d - 1; i >= 0; i--)
            bp_buf_puts(&f[n], i % 3 ? "]" : "}");
        n++;
        break;
    }
    case F_NUMBER:
        gen_key(&f[n], "num");
        bp_buf_puts(&f[n++], PICK(odd_numbers));
        break;
    case F_LITERAL:
        gen_key(&f[n], "lit");
        bp_buf_puts(&f[n++], PICK(odd_literals));
        break;
    case F_ESCKEY:
        bp_buf_puts(&f[n], gen_n(2) ? "\"te\\u0078t\"" : "\"\\u043a\\u043b\"");
        bp_buf_puts(&f[n++], ":1");
        break;
    case F_MANYKEYS: {
        gen_key(&f[n], "many");
        bp_buf_putc(&f[n], '{');
        int nk = 50 + gen_n(30);
        for (int i = 0; i < nk; i++)
            bp_buf_printf(&f[n], "%s\"k%d\":%d", i ? "," : "", gen_n(20) ? i : 0, i);
        bp_buf_putc(&f[n++], '}');
        break;
    }
    default:
        break;
    }
    /* shuffle the fields, then join */
    for (int i = n - 1; i > 0; i--) {
        int j = gen_n(i + 1);
        bp_buf_t t = f[i];
        f[i] = f[j];
        f[j] = t;
    }
    gen_ws(b);
    bp_buf_putc(b, '{');
    for (int i = 0; i < n; i++) {
        gen_ws(b);
        bp_buf_append(b, f[i].data, f[i].len);
        gen_ws(b);
        if (i + 1 < n)
            bp_buf_putc(b, ',');
    }
    bp_buf_putc(b, '}');
    gen_ws(b);
    for (int i = 0; i < NF; i++)
        bp_buf_free(&f[i]);
}

/* Byte-level mutations of a record in b. */
static void gen_mutate(bp_buf_t *b)
{
    static const char inserts[] = {'\\', '"', ',', '{', '}', '[', ']', ':', '\0', '\x01', '\x1f',
                                   '\n', ' ', '-', '0', 'e', '.', '\xff', '\xc0', '\xd0', 'u'};
    if (b->len == 0)
        return;
    size_t at = (size_t)gen_rand() % b->len;
    switch (gen_n(6)) {
    case 0: /* flip a byte */
        b->data[at] = (char)gen_n(256);
        break;
    case 1: /* truncate */
        b->len = at;
        b->data[at] = '\0';
        break;
    case 2: { /* insert a special byte */
        char c = inserts[gen_n((int)sizeof inserts)];
        bp_buf_putc(b, ' ');
        memmove(b->data + at + 1, b->data + at, b->len - 1 - at);
        b->data[at] = c;
        break;
    }
    case 3: /* delete a byte */
        memmove(b->data + at, b->data + at + 1, b->len - at - 1);
        b->len--;
        b->data[b->len] = '\0';
        break;
    case 4: /* flip one bit */
        b->data[at] = (char)(b->data[at] ^ (1 << gen_n(8)));
        break;
    default: { /* duplicate a short span (may repeat a key) */
        size_t n = 1 + (size_t)gen_n(24);
        if (at + n > b->len)
            n = b->len - at;
        char tmp[32];
        memcpy(tmp, b->data + at, n);
        for (size_t i = 0; i < n; i++)
            bp_buf_putc(b, ' ');
        memmove(b->data + at + n, b->data + at, b->len - n - at);
        memcpy(b->data + at, tmp, n);
        break;
    }
    }
}

TEST(differential_against_bp_post_parse)
{
    bp_post_view_t v;
    bp_post_view_init(&v);
    gen_state = 0x9E3779B97F4A7C15ULL; /* fixed seed: the same records every run */
    int valid = 0, valid_fast = 0, broken = 0, total = 0, fast = 0, parsed_ok = 0;
    int fault_parsed = 0, fault_fast = 0, mutated = 0, mutated_parsed = 0, mutated_fast = 0;
    int gen_invalid = 0, faulted = 0;
    for (int round = 0; round < 4000; round++) {
        bp_buf_t b = BP_BUF_INIT(0);
        /* a valid post, scanned as is */
        gen_post(&b, F_NONE);
        int parsed = 0;
        int rc = scan_check_n(&v, b.data, b.len, &parsed);
        total++;
        if (rc < 0)
            broken++;
        if (!parsed) {
            gen_invalid++;
            if (gen_invalid <= 3)
                fprintf(stderr, "    generated post refused: %.300s\n", b.data);
        } else {
            valid++;
            valid_fast += rc == 1;
        }
        fast += rc == 1;
        parsed_ok += parsed;
        /* three byte-level mutations of it */
        for (int m = 0; m < 3; m++) {
            bp_buf_t c = BP_BUF_INIT(0);
            bp_buf_append(&c, b.data, b.len);
            for (int k = gen_n(2); k >= 0; k--)
                gen_mutate(&c);
            rc = scan_check_n(&v, c.data, c.len, &parsed);
            total++;
            mutated++;
            if (rc < 0)
                broken++;
            fast += rc == 1;
            mutated_fast += rc == 1;
            mutated_parsed += parsed;
            parsed_ok += parsed;
            bp_buf_free(&c);
        }
        bp_buf_free(&b);
        /* a post with a structural fault */
        bp_buf_init(&b, 0);
        gen_post(&b, 1 + gen_n(F_COUNT - 1));
        rc = scan_check_n(&v, b.data, b.len, &parsed);
        total++;
        if (rc < 0)
            broken++;
        fast += rc == 1;
        fault_fast += rc == 1;
        faulted++;
        fault_parsed += parsed;
        parsed_ok += parsed;
        bp_buf_free(&b);
    }
    printf("     postview differential: %d records, %d posts per jansson, %d on the fast path; "
           "valid generated %d, fast %d (%.1f%%); mutated %d (jansson accepts %d, fast %d); "
           "faulted %d (jansson accepts %d, fast %d)\n",
           total, parsed_ok, fast, valid, valid_fast, valid ? 100.0 * valid_fast / valid : 0.0,
           mutated, mutated_parsed, mutated_fast, faulted, fault_parsed, fault_fast);
    CHECK_INT(broken, 0);
    CHECK_INT(gen_invalid, 0);
    CHECK(valid >= 3900);
    CHECK(valid_fast * 100 >= valid * 95);
    /* the mutations must actually produce both verdicts, or the test proves little */
    CHECK(mutated_parsed > 100 && mutated_parsed < mutated - 1000);
    CHECK(mutated_fast > 100);
    CHECK(fault_parsed > 100 && fault_parsed < faulted - 1000);
    bp_post_view_free(&v);
}

int main(void)
{
    RUN(extracts_the_fields_of_a_design_post);
    RUN(unescapes_text_like_jansson);
    RUN(escaped_times_and_author_strings);
    RUN(null_author_null_followers_and_null_times);
    RUN(unknown_nested_structures_and_whitespace);
    RUN(scratch_is_reused_and_grows_only_when_needed);
    RUN(refuses_what_bp_post_parse_refuses);
    RUN(refuses_records_over_the_size_cap);
    RUN(rare_valid_shapes_take_the_slow_path);
    RUN(strings_with_every_piece_at_every_block_offset);
    RUN(keys_of_every_length_near_the_record_end);
    RUN(differential_against_bp_post_parse);
    return test_summary();
}
