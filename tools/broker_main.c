/* broker_main.c — bp-broker: librdkafka's mock cluster on loopback, for development, tests and
 * the demo. It speaks the Kafka protocol (consumer groups, offset commits) but keeps every
 * record in memory only and is NOT for production: use Apache Kafka there. */
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fileutil.h"
#include "log.h"
#include "sig.h"
#include "timeutil.h"

static const char *const default_topics = "bp.posts,bp.mentions,bp.alerts,bp.deadletter,bp.deliveries";

static void usage(void)
{
    printf("Usage: bp-broker [options]\n"
           "Serves librdkafka's mock Kafka cluster on loopback and prints its bootstrap address.\n"
           "Data is kept in memory only: this broker is for development, tests and the demo,\n"
           "never for production (use Apache Kafka, see docker-compose.yml).\n\n"
           "  --partitions N         partitions per topic (default 3)\n"
           "  --brokers N            mock brokers in the cluster (default 1)\n"
           "  --topics A,B,...       topics to create (default %s)\n"
           "  --bootstrap-file F     also write the bootstrap address to F (atomically)\n"
           "  --control-file F       poll F for fault-injection commands (one per line):\n"
           "                           down BROKER_ID | up BROKER_ID |\n"
           "                           errors APIKEY COUNT ERRCODE (e.g. errors 0 3 7: Produce\n"
           "                           fails 3 times with REQUEST_TIMED_OUT)\n"
           "                         the file is removed once read\n"
           "  --log-level L          debug, info, warn, error\n"
           "  --help, --version\n",
           default_topics);
}

static void broker_apply_control(rd_kafka_mock_cluster_t *mc, const char *path)
{
    size_t len;
    char *text = bp_file_read(path, 65536, &len);
    if (!text)
        return;
    remove(path);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int a, b, c;
        if (sscanf(line, "down %d", &a) == 1) {
            rd_kafka_mock_broker_set_down(mc, a);
            bp_info("control: broker %d down", a);
        } else if (sscanf(line, "up %d", &a) == 1) {
            rd_kafka_mock_broker_set_up(mc, a);
            bp_info("control: broker %d up", a);
        } else if (sscanf(line, "errors %d %d %d", &a, &b, &c) == 3 && b > 0 && b < 1000) {
            rd_kafka_resp_err_t errs[1000];
            for (int i = 0; i < b; i++)
                errs[i] = (rd_kafka_resp_err_t)c;
            rd_kafka_mock_push_request_errors_array(mc, (int16_t)a, (size_t)b, errs);
            bp_info("control: %d error(s) %d pushed for API key %d", b, c, a);
        } else {
            bp_warn("control: cannot understand '%s'", line);
        }
    }
    free(text);
}

int main(int argc, char **argv)
{
    bp_log_init("bp-broker");
    int partitions = 3, nbrokers = 1;
    const char *topics = default_topics, *bootstrap_file = NULL, *control_file = NULL;
    static const struct option opts[] = {
        {"partitions", required_argument, NULL, 'p'}, {"brokers", required_argument, NULL, 'b'},
        {"topics", required_argument, NULL, 't'},     {"bootstrap-file", required_argument, NULL, 'f'},
        {"control-file", required_argument, NULL, 'C'}, {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},             {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'p':
            partitions = atoi(optarg);
            if (partitions < 1 || partitions > 1000)
                return bp_cli_usage_error("bp-broker", "--partitions: expected 1..1000, got '%s'", optarg);
            break;
        case 'b':
            nbrokers = atoi(optarg);
            if (nbrokers < 1 || nbrokers > 9)
                return bp_cli_usage_error("bp-broker", "--brokers: expected 1..9, got '%s'", optarg);
            break;
        case 't': topics = optarg; break;
        case 'f': bootstrap_file = optarg; break;
        case 'C': control_file = optarg; break;
        case 'l': {
            enum bp_log_level l;
            if (bp_log_level_parse(optarg, &l) != 0)
                return bp_cli_usage_error("bp-broker", "--log-level: unknown level '%s'", optarg);
            bp_log_set_level(l);
            break;
        }
        case 'h': usage(); return BP_EXIT_OK;
        case 'V': bp_cli_version("bp-broker"); return BP_EXIT_OK;
        default: return bp_cli_usage_error("bp-broker", "unknown option");
        }
    }
    if (optind < argc)
        return bp_cli_usage_error("bp-broker", "unexpected argument '%s'", argv[optind]);
    bp_signals_install();

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "client.id", "bp-broker", NULL, 0);
    rd_kafka_conf_set(conf, "log_level", "3", NULL, 0); /* no warning about bootstrap.servers */
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        bp_error("cannot create the librdkafka handle: %s", errstr);
        return BP_EXIT_RUNTIME;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, nbrokers);
    if (!mc) {
        bp_error("cannot start the mock cluster");
        rd_kafka_destroy(rk);
        return BP_EXIT_RUNTIME;
    }
    char *tl = strdup(topics), *save = NULL;
    for (char *t = strtok_r(tl, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, t, partitions, 1);
        if (e) {
            bp_error("cannot create topic %s: %s", t, rd_kafka_err2str(e));
            free(tl);
            rd_kafka_mock_cluster_destroy(mc);
            rd_kafka_destroy(rk);
            return BP_EXIT_RUNTIME;
        }
    }
    free(tl);
    const char *bs = rd_kafka_mock_cluster_bootstraps(mc);
    printf("%s\n", bs);
    fflush(stdout);
    if (bootstrap_file) {
        char line[512];
        int n = snprintf(line, sizeof line, "%s\n", bs);
        if (bp_file_write_atomic(bootstrap_file, line, (size_t)n) != 0) {
            bp_error("cannot write %s", bootstrap_file);
            rd_kafka_mock_cluster_destroy(mc);
            rd_kafka_destroy(rk);
            return BP_EXIT_RUNTIME;
        }
    }
    bp_info("mock Kafka cluster on %s: %d broker(s), %d partition(s) per topic; in memory only, "
            "not for production",
            bs, nbrokers, partitions);
    while (bp_running) {
        bp_sleep_ms(100);
        if (control_file)
            broker_apply_control(mc, control_file);
    }
    bp_info("stopping");
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    if (bootstrap_file)
        remove(bootstrap_file);
    return BP_EXIT_OK;
}
