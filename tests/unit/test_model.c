/* test_model.c — post parsing and validation: required fields, RFC 3339 times, UTF-8, size,
 * unknown fields preserved. */
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "test.h"

static json_t *parse(const char *s, char *err)
{
    return bp_post_parse(s, strlen(s), err, 256);
}

TEST(valid_post_parses_and_keeps_unknown_fields)
{
    char err[256] = "";
    json_t *p = parse("{\"v\":1,\"id\":\"vk:1\",\"source\":\"vk\",\"text\":\"Приват\","
                      "\"published_at\":\"2026-11-22T10:00:00Z\",\"author\":{\"followers\":15300},"
                      "\"x_custom\":{\"a\":[1,2]}}",
                      err);
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK_STR(bp_json_str(p, "id"), "vk:1");
    CHECK_INT(bp_post_followers(p), 15300);
    CHECK_INT(bp_post_stamp(p, 0), 0);
    CHECK_STR(bp_json_str(p, "collected_at"), "1970-01-01T00:00:00.000Z");
    char *s = bp_json_dump(p);
    CHECK(strstr(s, "\"x_custom\":{\"a\":[1,2]}") != NULL);
    free(s);
    json_decref(p);
}

TEST(invalid_posts_are_refused_with_a_reason)
{
    char err[256];
    struct {
        const char *in, *reason;
    } cases[] = {
        {"not json", "not JSON: "},
        {"[1,2]", "a post must be a JSON object"},
        {"{\"source\":\"vk\",\"text\":\"x\"}", "missing field 'id'"},
        {"{\"id\":\"\",\"source\":\"vk\",\"text\":\"x\"}", "field 'id' must be a non-empty string"},
        {"{\"id\":5,\"source\":\"vk\",\"text\":\"x\"}", "field 'id' must be a non-empty string"},
        {"{\"id\":\"a\",\"text\":\"x\"}", "missing field 'source'"},
        {"{\"id\":\"a\",\"source\":\"vk\"}", "missing field 'text'"},
        {"{\"id\":\"a\",\"source\":\"vk\",\"text\":7}", "field 'text' must be a string"},
        {"{\"id\":\"a\",\"source\":\"vk\",\"text\":\"x\",\"published_at\":\"yesterday\"}",
         "field 'published_at' is not RFC 3339: 'yesterday'"},
        {"{\"id\":\"a\",\"source\":\"vk\",\"text\":\"x\",\"author\":{\"followers\":-1}}",
         "field 'author.followers' must be a non-negative integer"},
        {"{\"id\":\"a\",\"id\":\"b\",\"source\":\"vk\",\"text\":\"x\"}", "not JSON: duplicate object key"},
        {"{\"id\":\"a\",\"source\":\"vk\",\"text\":\"\xff\"}", "invalid UTF-8 at byte 32"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        err[0] = '\0';
        json_t *p = parse(cases[i].in, err);
        CHECK(p == NULL);
        if (strncmp(err, cases[i].reason, strlen(cases[i].reason)) != 0) {
            fprintf(stderr, "    case %zu: got \"%s\", expected \"%s...\"\n", i, err, cases[i].reason);
            test_cur_failed = 1;
        }
        json_decref(p);
    }
}

TEST(oversized_record_is_refused_before_parsing)
{
    size_t n = BP_POST_MAX_BYTES + 10;
    char *big = malloc(n);
    memset(big, 'a', n);
    char err[256];
    CHECK(bp_post_parse(big, n, err, sizeof err) == NULL);
    CHECK(strstr(err, "exceeds the 1048576-byte limit") != NULL);
    free(big);
}

int main(void)
{
    RUN(valid_post_parses_and_keeps_unknown_fields);
    RUN(invalid_posts_are_refused_with_a_reason);
    RUN(oversized_record_is_refused_before_parsing);
    return test_summary();
}
