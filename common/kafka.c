/* kafka.c — idempotent producer, at-least-once consumer bookkeeping, dead letters
 * (see kafka.h for the contracts). */
#include "kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timeutil.h"

/* ---- configuration ---- */

int bp_kafka_conf_set(rd_kafka_conf_t *conf, const char *k, const char *v, char *err,
                      size_t errlen)
{
    char e[256];
    if (rd_kafka_conf_set(conf, k, v, e, sizeof e) != RD_KAFKA_CONF_OK)
        return bp_seterr(err, errlen, "librdkafka property %s=%s: %s", k, v, e);
    return 0;
}

static bp_kafka_stats_fn kafka_stats_fn;
static void *kafka_stats_opaque;
static int kafka_stats_ms;

void bp_kafka_set_stats(bp_kafka_stats_fn fn, void *opaque, int interval_ms)
{
    kafka_stats_fn = fn;
    kafka_stats_opaque = opaque;
    kafka_stats_ms = interval_ms > 0 ? interval_ms : 15000;
}

static int kafka_stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    if (kafka_stats_fn)
        kafka_stats_fn(kafka_stats_opaque, json, len);
    return 0; /* librdkafka frees json */
}

int bp_kafka_conf_apply(rd_kafka_conf_t *conf, const bp_kafka_cfg_t *kc, const char *client_id,
                        char *err, size_t errlen)
{
    if (!kc->brokers || !*kc->brokers)
        return bp_seterr(err, errlen, "no Kafka brokers configured (kafka.brokers, BP_BROKERS or --brokers)");
    if (bp_kafka_conf_set(conf, "bootstrap.servers", kc->brokers, err, errlen) != 0)
        return -1;
    const char *cid = kc->client_id && *kc->client_id ? kc->client_id : client_id;
    if (cid && bp_kafka_conf_set(conf, "client.id", cid, err, errlen) != 0)
        return -1;
    if (kafka_stats_fn) {
        char ms[24];
        snprintf(ms, sizeof ms, "%d", kafka_stats_ms);
        if (bp_kafka_conf_set(conf, "statistics.interval.ms", ms, err, errlen) != 0)
            return -1;
        rd_kafka_conf_set_stats_cb(conf, kafka_stats_cb);
    }
    for (size_t i = 0; i < kc->rdkafka.n; i++)
        if (bp_kafka_conf_set(conf, kc->rdkafka.k[i], kc->rdkafka.v[i], err, errlen) != 0)
            return -1;
    return 0;
}

static void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    enum bp_log_level l = level <= 3 ? BP_LOG_ERROR : level <= 5 ? BP_LOG_WARN
                          : level <= 6                           ? BP_LOG_INFO
                                                                 : BP_LOG_DEBUG;
    bp_log(l, "rdkafka %s %s: %s", rd_kafka_name(rk), fac, buf);
}

/* ---- producer ---- */

struct bp_producer {
    rd_kafka_t *rk;
    /* delivery reports may be served by any thread that polls (bp_produce polls on a full
     * queue), so these two are atomic */
    _Atomic uint64_t failed;
    _Atomic int fatal;
};

typedef struct produce_ctx {
    bp_ack_fn fn;
    void *opaque;
} produce_ctx_t;

static void producer_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    bp_producer_t *p = opaque;
    produce_ctx_t *ctx = m->_private;
    if (m->err) {
        p->failed++;
        bp_error("delivery to %s [%d] failed: %s", rd_kafka_topic_name(m->rkt), (int)m->partition,
                 rd_kafka_err2str(m->err));
    }
    if (ctx) {
        if (ctx->fn)
            ctx->fn(ctx->opaque, m->err);
        free(ctx);
    }
}

static void producer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    bp_producer_t *p = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[512];
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        p->fatal = 1;
        bp_error("Kafka producer fatal error: %s", buf);
        return;
    }
    /* transport errors are retried by librdkafka: worth a line, not an exit */
    if (err == RD_KAFKA_RESP_ERR__TRANSPORT)
        return; /* librdkafka's own log line (log_cb) already says it */
    bp_warn("Kafka producer: %s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

bp_producer_t *bp_producer_new(const bp_kafka_cfg_t *kc, const char *client_id, char *err,
                               size_t errlen)
{
    bp_producer_t *p = calloc(1, sizeof *p);
    if (!p) {
        bp_seterr(err, errlen, "out of memory");
        return NULL;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (bp_kafka_conf_set(conf, "enable.idempotence", "true", err, errlen) ||
        bp_kafka_conf_set(conf, "acks", "all", err, errlen) ||
        bp_kafka_conf_set(conf, "linger.ms", "5", err, errlen) ||
        bp_kafka_conf_apply(conf, kc, client_id, err, errlen)) {
        rd_kafka_conf_destroy(conf);
        free(p);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, producer_dr_cb);
    rd_kafka_conf_set_error_cb(conf, producer_error_cb);
    rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
    rd_kafka_conf_set_opaque(conf, p);
    char e[512];
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!p->rk) {
        bp_seterr(err, errlen, "cannot create Kafka producer: %s", e);
        rd_kafka_conf_destroy(conf); /* not taken over on failure */
        free(p);
        return NULL;
    }
    return p;
}

int bp_produce(bp_producer_t *p, const char *topic, const void *key, size_t klen,
               const void *val, size_t vlen, rd_kafka_headers_t *headers, bp_ack_fn ack,
               void *opaque, char *err, size_t errlen)
{
    produce_ctx_t *ctx = NULL;
    if (ack) {
        ctx = malloc(sizeof *ctx);
        if (!ctx)
            return bp_seterr(err, errlen, "out of memory");
        ctx->fn = ack;
        ctx->opaque = opaque;
    }
    int64_t deadline = bp_mono_ms() + 30000;
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY((void *)key, key ? klen : 0),
            RD_KAFKA_V_VALUE((void *)val, vlen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(ctx), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            return 0;
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL && bp_mono_ms() < deadline) {
            rd_kafka_poll(p->rk, 100);
            continue;
        }
        free(ctx);
        return bp_seterr(err, errlen, "cannot produce to %s: %s", topic, rd_kafka_err2str(e));
    }
}

int bp_producer_poll(bp_producer_t *p, int timeout_ms) { return rd_kafka_poll(p->rk, timeout_ms); }

int bp_producer_flush(bp_producer_t *p, int timeout_ms)
{
    return rd_kafka_flush(p->rk, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

uint64_t bp_producer_failed(const bp_producer_t *p) { return p->failed; }

int bp_producer_fatal(bp_producer_t *p, char *err, size_t errlen)
{
    if (!p->fatal)
        return 0;
    rd_kafka_fatal_error(p->rk, err, errlen);
    return 1;
}

rd_kafka_t *bp_producer_rk(bp_producer_t *p) { return p->rk; }

void bp_producer_destroy(bp_producer_t *p)
{
    if (!p)
        return;
    if (rd_kafka_flush(p->rk, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        bp_error("%d message(s) not acknowledged at shutdown", rd_kafka_outq_len(p->rk));
    rd_kafka_destroy(p->rk);
    free(p);
}

/* ---- at-least-once consumer ---- */

typedef struct part_track part_track_t;

struct bp_inflight {
    bp_inflight_t *next;
    part_track_t *pt;
    int64_t offset;
    int holds;
    int released;
    int failed;
};

struct part_track {
    part_track_t *next;
    char *topic;
    int32_t partition;
    int active; /* 0 once revoked: entries drain, nothing is stored */
    bp_inflight_t *head, *tail;
    size_t count; /* entries from head to tail */
};

struct bp_consumer {
    rd_kafka_t *rk;
    bp_producer_t *prod;
    bp_consumer_hooks_t hooks;
    part_track_t *tracks;
    bp_inflight_t *freelist;
    int fatal;
    int failed;
};

static part_track_t *track_find(bp_consumer_t *c, const char *topic, int32_t partition,
                                int create)
{
    for (part_track_t *t = c->tracks; t; t = t->next)
        if (t->active && t->partition == partition && strcmp(t->topic, topic) == 0)
            return t;
    if (!create)
        return NULL;
    part_track_t *t = calloc(1, sizeof *t);
    if (!t || !(t->topic = strdup(topic))) {
        free(t);
        return NULL;
    }
    t->partition = partition;
    t->active = 1;
    t->next = c->tracks;
    c->tracks = t;
    return t;
}

bp_inflight_t *bp_consumer_begin(bp_consumer_t *c, const rd_kafka_message_t *m)
{
    part_track_t *t = track_find(c, rd_kafka_topic_name(m->rkt), m->partition, 1);
    if (!t)
        return NULL;
    bp_inflight_t *f = c->freelist;
    if (f)
        c->freelist = f->next;
    else if (!(f = malloc(sizeof *f)))
        return NULL;
    f->next = NULL;
    f->pt = t;
    f->offset = m->offset;
    f->holds = 0;
    f->released = 0;
    f->failed = 0;
    if (t->tail)
        t->tail->next = f;
    else
        t->head = f;
    t->tail = f;
    t->count++;
    return f;
}

void bp_inflight_hold(bp_inflight_t *t) { t->holds++; }

void bp_inflight_ack(void *token, rd_kafka_resp_err_t err)
{
    bp_inflight_t *t = token;
    t->holds--;
    if (err)
        t->failed = 1;
}

void bp_inflight_release(bp_inflight_t *t) { t->released = 1; }

/* Pops completed entries of one track; returns the last completed offset or -1.
 * Sets *failed if a failed entry blocks the prefix. Counts what stays in *pending. */
static int64_t track_advance(bp_consumer_t *c, part_track_t *t, int *failed, int *pending)
{
    int64_t last = -1;
    while (t->head && t->head->released && t->head->holds == 0) {
        bp_inflight_t *f = t->head;
        if (f->failed) {
            *failed = 1;
            break;
        }
        last = f->offset;
        t->head = f->next;
        t->count--;
        if (!t->head)
            t->tail = NULL;
        f->next = c->freelist;
        c->freelist = f;
    }
    *pending += (int)t->count; /* counted, not walked: thousands may wait for their acks */
    return last;
}

int bp_consumer_store_ready(bp_consumer_t *c)
{
    int failed = 0, pending = 0;
    rd_kafka_topic_partition_list_t *offs = NULL;
    part_track_t **pp = &c->tracks;
    while (*pp) {
        part_track_t *t = *pp;
        int64_t last = track_advance(c, t, &failed, &pending);
        if (t->active && last >= 0) {
            if (!offs)
                offs = rd_kafka_topic_partition_list_new(4);
            rd_kafka_topic_partition_list_add(offs, t->topic, t->partition)->offset = last + 1;
        }
        if (!t->active && !t->head) { /* a revoked partition fully drained */
            *pp = t->next;
            free(t->topic);
            free(t);
            continue;
        }
        pp = &t->next;
    }
    if (offs) {
        rd_kafka_resp_err_t e = rd_kafka_offsets_store(c->rk, offs);
        if (e)
            bp_warn("storing offsets: %s", rd_kafka_err2str(e));
        rd_kafka_topic_partition_list_destroy(offs);
    }
    if (failed) {
        c->failed = 1;
        return -1;
    }
    return pending;
}

static void consumer_deactivate(bp_consumer_t *c, const rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; i < parts->cnt; i++) {
        part_track_t *t = track_find(c, parts->elems[i].topic, parts->elems[i].partition, 0);
        if (t)
            t->active = 0;
    }
}

static void consumer_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                  rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    bp_consumer_t *c = opaque;
    int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        bp_info("assigned %d partition(s)%s", parts->cnt, coop ? " (cooperative)" : "");
        if (coop) {
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
            if (e) {
                bp_error("incremental assign: %s", rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
            }
        } else {
            rd_kafka_assign(rk, parts);
        }
        if (c->hooks.on_assign)
            c->hooks.on_assign(c->hooks.opaque, parts);
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        bp_info("revoking %d partition(s)", parts->cnt);
        if (c->hooks.on_revoke)
            c->hooks.on_revoke(c->hooks.opaque, parts);
        if (c->prod && bp_producer_flush(c->prod, 10000) != 0)
            bp_warn("revoke: outputs still unacknowledged after 10 s; they will be redone");
        bp_consumer_store_ready(c);
        rd_kafka_resp_err_t ce = rd_kafka_commit(rk, NULL, 0);
        if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
            bp_warn("commit on revoke: %s", rd_kafka_err2str(ce));
        consumer_deactivate(c, parts);
        if (coop) {
            rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
            if (e) {
                bp_error("incremental unassign: %s", rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
            }
        } else {
            rd_kafka_assign(rk, NULL);
        }
        return;
    }
    bp_error("rebalance error: %s", rd_kafka_err2str(err));
    consumer_deactivate(c, parts);
    rd_kafka_assign(rk, NULL);
}

static void consumer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    bp_consumer_t *c = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[512];
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        c->fatal = 1;
        bp_error("Kafka consumer fatal error: %s", buf);
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__TRANSPORT)
        return; /* librdkafka's own log line (log_cb) already says it */
    bp_warn("Kafka consumer: %s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

bp_consumer_t *bp_consumer_new(const bp_kafka_cfg_t *kc, const char *client_id,
                               const char *const *topics, int ntopics,
                               const bp_consumer_hooks_t *hooks, char *err, size_t errlen)
{
    if (!kc->group || !*kc->group) {
        bp_seterr(err, errlen, "no consumer group configured (kafka.group)");
        return NULL;
    }
    bp_consumer_t *c = calloc(1, sizeof *c);
    if (!c) {
        bp_seterr(err, errlen, "out of memory");
        return NULL;
    }
    if (hooks)
        c->hooks = *hooks;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (bp_kafka_conf_set(conf, "group.id", kc->group, err, errlen) ||
        bp_kafka_conf_set(conf, "enable.auto.offset.store", "false", err, errlen) ||
        bp_kafka_conf_set(conf, "enable.auto.commit", "true", err, errlen) ||
        bp_kafka_conf_set(conf, "auto.commit.interval.ms", "1000", err, errlen) ||
        bp_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, errlen) ||
        /* an alert must not wait for a fetch batch to fill: 100 ms instead of 500 */
        bp_kafka_conf_set(conf, "fetch.wait.max.ms", "100", err, errlen) ||
        bp_kafka_conf_apply(conf, kc, client_id, err, errlen)) {
        rd_kafka_conf_destroy(conf);
        free(c);
        return NULL;
    }
    /* whatever was passed through, offsets are stored only by this module */
    if (bp_kafka_conf_set(conf, "enable.auto.offset.store", "false", err, errlen)) {
        rd_kafka_conf_destroy(conf);
        free(c);
        return NULL;
    }
    rd_kafka_conf_set_rebalance_cb(conf, consumer_rebalance_cb);
    rd_kafka_conf_set_error_cb(conf, consumer_error_cb);
    rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
    rd_kafka_conf_set_opaque(conf, c);
    char e[512];
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!c->rk) {
        bp_seterr(err, errlen, "cannot create Kafka consumer: %s", e);
        rd_kafka_conf_destroy(conf);
        free(c);
        return NULL;
    }
    rd_kafka_poll_set_consumer(c->rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(ntopics);
    for (int i = 0; i < ntopics; i++)
        rd_kafka_topic_partition_list_add(sub, topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rd_kafka_subscribe(c->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (se) {
        bp_seterr(err, errlen, "cannot subscribe: %s", rd_kafka_err2str(se));
        rd_kafka_destroy(c->rk);
        free(c);
        return NULL;
    }
    return c;
}

void bp_consumer_attach_producer(bp_consumer_t *c, bp_producer_t *p) { c->prod = p; }

rd_kafka_message_t *bp_consumer_poll(bp_consumer_t *c, int timeout_ms)
{
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, timeout_ms);
    if (!m)
        return NULL;
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            bp_warn("consume: %s", rd_kafka_message_errstr(m));
            char buf[256];
            if (rd_kafka_fatal_error(c->rk, buf, sizeof buf))
                c->fatal = 1;
        }
        rd_kafka_message_destroy(m);
        return NULL;
    }
    return m;
}

int bp_consumer_fatal(const bp_consumer_t *c) { return c->fatal; }
rd_kafka_t *bp_consumer_rk(bp_consumer_t *c) { return c->rk; }

void bp_consumer_close(bp_consumer_t *c)
{
    if (!c)
        return;
    if (c->prod)
        bp_producer_flush(c->prod, 10000);
    bp_consumer_store_ready(c);
    rd_kafka_resp_err_t e = rd_kafka_consumer_close(c->rk); /* revokes: commits what is stored */
    if (e)
        bp_warn("consumer close: %s", rd_kafka_err2str(e));
    int pending_outputs = 0;
    if (c->prod && bp_producer_flush(c->prod, 10000) != 0)
        pending_outputs = 1;
    rd_kafka_destroy(c->rk);
    part_track_t *t = c->tracks;
    while (t) {
        part_track_t *next = t->next;
        if (!pending_outputs) { /* else a late delivery report may still name an entry */
            bp_inflight_t *f = t->head;
            while (f) {
                bp_inflight_t *fn = f->next;
                free(f);
                f = fn;
            }
            free(t->topic);
            free(t);
        }
        t = next;
    }
    bp_inflight_t *f = c->freelist;
    while (f) {
        bp_inflight_t *fn = f->next;
        free(f);
        f = fn;
    }
    free(c);
}

/* ---- dead letters ---- */

int bp_deadletter(bp_producer_t *p, const char *dl_topic, const char *stage, const char *reason,
                  const char *origin_topic, int32_t partition, int64_t offset,
                  const char *origin_ref, const void *key, size_t klen, const void *val,
                  size_t vlen, bp_ack_fn ack, void *opaque)
{
    rd_kafka_headers_t *h = rd_kafka_headers_new(8);
    char num[32], ts[BP_TIME_BUFSZ];
    rd_kafka_header_add(h, "bp-reason", -1, reason, -1);
    rd_kafka_header_add(h, "bp-stage", -1, stage, -1);
    if (origin_topic) {
        rd_kafka_header_add(h, "bp-origin-topic", -1, origin_topic, -1);
        snprintf(num, sizeof num, "%d", (int)partition);
        rd_kafka_header_add(h, "bp-origin-partition", -1, num, -1);
        snprintf(num, sizeof num, "%lld", (long long)offset);
        rd_kafka_header_add(h, "bp-origin-offset", -1, num, -1);
    }
    if (origin_ref)
        rd_kafka_header_add(h, "bp-origin", -1, origin_ref, -1);
    rd_kafka_header_add(h, "bp-time", -1, bp_time_format_rfc3339(bp_now_ms(), ts), -1);
    if (origin_topic)
        bp_warn("dead-letter: %s [%d] offset %lld: %s", origin_topic, (int)partition,
                (long long)offset, reason);
    else
        bp_warn("dead-letter: %s: %s", origin_ref ? origin_ref : "(input)", reason);
    char err[256];
    if (bp_produce(p, dl_topic, key, klen, val, vlen, h, ack, opaque, err, sizeof err) != 0) {
        rd_kafka_headers_destroy(h);
        return bp_error("%s", err);
    }
    return 0;
}
