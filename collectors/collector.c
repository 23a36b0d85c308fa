/* collector.c — the shared polling runner (see collector.h): config, one thread per feed,
 * fetch -> parse -> dedup -> produce -> wait for acks -> checkpoint, back-off, counters. */
#include "collector.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fileutil.h"
#include "heartbeat.h"
#include "http.h"
#include "idwindow.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "sig.h"
#include "timeutil.h"
#include "utf8.h"

#define COLLECTOR_MAX_HDRS 8
#define COLLECTOR_URL_MAX 16384
#define COLLECTOR_STATE_MAX ((size_t)4 << 20)
#define COLLECTOR_ACK_WAIT_MS 120000 /* a page not acknowledged by then counts as failed */
#define COLLECTOR_STOP_WAIT_MS 10000 /* at shutdown, how long a page may still wait for acks */

typedef struct collector_cfg {
    bp_common_cfg_t common;
    char *state_dir;
    int64_t stats_interval_ms;
    char *heartbeat_topic;        /* "" = no heartbeats */
    int64_t heartbeat_interval_ms;
    collector_feeds_t feeds;
} collector_cfg_t;

/* The source whose feed table the `feeds:` list is bound with (set before loading). */
static const collector_source_t *collector_cur_src;

typedef struct feed_rt {
    const collector_source_t *src;
    collector_feed_t *f;
    bp_producer_t *prod;
    const collector_cfg_t *cfg;
    pthread_t th;
    int started;
    bp_idwindow_t *ids;
    json_t *cursor;            /* persisted position, NULL at the very start */
    char *etag, *last_modified;
    char state_path[PATH_MAX], ids_path[PATH_MAX];
    int failures;              /* consecutive failed polls */
    /* metrics (docs/metrics.md); every handle may be NULL */
    bp_counter_t *m_collected, *m_skipped, *m_polls, *m_dead, *m_err[4];
    bp_gauge_t *m_last_post, *m_last_ok, *m_expected;
    bp_hist_t *m_fresh;
    _Atomic unsigned long long fetched, produced, skipped, failed, polls, errors;
    /* for heartbeats (bp.heartbeats, read by bp-watchdog) */
    _Atomic int64_t last_ok_ms;   /* last successful poll, -1 none since start */
    _Atomic int64_t last_post_ms; /* last acknowledged post, -1 none (kept in the checkpoint) */
    _Atomic int failing;          /* failed polls in a row, as the main thread sees it */
    _Atomic int hb_due;           /* 1: send a heartbeat now (the feed failed or recovered) */
    char last_error[HEARTBEAT_ERR_MAX]; /* under mu */
    /* acknowledgements of the page in flight */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int pending, nfailed;
    rd_kafka_resp_err_t last_err;
} feed_rt_t;

/* ---- configuration ---- */

void collector_page_free(collector_page_t *p)
{
    if (!p)
        return;
    json_decref(p->posts);
    json_decref(p->cursor);
    json_decref(p->bad);
    memset(p, 0, sizeof *p);
}

int collector_feed_defaults(const collector_source_t *src, collector_feed_t *f)
{
    char err[256];
    memset(f, 0, sizeof *f);
    return bp_cfg_defaults(src->feed_table, f, err, sizeof err);
}

void collector_feed_free(const collector_source_t *src, collector_feed_t *f)
{
    bp_cfg_free(src->feed_table, f);
}

static int collector_name_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 100 || s[0] == '.')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static void collector_feeds_free_cb(void *field)
{
    collector_feeds_t *fs = field;
    for (size_t i = 0; i < fs->n && collector_cur_src; i++)
        collector_feed_free(collector_cur_src, &fs->v[i]);
    free(fs->v);
    fs->v = NULL;
    fs->n = 0;
}

static int collector_feeds_parse(const bp_ynode_t *node, void *field, char *err, size_t errlen)
{
    collector_feeds_t *fs = field;
    const collector_source_t *src = collector_cur_src;
    char sub[512];
    if (node->type != BP_Y_SEQ)
        return bp_yaml_error(node, err, errlen, "key 'feeds': expected a list of feeds, got %s",
                             bp_yaml_type_name(node->type));
    collector_feeds_free_cb(fs);
    if (node->n == 0)
        return bp_yaml_error(node, err, errlen, "key 'feeds': the list is empty");
    fs->v = calloc(node->n, sizeof *fs->v);
    if (!fs->v)
        return bp_yaml_error(node, err, errlen, "out of memory");
    for (size_t i = 0; i < node->n; i++) {
        const bp_ynode_t *it = node->items[i];
        collector_feed_t *f = &fs->v[i];
        fs->n = i + 1;
        if (collector_feed_defaults(src, f) != 0)
            return bp_yaml_error(it, err, errlen, "internal: bad feed defaults");
        if (it->type != BP_Y_MAP)
            return bp_yaml_error(it, err, errlen, "feeds[%zu]: expected a mapping, got %s", i,
                                 bp_yaml_type_name(it->type));
        if (bp_cfg_bind(it, src->feed_table, f, err, errlen) != 0)
            return -1;
        if (!collector_name_ok(f->name))
            return bp_yaml_error(bp_yaml_get(it, "name"), err, errlen,
                                 "key 'name': '%s' is not a valid feed name (letters, digits, "
                                 ". _ - ; it names the checkpoint files)",
                                 f->name ? f->name : "");
        for (size_t j = 0; j < i; j++)
            if (strcmp(fs->v[j].name, f->name) == 0)
                return bp_yaml_error(bp_yaml_get(it, "name"), err, errlen,
                                     "key 'name': feed '%s' is named twice", f->name);
        if (f->interval_ms < 0 || f->timeout_ms <= 0 || f->max_response <= 0 ||
            f->dedup_window <= 0 || f->max_pages <= 0 || f->retries < 0 || f->backoff_ms <= 0)
            return bp_yaml_error(it, err, errlen,
                                 "feed '%s': interval, timeout, backoff, max_response, "
                                 "dedup_window, max_pages must be positive, retries >= 0",
                                 f->name);
        if (src->check && src->check(f, sub, sizeof sub) != 0)
            return bp_yaml_error(it, err, errlen, "%s", sub);
    }
    return 0;
}

static const bp_cfg_entry_t collector_cfg_table[] = {
    BP_CFG_COMMON_ENTRIES(offsetof(collector_cfg_t, common)),
    {"state_dir", BP_CFG_STR, "state", offsetof(collector_cfg_t, state_dir),
     "folder of per-feed checkpoints (<feed>.json) and dedup windows (<feed>.ids)", NULL, NULL,
     NULL, 0},
    {"stats_interval", BP_CFG_DURATION, "60s", offsetof(collector_cfg_t, stats_interval_ms),
     "how often per-feed counters are logged", NULL, NULL, NULL, 0},
    {"heartbeat_topic", BP_CFG_STR, "bp.heartbeats", offsetof(collector_cfg_t, heartbeat_topic),
     "topic of per-feed heartbeats for bp-watchdog (keyed by feed name); empty: none", NULL,
     NULL, NULL, 0},
    {"heartbeat_interval", BP_CFG_DURATION, "30s",
     offsetof(collector_cfg_t, heartbeat_interval_ms),
     "how often each feed's heartbeat is sent (also at once when a feed fails or recovers)",
     NULL, NULL, NULL, 0},
    {"feeds", BP_CFG_CUSTOM, NULL, offsetof(collector_cfg_t, feeds),
     "the feeds to poll: a list of mappings (see below)", NULL, collector_feeds_parse,
     collector_feeds_free_cb, 1},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0},
};

int collector_load_feeds(const collector_source_t *src, const char *path,
                         collector_feeds_t *feeds, char *err, size_t errlen)
{
    collector_cfg_t cfg;
    memset(&cfg, 0, sizeof cfg);
    collector_cur_src = src;
    int rc = bp_cfg_load(path, collector_cfg_table, &cfg, NULL, NULL, err, errlen);
    *feeds = cfg.feeds;
    cfg.feeds.v = NULL;
    cfg.feeds.n = 0;
    bp_cfg_free(collector_cfg_table, &cfg);
    return rc;
}

void collector_feeds_free(const collector_source_t *src, collector_feeds_t *feeds)
{
    collector_cur_src = src;
    collector_feeds_free_cb(feeds);
}

/* ---- state: checkpoint and dedup window ---- */

static int feed_state_load(feed_rt_t *rt)
{
    char err[512];
    size_t len;
    if (bp_idwindow_load(rt->ids, rt->ids_path, err, sizeof err) != 0)
        return bp_error("feed %s: dedup window: %s", rt->f->name, err);
    char *data = bp_file_read(rt->state_path, COLLECTOR_STATE_MAX, &len);
    if (!data) {
        if (errno == ENOENT)
            return 0;
        return bp_error("feed %s: checkpoint %s: %s", rt->f->name, rt->state_path,
                        strerror(errno));
    }
    json_error_t je;
    json_t *st = json_loadb(data, len, 0, &je);
    free(data);
    if (!json_is_object(st)) {
        json_decref(st);
        return bp_error("%s:%d:%d: checkpoint of feed %s is not a JSON object: %s",
                        rt->state_path, je.line, je.column, rt->f->name, je.text);
    }
    json_t *cur = json_object_get(st, "cursor");
    if (cur && !json_is_null(cur))
        rt->cursor = json_incref(cur);
    const char *et = bp_json_str(st, "etag"), *lm = bp_json_str(st, "last_modified");
    rt->etag = *et ? strdup(et) : NULL;
    rt->last_modified = *lm ? strdup(lm) : NULL;
    int64_t lp;
    if (bp_time_parse_rfc3339(bp_json_str(st, "last_post_at"), &lp) == 0) {
        rt->last_post_ms = lp;
        bp_gauge_set(rt->m_last_post, (double)lp / 1000.0);
    }
    json_decref(st);
    bp_info("feed %s: resuming from checkpoint %s (%zu ids in the dedup window)", rt->f->name,
            rt->state_path, bp_idwindow_count(rt->ids));
    return 0;
}

static int feed_state_save(feed_rt_t *rt)
{
    json_t *st = json_object();
    char *dump = NULL;
    int rc = -1;
    if (!st)
        return -1;
    json_object_set(st, "cursor", rt->cursor ? rt->cursor : json_null());
    if (rt->etag)
        json_object_set_new(st, "etag", json_string(rt->etag));
    if (rt->last_modified)
        json_object_set_new(st, "last_modified", json_string(rt->last_modified));
    bp_json_set_time(st, "saved_at", bp_now_ms());
    if (rt->last_post_ms >= 0)
        bp_json_set_time(st, "last_post_at", rt->last_post_ms);
    if (bp_idwindow_save(rt->ids, rt->ids_path) != 0) {
        bp_error("feed %s: cannot write %s: %s", rt->f->name, rt->ids_path, strerror(errno));
        goto out;
    }
    dump = json_dumps(st, JSON_COMPACT);
    if (!dump || bp_file_write_atomic(rt->state_path, dump, strlen(dump)) != 0) {
        bp_error("feed %s: cannot write checkpoint %s: %s", rt->f->name, rt->state_path,
                 strerror(errno));
        goto out;
    }
    rc = 0;
out:
    free(dump);
    json_decref(st);
    return rc;
}

/* ---- producing a page ---- */

static void feed_ack(void *opaque, rd_kafka_resp_err_t err)
{
    feed_rt_t *rt = opaque;
    pthread_mutex_lock(&rt->mu);
    rt->pending--;
    if (err) {
        rt->nfailed++;
        rt->last_err = err;
    }
    pthread_cond_broadcast(&rt->cv);
    pthread_mutex_unlock(&rt->mu);
}

static void feed_pending_add(feed_rt_t *rt, int d)
{
    pthread_mutex_lock(&rt->mu);
    rt->pending += d;
    pthread_mutex_unlock(&rt->mu);
}

/* Waits until every message of the page is acknowledged. Returns 0, or -1 if one failed or the
 * wait ran out. */
static int feed_wait_acks(feed_rt_t *rt)
{
    int64_t start = bp_mono_ms();
    int rc = 0;
    pthread_mutex_lock(&rt->mu);
    while (rt->pending > 0) {
        int64_t waited = bp_mono_ms() - start;
        if (waited > COLLECTOR_ACK_WAIT_MS || (!bp_running && waited > COLLECTOR_STOP_WAIT_MS)) {
            rc = -1;
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&rt->cv, &rt->mu, &ts);
    }
    if (rt->nfailed)
        rc = -1;
    pthread_mutex_unlock(&rt->mu);
    return rc;
}

/* Sends one unusable item to the dead-letter topic (counted as failed). */
static void feed_deadletter(feed_rt_t *rt, const char *reason, const char *key, const char *val)
{
    char origin[200];
    snprintf(origin, sizeof origin, "%s feed %s", rt->src->name, rt->f->name);
    feed_pending_add(rt, 1);
    if (bp_deadletter(rt->prod, rt->cfg->common.topics.deadletter, "collect", reason, NULL, -1, -1,
                      origin, key, key ? strlen(key) : 0, val, strlen(val), feed_ack, rt) != 0)
        feed_ack(rt, RD_KAFKA_RESP_ERR__FAIL);
    rt->failed++;
    bp_counter_inc(rt->m_dead);
}

static int feed_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Produces the page's new posts and dead letters, waits for the broker, then advances the dedup
 * window and the checkpoint. Returns 0, or -1 (nothing advanced: the page is fetched again). */
static int feed_deliver(feed_rt_t *rt, collector_page_t *page, const char *etag,
                        const char *last_modified)
{
    size_t n = json_array_size(page->posts), sent = 0, dups = 0;
    bp_idwindow_t *pageids = bp_idwindow_new(n + 1);
    char err[512];
    int rc = -1;
    if (!pageids)
        return bp_error("feed %s: out of memory", rt->f->name);
    pthread_mutex_lock(&rt->mu);
    rt->pending = 0;
    rt->nfailed = 0;
    pthread_mutex_unlock(&rt->mu);
    rt->fetched += n + page->skipped + json_array_size(page->bad);
    rt->skipped += page->skipped;
    for (size_t i = 0; i < n; i++) {
        json_t *post = json_array_get(page->posts, i);
        const char *id = bp_json_str(post, "id");
        if (bp_idwindow_seen(rt->ids, id) || bp_idwindow_seen(pageids, id)) {
            dups++;
            continue;
        }
        bp_post_stamp(post, bp_now_ms());
        char *val = bp_json_dump(post);
        if (!val) {
            bp_error("feed %s: out of memory", rt->f->name);
            goto out;
        }
        if (bp_post_validate(post, err, sizeof err) != 0) {
            feed_deadletter(rt, err, *id ? id : NULL, val);
        } else if (strlen(val) > BP_POST_MAX_BYTES) {
            snprintf(err, sizeof err, "post larger than %zu bytes", BP_POST_MAX_BYTES);
            feed_deadletter(rt, err, id, val);
        } else {
            feed_pending_add(rt, 1);
            if (bp_produce(rt->prod, rt->cfg->common.topics.posts, id, strlen(id), val,
                           strlen(val), NULL, feed_ack, rt, err, sizeof err) != 0) {
                feed_pending_add(rt, -1);
                free(val);
                bp_error("feed %s: %s", rt->f->name, err);
                goto wait;
            }
            sent++;
        }
        free(val);
        bp_idwindow_add(pageids, id);
    }
    for (size_t i = 0; i < json_array_size(page->bad); i++) {
        json_t *b = json_array_get(page->bad, i);
        char *val = bp_json_dump(json_object_get(b, "item"));
        if (val)
            feed_deadletter(rt, bp_json_str(b, "reason"), NULL, val);
        free(val);
    }
    rc = 0;
wait:
    if (feed_wait_acks(rt) != 0) {
        pthread_mutex_lock(&rt->mu);
        int nf = rt->nfailed, np = rt->pending;
        rd_kafka_resp_err_t le = rt->last_err;
        pthread_mutex_unlock(&rt->mu);
        bp_error("feed %s: %d message(s) of the page not acknowledged (%d failed%s%s); the "
                 "checkpoint stays, the page will be fetched again",
                 rt->f->name, np + nf, nf, nf ? ": " : "", nf ? rd_kafka_err2str(le) : "");
        rt->failed += (unsigned long long)nf;
        rc = -1;
    }
    if (rc != 0)
        goto out;
    rt->produced += sent;
    rt->skipped += dups;
    bp_counter_add(rt->m_collected, sent);
    bp_counter_add(rt->m_skipped, dups + page->skipped);
    if (sent) {
        rt->last_post_ms = bp_now_ms();
        bp_gauge_set(rt->m_last_post, (double)rt->last_post_ms / 1000.0);
        for (size_t i = 0; i < n; i++) { /* freshness: published to acknowledged */
            json_t *post = json_array_get(page->posts, i);
            int64_t pub;
            if (bp_idwindow_seen(pageids, bp_json_str(post, "id")) &&
                bp_time_parse_rfc3339(bp_json_str(post, "published_at"), &pub) == 0)
                bp_hist_observe_since_ms(rt->m_fresh, pub);
        }
    }
    /* acknowledged: remember the ids, then move the checkpoint (files are rewritten only when
     * something changed, so an idle feed does not write on every poll) */
    int changed = bp_idwindow_count(pageids) > 0;
    for (size_t i = 0; i < n; i++)
        bp_idwindow_add(rt->ids, bp_json_str(json_array_get(page->posts, i), "id"));
    if (page->cursor && !json_equal(page->cursor, rt->cursor)) {
        json_decref(rt->cursor);
        rt->cursor = json_incref(page->cursor);
        changed = 1;
    }
    if ((etag || last_modified) &&
        (!feed_same(etag, rt->etag) || !feed_same(last_modified, rt->last_modified))) {
        free(rt->etag);
        free(rt->last_modified);
        rt->etag = etag ? strdup(etag) : NULL;
        rt->last_modified = last_modified ? strdup(last_modified) : NULL;
        changed = 1;
    }
    if (changed && feed_state_save(rt) != 0)
        rc = -1;
    if (sent || dups)
        bp_debug("feed %s: page done: %zu produced, %zu duplicate(s) skipped", rt->f->name, sent,
                 dups);
out:
    bp_idwindow_free(pageids);
    return rc;
}

/* ---- polling ---- */

/* A printable, one-line excerpt of an error body for the log. */
static void feed_excerpt(const char *s, size_t n, char *out, size_t outlen)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < outlen && i < 200; i++)
        out[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : ' ';
    out[j] = '\0';
}

static const char *feed_hint(bp_fetch_class_t c)
{
    switch (c) {
    case BP_FETCH_AUTH:
        return " — the token is invalid or expired: renew it; the feed backs off";
    case BP_FETCH_RATE_LIMITED:
        return " — rate limited: waiting before the next request";
    case BP_FETCH_TOO_LARGE:
        return " — raise max_response if the source is right";
    case BP_FETCH_CLIENT:
        return " — check the feed's query/URL";
    default:
        return "";
    }
}

/* One request and its page. Returns 0 (with *more) or -1 with *e set. */
static int feed_poll_once(feed_rt_t *rt, bp_http_t *http, int *more, collector_error_t *e)
{
    bp_buf_t url;
    char *hdr[COLLECTOR_MAX_HDRS + 2] = {0};
    size_t nhdr = 0;
    char err[256], ua[300];
    bp_http_resp_t resp;
    bp_fetch_result_t fr;
    collector_page_t page;
    int rc = -1;
    memset(&resp, 0, sizeof resp);
    memset(&page, 0, sizeof page);
    bp_buf_init(&url, COLLECTOR_URL_MAX);
    e->cls = BP_FETCH_TRANSIENT;
    e->retry_after_ms = -1;
    e->msg[0] = '\0';
    *more = 0;
    rt->polls++;
    bp_counter_inc(rt->m_polls);
    if (rt->src->request(rt->f, rt->cursor, &url, hdr, &nhdr, err, sizeof err) != 0) {
        e->cls = BP_FETCH_CLIENT;
        snprintf(e->msg, sizeof e->msg, "cannot build the request: %s", err);
        goto out;
    }
    if (rt->f->user_agent && *rt->f->user_agent && nhdr < COLLECTOR_MAX_HDRS) {
        snprintf(ua, sizeof ua, "User-Agent: %s", rt->f->user_agent);
        hdr[nhdr++] = strdup(ua);
    }
    hdr[nhdr] = NULL;
    bp_http_req_t req = {0};
    req.url = url.data;
    req.headers = (const char *const *)hdr;
    req.timeout_ms = (long)rt->f->timeout_ms;
    req.max_response = (size_t)rt->f->max_response;
    bp_fetch_opts_t fo = {0};
    fo.retries = (int)rt->f->retries;
    fo.max_inline_wait_ms = 0;
    if (rt->src->conditional) {
        fo.etag = rt->etag;
        fo.last_modified = rt->last_modified;
    }
    int frc = bp_fetch(http, &req, &fo, &resp, &fr);
    collector_body_t body = {resp.body.data ? resp.body.data : "", resp.body.len, resp.status,
                             resp.content_type};
    if (frc != 0) {
        e->cls = fr.cls;
        e->retry_after_ms = fr.retry_after_ms;
        snprintf(e->msg, sizeof e->msg, "%s", fr.msg);
        if (resp.status >= 300 && rt->src->api_error)
            rt->src->api_error(rt->f, &body, e);
        else if (resp.status >= 300 && resp.body.len) {
            char ex[210];
            feed_excerpt(body.data, body.len, ex, sizeof ex);
            size_t l = strlen(e->msg);
            snprintf(e->msg + l, sizeof e->msg - l, ": %s", ex);
        }
        goto out;
    }
    if (fr.cls == BP_FETCH_NOT_MODIFIED) {
        bp_debug("feed %s: not modified", rt->f->name);
        rc = 0;
        goto out;
    }
    if (rt->src->parse(rt->f, rt->cursor, &body, bp_now_ms(), &page, e) != 0)
        goto out;
    if (feed_deliver(rt, &page, resp.etag, resp.last_modified) != 0) {
        e->cls = BP_FETCH_TRANSIENT;
        snprintf(e->msg, sizeof e->msg, "the broker did not acknowledge the page");
        goto out;
    }
    *more = page.more;
    rc = 0;
out:
    for (size_t i = 0; i < nhdr; i++)
        free(hdr[i]);
    bp_buf_free(&url);
    bp_http_resp_free(&resp);
    collector_page_free(&page);
    return rc;
}

/* The `class` label of bp_poll_errors_total for a failure class. */
static const char *const feed_err_labels[4] = {"temporary", "rate_limited", "auth", "permanent"};
static int feed_err_index(bp_fetch_class_t c)
{
    switch (c) {
    case BP_FETCH_RATE_LIMITED: return 1;
    case BP_FETCH_AUTH: return 2;
    case BP_FETCH_CLIENT:
    case BP_FETCH_TOO_LARGE: return 3;
    default: return 0;
    }
}

/* How often the feed is expected to yield posts: its `silence`, else its interval. */
static int64_t feed_expected_ms(const collector_feed_t *f)
{
    int64_t e = f->silence_ms > 0 ? f->silence_ms : f->interval_ms;
    return e > 0 ? e : 1;
}

/* The source named in the feed's posts and metrics. */
static const char *feed_source(const feed_rt_t *rt)
{
    return rt->f->source_name && *rt->f->source_name ? rt->f->source_name : rt->src->name;
}

/* Registers the feed's series (docs/metrics.md, "Collectors"). */
static void feed_metrics(feed_rt_t *rt, bp_metrics_t *m)
{
    const char *fn = rt->f->name, *src = feed_source(rt);
    rt->m_collected = bp_metrics_counter(m, "bp_posts_collected_total",
                                         "Posts produced to bp.posts and acknowledged", "source",
                                         src, "feed", fn, NULL);
    rt->m_skipped = bp_metrics_counter(m, "bp_posts_skipped_total",
                                       "Items that were not posts, or already seen", "feed", fn,
                                       NULL);
    rt->m_polls = bp_metrics_counter(m, "bp_polls_total", "Polls (HTTP requests) made", "feed",
                                     fn, NULL);
    for (int i = 0; i < 4; i++)
        rt->m_err[i] = bp_metrics_counter(m, "bp_poll_errors_total", "Failed polls", "feed", fn,
                                          "class", feed_err_labels[i], NULL);
    rt->m_dead = bp_metrics_counter(m, "bp_deadlettered_total", "Records sent to bp.deadletter",
                                    "stage", "collect", NULL);
    rt->m_last_post = bp_metrics_gauge(m, "bp_last_post_timestamp_seconds",
                                       "Unix time the feed last produced a post", "feed", fn, NULL);
    rt->m_last_ok = bp_metrics_gauge(m, "bp_last_poll_success_timestamp_seconds",
                                     "Unix time of the feed's last successful poll", "feed", fn,
                                     NULL);
    rt->m_expected = bp_metrics_gauge(m, "bp_feed_expected_interval_seconds",
                                      "How often the feed is expected to yield posts", "feed", fn,
                                      NULL);
    bp_gauge_set(rt->m_expected, (double)feed_expected_ms(rt->f) / 1000.0);
    rt->m_fresh = bp_metrics_hist(m, "bp_freshness_seconds",
                                  "From a post's published_at to the end of a stage", NULL, 0,
                                  "stage", "collected", "source", src, NULL);
}

static void *feed_thread(void *arg)
{
    feed_rt_t *rt = arg;
    bp_http_t *http = bp_http_new();
    int64_t next = bp_mono_ms();
    long long pages = 0;
    if (!http) {
        bp_error("feed %s: cannot create an HTTP client", rt->f->name);
        return NULL;
    }
    while (bp_running) {
        int64_t now = bp_mono_ms();
        if (now < next) {
            bp_sleep_ms(next - now < 100 ? next - now : 100);
            continue;
        }
        int more = 0;
        collector_error_t e;
        if (feed_poll_once(rt, http, &more, &e) == 0) {
            if (rt->failures) {
                bp_info("feed %s: recovered after %d failed poll(s)", rt->f->name, rt->failures);
                rt->hb_due = 1;
            }
            rt->last_ok_ms = bp_now_ms();
            bp_gauge_set(rt->m_last_ok, (double)rt->last_ok_ms / 1000.0);
            rt->failures = 0;
            rt->failing = 0;
            if (more && ++pages < rt->f->max_pages) {
                next = bp_mono_ms();
            } else {
                pages = 0;
                next = bp_mono_ms() + rt->f->interval_ms;
            }
            continue;
        }
        if (!bp_running)
            break;
        rt->failures++;
        rt->errors++;
        rt->failing = rt->failures;
        pthread_mutex_lock(&rt->mu);
        snprintf(rt->last_error, sizeof rt->last_error, "%.24s: %.280s", bp_fetch_class_name(e.cls),
                 e.msg);
        pthread_mutex_unlock(&rt->mu);
        if (rt->failures == 1)
            rt->hb_due = 1;
        bp_counter_inc(rt->m_err[feed_err_index(e.cls)]);
        pages = 0;
        int64_t delay = bp_fetch_next_delay(e.cls, rt->failures, e.retry_after_ms,
                                            rt->f->backoff_ms, rt->f->backoff_max_ms);
        bp_log(e.cls == BP_FETCH_AUTH || e.cls == BP_FETCH_CLIENT ? BP_LOG_ERROR : BP_LOG_WARN,
               "feed %s: poll failed (%s): %s%s; next try in %.1fs (failure %d in a row)",
               rt->f->name, bp_fetch_class_name(e.cls), e.msg, feed_hint(e.cls),
               (double)delay / 1000.0, rt->failures);
        next = bp_mono_ms() + delay;
    }
    bp_http_free(http);
    return NULL;
}

static void feed_stats(const feed_rt_t *rt)
{
    bp_info("feed %s: fetched=%llu produced=%llu skipped=%llu failed=%llu polls=%llu "
            "poll_errors=%llu",
            rt->f->name, (unsigned long long)rt->fetched, (unsigned long long)rt->produced,
            (unsigned long long)rt->skipped, (unsigned long long)rt->failed,
            (unsigned long long)rt->polls, (unsigned long long)rt->errors);
}

/* ---- heartbeats ---- */

/* Produces the feed's heartbeat to the heartbeat topic, keyed by feed name. Heartbeats are
 * best effort: a lost one is replaced by the next. */
static void feed_heartbeat(feed_rt_t *rt, const char *prog, int64_t started_ms)
{
    heartbeat_t hb;
    char err[256];
    memset(&hb, 0, sizeof hb);
    snprintf(hb.collector, sizeof hb.collector, "%s", prog);
    snprintf(hb.feed, sizeof hb.feed, "%s", rt->f->name);
    snprintf(hb.source, sizeof hb.source, "%s", feed_source(rt));
    hb.poll_interval_ms = rt->f->interval_ms > 0 ? rt->f->interval_ms : 1;
    hb.expected_interval_ms = feed_expected_ms(rt->f);
    hb.heartbeat_interval_ms = rt->cfg->heartbeat_interval_ms;
    hb.started_at_ms = started_ms;
    hb.last_poll_ok_ms = rt->last_ok_ms;
    hb.last_post_ms = rt->last_post_ms;
    hb.posts_total = rt->produced;
    hb.errors_total = rt->errors;
    hb.failures = rt->failing;
    if (hb.failures > 0) {
        pthread_mutex_lock(&rt->mu);
        snprintf(hb.last_error, sizeof hb.last_error, "%s", rt->last_error);
        pthread_mutex_unlock(&rt->mu);
    }
    hb.at_ms = bp_now_ms();
    json_t *j = heartbeat_to_json(&hb);
    char *val = j ? bp_json_dump(j) : NULL;
    json_decref(j);
    if (!val) {
        bp_error("feed %s: out of memory for its heartbeat", rt->f->name);
        return;
    }
    if (bp_produce(rt->prod, rt->cfg->heartbeat_topic, rt->f->name, strlen(rt->f->name), val,
                   strlen(val), NULL, NULL, NULL, err, sizeof err) != 0)
        bp_warn("feed %s: heartbeat not sent: %s", rt->f->name, err);
    free(val);
}

/* ---- the program ---- */

static void collector_usage(const collector_source_t *src, const char *prog)
{
    printf("Usage: %s -c FILE [--brokers HOST:PORT] [--check]\n\n"
           "Polls the %s feeds listed in FILE and produces their posts to bp.posts.\n\n"
           "  -c, --config FILE   configuration (YAML)\n"
           "      --brokers LIST  Kafka bootstrap servers (overrides kafka.brokers, BP_BROKERS)\n"
           "      --check         load and check the configuration, then exit\n"
           "  -h, --help          this text\n"
           "  -V, --version       version\n\n"
           "Configuration keys:\n",
           prog, src->name);
    collector_cur_src = src;
    bp_cfg_print_help(collector_cfg_table, 2);
    printf("\nKeys of each feed:\n");
    bp_cfg_print_help(src->feed_table, 2);
}

int collector_main(const collector_source_t *src, int argc, char **argv)
{
    static char prog[64];
    const char *cfg_path = NULL, *brokers = NULL;
    int check = 0, status = BP_EXIT_RUNTIME;
    char err[1024];
    collector_cfg_t cfg;
    feed_rt_t *rts = NULL;
    bp_producer_t *prod = NULL;
    bp_metrics_t *metrics = NULL;
    size_t nrt = 0;
    snprintf(prog, sizeof prog, "bp-collect-%s", src->name);
    bp_log_init(prog);
    memset(&cfg, 0, sizeof cfg);
    collector_cur_src = src;

    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"brokers", required_argument, NULL, 'b'},
        {"check", no_argument, NULL, 'k'},        {"check-config", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0}};
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
        switch (o) {
        case 'c': cfg_path = optarg; break;
        case 'b': brokers = optarg; break;
        case 'k': check = 1; break;
        case 'h': collector_usage(src, prog); return BP_EXIT_OK;
        case 'V': bp_cli_version(prog); return BP_EXIT_OK;
        default: return bp_cli_usage_error(prog, "unknown option");
        }
    }
    if (optind < argc)
        return bp_cli_usage_error(prog, "unexpected argument '%s'", argv[optind]);
    if (!cfg_path)
        return bp_cli_usage_error(prog, "-c FILE is required");
    if (bp_cfg_load(cfg_path, collector_cfg_table, &cfg, &cfg.common, brokers, err,
                    sizeof err) != 0) {
        bp_error("%s", err);
        status = BP_EXIT_USAGE;
        goto out;
    }
    if (check) {
        printf("%s: configuration OK: %zu feed(s)\n", cfg_path, cfg.feeds.n);
        status = BP_EXIT_OK;
        goto out;
    }
    if (bp_mkdirs(cfg.state_dir, 0755) != 0) {
        bp_error("state_dir %s: %s", cfg.state_dir, strerror(errno));
        goto out;
    }
    bp_signals_install();
    bp_http_global_init();
    metrics = bp_metrics_start(prog, cfg.common.metrics_listen, err, sizeof err);
    if (!metrics) {
        bp_error("%s: key 'metrics_listen': %s", cfg_path, err);
        status = BP_EXIT_USAGE;
        goto out;
    }
    prod = bp_producer_new(&cfg.common.kafka, prog, err, sizeof err);
    if (!prod) {
        bp_error("%s", err);
        status = strstr(err, "no Kafka brokers") ? BP_EXIT_USAGE : BP_EXIT_RUNTIME;
        goto out;
    }
    rts = calloc(cfg.feeds.n, sizeof *rts);
    if (!rts)
        goto out;
    for (size_t i = 0; i < cfg.feeds.n; i++) {
        collector_feed_t *f = &cfg.feeds.v[i];
        if (!f->enabled)
            continue;
        feed_rt_t *rt = &rts[nrt++];
        rt->src = src;
        rt->f = f;
        rt->prod = prod;
        rt->cfg = &cfg;
        pthread_mutex_init(&rt->mu, NULL);
        pthread_cond_init(&rt->cv, NULL);
        snprintf(rt->state_path, sizeof rt->state_path, "%s/%s.json", cfg.state_dir, f->name);
        snprintf(rt->ids_path, sizeof rt->ids_path, "%s/%s.ids", cfg.state_dir, f->name);
        rt->ids = bp_idwindow_new((size_t)f->dedup_window);
        rt->last_ok_ms = -1;
        rt->last_post_ms = -1;
        feed_metrics(rt, metrics);
        if (!rt->ids || feed_state_load(rt) != 0)
            goto stop;
    }
    if (nrt == 0) {
        bp_error("%s: no enabled feed", cfg_path);
        status = BP_EXIT_USAGE;
        goto out;
    }
    for (size_t i = 0; i < nrt; i++) {
        if (pthread_create(&rts[i].th, NULL, feed_thread, &rts[i]) != 0) {
            bp_error("cannot start a thread for feed %s", rts[i].f->name);
            bp_running = 0;
            break;
        }
        rts[i].started = 1;
    }
    bp_info("collecting %zu %s feed(s) into %s (state in %s)", nrt, src->name,
            cfg.common.topics.posts, cfg.state_dir);
    status = BP_EXIT_OK;
    bp_metrics_set_ready(metrics, 1);
    int64_t next_stats = bp_mono_ms() + cfg.stats_interval_ms;
    int64_t started_ms = bp_now_ms(), next_hb = bp_mono_ms();
    int heartbeats = cfg.heartbeat_topic && *cfg.heartbeat_topic && cfg.heartbeat_interval_ms > 0;
    while (bp_running) {
        bp_metrics_heartbeat(metrics);
        bp_producer_poll(prod, 100);
        if (bp_producer_fatal(prod, err, sizeof err)) {
            bp_error("stopping: Kafka producer fatal error: %s", err);
            status = BP_EXIT_RUNTIME;
            bp_running = 0;
            break;
        }
        if (heartbeats) {
            int all = bp_mono_ms() >= next_hb;
            for (size_t i = 0; i < nrt; i++) {
                if (all || atomic_exchange(&rts[i].hb_due, 0))
                    feed_heartbeat(&rts[i], prog, started_ms);
            }
            if (all)
                next_hb = bp_mono_ms() + cfg.heartbeat_interval_ms;
        }
        if (cfg.stats_interval_ms > 0 && bp_mono_ms() >= next_stats) {
            for (size_t i = 0; i < nrt; i++)
                feed_stats(&rts[i]);
            next_stats = bp_mono_ms() + cfg.stats_interval_ms;
        }
    }
stop:
    bp_running = 0;
    bp_metrics_set_ready(metrics, 0);
    bp_info("stopping: waiting for the feeds to finish their page");
    /* keep serving acknowledgements while the feed threads finish their page */
    for (size_t i = 0; i < nrt; i++) {
        if (!rts[i].started)
            continue;
        while (pthread_tryjoin_np(rts[i].th, NULL) == EBUSY)
            bp_producer_poll(prod, 50);
        rts[i].started = 0;
    }
    for (size_t i = 0; i < nrt; i++)
        feed_stats(&rts[i]);
out:
    if (prod) {
        if (bp_producer_flush(prod, 10000) != 0)
            status = BP_EXIT_RUNTIME;
        bp_producer_destroy(prod);
    }
    for (size_t i = 0; rts && i < nrt; i++) {
        bp_idwindow_free(rts[i].ids);
        json_decref(rts[i].cursor);
        free(rts[i].etag);
        free(rts[i].last_modified);
        pthread_mutex_destroy(&rts[i].mu);
        pthread_cond_destroy(&rts[i].cv);
    }
    free(rts);
    bp_metrics_free(metrics); /* after the feed threads: they hold handles */
    collector_cur_src = src;
    bp_cfg_free(collector_cfg_table, &cfg);
    return status;
}
