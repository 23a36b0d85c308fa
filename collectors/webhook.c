/* webhook.c — the webhook intake: signature and replay checks, batch splitting, produce and wait
 * for the broker's acknowledgement before answering 202 (see webhook.h). Threads: libmicrohttpd
 * runs each request on its own thread, which only calls bp_produce; one poller thread serves
 * delivery reports (bp_producer_poll) and signals the waiting request through its batch. */
#include "webhook.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "crypto.h"
#include "httpd.h"
#include "idwindow.h"
#include "kafka.h"
#include "langguess.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "sig.h"
#include "timeutil.h"
#include "utf8.h"

/* ---- pure parts (unit-tested) ---- */

char *webhook_sign(const char *secret, const char *ts, const char *body, size_t len,
                   char out[72])
{
    unsigned char mac[32];
    size_t tl = strlen(ts);
    char *msg = malloc(tl + 1 + len + 1);
    if (!msg) {
        out[0] = '\0';
        return out;
    }
    memcpy(msg, ts, tl);
    msg[tl] = '.';
    memcpy(msg + tl + 1, body, len);
    bp_hmac_sha256(secret, strlen(secret), msg, tl + 1 + len, mac);
    free(msg);
    memcpy(out, "sha256=", 7);
    bp_hex(mac, 32, out + 7);
    return out;
}

int webhook_verify(const char *secret, const char *ts_hdr, const char *sig_hdr,
                   const char *body, size_t len, int64_t now_ms, int64_t tolerance_ms,
                   char *err, size_t errlen)
{
    char want[72];
    if (!ts_hdr || !*ts_hdr)
        return bp_seterr(err, errlen, "missing " WEBHOOK_TS_HEADER " header");
    if (!sig_hdr || !*sig_hdr)
        return bp_seterr(err, errlen, "missing " WEBHOOK_SIG_HEADER " header");
    for (const char *p = ts_hdr; *p; p++)
        if (!isdigit((unsigned char)*p) || p - ts_hdr > 12)
            return bp_seterr(err, errlen, WEBHOOK_TS_HEADER " is not Unix seconds");
    long long ts = strtoll(ts_hdr, NULL, 10);
    long long skew = now_ms - ts * 1000;
    if (skew < -tolerance_ms || skew > tolerance_ms)
        return bp_seterr(err, errlen,
                         WEBHOOK_TS_HEADER " is %lld s away from now (tolerance %lld s): a "
                         "replayed or delayed request",
                         (skew < 0 ? -skew : skew) / 1000, (long long)(tolerance_ms / 1000));
    if (strlen(sig_hdr) != 71 || strncmp(sig_hdr, "sha256=", 7) != 0)
        return bp_seterr(err, errlen, WEBHOOK_SIG_HEADER " is not sha256=<64 hex digits>");
    char got[72];
    for (int i = 0; i < 71; i++)
        got[i] = (char)tolower((unsigned char)sig_hdr[i]);
    got[71] = '\0';
    webhook_sign(secret, ts_hdr, body, len, want);
    if (!bp_consttime_eq(got, want, 71))
        return bp_seterr(err, errlen, "bad signature");
    return 0;
}

json_t *webhook_split(const char *body, size_t len, size_t max_items, char *err, size_t errlen)
{
    json_error_t je;
    json_t *out = NULL, *one;
    size_t i = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    if (i == len) {
        bp_seterr(err, errlen, "empty body");
        return NULL;
    }
    if (bp_utf8_check(body, len) != len) {
        bp_seterr(err, errlen, "body is not valid UTF-8 (byte %zu)", bp_utf8_check(body, len));
        return NULL;
    }
    one = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (json_is_array(one)) {
        out = one;
    } else if (json_is_object(one)) {
        out = json_array();
        if (out)
            json_array_append_new(out, one);
        else
            json_decref(one);
    } else if (one) {
        json_decref(one);
        bp_seterr(err, errlen, "expected a JSON object, an array of objects or JSON lines");
        return NULL;
    } else { /* JSON lines */
        size_t lineno = 0, start = 0;
        out = json_array();
        if (!out)
            goto nomem;
        while (start < len) {
            const char *nl = memchr(body + start, '\n', len - start);
            size_t end = nl ? (size_t)(nl - body) : len;
            lineno++;
            size_t s = start;
            while (s < end && isspace((unsigned char)body[s]))
                s++;
            if (s < end) {
                json_t *o = json_loadb(body + s, end - s, JSON_REJECT_DUPLICATES, &je);
                if (!o) {
                    bp_seterr(err, errlen, "line %zu: not JSON: %s (column %d)", lineno, je.text,
                              je.column);
                    json_decref(out);
                    return NULL;
                }
                json_array_append_new(out, o);
            }
            start = end + 1;
        }
    }
    if (json_array_size(out) == 0) {
        bp_seterr(err, errlen, "no posts in the body");
        json_decref(out);
        return NULL;
    }
    if (json_array_size(out) > max_items) {
        bp_seterr(err, errlen, "%zu posts in one request, at most %zu", json_array_size(out),
                  max_items);
        json_decref(out);
        return NULL;
    }
    json_t *v;
    json_array_foreach(out, i, v) if (!json_is_object(v))
    {
        bp_seterr(err, errlen, "item %zu: not a JSON object", i + 1);
        json_decref(out);
        return NULL;
    }
    return out;
nomem:
    bp_seterr(err, errlen, "out of memory");
    return NULL;
}

int webhook_prepare(json_t *post, const char *source, const char *feed, int64_t now_ms,
                    char *err, size_t errlen)
{
    json_t *text = json_object_get(post, "text");
    if (!json_is_string(text) || json_string_length(text) == 0)
        return bp_seterr(err, errlen, "field 'text' must be a non-empty string");
    json_t *src = json_object_get(post, "source");
    if (!src)
        json_object_set_new(post, "source", json_string(source));
    else if (!json_is_string(src) || json_string_length(src) == 0)
        return bp_seterr(err, errlen, "field 'source' must be a non-empty string");
    const char *s = bp_json_str(post, "source");
    json_t *id = json_object_get(post, "id");
    char buf[600];
    if (!id) {
        /* no id: derive one from the content, so the same item resent keeps its id */
        char *dump = json_dumps(post, JSON_COMPACT | JSON_SORT_KEYS);
        unsigned char d[32];
        char hex[65];
        if (!dump)
            return bp_seterr(err, errlen, "out of memory");
        bp_sha256(dump, strlen(dump), d);
        free(dump);
        bp_hex(d, 32, hex);
        snprintf(buf, sizeof buf, "%.100s:%.32s", s, hex);
        json_object_set_new(post, "id", json_string(buf));
    } else if (json_is_integer(id) || (json_is_string(id) && json_string_length(id) > 0 &&
                                       !strchr(json_string_value(id), ':'))) {
        if (json_is_integer(id))
            snprintf(buf, sizeof buf, "%.100s:%lld", s, (long long)json_integer_value(id));
        else
            snprintf(buf, sizeof buf, "%.100s:%.480s", s, json_string_value(id));
        json_object_set_new(post, "id", json_string(buf));
    } else if (!json_is_string(id) || json_string_length(id) == 0) {
        return bp_seterr(err, errlen, "field 'id' must be a non-empty string");
    }
    if (strlen(bp_json_str(post, "id")) > 600)
        return bp_seterr(err, errlen, "field 'id' longer than 600 bytes");
    if (!json_object_get(post, "feed") && feed && *feed)
        json_object_set_new(post, "feed", json_string(feed));
    if (!json_object_get(post, "kind"))
        json_object_set_new(post, "kind", json_string("post"));
    if (!json_object_get(post, "lang")) {
        const char *l = bp_langguess(json_string_value(text), json_string_length(text));
        if (l)
            json_object_set_new(post, "lang", json_string(l));
    }
    if (bp_post_stamp(post, now_ms) != 0)
        return bp_seterr(err, errlen, "out of memory");
    return bp_post_validate(post, err, errlen);
}

/* ---- the server ---- */

typedef struct webhook_cfg {
    bp_common_cfg_t common;
    char *listen;
    char *path;
    char *secret;
    int require_signature;
    int64_t tolerance_ms;
    long long max_body;
    long long max_batch;
    char *feed;
    char *source;
    int64_t ack_timeout_ms;
    long long replay_window;
} webhook_cfg_t;

static const bp_cfg_entry_t webhook_cfg_table[] = {
    BP_CFG_COMMON_ENTRIES(offsetof(webhook_cfg_t, common)),
    {"listen", BP_CFG_STR, "127.0.0.1:8088", offsetof(webhook_cfg_t, listen),
     "host:port to listen on (port 0: any free port, printed at start)", NULL, NULL, NULL, 0},
    {"path", BP_CFG_STR, "/v1/posts", offsetof(webhook_cfg_t, path), "URL path that takes posts",
     NULL, NULL, NULL, 0},
    {"secret", BP_CFG_SECRET, NULL, offsetof(webhook_cfg_t, secret),
     "HMAC-SHA256 key: {env: NAME} or {file: PATH}", NULL, NULL, NULL, 0},
    {"require_signature", BP_CFG_BOOL, "true", offsetof(webhook_cfg_t, require_signature),
     "refuse unsigned requests (needs secret)", NULL, NULL, NULL, 0},
    {"tolerance", BP_CFG_DURATION, "5m", offsetof(webhook_cfg_t, tolerance_ms),
     "how far X-BP-Timestamp may be from now", NULL, NULL, NULL, 0},
    {"max_body", BP_CFG_INT, "1048576", offsetof(webhook_cfg_t, max_body),
     "largest request body in bytes (413 past it)", NULL, NULL, NULL, 0},
    {"max_batch", BP_CFG_INT, "1000", offsetof(webhook_cfg_t, max_batch),
     "most posts in one request", NULL, NULL, NULL, 0},
    {"feed", BP_CFG_STR, "webhook", offsetof(webhook_cfg_t, feed),
     "the posts' feed field when they have none", NULL, NULL, NULL, 0},
    {"source", BP_CFG_STR, "webhook", offsetof(webhook_cfg_t, source),
     "the posts' source field (and id prefix) when they have none", NULL, NULL, NULL, 0},
    {"ack_timeout", BP_CFG_DURATION, "30s", offsetof(webhook_cfg_t, ack_timeout_ms),
     "how long a request waits for the broker before 503", NULL, NULL, NULL, 0},
    {"replay_window", BP_CFG_INT, "100000", offsetof(webhook_cfg_t, replay_window),
     "signatures remembered to refuse a replayed request", NULL, NULL, NULL, 0},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0},
};

typedef struct webhook_srv {
    webhook_cfg_t *cfg;
    bp_producer_t *prod;
    pthread_mutex_t replay_mu;
    bp_idwindow_t *replay;
    _Atomic unsigned long long requests, accepted, rejected, failed;
    bp_metrics_t *metrics;
    bp_counter_t *m_collected; /* bp_posts_collected_total{source,feed} of the defaults */
    bp_hist_t *m_fresh;
} webhook_srv_t;

/* The acknowledgements of one request. Shared by the request thread and the delivery reports
 * (which may arrive after the request gave up): freed by whoever drops the last reference. */
typedef struct webhook_batch {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs, pending, nfailed;
    rd_kafka_resp_err_t err;
} webhook_batch_t;

static void webhook_batch_unref_locked(webhook_batch_t *b)
{
    int last = --b->refs == 0;
    pthread_mutex_unlock(&b->mu);
    if (last) {
        pthread_mutex_destroy(&b->mu);
        pthread_cond_destroy(&b->cv);
        free(b);
    }
}

static void webhook_ack(void *opaque, rd_kafka_resp_err_t err)
{
    webhook_batch_t *b = opaque;
    pthread_mutex_lock(&b->mu);
    b->pending--;
    if (err) {
        b->nfailed++;
        b->err = err;
    }
    pthread_cond_broadcast(&b->cv);
    webhook_batch_unref_locked(b);
}

static void webhook_reply(bp_httpd_resp_t *resp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void webhook_reply(bp_httpd_resp_t *resp, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bp_httpd_json_error(resp, status, msg);
}

/* Produces every post and waits for the broker. Returns 0 or -1 with err. */
static int webhook_deliver(webhook_srv_t *s, json_t *posts, char *err, size_t errlen)
{
    webhook_batch_t *b = calloc(1, sizeof *b);
    int rc = -1;
    if (!b)
        return bp_seterr(err, errlen, "out of memory");
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    b->refs = 1;
    size_t i;
    json_t *p;
    json_array_foreach(posts, i, p)
    {
        char *val = bp_json_dump(p);
        const char *id = bp_json_str(p, "id");
        if (!val) {
            bp_seterr(err, errlen, "out of memory");
            goto wait;
        }
        pthread_mutex_lock(&b->mu);
        b->refs++;
        b->pending++;
        pthread_mutex_unlock(&b->mu);
        if (bp_produce(s->prod, s->cfg->common.topics.posts, id, strlen(id), val, strlen(val),
                       NULL, webhook_ack, b, err, errlen) != 0) {
            free(val);
            pthread_mutex_lock(&b->mu);
            b->pending--;
            b->refs--;
            pthread_mutex_unlock(&b->mu);
            goto wait;
        }
        free(val);
    }
    rc = 0;
wait:
    pthread_mutex_lock(&b->mu);
    int64_t deadline = bp_mono_ms() + s->cfg->ack_timeout_ms;
    while (b->pending > 0 && bp_mono_ms() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&b->cv, &b->mu, &ts);
    }
    if (rc == 0 && b->pending > 0) {
        bp_seterr(err, errlen, "the broker did not acknowledge %d post(s) within %lld ms",
                  b->pending, (long long)s->cfg->ack_timeout_ms);
        rc = -1;
    } else if (rc == 0 && b->nfailed) {
        bp_seterr(err, errlen, "the broker refused %d post(s): %s", b->nfailed,
                  rd_kafka_err2str(b->err));
        rc = -1;
    }
    webhook_batch_unref_locked(b);
    return rc;
}

static void webhook_handle(void *opaque, const bp_httpd_req_t *req, bp_httpd_resp_t *resp)
{
    webhook_srv_t *s = opaque;
    char err[512], sigkey[80] = "";
    json_t *posts = NULL;
    s->requests++;
    if (strcmp(req->path, "/healthz") == 0 && strcmp(req->method, "GET") == 0) {
        resp->status = 200;
        bp_buf_puts(&resp->body, "{\"status\":\"ok\"}");
        return;
    }
    if (strcmp(req->path, s->cfg->path) != 0) {
        webhook_reply(resp, 404, "no such path; posts go to %s", s->cfg->path);
        goto rejected;
    }
    if (strcmp(req->method, "POST") != 0) {
        webhook_reply(resp, 405, "use POST");
        goto rejected;
    }
    if (s->cfg->secret && *s->cfg->secret) {
        const char *ts = bp_httpd_header(req, WEBHOOK_TS_HEADER);
        const char *sig = bp_httpd_header(req, WEBHOOK_SIG_HEADER);
        if (!s->cfg->require_signature && !ts && !sig)
            goto verified;
        if (webhook_verify(s->cfg->secret, ts, sig, req->body, req->body_len, bp_now_ms(),
                           s->cfg->tolerance_ms, err, sizeof err) != 0) {
            bp_warn("webhook: %s from %s: 401: %s", req->path, req->remote_addr, err);
            webhook_reply(resp, 401, "%s", err);
            goto rejected;
        }
        /* a valid signature is used once: a captured request cannot be replayed */
        snprintf(sigkey, sizeof sigkey, "%.71s", sig);
        pthread_mutex_lock(&s->replay_mu);
        int seen = bp_idwindow_seen(s->replay, sigkey);
        if (!seen)
            bp_idwindow_add(s->replay, sigkey);
        pthread_mutex_unlock(&s->replay_mu);
        if (seen) {
            sigkey[0] = '\0';
            bp_warn("webhook: %s from %s: 401: replayed request (signature already used)",
                    req->path, req->remote_addr);
            webhook_reply(resp, 401, "replayed request: this signature was already used");
            goto rejected;
        }
    }
verified:
    posts = webhook_split(req->body, req->body_len, (size_t)s->cfg->max_batch, err, sizeof err);
    if (!posts) {
        bp_warn("webhook: %s from %s: 400: %s", req->path, req->remote_addr, err);
        webhook_reply(resp, 400, "%s", err);
        goto rejected;
    }
    size_t i;
    json_t *p;
    int64_t now = bp_now_ms();
    json_array_foreach(posts, i, p)
    {
        char perr[400];
        if (webhook_prepare(p, s->cfg->source, s->cfg->feed, now, perr, sizeof perr) != 0) {
            bp_warn("webhook: %s from %s: 400: post %zu: %s", req->path, req->remote_addr, i + 1,
                    perr);
            webhook_reply(resp, 400, "post %zu: %s", i + 1, perr);
            goto rejected;
        }
        char *dump = bp_json_dump(p);
        size_t dl = dump ? strlen(dump) : 0;
        free(dump);
        if (dl > BP_POST_MAX_BYTES) {
            webhook_reply(resp, 413, "post %zu: larger than %zu bytes", i + 1, BP_POST_MAX_BYTES);
            goto rejected;
        }
    }
    if (webhook_deliver(s, posts, err, sizeof err) != 0) {
        bp_error("webhook: %s from %s: 503: %s", req->path, req->remote_addr, err);
        webhook_reply(resp, 503, "%s; nothing is lost if you send it again", err);
        s->failed++;
        goto forget_sig;
    }
    s->accepted += json_array_size(posts);
    json_array_foreach(posts, i, p)
    {
        const char *src = bp_json_str(p, "source"), *feed = bp_json_str(p, "feed");
        int64_t pub;
        if (strcmp(src, s->cfg->source) == 0 && strcmp(feed, s->cfg->feed) == 0)
            bp_counter_inc(s->m_collected);
        else /* a sender's own source/feed: looked up (a mutex and a scan) */
            bp_counter_inc(bp_metrics_counter(s->metrics, "bp_posts_collected_total",
                                              "Posts produced to bp.posts and acknowledged",
                                              "source", src, "feed", feed, NULL));
        if (bp_time_parse_rfc3339(bp_json_str(p, "published_at"), &pub) == 0)
            bp_hist_observe_since_ms(s->m_fresh, pub);
    }
    resp->status = 202;
    json_t *ids = json_array(), *ans;
    json_array_foreach(posts, i, p) json_array_append_new(ids, json_string(bp_json_str(p, "id")));
    ans = json_pack("{s:I, s:o}", "accepted", (json_int_t)json_array_size(posts), "ids", ids);
    char *txt = ans ? json_dumps(ans, JSON_COMPACT) : NULL;
    if (txt)
        bp_buf_puts(&resp->body, txt);
    free(txt);
    json_decref(ans);
    json_decref(posts);
    return;
rejected:
    s->rejected++;
forget_sig:
    if (sigkey[0]) { /* not accepted: the client may send the same request again */
        pthread_mutex_lock(&s->replay_mu);
        bp_idwindow_remove(s->replay, sigkey);
        pthread_mutex_unlock(&s->replay_mu);
    }
    json_decref(posts);
}

static atomic_int webhook_poll_run;

static void *webhook_poller(void *arg)
{
    bp_producer_t *p = arg;
    while (atomic_load(&webhook_poll_run))
        bp_producer_poll(p, 100);
    return NULL;
}

static void webhook_usage(const char *prog)
{
    printf("Usage: %s -c FILE [--brokers HOST:PORT] [--check]\n\n"
           "Accepts posts over HTTP (POST one JSON object, a JSON array or JSON lines) signed\n"
           "with HMAC-SHA256 and produces them to bp.posts; answers 202 once the broker has\n"
           "acknowledged every post of the request.\n\n"
           "  -c, --config FILE   configuration (YAML)\n"
           "      --brokers LIST  Kafka bootstrap servers\n"
           "      --check         load and check the configuration, then exit\n"
           "  -h, --help          this text\n"
           "  -V, --version       version\n\nConfiguration keys:\n",
           prog);
    bp_cfg_print_help(webhook_cfg_table, 2);
}

int webhook_main(int argc, char **argv)
{
    const char *prog = "bp-collect-webhook", *cfg_path = NULL, *brokers = NULL;
    int check = 0, status = BP_EXIT_RUNTIME, o;
    char err[1024], host[256];
    int port = 0;
    webhook_cfg_t cfg;
    webhook_srv_t srv;
    bp_httpd_t *httpd = NULL;
    pthread_t poller;
    int poller_started = 0;
    bp_log_init(prog);
    memset(&cfg, 0, sizeof cfg);
    memset(&srv, 0, sizeof srv);
    pthread_mutex_init(&srv.replay_mu, NULL);
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"brokers", required_argument, NULL, 'b'},
        {"check", no_argument, NULL, 'k'},        {"check-config", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0}};
    while ((o = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
        switch (o) {
        case 'c': cfg_path = optarg; break;
        case 'b': brokers = optarg; break;
        case 'k': check = 1; break;
        case 'h': webhook_usage(prog); return BP_EXIT_OK;
        case 'V': bp_cli_version(prog); return BP_EXIT_OK;
        default: return bp_cli_usage_error(prog, "unknown option");
        }
    }
    if (optind < argc)
        return bp_cli_usage_error(prog, "unexpected argument '%s'", argv[optind]);
    if (!cfg_path)
        return bp_cli_usage_error(prog, "-c FILE is required");
    status = BP_EXIT_USAGE;
    if (bp_cfg_load(cfg_path, webhook_cfg_table, &cfg, &cfg.common, brokers, err,
                    sizeof err) != 0) {
        bp_error("%s", err);
        goto out;
    }
    if (cfg.require_signature && (!cfg.secret || !*cfg.secret)) {
        bp_error("%s: key 'secret': required while require_signature is true (set "
                 "require_signature: false to accept unsigned posts)",
                 cfg_path);
        goto out;
    }
    if (bp_httpd_parse_listen(cfg.listen, host, sizeof host, &port) != 0) {
        bp_error("%s: key 'listen': expected host:port, got '%s'", cfg_path, cfg.listen);
        goto out;
    }
    if (cfg.max_body <= 0 || cfg.max_batch <= 0 || cfg.replay_window <= 0 ||
        cfg.tolerance_ms <= 0 || cfg.ack_timeout_ms <= 0) {
        bp_error("%s: max_body, max_batch, replay_window, tolerance and ack_timeout must be "
                 "positive",
                 cfg_path);
        goto out;
    }
    if (check) {
        printf("%s: configuration OK\n", cfg_path);
        status = BP_EXIT_OK;
        goto out;
    }
    status = BP_EXIT_RUNTIME;
    bp_signals_install();
    srv.cfg = &cfg;
    srv.replay = bp_idwindow_new((size_t)cfg.replay_window);
    srv.metrics = bp_metrics_start(prog, cfg.common.metrics_listen, err, sizeof err);
    if (!srv.metrics) {
        bp_error("%s: key 'metrics_listen': %s", cfg_path, err);
        status = BP_EXIT_USAGE;
        goto out;
    }
    srv.m_collected = bp_metrics_counter(srv.metrics, "bp_posts_collected_total",
                                         "Posts produced to bp.posts and acknowledged", "source",
                                         cfg.source, "feed", cfg.feed, NULL);
    srv.m_fresh = bp_metrics_hist(srv.metrics, "bp_freshness_seconds",
                                  "From a post's published_at to the end of a stage", NULL, 0,
                                  "stage", "collected", "source", cfg.source, NULL);
    srv.prod = bp_producer_new(&cfg.common.kafka, prog, err, sizeof err);
    if (!srv.prod || !srv.replay) {
        bp_error("%s", srv.prod ? "out of memory" : err);
        if (!srv.prod && strstr(err, "no Kafka brokers"))
            status = BP_EXIT_USAGE;
        goto out;
    }
    atomic_store(&webhook_poll_run, 1);
    if (pthread_create(&poller, NULL, webhook_poller, srv.prod) != 0) {
        bp_error("cannot start the delivery-report thread");
        goto out;
    }
    poller_started = 1;
    httpd = bp_httpd_start(host, port, (size_t)cfg.max_body, webhook_handle, &srv, err,
                           sizeof err);
    if (!httpd) {
        bp_error("cannot listen on %s: %s", cfg.listen, err);
        goto out;
    }
    bp_info("listening on http://%s:%d%s (max body %lld bytes, signature %s)", host,
            bp_httpd_port(httpd), cfg.path, cfg.max_body,
            cfg.secret && *cfg.secret ? (cfg.require_signature ? "required" : "optional")
                                      : "off");
    printf("http://%s:%d%s\n", host, bp_httpd_port(httpd), cfg.path);
    fflush(stdout);
    status = BP_EXIT_OK;
    bp_metrics_set_ready(srv.metrics, 1);
    while (bp_running) {
        char ferr[256];
        bp_metrics_heartbeat(srv.metrics);
        bp_sleep_ms(100);
        if (bp_producer_fatal(srv.prod, ferr, sizeof ferr)) {
            bp_error("stopping: Kafka producer fatal error: %s", ferr);
            status = BP_EXIT_RUNTIME;
            break;
        }
    }
    bp_info("stopping: finishing running requests");
    bp_metrics_set_ready(srv.metrics, 0);
out:
    bp_httpd_stop(httpd); /* requests still waiting are served by the poller */
    if (poller_started) {
        atomic_store(&webhook_poll_run, 0);
        pthread_join(poller, NULL);
    }
    if (srv.prod) {
        if (bp_producer_flush(srv.prod, 10000) != 0)
            status = BP_EXIT_RUNTIME;
        bp_producer_destroy(srv.prod);
    }
    if (srv.requests)
        bp_info("requests=%llu posts_accepted=%llu rejected=%llu failed=%llu",
                (unsigned long long)srv.requests, (unsigned long long)srv.accepted,
                (unsigned long long)srv.rejected, (unsigned long long)srv.failed);
    bp_idwindow_free(srv.replay);
    bp_metrics_free(srv.metrics);
    pthread_mutex_destroy(&srv.replay_mu);
    bp_cfg_free(webhook_cfg_table, &cfg);
    return status;
}
