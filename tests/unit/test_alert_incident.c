/* test_alert_incident.c — no floods: near-duplicate folding, burst incidents with running
 * counts, updates and resolution; escalation levels and acknowledgement; digests and the rate
 * limit. Times are explicit, so nothing here depends on the clock. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alertcfg.h"
#include "digest.h"
#include "escalate.h"
#include "evclock.h"
#include "incident.h"
#include "model.h"
#include "spike.h"
#include "test.h"

static const char *CFG =
    "state_dir: /tmp/x\n"
    "sla: 7m\n"
    "fold: {window: 30m, distance: 3}\n"
    "incident: {threshold: 3, window: 10m, samples: 2, update_every: 1m, quiet: 5m}\n"
    "channels:\n"
    "  - {name: care, type: console}\n"
    "  - {name: lead, type: console}\n"
    "  - {name: pager, type: console}\n"
    "routes:\n"
    "  - {channels: [care], escalate: [{channels: [lead]}, {after: 20m, channels: [pager]}]}\n";

static json_t *alert(const char *id, const char *brand, const char *reason, const char *text)
{
    return json_pack("{s:s, s:s, s:[s], s:[s], s:s}", "id", id, "text", text, "brands", brand,
                     "reasons", reason, "priority", "high");
}

static route_result_t rr_care(void)
{
    route_result_t r;
    memset(&r, 0, sizeof r);
    r.chans[0] = 0;
    r.nchans = 1;
    r.route = 0;
    r.esc_route = 0;
    r.sla_ms = 7 * 60000;
    return r;
}

#define MIN 60000LL

TEST(near_duplicates_fold_and_are_counted_later)
{
    alert_cfg_t cfg;
    char err[256];
    CHECK_INT(alertcfg_load_string(CFG, &cfg, err, sizeof err), 0);
    cfg.incident_threshold = 0; /* folding alone */
    incidents_t *s = incidents_new(&cfg);
    route_result_t rr = rr_care();
    char ref[40];
    inc_out_t out[8];
    json_t *a = alert("x:1", "monobank", "negative:-4", "monobank списали деньги дважды за одну покупку, верните");
    json_t *b = alert("vk:2", "monobank", "negative:-4", "MONOBANK списали деньги дважды за одну покупку, верните!!! https://t.co/abc");
    json_t *c = alert("x:3", "privatbank", "negative:-4", "monobank списали деньги дважды за одну покупку, верните");
    CHECK_INT(incidents_add(s, a, "al_a", &rr, 0, ref, out), INC_SEND);
    CHECK_INT(incidents_add(s, b, "al_b", &rr, 1 * MIN, ref, out), INC_FOLDED);
    CHECK_STR(ref, "al_a");
    CHECK_INT(incidents_add(s, c, "al_c", &rr, 2 * MIN, ref, out), INC_SEND); /* other brand */
    /* the fold is summarised once update_every has passed since the first alert */
    CHECK_INT(incidents_tick(s, MIN / 2, out, 8), 0);
    size_t n = incidents_tick(s, MIN + 1000, out, 8);
    CHECK_INT(n, 1);
    CHECK_STR(bp_json_str(out[0].msg, "kind"), "digest");
    CHECK_INT(bp_json_int(out[0].msg, "count"), 1);
    CHECK_STR(out[0].alert_id, "al_a");
    CHECK_STR(out[0].tag, "fold1");
    CHECK(strstr(bp_json_str(out[0].msg, "why"), "near-duplicates of al_a") != NULL);
    json_decref(out[0].msg);
    CHECK_INT(incidents_tick(s, 10 * MIN, out, 8), 0); /* nothing new */
    /* past the window it is a new alert again */
    CHECK_INT(incidents_add(s, b, "al_b", &rr, 40 * MIN, ref, out), INC_SEND);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    incidents_free(s);
    alertcfg_free(&cfg);
}

TEST(a_burst_becomes_one_incident)
{
    alert_cfg_t cfg;
    char err[256];
    CHECK_INT(alertcfg_load_string(CFG, &cfg, err, sizeof err), 0);
    cfg.fold_distance = -1;
    incidents_t *s = incidents_new(&cfg);
    route_result_t rr = rr_care();
    char ref[40], key[256];
    inc_out_t out[8];
    const char *texts[] = {"сайт не открывается", "приложение лежит", "не могу войти",
                           "опять упало", "ничего не работает", "когда почините"};
    json_t *al[6];
    for (int i = 0; i < 6; i++) {
        char id[16];
        snprintf(id, sizeof id, "x:%d", i);
        al[i] = alert(id, "privatbank", i % 2 ? "urgent:outage" : "urgent:outage", texts[i]);
    }
    incidents_key(al[0], key, sizeof key);
    CHECK_STR(key, "privatbank|urgent:outage");
    CHECK_INT(incidents_add(s, al[0], "al_0", &rr, 0, ref, out), INC_SEND);
    CHECK_INT(incidents_add(s, al[1], "al_1", &rr, 1 * MIN, ref, out), INC_SEND);
    CHECK_INT(incidents_add(s, al[2], "al_2", &rr, 2 * MIN, ref, out), INC_OPENED);
    CHECK(strncmp(ref, "in_", 3) == 0);
    CHECK_STR(bp_json_str(out[0].msg, "kind"), "incident");
    CHECK_STR(bp_json_str(out[0].msg, "state"), "open");
    CHECK_INT(bp_json_int(out[0].msg, "count"), 3);
    CHECK_STR(out[0].tag, "open");
    char inc_id[40];
    snprintf(inc_id, sizeof inc_id, "%s", ref);
    json_decref(out[0].msg);
    CHECK_INT(incidents_add(s, al[3], "al_3", &rr, 2 * MIN + 10, ref, out), INC_ABSORBED);
    CHECK_STR(ref, inc_id);
    CHECK_INT(incidents_add(s, al[4], "al_4", &rr, 2 * MIN + 20, ref, out), INC_ABSORBED);
    /* an update with the running count and at most 2 samples, once per minute */
    CHECK_INT(incidents_tick(s, 2 * MIN + 30, out, 8), 0);
    CHECK_INT(incidents_tick(s, 3 * MIN + 30, out, 8), 1);
    CHECK_STR(bp_json_str(out[0].msg, "state"), "update");
    CHECK_INT(bp_json_int(out[0].msg, "count"), 5);
    CHECK_INT(json_array_size(json_object_get(out[0].msg, "samples")), 2);
    CHECK_STR(out[0].tag, "upd1");
    json_decref(out[0].msg);
    json_t *open = incidents_list(s);
    CHECK_INT(json_array_size(open), 1);
    json_decref(open);
    /* quiet for 5 minutes: resolved, with the final count */
    CHECK_INT(incidents_add(s, al[5], "al_5", &rr, 4 * MIN, ref, out), INC_ABSORBED);
    CHECK_INT(incidents_tick(s, 9 * MIN + 1, out, 8), 1);
    CHECK_STR(bp_json_str(out[0].msg, "state"), "resolved");
    CHECK_INT(bp_json_int(out[0].msg, "count"), 6);
    json_decref(out[0].msg);
    CHECK_INT(incidents_tick(s, 20 * MIN, out, 8), 0);
    for (int i = 0; i < 6; i++)
        json_decref(al[i]);
    incidents_free(s);
    alertcfg_free(&cfg);
}

TEST(escalation_levels_and_ack)
{
    alert_cfg_t cfg;
    char err[256];
    CHECK_INT(alertcfg_load_string(CFG, &cfg, err, sizeof err), 0);
    escalate_t *e = escalate_new(&cfg);
    inc_out_t out[8];
    json_t *m1 = json_pack("{s:s, s:s, s:i}", "kind", "alert", "alert_id", "al_1", "level", 0);
    json_t *m2 = json_pack("{s:s, s:s, s:i}", "kind", "alert", "alert_id", "al_2", "level", 0);
    /* delivered at 0, deadline 7m (SLA); level 1 at the deadline, level 2 20m after delivery */
    CHECK_INT(escalate_track(e, "al_1", m1, 0, 7 * MIN, 0), 0);
    CHECK_INT(escalate_track(e, "al_2", m2, 0, 7 * MIN, 0), 0);
    CHECK_INT(escalate_open_count(e), 2);
    CHECK_INT(escalate_tick(e, 7 * MIN - 1, out, 8), 0);
    CHECK_INT(escalate_ack(e, "al_2", "olena", 5 * MIN), 1);
    CHECK_INT(escalate_ack(e, "al_2", "olena", 5 * MIN), 0);
    CHECK_INT(escalate_ack(e, "al_nope", "x", 5 * MIN), 0);
    CHECK_INT(escalate_tick(e, 7 * MIN, out, 8), 1);
    CHECK_STR(out[0].alert_id, "al_1");
    CHECK_STR(out[0].tag, "esc1");
    CHECK_INT(out[0].nchans, 1);
    CHECK_INT(out[0].chans[0], 1); /* lead */
    CHECK_INT(bp_json_int(out[0].msg, "level"), 1);
    json_decref(out[0].msg);
    CHECK_INT(escalate_tick(e, 19 * MIN, out, 8), 0);
    /* persisted: a restart neither repeats level 1 nor forgets level 2 */
    char path[] = "/tmp/bp-test-esc.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_INT(escalate_save(e, path), 0);
    escalate_free(e);
    e = escalate_new(&cfg);
    CHECK_INT(escalate_load(e, path, err, sizeof err), 0);
    CHECK_INT(escalate_open_count(e), 1);
    CHECK_INT(escalate_tick(e, 19 * MIN, out, 8), 0);
    CHECK_INT(escalate_tick(e, 20 * MIN, out, 8), 1);
    CHECK_STR(out[0].tag, "esc2");
    CHECK_INT(out[0].chans[0], 2); /* pager */
    json_decref(out[0].msg);
    CHECK_INT(escalate_tick(e, 60 * MIN, out, 8), 0); /* no more levels */
    json_t *l = escalate_list(e);
    CHECK_INT(json_array_size(l), 1);
    CHECK_INT(bp_json_int(json_array_get(l, 0), "level"), 2);
    json_decref(l);
    unlink(path);
    json_decref(m1);
    json_decref(m2);
    escalate_free(e);
    alertcfg_free(&cfg);
}

TEST(digests_count_everything_held_back)
{
    json_t *d = digest_new("care", 1000);
    CHECK_STR(bp_json_str(d, "kind"), "digest");
    CHECK_STR(bp_json_str(d, "alert_id"), "dg_care_1000");
    json_t *a = alert("x:1", "monobank", "negative:-3", "meh");
    for (int i = 0; i < 25; i++)
        CHECK_INT(digest_add(d, a, i < 20), 0);
    CHECK_INT(bp_json_int(d, "count"), 25);
    CHECK_INT(bp_json_int(d, "low"), 20);
    CHECK_INT(bp_json_int(d, "limited"), 5);
    CHECK_INT(json_array_size(json_object_get(d, "items")), DIGEST_MAX_ITEMS);
    CHECK_STR(bp_json_str(d, "why"), "20 low priority, 5 over the rate limit; 20 shown");
    json_decref(a);
    json_decref(d);
}

TEST(rate_limit_bucket)
{
    digest_bucket_t b = {0};
    int ok = 0;
    for (int i = 0; i < 10; i++)
        ok += digest_bucket_take(&b, 3, 60000, 1000);
    CHECK_INT(ok, 3);
    CHECK_INT(digest_bucket_take(&b, 3, 60000, 1000 + 19000), 0);
    CHECK_INT(digest_bucket_take(&b, 3, 60000, 1000 + 21000), 1); /* one token per 20 s */
    CHECK_INT(digest_bucket_take(&b, 0, 60000, 0), 1);             /* no limit */
}

static json_t *neg(const char *brand, const char *term)
{
    return json_pack("{s:s, s:s, s:[s], s:[s], s:{s:s, s:[{s:s}]}}", "id", "x", "text", term,
                     "brands", brand, "reasons", "negative:-3", "sentiment", "label", "negative",
                     "terms", "term", term);
}

TEST(spike_against_the_usual_level_of_the_hour)
{
    alert_cfg_t cfg;
    char err[256];
    CHECK_INT(alertcfg_load_string(CFG, &cfg, err, sizeof err), 0);
    cfg.spike_factor = 3;
    cfg.spike_min_volume = 10;
    cfg.spike_cooldown_ms = 6 * 60 * MIN;
    spike_t *s = spike_new(&cfg);
    route_result_t rr = rr_care();
    inc_out_t out;
    int64_t day = 24 * 60 * MIN, ten = 10 * 60 * MIN; /* 10:00 UTC */
    json_t *a = neg("kyivstar", "нет связи"), *b = neg("kyivstar", "ужасный");
    /* three ordinary days: 4 negative alerts at 10:xx, nothing else */
    for (int d = 0; d < 3; d++)
        for (int i = 0; i < 4; i++)
            CHECK_INT(spike_add(s, a, &rr, d * day + ten + i * MIN, &out), 0);
    CHECK_INT(spike_add(s, a, &rr, 3 * day, &out), 0); /* rolls the history forward */
    double usual = spike_baseline(s, "kyivstar", 3 * day + ten);
    CHECK(usual > 3.9 && usual < 4.1);
    /* day 4: 12 alerts at 10:xx is three times the usual 4 */
    int raised_at = 0;
    for (int i = 1; i <= 20; i++) {
        if (spike_add(s, i % 3 ? a : b, &rr, 3 * day + ten + i * 1000, &out)) {
            CHECK_INT(raised_at, 0);
            raised_at = i;
            CHECK_STR(bp_json_str(out.msg, "kind"), "incident");
            CHECK(strncmp(out.alert_id, "sp_", 3) == 0);
            CHECK(strstr(bp_json_str(out.msg, "reason"), "12 alerts this hour, usually 4.0") != NULL);
            CHECK(strstr(bp_json_str(out.msg, "reason"), "top terms: нет связи (8), ужасный (4)") != NULL);
            CHECK_STR(json_string_value(json_array_get(json_object_get(out.msg, "top_terms"), 0)),
                      "нет связи");
            json_decref(out.msg);
        }
    }
    CHECK_INT(raised_at, 12);
    /* a brand without history still needs the minimum volume */
    json_t *c = neg("lifecell", "не работает");
    int first = 0;
    for (int i = 1; i <= 10 && !first; i++)
        if (spike_add(s, c, &rr, 5 * day + i * 1000, &out)) {
            first = i;
            json_decref(out.msg);
        }
    CHECK_INT(first, 10);
    /* positive or neutral alerts are not counted */
    json_t *p = json_pack("{s:[s], s:[s]}", "brands", "lifecell", "reasons", "reach:20000");
    CHECK_INT(spike_add(s, p, &rr, 5 * day + 20000, &out), 0);
    json_decref(p);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    spike_free(s);
    alertcfg_free(&cfg);
}

/* bp-watchdog's operational alerts (brand _ops): each stale feed is its own alert, never folded
 * into another nor grouped into an incident, however alike and however many; other brands
 * with the same texts still are. The exempt list is configurable. */
TEST(ops_alerts_are_never_folded_or_grouped)
{
    alert_cfg_t cfg;
    char err[256];
    CHECK_INT(alertcfg_load_string(CFG, &cfg, err, sizeof err), 0);
    CHECK(bp_strlist_contains(&cfg.incident_exempt, "_ops"));
    incidents_t *s = incidents_new(&cfg);
    route_result_t rr = rr_care();
    char ref[40], id[16], aid[16];
    inc_out_t out[8];
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "ops:%d", i);
        snprintf(aid, sizeof aid, "al_o%d", i);
        json_t *o = alert(id, "_ops", "stale_feed:rss-news",
                          "feed rss-news produced nothing for 30 minutes (last post 10:00)");
        CHECK_INT(incidents_add(s, o, aid, &rr, i * 1000, ref, out), INC_SEND);
        CHECK_STR(ref, "");
        json_decref(o);
    }
    CHECK_INT(incidents_tick(s, 20 * MIN, out, 8), 0); /* nothing was remembered */
    /* the same texts for a brand fold (the second) and then group (the third) */
    int verdicts[3];
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof id, "b:%d", i);
        snprintf(aid, sizeof aid, "al_b%d", i);
        json_t *o = alert(id, "acme", "negative:-4",
                          "feed rss-news produced nothing for 30 minutes (last post 10:00)");
        verdicts[i] = incidents_add(s, o, aid, &rr, 30 * MIN + i * 1000, ref, out);
        if (verdicts[i] == INC_OPENED)
            json_decref(out[0].msg);
        json_decref(o);
    }
    CHECK_INT(verdicts[0], INC_SEND);
    CHECK_INT(verdicts[1], INC_FOLDED);
    CHECK_INT(verdicts[2], INC_OPENED);
    size_t n = incidents_tick(s, 24 * 60 * MIN, out, 8);
    for (size_t i = 0; i < n; i++)
        json_decref(out[i].msg);
    incidents_free(s);
    alertcfg_free(&cfg);
    /* another exempt list: _ops then groups like any brand */
    CHECK_INT(alertcfg_load_string("incident: {threshold: 2, exempt: [acme-status]}\n"
                                   "channels: [{name: care, type: console}]\n"
                                   "routes: [{channels: [care]}]\n",
                                   &cfg, err, sizeof err),
              0);
    s = incidents_new(&cfg);
    json_t *o1 = alert("ops:1", "_ops", "stale_feed:a", "feed a is stale");
    json_t *o2 = alert("ops:2", "_ops", "stale_feed:b", "feed b is stale");
    json_t *x1 = alert("st:1", "acme-status", "negative:-1", "status page degraded");
    json_t *x2 = alert("st:2", "acme-status", "negative:-1", "status page down");
    CHECK_INT(incidents_add(s, o1, "al_1", &rr, 0, ref, out), INC_SEND);
    CHECK_INT(incidents_add(s, o2, "al_2", &rr, 1000, ref, out), INC_OPENED);
    json_decref(out[0].msg);
    CHECK_INT(incidents_add(s, x1, "al_3", &rr, 2000, ref, out), INC_SEND);
    CHECK_INT(incidents_add(s, x2, "al_4", &rr, 3000, ref, out), INC_SEND);
    json_decref(o1);
    json_decref(o2);
    json_decref(x1);
    json_decref(x2);
    incidents_free(s);
    alertcfg_free(&cfg);
}

/* An alert's event time: published_at, else collected_at, else the wall clock; never later
 * than the wall clock. */
TEST(event_time_of_an_alert)
{
    const int64_t wall = 1795435200000LL; /* 2026-11-23T12:00:00Z */
    json_t *a = json_pack("{s:s, s:s}", "published_at", "2026-11-23T09:00:00.250Z",
                          "collected_at", "2026-11-23T09:05:00Z");
    CHECK_INT(evclock_event_ms(a, wall, wall), wall - 3 * 3600000LL + 250);
    json_object_set_new(a, "published_at", json_string("yesterday"));
    CHECK_INT(evclock_event_ms(a, wall, wall), wall - 3 * 3600000LL + 5 * 60000);
    json_object_del(a, "collected_at");
    CHECK_INT(evclock_event_ms(a, wall, wall), wall);
    json_object_set_new(a, "published_at", json_string("2026-11-23T12:30:00Z")); /* future */
    CHECK_INT(evclock_event_ms(a, wall, wall), wall);
    json_object_set_new(a, "published_at", json_string("2026-11-23T11:59:59Z"));
    CHECK_INT(evclock_event_ms(a, wall, wall), wall - 1000);
    json_decref(a);
}

/* The candidate tick times come out in order; "before t" excludes t, "at or before" takes it. */
TEST(event_clock_candidates_in_order)
{
    alert_cfg_t cfg;
    char err[256];
    CHECK_INT(alertcfg_load_string(CFG, &cfg, err, sizeof err), 0);
    evclock_t *c = evclock_new();
    CHECK(c != NULL);
    CHECK_INT(evclock_push(c, 5000), 0);
    CHECK_INT(evclock_push(c, 1000), 0);
    CHECK_INT(evclock_push_after_alert(c, &cfg, 0), 0); /* 200, 1m, 5m, 30m + 1 */
    CHECK_INT(evclock_size(c), 6);
    int64_t t, got[8];
    size_t n = 0;
    while (n < 8 && evclock_next(c, 5000, 0, &t))
        got[n++] = t;
    CHECK_INT(n, 2);
    CHECK_INT(got[0], 200);
    CHECK_INT(got[1], 1000);
    CHECK_INT(evclock_next(c, 5000, 1, &t), 1);
    CHECK_INT(t, 5000);
    CHECK_INT(evclock_next(c, INT64_MAX, 1, &t), 1);
    CHECK_INT(t, MIN);
    CHECK_INT(evclock_next(c, INT64_MAX, 1, &t), 1);
    CHECK_INT(t, 5 * MIN);
    CHECK_INT(evclock_next(c, INT64_MAX, 1, &t), 1);
    CHECK_INT(t, 30 * MIN + 1);
    CHECK_INT(evclock_next(c, INT64_MAX, 1, &t), 0);
    evclock_free(c);
    alertcfg_free(&cfg);
}

static int owns_nothing(void *opaque, int partition)
{
    (void)opaque;
    (void)partition;
    return 0;
}

/* A rebalance hands an open incident and a pending escalation over: the new owner continues
 * the incident (absorbs, updates with the next number, resolves it once) and escalates only
 * the levels not sent yet; the old owner, whose partition moved, does neither. */
TEST(incident_and_escalation_handed_over)
{
    alert_cfg_t cfg;
    char err[256];
    CHECK_INT(alertcfg_load_string(CFG, &cfg, err, sizeof err), 0);
    cfg.fold_distance = -1;
    incidents_t *old = incidents_new(&cfg), *neu = incidents_new(&cfg);
    incidents_set_partition(old, 2);
    route_result_t rr = rr_care();
    char ref[40], id[40], pid[16];
    inc_out_t out[8];
    inc_verdict_t v = INC_SEND;
    for (int i = 0; i < 5; i++) {
        snprintf(pid, sizeof pid, "x:%d", i);
        json_t *al = alert(pid, "privatbank", "urgent:outage", "сайт не открывается");
        v = incidents_add(old, al, "al_x", &rr, i * 1000, ref, out);
        if (v == INC_OPENED) {
            snprintf(id, sizeof id, "%s", ref);
            json_decref(out[0].msg);
        }
        json_decref(al);
        if (i == 3) { /* an update before the hand-over */
            CHECK_INT(incidents_tick(old, MIN + 3000, out, 8), 1);
            CHECK_STR(out[0].tag, "upd1");
            json_decref(out[0].msg);
        }
    }
    CHECK_INT(v, INC_ABSORBED);
    CHECK(incidents_state(old, "in_nope") == NULL);
    json_t *st = incidents_state(old, id);
    CHECK_STR(bp_json_str(st, "state"), "open");
    CHECK_INT(bp_json_int(st, "count"), 5);
    CHECK_INT(bp_json_int(st, "partition"), 2);
    CHECK_STR(json_string_value(json_array_get(json_object_get(st, "channels"), 0)), "care");
    /* the partition moved: the old owner neither updates nor resolves it */
    incidents_set_owner(old, owns_nothing, NULL);
    CHECK_INT(incidents_tick(old, 60 * MIN, out, 8), 0);
    /* the new owner continues it */
    CHECK_INT(incidents_restore(neu, st), 0);
    json_t *al = alert("x:9", "privatbank", "urgent:outage", "опять не работает");
    CHECK_INT(incidents_add(neu, al, "al_9", &rr, 2 * MIN, ref, out), INC_ABSORBED);
    CHECK_STR(ref, id);
    json_decref(al);
    CHECK_INT(incidents_tick(neu, 3 * MIN, out, 8), 1);
    CHECK_STR(out[0].tag, "upd2");
    CHECK_STR(out[0].alert_id, id);
    CHECK_INT(bp_json_int(out[0].msg, "count"), 6);
    json_decref(out[0].msg);
    CHECK_INT(incidents_tick(neu, 8 * MIN, out, 8), 1);
    CHECK_STR(bp_json_str(out[0].msg, "state"), "resolved");
    json_decref(out[0].msg);
    /* a resolved state closes the incident where it is still open */
    json_t *res = incidents_state(neu, id);
    CHECK_STR(bp_json_str(res, "state"), "resolved");
    incidents_set_owner(old, NULL, NULL);
    CHECK_INT(incidents_restore(old, res), 0);
    CHECK_INT(incidents_tick(old, 60 * MIN, out, 8), 0);
    json_t *bad = json_pack("{s:s}", "id", "al_1");
    CHECK_INT(incidents_restore(neu, bad), -1);
    json_decref(bad);
    json_decref(res);
    json_decref(st);
    incidents_free(old);
    incidents_free(neu);

    /* escalation: level 1 was sent by the old owner; al_2 was acknowledged there */
    escalate_t *eo = escalate_new(&cfg), *en = escalate_new(&cfg);
    json_t *m1 = json_pack("{s:s, s:s, s:i}", "kind", "alert", "alert_id", "al_1", "level", 0);
    json_t *m2 = json_pack("{s:s, s:s, s:i}", "kind", "alert", "alert_id", "al_2", "level", 0);
    CHECK_INT(escalate_track(eo, "al_1", m1, 0, 7 * MIN, 0), 0);
    escalate_set_partition(eo, "al_1", 2);
    escalate_set_owner(eo, owns_nothing, NULL);
    CHECK_INT(escalate_tick(eo, 30 * MIN, out, 8), 0); /* not ours any more */
    CHECK_INT(escalate_restore(en, "al_1", m1, 0, 7 * MIN, 0, 2), 0);
    CHECK_INT(escalate_restore(en, "al_2", m2, 0, 7 * MIN, 0, 2), 0);
    escalate_restore_level(en, "al_1", 1);
    escalate_restore_level(en, "al_1", 0); /* never lowered */
    CHECK_INT(escalate_ack(en, "al_2", "another instance", MIN), 1);
    CHECK_INT(escalate_tick(en, 19 * MIN, out, 8), 0);
    CHECK_INT(escalate_tick(en, 20 * MIN, out, 8), 1);
    CHECK_STR(out[0].alert_id, "al_1");
    CHECK_STR(out[0].tag, "esc2");
    json_decref(out[0].msg);
    CHECK_INT(escalate_tick(en, 60 * MIN, out, 8), 0);
    json_decref(m1);
    json_decref(m2);
    escalate_free(eo);
    escalate_free(en);
    alertcfg_free(&cfg);
}

int main(void)
{
    RUN(near_duplicates_fold_and_are_counted_later);
    RUN(a_burst_becomes_one_incident);
    RUN(escalation_levels_and_ack);
    RUN(digests_count_everything_held_back);
    RUN(rate_limit_bucket);
    RUN(spike_against_the_usual_level_of_the_hour);
    RUN(ops_alerts_are_never_folded_or_grouped);
    RUN(event_time_of_an_alert);
    RUN(event_clock_candidates_in_order);
    RUN(incident_and_escalation_handed_over);
    return test_summary();
}
