/* watchdog_main.c — bp-watchdog: reads the collectors' heartbeats (bp.heartbeats), and when a
 * feed has produced nothing, not polled successfully or not sent a heartbeat for too long,
 * produces one operational alert to bp.alerts (brand "_ops"), and one more when it recovers.
 * The state is rebuilt from the heartbeat topic at every start (no offsets are committed). */
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "sig.h"
#include "timeutil.h"
#include "watchdog.h"
#include "yamltree.h"

#define WD_PROG "bp-watchdog"
#define WD_MAX_EVENTS 64
#define WD_ACK_WAIT_MS 30000
#define WD_MAX_PARTS 1024

typedef struct wd_cfg {
    bp_common_cfg_t common;
    char *heartbeats_topic;
    double factor;
    int64_t floor_ms;
    int64_t forget_ms;
    int64_t check_ms;
    char *brand;
    char *priority;
} wd_cfg_t;

/* Logs "file:line:col: key 'key': must be ..." at the key's value in path. Returns -1. */
static int wd_cfg_range_error(const char *path, const char *key, const char *what)
{
    char err[512];
    bp_ynode_t *root = bp_yaml_load_file(path, err, sizeof err);
    const bp_ynode_t *n = root ? bp_yaml_get(root, key) : NULL;
    if (n)
        bp_yaml_error(n, err, sizeof err, "key '%s': %s", key, what);
    else
        snprintf(err, sizeof err, "%s: key '%s': %s", path, key, what);
    bp_yaml_free(root);
    return bp_error("%s", err);
}

static const bp_cfg_entry_t wd_cfg_table[] = {
    BP_CFG_COMMON_ENTRIES(offsetof(wd_cfg_t, common)),
    {"heartbeats_topic", BP_CFG_STR, "bp.heartbeats", offsetof(wd_cfg_t, heartbeats_topic),
     "topic of the collectors' heartbeats (the collectors' heartbeat_topic); the watchdog also "
     "writes its markers there", NULL, NULL, NULL, 0},
    {"factor", BP_CFG_DOUBLE, "3", offsetof(wd_cfg_t, factor),
     "a feed is stale after factor x its interval (heartbeat, poll or expected post interval)",
     NULL, NULL, NULL, 0},
    {"floor", BP_CFG_DURATION, "10m", offsetof(wd_cfg_t, floor_ms),
     "never alert before this much silence, whatever the intervals", NULL, NULL, NULL, 0},
    {"forget_after", BP_CFG_DURATION, "7d", offsetof(wd_cfg_t, forget_ms),
     "a feed without heartbeat this long (alerted once) is forgotten; 0: never", NULL, NULL,
     NULL, 0},
    {"check_interval", BP_CFG_DURATION, "5s", offsetof(wd_cfg_t, check_ms),
     "how often the rules are applied", NULL, NULL, NULL, 0},
    {"brand", BP_CFG_STR, "_ops", offsetof(wd_cfg_t, brand),
     "brand of the operational alerts (route them with when: {brand: [_ops]})", NULL, NULL,
     NULL, 0},
    {"priority", BP_CFG_STR, "high", offsetof(wd_cfg_t, priority),
     "priority of the operational alerts", NULL, NULL, NULL, 0},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0},
};

typedef struct wd_ack {
    int done;
    rd_kafka_resp_err_t err;
} wd_ack_t;

static void wd_on_ack(void *opaque, rd_kafka_resp_err_t err)
{
    wd_ack_t *a = opaque;
    a->done = 1;
    a->err = err;
}

static void wd_usage(void)
{
    printf("Usage: " WD_PROG " -c FILE [--brokers HOST:PORT] [--check-config]\n\n"
           "Watches the collectors' heartbeats and raises an operational alert (to bp.alerts,\n"
           "brand _ops) when a feed has produced nothing, not polled successfully or sent no\n"
           "heartbeat for longer than max(factor x its interval, floor); and one more when it\n"
           "recovers. One alert per episode, even across restarts.\n\n"
           "  -c, --config FILE    configuration (YAML)\n"
           "      --brokers LIST   Kafka bootstrap servers (overrides kafka.brokers, BP_BROKERS)\n"
           "      --check-config   load and check the configuration, then exit (also --check)\n"
           "  -h, --help           this text\n"
           "  -V, --version        version\n\n"
           "Configuration keys:\n");
    bp_cfg_print_help(wd_cfg_table, 2);
}

/* Produces one record and waits for the broker's verdict. Returns 0 or -1. */
static int wd_produce_wait(bp_producer_t *prod, const char *topic, const char *key,
                           const json_t *val)
{
    char err[512];
    wd_ack_t ack = {0, RD_KAFKA_RESP_ERR_NO_ERROR};
    char *s = bp_json_dump(val);
    if (!s)
        return bp_error("out of memory");
    int rc = bp_produce(prod, topic, key, strlen(key), s, strlen(s), NULL, wd_on_ack, &ack, err,
                        sizeof err);
    free(s);
    if (rc != 0)
        return bp_error("%s: %s", topic, err);
    int64_t start = bp_mono_ms();
    while (!ack.done && bp_mono_ms() - start < WD_ACK_WAIT_MS)
        bp_producer_poll(prod, 100);
    if (!ack.done) {
        /* the callback may still fire later: keep serving it until the record is settled */
        bp_producer_flush(prod, 10000);
        if (!ack.done)
            return bp_error("%s: no acknowledgement after %d s", topic, WD_ACK_WAIT_MS / 1000);
    }
    if (ack.err)
        return bp_error("%s: not acknowledged: %s", topic, rd_kafka_err2str(ack.err));
    return 0;
}

/* Sends the alert of ev (then its marker). Returns 0, or -1 (the event is undone). */
/* Partitions are about to be taken away (a rebalance, or the close). Nothing is committed, so
 * the next assignment is read from the beginning again: the state is rebuilt from scratch. */
static void wd_on_revoke(void *opaque, const rd_kafka_topic_partition_list_t *parts)
{
    *(int *)opaque = 1;
}

static int wd_send(const wd_cfg_t *cfg, watchdog_t *w, bp_producer_t *prod,
                   const watchdog_event_t *ev, int64_t now)
{
    json_t *alert = watchdog_alert(w, ev, now);
    json_t *marker = watchdog_marker(ev, now);
    int rc = -1;
    if (!alert || !marker) {
        bp_error("out of memory");
        goto out;
    }
    if (wd_produce_wait(prod, cfg->common.topics.alerts, cfg->brand, alert) != 0)
        goto out;
    bp_log(ev->kind == WATCHDOG_STALE ? BP_LOG_WARN : BP_LOG_INFO, "%s alert %s: %s",
           ev->kind == WATCHDOG_STALE ? "stale" : "recovered", bp_json_str(alert, "id"),
           bp_json_str(alert, "text"));
    /* the marker lets a restarted watchdog know the alert went out; if it is lost, the alert
     * is produced again with the same id and the alerter drops it */
    if (wd_produce_wait(prod, cfg->heartbeats_topic, ev->feed, marker) != 0)
        bp_warn("feed %s: marker not written; a restart may produce the alert again (same id)",
                ev->feed);
    rc = 0;
out:
    json_decref(alert);
    json_decref(marker);
    return rc;
}

/* 1 once partitions are assigned and every one was read up to its end as of now (the rules
 * are not applied to a half-read history: an old heartbeat would look like a dead feed). */
static int wd_caught_up(bp_consumer_t *c)
{
    rd_kafka_t *rk = bp_consumer_rk(c);
    rd_kafka_topic_partition_list_t *parts = NULL;
    int ok = 0;
    if (rd_kafka_assignment(rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || !parts ||
        parts->cnt == 0)
        goto out;
    /* the ends first, then our positions: a record arriving in between does not hold us up */
    int64_t lo[WD_MAX_PARTS], hi[WD_MAX_PARTS];
    if (parts->cnt > WD_MAX_PARTS)
        goto out;
    for (int i = 0; i < parts->cnt; i++)
        if (rd_kafka_query_watermark_offsets(rk, parts->elems[i].topic,
                                             parts->elems[i].partition, &lo[i], &hi[i],
                                             2000) != RD_KAFKA_RESP_ERR_NO_ERROR)
            goto out;
    if (rd_kafka_position(rk, parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
        goto out;
    ok = 1;
    for (int i = 0; i < parts->cnt && ok; i++)
        if (hi[i] > lo[i] && parts->elems[i].offset < hi[i]) /* no position yet, or behind */
            ok = 0;
out:
    if (parts)
        rd_kafka_topic_partition_list_destroy(parts);
    return ok;
}

int main(int argc, char **argv)
{
    const char *cfg_path = NULL, *brokers = NULL;
    int check = 0, status = BP_EXIT_RUNTIME;
    char err[1024];
    wd_cfg_t cfg;
    bp_metrics_t *m = NULL;
    bp_producer_t *prod = NULL;
    bp_consumer_t *cons = NULL;
    watchdog_t *w = NULL;
    bp_log_init(WD_PROG);
    memset(&cfg, 0, sizeof cfg);
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"brokers", required_argument, NULL, 'b'},
        {"check-config", no_argument, NULL, 'k'}, {"check", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
        switch (o) {
        case 'c': cfg_path = optarg; break;
        case 'b': brokers = optarg; break;
        case 'k': check = 1; break;
        case 'h': wd_usage(); return BP_EXIT_OK;
        case 'V': bp_cli_version(WD_PROG); return BP_EXIT_OK;
        default: return bp_cli_usage_error(WD_PROG, "unknown option");
        }
    }
    if (optind < argc)
        return bp_cli_usage_error(WD_PROG, "unexpected argument '%s'", argv[optind]);
    if (!cfg_path)
        return bp_cli_usage_error(WD_PROG, "-c FILE is required");
    if (bp_cfg_load(cfg_path, wd_cfg_table, &cfg, &cfg.common, brokers, err, sizeof err) != 0) {
        bp_error("%s", err);
        status = BP_EXIT_USAGE;
        goto out;
    }
    if (!(cfg.factor > 0) || cfg.factor > 1000 || cfg.check_ms <= 0 || !*cfg.heartbeats_topic ||
        !*cfg.brand) {
        if (!(cfg.factor > 0) || cfg.factor > 1000)
            wd_cfg_range_error(cfg_path, "factor", "must be above 0 (and at most 1000)");
        else if (cfg.check_ms <= 0)
            wd_cfg_range_error(cfg_path, "check_interval", "must be above 0");
        else
            wd_cfg_range_error(cfg_path, *cfg.brand ? "heartbeats_topic" : "brand",
                               "must not be empty");
        status = BP_EXIT_USAGE;
        goto out;
    }
    if (!cfg.common.kafka.group || !*cfg.common.kafka.group) {
        free(cfg.common.kafka.group);
        cfg.common.kafka.group = strdup("bp-watchdog");
    }
    if (check) {
        printf("%s: configuration OK\n", cfg_path);
        status = BP_EXIT_OK;
        goto out;
    }
    bp_signals_install();
    m = bp_metrics_start(WD_PROG, cfg.common.metrics_listen, err, sizeof err);
    if (!m) {
        bp_error("%s: key 'metrics_listen': %s", cfg_path, err);
        status = BP_EXIT_USAGE;
        goto out;
    }
    bp_kafka_set_stats(bp_metrics_rdkafka_stats_cb, m, 15000);
    bp_counter_t *m_in = bp_metrics_counter(m, "bp_heartbeats_in_total",
                                            "Records read from the heartbeat topic", NULL);
    bp_counter_t *m_bad = bp_metrics_counter(m, "bp_deadlettered_total",
                                             "Records sent to bp.deadletter", "stage", "watchdog",
                                             NULL);
    bp_counter_t *m_stale = bp_metrics_counter(m, "bp_watchdog_alerts_total",
                                               "Operational alerts produced", "state", "stale",
                                               NULL);
    bp_counter_t *m_rec = bp_metrics_counter(m, "bp_watchdog_alerts_total",
                                             "Operational alerts produced", "state", "recovered",
                                             NULL);
    bp_gauge_t *m_feeds = bp_metrics_gauge(m, "bp_watchdog_feeds", "Feeds known", NULL);
    bp_gauge_t *m_open = bp_metrics_gauge(m, "bp_watchdog_stale_feeds",
                                          "Feeds in a stale episode now", NULL);
    watchdog_opts_t wo = {cfg.factor, cfg.floor_ms, cfg.forget_ms, cfg.brand, cfg.priority};
    w = watchdog_new(&wo);
    prod = bp_producer_new(&cfg.common.kafka, WD_PROG, err, sizeof err);
    if (!w || !prod) {
        bp_error("%s", w ? err : "out of memory");
        status = strstr(err, "no Kafka brokers") ? BP_EXIT_USAGE : BP_EXIT_RUNTIME;
        goto out;
    }
    const char *topics[1] = {cfg.heartbeats_topic};
    int revoked = 0;
    bp_consumer_hooks_t hooks = {NULL, wd_on_revoke, &revoked};
    cons = bp_consumer_new(&cfg.common.kafka, WD_PROG, topics, 1, &hooks, err, sizeof err);
    if (!cons) {
        bp_error("%s", err);
        goto out;
    }
    bp_info("watching feeds on %s (factor %.3g, floor %.0f s); alerts to %s as brand %s",
            cfg.heartbeats_topic, cfg.factor, (double)cfg.floor_ms / 1000.0,
            cfg.common.topics.alerts, cfg.brand);
    status = BP_EXIT_OK;
    int caught_up = 0;
    int64_t next_check = 0, next_catchup = 0;
    while (bp_running) {
        bp_metrics_heartbeat(m);
        bp_producer_poll(prod, 0);
        rd_kafka_message_t *msg = bp_consumer_poll(cons, 100);
        if (bp_consumer_fatal(cons) || bp_producer_fatal(prod, err, sizeof err)) {
            bp_error("stopping: Kafka fatal error");
            status = BP_EXIT_RUNTIME;
            break;
        }
        if (revoked && bp_running) {
            watchdog_t *fresh = watchdog_new(&wo);
            if (!fresh) {
                bp_error("out of memory");
                status = BP_EXIT_RUNTIME;
                if (msg)
                    rd_kafka_message_destroy(msg);
                break;
            }
            watchdog_free(w);
            w = fresh;
            revoked = 0;
            caught_up = 0;
            bp_metrics_set_ready(m, 0);
            bp_info("partitions revoked: the state is rebuilt from the heartbeat topic");
        }
        if (msg) {
            /* no offset is stored: every start reads the topic from its beginning */
            bp_counter_inc(m_in);
            json_error_t je;
            json_t *rec = json_loadb(msg->payload, msg->len, 0, &je);
            size_t known = watchdog_feeds(w);
            if (watchdog_add(w, rec, err, sizeof err) < 0 || !rec) {
                if (!rec)
                    snprintf(err, sizeof err, "not JSON: %s (line %d, column %d)", je.text,
                             je.line, je.column);
                bp_counter_inc(m_bad);
                bp_deadletter(prod, cfg.common.topics.deadletter, "watchdog", err,
                              rd_kafka_topic_name(msg->rkt), msg->partition, msg->offset, NULL,
                              msg->key, msg->key_len, msg->payload, msg->len, NULL, NULL);
            }
            if (caught_up && watchdog_feeds(w) > known)
                bp_info("feed %s: first heartbeat (from %s)", bp_json_str(rec, "feed"),
                        bp_json_str(rec, "collector"));
            json_decref(rec);
            rd_kafka_message_destroy(msg);
            continue;
        }
        if (!caught_up) {
            if (bp_mono_ms() < next_catchup)
                continue;
            next_catchup = bp_mono_ms() + 250;
            if (!wd_caught_up(cons))
                continue;
            caught_up = 1;
            bp_metrics_set_ready(m, 1);
            bp_info("heartbeats read up to now: %zu feed(s) known", watchdog_feeds(w));
        }
        if (bp_mono_ms() < next_check)
            continue;
        next_check = bp_mono_ms() + cfg.check_ms;
        watchdog_event_t evs[WD_MAX_EVENTS];
        int64_t now = bp_now_ms();
        size_t n = watchdog_check(w, now, evs, WD_MAX_EVENTS);
        for (size_t i = 0; i < n; i++) {
            if (wd_send(&cfg, w, prod, &evs[i], now) != 0) {
                watchdog_undo(w, &evs[i]); /* tried again at the next check */
                continue;
            }
            bp_counter_inc(evs[i].kind == WATCHDOG_STALE ? m_stale : m_rec);
        }
        bp_gauge_set(m_feeds, (double)watchdog_feeds(w));
        bp_gauge_set(m_open, (double)watchdog_stale_count(w));
    }
    bp_metrics_set_ready(m, 0);
    bp_info("stopping: %zu feed(s) known, %zu stale", watchdog_feeds(w), watchdog_stale_count(w));
out:
    bp_consumer_close(cons);
    if (prod && bp_producer_flush(prod, 10000) != 0)
        status = BP_EXIT_RUNTIME;
    bp_producer_destroy(prod);
    watchdog_free(w);
    bp_metrics_free(m);
    bp_cfg_free(wd_cfg_table, &cfg);
    return status;
}
