/* heartbeat.h — a collector feed's heartbeat on bp.heartbeats (keyed by feed name): what the
 * feed was last seen doing, so that bp-watchdog can tell a dead scraper from a quiet one.
 *
 *   {"v":1, "kind":"heartbeat", "collector":"bp-collect-vk", "feed":"vk-privatbank",
 *    "source":"vk", "poll_interval_ms":300000, "expected_interval_ms":300000,
 *    "heartbeat_interval_ms":30000, "started_at":RFC3339, "last_poll_ok_at":RFC3339|null,
 *    "last_post_at":RFC3339|null, "posts_total":N, "errors_total":N, "failures":N,
 *    "last_error":"...", "at":RFC3339} */
#ifndef BP_HEARTBEAT_H
#define BP_HEARTBEAT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define HEARTBEAT_NAME_MAX 128
#define HEARTBEAT_ERR_MAX 320

typedef struct heartbeat {
    char collector[64];                /* program name, e.g. bp-collect-vk */
    char feed[HEARTBEAT_NAME_MAX];     /* the feed's configured name */
    char source[64];                   /* the posts' source (vk, rss, ...) */
    int64_t poll_interval_ms;          /* the feed's `interval` */
    int64_t expected_interval_ms;      /* how often posts are expected (`silence`, else interval) */
    int64_t heartbeat_interval_ms;     /* how often heartbeats are sent */
    int64_t started_at_ms;             /* when the collector process started */
    int64_t last_poll_ok_ms;           /* last successful poll, -1 = none since start */
    int64_t last_post_ms;              /* last post produced and acknowledged, -1 = none known */
    unsigned long long posts_total;    /* posts produced since start */
    unsigned long long errors_total;   /* failed polls since start */
    long long failures;                /* failed polls in a row now */
    char last_error[HEARTBEAT_ERR_MAX];/* the last poll failure ("" = none) */
    int64_t at_ms;                     /* when the heartbeat was made */
} heartbeat_t;

/* The heartbeat as a JSON object (new reference), or NULL if out of memory. */
json_t *heartbeat_to_json(const heartbeat_t *hb);

/* Reads a heartbeat object into hb (zeroed first). Required: kind "heartbeat", feed (a non-empty
 * string), at (RFC 3339), poll_interval_ms and expected_interval_ms (positive integers);
 * last_poll_ok_at and last_post_at may be null or absent (-1). Returns 0, or -1 with
 * "field 'x': reason" in err. */
int heartbeat_from_json(const json_t *j, heartbeat_t *hb, char *err, size_t errlen);

#endif
