/* heartbeat.c — a collector feed's heartbeat record to and from JSON (see heartbeat.h). */
#include "heartbeat.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "model.h"
#include "timeutil.h"

static int heartbeat_set_time_or_null(json_t *o, const char *key, int64_t ms)
{
    if (ms < 0)
        return json_object_set_new(o, key, json_null());
    return bp_json_set_time(o, key, ms);
}

json_t *heartbeat_to_json(const heartbeat_t *hb)
{
    json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "v", 1, "kind",
                          "heartbeat", "collector", hb->collector, "feed", hb->feed, "source",
                          hb->source, "poll_interval_ms", (json_int_t)hb->poll_interval_ms,
                          "expected_interval_ms", (json_int_t)hb->expected_interval_ms,
                          "heartbeat_interval_ms", (json_int_t)hb->heartbeat_interval_ms);
    if (!o)
        return NULL;
    int rc = bp_json_set_time(o, "started_at", hb->started_at_ms);
    rc |= heartbeat_set_time_or_null(o, "last_poll_ok_at", hb->last_poll_ok_ms);
    rc |= heartbeat_set_time_or_null(o, "last_post_at", hb->last_post_ms);
    rc |= json_object_set_new(o, "posts_total", json_integer((json_int_t)hb->posts_total));
    rc |= json_object_set_new(o, "errors_total", json_integer((json_int_t)hb->errors_total));
    rc |= json_object_set_new(o, "failures", json_integer((json_int_t)hb->failures));
    rc |= json_object_set_new(o, "last_error", json_string(hb->last_error));
    rc |= bp_json_set_time(o, "at", hb->at_ms);
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* A time field: RFC 3339, or null/absent when optional (-1). */
static int heartbeat_time(const json_t *j, const char *key, int optional, int64_t *out,
                          char *err, size_t errlen)
{
    const json_t *v = json_object_get(j, key);
    *out = -1;
    if ((!v || json_is_null(v)) && optional)
        return 0;
    if (!json_is_string(v) || bp_time_parse_rfc3339(json_string_value(v), out) != 0)
        return bp_seterr(err, errlen, "field '%s': %s", key,
                         v ? "not an RFC 3339 time" : "missing");
    return 0;
}

static int heartbeat_copy(const json_t *j, const char *key, char *dst, size_t dstlen, int required,
                          char *err, size_t errlen)
{
    const char *s = bp_json_str(j, key);
    if (required && !*s)
        return bp_seterr(err, errlen, "field '%s': missing or not a string", key);
    if (strlen(s) >= dstlen && required)
        return bp_seterr(err, errlen, "field '%s': longer than %zu bytes", key, dstlen - 1);
    snprintf(dst, dstlen, "%s", s);
    return 0;
}

static int heartbeat_positive(const json_t *j, const char *key, int64_t *out, char *err,
                              size_t errlen)
{
    const json_t *v = json_object_get(j, key);
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return bp_seterr(err, errlen, "field '%s': expected a positive integer", key);
    *out = (int64_t)json_integer_value(v);
    return 0;
}

int heartbeat_from_json(const json_t *j, heartbeat_t *hb, char *err, size_t errlen)
{
    memset(hb, 0, sizeof *hb);
    if (!json_is_object(j))
        return bp_seterr(err, errlen, "not a JSON object");
    if (strcmp(bp_json_str(j, "kind"), "heartbeat") != 0)
        return bp_seterr(err, errlen, "field 'kind': expected \"heartbeat\"");
    if (heartbeat_copy(j, "feed", hb->feed, sizeof hb->feed, 1, err, errlen) != 0 ||
        heartbeat_copy(j, "collector", hb->collector, sizeof hb->collector, 0, err, errlen) != 0 ||
        heartbeat_copy(j, "source", hb->source, sizeof hb->source, 0, err, errlen) != 0 ||
        heartbeat_copy(j, "last_error", hb->last_error, sizeof hb->last_error, 0, err,
                       errlen) != 0)
        return -1;
    if (heartbeat_positive(j, "poll_interval_ms", &hb->poll_interval_ms, err, errlen) != 0 ||
        heartbeat_positive(j, "expected_interval_ms", &hb->expected_interval_ms, err, errlen) !=
            0)
        return -1;
    if (heartbeat_positive(j, "heartbeat_interval_ms", &hb->heartbeat_interval_ms, err,
                           errlen) != 0)
        hb->heartbeat_interval_ms = 0; /* optional: the watchdog then uses its floor */
    if (heartbeat_time(j, "at", 0, &hb->at_ms, err, errlen) != 0 ||
        heartbeat_time(j, "started_at", 1, &hb->started_at_ms, err, errlen) != 0 ||
        heartbeat_time(j, "last_poll_ok_at", 1, &hb->last_poll_ok_ms, err, errlen) != 0 ||
        heartbeat_time(j, "last_post_at", 1, &hb->last_post_ms, err, errlen) != 0)
        return -1;
    long long pt = bp_json_int(j, "posts_total"), et = bp_json_int(j, "errors_total");
    hb->posts_total = pt > 0 ? (unsigned long long)pt : 0;
    hb->errors_total = et > 0 ? (unsigned long long)et : 0;
    hb->failures = bp_json_int(j, "failures");
    return 0;
}
