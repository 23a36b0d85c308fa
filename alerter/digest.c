/* digest.c — digests of held-back alerts and the per-channel token bucket (see digest.h). */
#include "digest.h"

#include <stdio.h>
#include <string.h>

#include "model.h"

json_t *digest_new(const char *channel, int64_t now_ms)
{
    char id[160];
    snprintf(id, sizeof id, "dg_%.100s_%lld", channel, (long long)now_ms);
    return json_pack("{s:s, s:s, s:i, s:i, s:i, s:s, s:[]}", "kind", "digest", "alert_id", id,
                     "count", 0, "low", 0, "limited", 0, "why", "", "items");
}

int digest_add(json_t *d, const json_t *alert, int low)
{
    const char *which = low ? "low" : "limited";
    long long count = bp_json_int(d, "count") + 1, n = bp_json_int(d, which) + 1;
    json_t *items = json_object_get(d, "items");
    if (!json_is_array(items))
        return -1;
    if (json_array_size(items) < DIGEST_MAX_ITEMS &&
        json_array_append(items, (json_t *)alert) != 0)
        return -1;
    long long nlow = low ? n : bp_json_int(d, "low");
    long long nlim = low ? bp_json_int(d, "limited") : n;
    char why[160];
    if (nlow && nlim)
        snprintf(why, sizeof why, "%lld low priority, %lld over the rate limit", nlow, nlim);
    else if (nlow)
        snprintf(why, sizeof why, "low priority");
    else
        snprintf(why, sizeof why, "over the rate limit");
    if (count > DIGEST_MAX_ITEMS) {
        size_t l = strlen(why);
        snprintf(why + l, sizeof why - l, "; %d shown", DIGEST_MAX_ITEMS);
    }
    if (json_object_set_new(d, "count", json_integer(count)) != 0 ||
        json_object_set_new(d, which, json_integer(n)) != 0 ||
        json_object_set_new(d, "why", json_string(why)) != 0)
        return -1;
    return 0;
}

int digest_bucket_take(digest_bucket_t *b, long long limit, int64_t period_ms, int64_t now_ms)
{
    if (limit <= 0 || period_ms <= 0)
        return 1;
    if (b->last_ms == 0) {
        b->tokens = (double)limit;
        b->last_ms = now_ms;
    }
    b->tokens += (double)(now_ms - b->last_ms) * (double)limit / (double)period_ms;
    if (b->tokens > (double)limit)
        b->tokens = (double)limit;
    b->last_ms = now_ms;
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return 1;
    }
    return 0;
}
