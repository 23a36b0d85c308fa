/* tail_main.c — bp-tail: prints the records of Kafka topics as JSON lines (topic, partition,
 * offset, timestamp, key, headers, value), for operators, tests and the demo. It reads without
 * a consumer group and commits nothing. */
#include <getopt.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "kafka.h"
#include "log.h"
#include "sig.h"
#include "timeutil.h"
#include "utf8.h"

static void usage(void)
{
    printf("Usage: bp-tail --topic T [--topic T2 ...] [options]\n"
           "Prints every record of the topics as one JSON object per line:\n"
           "  {\"topic\",\"partition\",\"offset\",\"timestamp\",\"key\",\"headers\":{...},\"value\"}\n"
           "value is the parsed JSON when the record is JSON, else a string (or value_b64).\n\n"
           "  --brokers LIST     bootstrap servers (default: BP_BROKERS)\n"
           "  --follow           keep waiting for new records (until SIGTERM/SIGINT)\n"
           "  --count N          stop after N records\n"
           "  --timeout-ms MS    give up waiting after MS (default 5000; with --count: for them)\n"
           "  --value-only       print only the value (raw bytes, one per line)\n"
           "  --help, --version\n");
}

static json_t *tail_bytes_json(const void *p, size_t n)
{
    if (bp_utf8_check(p, n) == n)
        return json_stringn(p, n);
    return NULL;
}

static void tail_print(const rd_kafka_message_t *m, int value_only)
{
    if (value_only) {
        fwrite(m->payload, 1, m->len, stdout);
        fputc('\n', stdout);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "topic", json_string(rd_kafka_topic_name(m->rkt)));
    json_object_set_new(o, "partition", json_integer(m->partition));
    json_object_set_new(o, "offset", json_integer(m->offset));
    rd_kafka_timestamp_type_t tt;
    json_object_set_new(o, "timestamp", json_integer(rd_kafka_message_timestamp(m, &tt)));
    json_object_set_new(o, "key", m->key ? tail_bytes_json(m->key, m->key_len) : json_null());
    json_t *hj = json_object();
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char *name;
        const void *val;
        size_t sz;
        for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &sz) == 0; i++) {
            json_t *hv = val ? tail_bytes_json(val, sz) : json_null();
            json_object_set_new(hj, name, hv ? hv : json_string("(binary)"));
        }
    }
    json_object_set_new(o, "headers", hj);
    json_error_t je;
    json_t *v = m->len ? json_loadb(m->payload, m->len, JSON_DECODE_ANY, &je) : NULL;
    if (!v)
        v = m->payload ? tail_bytes_json(m->payload, m->len) : json_null();
    if (v) {
        json_object_set_new(o, "value", v);
    } else {
        char *b = malloc(m->len * 2 + 1);
        /* not UTF-8: hex keeps it printable without another dependency */
        static const char hx[] = "0123456789abcdef";
        for (size_t i = 0; i < m->len; i++) {
            b[2 * i] = hx[((const unsigned char *)m->payload)[i] >> 4];
            b[2 * i + 1] = hx[((const unsigned char *)m->payload)[i] & 15];
        }
        b[m->len * 2] = 0;
        json_object_set_new(o, "value_hex", json_string(b));
        free(b);
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    puts(s);
    free(s);
    json_decref(o);
}

int main(int argc, char **argv)
{
    bp_log_init("bp-tail");
    bp_log_set_level(BP_LOG_WARN);
    const char *brokers = getenv("BP_BROKERS");
    const char *topics[32];
    int ntopics = 0, follow = 0, value_only = 0;
    long count = -1, timeout_ms = 5000;
    static const struct option opts[] = {
        {"brokers", required_argument, NULL, 'b'}, {"topic", required_argument, NULL, 't'},
        {"follow", no_argument, NULL, 'f'},        {"count", required_argument, NULL, 'n'},
        {"timeout-ms", required_argument, NULL, 'T'}, {"value-only", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},          {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'b': brokers = optarg; break;
        case 't':
            if (ntopics == 32)
                return bp_cli_usage_error("bp-tail", "at most 32 topics");
            topics[ntopics++] = optarg;
            break;
        case 'f': follow = 1; break;
        case 'n': count = atol(optarg); break;
        case 'T': timeout_ms = atol(optarg); break;
        case 'v': value_only = 1; break;
        case 'h': usage(); return BP_EXIT_OK;
        case 'V': bp_cli_version("bp-tail"); return BP_EXIT_OK;
        default: return bp_cli_usage_error("bp-tail", "unknown option");
        }
    }
    if (!ntopics)
        return bp_cli_usage_error("bp-tail", "--topic is required");
    if (!brokers || !*brokers)
        return bp_cli_usage_error("bp-tail", "no brokers: use --brokers or BP_BROKERS");
    bp_signals_install();

    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (bp_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err) ||
        bp_kafka_conf_set(conf, "group.id", "bp-tail", err, sizeof err) ||
        bp_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err) ||
        bp_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err)) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "bp-tail: %s\n", err);
        return BP_EXIT_USAGE;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "bp-tail: %s\n", err);
        return BP_EXIT_RUNTIME;
    }
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(16);
    for (int i = 0; i < ntopics; i++) {
        rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topics[i], NULL);
        const rd_kafka_metadata_t *md = NULL;
        rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, (int)timeout_ms);
        if (e || md->topic_cnt != 1 || md->topics[0].err) {
            fprintf(stderr, "bp-tail: no metadata for topic %s: %s\n", topics[i],
                    rd_kafka_err2str(e ? e : md->topic_cnt ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
            if (md)
                rd_kafka_metadata_destroy(md);
            rd_kafka_topic_destroy(t);
            rd_kafka_topic_partition_list_destroy(parts);
            rd_kafka_destroy(rk);
            return BP_EXIT_RUNTIME;
        }
        for (int p = 0; p < md->topics[0].partition_cnt; p++)
            rd_kafka_topic_partition_list_add(parts, topics[i], md->topics[0].partitions[p].id)
                ->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(t);
    }
    int nparts = parts->cnt, eofs = 0;
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    long seen = 0;
    int64_t deadline = bp_mono_ms() + timeout_ms;
    int rc = BP_EXIT_OK;
    while (bp_running) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (m) {
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                eofs++;
            } else if (m->err) {
                fprintf(stderr, "bp-tail: %s\n", rd_kafka_message_errstr(m));
            } else {
                tail_print(m, value_only);
                seen++;
            }
            rd_kafka_message_destroy(m);
        }
        if (count >= 0 && seen >= count)
            break;
        if (!follow && count < 0 && eofs >= nparts)
            break;
        if (!follow && bp_mono_ms() > deadline) {
            if (count >= 0)
                rc = BP_EXIT_RUNTIME; /* fewer records than asked for */
            break;
        }
    }
    fflush(stdout);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}
