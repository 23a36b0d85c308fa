/* model.c — posts and mentions on jansson: parse, validate, stamp (see model.h). */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timeutil.h"
#include "utf8.h"

const char *bp_json_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

long long bp_json_int(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_real(v))
        return (long long)json_real_value(v);
    return 0;
}

long long bp_post_followers(const json_t *post)
{
    return bp_json_int(json_object_get(post, "author"), "followers");
}

static int check_time(const json_t *post, const char *key, char *err, size_t errlen)
{
    const json_t *v = json_object_get(post, key);
    if (!v || json_is_null(v))
        return 0;
    int64_t ms;
    if (!json_is_string(v))
        return bp_seterr(err, errlen, "field '%s' is not a string", key);
    if (bp_time_parse_rfc3339(json_string_value(v), &ms) != 0)
        return bp_seterr(err, errlen, "field '%s' is not RFC 3339: '%.64s'", key,
                         json_string_value(v));
    return 0;
}

int bp_post_validate(const json_t *post, char *err, size_t errlen)
{
    if (!json_is_object(post))
        return bp_seterr(err, errlen, "a post must be a JSON object");
    static const char *const required[] = {"id", "source"};
    for (size_t i = 0; i < 2; i++) {
        const json_t *v = json_object_get(post, required[i]);
        if (!v)
            return bp_seterr(err, errlen, "missing field '%s'", required[i]);
        if (!json_is_string(v) || json_string_length(v) == 0)
            return bp_seterr(err, errlen, "field '%s' must be a non-empty string", required[i]);
    }
    const json_t *text = json_object_get(post, "text");
    if (!text)
        return bp_seterr(err, errlen, "missing field 'text'");
    if (!json_is_string(text))
        return bp_seterr(err, errlen, "field 'text' must be a string");
    if (check_time(post, "published_at", err, errlen) || check_time(post, "collected_at", err, errlen))
        return -1;
    const json_t *author = json_object_get(post, "author");
    if (author && !json_is_null(author)) {
        if (!json_is_object(author))
            return bp_seterr(err, errlen, "field 'author' must be an object");
        const json_t *f = json_object_get(author, "followers");
        if (f && !json_is_null(f) && (!json_is_integer(f) || json_integer_value(f) < 0))
            return bp_seterr(err, errlen, "field 'author.followers' must be a non-negative integer");
    }
    return 0;
}

json_t *bp_post_parse(const char *data, size_t len, char *err, size_t errlen)
{
    if (len > BP_POST_MAX_BYTES) {
        bp_seterr(err, errlen, "record of %zu bytes exceeds the %zu-byte limit", len,
                  BP_POST_MAX_BYTES);
        return NULL;
    }
    size_t bad = bp_utf8_check(data, len);
    if (bad != len) {
        bp_seterr(err, errlen, "invalid UTF-8 at byte %zu", bad);
        return NULL;
    }
    json_error_t je;
    json_t *post = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!post) {
        bp_seterr(err, errlen, "not JSON: %s (line %d, column %d)", je.text, je.line, je.column);
        return NULL;
    }
    if (bp_post_validate(post, err, errlen) != 0) {
        json_decref(post);
        return NULL;
    }
    return post;
}

int bp_json_set_time(json_t *obj, const char *key, int64_t ms)
{
    char buf[BP_TIME_BUFSZ];
    return json_object_set_new(obj, key, json_string(bp_time_format_rfc3339(ms, buf)));
}

int bp_post_stamp(json_t *post, int64_t now_ms)
{
    if (!json_object_get(post, "v") &&
        json_object_set_new(post, "v", json_integer(BP_MODEL_VERSION)) != 0)
        return -1;
    if (!json_is_string(json_object_get(post, "collected_at")) &&
        bp_json_set_time(post, "collected_at", now_ms) != 0)
        return -1;
    return 0;
}

char *bp_json_dump(const json_t *obj)
{
    return json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
}
