/* watchdog.c — latest heartbeat per feed, staleness rules, episodes and their alerts
 * (see watchdog.h). */
#include "watchdog.h"
#include "grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "model.h"
#include "timeutil.h"

#define WATCHDOG_MAX_FEEDS 100000

typedef struct wd_feed {
    heartbeat_t hb;        /* latest heartbeat, with the last poll/post merged over restarts */
    int64_t healthy_at;    /* `at` of the last heartbeat healthy by its own clock, -1 none */
    int open;              /* in a stale episode */
    int alerted;           /* the episode's stale alert was sent (or a marker says so) */
    int64_t episode_ms;    /* anchor of the open episode */
    int64_t closed_ms;     /* anchor of the last closed episode, -1 none */
    watchdog_why_t why;    /* the rule that opened the episode */
} wd_feed_t;

struct watchdog {
    watchdog_opts_t o;
    wd_feed_t *v;
    size_t n, cap;
};

watchdog_t *watchdog_new(const watchdog_opts_t *opts)
{
    watchdog_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->o = *opts;
    if (w->o.factor <= 0)
        w->o.factor = 3;
    if (!w->o.brand)
        w->o.brand = "_ops";
    if (!w->o.priority)
        w->o.priority = "high";
    return w;
}

void watchdog_free(watchdog_t *w)
{
    if (!w)
        return;
    free(w->v);
    free(w);
}

static wd_feed_t *watchdog_find(watchdog_t *w, const char *feed, int create)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->v[i].hb.feed, feed) == 0)
            return &w->v[i];
    if (!create || w->n >= WATCHDOG_MAX_FEEDS)
        return NULL;
    if (bp_grow(&w->v, &w->cap, w->n + 1, sizeof *w->v, 16, (size_t)-1 / sizeof *w->v) < 0)
        return NULL;
    wd_feed_t *f = &w->v[w->n++];
    memset(f, 0, sizeof *f);
    snprintf(f->hb.feed, sizeof f->hb.feed, "%s", feed);
    f->hb.at_ms = -1;
    f->healthy_at = -1;
    f->closed_ms = -1;
    return f;
}

static int64_t watchdog_threshold(const watchdog_opts_t *o, int64_t interval_ms)
{
    double t = (double)interval_ms * o->factor;
    if (t > 9e15)
        t = 9e15;
    return (int64_t)t > o->floor_ms ? (int64_t)t : o->floor_ms;
}

watchdog_why_t watchdog_judge(const watchdog_opts_t *o, const heartbeat_t *hb, int64_t now_ms,
                              int64_t *silent_ms, int64_t *limit_ms)
{
    int64_t base = hb->started_at_ms >= 0 && hb->started_at_ms <= hb->at_ms ? hb->started_at_ms
                                                                            : hb->at_ms;
    int64_t hbi = hb->heartbeat_interval_ms > 0 ? hb->heartbeat_interval_ms
                                                : hb->poll_interval_ms;
    struct {
        watchdog_why_t why;
        int64_t since, interval;
    } rules[3] = {
        {WATCHDOG_NO_HEARTBEAT, hb->at_ms, hbi},
        {WATCHDOG_NO_POLL, hb->last_poll_ok_ms >= 0 ? hb->last_poll_ok_ms : base,
         hb->poll_interval_ms},
        {WATCHDOG_NO_POST, hb->last_post_ms >= 0 ? hb->last_post_ms : base,
         hb->expected_interval_ms},
    };
    /* a heartbeat overdue (two missed) means the rest of it is old news: only the heartbeat
     * rule may speak, so that a dead process is reported as such */
    int overdue = now_ms - hb->at_ms > 2 * hbi;
    for (int i = 0; i < (overdue ? 1 : 3); i++) {
        int64_t limit = watchdog_threshold(o, rules[i].interval), silent = now_ms - rules[i].since;
        if (silent > limit) {
            if (silent_ms)
                *silent_ms = silent;
            if (limit_ms)
                *limit_ms = limit;
            return rules[i].why;
        }
    }
    if (silent_ms)
        *silent_ms = 0;
    if (limit_ms)
        *limit_ms = 0;
    return overdue ? WATCHDOG_WAIT : WATCHDOG_OK;
}

static const char *watchdog_why_name(watchdog_why_t why)
{
    switch (why) {
    case WATCHDOG_NO_HEARTBEAT: return "no_heartbeat";
    case WATCHDOG_NO_POLL: return "no_poll";
    case WATCHDOG_NO_POST: return "no_post";
    default: return "ok";
    }
}

static watchdog_why_t watchdog_why_parse(const char *s)
{
    for (int w = WATCHDOG_NO_HEARTBEAT; w <= WATCHDOG_NO_POST; w++)
        if (strcmp(s, watchdog_why_name((watchdog_why_t)w)) == 0)
            return (watchdog_why_t)w;
    return WATCHDOG_OK;
}

static int64_t watchdog_max(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* One of the watchdog's own markers: what was already alerted. */
static int watchdog_add_marker(watchdog_t *w, const json_t *rec, char *err, size_t errlen)
{
    const char *feed = bp_json_str(rec, "feed"), *state = bp_json_str(rec, "state");
    int64_t ep;
    if (!*feed || strlen(feed) >= HEARTBEAT_NAME_MAX)
        return bp_seterr(err, errlen, "watchdog marker: field 'feed': missing or too long");
    if (bp_time_parse_rfc3339(bp_json_str(rec, "episode"), &ep) != 0)
        return bp_seterr(err, errlen, "watchdog marker: field 'episode': not an RFC 3339 time");
    wd_feed_t *f = watchdog_find(w, feed, 1);
    if (!f)
        return bp_seterr(err, errlen, "watchdog marker: too many feeds or out of memory");
    if (strcmp(state, "stale") == 0) {
        if (ep != f->closed_ms) {
            f->open = 1;
            f->alerted = 1;
            f->episode_ms = ep;
            f->why = watchdog_why_parse(bp_json_str(rec, "rule"));
        }
    } else if (strcmp(state, "recovered") == 0) {
        if (f->open && f->episode_ms == ep) {
            f->open = 0;
            f->alerted = 0;
        }
        f->closed_ms = ep;
    } else {
        return bp_seterr(err, errlen, "watchdog marker: field 'state': '%s' is not stale or "
                         "recovered", state);
    }
    return 1;
}

int watchdog_add(watchdog_t *w, const json_t *rec, char *err, size_t errlen)
{
    const char *kind = bp_json_str(rec, "kind");
    if (strcmp(kind, "watchdog") == 0)
        return watchdog_add_marker(w, rec, err, errlen);
    if (strcmp(kind, "heartbeat") != 0)
        return 0;
    heartbeat_t hb;
    if (heartbeat_from_json(rec, &hb, err, errlen) != 0)
        return -1;
    wd_feed_t *f = watchdog_find(w, hb.feed, 1);
    if (!f)
        return bp_seterr(err, errlen, "too many feeds or out of memory");
    /* what a collector restart forgets, the watchdog remembers */
    hb.last_post_ms = watchdog_max(hb.last_post_ms, f->hb.last_post_ms);
    hb.last_poll_ok_ms = watchdog_max(hb.last_poll_ok_ms, f->hb.last_poll_ok_ms);
    if (hb.at_ms < f->hb.at_ms) { /* an older heartbeat (another collector replica, a resend) */
        f->hb.last_post_ms = hb.last_post_ms;
        f->hb.last_poll_ok_ms = hb.last_poll_ok_ms;
        return 1;
    }
    f->hb = hb;
    if (watchdog_judge(&w->o, &hb, hb.at_ms, NULL, NULL) == WATCHDOG_OK)
        f->healthy_at = hb.at_ms;
    return 1;
}

size_t watchdog_check(watchdog_t *w, int64_t now_ms, watchdog_event_t *out, size_t max)
{
    size_t nout = 0;
    for (size_t i = 0; i < w->n && nout < max; i++) {
        wd_feed_t *f = &w->v[i];
        if (f->hb.at_ms < 0)
            continue; /* only markers seen so far */
        if (w->o.forget_ms > 0 && now_ms - f->hb.at_ms > w->o.forget_ms &&
            (!f->open || f->alerted)) {
            bp_info("feed %s: no heartbeat for longer than forget_after; forgotten", f->hb.feed);
            w->v[i] = w->v[--w->n];
            i--;
            continue;
        }
        int64_t silent, limit;
        watchdog_why_t why = watchdog_judge(&w->o, &f->hb, now_ms, &silent, &limit);
        if (why == WATCHDOG_WAIT)
            continue;
        if (why != WATCHDOG_OK && !f->open) {
            f->open = 1;
            f->alerted = 0;
            f->why = why;
            f->episode_ms = f->healthy_at >= 0 ? f->healthy_at : f->hb.at_ms;
            if (f->episode_ms <= f->closed_ms)
                f->episode_ms = f->closed_ms + 1;
        }
        watchdog_event_t *ev = &out[nout];
        if (why != WATCHDOG_OK && !f->alerted) {
            memset(ev, 0, sizeof *ev);
            ev->kind = WATCHDOG_STALE;
            ev->why = why;
            ev->silent_ms = silent;
            ev->limit_ms = limit;
            f->why = why;
            f->alerted = 1;
        } else if (why == WATCHDOG_OK && f->open) {
            int alerted = f->alerted;
            f->open = 0;
            f->alerted = 0;
            f->closed_ms = f->episode_ms;
            if (!alerted)
                continue;
            memset(ev, 0, sizeof *ev);
            ev->kind = WATCHDOG_RECOVERED;
            ev->why = f->why;
            ev->silent_ms = now_ms - f->episode_ms;
        } else {
            continue;
        }
        snprintf(ev->feed, sizeof ev->feed, "%s", f->hb.feed);
        ev->episode_ms = f->episode_ms;
        ev->hb = f->hb;
        nout++;
    }
    return nout;
}

void watchdog_undo(watchdog_t *w, const watchdog_event_t *ev)
{
    wd_feed_t *f = watchdog_find(w, ev->feed, 0);
    if (!f)
        return;
    if (ev->kind == WATCHDOG_STALE) {
        if (f->open && f->episode_ms == ev->episode_ms)
            f->alerted = 0;
    } else if (!f->open) {
        f->open = 1;
        f->alerted = 1;
        f->episode_ms = ev->episode_ms;
        f->why = ev->why;
    }
}

size_t watchdog_feeds(const watchdog_t *w)
{
    return w->n;
}

size_t watchdog_stale_count(const watchdog_t *w)
{
    size_t n = 0;
    for (size_t i = 0; i < w->n; i++)
        n += w->v[i].open != 0;
    return n;
}

char *watchdog_human(int64_t ms, char *buf, size_t buflen)
{
    double s = (double)(ms < 0 ? 0 : ms) / 1000.0;
    if (s < 1)
        snprintf(buf, buflen, "%.0f ms", s * 1000);
    else if (s < 10)
        snprintf(buf, buflen, "%.1f s", s);
    else if (s < 90)
        snprintf(buf, buflen, "%.0f s", s);
    else if (s < 90 * 60)
        snprintf(buf, buflen, "%.0f min", s / 60);
    else if (s < 48 * 3600)
        snprintf(buf, buflen, "%.1f h", s / 3600);
    else
        snprintf(buf, buflen, "%.1f d", s / 86400);
    return buf;
}

/* "12 min ago" or "never seen" for a time, relative to now. */
static void watchdog_ago(int64_t t_ms, int64_t now_ms, char *buf, size_t buflen)
{
    char h[32];
    if (t_ms < 0)
        snprintf(buf, buflen, "none seen");
    else
        snprintf(buf, buflen, "%s ago", watchdog_human(now_ms - t_ms, h, sizeof h));
}

/* The alert's text for people. */
static void watchdog_text(const watchdog_event_t *ev, int64_t now_ms, char *out, size_t outlen)
{
    const heartbeat_t *hb = &ev->hb;
    char silent[32], limit[32], every[32], poll[32], post[32], since[BP_TIME_BUFSZ];
    watchdog_human(ev->silent_ms, silent, sizeof silent);
    watchdog_human(ev->limit_ms, limit, sizeof limit);
    watchdog_ago(hb->last_poll_ok_ms, now_ms, poll, sizeof poll);
    watchdog_ago(hb->last_post_ms, now_ms, post, sizeof post);
    const char *coll = *hb->collector ? hb->collector : "collector";
    if (ev->kind == WATCHDOG_RECOVERED) {
        const char *how = ev->why == WATCHDOG_NO_POST       ? "new posts are collected again"
                          : ev->why == WATCHDOG_NO_POLL     ? "its source answers again"
                          : ev->why == WATCHDOG_NO_HEARTBEAT ? "its collector is running again"
                                                             : "it is healthy again";
        snprintf(out, outlen,
                 "Recovered: feed %s (%s) is back to normal, %s. Unhealthy since %s "
                 "(about %s). Last post %s; last successful poll %s.",
                 hb->feed, coll, how, bp_time_format_rfc3339(ev->episode_ms, since), silent,
                 post, poll);
        return;
    }
    switch (ev->why) {
    case WATCHDOG_NO_HEARTBEAT:
        watchdog_human(hb->heartbeat_interval_ms, every, sizeof every);
        snprintf(out, outlen,
                 "Collector feed %s (%s) has sent no heartbeat for %s (expected every %s): the "
                 "process is down or cannot reach Kafka. Last successful poll %s; last post %s. "
                 "Alert threshold %s.",
                 hb->feed, coll, silent, every, poll, post, limit);
        break;
    case WATCHDOG_NO_POLL:
        watchdog_human(hb->poll_interval_ms, every, sizeof every);
        snprintf(out, outlen,
                 "Collector feed %s (%s) has not polled successfully for %s (expected every %s; "
                 "%lld failure(s) in a row, last error: %s). Last post %s. Alert threshold %s.",
                 hb->feed, coll, silent, every, hb->failures,
                 *hb->last_error ? hb->last_error : "none reported", post, limit);
        break;
    default:
        watchdog_human(hb->expected_interval_ms, every, sizeof every);
        snprintf(out, outlen,
                 "Collector feed %s (%s) has produced nothing for %s (expected every %s) although "
                 "its polls succeed (last %s): the query, the API or the page format may have "
                 "changed. Alert threshold %s.",
                 hb->feed, coll, silent, every, poll, limit);
        break;
    }
}

static void watchdog_set_time(json_t *o, const char *key, int64_t ms)
{
    if (ms < 0)
        json_object_set_new(o, key, json_null());
    else
        bp_json_set_time(o, key, ms);
}

json_t *watchdog_alert(const watchdog_t *w, const watchdog_event_t *ev, int64_t now_ms)
{
    char id[HEARTBEAT_NAME_MAX + 80], reason[HEARTBEAT_NAME_MAX + 32], ep[BP_TIME_BUFSZ];
    char text[1200];
    int stale = ev->kind == WATCHDOG_STALE;
    bp_time_format_rfc3339(ev->episode_ms, ep);
    snprintf(id, sizeof id, "ops:%s:%s:%s", stale ? "stale" : "recovered", ev->feed, ep);
    snprintf(reason, sizeof reason, "%s:%s", stale ? "stale_feed" : "feed_recovered", ev->feed);
    watchdog_text(ev, now_ms, text, sizeof text);
    json_t *ops = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "state",
                            stale ? "stale" : "recovered", "rule", watchdog_why_name(ev->why),
                            "episode", ep, "silent_seconds", (json_int_t)(ev->silent_ms / 1000),
                            "threshold_seconds", (json_int_t)(ev->limit_ms / 1000),
                            "failures", (json_int_t)ev->hb.failures, "last_error",
                            ev->hb.last_error);
    json_t *a = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:s}", "v", 1,
                          "id", id, "source", "brandpulse", "feed", ev->feed, "feed_source",
                          ev->hb.source, "collector", ev->hb.collector, "kind", "ops", "author",
                          "id", "brandpulse:bp-watchdog", "name", "bp-watchdog", "text", text,
                          "lang", "en");
    if (!a || !ops) {
        json_decref(a);
        json_decref(ops);
        return NULL;
    }
    watchdog_set_time(ops, "last_poll_ok_at", ev->hb.last_poll_ok_ms);
    watchdog_set_time(ops, "last_post_at", ev->hb.last_post_ms);
    watchdog_set_time(ops, "last_heartbeat_at", ev->hb.at_ms);
    int rc = bp_json_set_time(a, "published_at", now_ms);
    rc |= bp_json_set_time(a, "collected_at", now_ms);
    rc |= bp_json_set_time(a, "filtered_at", now_ms);
    rc |= json_object_set_new(a, "brands", json_pack("[s]", w->o.brand));
    rc |= json_object_set_new(a, "alert_brands", json_pack("[s]", w->o.brand));
    rc |= json_object_set_new(a, "alert_brand", json_string(w->o.brand));
    rc |= json_object_set_new(a, "alert", json_true());
    rc |= json_object_set_new(a, "priority", json_string(w->o.priority));
    rc |= json_object_set_new(a, "reasons", json_pack("[s]", reason));
    rc |= json_object_set_new(a, "sentiment", json_pack("{s:i, s:s}", "score", 0, "label",
                                                        "neutral"));
    rc |= json_object_set_new(a, "ops", ops);
    if (rc != 0) {
        json_decref(a);
        return NULL;
    }
    return a;
}

json_t *watchdog_marker(const watchdog_event_t *ev, int64_t now_ms)
{
    char ep[BP_TIME_BUFSZ], at[BP_TIME_BUFSZ];
    return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s}", "v", 1, "kind", "watchdog", "feed",
                     ev->feed, "state", ev->kind == WATCHDOG_STALE ? "stale" : "recovered",
                     "rule", watchdog_why_name(ev->why), "episode",
                     bp_time_format_rfc3339(ev->episode_ms, ep), "at",
                     bp_time_format_rfc3339(now_ms, at));
}
