/* digest.h — what a channel holds back (low-priority alerts, alerts over its rate limit) is
 * collected into one digest message per channel and period, so nothing is suppressed
 * silently; and the per-channel rate limit itself (a token bucket). */
#ifndef BP_DIGEST_H
#define BP_DIGEST_H

#include <jansson.h>
#include <stdint.h>

#define DIGEST_MAX_ITEMS 20 /* items shown; the count covers all */

/* A new, empty digest message for a channel ({"kind":"digest", "alert_id":"dg_<channel>_<ms>",
 * "count":0, "low":0, "limited":0, "why":"", "items":[]}). New reference or NULL. */
json_t *digest_new(const char *channel, int64_t now_ms);
/* Adds an alert (a mention) held back because it is low priority (low=1) or over the rate
 * limit (low=0): counts it, keeps it as an item while fewer than DIGEST_MAX_ITEMS, updates
 * "why". Returns 0 or -1. */
int digest_add(json_t *digest, const json_t *alert, int low);

typedef struct digest_bucket {
    double tokens;
    int64_t last_ms;
} digest_bucket_t;

/* Takes one token from a bucket refilled at limit per period_ms (capacity limit). limit 0 means
 * no limit. Returns 1 if the message may go now, 0 if it is over the limit. */
int digest_bucket_take(digest_bucket_t *b, long long limit, int64_t period_ms, int64_t now_ms);

#endif
