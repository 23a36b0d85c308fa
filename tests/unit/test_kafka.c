/* test_kafka.c — the Kafka wrappers against an in-process mock cluster: offsets are stored only
 * once every output of a message (and of every earlier message) is acknowledged; a failed
 * output blocks the commit; dead letters carry the original bytes and their origin. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "log.h"
#include "test.h"
#include "timeutil.h"

static rd_kafka_t *mock_rk;
static rd_kafka_mock_cluster_t *mock;
static bp_kafka_cfg_t kc;

static void mock_start(void)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
    mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    mock = rd_kafka_mock_cluster_new(mock_rk, 1);
    rd_kafka_mock_topic_create(mock, "in", 1, 1);
    rd_kafka_mock_topic_create(mock, "out", 2, 1);
    rd_kafka_mock_topic_create(mock, "dl", 1, 1);
    memset(&kc, 0, sizeof kc);
    kc.brokers = (char *)rd_kafka_mock_cluster_bootstraps(mock);
    bp_kvlist_set(&kc.rdkafka, "session.timeout.ms", "6000");
    bp_kvlist_set(&kc.rdkafka, "heartbeat.interval.ms", "500");
}

static void mock_stop(void)
{
    bp_kvlist_free(&kc.rdkafka);
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(mock_rk);
}

static int acked, nacked;
static void count_ack(void *opaque, rd_kafka_resp_err_t err)
{
    (void)opaque;
    if (err)
        nacked++;
    else
        acked++;
}

/* The committed offset of partition 0 of topic for group, or -1000 on error. */
static int64_t committed(bp_consumer_t *c, const char *topic)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, 0);
    int64_t off = -1000;
    if (rd_kafka_committed(bp_consumer_rk(c), l, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR)
        off = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    return off;
}

TEST(producer_acknowledges_every_message)
{
    char err[256];
    bp_producer_t *p = bp_producer_new(&kc, "test", err, sizeof err);
    CHECK(p != NULL);
    if (!p)
        return;
    acked = nacked = 0;
    for (int i = 0; i < 5; i++) {
        char v[32];
        snprintf(v, sizeof v, "m%d", i);
        CHECK_INT(bp_produce(p, "in", "k", 1, v, strlen(v), NULL, count_ack, NULL, err, sizeof err), 0);
    }
    CHECK_INT(bp_producer_flush(p, 10000), 0);
    CHECK_INT(acked, 5);
    CHECK_INT(nacked, 0);
    CHECK_INT((int)bp_producer_failed(p), 0);
    bp_producer_destroy(p);
}

TEST(offsets_wait_for_every_earlier_output)
{
    char err[256];
    kc.group = "g-order";
    const char *topics[] = {"in"};
    bp_consumer_t *c = bp_consumer_new(&kc, "test", topics, 1, NULL, err, sizeof err);
    CHECK(c != NULL);
    if (!c)
        return;
    bp_inflight_t *t[5];
    int got = 0;
    int64_t end = bp_mono_ms() + 15000;
    while (got < 5 && bp_mono_ms() < end) {
        rd_kafka_message_t *m = bp_consumer_poll(c, 100);
        if (!m)
            continue;
        t[got] = bp_consumer_begin(c, m);
        bp_inflight_hold(t[got]); /* one non-Kafka output each, acked by hand below */
        bp_inflight_release(t[got]);
        got++;
        rd_kafka_message_destroy(m);
    }
    CHECK_INT(got, 5);
    if (got == 5) {
        /* later ones done, the first not: nothing may be stored */
        bp_inflight_ack(t[1], 0);
        bp_inflight_ack(t[2], 0);
        CHECK_INT(bp_consumer_store_ready(c), 5);
        rd_kafka_commit(bp_consumer_rk(c), NULL, 0);
        CHECK(committed(c, "in") < 0); /* nothing committed yet */
        bp_inflight_ack(t[0], 0);
        CHECK_INT(bp_consumer_store_ready(c), 2); /* 0,1,2 done; 3,4 pending */
        rd_kafka_commit(bp_consumer_rk(c), NULL, 0);
        CHECK_INT(committed(c, "in"), 3);
        bp_inflight_ack(t[3], RD_KAFKA_RESP_ERR__FAIL); /* a failed output blocks the rest */
        bp_inflight_ack(t[4], 0);
        CHECK_INT(bp_consumer_store_ready(c), -1);
        rd_kafka_commit(bp_consumer_rk(c), NULL, 0);
        CHECK_INT(committed(c, "in"), 3);
    }
    bp_consumer_close(c);
}

TEST(consume_produce_commit_after_broker_acks)
{
    char err[256];
    bp_producer_t *p = bp_producer_new(&kc, "test", err, sizeof err);
    kc.group = "g-pipe";
    const char *topics[] = {"in"};
    bp_consumer_t *c = bp_consumer_new(&kc, "test", topics, 1, NULL, err, sizeof err);
    CHECK(p && c);
    if (!p || !c)
        return;
    bp_consumer_attach_producer(c, p);
    int got = 0;
    int64_t end = bp_mono_ms() + 15000;
    while (got < 5 && bp_mono_ms() < end) {
        rd_kafka_message_t *m = bp_consumer_poll(c, 100);
        if (!m)
            continue;
        bp_inflight_t *t = bp_consumer_begin(c, m);
        for (int k = 0; k < 2; k++) { /* two outputs per input */
            bp_inflight_hold(t);
            CHECK_INT(bp_produce(p, "out", m->payload, m->len, m->payload, m->len, NULL,
                                 bp_inflight_ack, t, err, sizeof err), 0);
        }
        bp_inflight_release(t);
        got++;
        rd_kafka_message_destroy(m);
    }
    CHECK_INT(got, 5);
    CHECK_INT(bp_producer_flush(p, 10000), 0);
    CHECK_INT(bp_consumer_store_ready(c), 0);
    rd_kafka_commit(bp_consumer_rk(c), NULL, 0);
    CHECK_INT(committed(c, "in"), 5);
    bp_consumer_close(c);
    bp_producer_destroy(p);
}

TEST(dead_letter_keeps_bytes_and_origin)
{
    char err[256];
    bp_producer_t *p = bp_producer_new(&kc, "test", err, sizeof err);
    acked = nacked = 0;
    CHECK_INT(bp_deadletter(p, "dl", "filter", "not JSON: boom", "bp.posts", 2, 41, NULL, "k", 1,
                            "\xff{broken", 8, count_ack, NULL), 0);
    CHECK_INT(bp_producer_flush(p, 10000), 0);
    CHECK_INT(acked, 1);
    bp_producer_destroy(p);

    kc.group = "g-dl";
    const char *topics[] = {"dl"};
    bp_consumer_t *c = bp_consumer_new(&kc, "test", topics, 1, NULL, err, sizeof err);
    rd_kafka_message_t *m = NULL;
    int64_t end = bp_mono_ms() + 15000;
    while (!m && bp_mono_ms() < end)
        m = bp_consumer_poll(c, 100);
    CHECK(m != NULL);
    if (m) {
        CHECK_INT(m->len, 8);
        CHECK(memcmp(m->payload, "\xff{broken", 8) == 0);
        rd_kafka_headers_t *h = NULL;
        CHECK_INT(rd_kafka_message_headers(m, &h), 0);
        const void *v;
        size_t sz;
        CHECK_INT(rd_kafka_header_get_last(h, "bp-reason", &v, &sz), 0);
        CHECK(sz == 14 && memcmp(v, "not JSON: boom", 14) == 0);
        CHECK_INT(rd_kafka_header_get_last(h, "bp-origin-offset", &v, &sz), 0);
        CHECK(sz == 2 && memcmp(v, "41", 2) == 0);
        CHECK_INT(rd_kafka_header_get_last(h, "bp-origin-partition", &v, &sz), 0);
        CHECK(sz == 1 && memcmp(v, "2", 1) == 0);
        CHECK_INT(rd_kafka_header_get_last(h, "bp-stage", &v, &sz), 0);
        rd_kafka_message_destroy(m);
    }
    bp_consumer_close(c);
}

int main(void)
{
    bp_log_init("test_kafka");
    bp_log_set_level(BP_LOG_ERROR);
    mock_start();
    RUN(producer_acknowledges_every_message);
    RUN(offsets_wait_for_every_earlier_output);
    RUN(consume_produce_commit_after_broker_acks);
    RUN(dead_letter_keeps_bytes_and_origin);
    mock_stop();
    return test_summary();
}
