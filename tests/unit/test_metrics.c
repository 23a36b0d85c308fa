/* test_metrics.c — unit tests for common/metrics.c: the text format parsed back (values,
 * cumulative buckets, escaping), concurrent updates, the HTTP endpoints scraped with bp_http_do,
 * and librdkafka statistics from a file and from a live client on a mock cluster. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fileutil.h"
#include "http.h"
#include "metrics.h"
#include "test.h"
#include "timeutil.h"

/* ---- a small parser of the text format: one sample per line ---- */

typedef struct sample {
    char name[128];
    char labels[512]; /* the raw text between the braces, "" if none */
    char value[64];
} sample_t;

typedef struct scrape {
    sample_t s[512];
    size_t n;
    int bad_lines;
    char types[64][160]; /* "name type" from # TYPE lines */
    size_t ntypes;
    char helps[64][256]; /* "name help" (still escaped) from # HELP lines */
    size_t nhelps;
} scrape_t;

/* Parses exposition text; a line that is neither a comment nor "name[{...}] value" counts as bad.
 * Label values may contain escaped quotes, so the closing brace is found by scanning quotes. */
static void scrape_parse(const char *text, scrape_t *sc)
{
    memset(sc, 0, sizeof *sc);
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, "\n");
        char line[1024];
        if (len >= sizeof line) {
            sc->bad_lines++;
            p += len + (p[len] == '\n');
            continue;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p += len + (p[len] == '\n');
        if (line[0] == '\0')
            continue;
        if (strncmp(line, "# TYPE ", 7) == 0) {
            if (sc->ntypes < 64)
                snprintf(sc->types[sc->ntypes++], sizeof sc->types[0], "%.150s", line + 7);
            continue;
        }
        if (strncmp(line, "# HELP ", 7) == 0) {
            if (sc->nhelps < 64)
                snprintf(sc->helps[sc->nhelps++], sizeof sc->helps[0], "%.250s", line + 7);
            continue;
        }
        if (line[0] == '#' || sc->n >= 512) {
            sc->bad_lines += line[0] != '#';
            continue;
        }
        sample_t *s = &sc->s[sc->n];
        char *q = line;
        size_t nl = strcspn(q, "{ ");
        if (nl == 0 || nl >= sizeof s->name) {
            sc->bad_lines++;
            continue;
        }
        memcpy(s->name, q, nl);
        s->name[nl] = '\0';
        q += nl;
        if (*q == '{') {
            char *start = ++q;
            int inq = 0;
            while (*q && (inq || *q != '}')) {
                if (inq && *q == '\\' && q[1])
                    q++;
                else if (*q == '"')
                    inq = !inq;
                q++;
            }
            if (*q != '}' || (size_t)(q - start) >= sizeof s->labels) {
                sc->bad_lines++;
                continue;
            }
            memcpy(s->labels, start, (size_t)(q - start));
            s->labels[q - start] = '\0';
            q++;
        }
        if (*q != ' ' || strlen(q + 1) == 0 || strlen(q + 1) >= sizeof s->value ||
            strchr(q + 1, ' ')) {
            sc->bad_lines++;
            continue;
        }
        snprintf(s->value, sizeof s->value, "%s", q + 1);
        sc->n++;
    }
}

/* The value of name{labels} or NULL. */
static const char *scrape_get(const scrape_t *sc, const char *name, const char *labels)
{
    for (size_t i = 0; i < sc->n; i++)
        if (strcmp(sc->s[i].name, name) == 0 && strcmp(sc->s[i].labels, labels) == 0)
            return sc->s[i].value;
    return NULL;
}

static double scrape_num(const scrape_t *sc, const char *name, const char *labels)
{
    const char *v = scrape_get(sc, name, labels);
    return v ? strtod(v, NULL) : NAN;
}

static int scrape_has_type(const scrape_t *sc, const char *line)
{
    for (size_t i = 0; i < sc->ntypes; i++)
        if (strcmp(sc->types[i], line) == 0)
            return 1;
    return 0;
}

static void render(bp_metrics_t *m, scrape_t *sc)
{
    bp_buf_t b = BP_BUF_INIT(0);
    CHECK(bp_metrics_render(m, &b) == 0);
    scrape_parse(b.data ? b.data : "", sc);
    bp_buf_free(&b);
}

static scrape_t sc; /* large: kept off the stack */

TEST(counters_and_gauges)
{
    char err[256];
    bp_metrics_t *m = bp_metrics_start("test-metrics", "", err, sizeof err);
    CHECK(m != NULL);
    CHECK_INT(bp_metrics_port(m), -1);
    bp_counter_t *a = bp_metrics_counter(m, "bp_posts_in_total", "Posts read", "source", "vk",
                                         NULL);
    bp_counter_t *b = bp_metrics_counter(m, "bp_posts_in_total", "Posts read", "source", "rss",
                                         NULL);
    CHECK(a && b && a != b);
    CHECK(bp_metrics_counter(m, "bp_posts_in_total", "x", "source", "vk", NULL) == a);
    bp_counter_add(a, 41);
    bp_counter_inc(a);
    bp_counter_add(b, 7);
    CHECK_INT(bp_counter_get(a), 42);
    /* another type, other label names, bad names, too many labels: refused */
    CHECK(bp_metrics_gauge(m, "bp_posts_in_total", "x", "source", "vk", NULL) == NULL);
    CHECK(bp_metrics_counter(m, "bp_posts_in_total", "x", "feed", "vk", NULL) == NULL);
    CHECK(bp_metrics_counter(m, "bp_posts_in_total", "x", NULL) == NULL);
    CHECK(bp_metrics_counter(m, "9bad", "x", NULL) == NULL);
    CHECK(bp_metrics_counter(m, "bad-name", "x", NULL) == NULL);
    CHECK(bp_metrics_counter(m, "ok_total", "x", "bad-label", "v", NULL) == NULL);
    CHECK(bp_metrics_counter(m, "ok_total", "x", "__reserved", "v", NULL) == NULL);
    CHECK(bp_metrics_counter(m, "ok_total", "x", "a", "1", "a", "2", NULL) == NULL);
    CHECK(bp_metrics_counter(m, "ok_total", "x", "a", "1", "b", "2", "c", "3", "d", "4", "e",
                             "5", NULL) == NULL);
    bp_gauge_t *g = bp_metrics_gauge(m, "bp_queue_depth", "Queued", NULL);
    bp_gauge_set(g, 2.5);
    bp_gauge_add(g, -1);
    bp_gauge_add(g, 0.25);
    CHECK(fabs(bp_gauge_get(g) - 1.75) < 1e-12);
    bp_gauge_t *big = bp_metrics_gauge(m, "bp_big", "Big", NULL);
    bp_gauge_set(big, 1e300);
    bp_gauge_t *inf = bp_metrics_gauge(m, "bp_inf", "Inf", NULL);
    bp_gauge_set(inf, -INFINITY);
    /* NULL handles and a NULL registry are no-ops */
    bp_counter_inc(NULL);
    bp_gauge_set(NULL, 1);
    bp_hist_observe(NULL, 1);
    CHECK(bp_metrics_counter(NULL, "x_total", "x", NULL) == NULL);
    bp_metrics_heartbeat(NULL);
    bp_metrics_set_ready(NULL, 1);

    render(m, &sc);
    CHECK_INT(sc.bad_lines, 0);
    CHECK_STR(scrape_get(&sc, "bp_posts_in_total", "source=\"vk\""), "42");
    CHECK_STR(scrape_get(&sc, "bp_posts_in_total", "source=\"rss\""), "7");
    CHECK_STR(scrape_get(&sc, "bp_queue_depth", ""), "1.75");
    CHECK_STR(scrape_get(&sc, "bp_big", ""), "1e+300");
    CHECK_STR(scrape_get(&sc, "bp_inf", ""), "-Inf");
    CHECK(scrape_has_type(&sc, "bp_posts_in_total counter"));
    CHECK(scrape_has_type(&sc, "bp_queue_depth gauge"));
    /* the built-in series */
    CHECK_STR(scrape_get(&sc, "bp_build_info",
                         "program=\"test-metrics\",version=\"" BP_VERSION "\""),
              "1");
    CHECK_STR(scrape_get(&sc, "bp_ready", ""), "0");
    double st = scrape_num(&sc, "process_start_time_seconds", "");
    CHECK(fabs(st - (double)bp_now_ms() / 1000.0) < 60);
    CHECK(scrape_get(&sc, "bp_heartbeat_age_seconds", "") != NULL);
    /* one TYPE line per family, not per series */
    size_t n = 0;
    for (size_t i = 0; i < sc.ntypes; i++)
        n += strncmp(sc.types[i], "bp_posts_in_total ", 18) == 0;
    CHECK_INT(n, 1);
    bp_metrics_free(m);
}

TEST(label_and_help_escaping)
{
    char err[256];
    bp_metrics_t *m = bp_metrics_start("t", NULL, err, sizeof err);
    bp_counter_t *c = bp_metrics_counter(m, "bp_esc_total", "line one\nback\\slash \"q\"",
                                         "channel", "a\"b\\c\nd", "brand", "Привет", NULL);
    CHECK(c != NULL);
    bp_counter_add(c, 3);
    bp_buf_t b = BP_BUF_INIT(0);
    CHECK(bp_metrics_render(m, &b) == 0);
    CHECK(strstr(b.data, "bp_esc_total{channel=\"a\\\"b\\\\c\\nd\",brand=\"Привет\"} 3\n") !=
          NULL);
    /* HELP escapes backslash and newline, not quotes */
    CHECK(strstr(b.data, "# HELP bp_esc_total line one\\nback\\\\slash \"q\"\n") != NULL);
    scrape_parse(b.data, &sc);
    CHECK_INT(sc.bad_lines, 0);
    CHECK_STR(scrape_get(&sc, "bp_esc_total", "channel=\"a\\\"b\\\\c\\nd\",brand=\"Привет\""),
              "3");
    bp_buf_free(&b);
    bp_metrics_free(m);
}

TEST(histogram_buckets_cumulative)
{
    char err[256];
    bp_metrics_t *m = bp_metrics_start("t", "", err, sizeof err);
    static const double bounds[] = {0.1, 1, 10};
    bp_hist_t *h = bp_metrics_hist(m, "bp_delivery_seconds", "Delivery latency", bounds, 3,
                                   "channel", "slack", NULL);
    CHECK(h != NULL);
    bp_hist_observe(h, 0.05);
    bp_hist_observe(h, 0.1); /* on a bound: le is inclusive */
    bp_hist_observe(h, -1);  /* counts as 0 */
    bp_hist_observe(h, 0.5);
    bp_hist_observe(h, 5);
    bp_hist_observe(h, 50);
    bp_hist_observe(h, NAN); /* ignored */
    /* bad bounds refused */
    static const double dec[] = {1, 0.5};
    CHECK(bp_metrics_hist(m, "bp_bad_seconds", "x", dec, 2, NULL) == NULL);
    /* default buckets */
    bp_hist_t *d = bp_metrics_hist(m, "bp_processing_seconds", "Processing", NULL, 0, NULL);
    bp_hist_observe(d, 0.003);
    bp_hist_observe_since_ms(d, bp_now_ms() - 90 * 1000);

    render(m, &sc);
    CHECK_INT(sc.bad_lines, 0);
    CHECK(scrape_has_type(&sc, "bp_delivery_seconds histogram"));
    CHECK_STR(scrape_get(&sc, "bp_delivery_seconds_bucket", "channel=\"slack\",le=\"0.1\""), "3");
    CHECK_STR(scrape_get(&sc, "bp_delivery_seconds_bucket", "channel=\"slack\",le=\"1\""), "4");
    CHECK_STR(scrape_get(&sc, "bp_delivery_seconds_bucket", "channel=\"slack\",le=\"10\""), "5");
    CHECK_STR(scrape_get(&sc, "bp_delivery_seconds_bucket", "channel=\"slack\",le=\"+Inf\""),
              "6");
    CHECK_STR(scrape_get(&sc, "bp_delivery_seconds_count", "channel=\"slack\""), "6");
    CHECK(fabs(scrape_num(&sc, "bp_delivery_seconds_sum", "channel=\"slack\"") - 55.65) < 1e-9);
    /* default buckets: cumulative and non-decreasing, ending at the count */
    double prev = 0;
    size_t nb = 0;
    for (size_t i = 0; i < sc.n; i++) {
        if (strcmp(sc.s[i].name, "bp_processing_seconds_bucket") != 0)
            continue;
        double v = strtod(sc.s[i].value, NULL);
        CHECK(v >= prev);
        prev = v;
        nb++;
    }
    CHECK(nb >= 20);
    CHECK_STR(scrape_get(&sc, "bp_processing_seconds_bucket", "le=\"0.001\""), "0");
    CHECK_STR(scrape_get(&sc, "bp_processing_seconds_bucket", "le=\"0.005\""), "1");
    CHECK_STR(scrape_get(&sc, "bp_processing_seconds_bucket", "le=\"60\""), "1");
    CHECK_STR(scrape_get(&sc, "bp_processing_seconds_bucket", "le=\"120\""), "2");
    CHECK_STR(scrape_get(&sc, "bp_processing_seconds_count", ""), "2");
    bp_metrics_free(m);
}

struct hammer {
    bp_metrics_t *m;
    int id;
};

static void *hammer_run(void *arg)
{
    struct hammer *h = arg;
    bp_counter_t *c = bp_metrics_counter(h->m, "bp_hammer_total", "x", NULL);
    bp_hist_t *hi = bp_metrics_hist(h->m, "bp_hammer_seconds", "x", NULL, 0, NULL);
    bp_gauge_t *g = bp_metrics_gauge(h->m, "bp_hammer_gauge", "x", NULL);
    char id[16];
    snprintf(id, sizeof id, "%d", h->id);
    bp_counter_t *mine = bp_metrics_counter(h->m, "bp_hammer_thread_total", "x", "t", id, NULL);
    for (int i = 0; i < 100000; i++) {
        bp_counter_inc(c);
        bp_counter_inc(mine);
        bp_hist_observe(hi, 0.5);
        bp_gauge_add(g, 1);
        if (i % 10000 == 0) { /* renders race with updates */
            bp_buf_t b = BP_BUF_INIT(0);
            bp_metrics_render(h->m, &b);
            bp_buf_free(&b);
        }
    }
    return NULL;
}

TEST(concurrent_updates_are_exact)
{
    char err[256];
    bp_metrics_t *m = bp_metrics_start("t", "", err, sizeof err);
    pthread_t th[4];
    struct hammer hs[4];
    for (int i = 0; i < 4; i++) {
        hs[i].m = m;
        hs[i].id = i;
        pthread_create(&th[i], NULL, hammer_run, &hs[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    render(m, &sc);
    CHECK_STR(scrape_get(&sc, "bp_hammer_total", ""), "400000");
    CHECK_STR(scrape_get(&sc, "bp_hammer_thread_total", "t=\"3\""), "100000");
    CHECK_STR(scrape_get(&sc, "bp_hammer_seconds_count", ""), "400000");
    CHECK_STR(scrape_get(&sc, "bp_hammer_seconds_sum", ""), "200000");
    CHECK_STR(scrape_get(&sc, "bp_hammer_gauge", ""), "400000");
    bp_metrics_free(m);
}

/* GET url into resp; returns the status (0 on transport failure). */
static long get(bp_http_t *h, const char *method, const char *url, bp_http_resp_t *resp)
{
    bp_http_resp_reset(resp);
    bp_http_req_t req = {.method = method, .url = url, .timeout_ms = 5000};
    if (bp_http_do(h, &req, resp) != 0)
        return 0;
    return resp->status;
}

TEST(http_endpoints)
{
    char err[256] = "";
    bp_metrics_t *m = bp_metrics_start("bp-test", "127.0.0.1:0", err, sizeof err);
    CHECK(m != NULL);
    if (!m) {
        fprintf(stderr, "    %s\n", err);
        return;
    }
    int port = bp_metrics_port(m);
    CHECK(port > 0);
    bp_counter_t *c = bp_metrics_counter(m, "bp_alerts_sent_total", "Alerts delivered",
                                         "channel", "telegram", NULL);
    bp_counter_add(c, 5);
    char url[128];
    bp_http_t *h = bp_http_new();
    bp_http_resp_t r;
    memset(&r, 0, sizeof r);

    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", port);
    CHECK_INT(get(h, NULL, url, &r), 200);
    CHECK(r.content_type && strstr(r.content_type, "text/plain") &&
          strstr(r.content_type, "version=0.0.4"));
    scrape_parse(r.body.data ? r.body.data : "", &sc);
    CHECK_INT(sc.bad_lines, 0);
    CHECK_STR(scrape_get(&sc, "bp_alerts_sent_total", "channel=\"telegram\""), "5");
    CHECK_STR(scrape_get(&sc, "bp_build_info", "program=\"bp-test\",version=\"" BP_VERSION "\""),
              "1");

    /* readiness */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/readyz", port);
    CHECK_INT(get(h, NULL, url, &r), 503);
    bp_metrics_set_ready(m, 1);
    CHECK_INT(get(h, NULL, url, &r), 200);
    bp_metrics_set_ready(m, 0);
    CHECK_INT(get(h, NULL, url, &r), 503);

    /* liveness: fresh, stale, fresh again after a heartbeat */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", port);
    CHECK_INT(get(h, NULL, url, &r), 200);
    bp_metrics_set_stale_ms(m, 50);
    bp_sleep_ms(150);
    CHECK_INT(get(h, NULL, url, &r), 503);
    CHECK(r.body.data && strstr(r.body.data, "stale"));
    bp_metrics_heartbeat(m);
    CHECK_INT(get(h, NULL, url, &r), 200);
    bp_metrics_set_stale_ms(m, 30000);

    snprintf(url, sizeof url, "http://127.0.0.1:%d/nothing", port);
    CHECK_INT(get(h, NULL, url, &r), 404);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", port);
    CHECK_INT(get(h, "POST", url, &r), 405);

    /* the port is taken now: a second registry on it fails with a message */
    snprintf(url, sizeof url, "127.0.0.1:%d", port);
    err[0] = '\0';
    CHECK(bp_metrics_start("t", url, err, sizeof err) == NULL);
    CHECK(strstr(err, url) != NULL);
    CHECK(bp_metrics_start("t", "not an address", err, sizeof err) == NULL);
    CHECK(strstr(err, "metrics_listen") != NULL);

    bp_http_resp_free(&r);
    bp_http_free(h);
    bp_metrics_free(m);
}

static char *read_data(const char *name)
{
    char path[512];
    const char *root = getenv("BP_ROOT");
    snprintf(path, sizeof path, "%s/tests/data/ops/%s", root ? root : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    bp_buf_t b = BP_BUF_INIT(1 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        bp_buf_append(&b, chunk, n);
    fclose(f);
    return bp_buf_steal(&b);
}

TEST(rdkafka_stats_document)
{
    char err[256];
    bp_metrics_t *m = bp_metrics_start("t", "", err, sizeof err);
    char *doc = read_data("rdkafka_stats_consumer.json");
    char *doc2 = read_data("rdkafka_stats_consumer_after_rebalance.json");
    CHECK(doc && doc2);
    if (!doc || !doc2) {
        free(doc);
        free(doc2);
        bp_metrics_free(m);
        return;
    }
    CHECK(bp_metrics_rdkafka_stats(m, doc, strlen(doc)) == 0);
    render(m, &sc);
    CHECK_INT(sc.bad_lines, 0);
    const char *c = "client=\"bp-filter#consumer-1\"";
    char l[256];
    snprintf(l, sizeof l, "%s,topic=\"bp.posts\",partition=\"0\"", c);
    CHECK_STR(scrape_get(&sc, "bp_kafka_consumer_lag", l), "120");
    snprintf(l, sizeof l, "%s,topic=\"bp.posts\",partition=\"1\"", c);
    CHECK_STR(scrape_get(&sc, "bp_kafka_consumer_lag", l), "3");
    snprintf(l, sizeof l, "%s,topic=\"bp.posts\",partition=\"-1\"", c);
    CHECK(scrape_get(&sc, "bp_kafka_consumer_lag", l) == NULL); /* internal partition */
    snprintf(l, sizeof l, "%s,topic=\"bp.posts\",partition=\"2\"", c);
    CHECK(scrape_get(&sc, "bp_kafka_consumer_lag", l) == NULL); /* lag -1: unknown */
    CHECK_STR(scrape_get(&sc, "bp_kafka_outq_msgs", c), "17");
    CHECK_STR(scrape_get(&sc, "bp_kafka_assigned_partitions", c), "2");
    CHECK_STR(scrape_get(&sc, "bp_kafka_rebalances_total", c), "1");
    CHECK_STR(scrape_get(&sc, "bp_kafka_rx_msgs_total", c), "5000");
    snprintf(l, sizeof l, "%s,broker=\"kafka:9092/1\"", c);
    CHECK_STR(scrape_get(&sc, "bp_kafka_broker_rtt_avg_seconds", l), "0.0025");
    CHECK_STR(scrape_get(&sc, "bp_kafka_broker_up", l), "1");
    CHECK_STR(scrape_get(&sc, "bp_kafka_broker_outbuf_msgs", l), "4");
    snprintf(l, sizeof l, "%s,broker=\"GroupCoordinator\"", c);
    CHECK(scrape_get(&sc, "bp_kafka_broker_up", l) == NULL); /* logical broker */

    /* after a rebalance partition 1 is gone: its lag is no longer exposed */
    bp_metrics_rdkafka_stats_cb(m, doc2, strlen(doc2)); /* the hook's adapter */
    render(m, &sc);
    snprintf(l, sizeof l, "%s,topic=\"bp.posts\",partition=\"1\"", c);
    CHECK(scrape_get(&sc, "bp_kafka_consumer_lag", l) == NULL);
    snprintf(l, sizeof l, "%s,topic=\"bp.posts\",partition=\"0\"", c);
    CHECK_STR(scrape_get(&sc, "bp_kafka_consumer_lag", l), "80");
    CHECK_STR(scrape_get(&sc, "bp_kafka_assigned_partitions", c), "1");
    CHECK_STR(scrape_get(&sc, "bp_kafka_rebalances_total", c), "2");

    /* not a statistics document: refused, nothing changed */
    CHECK(bp_metrics_rdkafka_stats(m, "{\"a\":1}", 7) == -1);
    CHECK(bp_metrics_rdkafka_stats(m, "not json", 8) == -1);
    render(m, &sc);
    CHECK_STR(scrape_get(&sc, "bp_kafka_consumer_lag", l), "80");
    free(doc);
    free(doc2);
    bp_metrics_free(m);
}

/* ---- a live consumer on a mock cluster: its own statistics give the lag ---- */

struct live {
    bp_metrics_t *m;
    int docs;
};

static int live_stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    struct live *lv = opaque;
    if (bp_metrics_rdkafka_stats(lv->m, json, len) == 0)
        lv->docs++;
    return 0; /* librdkafka frees json */
}

TEST(rdkafka_stats_live_consumer_lag)
{
    char err[512];
    struct live lv = {bp_metrics_start("t", "", err, sizeof err), 0};
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", err, sizeof err);
    rd_kafka_conf_set(conf, "client.id", "stats-prod", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
    rd_kafka_t *prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    CHECK(prod != NULL);
    if (!prod) {
        bp_metrics_free(lv.m);
        return;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_handle_mock_cluster(prod);
    rd_kafka_mock_topic_create(mc, "lagtopic", 1, 1);
    const char *boot = rd_kafka_mock_cluster_bootstraps(mc);
    for (int i = 0; i < 10; i++)
        rd_kafka_producev(prod, RD_KAFKA_V_TOPIC("lagtopic"), RD_KAFKA_V_PARTITION(0),
                          RD_KAFKA_V_VALUE("x", 1), RD_KAFKA_V_END);
    CHECK(rd_kafka_flush(prod, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR);

    conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", boot, err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", "lag-group", err, sizeof err);
    rd_kafka_conf_set(conf, "client.id", "lagc", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_conf_set(conf, "statistics.interval.ms", "100", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
    rd_kafka_conf_set_stats_cb(conf, live_stats_cb);
    rd_kafka_conf_set_opaque(conf, &lv);
    rd_kafka_t *cons = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    CHECK(cons != NULL);
    rd_kafka_poll_set_consumer(cons);
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tp, "lagtopic", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(cons, tp);
    rd_kafka_topic_partition_list_destroy(tp);
    int got = 0;
    int64_t end = bp_mono_ms() + 15000;
    while (got < 4 && bp_mono_ms() < end) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(cons, 100);
        if (msg && !msg->err)
            got++;
        if (msg)
            rd_kafka_message_destroy(msg);
    }
    CHECK_INT(got, 4);
    CHECK(rd_kafka_commit(cons, NULL, 0) == RD_KAFKA_RESP_ERR_NO_ERROR);

    /* wait for a statistics document that knows the committed offset: lag = 10 - 4 */
    char name[128];
    snprintf(name, sizeof name, "%s", rd_kafka_name(cons));
    double lag = -1;
    end = bp_mono_ms() + 15000;
    while (lag != 6 && bp_mono_ms() < end) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(cons, 100);
        if (msg)
            rd_kafka_message_destroy(msg); /* nothing is stored: the commit stays at 4 */
        render(lv.m, &sc);
        char l[256];
        snprintf(l, sizeof l, "client=\"%s\",topic=\"lagtopic\",partition=\"0\"", name);
        lag = scrape_num(&sc, "bp_kafka_consumer_lag", l);
    }
    CHECK(lv.docs > 0);
    CHECK(lag == 6);
    char l[256];
    snprintf(l, sizeof l, "client=\"%s\"", name);
    CHECK(scrape_get(&sc, "bp_kafka_rx_msgs_total", l) != NULL);
    rd_kafka_consumer_close(cons);
    rd_kafka_destroy(cons);
    rd_kafka_destroy(prod);
    bp_metrics_free(lv.m);
}

int main(void)
{
    RUN(counters_and_gauges);
    RUN(label_and_help_escaping);
    RUN(histogram_buckets_cumulative);
    RUN(concurrent_updates_are_exact);
    RUN(http_endpoints);
    RUN(rdkafka_stats_document);
    RUN(rdkafka_stats_live_consumer_lag);
    return test_summary();
}
