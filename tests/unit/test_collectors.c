/* test_collectors.c — the source parsers against recorded responses, html2text, postbuild. */
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "collector.h"
#include "fileutil.h"
#include "html2text.h"
#include "model.h"
#include "postbuild.h"
#include "sources.h"
#include "test.h"
#include "timeutil.h"

static char *load(const char *rel, size_t *len)
{
    char path[1024];
    const char *root = getenv("BP_ROOT");
    snprintf(path, sizeof path, "%s/tests/data/collectors/%s", root ? root : ".", rel);
    char *d = bp_file_read(path, 1 << 24, len);
    if (!d)
        fprintf(stderr, "    cannot read %s\n", path);
    return d;
}

/* Parses file rel with src under a default feed; returns 0/-1 like the parser. */
static int parse_file(const collector_source_t *src, collector_feed_t *f, const json_t *cursor,
                      const char *rel, const char *ctype, collector_page_t *page,
                      collector_error_t *e)
{
    size_t len = 0;
    char *d = load(rel, &len);
    if (!d)
        return -2;
    collector_body_t b = {d, len, 200, ctype};
    memset(page, 0, sizeof *page);
    memset(e, 0, sizeof *e);
    int rc = src->parse(f, cursor, &b, bp_now_ms(), page, e);
    free(d);
    return rc;
}

static void feed_init(const collector_source_t *src, collector_feed_t *f, const char *name)
{
    collector_feed_defaults(src, f);
    free(f->name);
    f->name = strdup(name);
    if (src == &rss_source || src == &httpjson_source) { /* the sources with a url key */
        free(f->url);
        f->url = strdup("https://forum.example.ru/rss");
    }
}

/* Every post a parser returns must pass the model's validation once stamped. */
static int all_valid(json_t *posts)
{
    size_t i;
    json_t *p;
    char err[256];
    json_array_foreach(posts, i, p)
    {
        bp_post_stamp(p, bp_now_ms());
        if (bp_post_validate(p, err, sizeof err) != 0) {
            fprintf(stderr, "    post %zu invalid: %s\n", i, err);
            return 0;
        }
    }
    return 1;
}

static json_t *post_at(collector_page_t *p, size_t i) { return json_array_get(p->posts, i); }

TEST(html_to_text)
{
    char *t = html2text("<p>Hello&nbsp;<b>world</b> &laquo;x&raquo;</p><p>two<br>three</p>"
                        "<script>evil()</script>&#1055;&#x41f; &amp;amp; &bogus; <3",
                        strlen("<p>Hello&nbsp;<b>world</b> &laquo;x&raquo;</p><p>two<br>three</p>"
                               "<script>evil()</script>&#1055;&#x41f; &amp;amp; &bogus; <3"));
    CHECK_STR(t, "Hello world «x»\ntwo\nthree\nПП &amp; &bogus; <3");
    free(t);
    t = html2text("  \n\t ", 5);
    CHECK_STR(t, "");
    free(t);
    t = html2text("bad \xff byte", 10);
    CHECK_STR(t, "bad \xEF\xBF\xBD byte");
    free(t);
    t = html2text("<!-- c --><div>a</div><div>b</div>", 34);
    CHECK_STR(t, "a\nb");
    free(t);
}

TEST(postbuild_helpers)
{
    json_t *doc = json_loads("{\"a\":{\"b/c\":[10,{\"~k\":\"v\"}]}}", 0, NULL);
    CHECK(json_integer_value(postbuild_pointer(doc, "/a/b~1c/0")) == 10);
    CHECK_STR(json_string_value(postbuild_pointer(doc, "/a/b~1c/1/~0k")), "v");
    CHECK(postbuild_pointer(doc, "") == doc);
    CHECK(postbuild_pointer(doc, "/a/missing") == NULL);
    CHECK(postbuild_pointer(doc, "/a/b~1c/01") == NULL);
    CHECK(postbuild_pointer(doc, "a") == NULL);
    json_decref(doc);
    CHECK(postbuild_id_cmp("1860000000000000003", "999") > 0);
    CHECK(postbuild_id_cmp("100", "100") == 0);
    CHECK(postbuild_id_cmp("", "1") < 0);
    bp_buf_t b;
    bp_buf_init(&b, 0);
    postbuild_urlencode(&b, "ПриватБанк не работает&x=1");
    CHECK_STR(b.data, "%D0%9F%D1%80%D0%B8%D0%B2%D0%B0%D1%82%D0%91%D0%B0%D0%BD%D0%BA%20%D0%BD%D0"
                      "%B5%20%D1%80%D0%B0%D0%B1%D0%BE%D1%82%D0%B0%D0%B5%D1%82%26x%3D1");
    bp_buf_free(&b);
    size_t nr = 0;
    char err[256];
    json_t *j = postbuild_json_load("{\"t\":\"a\xff\"}", 10, &nr, err, sizeof err);
    CHECK(j != NULL);
    CHECK_INT(nr, 1);
    CHECK_STR(bp_json_str(j, "t"), "a\xEF\xBF\xBD");
    json_decref(j);
    CHECK(postbuild_json_load("{\"t\":", 5, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "not JSON") != NULL);
}

TEST(rss_dates)
{
    int64_t ms;
    CHECK(rss_parse_rfc822("Mon, 23 Nov 2026 10:00:00 +0300", &ms) == 0);
    char tb[BP_TIME_BUFSZ];
    CHECK_STR(bp_time_format_rfc3339(ms, tb), "2026-11-23T07:00:00.000Z");
    CHECK(rss_parse_rfc822("23 Nov 2026 10:00 GMT", &ms) == 0);
    CHECK_STR(bp_time_format_rfc3339(ms, tb), "2026-11-23T10:00:00.000Z");
    CHECK(rss_parse_rfc822("Mon, 23 Nov 2026 10:00:00 EST", &ms) == 0);
    CHECK_STR(bp_time_format_rfc3339(ms, tb), "2026-11-23T15:00:00.000Z");
    CHECK(rss_parse_rfc822("yesterday", &ms) != 0);
    CHECK(rss_parse_rfc822("Mon, 23 Nov 2026 10:00:00 +03", &ms) != 0);
}

TEST(rss_v2)
{
    collector_feed_t f;
    collector_page_t p;
    collector_error_t e;
    feed_init(&rss_source, &f, "forum");
    CHECK_INT(parse_file(&rss_source, &f, NULL, "rss/rss2.xml", "application/rss+xml", &p, &e), 0);
    CHECK_INT(json_array_size(p.posts), 2);
    CHECK_INT(p.skipped, 1);
    json_t *a = post_at(&p, 0), *b = post_at(&p, 1);
    CHECK_STR(bp_json_str(a, "id"), "rss:https://forum.example.ru/t/1001");
    CHECK_STR(bp_json_str(a, "source"), "rss");
    CHECK_STR(bp_json_str(a, "feed"), "forum");
    CHECK_STR(bp_json_str(a, "text"), "Приватбанк опять не работает\nТретий день не могу войти в "
                                      "приложение «Приват24».\nПоддержка молчит…\nУжасный сервис!");
    CHECK_STR(bp_json_str(a, "published_at"), "2026-11-23T07:00:00.000Z");
    CHECK_STR(bp_json_str(a, "url"), "https://forum.example.ru/t/1001");
    CHECK_STR(bp_json_str(json_object_get(a, "author"), "name"), "Иван Петров");
    CHECK_STR(bp_json_str(a, "lang"), "ru");
    /* a non-URL guid is qualified by the feed URL: stable, but not a bare "post-1002" */
    CHECK(strncmp(bp_json_str(b, "id"), "rss:", 4) == 0 && strlen(bp_json_str(b, "id")) == 36);
    CHECK_STR(bp_json_str(b, "text"), "Спасибо & до свидания\nДякую за швидку відповідь, все "
                                      "працює. Це чудовий банк і їхня підтримка є найкращою.");
    CHECK_STR(bp_json_str(b, "lang"), "uk");
    CHECK_STR(bp_json_str(json_object_get(b, "author"), "name"), "Олена");
    CHECK(all_valid(p.posts));
    /* the same feed parsed again gives the same ids */
    collector_page_t p2;
    CHECK_INT(parse_file(&rss_source, &f, NULL, "rss/rss2.xml", NULL, &p2, &e), 0);
    CHECK_STR(bp_json_str(post_at(&p2, 1), "id"), bp_json_str(b, "id"));
    collector_page_free(&p2);
    collector_page_free(&p);
    collector_feed_free(&rss_source, &f);
}

TEST(rss_atom_and_rdf)
{
    collector_feed_t f;
    collector_page_t p;
    collector_error_t e;
    feed_init(&rss_source, &f, "status");
    CHECK_INT(parse_file(&rss_source, &f, NULL, "rss/atom.xml", NULL, &p, &e), 0);
    CHECK_INT(json_array_size(p.posts), 2);
    json_t *a = post_at(&p, 0), *b = post_at(&p, 1);
    CHECK_STR(bp_json_str(a, "url"), "https://status.example.com/incidents/77");
    CHECK_STR(bp_json_str(a, "text"), "Mobile app outage — investigating\nCustomers cannot log in.");
    CHECK_STR(bp_json_str(a, "published_at"), "2026-11-23T06:55:00.000Z");
    CHECK_STR(bp_json_str(json_object_get(a, "author"), "name"), "Status Bot");
    CHECK_STR(bp_json_str(a, "lang"), "en");
    CHECK_STR(bp_json_str(b, "id"), "rss:https://status.example.com/incidents/78");
    CHECK_STR(bp_json_str(b, "text"), "Resolved\nAll systems operational again.\nSorry for the "
                                      "trouble & thanks.");
    CHECK_STR(bp_json_str(b, "published_at"), "2026-11-23T10:30:00.000Z");
    CHECK_STR(bp_json_str(json_object_get(b, "author"), "name"), "Status of ExampleBank");
    CHECK(all_valid(p.posts));
    collector_page_free(&p);
    CHECK_INT(parse_file(&rss_source, &f, NULL, "rss/rdf.xml", NULL, &p, &e), 0);
    CHECK_INT(json_array_size(p.posts), 1);
    a = post_at(&p, 0);
    CHECK_STR(bp_json_str(a, "id"), "rss:https://blog.example.org/123.html");
    CHECK_STR(bp_json_str(a, "text"), "Билайн лучше МТС\nПерешёл на другой тариф, связь отличная.");
    CHECK_STR(bp_json_str(a, "published_at"), "2026-11-22T15:15:00.000Z");
    CHECK_STR(bp_json_str(json_object_get(a, "author"), "name"), "blogger");
    CHECK(all_valid(p.posts));
    collector_page_free(&p);
    collector_feed_free(&rss_source, &f);
}

TEST(rss_charsets)
{
    collector_feed_t f;
    collector_page_t p;
    collector_error_t e;
    const char *files[] = {"rss/cp1251.xml", "rss/koi8r.xml"};
    feed_init(&rss_source, &f, "news");
    for (int i = 0; i < 2; i++) {
        CHECK_INT(parse_file(&rss_source, &f, NULL, files[i], NULL, &p, &e), 0);
        CHECK_INT(json_array_size(p.posts), 1);
        const char *t = bp_json_str(post_at(&p, 0), "text");
        CHECK(strncmp(t, "Банкомат съел карту\nЖители жалуются: ", strlen("Банкомат съел карту\n"
                                                                         "Жители жалуются: ")) == 0);
        CHECK(strstr(t, "ёлки-палки") != NULL);
        CHECK_STR(bp_json_str(json_object_get(post_at(&p, 0), "author"), "name"), "Новости региона");
        CHECK(all_valid(p.posts));
        collector_page_free(&p);
    }
    /* the charset may come from Content-Type alone */
    size_t n;
    char *conv = rss_parse_to_utf8("\xcf\xf0\xe8\xe2\xe5\xf2", 6, "windows-1251", &n);
    CHECK_STR(conv, "Привет");
    free(conv);
    CHECK(rss_parse_to_utf8("x", 1, "no-such-charset", &n) == NULL);
    collector_feed_free(&rss_source, &f);
}

TEST(rss_broken_bodies)
{
    collector_feed_t f;
    collector_page_t p;
    collector_error_t e;
    feed_init(&rss_source, &f, "broken");
    CHECK_INT(parse_file(&rss_source, &f, NULL, "rss/truncated.xml", NULL, &p, &e), -1);
    CHECK_INT(e.cls, BP_FETCH_BAD_BODY);
    CHECK(strstr(e.msg, "not a well-formed feed: line") != NULL);
    collector_page_free(&p);
    CHECK_INT(parse_file(&rss_source, &f, NULL, "rss/garbage.txt", NULL, &p, &e), -1);
    CHECK_INT(e.cls, BP_FETCH_BAD_BODY);
    collector_page_free(&p);
    CHECK_INT(parse_file(&rss_source, &f, NULL, "rss/garbage2.txt", NULL, &p, &e), -1);
    CHECK_INT(e.cls, BP_FETCH_BAD_BODY);
    collector_page_free(&p);
    /* invalid UTF-8 inside a UTF-8 feed is repaired, not fatal */
    CHECK_INT(parse_file(&rss_source, &f, NULL, "rss/invalid-utf8.xml", NULL, &p, &e), 0);
    CHECK_INT(json_array_size(p.posts), 2);
    CHECK(strstr(bp_json_str(post_at(&p, 0), "text"), "\xEF\xBF\xBD bad") != NULL);
    CHECK(all_valid(p.posts));
    collector_page_free(&p);
    collector_feed_free(&rss_source, &f);
}

TEST(vk_search)
{
    collector_feed_t f;
    collector_page_t p;
    collector_error_t e;
    feed_init(&vk_source, &f, "vk-privat");
    CHECK_INT(parse_file(&vk_source, &f, NULL, "vk/search-page1.json", NULL, &p, &e), 0);
    CHECK_INT(json_array_size(p.posts), 2);
    CHECK_INT(p.skipped, 1);
    json_t *a = post_at(&p, 0), *b = post_at(&p, 1);
    CHECK_STR(bp_json_str(a, "id"), "vk:wall-1234_5678");
    CHECK_STR(bp_json_str(a, "url"), "https://vk.com/wall-1234_5678");
    CHECK_STR(bp_json_str(a, "published_at"), "2026-11-23T08:00:00.000Z");
    CHECK_STR(bp_json_str(json_object_get(a, "author"), "id"), "vk:-1234");
    CHECK_STR(bp_json_str(json_object_get(a, "author"), "name"), "Отзывы о банках");
    CHECK_INT(bp_post_followers(a), 52000);
    CHECK_INT(bp_json_int(json_object_get(a, "metrics"), "views"), 410);
    CHECK_STR(bp_json_str(b, "id"), "vk:wall99_91");
    CHECK_STR(bp_json_str(json_object_get(b, "author"), "name"), "Олег Коваль");
    CHECK_STR(bp_json_str(json_object_get(b, "author"), "url"), "https://vk.com/oleg.koval");
    CHECK_INT(bp_post_followers(b), 15300);
    CHECK_STR(bp_json_str(b, "lang"), "uk");
    CHECK(all_valid(p.posts));
    CHECK_INT(p.more, 1);
    CHECK_STR(bp_json_str(p.cursor, "next_from"), "3/-1234_5678");
    CHECK_INT(bp_json_int(p.cursor, "newest"), 1795420860);
    /* the last page ends the search: the next one starts at the newest date */
    json_t *cur = json_incref(p.cursor);
    collector_page_free(&p);
    CHECK_INT(parse_file(&vk_source, &f, cur, "vk/search-page2.json", NULL, &p, &e), 0);
    CHECK_INT(p.more, 0);
    CHECK_INT(bp_json_int(p.cursor, "start_time"), 1795420860);
    CHECK_STR(bp_json_str(p.cursor, "next_from"), "");
    json_decref(cur);
    collector_page_free(&p);
    collector_feed_free(&vk_source, &f);
}

TEST(vk_errors)
{
    collector_feed_t f;
    collector_page_t p;
    collector_error_t e;
    feed_init(&vk_source, &f, "vk-privat");
    CHECK_INT(parse_file(&vk_source, &f, NULL, "vk/error5.json", NULL, &p, &e), -1);
    CHECK_INT(e.cls, BP_FETCH_AUTH);
    CHECK(strstr(e.msg, "VK API error 5: User authorization failed") != NULL);
    collector_page_free(&p);
    CHECK_INT(parse_file(&vk_source, &f, NULL, "vk/error6.json", NULL, &p, &e), -1);
    CHECK_INT(e.cls, BP_FETCH_RATE_LIMITED);
    CHECK(e.retry_after_ms > 0);
    collector_page_free(&p);
    CHECK_INT(parse_file(&vk_source, &f, NULL, "vk/error29.json", NULL, &p, &e), -1);
    CHECK_INT(e.cls, BP_FETCH_RATE_LIMITED);
    collector_page_free(&p);
    CHECK_INT(parse_file(&vk_source, &f, NULL, "rss/garbage.txt", NULL, &p, &e), -1);
    CHECK_INT(e.cls, BP_FETCH_BAD_BODY);
    collector_page_free(&p);
    /* the request carries the cursor and never shows up without the token */
    bp_buf_t url;
    char *hdr[8];
    size_t nh = 0;
    char err[128];
    free(f.query);
    f.query = strdup("приват банк");
    f.token = strdup("T0K");
    bp_buf_init(&url, 0);
    json_t *cur = json_pack("{s:I, s:s}", "start_time", (json_int_t)1795420860, "next_from", "3/x");
    CHECK_INT(vk_source.request(&f, cur, &url, hdr, &nh, err, sizeof err), 0);
    CHECK(strstr(url.data, "https://api.vk.com/method/newsfeed.search?") == url.data);
    CHECK(strstr(url.data, "&start_time=1795420860") != NULL);
    CHECK(strstr(url.data, "&start_from=3%2Fx") != NULL);
    CHECK(strstr(url.data, "&q=%D0%BF%D1%80%D0%B8%D0%B2%D0%B0%D1%82%20") != NULL);
    CHECK(strstr(url.data, "&access_token=T0K") != NULL);
    json_decref(cur);
    bp_buf_free(&url);
    collector_feed_free(&vk_source, &f);
}

TEST(vk_comments)
{
    collector_feed_t f;
    collector_page_t p;
    collector_error_t e;
    char err[256];
    feed_init(&vk_source, &f, "vk-own");
    free(f.mode);
    f.mode = strdup("comments");
    CHECK_INT(vk_source.check(&f, err, sizeof err), 0); /* no query needed */
    CHECK_INT(parse_file(&vk_source, &f, NULL, "vk/comments.json", NULL, &p, &e), 0);
    CHECK_INT(json_array_size(p.posts), 2);
    CHECK_INT(p.skipped, 2); /* the sticker and the post without comments */
    json_t *a = post_at(&p, 0), *b = post_at(&p, 1);
    CHECK_STR(bp_json_str(a, "id"), "vk:wall-1234_5600_r9001");
    CHECK_STR(bp_json_str(a, "kind"), "comment");
    CHECK_STR(bp_json_str(a, "thread_id"), "vk:wall-1234_5600");
    CHECK_STR(bp_json_str(a, "url"), "https://vk.com/wall-1234_5600?reply=9001");
    CHECK_STR(bp_json_str(json_object_get(a, "author"), "name"), "Олег Коваль");
    CHECK_STR(bp_json_str(json_object_get(b, "author"), "name"), "ExampleBank");
    CHECK_INT(bp_json_int(p.cursor, "start_time"), 1795421700);
    CHECK(all_valid(p.posts));
    collector_page_free(&p);
    bp_buf_t url;
    char *hdr[8];
    size_t nh = 0;
    f.token = strdup("T");
    bp_buf_init(&url, 0);
    CHECK_INT(vk_source.request(&f, NULL, &url, hdr, &nh, err, sizeof err), 0);
    CHECK(strstr(url.data, "/method/newsfeed.getComments?") != NULL);
    CHECK(strstr(url.data, "&q=") == NULL);
    bp_buf_free(&url);
    free(f.mode);
    f.mode = strdup("search");
    CHECK_INT(vk_source.check(&f, err, sizeof err), -1);
    CHECK(strstr(err, "key 'query' is required") != NULL);
    free(f.mode);
    f.mode = strdup("wall");
    CHECK_INT(vk_source.check(&f, err, sizeof err), -1);
    collector_feed_free(&vk_source, &f);
}

TEST(telegram_updates)
{
    collector_feed_t f;
    collector_page_t p;
    collector_error_t e;
    feed_init(&telegram_source, &f, "tg");
    CHECK_INT(parse_file(&telegram_source, &f, NULL, "telegram/updates1.json", NULL, &p, &e), 0);
    CHECK_INT(json_array_size(p.posts), 3);
    CHECK_INT(p.skipped, 2); /* the sticker and the member update */
    json_t *a = post_at(&p, 0), *b = post_at(&p, 1), *c = post_at(&p, 2);
    CHECK_STR(bp_json_str(a, "id"), "telegram:-1001500_11");
    CHECK_STR(bp_json_str(a, "url"), "https://t.me/bank_clients/11");
    CHECK_STR(bp_json_str(a, "kind"), "message");
    CHECK_STR(bp_json_str(json_object_get(a, "author"), "name"), "Анна Смирнова");
    CHECK_STR(bp_json_str(b, "id"), "telegram:-1001600_305");
    CHECK_STR(bp_json_str(b, "text"), "Сбой в мобильном приложении ExampleBank");
    CHECK_STR(bp_json_str(b, "kind"), "post");
    CHECK_STR(bp_json_str(json_object_get(b, "author"), "name"), "Новости финтеха");
    CHECK_STR(bp_json_str(c, "id"), "telegram:-1001500_11@1795421000");
    CHECK_STR(bp_json_str(c, "kind"), "edit");
    CHECK_STR(bp_json_str(c, "thread_id"), "telegram:-1001500_11");
    CHECK_INT(bp_json_int(p.cursor, "offset"), 700006);
    CHECK_INT(p.more, 0);
    CHECK(all_valid(p.posts));
    collector_page_free(&p);
    /* an empty answer keeps the offset */
    json_t *cur = json_pack("{s:I}", "offset", (json_int_t)700006);
    CHECK_INT(parse_file(&telegram_source, &f, cur, "telegram/empty.json", NULL, &p, &e), 0);
    CHECK_INT(bp_json_int(p.cursor, "offset"), 700006);
    collector_page_free(&p);
    json_decref(cur);
    /* a 429 body says how long to wait */
    size_t len;
    char *d = load("telegram/too-many.json", &len);
    collector_body_t body = {d, len, 429, "application/json"};
    memset(&e, 0, sizeof e);
    e.retry_after_ms = -1;
    telegram_source.api_error(&f, &body, &e);
    CHECK_INT(e.cls, BP_FETCH_RATE_LIMITED);
    CHECK_INT(e.retry_after_ms, 1000);
    free(d);
    collector_feed_free(&telegram_source, &f);
}

TEST(x_recent)
{
    collector_feed_t f;
    collector_page_t p;
    collector_error_t e;
    feed_init(&x_source, &f, "x-bank");
    CHECK_INT(parse_file(&x_source, &f, NULL, "x/recent1.json", NULL, &p, &e), 0);
    CHECK_INT(json_array_size(p.posts), 2);
    json_t *a = post_at(&p, 0), *b = post_at(&p, 1);
    CHECK_STR(bp_json_str(a, "id"), "x:1860000000000000003");
    CHECK_STR(bp_json_str(a, "url"), "https://x.com/janedoe/status/1860000000000000003");
    CHECK_INT(bp_post_followers(a), 48000);
    CHECK_INT(bp_json_int(json_object_get(a, "metrics"), "reposts"), 5);
    CHECK_STR(bp_json_str(a, "published_at"), "2026-11-23T10:05:00.000Z");
    CHECK_STR(bp_json_str(b, "lang"), "ru");
    CHECK_STR(bp_json_str(b, "thread_id"), "x:1859999999999999990");
    CHECK_INT(p.more, 1);
    CHECK_STR(bp_json_str(p.cursor, "next_token"), "b26v89c19zqg8o3fpzbkk");
    CHECK_STR(bp_json_str(p.cursor, "newest"), "1860000000000000003");
    CHECK(all_valid(p.posts));
    json_t *cur = json_incref(p.cursor);
    collector_page_free(&p);
    CHECK_INT(parse_file(&x_source, &f, cur, "x/recent2.json", NULL, &p, &e), 0);
    CHECK_INT(p.more, 0);
    CHECK_STR(bp_json_str(p.cursor, "since_id"), "1860000000000000003");
    json_decref(cur);
    collector_page_free(&p);
    CHECK_INT(parse_file(&x_source, &f, NULL, "x/empty.json", NULL, &p, &e), 0);
    CHECK_INT(json_array_size(p.posts), 0);
    collector_page_free(&p);
    collector_feed_free(&x_source, &f);
}

TEST(mastodon_timeline)
{
    collector_feed_t f;
    collector_page_t p;
    collector_error_t e;
    feed_init(&mastodon_source, &f, "fedi");
    CHECK_INT(parse_file(&mastodon_source, &f, NULL, "mastodon/tag1.json", NULL, &p, &e), 0);
    CHECK_INT(json_array_size(p.posts), 2);
    CHECK_INT(p.skipped, 1); /* the boost */
    json_t *a = post_at(&p, 0), *b = post_at(&p, 1);
    CHECK_STR(bp_json_str(a, "id"), "mastodon:https://mastodon.example/users/alice/statuses/"
                                    "113500000000000002");
    CHECK_STR(bp_json_str(a, "text"), "Is #ExampleBank down? Can't log in & support won't "
                                      "answer.\nSecond paragraph");
    CHECK_INT(bp_post_followers(a), 320);
    CHECK_STR(bp_json_str(b, "text"), "банк\nНенавижу этот банк");
    CHECK_STR(bp_json_str(b, "kind"), "comment");
    CHECK_STR(bp_json_str(json_object_get(b, "author"), "name"), "bob");
    CHECK_STR(bp_json_str(p.cursor, "min_id"), "113500000000000003");
    CHECK(all_valid(p.posts));
    collector_page_free(&p);
    collector_feed_free(&mastodon_source, &f);
}

TEST(reddit_search)
{
    collector_feed_t f;
    collector_page_t p;
    collector_error_t e;
    feed_init(&reddit_source, &f, "rd");
    CHECK_INT(parse_file(&reddit_source, &f, NULL, "reddit/search1.json", NULL, &p, &e), 0);
    CHECK_INT(json_array_size(p.posts), 2);
    json_t *a = post_at(&p, 0), *b = post_at(&p, 1);
    CHECK_STR(bp_json_str(a, "id"), "reddit:t3_1gx0003");
    CHECK_STR(bp_json_str(a, "text"), "ExampleBank froze my account\nThey froze it &amp; nobody "
                                      "answers the phone.");
    CHECK_STR(bp_json_str(a, "url"), "https://www.reddit.com/r/personalfinance/comments/1gx0003/"
                                     "examplebank_froze_my_account/");
    CHECK(json_object_get(b, "author") == NULL); /* [deleted] */
    CHECK_INT(p.more, 1);
    CHECK_STR(bp_json_str(p.cursor, "after"), "t3_1gx0002");
    CHECK(all_valid(p.posts));
    /* a later poll stops paging when it reaches posts already seen */
    json_t *cur = json_pack("{s:f}", "newest", 1795421100.0);
    collector_page_free(&p);
    CHECK_INT(parse_file(&reddit_source, &f, cur, "reddit/search1.json", NULL, &p, &e), 0);
    CHECK_INT(p.more, 0);
    CHECK(json_number_value(json_object_get(p.cursor, "newest")) == 1795421200.0);
    json_decref(cur);
    collector_page_free(&p);
    collector_feed_free(&reddit_source, &f);
}

TEST(httpjson_mapping)
{
    collector_feed_t f;
    collector_page_t p;
    collector_error_t e;
    char err[256];
    feed_init(&httpjson_source, &f, "reviews");
#define SET(field, val) (free(field), (field) = strdup(val))
    SET(f.items, "/result/reviews");
    SET(f.fields.id, "/review_id");
    SET(f.fields.text, "/body");
    SET(f.fields.title, "/headline");
    SET(f.fields.author, "/user/nick");
    SET(f.fields.author_id, "/user/uid");
    SET(f.fields.followers, "/user/karma");
    SET(f.fields.time, "/ts");
    SET(f.fields.url, "/link");
    CHECK_INT(httpjson_source.check(&f, err, sizeof err), 0);
    CHECK_INT(parse_file(&httpjson_source, &f, NULL, "httpjson/items.json", NULL, &p, &e), 0);
    CHECK_INT(json_array_size(p.posts), 2);
    CHECK_INT(p.skipped, 1);
    CHECK_INT(json_array_size(p.bad), 1);
    json_t *a = post_at(&p, 0), *b = post_at(&p, 1);
    CHECK_STR(bp_json_str(a, "id"), "http-json:reviews:501");
    CHECK_STR(bp_json_str(a, "text"), "Отзыв\nУжасное обслуживание в отделении на Ленина");
    CHECK_STR(bp_json_str(a, "published_at"), "2026-11-23T08:08:20.000Z");
    CHECK_INT(bp_post_followers(a), 250);
    CHECK_STR(bp_json_str(json_object_get(a, "author"), "id"), "http-json:u77");
    CHECK_STR(bp_json_str(b, "published_at"), "2026-11-23T10:20:00.000Z");
    CHECK_STR(bp_json_str(b, "url"), "https://reviews.example/r/502");
    CHECK_STR(bp_json_str(p.cursor, "since_id"), "503");
    CHECK(all_valid(p.posts));
    collector_page_free(&p);
    /* URL template */
    bp_buf_t url;
    char *hdr[8];
    size_t nh = 0;
    free(f.url);
    f.url = strdup("http://127.0.0.1:1/api?q={query}&after={since_id}&t={since_unix}");
    f.query = (free(f.query), strdup("a b"));
    json_t *cur = json_pack("{s:s, s:I}", "since_id", "503", "since_ms", (json_int_t)1795421300000);
    bp_buf_init(&url, 0);
    CHECK_INT(httpjson_source.request(&f, cur, &url, hdr, &nh, err, sizeof err), 0);
    CHECK_STR(url.data, "http://127.0.0.1:1/api?q=a%20b&after=503&t=1795421300");
    bp_buf_free(&url);
    free(f.url);
    f.url = strdup("http://h/{nope}");
    bp_buf_init(&url, 0);
    CHECK_INT(httpjson_source.request(&f, cur, &url, hdr, &nh, err, sizeof err), -1);
    bp_buf_free(&url);
    json_decref(cur);
    f.items = (free(f.items), strdup("result"));
    CHECK_INT(httpjson_source.check(&f, err, sizeof err), -1);
    collector_feed_free(&httpjson_source, &f);
}

TEST(config_feeds)
{
    char path[] = "/tmp/bp-test-collectors-XXXXXX";
    int fd = mkstemp(path);
    const char *yaml = "kafka: {brokers: 127.0.0.1:1}\nstate_dir: /tmp/x\nfeeds:\n"
                       "  - name: a\n    url: https://a.example/rss\n    interval: 30s\n"
                       "  - name: b\n    url: https://b.example/rss\n    colour: red\n";
    CHECK(write(fd, yaml, strlen(yaml)) == (ssize_t)strlen(yaml));
    close(fd);
    collector_feeds_t fs = {0};
    char err[512];
    CHECK_INT(collector_load_feeds(&rss_source, path, &fs, err, sizeof err), -1);
    CHECK(strstr(err, ":9:5: unknown key 'colour'") != NULL);
    if (!strstr(err, ":9:5:"))
        fprintf(stderr, "    err: %s\n", err);
    collector_feeds_free(&rss_source, &fs);
    const char *ok = "feeds:\n  - name: a\n    url: https://a.example/rss\n    interval: 30s\n"
                     "  - {name: b, url: 'http://b.example/rss'}\n";
    FILE *fp = fopen(path, "w");
    fputs(ok, fp);
    fclose(fp);
    CHECK_INT(collector_load_feeds(&rss_source, path, &fs, err, sizeof err), 0);
    CHECK_INT(fs.n, 2);
    CHECK_INT(fs.v[0].interval_ms, 30000);
    CHECK_INT(fs.v[1].interval_ms, 300000);
    collector_feeds_free(&rss_source, &fs);
    const char *dup = "feeds:\n  - {name: a, url: 'http://b.example/rss'}\n"
                      "  - {name: a, url: 'http://b.example/rss'}\n";
    fp = fopen(path, "w");
    fputs(dup, fp);
    fclose(fp);
    CHECK_INT(collector_load_feeds(&rss_source, path, &fs, err, sizeof err), -1);
    CHECK(strstr(err, "named twice") != NULL);
    collector_feeds_free(&rss_source, &fs);
    unsetenv("BP_TEST_NO_SUCH_TOKEN");
    const char *vk = "feeds:\n  - {name: v, query: q, token: {env: BP_TEST_NO_SUCH_TOKEN}}\n";
    fp = fopen(path, "w");
    fputs(vk, fp);
    fclose(fp);
    CHECK_INT(collector_load_feeds(&vk_source, path, &fs, err, sizeof err), -1);
    CHECK(strstr(err, "key 'token'") != NULL);
    collector_feeds_free(&vk_source, &fs);
    unlink(path);
}

int main(void)
{
    RUN(html_to_text);
    RUN(postbuild_helpers);
    RUN(rss_dates);
    RUN(rss_v2);
    RUN(rss_atom_and_rdf);
    RUN(rss_charsets);
    RUN(rss_broken_bodies);
    RUN(vk_search);
    RUN(vk_errors);
    RUN(vk_comments);
    RUN(telegram_updates);
    RUN(x_recent);
    RUN(mastodon_timeline);
    RUN(reddit_search);
    RUN(httpjson_mapping);
    RUN(config_feeds);
    return test_summary();
}
