/* watchdog.h — the dead-scraper watchdog's logic, free of Kafka and clocks so that it can be
 * tested with injected time: the latest heartbeat of every collector feed (bp.heartbeats), the
 * staleness rules, stale/recovered episodes, and the operational alerts they produce.
 *
 * A feed is stale at time now when, with threshold(x) = max(x * factor, floor):
 *   - its last heartbeat is older than threshold(heartbeat interval)   (process down), or
 *   - it has not polled successfully for threshold(poll interval)       (source failing), or
 *   - it has produced no post for threshold(expected interval)          (dead scraper).
 * An episode starts when a feed becomes stale and ends when none of the rules holds. Each
 * episode gives one "stale" alert and one "recovered" alert. Its id is the `at` of the feed's
 * last heartbeat that was healthy by its own clock, so the same history always gives the same
 * id (the alerter drops an id it already sent); markers the watchdog writes back to the
 * heartbeat topic after an alert was acknowledged let a restarted watchdog know what it sent. */
#ifndef BP_WATCHDOG_H
#define BP_WATCHDOG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "heartbeat.h"

typedef struct watchdog watchdog_t;

typedef struct watchdog_opts {
    double factor;       /* multiplies every interval (default 3) */
    int64_t floor_ms;    /* least threshold (default 10 min) */
    int64_t forget_ms;   /* a feed without heartbeat for this long is forgotten (0 = never) */
    const char *brand;   /* the brand of operational alerts, e.g. "_ops" */
    const char *priority;/* their priority, e.g. "high" */
} watchdog_opts_t;

typedef enum { WATCHDOG_STALE = 1, WATCHDOG_RECOVERED = 2 } watchdog_kind_t;

/* Why a feed is stale (the first rule that holds, in this order). */
typedef enum {
    WATCHDOG_WAIT = -1, /* heartbeat overdue, not yet past its threshold: no verdict yet */
    WATCHDOG_OK = 0,
    WATCHDOG_NO_HEARTBEAT,
    WATCHDOG_NO_POLL,
    WATCHDOG_NO_POST,
} watchdog_why_t;

/* One alert to send. */
typedef struct watchdog_event {
    watchdog_kind_t kind;
    watchdog_why_t why;         /* STALE: the rule; RECOVERED: the rule that opened it */
    char feed[HEARTBEAT_NAME_MAX];
    int64_t episode_ms;         /* the episode's anchor (its id) */
    int64_t silent_ms;          /* STALE: how long the rule's clock has been silent;
                                 * RECOVERED: how long the episode lasted */
    int64_t limit_ms;           /* STALE: the threshold that was passed */
    heartbeat_t hb;             /* the feed's latest heartbeat */
} watchdog_event_t;

/* Returns a new watchdog (opts copied; strings must outlive it), or NULL if out of memory. */
watchdog_t *watchdog_new(const watchdog_opts_t *opts);
void watchdog_free(watchdog_t *w); /* accepts NULL */

/* Takes one record of the heartbeat topic: a heartbeat (kind "heartbeat") or one of the
 * watchdog's own markers (kind "watchdog"). Returns 1 if it was used, 0 if ignored (another
 * kind), -1 if unreadable (reason in err). */
int watchdog_add(watchdog_t *w, const json_t *rec, char *err, size_t errlen);

/* Applies the rules at now_ms and writes up to max alerts due into out (each feed's state
 * is advanced as if they were sent; watchdog_undo puts one back). Returns how many. */
size_t watchdog_check(watchdog_t *w, int64_t now_ms, watchdog_event_t *out, size_t max);
/* The alert of ev could not be sent: it will be due again at the next check. */
void watchdog_undo(watchdog_t *w, const watchdog_event_t *ev);

/* Why a feed with latest heartbeat hb is stale at now_ms (WATCHDOG_OK if it is not; WATCHDOG_WAIT
 * while its heartbeat is overdue, i.e. two intervals late, but not past the threshold), with the
 * silence and the threshold in *silent_ms and *limit_ms (may be NULL). */
watchdog_why_t watchdog_judge(const watchdog_opts_t *o, const heartbeat_t *hb, int64_t now_ms,
                              int64_t *silent_ms, int64_t *limit_ms);

/* The alert for ev as a mention bp-alert accepts (new reference), or NULL if out of memory:
 * id "ops:stale:<feed>:<episode>" / "ops:recovered:<feed>:<episode>", brands [brand],
 * alert_brand, alert true, priority, reasons ["stale_feed:<feed>"] / ["feed_recovered:<feed>"],
 * source "brandpulse", feed, feed_source, text, published_at now. */
json_t *watchdog_alert(const watchdog_t *w, const watchdog_event_t *ev, int64_t now_ms);
/* The marker written back to the heartbeat topic once ev's alert was acknowledged (new
 * reference, or NULL if out of memory). */
json_t *watchdog_marker(const watchdog_event_t *ev, int64_t now_ms);

/* Feeds known. */
size_t watchdog_feeds(const watchdog_t *w);
/* Feeds in an open episode now (as of the last check). */
size_t watchdog_stale_count(const watchdog_t *w);
/* A duration for people: "45 s", "12 min", "3.5 h", "2.1 d". buf of 32 bytes. Returns buf. */
char *watchdog_human(int64_t ms, char *buf, size_t buflen);

#endif
