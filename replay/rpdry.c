/* rpdry.c — the alerter's decisions replayed on event time (see rpdry.h). */
#include "rpdry.h"

#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "digest.h"
#include "evclock.h"
#include "grow.h"
#include "idwindow.h"
#include "incident.h"
#include "model.h"
#include "route.h"
#include "timeutil.h"

#define RPDRY_MAX_ITEMS 5000000 /* alerts kept for one run */
#define RPDRY_TICK_OUT 64

typedef struct rpdry_item {
    int64_t ms;
    json_t *m; /* a copy of the mention */
} rpdry_item_t;

typedef struct rpdry_digest { /* a channel's pending digest */
    json_t *msg;
    int64_t due_ms;
} rpdry_digest_t;

struct rpdry {
    const alert_cfg_t *cfg;
    rpdry_item_t *items;
    size_t n, cap;
    /* run state */
    json_t *events;
    incidents_t *inc;
    rpdry_digest_t *digests;   /* per channel */
    digest_bucket_t *buckets;  /* per channel */
    evclock_t *clock;          /* candidate times for periodic work, as in the alerter */
    rpdry_stats_t st;
};

char *rpdry_alert_id(const char *post_id, char *out)
{
    unsigned char h[32];
    bp_sha256(post_id, strlen(post_id), h);
    memcpy(out, "al_", 3);
    bp_hex(h, 8, out + 3);
    return out;
}

rpdry_t *rpdry_new(const alert_cfg_t *cfg)
{
    rpdry_t *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->cfg = cfg;
    return d;
}

void rpdry_free(rpdry_t *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        json_decref(d->items[i].m);
    free(d->items);
    json_decref(d->events);
    incidents_free(d->inc);
    if (d->digests)
        for (size_t i = 0; i < d->cfg->nchannels; i++)
            json_decref(d->digests[i].msg);
    free(d->digests);
    free(d->buckets);
    evclock_free(d->clock);
    free(d);
}

int rpdry_add(rpdry_t *d, const json_t *m, int64_t ms)
{
    if (!json_is_true(json_object_get(m, "alert")))
        return 0;
    if (d->n >= RPDRY_MAX_ITEMS)
        return -1;
    if (bp_grow(&d->items, &d->cap, d->n + 1, sizeof *d->items, 256, RPDRY_MAX_ITEMS) < 0)
        return -1;
    json_t *copy = json_deep_copy(m);
    if (!copy)
        return -1;
    d->items[d->n].ms = evclock_event_ms(m, ms, ms); /* as the alerter: published_at first */
    d->items[d->n].m = copy;
    d->n++;
    return 0;
}

static int rpdry_item_cmp(const void *x, const void *y)
{
    const rpdry_item_t *a = x, *b = y;
    if (a->ms != b->ms)
        return a->ms < b->ms ? -1 : 1;
    return strcmp(bp_json_str(a->m, "id"), bp_json_str(b->m, "id"));
}

/* A candidate time for periodic work. Returns 0 or -1 (no memory, or the heap is full). */
static int rpdry_push(rpdry_t *d, int64_t t) { return evclock_push(d->clock, t); }

/* ---- events ---- */

static json_t *rpdry_event(rpdry_t *d, const char *type, int64_t at, int chan)
{
    char ts[BP_TIME_BUFSZ];
    json_t *e = json_object();
    if (!e)
        return NULL;
    json_object_set_new(e, "type", json_string(type));
    json_object_set_new(e, "at", json_string(bp_time_format_rfc3339(at, ts)));
    if (chan >= 0)
        json_object_set_new(e, "channel", json_string(d->cfg->channels[chan].name));
    if (json_array_append_new(d->events, e) != 0)
        return NULL;
    if (strcmp(type, "unrouted") != 0)
        d->st.messages++;
    return e;
}

/* Turns what incidents_add/incidents_tick asked to send into one event per channel. */
static int rpdry_out(rpdry_t *d, inc_out_t *o, int64_t at)
{
    const char *kind = bp_json_str(o->msg, "kind");
    int rc = 0;
    for (size_t k = 0; k < o->nchans && rc == 0; k++) {
        json_t *e;
        if (!strcmp(kind, "incident")) {
            e = rpdry_event(d, "incident", at, o->chans[k]);
            if (e) {
                json_object_set_new(e, "state", json_string(bp_json_str(o->msg, "state")));
                json_object_set_new(e, "brand", json_string(bp_json_str(o->msg, "brand")));
                json_object_set_new(e, "reason", json_string(bp_json_str(o->msg, "reason")));
                json_object_set_new(e, "count", json_integer(bp_json_int(o->msg, "count")));
            }
        } else {
            e = rpdry_event(d, "fold_summary", at, o->chans[k]);
            if (e)
                json_object_set_new(e, "count", json_integer(bp_json_int(o->msg, "count")));
        }
        if (!e) {
            rc = -1;
            break;
        }
        json_object_set_new(e, "alert_id", json_string(o->alert_id));
    }
    json_decref(o->msg);
    o->msg = NULL;
    return rc;
}

/* The alerter's periodic work at time t: incident updates/resolutions, fold summaries, due
 * digests. Returns 0 or -1. */
static int rpdry_tick(rpdry_t *d, int64_t t)
{
    inc_out_t out[RPDRY_TICK_OUT];
    size_t n, total = 0;
    do {
        memset(out, 0, sizeof out);
        n = incidents_tick(d->inc, t, out, RPDRY_TICK_OUT);
        for (size_t i = 0; i < n; i++)
            if (rpdry_out(d, &out[i], t) != 0) {
                for (size_t k = i + 1; k < n; k++)
                    json_decref(out[k].msg);
                return -1;
            }
        total += n;
    } while (n == RPDRY_TICK_OUT);
    for (size_t c = 0; c < d->cfg->nchannels; c++) {
        rpdry_digest_t *g = &d->digests[c];
        if (!g->msg || t < g->due_ms)
            continue;
        json_t *e = rpdry_event(d, "digest", t, (int)c);
        if (!e)
            return -1;
        json_object_set_new(e, "alert_id", json_string(bp_json_str(g->msg, "alert_id")));
        json_object_set_new(e, "count", json_integer(bp_json_int(g->msg, "count")));
        json_object_set_new(e, "low", json_integer(bp_json_int(g->msg, "low")));
        json_object_set_new(e, "limited", json_integer(bp_json_int(g->msg, "limited")));
        json_decref(g->msg);
        g->msg = NULL;
        total++;
    }
    /* an incident counted more alerts since this update: the next one is due a period later */
    if (total && rpdry_push(d, t + d->cfg->incident_update_ms))
        return -1;
    return 0;
}

/* Holds alert back for channel c's digest, as alerter_hold does. Returns 0 or -1. */
static int rpdry_hold(rpdry_t *d, int c, const json_t *alert, int low, int64_t t)
{
    const ach_cfg_t *ch = &d->cfg->channels[c];
    rpdry_digest_t *g = &d->digests[c];
    int64_t due = t + (low ? d->cfg->digest_every_ms : ch->rate_per_ms);
    if (!g->msg) {
        g->msg = digest_new(ch->name, t);
        if (!g->msg)
            return -1;
        g->due_ms = due;
    }
    if (due < g->due_ms)
        g->due_ms = due;
    d->st.held++;
    if (rpdry_push(d, g->due_ms))
        return -1;
    return digest_add(g->msg, alert, low);
}

/* alerter_handle, on event time t. Returns 0 or -1. */
static int rpdry_handle(rpdry_t *d, bp_idwindow_t *seen, const json_t *alert, int64_t t)
{
    const alert_cfg_t *cfg = d->cfg;
    const char *post_id = bp_json_str(alert, "id");
    const char *brand = json_string_value(json_array_get(json_object_get(alert, "brands"), 0));
    char alert_id[24];
    rpdry_alert_id(post_id, alert_id);
    d->st.input++;
    if (bp_idwindow_seen(seen, post_id)) {
        d->st.duplicates++;
        return 0;
    }
    bp_idwindow_add(seen, post_id);
    route_result_t rr;
    if (route_match(cfg, alert, t, &rr) == 0) {
        d->st.unrouted++;
        json_t *e = rpdry_event(d, "unrouted", t, -1);
        if (!e)
            return -1;
        json_object_set_new(e, "alert_id", json_string(alert_id));
        json_object_set_new(e, "post_id", json_string(post_id));
        json_object_set_new(e, "brand", json_string(brand ? brand : ""));
        return 0;
    }
    char ref[40];
    inc_out_t out;
    memset(&out, 0, sizeof out);
    inc_verdict_t v = incidents_add(d->inc, alert, alert_id, &rr, t, ref, &out);
    /* whatever incidents_add remembered may fall due later */
    if (evclock_push_after_alert(d->clock, cfg, t) != 0)
        return -1;
    if (v == INC_FOLDED) {
        d->st.folded++;
        return 0;
    }
    if (v == INC_ABSORBED) {
        d->st.absorbed++;
        return 0;
    }
    if (v == INC_OPENED) {
        d->st.incidents++;
        return rpdry_out(d, &out, t);
    }
    const char *p = bp_json_str(alert, "priority");
    int low = *p && bp_strlist_contains(&cfg->digest_priorities, p);
    for (size_t i = 0; i < rr.nchans; i++) {
        int c = rr.chans[i];
        const ach_cfg_t *ch = &cfg->channels[c];
        if (low || !digest_bucket_take(&d->buckets[c], ch->rate_limit, ch->rate_per_ms, t)) {
            if (rpdry_hold(d, c, alert, low, t))
                return -1;
            continue;
        }
        json_t *e = rpdry_event(d, "alert", t, c);
        if (!e)
            return -1;
        json_object_set_new(e, "alert_id", json_string(alert_id));
        json_object_set_new(e, "post_id", json_string(post_id));
        json_object_set_new(e, "brand", json_string(brand ? brand : ""));
        json_object_set_new(e, "priority", json_string(p));
    }
    return 0;
}

json_t *rpdry_run(rpdry_t *d, rpdry_stats_t *st)
{
    const alert_cfg_t *cfg = d->cfg;
    size_t nch = cfg->nchannels ? cfg->nchannels : 1;
    bp_idwindow_t *seen = bp_idwindow_new(cfg->dedup_size > 0 ? (size_t)cfg->dedup_size : 1);
    d->events = json_array();
    d->inc = incidents_new(cfg);
    d->digests = calloc(nch, sizeof *d->digests);
    d->buckets = calloc(nch, sizeof *d->buckets);
    d->clock = evclock_new();
    int ok = seen && d->events && d->inc && d->digests && d->buckets && d->clock;
    if (ok && d->n > 1)
        qsort(d->items, d->n, sizeof *d->items, rpdry_item_cmp);
    for (size_t i = 0; ok && i < d->n; i++) {
        int64_t t = d->items[i].ms;
        int64_t due;
        while (ok && evclock_next(d->clock, t, 0, &due))
            ok = rpdry_tick(d, due) == 0;
        ok = ok && rpdry_handle(d, seen, d->items[i].m, t) == 0;
    }
    /* what is still pending falls due after the last alert */
    int64_t last = -1, t;
    while (ok && evclock_next(d->clock, INT64_MAX, 1, &t)) {
        if (t == last)
            continue;
        last = t;
        ok = rpdry_tick(d, t) == 0;
    }
    bp_idwindow_free(seen);
    if (!ok)
        return NULL;
    if (st)
        *st = d->st;
    json_t *ev = d->events;
    d->events = NULL;
    return ev;
}
