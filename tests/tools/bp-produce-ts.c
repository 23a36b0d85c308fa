/* bp-produce-ts.c — test tool: produces records with explicit timestamps, so that replay tests
 * know every record's time. Input lines (stdin or --input): "TIME<TAB>VALUE", TIME in RFC 3339
 * or ms since the epoch; the key is the value's "id" when it is a JSON object with one. */
#include <getopt.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "kafka.h"
#include "log.h"
#include "model.h"
#include "timeutil.h"

int main(int argc, char **argv)
{
    bp_log_init("bp-produce-ts");
    bp_log_set_level(BP_LOG_WARN);
    const char *brokers = getenv("BP_BROKERS"), *topic = NULL, *input = NULL;
    int partition = RD_KAFKA_PARTITION_UA;
    static const struct option opts[] = {{"brokers", required_argument, NULL, 'b'},
                                         {"topic", required_argument, NULL, 't'},
                                         {"input", required_argument, NULL, 'i'},
                                         {"partition", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'b': brokers = optarg; break;
        case 't': topic = optarg; break;
        case 'i': input = optarg; break;
        case 'p': partition = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: bp-produce-ts --topic T [--brokers B] [--input F] "
                            "[--partition N] < lines of TIME<TAB>VALUE\n");
            return 2;
        }
    }
    if (!topic || !brokers) {
        fprintf(stderr, "bp-produce-ts: --topic and --brokers (or BP_BROKERS) are required\n");
        return 2;
    }
    FILE *in = input ? fopen(input, "r") : stdin;
    if (!in) {
        perror(input);
        return 2;
    }
    bp_kafka_cfg_t kc = {(char *)brokers, NULL, NULL, {NULL, NULL, 0}};
    char err[512];
    bp_producer_t *p = bp_producer_new(&kc, "bp-produce-ts", err, sizeof err);
    if (!p) {
        fprintf(stderr, "bp-produce-ts: %s\n", err);
        return 1;
    }
    rd_kafka_t *rk = bp_producer_rk(p);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0, sent = 0;
    int rc = 0;
    while ((n = getline(&line, &cap, in)) > 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        if (n == 0 || line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        if (!tab) {
            fprintf(stderr, "bp-produce-ts: line %ld: no TAB\n", lineno);
            rc = 2;
            break;
        }
        *tab = 0;
        const char *val = tab + 1;
        int64_t ts;
        char *end;
        ts = strtoll(line, &end, 10);
        if (*end && bp_time_parse_rfc3339(line, &ts) != 0) {
            fprintf(stderr, "bp-produce-ts: line %ld: bad time '%s'\n", lineno, line);
            rc = 2;
            break;
        }
        json_error_t je;
        json_t *j = json_loads(val, JSON_DECODE_ANY, &je);
        const char *key = j ? bp_json_str(j, "id") : "";
        rd_kafka_resp_err_t e;
        do {
            e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                  RD_KAFKA_V_KEY(key, strlen(key)),
                                  RD_KAFKA_V_VALUE((void *)val, strlen(val)),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                bp_producer_poll(p, 100);
        } while (e == RD_KAFKA_RESP_ERR__QUEUE_FULL);
        json_decref(j);
        if (e) {
            fprintf(stderr, "bp-produce-ts: line %ld: %s\n", lineno, rd_kafka_err2str(e));
            rc = 1;
            break;
        }
        sent++;
        bp_producer_poll(p, 0);
    }
    free(line);
    if (in != stdin)
        fclose(in);
    if (bp_producer_flush(p, 30000) != 0 || bp_producer_failed(p)) {
        fprintf(stderr, "bp-produce-ts: %llu deliveries failed\n",
                (unsigned long long)bp_producer_failed(p));
        rc = 1;
    }
    bp_producer_destroy(p);
    if (rc == 0)
        fprintf(stderr, "bp-produce-ts: %ld records produced to %s\n", sent, topic);
    return rc;
}
