/* test_webhook.c — webhook intake pieces: signatures and timestamps, batch splitting, posts
 * completed and validated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "test.h"
#include "timeutil.h"
#include "webhook.h"

TEST(signatures)
{
    const char *body = "{\"text\":\"hi\"}";
    char sig[72], err[256], ts[32];
    int64_t now = 1795420800000;
    snprintf(ts, sizeof ts, "%lld", (long long)(now / 1000));
    webhook_sign("s3cret", ts, body, strlen(body), sig);
    CHECK(strncmp(sig, "sha256=", 7) == 0 && strlen(sig) == 71);
    /* the known answer, as openssl dgst -sha256 -hmac s3cret computes it */
    CHECK_STR(sig, "sha256=78a9b270ba44d48b02083ff6050296b97c0e10053f4800205bda15820f87842f");
    CHECK_INT(webhook_verify("s3cret", ts, sig, body, strlen(body), now, 300000, err, sizeof err), 0);
    /* within tolerance either way */
    CHECK_INT(webhook_verify("s3cret", ts, sig, body, strlen(body), now + 299000, 300000, err,
                             sizeof err), 0);
    /* replayed later: refused */
    CHECK_INT(webhook_verify("s3cret", ts, sig, body, strlen(body), now + 301000, 300000, err,
                             sizeof err), -1);
    CHECK(strstr(err, "away from now") != NULL);
    /* wrong key, changed body, changed timestamp */
    CHECK_INT(webhook_verify("other", ts, sig, body, strlen(body), now, 300000, err, sizeof err),
              -1);
    CHECK_STR(err, "bad signature");
    CHECK_INT(webhook_verify("s3cret", ts, sig, "{\"text\":\"hI\"}", strlen(body), now, 300000, err,
                             sizeof err), -1);
    CHECK_INT(webhook_verify("s3cret", "1795420801", sig, body, strlen(body), now, 300000, err,
                             sizeof err), -1);
    CHECK_INT(webhook_verify("s3cret", NULL, sig, body, strlen(body), now, 300000, err, sizeof err),
              -1);
    CHECK(strstr(err, "missing X-BP-Timestamp") != NULL);
    CHECK_INT(webhook_verify("s3cret", "17x", sig, body, strlen(body), now, 300000, err, sizeof err),
              -1);
    CHECK_INT(webhook_verify("s3cret", ts, "sha1=abc", body, strlen(body), now, 300000, err,
                             sizeof err), -1);
    /* uppercase hex is the same signature */
    char up[72];
    strcpy(up, sig);
    for (char *p = up + 7; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 32);
    CHECK_INT(webhook_verify("s3cret", ts, up, body, strlen(body), now, 300000, err, sizeof err), 0);
}

TEST(split_bodies)
{
    char err[256];
    json_t *a = webhook_split("{\"text\":\"one\"}", 14, 10, err, sizeof err);
    CHECK_INT(json_array_size(a), 1);
    json_decref(a);
    const char *arr = "[{\"text\":\"a\"},{\"text\":\"b\"}]";
    a = webhook_split(arr, strlen(arr), 10, err, sizeof err);
    CHECK_INT(json_array_size(a), 2);
    json_decref(a);
    const char *jl = "{\"text\":\"a\"}\n\n{\"text\":\"b\"}\r\n{\"text\":\"c\"}";
    a = webhook_split(jl, strlen(jl), 10, err, sizeof err);
    CHECK_INT(json_array_size(a), 3);
    json_decref(a);
    CHECK(webhook_split(jl, strlen(jl), 2, err, sizeof err) == NULL);
    CHECK(strstr(err, "at most 2") != NULL);
    const char *badline = "{\"text\":\"a\"}\n{\"text\":";
    CHECK(webhook_split(badline, strlen(badline), 10, err, sizeof err) == NULL);
    CHECK(strncmp(err, "line 2: not JSON", 16) == 0);
    CHECK(webhook_split("[1,2]", 5, 10, err, sizeof err) == NULL);
    CHECK_STR(err, "item 1: not a JSON object");
    CHECK(webhook_split("  ", 2, 10, err, sizeof err) == NULL);
    CHECK_STR(err, "empty body");
    CHECK(webhook_split("\"x\"", 3, 10, err, sizeof err) == NULL);
    CHECK(webhook_split("{\"text\":\"\xff\"}", 12, 10, err, sizeof err) == NULL);
    CHECK(strstr(err, "UTF-8") != NULL);
}

TEST(prepare_posts)
{
    char err[256];
    int64_t now = 1795420800000;
    json_t *p = json_loads("{\"text\":\"Не работает оплата\",\"author\":{\"name\":\"Форма\"}}", 0,
                           NULL);
    CHECK_INT(webhook_prepare(p, "webhook", "site-form", now, err, sizeof err), 0);
    const char *id = bp_json_str(p, "id");
    CHECK(strncmp(id, "webhook:", 8) == 0 && strlen(id) == 8 + 32);
    CHECK_STR(bp_json_str(p, "source"), "webhook");
    CHECK_STR(bp_json_str(p, "feed"), "site-form");
    CHECK_STR(bp_json_str(p, "lang"), "ru");
    CHECK_STR(bp_json_str(p, "collected_at"), "2026-11-23T08:00:00.000Z");
    CHECK_INT(bp_json_int(p, "v"), 1);
    /* the same item again gets the same id */
    json_t *q = json_loads("{\"text\":\"Не работает оплата\",\"author\":{\"name\":\"Форма\"}}", 0,
                           NULL);
    CHECK_INT(webhook_prepare(q, "webhook", "site-form", now + 5000, err, sizeof err), 0);
    CHECK_STR(bp_json_str(q, "id"), id);
    json_decref(p);
    json_decref(q);
    p = json_loads("{\"id\":42,\"text\":\"x\",\"source\":\"mail\"}", 0, NULL);
    CHECK_INT(webhook_prepare(p, "webhook", "f", now, err, sizeof err), 0);
    CHECK_STR(bp_json_str(p, "id"), "mail:42");
    json_decref(p);
    p = json_loads("{\"id\":\"crm:7\",\"text\":\"x\",\"feed\":\"crm\"}", 0, NULL);
    CHECK_INT(webhook_prepare(p, "webhook", "f", now, err, sizeof err), 0);
    CHECK_STR(bp_json_str(p, "id"), "crm:7");
    CHECK_STR(bp_json_str(p, "feed"), "crm");
    json_decref(p);
    p = json_loads("{\"id\":\"a\"}", 0, NULL);
    CHECK_INT(webhook_prepare(p, "webhook", "f", now, err, sizeof err), -1);
    CHECK(strstr(err, "'text'") != NULL);
    json_decref(p);
    p = json_loads("{\"text\":\"x\",\"published_at\":\"yesterday\"}", 0, NULL);
    CHECK_INT(webhook_prepare(p, "webhook", "f", now, err, sizeof err), -1);
    CHECK(strstr(err, "published_at") != NULL);
    json_decref(p);
    p = json_loads("{\"text\":\"x\",\"author\":{\"followers\":-5}}", 0, NULL);
    CHECK_INT(webhook_prepare(p, "webhook", "f", now, err, sizeof err), -1);
    json_decref(p);
}

int main(void)
{
    RUN(signatures);
    RUN(split_bodies);
    RUN(prepare_posts);
    return test_summary();
}
