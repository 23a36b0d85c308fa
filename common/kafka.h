/* kafka.h — librdkafka wrappers that implement DESIGN's delivery rules:
 *  - an idempotent producer whose delivery reports are checked and handed to a callback;
 *  - an at-least-once consumer: a message's offset is stored only after everything produced
 *    from it was acknowledged (tracked per message, released in offset order per partition);
 *  - clean shutdown (flush, commit, close), rebalance handling, a dead-letter publisher. */
#ifndef BP_KAFKA_H
#define BP_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Called once per produced message from bp_producer_poll/flush, with the broker's verdict
 * (RD_KAFKA_RESP_ERR_NO_ERROR on success). */
typedef void (*bp_ack_fn)(void *opaque, rd_kafka_resp_err_t err);

typedef struct bp_producer bp_producer_t;

/* Creates an idempotent producer (acks=all). kc->rdkafka entries are applied last.
 * Returns NULL with the reason in err. */
bp_producer_t *bp_producer_new(const bp_kafka_cfg_t *kc, const char *client_id, char *err,
                               size_t errlen);
/* Produces a copy of key/value. headers (may be NULL) are taken over on success and must be
 * destroyed by the caller on failure. ack (may be NULL) is called later with the verdict.
 * On a full queue it polls and retries for up to 30 s. Returns 0 or -1 with err set. */
int bp_produce(bp_producer_t *p, const char *topic, const void *key, size_t klen,
               const void *val, size_t vlen, rd_kafka_headers_t *headers, bp_ack_fn ack,
               void *opaque, char *err, size_t errlen);
/* Serves delivery reports. Returns the number of events served. */
int bp_producer_poll(bp_producer_t *p, int timeout_ms);
/* Waits until every message is acknowledged or failed. Returns 0, or -1 on timeout. */
int bp_producer_flush(bp_producer_t *p, int timeout_ms);
/* Messages whose delivery failed for good since creation. */
uint64_t bp_producer_failed(const bp_producer_t *p);
/* Non-zero once librdkafka raised a fatal error (the process should stop and exit 1). */
int bp_producer_fatal(bp_producer_t *p, char *err, size_t errlen);
rd_kafka_t *bp_producer_rk(bp_producer_t *p);
/* Flushes (up to 10 s) and destroys. Accepts NULL. */
void bp_producer_destroy(bp_producer_t *p);

/* ---- at-least-once consumer ---- */

typedef struct bp_consumer bp_consumer_t;
typedef struct bp_inflight bp_inflight_t;

typedef struct bp_consumer_hooks {
    /* After partitions were assigned (state may be rebuilt here). */
    void (*on_assign)(void *opaque, const rd_kafka_topic_partition_list_t *parts);
    /* Before partitions are taken away: finish what can be finished; after it returns, the
     * attached producer is flushed, completed offsets are committed and the rest is
     * abandoned (it will be consumed again by the next owner). */
    void (*on_revoke)(void *opaque, const rd_kafka_topic_partition_list_t *parts);
    void *opaque;
} bp_consumer_hooks_t;

/* Subscribes to topics[0..ntopics) in kc->group. Offsets are stored by this module only
 * (enable.auto.offset.store=false) and committed in the background and at close.
 * hooks may be NULL. Returns NULL with the reason in err. */
bp_consumer_t *bp_consumer_new(const bp_kafka_cfg_t *kc, const char *client_id,
                               const char *const *topics, int ntopics,
                               const bp_consumer_hooks_t *hooks, char *err, size_t errlen);
/* The producer whose outputs the consumer waits for on revoke and close (may be NULL). */
void bp_consumer_attach_producer(bp_consumer_t *c, bp_producer_t *p);
/* Returns the next message (caller rd_kafka_message_destroy), or NULL on timeout, partition
 * EOF, or a transient error (logged). Fatal consumer errors set bp_consumer_fatal. */
rd_kafka_message_t *bp_consumer_poll(bp_consumer_t *c, int timeout_ms);
int bp_consumer_fatal(const bp_consumer_t *c);
rd_kafka_t *bp_consumer_rk(bp_consumer_t *c);

/* Starts tracking a consumed message. Its offset is stored once bp_inflight_release was called
 * and every hold was acknowledged, and every earlier message of its partition is done too.
 * Returns NULL only if out of memory. */
bp_inflight_t *bp_consumer_begin(bp_consumer_t *c, const rd_kafka_message_t *m);
/* One more output pending for this message; pass bp_inflight_ack and the token to bp_produce
 * (or call bp_inflight_ack yourself when a non-Kafka output, e.g. an HTTP delivery, is done). */
void bp_inflight_hold(bp_inflight_t *t);
void bp_inflight_ack(void *token, rd_kafka_resp_err_t err);
/* No more outputs will be added for this message. */
void bp_inflight_release(bp_inflight_t *t);
/* Stores the offsets of every partition's completed prefix. Returns the number of messages
 * still in flight, or -1 if some output failed for good (the caller should stop: nothing
 * after the failure is committed, so a restart redoes it). */
int bp_consumer_store_ready(bp_consumer_t *c);
/* Stores what is complete, commits synchronously, closes the group membership, destroys.
 * Accepts NULL. */
void bp_consumer_close(bp_consumer_t *c);

/* Sets the properties every client shares (bootstrap, client.id, rdkafka passthrough) on conf.
 * Returns 0 or -1 with err. Used by the wrappers and by tools that build their own clients. */
int bp_kafka_conf_apply(rd_kafka_conf_t *conf, const bp_kafka_cfg_t *kc, const char *client_id,
                        char *err, size_t errlen);
/* librdkafka statistics for every client created after this call (through
 * bp_kafka_conf_apply): statistics.interval.ms is set to interval_ms (before the configuration's
 * rdkafka passthrough, which may override it) and each statistics JSON document is handed to
 * fn(opaque, json, len) from inside the client's poll call. fn must not keep json. fn NULL turns
 * it off for clients created afterwards. Not thread-safe: call at start-up. */
typedef void (*bp_kafka_stats_fn)(void *opaque, const char *json, size_t len);
void bp_kafka_set_stats(bp_kafka_stats_fn fn, void *opaque, int interval_ms);
/* Sets one property; returns 0 or -1 with "property=value: reason" in err. */
int bp_kafka_conf_set(rd_kafka_conf_t *conf, const char *k, const char *v, char *err,
                      size_t errlen);

/* ---- dead letters ---- */

/* Publishes the original bytes unchanged to dl_topic with headers that say why and where from:
 * bp-reason, bp-stage, bp-origin-topic, bp-origin-partition, bp-origin-offset, bp-time.
 * origin_topic may be NULL (then partition/offset are omitted) for input that never was in
 * Kafka (a line of a file, an HTTP body); origin_ref (may be NULL) names it instead
 * (header bp-origin, e.g. "posts.jsonl:17"). Logs one WARN line. Returns 0 or -1. */
int bp_deadletter(bp_producer_t *p, const char *dl_topic, const char *stage, const char *reason,
                  const char *origin_topic, int32_t partition, int64_t offset,
                  const char *origin_ref, const void *key, size_t klen, const void *val,
                  size_t vlen, bp_ack_fn ack, void *opaque);

#endif
