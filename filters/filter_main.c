/* filter_main.c — bp-filter: bp.posts -> rule engine -> bp.mentions (+ bp.alerts keyed by brand).
 *
 * Kafka mode (-c FILE) is at least once: a post's offset is stored only after its mention, its
 * alerts or its dead letter were acknowledged by the broker. The same engine runs in file mode
 * (--rules DIR --input F --output F) for batch work and benchmarks. Rules are reloaded on SIGHUP
 * or when a file in the rules directory changes; a broken set is refused and the old one keeps
 * running. A shadow rule set (filter.shadow_rules) is judged beside the live one and every
 * disagreement is logged and counted, without alerting on it. */
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "engine.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "postview.h"
#include "sig.h"
#include "timeutil.h"

typedef struct filter_cfg {
    bp_common_cfg_t common;
    char *rules_dir;
    char *shadow_dir;
    int64_t reload_check_ms;
} filter_cfg_t;

static const bp_cfg_entry_t filter_section_table[] = {
    {"rules", BP_CFG_STR, "rules", offsetof(filter_cfg_t, rules_dir), "rules directory", NULL,
     NULL, NULL, 0},
    {"shadow_rules", BP_CFG_STR, "", offsetof(filter_cfg_t, shadow_dir),
     "a candidate rules directory judged beside the live one (disagreements logged only)",
     NULL, NULL, NULL, 0},
    {"reload_check", BP_CFG_DURATION, "2s", offsetof(filter_cfg_t, reload_check_ms),
     "how often to look for changed rule files (0: only on SIGHUP)", NULL, NULL, NULL, 0},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0}};

static const bp_cfg_entry_t filter_table[] = {
    BP_CFG_COMMON_ENTRIES(offsetof(filter_cfg_t, common)),
    {"filter", BP_CFG_SECTION, NULL, 0, "the rule engine", filter_section_table, NULL, NULL, 0},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0}};

/* A loaded rule set with its engine. */
typedef struct ruleslot {
    bp_rules_t *rules;
    bp_engine_t *engine;
    uint64_t signature; /* of the directory's files (names, sizes, mtimes) */
} ruleslot_t;

typedef struct filter_stats {
    uint64_t posts, mentions, alerts, dead, shadow_disagree, reloads, reload_failures;
} filter_stats_t;

/* FNV-1a over names, sizes and mtimes of every file under dir: changes when a rule changes. */
static void dir_signature(const char *dir, uint64_t *h, int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > 8) {
        if (d)
            closedir(d);
        return;
    }
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            dir_signature(path, h, depth + 1);
            continue;
        }
        /* order-independent: sum of per-file hashes */
        uint64_t fh = 1469598103934665603ULL;
        for (const char *p = path; *p; p++)
            fh = (fh ^ (unsigned char)*p) * 1099511628211ULL;
        fh = (fh ^ (uint64_t)st.st_size) * 1099511628211ULL;
        fh = (fh ^ (uint64_t)st.st_mtim.tv_sec) * 1099511628211ULL;
        fh = (fh ^ (uint64_t)st.st_mtim.tv_nsec) * 1099511628211ULL;
        *h += fh;
    }
    closedir(d);
}

static uint64_t rules_signature(const char *dir)
{
    uint64_t h = 0;
    dir_signature(dir, &h, 0);
    return h;
}

static void ruleslot_free(ruleslot_t *s)
{
    bp_engine_free(s->engine);
    bp_rules_free(s->rules);
    s->engine = NULL;
    s->rules = NULL;
}

/* Loads dir into s. On failure logs every error and leaves s untouched. */
static int ruleslot_load(ruleslot_t *s, const char *dir, const char *what)
{
    bp_buf_t errs = BP_BUF_INIT(0);
    uint64_t sig = rules_signature(dir);
    bp_rules_t *r = bp_rules_load(dir, &errs);
    if (!r) {
        char *save = NULL;
        for (char *l = strtok_r(errs.data ? errs.data : "", "\n", &save); l;
             l = strtok_r(NULL, "\n", &save))
            bp_error("%s rules: %s", what, l);
        bp_buf_free(&errs);
        return -1;
    }
    bp_buf_free(&errs);
    bp_engine_t *e = bp_engine_new(r);
    if (!e) {
        bp_rules_free(r);
        return bp_error("%s rules: out of memory", what);
    }
    ruleslot_free(s);
    s->rules = r;
    s->engine = e;
    s->signature = sig;
    bp_info("%s rules loaded from %s: version %s", what, dir, bp_rules_version(r));
    return 0;
}

/* Reloads when asked (SIGHUP) or when the directory changed; keeps the old set on failure. */
static void ruleslot_maybe_reload(ruleslot_t *s, const char *dir, const char *what, int forced,
                                  filter_stats_t *st)
{
    if (!forced && rules_signature(dir) == s->signature)
        return;
    uint64_t sig = rules_signature(dir);
    if (ruleslot_load(s, dir, what) != 0) {
        st->reload_failures++;
        s->signature = sig; /* do not retry the same broken files every few seconds */
        bp_error("%s rules: reload refused; still running version %s", what,
                 s->rules ? bp_rules_version(s->rules) : "(none)");
        return;
    }
    st->reloads++;
}

/* Compares the live and the shadow verdicts; logs and counts a disagreement. */
static void filter_shadow_compare(const json_t *post, const json_t *live, const json_t *cand,
                                  filter_stats_t *st)
{
    const char *lb = "", *cb = "";
    char *ls = live ? json_dumps(json_object_get(live, "brands"), JSON_COMPACT) : NULL;
    char *cs = cand ? json_dumps(json_object_get(cand, "brands"), JSON_COMPACT) : NULL;
    if (ls)
        lb = ls;
    if (cs)
        cb = cs;
    int la = live && json_is_true(json_object_get(live, "alert"));
    int ca = cand && json_is_true(json_object_get(cand, "alert"));
    const char *lp = live ? bp_json_str(live, "priority") : "";
    const char *cp = cand ? bp_json_str(cand, "priority") : "";
    if (strcmp(lb, cb) != 0 || la != ca || strcmp(lp, cp) != 0) {
        st->shadow_disagree++;
        bp_info("shadow disagrees on %s: live brands=%s alert=%d priority=%s; candidate "
                "brands=%s alert=%d priority=%s",
                bp_json_str(post, "id"), *lb ? lb : "[]", la, *lp ? lp : "-", *cb ? cb : "[]",
                ca, *cp ? cp : "-");
    }
    free(ls);
    free(cs);
}

/* Brands to alert for: the engine's alert_brands when it names them, else every brand. */
static const json_t *filter_alert_brands(const json_t *mention)
{
    const json_t *a = json_object_get(mention, "alert_brands");
    return json_is_array(a) ? a : json_object_get(mention, "brands");
}

/* ---------------- Kafka mode ---------------- */

/* Metric series looked up by one label value, remembered so that a post costs no registry
 * lookup (a mutex and a search over every series): an open-addressing table of label -> handle
 * that doubles when three quarters full. Values longer than a slot's label, or a table that
 * cannot grow, are looked up every time. */
typedef struct filter_handle { char label[48]; void *h; } filter_handle_t;
typedef struct filter_handles {
    filter_handle_t *slot;
    size_t cap, used;
} filter_handles_t;

static uint32_t filter_label_hash(const char *label, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)label[i]) * 16777619u;
    return h;
}

/* Doubles the table (at least 256 slots). Returns 0 or -1 (it stays as it was). */
static int filter_handles_grow(filter_handles_t *hs)
{
    size_t cap = hs->cap ? hs->cap * 2 : 256;
    filter_handle_t *s = calloc(cap, sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < hs->cap; i++) {
        if (!hs->slot[i].h)
            continue;
        size_t at = filter_label_hash(hs->slot[i].label, strlen(hs->slot[i].label)) & (cap - 1);
        while (s[at].h)
            at = (at + 1) & (cap - 1);
        s[at] = hs->slot[i];
    }
    free(hs->slot);
    hs->slot = s;
    hs->cap = cap;
    return 0;
}

/* The handle slot for label (n bytes): filled (*slot != NULL) or to be filled by the caller;
 * NULL when it cannot be remembered. */
static void **filter_handle_slot(filter_handles_t *hs, const char *label, size_t n)
{
    if (n >= sizeof hs->slot[0].label)
        return NULL;
    if ((hs->used + 1) * 4 > hs->cap * 3 && filter_handles_grow(hs) < 0)
        return NULL;
    for (size_t at = filter_label_hash(label, n) & (hs->cap - 1);; at = (at + 1) & (hs->cap - 1)) {
        filter_handle_t *s = &hs->slot[at];
        if (!s->h) {
            memcpy(s->label, label, n);
            s->label[n] = '\0';
            hs->used++;
            return &s->h; /* the caller fills it; a slot it leaves empty is taken again */
        }
        if (strncmp(s->label, label, n) == 0 && s->label[n] == '\0')
            return &s->h;
    }
}

static void filter_handles_free(filter_handles_t *hs)
{
    free(hs->slot);
    memset(hs, 0, sizeof *hs);
}

typedef struct filter_kafka {
    filter_cfg_t *cfg;
    bp_producer_t *prod;
    bp_consumer_t *cons;
    ruleslot_t live, shadow;
    filter_stats_t st;
    bp_metrics_t *mx;
    bp_counter_t *m_in, *m_mentions, *m_dead, *m_reload_ok, *m_reload_refused, *m_shadow;
    bp_hist_t *h_proc;
    bp_gauge_t *g_pending;      /* posts whose outputs await acknowledgement */
    bp_post_view_t view;        /* the record being judged, scanned in one pass */
    bp_buf_t mbuf, abuf;        /* its mention, an alert record built from it */
    filter_handles_t brand_hits, freshness, alerts_out; /* metric series by brand, source,
                                                         * priority */
} filter_kafka_t;

static bp_counter_t *filter_brand_counter(filter_kafka_t *fk, const char *brand)
{
    void **slot = filter_handle_slot(&fk->brand_hits, brand, strlen(brand));
    if (slot && *slot)
        return *slot;
    bp_counter_t *c = bp_metrics_counter(fk->mx, "bp_matches_total", "Brand matches", "brand",
                                         brand, NULL);
    if (slot)
        *slot = c;
    return c;
}

static bp_hist_t *filter_freshness_hist(filter_kafka_t *fk, const char *source, size_t n)
{
    void **slot = filter_handle_slot(&fk->freshness, source, n);
    if (slot && *slot)
        return *slot;
    char label[256];
    snprintf(label, sizeof label, "%.*s", (int)n, source);
    bp_hist_t *h = bp_metrics_hist(fk->mx, "bp_freshness_seconds", "From published_at to this stage",
                                   NULL, 0, "stage", "filtered", "source", label, NULL);
    if (slot)
        *slot = h;
    return h;
}

static int filter_deadletter(filter_kafka_t *fk, const rd_kafka_message_t *m, bp_inflight_t *t,
                             const char *reason)
{
    fk->st.dead++;
    bp_counter_inc(fk->m_dead);
    bp_inflight_hold(t);
    if (bp_deadletter(fk->prod, fk->cfg->common.topics.deadletter, "filter", reason,
                      rd_kafka_topic_name(m->rkt), m->partition, m->offset, NULL, m->key,
                      m->key_len, m->payload, m->len, bp_inflight_ack, t) != 0) {
        bp_inflight_ack(t, RD_KAFKA_RESP_ERR__FAIL);
        return -1;
    }
    return 0;
}

static int filter_produce(filter_kafka_t *fk, bp_inflight_t *t, const char *topic,
                          const char *key, const char *value)
{
    char err[512];
    bp_inflight_hold(t);
    if (bp_produce(fk->prod, topic, key, strlen(key), value, strlen(value), NULL,
                   bp_inflight_ack, t, err, sizeof err) != 0) {
        bp_inflight_ack(t, RD_KAFKA_RESP_ERR__FAIL);
        return bp_error("%s", err);
    }
    return 0;
}

static int filter_produce_n(filter_kafka_t *fk, bp_inflight_t *t, const char *topic,
                            const char *key, size_t klen, const char *value, size_t vlen)
{
    char err[512];
    bp_inflight_hold(t);
    if (bp_produce(fk->prod, topic, key, klen, value, vlen, NULL, bp_inflight_ack, t, err,
                   sizeof err) != 0) {
        bp_inflight_ack(t, RD_KAFKA_RESP_ERR__FAIL);
        return bp_error("%s", err);
    }
    return 0;
}

/* filter_handle for a record bp_post_view_scan vouched for: judged from its view, the
 * mention spliced into its bytes, each alert record that mention with its alert_brand
 * appended (what the json_t path writes, without building or dumping a tree). */
static int filter_handle_view(filter_kafka_t *fk, const rd_kafka_message_t *m,
                              bp_inflight_t *t)
{
    char reason[512];
    const bp_post_view_t *v = &fk->view;
    const bp_engine_t *e = fk->live.engine;
    int alert = 0;
    int64_t t0 = bp_mono_ms();
    int rc = bp_engine_judge_view(fk->live.engine, v, m->payload, m->len, &fk->mbuf, &alert,
                                  reason, sizeof reason);
    bp_hist_observe(fk->h_proc, (double)(bp_mono_ms() - t0) / 1000.0);
    if (rc < 0)
        return filter_deadletter(fk, m, t, reason);
    if (rc == 0)
        return 0;
    fk->st.mentions++;
    bp_counter_inc(fk->m_mentions);
    int alerted;
    const char *brand;
    for (size_t i = 0; (brand = bp_engine_mention_brand(e, i, &alerted)); i++)
        bp_counter_inc(filter_brand_counter(fk, brand));
    char ts[64];
    int64_t pub;
    if (bp_strv_cstr(v->published_at, ts, sizeof ts) &&
        bp_time_parse_rfc3339(ts, &pub) == 0)
        bp_hist_observe_since_ms(filter_freshness_hist(fk, v->source.s, v->source.n), pub);
    if (filter_produce_n(fk, t, fk->cfg->common.topics.mentions, v->id.s, v->id.n,
                         fk->mbuf.data, fk->mbuf.len) != 0)
        return -1;
    if (!alert)
        return 0;
    const char *pr = bp_engine_mention_priority(e);
    void **slot = filter_handle_slot(&fk->alerts_out, pr, strlen(pr));
    bp_counter_t *prio = slot && *slot ? *slot
                                       : bp_metrics_counter(fk->mx, "bp_alerts_out_total",
                                                            "Records written to bp.alerts",
                                                            "priority", pr, NULL);
    if (slot)
        *slot = prio;
    for (size_t i = 0; (brand = bp_engine_mention_brand(e, i, &alerted)); i++) {
        if (!alerted)
            continue;
        /* brand ids are [a-z0-9_-]: nothing to escape */
        bp_buf_t *a = &fk->abuf;
        bp_buf_reset(a);
        if (bp_buf_append(a, fk->mbuf.data, fk->mbuf.len - 1) != 0 ||
            bp_buf_puts(a, ",\"alert_brand\":\"") != 0 || bp_buf_puts(a, brand) != 0 ||
            bp_buf_puts(a, "\"}") != 0)
            return bp_error("the alert record of post %.*s exceeds %zu bytes", (int)v->id.n,
                            v->id.s, a->limit);
        fk->st.alerts++;
        bp_counter_inc(prio);
        if (filter_produce_n(fk, t, fk->cfg->common.topics.alerts, brand, strlen(brand),
                             a->data, a->len) != 0)
            return -1;
    }
    return 0;
}

/* Judges one consumed record and produces what follows from it. Returns 0 or -1 (fatal). */
static int filter_handle(filter_kafka_t *fk, const rd_kafka_message_t *m, bp_inflight_t *t)
{
    char reason[512];
    fk->st.posts++;
    bp_counter_inc(fk->m_in);
    /* the shadow comparison wants both mentions as trees: that path is the json_t one */
    if (!fk->shadow.engine && m->payload &&
        bp_post_view_scan(&fk->view, m->payload, m->len) == 1)
        return filter_handle_view(fk, m, t);
    json_t *post = bp_post_parse(m->payload ? m->payload : "", m->len, reason, sizeof reason);
    if (!post)
        return filter_deadletter(fk, m, t, reason);
    json_t *mention = NULL;
    int64_t t0 = bp_mono_ms();
    int rc = bp_engine_judge(fk->live.engine, post, &mention, reason, sizeof reason);
    bp_hist_observe(fk->h_proc, (double)(bp_mono_ms() - t0) / 1000.0);
    if (fk->shadow.engine) {
        json_t *cand = NULL;
        char cerr[256];
        int crc = bp_engine_judge(fk->shadow.engine, post, &cand, cerr, sizeof cerr);
        uint64_t before = fk->st.shadow_disagree;
        if (crc >= 0 && rc >= 0)
            filter_shadow_compare(post, mention, cand, &fk->st);
        bp_counter_add(fk->m_shadow, fk->st.shadow_disagree - before);
        json_decref(cand);
    }
    if (rc < 0) {
        json_decref(post);
        return filter_deadletter(fk, m, t, reason);
    }
    int out = 0;
    if (rc == 1 && mention) {
        fk->st.mentions++;
        bp_counter_inc(fk->m_mentions);
        size_t bi;
        const json_t *bj;
        json_array_foreach(json_object_get(mention, "brands"), bi, bj)
            bp_counter_inc(bp_metrics_counter(fk->mx, "bp_matches_total", "Brand matches",
                                              "brand", json_string_value(bj) ? json_string_value(bj) : "", NULL));
        int64_t pub;
        if (bp_time_parse_rfc3339(bp_json_str(post, "published_at"), &pub) == 0)
            bp_hist_observe_since_ms(
                bp_metrics_hist(fk->mx, "bp_freshness_seconds", "From published_at to this stage",
                                NULL, 0, "stage", "filtered", "source", bp_json_str(post, "source"), NULL),
                pub);
        char *js = bp_json_dump(mention);
        const char *id = bp_json_str(post, "id");
        if (!js || filter_produce(fk, t, fk->cfg->common.topics.mentions, id, js) != 0)
            out = -1;
        free(js);
        if (out == 0 && json_is_true(json_object_get(mention, "alert"))) {
            const json_t *brands = filter_alert_brands(mention);
            size_t i;
            const json_t *b;
            json_array_foreach(brands, i, b)
            {
                const char *brand = json_string_value(b);
                if (!brand)
                    continue;
                json_object_set_new(mention, "alert_brand", json_string(brand));
                char *as = bp_json_dump(mention);
                fk->st.alerts++;
                bp_counter_inc(bp_metrics_counter(fk->mx, "bp_alerts_out_total", "Records written to bp.alerts",
                                                  "priority", bp_json_str(mention, "priority"), NULL));
                if (!as || filter_produce(fk, t, fk->cfg->common.topics.alerts, brand, as) != 0)
                    out = -1;
                free(as);
            }
        }
    }
    json_decref(mention);
    json_decref(post);
    return out;
}

static void filter_on_assign(void *opaque, const rd_kafka_topic_partition_list_t *parts)
{
    bp_metrics_set_ready(opaque, 1);
}

static int filter_run_kafka(filter_cfg_t *cfg)
{
    filter_kafka_t fk;
    memset(&fk, 0, sizeof fk);
    fk.cfg = cfg;
    bp_post_view_init(&fk.view);
    bp_buf_init(&fk.mbuf, BP_POST_MAX_BYTES * 4);
    bp_buf_init(&fk.abuf, BP_POST_MAX_BYTES * 4 + 256);
    char err[1024];
    if (ruleslot_load(&fk.live, cfg->rules_dir, "live") != 0)
        return BP_EXIT_USAGE;
    if (*cfg->shadow_dir && ruleslot_load(&fk.shadow, cfg->shadow_dir, "shadow") != 0) {
        ruleslot_free(&fk.live);
        return BP_EXIT_USAGE;
    }
    int rc = BP_EXIT_OK;
    fk.mx = bp_metrics_start("bp-filter", cfg->common.metrics_listen, err, sizeof err);
    if (!fk.mx) {
        bp_error("%s", err);
        ruleslot_free(&fk.live);
        ruleslot_free(&fk.shadow);
        return BP_EXIT_USAGE;
    }
    fk.m_in = bp_metrics_counter(fk.mx, "bp_posts_in_total", "Records read from bp.posts", NULL);
    fk.m_mentions = bp_metrics_counter(fk.mx, "bp_mentions_total", "Mentions written", NULL);
    fk.m_dead = bp_metrics_counter(fk.mx, "bp_deadlettered_total", "Records dead-lettered", "stage", "filter", NULL);
    fk.h_proc = bp_metrics_hist(fk.mx, "bp_processing_seconds", "Time to judge one post", NULL, 0, NULL);
    fk.g_pending = bp_metrics_gauge(fk.mx, "bp_outputs_pending",
                                    "Posts judged whose outputs are not acknowledged yet", NULL);
    fk.m_reload_ok = bp_metrics_counter(fk.mx, "bp_rules_reloads_total", "Rule set reloads",
                                        "result", "ok", NULL);
    fk.m_reload_refused = bp_metrics_counter(fk.mx, "bp_rules_reloads_total", "Rule set reloads",
                                             "result", "refused", NULL);
    fk.m_shadow = bp_metrics_counter(fk.mx, "bp_shadow_disagreements_total",
                                     "Posts the shadow rule set judged differently", NULL);
    bp_kafka_set_stats(bp_metrics_rdkafka_stats_cb, fk.mx, 15000);
    bp_consumer_hooks_t hooks = {filter_on_assign, NULL, fk.mx};
    fk.prod = bp_producer_new(&cfg->common.kafka, "bp-filter", err, sizeof err);
    const char *topics[] = {cfg->common.topics.posts};
    if (fk.prod)
        fk.cons = bp_consumer_new(&cfg->common.kafka, "bp-filter", topics, 1, &hooks, err, sizeof err);
    if (!fk.prod || !fk.cons) {
        bp_error("%s", err);
        rc = BP_EXIT_USAGE;
        goto out;
    }
    bp_consumer_attach_producer(fk.cons, fk.prod);
    bp_info("filtering %s -> %s, %s (group %s)", cfg->common.topics.posts,
            cfg->common.topics.mentions, cfg->common.topics.alerts, cfg->common.kafka.group);
    int64_t next_check = bp_mono_ms() + cfg->reload_check_ms, next_stats = bp_mono_ms() + 30000;
    while (bp_running) {
        bp_metrics_heartbeat(fk.mx);
        rd_kafka_message_t *m = bp_consumer_poll(fk.cons, 100);
        if (m) {
            bp_inflight_t *t = bp_consumer_begin(fk.cons, m);
            int hr = t ? filter_handle(&fk, m, t) : -1;
            if (t)
                bp_inflight_release(t);
            rd_kafka_message_destroy(m);
            if (hr != 0) {
                bp_error("cannot hand on a post: stopping so that it is redone after a restart");
                rc = BP_EXIT_RUNTIME;
                break;
            }
        }
        bp_producer_poll(fk.prod, 0);
        int pending = bp_consumer_store_ready(fk.cons);
        bp_gauge_set(fk.g_pending, pending > 0 ? pending : 0);
        if (pending < 0) {
            bp_error("an output was not acknowledged: stopping without committing past it");
            rc = BP_EXIT_RUNTIME;
            break;
        }
        if (pending > 10000)
            bp_producer_poll(fk.prod, 10); /* back-pressure: let acknowledgements catch up */
        if (bp_consumer_fatal(fk.cons) || bp_producer_fatal(fk.prod, err, sizeof err)) {
            rc = BP_EXIT_RUNTIME;
            break;
        }
        int64_t now = bp_mono_ms();
        int forced = bp_reload;
        if (forced || (cfg->reload_check_ms > 0 && now >= next_check)) {
            bp_reload = 0;
            uint64_t ok0 = fk.st.reloads, bad0 = fk.st.reload_failures;
            ruleslot_maybe_reload(&fk.live, cfg->rules_dir, "live", forced, &fk.st);
            if (*cfg->shadow_dir)
                ruleslot_maybe_reload(&fk.shadow, cfg->shadow_dir, "shadow", forced, &fk.st);
            bp_counter_add(fk.m_reload_ok, fk.st.reloads - ok0);
            bp_counter_add(fk.m_reload_refused, fk.st.reload_failures - bad0);
            next_check = now + cfg->reload_check_ms;
        }
        if (now >= next_stats) {
            bp_info("posts %" PRIu64 ", mentions %" PRIu64 ", alerts %" PRIu64 ", dead-lettered %" PRIu64
                    ", shadow disagreements %" PRIu64,
                    fk.st.posts, fk.st.mentions, fk.st.alerts, fk.st.dead, fk.st.shadow_disagree);
            next_stats = now + 30000;
        }
    }
out:
    bp_metrics_set_ready(fk.mx, 0);
    bp_consumer_close(fk.cons); /* flushes the producer, commits what is acknowledged */
    bp_producer_destroy(fk.prod);
    bp_metrics_free(fk.mx);
    bp_info("stopped: posts %" PRIu64 ", mentions %" PRIu64 ", alerts %" PRIu64
            ", dead-lettered %" PRIu64 ", rule reloads %" PRIu64 " (%" PRIu64 " refused)",
            fk.st.posts, fk.st.mentions, fk.st.alerts, fk.st.dead, fk.st.reloads,
            fk.st.reload_failures);
    ruleslot_free(&fk.live);
    ruleslot_free(&fk.shadow);
    bp_post_view_free(&fk.view);
    bp_buf_free(&fk.mbuf);
    bp_buf_free(&fk.abuf);
    filter_handles_free(&fk.brand_hits);
    filter_handles_free(&fk.freshness);
    filter_handles_free(&fk.alerts_out);
    return rc;
}

/* ---------------- file mode ---------------- */

/* CPU time this process has used, in seconds (user and system, every thread). */
static double filter_cpu_seconds(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Gives f a 1 MiB buffer if it is a regular file. */
static void filter_big_buffer(FILE *f)
{
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
        setvbuf(f, NULL, _IOFBF, (size_t)1 << 20);
}

static int filter_run_files(const char *rules_dir, const char *in_path, const char *out_path)
{
    ruleslot_t live = {0};
    if (ruleslot_load(&live, rules_dir, "live") != 0)
        return BP_EXIT_USAGE;
    FILE *in = strcmp(in_path, "-") == 0 ? stdin : fopen(in_path, "r");
    FILE *out = strcmp(out_path, "-") == 0 ? stdout : fopen(out_path, "w");
    int rc = BP_EXIT_OK;
    if (!in || !out) {
        bp_error("cannot open %s", !in ? in_path : out_path);
        rc = BP_EXIT_RUNTIME;
        goto done;
    }
    /* files are read and written in large blocks (fewer system calls); a pipe or terminal
     * keeps stdio's own buffering, so that a reader sees mentions as they come */
    filter_big_buffer(in);
    filter_big_buffer(out);
    char *line = NULL, reason[512];
    size_t cap = 0;
    ssize_t n;
    uint64_t lineno = 0, posts = 0, mentions = 0, alerts = 0, bad = 0;
    bp_buf_t mbuf = BP_BUF_INIT(BP_POST_MAX_BYTES * 4); /* one mention, reused */
    bp_post_view_t view;
    bp_post_view_init(&view);
    int64_t t0 = bp_mono_ms();
    double cpu0 = filter_cpu_seconds();
    while ((n = getline(&line, &cap, in)) > 0 && bp_running) {
        lineno++;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        int alert = 0, r;
        /* the mention is the record's own bytes with the engine's fields spliced in; a record
         * the one-pass scanner cannot vouch for goes through jansson, which names its fault */
        if (bp_post_view_scan(&view, line, (size_t)n) == 1) {
            posts++;
            r = bp_engine_judge_view(live.engine, &view, line, (size_t)n, &mbuf, &alert, reason,
                                     sizeof reason);
            if (r < 0)
                bp_warn("%s:%" PRIu64 ": post %.*s: %s", in_path, lineno, (int)view.id.n,
                        view.id.s, reason);
        } else {
            json_t *post = bp_post_parse(line, (size_t)n, reason, sizeof reason);
            if (!post) {
                bad++;
                bp_warn("%s:%" PRIu64 ": %s", in_path, lineno, reason);
                continue;
            }
            posts++;
            r = bp_engine_judge_raw(live.engine, post, line, (size_t)n, &mbuf, &alert, reason,
                                    sizeof reason);
            if (r < 0)
                bp_warn("%s:%" PRIu64 ": post %s: %s", in_path, lineno, bp_json_str(post, "id"),
                        reason);
            json_decref(post);
        }
        if (r < 0) {
            bad++;
        } else if (r == 1) {
            mentions++;
            alerts += alert != 0;
            mbuf.data[mbuf.len] = '\n'; /* over the NUL: the line and its newline in one write */
            fwrite(mbuf.data, 1, mbuf.len + 1, out);
        }
    }
    free(line);
    bp_buf_free(&mbuf);
    bp_post_view_free(&view);
    /* the last buffered mentions are written inside the timed part */
    int flushed = fflush(out);
    int64_t ms = bp_mono_ms() - t0;
    double cpu = filter_cpu_seconds() - cpu0;
    /* the CPU figure is the per-core one: on a shared machine the wall clock also counts the
     * time other processes had the core */
    bp_info("%" PRIu64 " post(s), %" PRIu64 " mention(s), %" PRIu64 " alert(s), %" PRIu64
            " rejected, %.3f s (CPU %.3f s, %.0f posts per CPU second), %.0f posts/s",
            posts, mentions, alerts, bad, ms / 1000.0, cpu, cpu > 0 ? posts / cpu : 0.0,
            ms > 0 ? posts * 1000.0 / ms : 0.0);
    if (flushed != 0) {
        bp_error("cannot write %s", out_path);
        rc = BP_EXIT_RUNTIME;
    }
done:
    if (in && in != stdin)
        fclose(in);
    if (out && out != stdout)
        fclose(out);
    ruleslot_free(&live);
    return rc;
}

static void usage(void)
{
    printf("Usage: bp-filter -c FILE [--brokers LIST]            (Kafka mode)\n"
           "       bp-filter --rules DIR --input F --output F    (file mode; - is stdin/stdout)\n"
           "Kafka mode reads posts, writes every brand match to the mentions topic and the\n"
           "mentions to alert on to the alerts topic (keyed by brand). Unreadable posts go to\n"
           "the dead-letter topic. SIGHUP, or a changed rule file, reloads the rules.\n\n"
           "  -c, --config FILE   YAML configuration (keys below)\n"
           "  --rules DIR         rules directory (overrides filter.rules)\n"
           "  --input F, --output F  file mode: JSONL posts in, JSONL mentions out\n"
           "  --brokers LIST      Kafka bootstrap servers\n"
           "  --check-config      load the configuration and the rules, report, and exit\n"
           "  --help, --version\n\nConfiguration keys:\n");
    bp_cfg_print_help(filter_table, 2);
}

int main(int argc, char **argv)
{
    bp_log_init("bp-filter");
    const char *cfg_path = NULL, *brokers = NULL, *rules = NULL, *input = NULL, *output = NULL;
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"rules", required_argument, NULL, 'r'},
        {"input", required_argument, NULL, 'i'},  {"output", required_argument, NULL, 'o'},
        {"brokers", required_argument, NULL, 'b'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {"check-config", no_argument, NULL, 'C'},
        {"check", no_argument, NULL, 'C'},
        {NULL, 0, NULL, 0}};
    int o, check_only = 0;
    while ((o = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
        switch (o) {
        case 'c': cfg_path = optarg; break;
        case 'C': check_only = 1; break;
        case 'r': rules = optarg; break;
        case 'i': input = optarg; break;
        case 'o': output = optarg; break;
        case 'b': brokers = optarg; break;
        case 'h': usage(); return BP_EXIT_OK;
        case 'V': bp_cli_version("bp-filter"); return BP_EXIT_OK;
        default: return bp_cli_usage_error("bp-filter", "unknown option");
        }
    }
    if (optind < argc)
        return bp_cli_usage_error("bp-filter", "unexpected argument '%s'", argv[optind]);
    bp_signals_install();
    if (input || output) {
        if (!input || !output || !rules)
            return bp_cli_usage_error("bp-filter", "file mode needs --rules, --input and --output");
        return filter_run_files(rules, input, output);
    }
    if (!cfg_path && !rules)
        return bp_cli_usage_error("bp-filter", "give -c FILE (Kafka mode) or --rules/--input/--output");
    filter_cfg_t cfg;
    memset(&cfg, 0, sizeof cfg);
    char err[1024];
    int rc;
    if (bp_cfg_load(cfg_path, filter_table, &cfg, &cfg.common, brokers, err, sizeof err) != 0) {
        fprintf(stderr, "bp-filter: %s\n", err);
        rc = BP_EXIT_USAGE;
    } else {
        if (!cfg.common.kafka.group || !*cfg.common.kafka.group) {
            free(cfg.common.kafka.group);
            cfg.common.kafka.group = strdup("bp-filter");
        }
        if (rules) {
            free(cfg.rules_dir);
            cfg.rules_dir = strdup(rules);
        }
        if (check_only) {
            ruleslot_t slot = {0};
            rc = ruleslot_load(&slot, cfg.rules_dir, "live") == 0 ? BP_EXIT_OK : BP_EXIT_USAGE;
            ruleslot_free(&slot);
            if (rc == BP_EXIT_OK)
                printf("%s: configuration and rules are valid\n", cfg_path ? cfg_path : "defaults");
        } else {
            rc = filter_run_kafka(&cfg);
        }
    }
    bp_cfg_free(filter_table, &cfg);
    return rc;
}
