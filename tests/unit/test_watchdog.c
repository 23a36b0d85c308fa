/* test_watchdog.c — the dead-scraper watchdog's rules with injected time: heartbeat records,
 * the three staleness rules, one alert per episode, recovery, restarts rebuilt from the topic,
 * and alerts the alerter accepts. */
#include <stdlib.h>
#include <string.h>

#include "heartbeat.h"
#include "model.h"
#include "simhash.h"
#include "test.h"
#include "timeutil.h"
#include "../../tools/watchdog.h" /* tools/ is not on the include path (yet) */

#define MIN 60000LL
#define T0 1795000000000LL /* 2026-11-18T11:06:40Z */

static const watchdog_opts_t opts = {3, 10 * MIN, 0, "_ops", "high"};

/* A heartbeat of feed at time at: polls every 5 min, heartbeats every 30 s. */
static heartbeat_t hb_make(const char *feed, int64_t at, int64_t last_ok, int64_t last_post)
{
    heartbeat_t hb;
    memset(&hb, 0, sizeof hb);
    snprintf(hb.collector, sizeof hb.collector, "bp-collect-vk");
    snprintf(hb.feed, sizeof hb.feed, "%s", feed);
    snprintf(hb.source, sizeof hb.source, "vk");
    hb.poll_interval_ms = 5 * MIN;
    hb.expected_interval_ms = 5 * MIN;
    hb.heartbeat_interval_ms = 30000;
    hb.started_at_ms = T0;
    hb.last_poll_ok_ms = last_ok;
    hb.last_post_ms = last_post;
    hb.at_ms = at;
    return hb;
}

static void feed_hb(watchdog_t *w, const heartbeat_t *hb)
{
    char err[256];
    json_t *j = heartbeat_to_json(hb);
    CHECK(j != NULL);
    CHECK_INT(watchdog_add(w, j, err, sizeof err), 1);
    json_decref(j);
}

TEST(heartbeat_round_trip)
{
    heartbeat_t hb = hb_make("vk-privatbank", T0 + MIN, T0 + 30000, -1), back;
    hb.posts_total = 12;
    hb.failures = 2;
    snprintf(hb.last_error, sizeof hb.last_error, "temporary: HTTP 500");
    json_t *j = heartbeat_to_json(&hb);
    char err[256];
    CHECK(j != NULL);
    CHECK(json_is_null(json_object_get(j, "last_post_at")));
    CHECK_STR(bp_json_str(j, "kind"), "heartbeat");
    CHECK_INT(heartbeat_from_json(j, &back, err, sizeof err), 0);
    CHECK_STR(back.feed, "vk-privatbank");
    CHECK_INT(back.last_poll_ok_ms, T0 + 30000);
    CHECK_INT(back.last_post_ms, -1);
    CHECK_INT(back.posts_total, 12);
    CHECK_INT(back.failures, 2);
    CHECK_STR(back.last_error, "temporary: HTTP 500");
    json_object_set_new(j, "at", json_string("yesterday"));
    CHECK_INT(heartbeat_from_json(j, &back, err, sizeof err), -1);
    CHECK_STR(err, "field 'at': not an RFC 3339 time");
    json_object_del(j, "feed");
    CHECK_INT(heartbeat_from_json(j, &back, err, sizeof err), -1);
    CHECK_STR(err, "field 'feed': missing or not a string");
    json_decref(j);
}

TEST(rules_and_thresholds)
{
    int64_t silent, limit;
    heartbeat_t hb = hb_make("f", T0 + 60 * MIN, T0 + 60 * MIN, T0 + 59 * MIN);
    /* 15 min (3 x 5 min) beats the 10 min floor; a heartbeat 90 s old is only 3 x 30 s: floor */
    CHECK_INT(watchdog_judge(&opts, &hb, T0 + 60 * MIN + 60000, NULL, NULL), WATCHDOG_OK);
    /* two heartbeats missed: the rest of the record is old news, wait for the heartbeat rule */
    CHECK_INT(watchdog_judge(&opts, &hb, T0 + 60 * MIN + 60001, NULL, NULL), WATCHDOG_WAIT);
    CHECK_INT(watchdog_judge(&opts, &hb, T0 + 70 * MIN, NULL, NULL), WATCHDOG_WAIT);
    CHECK_INT(watchdog_judge(&opts, &hb, T0 + 70 * MIN + 1, &silent, &limit),
              WATCHDOG_NO_HEARTBEAT);
    CHECK_INT(limit, 10 * MIN);
    CHECK_INT(silent, 10 * MIN + 1);
    /* fresh heartbeats, polls failing since minute 40 */
    hb = hb_make("f", T0 + 60 * MIN, T0 + 40 * MIN, T0 + 40 * MIN);
    CHECK_INT(watchdog_judge(&opts, &hb, T0 + 55 * MIN, NULL, NULL), WATCHDOG_OK);
    CHECK_INT(watchdog_judge(&opts, &hb, T0 + 55 * MIN + 1, &silent, &limit), WATCHDOG_NO_POLL);
    CHECK_INT(limit, 15 * MIN);
    /* polls fine, no post since minute 40; expected every hour: 3 h before it is stale */
    hb = hb_make("f", T0 + 60 * MIN, T0 + 60 * MIN, T0 + 40 * MIN);
    CHECK_INT(watchdog_judge(&opts, &hb, T0 + 60 * MIN, NULL, NULL), WATCHDOG_NO_POST);
    hb.expected_interval_ms = 60 * MIN;
    CHECK_INT(watchdog_judge(&opts, &hb, T0 + 60 * MIN, NULL, NULL), WATCHDOG_OK);
    CHECK_INT(watchdog_judge(&opts, &hb, T0 + 220 * MIN + 1, NULL, &limit), WATCHDOG_NO_HEARTBEAT);
    hb.at_ms = T0 + 220 * MIN;
    hb.last_poll_ok_ms = hb.at_ms;
    CHECK_INT(watchdog_judge(&opts, &hb, T0 + 220 * MIN + 1, NULL, &limit), WATCHDOG_NO_POST);
    CHECK_INT(limit, 180 * MIN);
    /* never polled nor posted since the start: counted from the start */
    hb = hb_make("f", T0 + 5 * MIN, -1, -1);
    CHECK_INT(watchdog_judge(&opts, &hb, T0 + 5 * MIN, NULL, NULL), WATCHDOG_OK);
    hb.at_ms = T0 + 16 * MIN;
    CHECK_INT(watchdog_judge(&opts, &hb, T0 + 16 * MIN, NULL, NULL), WATCHDOG_NO_POLL);
}

TEST(one_alert_per_episode_then_recovered)
{
    watchdog_t *w = watchdog_new(&opts);
    watchdog_event_t ev[8];
    /* healthy every 30 s until minute 20, then the source fails: heartbeats go on */
    for (int64_t t = 0; t <= 20 * MIN; t += 30000) {
        heartbeat_t hb = hb_make("vk-privatbank", T0 + t, T0 + t, T0 + t);
        feed_hb(w, &hb);
        CHECK_INT(watchdog_check(w, T0 + t, ev, 8), 0);
    }
    size_t total = 0;
    int64_t stale_at = 0;
    for (int64_t t = 20 * MIN + 30000; t <= 60 * MIN; t += 30000) {
        heartbeat_t hb = hb_make("vk-privatbank", T0 + t, T0 + 20 * MIN, T0 + 20 * MIN);
        hb.failures = (t - 20 * MIN) / (5 * MIN) + 1;
        snprintf(hb.last_error, sizeof hb.last_error, "temporary: HTTP 500");
        feed_hb(w, &hb);
        size_t n = watchdog_check(w, T0 + t, ev, 8);
        if (n && !stale_at)
            stale_at = t;
        total += n;
    }
    CHECK_INT(total, 1);
    CHECK_INT(stale_at, 35 * MIN + 30000); /* the first check past 15 min of failures */
    CHECK_INT(watchdog_stale_count(w), 1);
    /* the event that was due: re-create it from a fresh watchdog fed the same history */
    watchdog_free(w);
    w = watchdog_new(&opts);
    for (int64_t t = 0; t <= 20 * MIN; t += 30000) {
        heartbeat_t hb = hb_make("vk-privatbank", T0 + t, T0 + t, T0 + t);
        feed_hb(w, &hb);
    }
    heartbeat_t bad = hb_make("vk-privatbank", T0 + 36 * MIN, T0 + 20 * MIN, T0 + 20 * MIN);
    bad.failures = 4;
    snprintf(bad.last_error, sizeof bad.last_error, "temporary: HTTP 500");
    feed_hb(w, &bad);
    CHECK_INT(watchdog_check(w, T0 + 36 * MIN, ev, 8), 1);
    CHECK_INT(ev[0].kind, WATCHDOG_STALE);
    CHECK_INT(ev[0].why, WATCHDOG_NO_POLL);
    CHECK_INT(ev[0].episode_ms, T0 + 20 * MIN); /* the last heartbeat healthy by its own clock */
    json_t *a = watchdog_alert(w, &ev[0], T0 + 36 * MIN);
    CHECK_STR(bp_json_str(a, "id"), "ops:stale:vk-privatbank:2026-11-18T11:26:40.000Z");
    CHECK_STR(bp_json_str(a, "text"),
              "Collector feed vk-privatbank (bp-collect-vk) has not polled successfully for 16 "
              "min (expected every 5 min; 4 failure(s) in a row, last error: temporary: HTTP "
              "500). Last post 16 min ago. Alert threshold 15 min.");
    json_decref(a);
    /* not sent (broker down): due again; sent: never again while stale */
    watchdog_undo(w, &ev[0]);
    CHECK_INT(watchdog_check(w, T0 + 37 * MIN, ev, 8), 1);
    CHECK_INT(watchdog_check(w, T0 + 38 * MIN, ev, 8), 0);
    /* the source answers again */
    heartbeat_t ok = hb_make("vk-privatbank", T0 + 40 * MIN, T0 + 40 * MIN, T0 + 40 * MIN);
    feed_hb(w, &ok);
    CHECK_INT(watchdog_check(w, T0 + 40 * MIN, ev, 8), 1);
    CHECK_INT(ev[0].kind, WATCHDOG_RECOVERED);
    CHECK_INT(ev[0].episode_ms, T0 + 20 * MIN);
    a = watchdog_alert(w, &ev[0], T0 + 40 * MIN);
    CHECK_STR(bp_json_str(a, "id"), "ops:recovered:vk-privatbank:2026-11-18T11:26:40.000Z");
    CHECK_STR(json_string_value(json_array_get(json_object_get(a, "reasons"), 0)),
              "feed_recovered:vk-privatbank");
    json_decref(a);
    CHECK_INT(watchdog_check(w, T0 + 41 * MIN, ev, 8), 0);
    CHECK_INT(watchdog_stale_count(w), 0);
    watchdog_free(w);
}

/* A restarted watchdog reads the topic again: its markers say what was already sent. */
TEST(restart_rebuilds_from_markers)
{
    watchdog_t *w = watchdog_new(&opts);
    watchdog_event_t ev[8];
    char err[256];
    heartbeat_t hb = hb_make("rss-forum", T0, T0, T0);
    feed_hb(w, &hb);
    /* the collector died: no heartbeat after T0 */
    CHECK_INT(watchdog_check(w, T0 + 11 * MIN, ev, 8), 1);
    CHECK_INT(ev[0].why, WATCHDOG_NO_HEARTBEAT);
    json_t *marker = watchdog_marker(&ev[0], T0 + 11 * MIN);
    json_t *alert1 = watchdog_alert(w, &ev[0], T0 + 11 * MIN);
    watchdog_free(w);

    w = watchdog_new(&opts); /* restart with the marker in the topic */
    feed_hb(w, &hb);
    CHECK_INT(watchdog_add(w, marker, err, sizeof err), 1);
    CHECK_INT(watchdog_check(w, T0 + 20 * MIN, ev, 8), 0);
    /* the collector is back: recovered, once */
    heartbeat_t back = hb_make("rss-forum", T0 + 21 * MIN, T0 + 21 * MIN, T0 + 21 * MIN);
    feed_hb(w, &back);
    CHECK_INT(watchdog_check(w, T0 + 21 * MIN, ev, 8), 1);
    CHECK_INT(ev[0].kind, WATCHDOG_RECOVERED);
    CHECK_INT(ev[0].why, WATCHDOG_NO_HEARTBEAT); /* restored from the marker */
    json_t *rmarker = watchdog_marker(&ev[0], T0 + 21 * MIN);
    watchdog_free(w);

    w = watchdog_new(&opts); /* restart without the marker: the same id comes out */
    feed_hb(w, &hb);
    CHECK_INT(watchdog_check(w, T0 + 20 * MIN, ev, 8), 1);
    json_t *alert2 = watchdog_alert(w, &ev[0], T0 + 20 * MIN);
    CHECK_STR(bp_json_str(alert2, "id"), bp_json_str(alert1, "id"));
    watchdog_free(w);

    w = watchdog_new(&opts); /* the whole history: nothing to send */
    feed_hb(w, &hb);
    CHECK_INT(watchdog_add(w, marker, err, sizeof err), 1);
    feed_hb(w, &back);
    CHECK_INT(watchdog_add(w, rmarker, err, sizeof err), 1);
    CHECK_INT(watchdog_check(w, T0 + 22 * MIN, ev, 8), 0);
    /* a broken marker is refused with the field named; other kinds are ignored */
    json_object_set_new(marker, "episode", json_string("soon"));
    CHECK_INT(watchdog_add(w, marker, err, sizeof err), -1);
    CHECK_STR(err, "watchdog marker: field 'episode': not an RFC 3339 time");
    json_t *other = json_pack("{s:s}", "kind", "something-else");
    CHECK_INT(watchdog_add(w, other, err, sizeof err), 0);
    json_decref(other);
    watchdog_free(w);
    json_decref(marker);
    json_decref(rmarker);
    json_decref(alert1);
    json_decref(alert2);
}

/* A collector restart forgets its last post; the watchdog does not. */
TEST(collector_restart_keeps_last_post)
{
    watchdog_t *w = watchdog_new(&opts);
    watchdog_event_t ev[8];
    heartbeat_t hb = hb_make("f", T0 + 10 * MIN, T0 + 10 * MIN, T0 + 2 * MIN);
    feed_hb(w, &hb);
    heartbeat_t re = hb_make("f", T0 + 18 * MIN, T0 + 18 * MIN, -1);
    re.started_at_ms = T0 + 17 * MIN;
    feed_hb(w, &re);
    CHECK_INT(watchdog_check(w, T0 + 18 * MIN, ev, 8), 1);
    CHECK_INT(ev[0].why, WATCHDOG_NO_POST);
    CHECK_INT(ev[0].hb.last_post_ms, T0 + 2 * MIN);
    CHECK_INT(ev[0].silent_ms, 16 * MIN);
    watchdog_free(w);
}

/* What bp-alert needs: a valid post, routable by brand and reason, not folded into another
 * feed's alert (SimHash distance above the default fold distance of 3). */
TEST(alert_is_accepted_by_the_alerter)
{
    watchdog_t *w = watchdog_new(&opts);
    watchdog_event_t ev[8];
    heartbeat_t a = hb_make("vk-privatbank", T0, T0, T0), b = hb_make("rss-monobank", T0, T0, T0);
    feed_hb(w, &a);
    feed_hb(w, &b);
    CHECK_INT(watchdog_check(w, T0 + 11 * MIN, ev, 8), 2);
    json_t *x = watchdog_alert(w, &ev[0], T0 + 11 * MIN);
    json_t *y = watchdog_alert(w, &ev[1], T0 + 11 * MIN);
    char *s = bp_json_dump(x), err[256];
    json_t *parsed = bp_post_parse(s, strlen(s), err, sizeof err);
    CHECK(parsed != NULL);
    CHECK_STR(json_string_value(json_array_get(json_object_get(parsed, "brands"), 0)), "_ops");
    CHECK_STR(bp_json_str(parsed, "alert_brand"), "_ops");
    CHECK_STR(bp_json_str(parsed, "priority"), "high");
    CHECK(json_is_true(json_object_get(parsed, "alert")));
    CHECK_STR(json_string_value(json_array_get(json_object_get(parsed, "reasons"), 0)),
              "stale_feed:vk-privatbank");
    const char *tx = bp_json_str(x, "text"), *ty = bp_json_str(y, "text");
    int d = simhash_distance(simhash_text(tx, strlen(tx)), simhash_text(ty, strlen(ty)));
    if (d <= 3)
        fprintf(stderr, "    simhash distance %d between:\n    %s\n    %s\n", d, tx, ty);
    CHECK(d > 3);
    /* nor the feed's recovery into its stale alert */
    watchdog_event_t rec = ev[0];
    rec.kind = WATCHDOG_RECOVERED;
    json_t *r = watchdog_alert(w, &rec, T0 + 12 * MIN);
    const char *tr = bp_json_str(r, "text");
    int dr = simhash_distance(simhash_text(tx, strlen(tx)), simhash_text(tr, strlen(tr)));
    fprintf(stderr, "    simhash distances: two feeds %d, stale/recovered %d\n", d, dr);
    CHECK(dr > 3);
    json_decref(r);
    free(s);
    json_decref(parsed);
    json_decref(x);
    json_decref(y);
    watchdog_free(w);
}

int main(void)
{
    RUN(heartbeat_round_trip);
    RUN(rules_and_thresholds);
    RUN(one_alert_per_episode_then_recovered);
    RUN(restart_rebuilds_from_markers);
    RUN(collector_restart_keeps_last_post);
    RUN(alert_is_accepted_by_the_alerter);
    return test_summary();
}
