/* metrics.h — a small thread-safe Prometheus registry (counters, gauges, histograms with a few
 * labels) served as text exposition format 0.0.4, with liveness and readiness endpoints and
 * librdkafka statistics turned into gauges. See docs/metrics.md for the names to use.
 *
 *   bp_metrics_t *m = bp_metrics_start("bp-filter", cfg.common.metrics_listen, err, sizeof err);
 *   bp_counter_t *in = bp_metrics_counter(m, "bp_posts_in_total", "Posts read", NULL);
 *   bp_hist_t *lat = bp_metrics_hist(m, "bp_processing_seconds", "Time to judge a post",
 *                                    NULL, 0, NULL);
 *   bp_metrics_set_ready(m, 1);
 *   while (bp_running) { bp_metrics_heartbeat(m); ... bp_counter_inc(in);
 *                        bp_hist_observe(lat, secs); }
 *   bp_metrics_free(m);
 *
 * Served on metrics_listen ("host:port"; "" serves nothing but the registry still works):
 *   GET /metrics   the text format, every series of every family in registration order
 *   GET /healthz   200 "ok" while bp_metrics_heartbeat was called within the stale limit
 *                  (default 30 s), else 503 naming how long ago
 *   GET /readyz    200 "ready" after bp_metrics_set_ready(m, 1), else 503 "not ready"
 *
 * Handles (counters, gauges, histograms) belong to the registry and stay valid until
 * bp_metrics_free. Every operation on a handle is an atomic update, safe from any thread,
 * and a no-op on NULL: a program may run without metrics by passing m == NULL (every
 * constructor then returns NULL). Registering the same name and labels twice returns the same
 * handle, so handles may also be looked up at run time (a mutex and a scan of the family:
 * cache handles on hot paths). */
#ifndef BP_METRICS_H
#define BP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct bp_metrics bp_metrics_t;
typedef struct bp_counter bp_counter_t;
typedef struct bp_gauge bp_gauge_t;
typedef struct bp_hist bp_hist_t;

#define BP_METRICS_MAX_LABELS 4      /* label pairs per series */
#define BP_METRICS_MAX_SERIES 2000   /* series per family; more are refused (NULL, logged once) */
#define BP_METRICS_MAX_BUCKETS 40    /* bounds per histogram */
#define BP_METRICS_DEFAULT_STALE_MS 30000

/* Creates the registry for program prog (a literal or a string that outlives the registry;
 * it is the `program` label of bp_build_info) and, when listen is not NULL nor "", serves it
 * over HTTP on listen ("host:port", ":port" or "port"; port 0 picks a free one, see
 * bp_metrics_port). Registers bp_build_info, process_start_time_seconds, bp_ready and
 * bp_heartbeat_age_seconds. Returns NULL with the reason in err (bad address, port in use). */
bp_metrics_t *bp_metrics_start(const char *prog, const char *listen, char *err, size_t errlen);
/* The port actually served, or -1 when not serving. */
int bp_metrics_port(const bp_metrics_t *m);
/* Stops the server and frees the registry and every handle. Accepts NULL. */
void bp_metrics_free(bp_metrics_t *m);

/* Registers (or finds) a series. name: [a-zA-Z_:][a-zA-Z0-9_:]*; counters should end in
 * _total. help: one line (escaped on output). Then up to BP_METRICS_MAX_LABELS pairs of
 * label name, label value (any UTF-8; escaped on output), then NULL. The first registration of
 * a name fixes its type, help and label names; a later call with another type or other label
 * names returns NULL and logs a warning. Returns NULL also when m is NULL or out of memory. */
bp_counter_t *bp_metrics_counter(bp_metrics_t *m, const char *name, const char *help, ...)
    __attribute__((sentinel));
bp_gauge_t *bp_metrics_gauge(bp_metrics_t *m, const char *name, const char *help, ...)
    __attribute__((sentinel));
/* bounds: nbounds strictly increasing upper bounds in seconds (+Inf is implicit); NULL or
 * nbounds 0 gives the default buckets, 1 ms .. 1 day, fit for processing and delivery latency
 * as well as freshness. The bounds of the first registration of a name apply to all its
 * series. */
bp_hist_t *bp_metrics_hist(bp_metrics_t *m, const char *name, const char *help,
                           const double *bounds, size_t nbounds, ...) __attribute__((sentinel));

void bp_counter_add(bp_counter_t *c, uint64_t n);
void bp_counter_inc(bp_counter_t *c);
uint64_t bp_counter_get(const bp_counter_t *c); /* 0 for NULL */
void bp_gauge_set(bp_gauge_t *g, double v);
void bp_gauge_add(bp_gauge_t *g, double d); /* d may be negative */
double bp_gauge_get(const bp_gauge_t *g);   /* 0 for NULL */
/* Records one observation in seconds. NaN is ignored; a negative value (clock skew between a
 * source and us) counts as 0. */
void bp_hist_observe(bp_hist_t *h, double seconds);
/* Observes the time from t_ms to now (both ms since the epoch, e.g. a post's published_at):
 * the freshness helper. */
void bp_hist_observe_since_ms(bp_hist_t *h, int64_t t_ms);

/* Liveness: call once per turn of the main loop. /healthz answers 503 once the last call is
 * older than the stale limit. The registry counts as alive for stale_ms after creation. */
void bp_metrics_heartbeat(bp_metrics_t *m);
void bp_metrics_set_stale_ms(bp_metrics_t *m, int64_t stale_ms);
/* Readiness: 1 once the program can do its work (configuration and rules loaded, Kafka
 * partitions assigned), 0 again while shutting down. */
void bp_metrics_set_ready(bp_metrics_t *m, int ready);

/* Reads one librdkafka statistics document (the JSON handed to stats_cb, which
 * statistics.interval.ms turns on) and sets, labelled by client (the handle's name, e.g.
 * "bp-filter#consumer-1"):
 *   bp_kafka_consumer_lag{client,topic,partition}    partitions[].consumer_lag (>= 0 only)
 *   bp_kafka_outq_msgs{client}                       msg_cnt: messages waiting to be sent
 *   bp_kafka_replyq{client}                          replyq: events waiting to be served
 *   bp_kafka_broker_rtt_avg_seconds{client,broker}   brokers[].rtt.avg
 *   bp_kafka_broker_outbuf_msgs{client,broker}       brokers[].outbuf_msg_cnt
 *   bp_kafka_broker_up{client,broker}                1 if brokers[].state is "UP"
 *   bp_kafka_assigned_partitions{client}             cgrp.assignment_size (consumers)
 *   bp_kafka_rebalances_total{client}                cgrp.rebalance_cnt (consumers)
 *   bp_kafka_tx_msgs_total{client}, bp_kafka_rx_msgs_total{client}   txmsgs, rxmsgs
 * Series of that client that the document no longer names (a partition taken away by a
 * rebalance, a broker gone) stop being exposed. Returns 0, or -1 if json is not a librdkafka
 * statistics document (nothing is changed). */
int bp_metrics_rdkafka_stats(bp_metrics_t *m, const char *json, size_t len);
/* The same with a void * registry, to hand to a statistics hook that takes
 * void (*)(void *opaque, const char *json, size_t len); errors are ignored. */
void bp_metrics_rdkafka_stats_cb(void *m, const char *json, size_t len);

/* Appends the text exposition of every series to out (what GET /metrics answers). Returns 0,
 * or -1 if the buffer's cap was reached. */
int bp_metrics_render(bp_metrics_t *m, bp_buf_t *out);

#endif
