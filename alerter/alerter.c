/* alerter.c — the alerter's main loop: consume, route, dedup, queue durably, deliver through
 * channel workers, retry, audit, dead-letter (see alerter.h). */
#include "alerter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ackapi.h"
#include "channel.h"
#include "crypto.h"
#include "dedup.h"
#include "digest.h"
#include "dispatch.h"
#include "escalate.h"
#include "evclock.h"
#include "http.h"
#include "inbox.h"
#include "incident.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "rebuild.h"
#include "retryq.h"
#include "route.h"
#include "sig.h"
#include "spike.h"
#include "timeutil.h"

#define ALERTER_BATCH 200 /* messages handled before the dedup journal is synced */
#define ALERTER_TICK_MS EVCLOCK_TICK_MS
#define ALERTER_MAX_OUT 64
#define ALERTER_SNOOZE_MS (30LL * 60 * 1000)
#define ALERTER_MAX_PARTS 4096 /* partitions of bp.alerts tracked for the hand-over */

struct alerter {
    const alert_cfg_t *cfg;
    channel_t **chans;
    size_t nchans;
    dispatch_t *disp;
    retryq_t *q;
    dedup_t *dedup;
    bp_producer_t *prod;
    bp_consumer_t *cons;
    aq_job_t *ready, **ready_tail; /* queued durably, waiting for the dedup sync to dispatch */
    incidents_t *inc;
    escalate_t *esc;
    spike_t *spike;
    char spike_path[4096];
    ackapi_t *ack;
    inbox_t *inbox;                /* actions from the ack API and Telegram buttons */
    digest_bucket_t *buckets;      /* per channel */
    aq_job_t **digests;            /* per channel: the digest being filled (stored, not sent) */
    int64_t *dig_ev_due;           /* per channel: low-priority items due at this EVENT time */
    int64_t *dig_wall_due;         /* per channel: rate-limited items due at this wall time */
    evclock_t *clock;              /* candidate event times for periodic work (evclock.h) */
    int idle;                      /* the last poll found nothing: caught up with bp.alerts */
    unsigned char owned[ALERTER_MAX_PARTS]; /* partitions of bp.alerts assigned here */
    /* while rebuilding on assignment: what bp.deliveries says about the assigned partitions */
    const rd_kafka_topic_partition_list_t *rb_parts;
    json_t *rb_tracked, *rb_levels, *rb_acks, *rb_incidents;
    char esc_path[4096];
    int64_t last_tick, last_publish, last_spike_save;
    /* metrics (docs/metrics.md); every handle may be NULL */
    bp_metrics_t *m;
    bp_counter_t *m_in, *m_dl;
    bp_counter_t **m_sent, **m_failed;
    bp_hist_t **m_delivery;
    bp_gauge_t *m_retry_depth, *m_incidents;
    int fatal;
    int stopping; /* the workers are gone: retries are stored for the next start */
    alerter_stats_t st;
};

/* what a bp.deliveries / bp.deadletter acknowledgement must finish */
typedef struct alerter_ack {
    alerter_t *a;
    aq_job_t *job;
} alerter_ack_t;

char *alerter_alert_id(const char *post_id, char *out)
{
    unsigned char h[32];
    bp_sha256(post_id, strlen(post_id), h);
    memcpy(out, "al_", 3);
    bp_hex(h, 8, out + 3);
    return out;
}

const alerter_stats_t *alerter_stats(const alerter_t *a) { return &a->st; }

static void alerter_suppressed(alerter_t *a, const char *reason)
{
    bp_counter_inc(bp_metrics_counter(a->m, "bp_alerts_suppressed_total",
                                      "Alerts not sent on their own", "reason", reason, NULL));
}

/* ---- bp.deliveries ---- */

static void alerter_record_acked(void *opaque, rd_kafka_resp_err_t err)
{
    alerter_ack_t *k = opaque;
    if (err) {
        /* the job file stays (state "sent"): the record is produced again after a restart */
        bp_warn("bp.deliveries: record for %s could not be written: %s", k->job->id,
                rd_kafka_err2str(err));
    } else if (retryq_remove(k->a->q, k->job) != 0) {
        bp_warn("retry queue: cannot remove %s: %s", k->job->id, strerror(errno));
    }
    retryq_job_free(k->job);
    free(k);
}

/* Writes one delivery record. When job_done is set, the job is finished by the record's
 * acknowledgement (file removed, job freed). Returns 0 or -1. */
static int alerter_record(alerter_t *a, aq_job_t *job, const char *result, int job_done)
{
    const json_t *msg = job->msg;
    char ts[BP_TIME_BUFSZ];
    json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:s, s:s, s:s}", "alert_id",
                          job->alert_id, "post_id", bp_json_str(msg, "post_id"), "brand",
                          bp_json_str(msg, "brand"), "channel", job->channel, "kind",
                          bp_json_str(msg, "kind"), "attempt", job->attempt, "result", result,
                          "status", (json_int_t)job->res.status, "detail", job->res.detail, "at",
                          bp_time_format_rfc3339(bp_now_ms(), ts), "delivery_id", job->id);
    if (!r)
        return -1;
    if (bp_json_int(msg, "level") > 0)
        json_object_set_new(r, "level", json_integer(bp_json_int(msg, "level")));
    if (*bp_json_str(msg, "dedup_key"))
        json_object_set_new(r, "dedup_key", json_string(bp_json_str(msg, "dedup_key")));
    char *s = bp_json_dump(r);
    json_decref(r);
    if (!s)
        return -1;
    alerter_ack_t *k = NULL;
    if (job_done) {
        k = malloc(sizeof *k);
        if (!k) {
            free(s);
            return -1;
        }
        k->a = a;
        k->job = job;
    }
    const char *brand = bp_json_str(msg, "brand");
    char err[256];
    int rc = bp_produce(a->prod, a->cfg->common.topics.deliveries, brand, strlen(brand), s,
                        strlen(s), NULL, k ? alerter_record_acked : NULL, k, err, sizeof err);
    free(s);
    if (rc != 0) {
        bp_warn("bp.deliveries: %s", err);
        free(k);
        return -1;
    }
    return 0;
}

/* ---- outcomes of attempts ---- */

static void alerter_deadletter_acked(void *opaque, rd_kafka_resp_err_t err)
{
    alerter_ack_t *k = opaque;
    if (err)
        bp_warn("dead-letter for %s not written (%s); it stays queued for the next start",
                k->job->id, rd_kafka_err2str(err));
    else
        retryq_remove(k->a->q, k->job);
    retryq_job_free(k->job);
    free(k);
}

static void alerter_deadletter(alerter_t *a, aq_job_t *job)
{
    const json_t *msg = job->msg;
    const json_t *origin = json_object_get(msg, "origin");
    const json_t *alert = json_object_get(msg, "alert");
    char *val = bp_json_dump(json_is_object(alert) ? alert : msg);
    char reason[512];
    snprintf(reason, sizeof reason, "channel %s: %s after %d attempt%s", job->channel,
             job->res.detail, job->attempt, job->attempt == 1 ? "" : "s");
    alerter_ack_t *k = malloc(sizeof *k);
    const char *brand = bp_json_str(msg, "brand");
    const char *otopic = bp_json_str(origin, "topic");
    if (!val || !k ||
        bp_deadletter(a->prod, a->cfg->common.topics.deadletter, "alert", reason,
                      *otopic ? otopic : NULL, (int32_t)bp_json_int(origin, "partition"),
                      bp_json_int(origin, "offset"), *otopic ? NULL : job->alert_id, brand,
                      strlen(brand), val, strlen(val), alerter_deadletter_acked, k) != 0) {
        bp_error("dead-letter for %s failed; it stays queued for the next start", job->id);
        free(k);
        retryq_job_free(job);
    } else {
        k->a = a;
        k->job = job;
        a->st.dead_lettered++;
        bp_counter_inc(a->m_dl);
    }
    free(val);
}

/* Handles a job the worker attempted. */
static void alerter_finish(alerter_t *a, aq_job_t *job)
{
    const ach_cfg_t *ch = job->chan >= 0 ? &a->cfg->channels[job->chan] : NULL;
    if (job->attempt > 0)
        bp_gauge_add(a->m_retry_depth, -1); /* a retry came back */
    job->attempt++;
    if (job->res.code != CH_OK && job->chan >= 0)
        bp_counter_inc(a->m_failed[job->chan]);
    if (job->res.code == CH_OK) {
        a->st.delivered++;
        if (job->chan >= 0) {
            bp_counter_inc(a->m_sent[job->chan]);
            bp_hist_observe_since_ms(a->m_delivery[job->chan], job->created_ms);
        }
        const json_t *al = json_object_get(job->msg, "alert");
        int64_t pub = 0;
        if (json_is_object(al) && job->attempt >= 1 &&
            bp_time_parse_rfc3339(bp_json_str(al, "published_at"), &pub) == 0)
            bp_hist_observe_since_ms(
                bp_metrics_hist(a->m, "bp_freshness_seconds", "From published_at to done", NULL,
                                0, "stage", "delivered", "source", bp_json_str(al, "source"),
                                NULL),
                pub);
        bp_info("delivered %s to %s (%s, attempt %d)", job->alert_id, job->channel,
                job->res.detail, job->attempt);
        job->sent = 1;
        if (retryq_save(a->q, job) != 0) {
            /* cannot mark it: better to remove it than to send it again after a restart */
            bp_warn("retry queue: cannot mark %s as sent (%s); removing it", job->id,
                    strerror(errno));
            retryq_remove(a->q, job);
        }
        if (alerter_record(a, job, "ok", 1) != 0)
            retryq_job_free(job); /* the file says "sent": the record is retried at restart */
        return;
    }
    if (ch && job->res.code == CH_RETRY && job->attempt <= ch->retries) {
        int64_t delay = bp_backoff_ms(job->attempt - 1, ch->retry_base_ms, ch->retry_cap_ms);
        if (job->res.retry_after_ms > delay)
            delay = job->res.retry_after_ms;
        job->next_ms = bp_now_ms() + delay;
        a->st.retried++;
        bp_gauge_add(a->m_retry_depth, 1);
        bp_warn("delivery of %s to %s failed (%s), attempt %d of %lld; retrying in %lld ms",
                job->alert_id, job->channel, job->res.detail, job->attempt, ch->retries + 1LL,
                (long long)delay);
        alerter_record(a, job, "retry", 0);
        if (retryq_save(a->q, job) != 0)
            bp_warn("retry queue: cannot update %s: %s", job->id, strerror(errno));
        if (a->stopping)
            retryq_job_free(job);
        else
            dispatch_submit(a->disp, job);
        return;
    }
    a->st.failed++;
    bp_error("delivery of %s to %s failed for good: %s (attempt %d)", job->alert_id,
             job->channel, job->res.detail, job->attempt);
    alerter_record(a, job, "failed", 0);
    alerter_deadletter(a, job);
}

/* ---- consuming ---- */

static void alerter_deadletter_input(alerter_t *a, bp_inflight_t *tok, const rd_kafka_message_t *m,
                                     const char *reason)
{
    a->st.malformed++;
    bp_counter_inc(a->m_dl);
    bp_inflight_hold(tok);
    if (bp_deadletter(a->prod, a->cfg->common.topics.deadletter, "alert", reason,
                      rd_kafka_topic_name(m->rkt), m->partition, m->offset, NULL, m->key,
                      m->key_len, m->payload, m->len, bp_inflight_ack, tok) != 0)
        bp_inflight_ack(tok, RD_KAFKA_RESP_ERR__FAIL);
}

/* A record for an alert that was not delivered on its own (folded, grouped, held, acked...). */
static void alerter_note(alerter_t *a, const char *alert_id, const char *post_id,
                         const char *brand, const char *channel, const char *result,
                         const char *detail)
{
    char ts[BP_TIME_BUFSZ];
    json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:s}", "alert_id", alert_id,
                          "post_id", post_id, "brand", brand, "channel", channel, "attempt", 0,
                          "result", result, "status", 0, "detail", detail, "at",
                          bp_time_format_rfc3339(bp_now_ms(), ts));
    char *s = r ? bp_json_dump(r) : NULL;
    json_decref(r);
    char err[256];
    if (!s || bp_produce(a->prod, a->cfg->common.topics.deliveries, brand, strlen(brand), s,
                         strlen(s), NULL, NULL, NULL, err, sizeof err) != 0)
        bp_warn("bp.deliveries: %s record for %s not written", result, alert_id);
    free(s);
}

static void alerter_set_ack_url(alerter_t *a, json_t *msg, const char *id)
{
    char link[1024];
    if (a->ack && ackapi_link(a->ack, id, link, sizeof link) == 0)
        json_object_set_new(msg, "ack_url", json_string(link));
}

static json_t *alerter_message(alerter_t *a, json_t *alert, const char *alert_id,
                               const route_result_t *rr, int64_t deadline_ms,
                               const rd_kafka_message_t *m)
{
    char deadline[BP_TIME_BUFSZ];
    bp_time_format_rfc3339(deadline_ms, deadline);
    const json_t *brands = json_object_get(alert, "brands");
    const char *first = json_string_value(json_array_get(brands, 0));
    const char *brand = json_string_value(json_object_get(alert, "alert_brand"));
    if (!brand)
        brand = first;
    const char *route = rr->route >= 0 ? a->cfg->routes[rr->route].name : "";
    json_t *msg = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:O}", "kind", "alert",
                            "alert_id", alert_id, "post_id", bp_json_str(alert, "id"), "brand",
                            brand ? brand : "", "priority", bp_json_str(alert, "priority"),
                            "route", route ? route : "", "deadline", deadline, "similar", 0,
                            "level", 0, "alert", alert);
    if (msg && first && brand && strcmp(brand, first) != 0) { /* see alerter_handle */
        char key[512];
        snprintf(key, sizeof key, "%s#%s", bp_json_str(alert, "id"), brand);
        json_object_set_new(msg, "dedup_key", json_string(key));
    }
    if (msg && m) {
        json_t *o = json_pack("{s:s, s:i, s:I}", "topic", rd_kafka_topic_name(m->rkt),
                              "partition", (int)m->partition, "offset", (json_int_t)m->offset);
        json_object_set_new(msg, "origin", o ? o : json_null());
    }
    if (msg)
        alerter_set_ack_url(a, msg, alert_id);
    return msg;
}

/* Queues a message for channel chan durably; the job is dispatched after the next dedup sync.
 * Returns 0 or -1 (the state directory failed: the caller must not commit). */
static int alerter_queue(alerter_t *a, json_t *msg, const char *alert_id, int chan,
                         const char *tag)
{
    const char *name = a->cfg->channels[chan].name;
    aq_job_t *job = retryq_job_new(alert_id, name, chan, tag, msg, bp_now_ms());
    if (!job)
        return bp_error("out of memory queueing %s for %s", alert_id, name);
    if (retryq_exists(a->q, job->id)) { /* already queued by a run that did not commit */
        retryq_job_free(job);
        return 0;
    }
    if (retryq_save(a->q, job) != 0) {
        int e = errno;
        retryq_job_free(job);
        return bp_error("retry queue: cannot store a job for %s: %s", alert_id, strerror(e));
    }
    *a->ready_tail = job;
    a->ready_tail = &job->next;
    return 0;
}

static int alerter_queue_out(alerter_t *a, inc_out_t *o)
{
    int rc = 0;
    for (size_t k = 0; k < o->nchans && rc == 0; k++)
        rc = alerter_queue(a, o->msg, o->alert_id, o->chans[k], o->tag);
    return rc;
}

/* Holds an alert back for channel chan's digest: low priority (due digest.every after the
 * alert's event time t, like the dry run) or over the rate limit (due rate_per after the wall
 * clock: the limit is about how fast a channel is written to). */
static int alerter_hold(alerter_t *a, int chan, json_t *alert, const char *alert_id, int low,
                        int64_t t, int64_t wall)
{
    const ach_cfg_t *ch = &a->cfg->channels[chan];
    aq_job_t *j = a->digests[chan];
    if (!j) {
        json_t *d = digest_new(ch->name, low ? t : wall);
        j = d ? retryq_job_new(bp_json_str(d, "alert_id"), ch->name, chan, "", d, wall) : NULL;
        json_decref(d);
        if (!j)
            return bp_error("out of memory starting a digest for %s", ch->name);
        j->next_ms = INT64_MAX;
        a->digests[chan] = j;
    }
    /* on disk, for a restart: when it is due on the wall clock at the latest */
    int64_t wall_due = wall + (low ? a->cfg->digest_every_ms : ch->rate_per_ms);
    if (wall_due < j->next_ms)
        j->next_ms = wall_due;
    if (low) {
        int64_t due = t + a->cfg->digest_every_ms;
        if (!a->dig_ev_due[chan] || due < a->dig_ev_due[chan])
            a->dig_ev_due[chan] = due;
        if (evclock_push(a->clock, a->dig_ev_due[chan]) != 0)
            bp_warn("event clock full: the digest for %s goes out at the next wall-clock tick",
                    ch->name);
    } else {
        int64_t due = wall + ch->rate_per_ms;
        if (!a->dig_wall_due[chan] || due < a->dig_wall_due[chan])
            a->dig_wall_due[chan] = due;
    }
    if (digest_add(j->msg, alert, low) != 0)
        return bp_error("out of memory adding to the digest for %s", ch->name);
    if (retryq_save(a->q, j) != 0)
        return bp_error("retry queue: cannot store the digest for %s: %s", ch->name,
                        strerror(errno));
    a->st.digested++;
    alerter_suppressed(a, low ? "digest" : "rate_limited");
    const char *brand = json_string_value(json_array_get(json_object_get(alert, "brands"), 0));
    alerter_note(a, alert_id, bp_json_str(alert, "id"), brand ? brand : "", ch->name, "held",
                 low ? "low priority: in the next digest" : "rate limit: in the next digest");
    return 0;
}

/* Writes a hand-over record to bp.deliveries (result: "tracked" or "incident", attempt 0),
 * keyed by brand, with the partition of bp.alerts it belongs to and `extra` (reference
 * stolen) merged in. */
static void alerter_state_record(alerter_t *a, const char *id, const char *brand,
                                 const char *result, const char *detail, int partition,
                                 json_t *extra)
{
    char ts[BP_TIME_BUFSZ];
    json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:s, s:i}", "alert_id", id,
                          "post_id", "", "brand", brand, "channel", "", "attempt", 0, "result",
                          result, "status", 0, "detail", detail, "at",
                          bp_time_format_rfc3339(bp_now_ms(), ts), "partition", partition);
    if (r && extra)
        json_object_update(r, extra);
    json_decref(extra);
    char *s = r ? bp_json_dump(r) : NULL;
    json_decref(r);
    char err[256];
    if (!s || bp_produce(a->prod, a->cfg->common.topics.deliveries, brand, strlen(brand), s,
                         strlen(s), NULL, NULL, NULL, err, sizeof err) != 0)
        bp_warn("bp.deliveries: %s record for %s not written", result, id);
    free(s);
}

/* The state of incident id (opened, counted, updated or resolved) for a new owner. */
static void alerter_incident_record(alerter_t *a, const char *id)
{
    json_t *st = incidents_state(a->inc, id);
    if (!st)
        return;
    const char *key = bp_json_str(st, "key");
    char brand[64];
    snprintf(brand, sizeof brand, "%.*s", (int)strcspn(key, "|"), key);
    char detail[64];
    snprintf(detail, sizeof detail, "%s, %lld alerts", bp_json_str(st, "state"),
             bp_json_int(st, "count"));
    int part = (int)bp_json_int(st, "partition");
    alerter_state_record(a, id, brand, "incident", detail, part, json_pack("{s:o}", "incident", st));
}

/* Tracks a delivered alert or incident for acknowledgement and escalation, remembering the
 * channels it went to (a later acknowledgement is passed on to PagerDuty) and the partition of
 * bp.alerts it came from; when its route has escalation levels, bp.deliveries gets a "tracked"
 * record so that a new owner of the partition takes the escalation over. */
static void alerter_track(alerter_t *a, const char *id, json_t *msg, const route_result_t *rr,
                          int64_t deadline_ms, int64_t now, int partition)
{
    json_t *names = json_array();
    for (size_t i = 0; names && i < rr->nchans; i++)
        json_array_append_new(names, json_string(a->cfg->channels[rr->chans[i]].name));
    json_object_set_new(msg, "channels", names ? names : json_array());
    if (escalate_msg(a->esc, id))
        return; /* tracked already */
    escalate_track(a->esc, id, msg, rr->esc_route, deadline_ms, now);
    escalate_set_partition(a->esc, id, partition);
    if (rr->esc_route < 0 || (size_t)rr->esc_route >= a->cfg->nroutes ||
        a->cfg->routes[rr->esc_route].nescalate == 0)
        return; /* nothing to escalate: only this instance's open list knows it */
    alerter_state_record(a, id, bp_json_str(msg, "brand"), "tracked", "awaiting acknowledgement",
                         partition,
                         json_pack("{s:i, s:I, s:I, s:O}", "esc_route", rr->esc_route,
                                   "deadline_ms", (json_int_t)deadline_ms, "tracked_ms",
                                   (json_int_t)now, "msg", msg));
}

/* An acknowledged or resolved alert is acknowledged / resolved on the PagerDuty channels it
 * went to, with the same dedup_key. */
static int alerter_pass_on(alerter_t *a, const char *id, inbox_action_t action)
{
    const json_t *m = escalate_msg(a->esc, id);
    size_t i;
    json_t *n;
    int rc = 0;
    json_array_foreach(json_object_get(m, "channels"), i, n)
    {
        int c = alertcfg_channel_index(a->cfg, json_string_value(n) ? json_string_value(n) : "");
        if (c < 0 || a->cfg->channels[c].type != ACH_PAGERDUTY)
            continue;
        const char *kind = action == INBOX_ACK ? "ack" : "resolve";
        json_t *msg = json_pack("{s:s, s:s, s:s}", "kind", kind, "alert_id", id, "brand",
                                bp_json_str(m, "brand"));
        if (!msg)
            return bp_error("out of memory");
        if (rc == 0)
            rc = alerter_queue(a, msg, id, c, kind);
        json_decref(msg);
    }
    return rc;
}

static int alerter_is_digest_priority(const alerter_t *a, const json_t *alert)
{
    const char *p = bp_json_str(alert, "priority");
    return *p && bp_strlist_contains(&a->cfg->digest_priorities, p);
}

static int alerter_advance(alerter_t *a, int64_t limit, int inclusive);

/* Handles one consumed alert. Returns 0, or -1 on a local failure that must stop the process
 * before the offset is stored. */
static int alerter_handle(alerter_t *a, rd_kafka_message_t *m)
{
    bp_inflight_t *tok = bp_consumer_begin(a->cons, m);
    if (!tok)
        return bp_error("out of memory");
    a->st.consumed++;
    bp_counter_inc(a->m_in);
    char err[512];
    json_t *alert = bp_post_parse(m->payload, m->len, err, sizeof err);
    if (!alert) {
        alerter_deadletter_input(a, tok, m, err);
        bp_inflight_release(tok);
        return 0;
    }
    int rc = 0;
    json_t *msg = NULL;
    /* One post may alert several brands' teams (bp-filter writes one record per brand in
     * alert_brands, keyed by brand). The first brand keeps the post id as its dedup key and
     * alert id; another brand's record uses "post_id#brand", so it is neither dropped as a
     * duplicate nor confused with the first. */
    const char *first = json_string_value(json_array_get(json_object_get(alert, "brands"), 0));
    const char *brand = json_string_value(json_object_get(alert, "alert_brand"));
    if (!brand)
        brand = first ? first : "";
    char post_key[512];
    if (first && strcmp(brand, first) != 0)
        snprintf(post_key, sizeof post_key, "%s#%s", bp_json_str(alert, "id"), brand);
    else
        snprintf(post_key, sizeof post_key, "%s", bp_json_str(alert, "id"));
    const char *post_id = post_key;
    char alert_id[24];
    alerter_alert_id(post_id, alert_id);
    /* Event time: windows, incidents, digests and schedules are decided on the post's own time
     * (as bp-replay --alerts does); what is due before it is done first. Retries, escalation
     * timers, silences and rate limits stay on the wall clock. */
    int64_t wall = bp_now_ms();
    int64_t now = evclock_event_ms(alert, wall, wall);
    if (alerter_advance(a, now, 0) != 0) {
        rc = -1;
        goto done;
    }
    if (dedup_seen(a->dedup, post_id)) {
        a->st.duplicates++;
        alerter_suppressed(a, "duplicate");
        bp_info("post %s was already alerted; skipped", post_id);
        goto done;
    }
    route_result_t rr;
    if (route_match(a->cfg, alert, now, &rr) == 0) {
        a->st.unroutable++;
        bp_warn("alert %s (post %s): no route matched; not delivered", alert_id, post_id);
        alerter_note(a, alert_id, post_id, brand, "", "unrouted", "no route matched");
        goto mark;
    }
    const asilence_cfg_t *sil = route_silenced(a->cfg, alert, wall); /* set by people, now */
    if (sil) {
        char detail[256];
        snprintf(detail, sizeof detail, "silenced by %s until %s: %s", sil->by, sil->until,
                 sil->why);
        a->st.silenced++;
        alerter_suppressed(a, "silenced");
        bp_info("alert %s (post %s): %s", alert_id, post_id, detail);
        alerter_note(a, alert_id, post_id, brand, "", "silenced", detail);
        goto mark;
    }
    char ref[40];
    inc_out_t out;
    memset(&out, 0, sizeof out);
    incidents_set_partition(a->inc, m->partition);
    if (spike_add(a->spike, alert, &rr, now, &out)) {
        a->st.incidents++;
        bp_warn("incident %s: %s: %s", out.alert_id, brand, bp_json_str(out.msg, "reason"));
        alerter_set_ack_url(a, out.msg, out.alert_id);
        rc = alerter_queue_out(a, &out);
        if (rc == 0)
            alerter_track(a, out.alert_id, out.msg, &rr, now + rr.sla_ms, wall, m->partition);
        json_decref(out.msg);
        memset(&out, 0, sizeof out);
        if (rc != 0)
            goto done;
        if (spike_save(a->spike, a->spike_path) != 0)
            bp_warn("cannot save %s: %s", a->spike_path, strerror(errno));
    }
    inc_verdict_t v = incidents_add(a->inc, alert, alert_id, &rr, now, ref, &out);
    if (evclock_push_after_alert(a->clock, a->cfg, now) != 0)
        bp_warn("event clock full: periodic work waits for the next wall-clock tick");
    if (v == INC_FOLDED || v == INC_ABSORBED) {
        a->st.folded++;
        alerter_suppressed(a, v == INC_FOLDED ? "folded" : "incident");
        char detail[96];
        snprintf(detail, sizeof detail, "counted in %s", ref);
        bp_info("alert %s (post %s): %s into %s", alert_id, post_id,
                v == INC_FOLDED ? "near-duplicate folded" : "grouped", ref);
        alerter_note(a, alert_id, post_id, brand, "", v == INC_FOLDED ? "folded" : "grouped",
                     detail);
        if (v == INC_ABSORBED)
            alerter_incident_record(a, ref);
        goto mark;
    }
    if (v == INC_OPENED) {
        a->st.incidents++;
        bp_warn("incident %s opened: %s, %s", ref, bp_json_str(out.msg, "brand"),
                bp_json_str(out.msg, "reason"));
        alerter_set_ack_url(a, out.msg, ref);
        rc = alerter_queue_out(a, &out);
        if (rc == 0)
            alerter_track(a, ref, out.msg, &rr, now + rr.sla_ms, wall, m->partition);
        alerter_incident_record(a, ref);
        alerter_suppressed(a, "incident");
        alerter_note(a, alert_id, post_id, brand, "", "grouped", ref);
        json_decref(out.msg);
        goto mark;
    }
    int64_t deadline_ms = now + rr.sla_ms; /* counted from when the customer posted */
    msg = alerter_message(a, alert, alert_id, &rr, deadline_ms, m);
    if (!msg) {
        rc = bp_error("out of memory");
        goto done;
    }
    int low = alerter_is_digest_priority(a, alert), queued = 0;
    for (size_t i = 0; i < rr.nchans && rc == 0; i++) {
        int c = rr.chans[i];
        const ach_cfg_t *ch = &a->cfg->channels[c];
        if (low)
            rc = alerter_hold(a, c, alert, alert_id, 1, now, wall);
        else if (!digest_bucket_take(&a->buckets[c], ch->rate_limit, ch->rate_per_ms, wall))
            rc = alerter_hold(a, c, alert, alert_id, 0, now, wall);
        else if ((rc = alerter_queue(a, msg, alert_id, c, "")) == 0)
            queued++;
    }
    if (rc == 0 && queued > 0)
        alerter_track(a, alert_id, msg, &rr, deadline_ms, wall, m->partition);
mark:
    if (rc == 0 && dedup_add(a->dedup, post_id) != 0)
        rc = bp_error("dedup: cannot add %s", post_id);
done:
    json_decref(msg);
    json_decref(alert);
    if (rc == 0)
        bp_inflight_release(tok);
    return rc;
}

/* Sends channel c's digest now. */
static void alerter_release_digest(alerter_t *a, size_t c)
{
    aq_job_t *j = a->digests[c];
    a->digests[c] = NULL;
    a->dig_ev_due[c] = a->dig_wall_due[c] = 0;
    j->next_ms = bp_now_ms();
    *a->ready_tail = j;
    a->ready_tail = &j->next;
}

/* The periodic work that runs on EVENT time t: incident updates and resolutions, fold
 * summaries, low-priority digests due (replay/rpdry.c's rpdry_tick does the same). Returns 0,
 * or -1 when the state directory failed. */
static int alerter_event_tick(alerter_t *a, int64_t t)
{
    inc_out_t out[ALERTER_MAX_OUT];
    size_t n, total = 0;
    int rc = 0;
    do {
        n = incidents_tick(a->inc, t, out, ALERTER_MAX_OUT);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(bp_json_str(out[i].msg, "kind"), "incident") == 0) {
                alerter_set_ack_url(a, out[i].msg, out[i].alert_id);
                bp_info("incident %s: %s, %lld alerts", out[i].alert_id,
                        bp_json_str(out[i].msg, "state"), bp_json_int(out[i].msg, "count"));
                alerter_incident_record(a, out[i].alert_id);
            }
            if (rc == 0)
                rc = alerter_queue_out(a, &out[i]);
            json_decref(out[i].msg);
        }
        total += n;
    } while (n == ALERTER_MAX_OUT);
    for (size_t c = 0; c < a->nchans; c++)
        if (a->digests[c] && a->dig_ev_due[c] && t >= a->dig_ev_due[c]) {
            alerter_release_digest(a, c);
            total++;
        }
    /* an incident counted more alerts since this update: the next one is due a period later */
    if (total && evclock_push(a->clock, t + a->cfg->incident_update_ms) != 0)
        bp_warn("event clock full: periodic work waits for the next wall-clock tick");
    return rc;
}

/* Runs the event-time work due before `limit` (inclusive: at or before), in time order. */
static int alerter_advance(alerter_t *a, int64_t limit, int inclusive)
{
    int64_t t;
    while (evclock_next(a->clock, limit, inclusive, &t))
        if (alerter_event_tick(a, t) != 0)
            return -1;
    return 0;
}

/* Periodic work: acknowledgements, incident updates, escalations, due digests, the open list. */
static int alerter_tick(alerter_t *a, int64_t now)
{
    inbox_ev_t ev;
    while (inbox_pop(a->inbox, &ev)) {
        char detail[160];
        int done;
        if (ev.action == INBOX_SNOOZE) {
            int64_t until = now + ALERTER_SNOOZE_MS;
            char ts[BP_TIME_BUFSZ];
            done = escalate_snooze(a->esc, ev.id, until);
            snprintf(detail, sizeof detail, "snoozed by %s (%s) until %s", ev.by, ev.via,
                     bp_time_format_rfc3339(until, ts));
        } else {
            done = escalate_ack(a->esc, ev.id, ev.by, now);
            snprintf(detail, sizeof detail, "%s by %s (%s)",
                     ev.action == INBOX_ACK ? "acknowledged" : "resolved", ev.by, ev.via);
        }
        if (!done) {
            bp_info("%s of %s by %s: not open (unknown or already acknowledged)",
                    inbox_action_name(ev.action), ev.id, ev.by);
            continue;
        }
        if (ev.action != INBOX_SNOOZE) {
            a->st.acked++;
            if (alerter_pass_on(a, ev.id, ev.action) != 0)
                return -1;
        }
        bp_info("%s %s", ev.id, detail);
        alerter_note(a, ev.id, "", "", ev.via,
                     ev.action == INBOX_SNOOZE ? "snoozed"
                     : ev.action == INBOX_ACK  ? "acked"
                                               : "resolved",
                     detail);
    }
    inc_out_t out[ALERTER_MAX_OUT];
    int rc = 0;
    if (a->idle) /* caught up: the event clock is the wall clock */
        rc = alerter_advance(a, now, 1) != 0 || alerter_event_tick(a, now) != 0 ? -1 : 0;
    size_t n = escalate_tick(a->esc, now, out, ALERTER_MAX_OUT);
    for (size_t i = 0; i < n; i++) {
        a->st.escalated++;
        {
            const json_t *em = escalate_msg(a->esc, out[i].alert_id);
            const char *route = bp_json_str(em, "route");
            bp_counter_inc(bp_metrics_counter(a->m, "bp_escalations_total",
                                              "Escalations fired because nobody acknowledged",
                                              "route", *route ? route : "-", NULL));
        }
        bp_warn("%s not acknowledged in time: escalating (%s) to %zu channel(s)", out[i].alert_id,
                out[i].tag, out[i].nchans);
        if (rc == 0)
            rc = alerter_queue_out(a, &out[i]);
        json_decref(out[i].msg);
    }
    if (escalate_dirty(a->esc) && escalate_save(a->esc, a->esc_path) != 0)
        bp_warn("cannot save %s: %s", a->esc_path, strerror(errno));
    for (size_t c = 0; c < a->nchans; c++)
        if (a->digests[c] && a->dig_wall_due[c] && now >= a->dig_wall_due[c])
            alerter_release_digest(a, c);
    if (a->cfg->spike_factor > 0 && now - a->last_spike_save >= 60000) {
        if (spike_save(a->spike, a->spike_path) != 0)
            bp_warn("cannot save %s: %s", a->spike_path, strerror(errno));
        a->last_spike_save = now;
    }
    if (now - a->last_publish >= 1000) {
        json_t *open = incidents_list(a->inc);
        bp_gauge_set(a->m_incidents, (double)json_array_size(open));
        json_decref(open);
    }
    if (now - a->last_publish >= 1000) {
        if (a->ack)
            ackapi_publish(a->ack, json_pack("{s:o, s:o}", "alerts", escalate_list(a->esc),
                                             "incidents", incidents_list(a->inc)));
        a->last_publish = now;
    }
    return rc;
}

/* Makes the batch durable (dedup journal), then dispatches its jobs and stores offsets. */
static int alerter_commit_batch(alerter_t *a)
{
    if (dedup_sync(a->dedup) != 0)
        return bp_error("dedup: cannot save to %s: %s", a->cfg->state_dir, strerror(errno));
    while (a->ready) {
        aq_job_t *j = a->ready;
        a->ready = j->next;
        j->next = NULL;
        dispatch_submit(a->disp, j);
    }
    a->ready_tail = &a->ready;
    if (bp_consumer_store_ready(a->cons) < 0)
        return bp_error("an output for bp.alerts failed for good; stopping so that a restart "
                        "redoes it");
    return 0;
}

/* ---- start and stop ---- */

static int alerter_resume(alerter_t *a)
{
    aq_job_t *list = NULL;
    int n = retryq_load(a->q, &list);
    if (n < 0)
        return bp_error("retry queue: cannot read: %s", strerror(errno));
    int resent = 0, records = 0;
    while (list) {
        aq_job_t *j = list;
        list = j->next;
        j->next = NULL;
        j->chan = alertcfg_channel_index(a->cfg, j->channel);
        if (j->sent) {
            records++;
            if (alerter_record(a, j, "ok", 1) != 0)
                retryq_job_free(j);
            continue;
        }
        resent++;
        if (j->attempt > 0)
            bp_gauge_add(a->m_retry_depth, 1);
        dispatch_submit(a->disp, j); /* an unknown channel comes back as a failure */
    }
    if (n > 0)
        bp_info("retry queue: resuming %d pending deliveries, %d records", resent, records);
    return 0;
}

/* Partitions were assigned (maybe moved here from another instance): learn what the others
 * already handled before the first message of them is consumed. */
static int alerter_owns(void *opaque, int partition)
{
    const alerter_t *a = opaque;
    return partition < 0 || partition >= ALERTER_MAX_PARTS || a->owned[partition];
}

static void alerter_set_owned(alerter_t *a, const rd_kafka_topic_partition_list_t *parts,
                              unsigned char v)
{
    for (int i = 0; i < parts->cnt; i++)
        if (strcmp(parts->elems[i].topic, a->cfg->common.topics.alerts) == 0 &&
            parts->elems[i].partition >= 0 && parts->elems[i].partition < ALERTER_MAX_PARTS)
            a->owned[parts->elems[i].partition] = v;
}

/* One record of bp.deliveries read on assignment: remembers what concerns the hand-over. */
static void alerter_rebuild_each(void *opaque, const json_t *r)
{
    alerter_t *a = opaque;
    const char *result = bp_json_str(r, "result"), *id = bp_json_str(r, "alert_id");
    if (!*id)
        return;
    int part = json_is_integer(json_object_get(r, "partition")) ? (int)bp_json_int(r, "partition")
                                                                : -1;
    int ours = part >= 0 && rd_kafka_topic_partition_list_find(
                                (rd_kafka_topic_partition_list_t *)a->rb_parts,
                                a->cfg->common.topics.alerts, part) != NULL;
    if (!strcmp(result, "tracked") && ours) {
        json_object_set(a->rb_tracked, id, (json_t *)r);
    } else if (!strcmp(result, "incident") && ours) {
        json_t *st = json_object_get(r, "incident");
        if (json_is_object(st))
            json_object_set(a->rb_incidents, bp_json_str(st, "key"), st);
    } else if (!strcmp(result, "ok") && bp_json_int(r, "level") > bp_json_int(a->rb_levels, id)) {
        json_object_set_new(a->rb_levels, id, json_integer(bp_json_int(r, "level")));
    } else if (!strcmp(result, "acked") || !strcmp(result, "resolved")) {
        json_object_set_new(a->rb_acks, id, json_string(bp_json_str(r, "detail")));
    }
}

/* Takes over the open incidents and pending escalations that bp.deliveries recorded for the
 * assigned partitions: an incident continues (updated, not opened again), an escalation level
 * already sent is not sent again, an acknowledged alert is not escalated. */
static void alerter_take_over(alerter_t *a)
{
    const char *k;
    json_t *v;
    size_t ninc = 0, nesc = 0;
    json_object_foreach(a->rb_incidents, k, v)
    {
        if (incidents_restore(a->inc, v) == 0 && !strcmp(bp_json_str(v, "state"), "open"))
            ninc++;
    }
    int64_t now = bp_now_ms();
    json_object_foreach(a->rb_tracked, k, v)
    {
        json_t *msg = json_object_get(v, "msg");
        int route = (int)bp_json_int(v, "esc_route");
        if (!json_is_object(msg))
            continue;
        if (route >= (int)a->cfg->nroutes)
            route = -1;
        if (escalate_restore(a->esc, k, msg, route, bp_json_int(v, "deadline_ms"),
                             bp_json_int(v, "tracked_ms"), (int)bp_json_int(v, "partition")) == 0)
            nesc++;
    }
    json_object_foreach(a->rb_levels, k, v)
        escalate_restore_level(a->esc, k, (int)json_integer_value(v));
    json_object_foreach(a->rb_acks, k, v)
        escalate_ack(a->esc, k, "another instance", now);
    if (escalate_dirty(a->esc) && escalate_save(a->esc, a->esc_path) != 0)
        bp_warn("cannot save %s: %s", a->esc_path, strerror(errno));
    bp_info("took over %zu open incident(s) and %zu tracked alert(s) from %s", ninc, nesc,
            a->cfg->common.topics.deliveries);
}

static void alerter_on_assign(void *opaque, const rd_kafka_topic_partition_list_t *parts)
{
    alerter_t *a = opaque;
    alerter_set_owned(a, parts, 1);
    bp_metrics_set_ready(a->m, 1);
    if (!a->cfg->dedup_rebuild)
        return;
    char err[512];
    a->rb_parts = parts;
    a->rb_tracked = json_object();
    a->rb_levels = json_object();
    a->rb_acks = json_object();
    a->rb_incidents = json_object();
    int ok = a->rb_tracked && a->rb_levels && a->rb_acks && a->rb_incidents;
    if (rebuild_dedup(&a->cfg->common.kafka, a->cfg->common.topics.deliveries,
                      (long)a->cfg->dedup_size, (int)a->cfg->dedup_rebuild_timeout_ms, a->dedup,
                      ok ? alerter_rebuild_each : NULL, a, err, sizeof err) < 0)
        bp_warn("could not rebuild dedup from %s: %s", a->cfg->common.topics.deliveries, err);
    else if (ok)
        alerter_take_over(a);
    json_decref(a->rb_tracked);
    json_decref(a->rb_levels);
    json_decref(a->rb_acks);
    json_decref(a->rb_incidents);
    a->rb_tracked = a->rb_levels = a->rb_acks = a->rb_incidents = NULL;
    a->rb_parts = NULL;
}

/* Partitions are taken away: make the batch durable before kafka.c stores and commits. */
static void alerter_on_revoke(void *opaque, const rd_kafka_topic_partition_list_t *parts)
{
    alerter_t *a = opaque;
    alerter_set_owned(a, parts, 0); /* their incidents and escalations go to the new owner */
    if (dedup_sync(a->dedup) != 0) {
        bp_error("dedup: cannot save to %s: %s", a->cfg->state_dir, strerror(errno));
        a->fatal = 1;
        return;
    }
    while (a->ready && a->disp) {
        aq_job_t *j = a->ready;
        a->ready = j->next;
        j->next = NULL;
        dispatch_submit(a->disp, j);
    }
    if (!a->ready)
        a->ready_tail = &a->ready;
}

alerter_t *alerter_new(const alert_cfg_t *cfg, char *err, size_t errlen)
{
    alerter_t *a = calloc(1, sizeof *a);
    if (!a) {
        bp_seterr(err, errlen, "out of memory");
        return NULL;
    }
    a->cfg = cfg;
    a->ready_tail = &a->ready;
    char path[4096];
    bp_http_global_init();
    a->m = bp_metrics_start("bp-alert", cfg->common.metrics_listen, err, errlen);
    if (!a->m)
        goto fail;
    bp_kafka_set_stats(bp_metrics_rdkafka_stats_cb, a->m, 15000);
    a->m_in = bp_metrics_counter(a->m, "bp_alerts_in_total", "Records read from bp.alerts", NULL);
    a->m_dl = bp_metrics_counter(a->m, "bp_deadlettered_total", "Records sent to bp.deadletter",
                                 "stage", "alert", NULL);
    a->m_retry_depth = bp_metrics_gauge(a->m, "bp_retry_queue_depth",
                                        "Deliveries waiting for a retry", NULL);
    a->m_incidents = bp_metrics_gauge(a->m, "bp_incidents_open", "Open incidents", NULL);
    a->m_sent = calloc(cfg->nchannels, sizeof *a->m_sent);
    a->m_failed = calloc(cfg->nchannels, sizeof *a->m_failed);
    a->m_delivery = calloc(cfg->nchannels, sizeof *a->m_delivery);
    if (!a->m_sent || !a->m_failed || !a->m_delivery) {
        bp_seterr(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < cfg->nchannels; i++) {
        const char *n = cfg->channels[i].name;
        a->m_sent[i] = bp_metrics_counter(a->m, "bp_alerts_sent_total",
                                          "Deliveries that succeeded", "channel", n, NULL);
        a->m_failed[i] = bp_metrics_counter(a->m, "bp_alerts_failed_total",
                                            "Delivery attempts that failed", "channel", n, NULL);
        a->m_delivery[i] = bp_metrics_hist(a->m, "bp_delivery_seconds",
                                           "From reading the alert to the channel's ack", NULL,
                                           0, "channel", n, NULL);
    }
    a->dedup = dedup_open(cfg->state_dir, (size_t)cfg->dedup_size, err, errlen);
    if (!a->dedup)
        goto fail;
    snprintf(path, sizeof path, "%s/queue", cfg->state_dir);
    a->q = retryq_open(path, err, errlen);
    if (!a->q)
        goto fail;
    a->chans = calloc(cfg->nchannels, sizeof *a->chans);
    a->buckets = calloc(cfg->nchannels, sizeof *a->buckets);
    a->digests = calloc(cfg->nchannels, sizeof *a->digests);
    a->dig_ev_due = calloc(cfg->nchannels, sizeof *a->dig_ev_due);
    a->dig_wall_due = calloc(cfg->nchannels, sizeof *a->dig_wall_due);
    a->clock = evclock_new();
    a->inc = incidents_new(cfg);
    a->esc = escalate_new(cfg);
    a->inbox = inbox_new();
    if (a->inc)
        incidents_set_owner(a->inc, alerter_owns, a);
    if (a->esc)
        escalate_set_owner(a->esc, alerter_owns, a);
    a->spike = spike_new(cfg);
    if (!a->inbox || !a->spike || !a->chans || !a->buckets || !a->digests || !a->inc || !a->esc ||
        !a->dig_ev_due || !a->dig_wall_due || !a->clock) {
        bp_seterr(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < cfg->nchannels; i++) {
        a->chans[i] = channel_new(&cfg->channels[i], a->inbox, err, errlen);
        if (!a->chans[i])
            goto fail;
        a->nchans = i + 1;
    }
    snprintf(a->spike_path, sizeof a->spike_path, "%s/spike.json", cfg->state_dir);
    if (spike_load(a->spike, a->spike_path, err, errlen) != 0)
        goto fail;
    snprintf(a->esc_path, sizeof a->esc_path, "%s/open.json", cfg->state_dir);
    if (escalate_load(a->esc, a->esc_path, err, errlen) != 0)
        goto fail;
    if (cfg->ack_listen && *cfg->ack_listen) {
        a->ack = ackapi_start(cfg, a->inbox, err, errlen);
        if (!a->ack)
            goto fail;
    }
    a->prod = bp_producer_new(&cfg->common.kafka, "bp-alert", err, errlen);
    if (!a->prod)
        goto fail;
    a->disp = dispatch_new(a->chans, a->nchans, err, errlen);
    if (!a->disp)
        goto fail;
    if (alerter_resume(a) != 0) {
        bp_seterr(err, errlen, "cannot resume the retry queue in %s", path);
        goto fail;
    }
    const char *topics[1] = {cfg->common.topics.alerts};
    bp_consumer_hooks_t hooks = {alerter_on_assign, alerter_on_revoke, a};
    a->cons = bp_consumer_new(&cfg->common.kafka, "bp-alert", topics, 1, &hooks, err, errlen);
    if (!a->cons)
        goto fail;
    bp_consumer_attach_producer(a->cons, a->prod);
    return a;
fail:
    alerter_free(a);
    return NULL;
}

int alerter_run(alerter_t *a)
{
    int64_t last_sync = bp_mono_ms();
    int batch = 0;
    while (bp_running && !a->fatal) {
        bp_metrics_heartbeat(a->m);
        rd_kafka_message_t *m = bp_consumer_poll(a->cons, batch ? 0 : 20);
        a->idle = m == NULL;
        if (m) {
            if (alerter_handle(a, m) != 0)
                a->fatal = 1;
            rd_kafka_message_destroy(m);
            batch++;
        }
        if (!m || batch >= ALERTER_BATCH || bp_mono_ms() - last_sync > 100) {
            if (alerter_commit_batch(a) != 0)
                a->fatal = 1;
            batch = 0;
            last_sync = bp_mono_ms();
        }
        aq_job_t *j;
        while ((j = dispatch_done(a->disp)) != NULL)
            alerter_finish(a, j);
        int64_t now = bp_now_ms();
        if (now - a->last_tick >= ALERTER_TICK_MS) {
            if (alerter_tick(a, now) != 0)
                a->fatal = 1;
            a->last_tick = now;
        }
        bp_producer_poll(a->prod, 0);
        char ferr[256];
        if (bp_consumer_fatal(a->cons) || bp_producer_fatal(a->prod, ferr, sizeof ferr)) {
            bp_error("Kafka client failed for good; stopping");
            a->fatal = 1;
        }
    }
    if (!a->fatal && alerter_commit_batch(a) != 0)
        a->fatal = 1;
    return a->fatal ? -1 : 0;
}

void alerter_free(alerter_t *a)
{
    if (!a)
        return;
    /* jobs a worker attempted are finished (marked sent, recorded); the rest stay on disk */
    bp_metrics_set_ready(a->m, 0);
    aq_job_t *left = dispatch_stop(a->disp);
    a->disp = NULL;
    a->stopping = 1;
    while (left) {
        aq_job_t *j = left;
        left = j->next;
        j->next = NULL;
        if (j->tried && a->prod)
            alerter_finish(a, j);
        else
            retryq_job_free(j);
    }
    while (a->ready) { /* stored but never dispatched: they stay on disk for the next start */
        aq_job_t *j = a->ready;
        a->ready = j->next;
        retryq_job_free(j);
    }
    for (size_t c = 0; a->digests && c < a->cfg->nchannels; c++)
        retryq_job_free(a->digests[c]); /* on disk: sent after the next start */
    free(a->digests);
    free(a->dig_ev_due);
    free(a->dig_wall_due);
    evclock_free(a->clock);
    free(a->buckets);
    ackapi_stop(a->ack);
    if (a->esc && escalate_dirty(a->esc) && escalate_save(a->esc, a->esc_path) != 0)
        bp_warn("cannot save %s: %s", a->esc_path, strerror(errno));
    escalate_free(a->esc);
    incidents_free(a->inc);
    if (a->spike && a->cfg->spike_factor > 0 && spike_save(a->spike, a->spike_path) != 0)
        bp_warn("cannot save %s: %s", a->spike_path, strerror(errno));
    spike_free(a->spike);
    if (a->cons)
        bp_consumer_close(a->cons); /* flushes the producer, commits */
    if (a->prod) {
        bp_producer_flush(a->prod, 10000);
        bp_producer_poll(a->prod, 0);
    }
    bp_producer_destroy(a->prod);
    for (size_t i = 0; i < a->nchans; i++)
        channel_free(a->chans[i]);
    free(a->chans);
    dedup_close(a->dedup);
    retryq_close(a->q);
    inbox_free(a->inbox);
    free(a->m_sent);
    free(a->m_failed);
    free(a->m_delivery);
    bp_metrics_free(a->m); /* last: handles above belong to it */
    free(a);
}
