/* replay_main.c — bp-replay: reads a topic over [from, to), optionally re-runs rules (or
 * compares two rule sets), and writes JSONL, CSV, a terminal summary or an HTML report; can
 * re-publish re-filtered mentions and dry-run the alerter's flood control (docs/replay.md). */
#include <getopt.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alertcfg.h"
#include "cli.h"
#include "config.h"
#include "engine.h"
#include "idwindow.h"
#include "kafka.h"
#include "log.h"
#include "model.h"
#include "rpagg.h"
#include "rpcmp.h"
#include "rpcsv.h"
#include "rpdry.h"
#include "rphtml.h"
#include "rpprog.h"
#include "rpread.h"
#include "sig.h"
#include "timeutil.h"

#define PROG "bp-replay"
#define REPLAY_CMP_KEEP 500 /* disagreements listed in the summary and the HTML report */

enum replay_format { FMT_JSONL, FMT_CSV, FMT_SUMMARY, FMT_HTML };

typedef struct replay_cfg {
    bp_common_cfg_t common;
} replay_cfg_t;

static const bp_cfg_entry_t replay_cfg_table[] = {
    BP_CFG_COMMON_ENTRIES(offsetof(replay_cfg_t, common)),
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0}};

typedef struct replay {
    /* options */
    const char *topic, *rules_dir, *cmp_dir, *to_topic, *output;
    int64_t from_ms, to_ms, bucket_ms;
    enum replay_format fmt;
    int bom, dry, progress, dedup;
    long long dedup_cap;
    int64_t idle_ms;
    bp_strlist_t brands, sources, langs;
    /* state */
    bp_rules_t *rules[2];
    bp_engine_t *eng[2];
    FILE *out;
    bp_buf_t line;
    rpagg_t *agg;
    rpcmp_totals_t cmp;
    json_t *cmp_records;
    rpdry_t *dryrun;
    alert_cfg_t acfg; /* the alerter's configuration for --alerts */
    int acfg_loaded;
    bp_producer_t *prod;
    bp_idwindow_t *seen;
    long long malformed, duplicates, filtered_out, judge_errors, nomatch, output_errors,
        produced;
} replay_t;

static void usage(void)
{
    printf("Usage: bp-replay --topic T [--from TIME] [--to TIME] [options]\n"
           "Reads topic T (bp.posts or bp.mentions) over [from, to) by record timestamp, without a\n"
           "consumer group and without committing, and reports on what it read.\n"
           "TIME is RFC 3339 (2026-11-22T10:00:00Z), relative (-24h, -7d, -90m) or \"now\";\n"
           "without --from the topic is read from its beginning, without --to up to its end.\n\n"
           "  --brokers LIST        bootstrap servers (default: kafka.brokers, BP_BROKERS)\n"
           "  -c FILE               YAML with the shared keys (kafka, topics, log_level)\n"
           "  -X KEY=VALUE          a librdkafka property\n"
           "  --rules DIR           re-run these rules over what is read (posts or mentions)\n"
           "  --compare DIR2        also judge with DIR2: mentions and alerts per set and the posts\n"
           "                        on which the sets disagree (needs --rules)\n"
           "  --brand B             keep mentions of brand B (repeatable, or a,b,c)\n"
           "  --source S, --lang L  keep posts of that source / language (repeatable, or a,b)\n"
           "  --format F            jsonl | csv | summary | html (default summary)\n"
           "  --bom                 csv: start with a UTF-8 byte order mark (for spreadsheets)\n"
           "  --bucket B            hour | day | auto (default auto: day past 3 days)\n"
           "  -o, --output FILE     write there instead of stdout\n"
           "  --to-topic T2         re-publish the re-filtered mentions to T2 (needs --rules;\n"
           "                        idempotent producer; exit 1 if any delivery failed)\n"
           "  --alerts              dry run of the alerter on event time (its routing, dedup, folding,\n"
           "                        incidents, digests): the messages each channel would have got\n"
           "                        (jsonl or summary); nothing is delivered\n"
           "  --alert-config FILE   the alerter's YAML (bp-alert -c FILE): routes, channels, settings;\n"
           "                        default: one channel, every alert routed, the alerter's defaults\n"
           "  --incident-threshold N, --incident-window D, --incident-quiet D, --fold-window D,\n"
           "  --fold-distance N, --digest-every D, --digest-priorities a,b, --dedup-size N\n"
           "                        override those settings (D: 30s, 10m, 2h...)\n"
           "  --keep-duplicates     count a post id seen twice twice (default: once)\n"
           "  --no-progress         no progress line (it is shown only when stderr is a terminal)\n"
           "  --idle-timeout D      give up when the broker sends nothing for D (default 60s)\n"
           "  --log-level L         debug, info, warn or error (default: the config's, info)\n"
           "  --help, --version\n"
           "Exit status: 0 done, 1 runtime failure (broker, delivery), 2 bad usage.\n");
}

/* Adds every comma-separated item of s to l. Returns 0 or -1. */
static int replay_split(bp_strlist_t *l, const char *s)
{
    char *copy = strdup(s), *save = NULL;
    if (!copy)
        return -1;
    int rc = 0;
    for (char *t = strtok_r(copy, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save))
        if (*t)
            rc = bp_strlist_push(l, t);
    free(copy);
    return rc;
}

/* The fields the filter adds to a post: removed before rules are run again. */
static const char *const replay_mention_keys[] = {
    "brands", "matches", "sentiment", "brand_sentiment", "alert", "priority",
    "reasons", "rules_version", "filtered_at"};

static int replay_has_brand(const json_t *m, const bp_strlist_t *want)
{
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(m, "brands"), i, b) {
        if (json_is_string(b) && bp_strlist_contains(want, json_string_value(b)))
            return 1;
    }
    return 0;
}

static int replay_write(replay_t *r, const void *p, size_t n)
{
    if (fwrite(p, 1, n, r->out) != n) {
        r->output_errors++;
        return -1;
    }
    return 0;
}

static int replay_write_json(replay_t *r, const json_t *o)
{
    char *s = bp_json_dump(o);
    if (!s)
        return -1;
    int rc = replay_write(r, s, strlen(s));
    if (rc == 0)
        rc = replay_write(r, "\n", 1);
    free(s);
    return rc;
}

/* Judges post with rule set i. Returns 1 (mention in *m), 0 (no brand), -1 (judge error). */
static int replay_judge(replay_t *r, int i, const json_t *post, json_t **m)
{
    char err[512];
    int rc = bp_engine_judge(r->eng[i], post, m, err, sizeof err);
    if (rc < 0) {
        r->judge_errors++;
        bp_warn("post %s: rules %s: cannot judge: %s", bp_json_str(post, "id"),
                i ? r->cmp_dir : r->rules_dir, err);
    }
    return rc;
}

static void replay_csv_compare_row(replay_t *r, const json_t *rec)
{
    char kinds[128], sa[2][512];
    const char *side[2] = {"a", "b"};
    for (int s = 0; s < 2; s++) {
        const json_t *x = json_object_get(rec, side[s]);
        size_t j, len = 0;
        json_t *v;
        sa[s][0] = 0;
        json_array_foreach(json_object_get(x, "brands"), j, v) {
            int w = snprintf(sa[s] + len, sizeof sa[s] - len, "%s%s", j ? ";" : "",
                             json_string_value(v));
            if (w < 0 || (size_t)w >= sizeof sa[s] - len)
                break;
            len += (size_t)w;
        }
    }
    kinds[0] = 0;
    size_t j, len = 0;
    json_t *v;
    json_array_foreach(json_object_get(rec, "diff"), j, v) {
        int w = snprintf(kinds + len, sizeof kinds - len, "%s%s", j ? ";" : "", json_string_value(v));
        if (w < 0 || (size_t)w >= sizeof kinds - len)
            break;
        len += (size_t)w;
    }
    const json_t *a = json_object_get(rec, "a"), *b = json_object_get(rec, "b");
    const char *f[] = {bp_json_str(rec, "id"), bp_json_str(rec, "published_at"), kinds,
                       json_is_true(json_object_get(a, "matched")) ? "true" : "false", sa[0],
                       json_is_true(json_object_get(a, "alert")) ? "true" : "false",
                       bp_json_str(a, "priority"),
                       json_is_true(json_object_get(b, "matched")) ? "true" : "false", sa[1],
                       json_is_true(json_object_get(b, "alert")) ? "true" : "false",
                       bp_json_str(b, "priority"), bp_json_str(rec, "text")};
    bp_buf_reset(&r->line);
    if (rpcsv_record(&r->line, f, sizeof f / sizeof *f) == 0)
        replay_write(r, r->line.data, r->line.len);
}

/* Handles one record in range. Returns 0, or -1 on a failure that must stop the replay. */
static int replay_record(replay_t *r, const rd_kafka_message_t *msg)
{
    char err[512];
    json_t *post = bp_post_parse(msg->payload, msg->len, err, sizeof err);
    if (!post) {
        if (r->malformed++ < 10)
            bp_warn("%s [%d] offset %lld: skipped: %s", r->topic, (int)msg->partition,
                    (long long)msg->offset, err);
        return 0;
    }
    json_t *m[2] = {NULL, NULL};
    int rc = 0;
    const char *id = bp_json_str(post, "id");
    if (r->seen) {
        if (bp_idwindow_seen(r->seen, id)) {
            r->duplicates++;
            goto done;
        }
        bp_idwindow_add(r->seen, id);
    }
    if ((r->sources.n && !bp_strlist_contains(&r->sources, bp_json_str(post, "source"))) ||
        (r->langs.n && !bp_strlist_contains(&r->langs, bp_json_str(post, "lang")))) {
        r->filtered_out++;
        goto done;
    }
    rd_kafka_timestamp_type_t tt;
    int64_t event_ms = rd_kafka_message_timestamp(msg, &tt);
    bp_time_parse_rfc3339(bp_json_str(post, "published_at"), &event_ms); /* kept if absent */
    if (rpagg_add_fresh(r->agg, post) != 0) { /* the record's own times, before any re-judging */
        rc = bp_error("out of memory");
        goto done;
    }

    if (r->rules[0]) {
        for (size_t k = 0; k < sizeof replay_mention_keys / sizeof *replay_mention_keys; k++)
            json_object_del(post, replay_mention_keys[k]);
        for (int i = 0; i < (r->rules[1] ? 2 : 1); i++)
            if (replay_judge(r, i, post, &m[i]) < 0)
                goto done;
    } else if (json_is_array(json_object_get(post, "brands"))) {
        m[0] = json_incref(post); /* a mention as recorded */
    } else {
        /* a post read without rules: listed by jsonl and csv, counted as without brand */
        if (!r->brands.n) {
            r->nomatch++;
            if (!r->dry && r->fmt == FMT_JSONL) {
                replay_write_json(r, post);
            } else if (!r->dry && r->fmt == FMT_CSV) {
                bp_buf_reset(&r->line);
                if (rpcsv_mention_row(&r->line, post) == 0)
                    replay_write(r, r->line.data, r->line.len);
            }
        } else {
            r->filtered_out++; /* --brand asked for, and a post has none */
        }
        goto done;
    }
    if (r->brands.n && !(m[0] && replay_has_brand(m[0], &r->brands)) &&
        !(m[1] && replay_has_brand(m[1], &r->brands))) {
        r->filtered_out++;
        goto done;
    }
    if (!m[0] && !m[1])
        r->nomatch++;
    if (r->rules[1]) {
        unsigned d = rpcmp_count(&r->cmp, m[0], m[1]);
        if (d && !r->dry) {
            json_t *rec = rpcmp_record(post, m[0], m[1], d);
            if (!rec) {
                rc = bp_error("out of memory");
                goto done;
            }
            if (r->fmt == FMT_JSONL)
                replay_write_json(r, rec);
            else if (r->fmt == FMT_CSV)
                replay_csv_compare_row(r, rec);
            if (json_array_size(r->cmp_records) < REPLAY_CMP_KEEP)
                json_array_append(r->cmp_records, rec);
            json_decref(rec);
        }
    }
    if (m[0]) {
        if (r->dry) {
            if (rpdry_add(r->dryrun, m[0], event_ms) != 0) {
                rc = bp_error("out of memory");
                goto done;
            }
        } else if (!r->rules[1]) {
            if (r->fmt == FMT_JSONL) {
                replay_write_json(r, m[0]);
            } else if (r->fmt == FMT_CSV) {
                bp_buf_reset(&r->line);
                if (rpcsv_mention_row(&r->line, m[0]) == 0)
                    replay_write(r, r->line.data, r->line.len);
            }
        }
        if (rpagg_add(r->agg, m[0], event_ms) != 0) {
            rc = bp_error("out of memory");
            goto done;
        }
        if (r->prod) {
            char *s = bp_json_dump(m[0]);
            if (!s) {
                rc = bp_error("out of memory");
                goto done;
            }
            rc = bp_produce(r->prod, r->to_topic, id, strlen(id), s, strlen(s), NULL, NULL, NULL,
                            err, sizeof err);
            free(s);
            if (rc != 0) {
                bp_error("cannot publish %s to %s: %s", id, r->to_topic, err);
                goto done;
            }
            r->produced++;
            bp_producer_poll(r->prod, 0);
        }
    }
done:
    json_decref(m[0]);
    json_decref(m[1]);
    json_decref(post);
    return rc;
}

static void replay_pct(char *buf, size_t n, long long part, long long whole)
{
    snprintf(buf, n, "%.1f%%", whole ? 100.0 * (double)part / (double)whole : 0.0);
}

/* A delay in seconds for people: "850 ms", "4.2 s", "12.5 min", "3.1 h", "2.0 d". */
static void replay_secs(char *buf, size_t n, double s)
{
    if (s < 1)
        snprintf(buf, n, "%.0f ms", s * 1000);
    else if (s < 90)
        snprintf(buf, n, "%.1f s", s);
    else if (s < 5400)
        snprintf(buf, n, "%.1f min", s / 60);
    else if (s < 172800)
        snprintf(buf, n, "%.1f h", s / 3600);
    else
        snprintf(buf, n, "%.1f d", s / 86400);
}

/* Freshness per source: from published_at to collection and to filtering. */
static void replay_freshness(replay_t *r)
{
    const rpagg_fresh_t *f;
    size_t n = rpagg_freshness(r->agg, &f);
    if (!n)
        return;
    fprintf(r->out, "\nfreshness per source (from published_at; median / p95 / max):\n");
    fprintf(r->out, "  %-14s %9s  %-30s %9s\n", "source", "collected", "", "filtered");
    for (size_t i = 0; i < n; i++) {
        char cell[RPAGG_STAGES][96];
        for (int s = 0; s < RPAGG_STAGES; s++) {
            char a[24], b[24], c[24];
            if (!f[i].n[s]) {
                snprintf(cell[s], sizeof cell[s], "-");
                continue;
            }
            replay_secs(a, sizeof a, f[i].p50[s]);
            replay_secs(b, sizeof b, f[i].p95[s]);
            replay_secs(c, sizeof c, f[i].max[s]);
            snprintf(cell[s], sizeof cell[s], "%s / %s / %s", a, b, c);
        }
        fprintf(r->out, "  %-14s %9lld  %-30s %9lld  %s\n", f[i].source, f[i].n[0], cell[0],
                f[i].n[1], cell[1]);
    }
}

static void replay_summary(replay_t *r, const rpread_stats_t *st)
{
    FILE *o = r->out;
    char t1[BP_TIME_BUFSZ], t2[BP_TIME_BUFSZ], pct[32];
    fprintf(o, "topic %s, %s .. %s (%s)\n", r->topic,
            r->from_ms == RPREAD_NO_FROM ? "beginning" : bp_time_format_rfc3339(r->from_ms, t1),
            r->to_ms == RPREAD_NO_TO ? "end" : bp_time_format_rfc3339(r->to_ms, t2),
            st->by_time ? "timestamp lookups" : "scan filtered by record timestamps");
    fprintf(o, "records: %lld read, %lld in range, %lld malformed, %lld duplicates, %lld not "
               "selected, %lld without brand\n",
            (long long)st->read, (long long)st->in_range, r->malformed, r->duplicates,
            r->filtered_out, r->nomatch);
    if (r->rules[0])
        fprintf(o, "rules: %s (version %s)\n", r->rules_dir, bp_rules_version(r->rules[0]));
    long long neg, alerts, total = rpagg_total(r->agg, &neg, &alerts);
    replay_pct(pct, sizeof pct, neg, total);
    fprintf(o, "mentions: %lld, negative: %lld (%s), alerts: %lld\n", total, neg, pct, alerts);
    if (r->rules[1]) {
        const rpcmp_totals_t *c = &r->cmp;
        const char *dir[2] = {r->rules_dir, r->cmp_dir};
        fprintf(o, "\nrule comparison over %lld posts:\n", c->posts);
        for (int i = 0; i < 2; i++)
            fprintf(o, "  %c %s (version %s): %lld mentions, %lld alerts\n", 'A' + i, dir[i],
                    bp_rules_version(r->rules[i]), c->mentions[i], c->alerts[i]);
        fprintf(o, "  disagreements: %lld (match %lld, brands %lld, alert %lld, priority %lld, "
                   "label %lld)\n",
                c->differ, c->by_kind[0], c->by_kind[1], c->by_kind[2], c->by_kind[3],
                c->by_kind[4]);
        size_t n = json_array_size(r->cmp_records);
        for (size_t i = 0; i < n; i++) {
            const json_t *rec = json_array_get(r->cmp_records, i);
            const json_t *a = json_object_get(rec, "a"), *b = json_object_get(rec, "b");
            char kinds[128];
            size_t j, len = 0;
            json_t *v;
            kinds[0] = 0;
            json_array_foreach(json_object_get(rec, "diff"), j, v) {
                int w = snprintf(kinds + len, sizeof kinds - len, "%s%s", j ? "," : "",
                                 json_string_value(v));
                if (w < 0 || (size_t)w >= sizeof kinds - len)
                    break;
                len += (size_t)w;
            }
            fprintf(o, "  %-32s %-16s A:%s%s  B:%s%s\n", bp_json_str(rec, "id"), kinds,
                    json_is_true(json_object_get(a, "matched")) ? "brand" : "none",
                    json_is_true(json_object_get(a, "alert")) ? "+alert" : "",
                    json_is_true(json_object_get(b, "matched")) ? "brand" : "none",
                    json_is_true(json_object_get(b, "alert")) ? "+alert" : "");
        }
        if ((long long)n < c->differ)
            fprintf(o, "  ... %lld more (use --format jsonl for all)\n", c->differ - (long long)n);
    }
    size_t nb;
    const rpagg_brand_t *br = rpagg_brands(r->agg, &nb);
    int64_t bucket = rpagg_bucket_ms(r->agg);
    if (nb) {
        fprintf(o, "\nper brand and %s (event time, UTC):\n", bucket >= RPAGG_DAY_MS ? "day" : "hour");
        fprintf(o, "  %-20s %-17s %9s %9s %7s %7s\n", "brand", "period", "mentions", "negative",
                "neg%", "alerts");
    }
    for (size_t i = 0; i < nb; i++) {
        replay_pct(pct, sizeof pct, br[i].negative, br[i].mentions);
        fprintf(o, "  %-20s %-17s %9lld %9lld %7s %7lld\n", br[i].name, "(all)", br[i].mentions,
                br[i].negative, pct, br[i].alerts);
        for (size_t c = 0; c < br[i].ncells; c++) {
            const rpagg_cell_t *cell = &br[i].cells[c];
            bp_time_format_rfc3339(cell->start_ms, t1);
            t1[10] = bucket >= RPAGG_DAY_MS ? 0 : ' ';
            t1[16] = 0;
            replay_pct(pct, sizeof pct, cell->negative, cell->mentions);
            fprintf(o, "  %-20s %-17s %9lld %9lld %7s %7lld\n", "", t1, cell->mentions,
                    cell->negative, pct, cell->alerts);
        }
    }
    replay_freshness(r);
    const rpagg_count_t *t;
    size_t nt = rpagg_top_terms(r->agg, &t, 15);
    if (nt) {
        fprintf(o, "\ntop negative terms:\n");
        for (size_t i = 0; i < nt; i++)
            fprintf(o, "  %7lld  %s\n", t[i].count, t[i].key);
    }
    size_t na = rpagg_top_authors(r->agg, &t, 10);
    if (na) {
        fprintf(o, "\nmost-followed authors:\n");
        for (size_t i = 0; i < na; i++)
            fprintf(o, "  %10lld followers  %s (%s): %lld mentions, %lld negative\n", t[i].followers,
                    t[i].label ? t[i].label : "", t[i].key, t[i].count, t[i].negative);
    }
}

static void replay_dry_output(replay_t *r, json_t *events, const rpdry_stats_t *s)
{
    if (r->fmt == FMT_JSONL) {
        size_t i;
        json_t *e;
        json_array_foreach(events, i, e) replay_write_json(r, e);
        return;
    }
    FILE *o = r->out;
    fprintf(o, "alert dry run on event time: %lld alerts in, %lld duplicates, %lld unrouted, "
               "%lld folded, %lld grouped into %lld incidents, %lld held for digests; "
               "%lld messages to channels\n",
            s->input, s->duplicates, s->unrouted, s->folded, s->absorbed, s->incidents, s->held,
            s->messages);
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
        const char *type = bp_json_str(e, "type");
        fprintf(o, "  %s  %-12s %-12s %s", bp_json_str(e, "at"), type, bp_json_str(e, "channel"),
                bp_json_str(e, "alert_id"));
        if (!strcmp(type, "alert") || !strcmp(type, "unrouted"))
            fprintf(o, "  %s %s %s", bp_json_str(e, "brand"), bp_json_str(e, "priority"),
                    bp_json_str(e, "post_id"));
        else if (!strcmp(type, "incident"))
            fprintf(o, "  %s %s %s, %lld alerts", bp_json_str(e, "state"), bp_json_str(e, "brand"),
                    bp_json_str(e, "reason"), bp_json_int(e, "count"));
        else
            fprintf(o, "  %lld alerts", bp_json_int(e, "count"));
        fputc('\n', o);
    }
}

static int replay_load_rules(replay_t *r, int i, const char *dir)
{
    bp_buf_t errs = BP_BUF_INIT(1 << 20);
    r->rules[i] = bp_rules_load(dir, &errs);
    if (!r->rules[i]) {
        fprintf(stderr, "%s: rules %s are broken:\n%s", PROG, dir, errs.data ? errs.data : "");
        bp_buf_free(&errs);
        return -1;
    }
    bp_buf_free(&errs);
    r->eng[i] = bp_engine_new(r->rules[i]);
    if (!r->eng[i]) {
        fprintf(stderr, "%s: out of memory\n", PROG);
        return -1;
    }
    bp_info("rules %s: version %s", dir, bp_rules_version(r->rules[i]));
    return 0;
}

/* The configuration --alerts runs with when no --alert-config is given: one channel, every
 * alert routed to it, the alerter's defaults for everything else. */
static const char replay_default_alert_cfg[] =
    "state_dir: /nonexistent/bp-replay-dry-run\n"
    "channels: [{name: on-call, type: console}]\n"
    "routes: [{channels: [on-call]}]\n";

static int replay_alert_config(replay_t *r, const char *path)
{
    char err[1024];
    int rc = path ? alertcfg_load(path, NULL, &r->acfg, err, sizeof err)
                  : alertcfg_load_string(replay_default_alert_cfg, &r->acfg, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", PROG, err);
        return -1;
    }
    r->acfg_loaded = 1;
    return 0;
}

static int replay_parse_dur(const char *opt, const char *v, int64_t *out)
{
    if (bp_duration_parse(v, out) != 0 || *out < 0)
        return bp_cli_usage_error(PROG, "%s: not a duration: '%s'", opt, v);
    return 0;
}

static int replay_parse_int(const char *opt, const char *v, long long *out)
{
    char *end;
    *out = strtoll(v, &end, 10);
    if (!*v || *end)
        return bp_cli_usage_error(PROG, "%s: not a number: '%s'", opt, v);
    return 0;
}

enum {
    O_BROKERS = 256, O_TOPIC, O_FROM, O_TO, O_RULES, O_COMPARE, O_BRAND, O_SOURCE, O_LANG,
    O_FORMAT, O_BOM, O_BUCKET, O_TO_TOPIC, O_ALERTS, O_ALERT_CONFIG, O_INC_THR, O_INC_WIN,
    O_INC_QUIET, O_FOLD_WIN, O_FOLD_DIST, O_DIG_EVERY, O_DIG_PRIO, O_DEDUP_SIZE, O_KEEP_DUPS,
    O_NO_PROGRESS, O_IDLE, O_LOG_LEVEL, O_HELP, O_VERSION
};

int main(int argc, char **argv)
{
    bp_log_init(PROG);
    static const struct option opts[] = {
        {"brokers", required_argument, NULL, O_BROKERS},
        {"topic", required_argument, NULL, O_TOPIC},
        {"from", required_argument, NULL, O_FROM},
        {"to", required_argument, NULL, O_TO},
        {"rules", required_argument, NULL, O_RULES},
        {"compare", required_argument, NULL, O_COMPARE},
        {"brand", required_argument, NULL, O_BRAND},
        {"source", required_argument, NULL, O_SOURCE},
        {"lang", required_argument, NULL, O_LANG},
        {"format", required_argument, NULL, O_FORMAT},
        {"bom", no_argument, NULL, O_BOM},
        {"bucket", required_argument, NULL, O_BUCKET},
        {"output", required_argument, NULL, 'o'},
        {"to-topic", required_argument, NULL, O_TO_TOPIC},
        {"alerts", no_argument, NULL, O_ALERTS},
        {"alert-config", required_argument, NULL, O_ALERT_CONFIG},
        {"incident-threshold", required_argument, NULL, O_INC_THR},
        {"incident-window", required_argument, NULL, O_INC_WIN},
        {"incident-quiet", required_argument, NULL, O_INC_QUIET},
        {"fold-window", required_argument, NULL, O_FOLD_WIN},
        {"fold-distance", required_argument, NULL, O_FOLD_DIST},
        {"digest-every", required_argument, NULL, O_DIG_EVERY},
        {"digest-priorities", required_argument, NULL, O_DIG_PRIO},
        {"dedup-size", required_argument, NULL, O_DEDUP_SIZE},
        {"keep-duplicates", no_argument, NULL, O_KEEP_DUPS},
        {"no-progress", no_argument, NULL, O_NO_PROGRESS},
        {"idle-timeout", required_argument, NULL, O_IDLE},
        {"log-level", required_argument, NULL, O_LOG_LEVEL},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0}};
    replay_t r;
    memset(&r, 0, sizeof r);
    r.fmt = FMT_SUMMARY;
    r.progress = 1;
    r.dedup = 1;
    r.dedup_cap = 2000000; /* ids remembered for de-duplication (about 50 MB at most) */
    r.idle_ms = 60000;
    r.from_ms = RPREAD_NO_FROM;
    r.to_ms = RPREAD_NO_TO;
    const char *brokers = NULL, *cfg_path = NULL, *from_s = NULL, *to_s = NULL,
               *bucket_s = "auto", *alert_cfg = NULL;
    /* overrides of the dry-run settings, applied after --alert-config */
    long long o_thr = -2, o_fold = -2, o_dedup = -2;
    int64_t o_win = -1, o_quiet = -1, o_fwin = -1, o_every = -1;
    const char *o_prio = NULL;
    bp_kvlist_t xprops = {NULL, NULL, 0};
    int rc = BP_EXIT_USAGE, o, log_level_set = 0;
    enum bp_log_level log_level = BP_LOG_INFO;
    while ((o = getopt_long(argc, argv, "c:X:o:", opts, NULL)) != -1) {
        int bad = 0;
        switch (o) {
        case O_BROKERS: brokers = optarg; break;
        case 'c': cfg_path = optarg; break;
        case 'X': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                bad = bp_cli_usage_error(PROG, "-X wants KEY=VALUE, got '%s'", optarg);
                break;
            }
            *eq = 0;
            bp_kvlist_set(&xprops, optarg, eq + 1);
            break;
        }
        case O_TOPIC: r.topic = optarg; break;
        case O_FROM: from_s = optarg; break;
        case O_TO: to_s = optarg; break;
        case O_RULES: r.rules_dir = optarg; break;
        case O_COMPARE: r.cmp_dir = optarg; break;
        case O_BRAND: replay_split(&r.brands, optarg); break;
        case O_SOURCE: replay_split(&r.sources, optarg); break;
        case O_LANG: replay_split(&r.langs, optarg); break;
        case O_FORMAT:
            if (!strcmp(optarg, "jsonl"))
                r.fmt = FMT_JSONL;
            else if (!strcmp(optarg, "csv"))
                r.fmt = FMT_CSV;
            else if (!strcmp(optarg, "summary"))
                r.fmt = FMT_SUMMARY;
            else if (!strcmp(optarg, "html"))
                r.fmt = FMT_HTML;
            else
                bad = bp_cli_usage_error(PROG, "--format: jsonl, csv, summary or html, not '%s'", optarg);
            break;
        case O_BOM: r.bom = 1; break;
        case O_BUCKET: bucket_s = optarg; break;
        case 'o': r.output = optarg; break;
        case O_TO_TOPIC: r.to_topic = optarg; break;
        case O_ALERTS: r.dry = 1; break;
        case O_ALERT_CONFIG: alert_cfg = optarg; break;
        case O_INC_THR: bad = replay_parse_int("--incident-threshold", optarg, &o_thr); break;
        case O_INC_WIN: bad = replay_parse_dur("--incident-window", optarg, &o_win); break;
        case O_INC_QUIET: bad = replay_parse_dur("--incident-quiet", optarg, &o_quiet); break;
        case O_FOLD_WIN: bad = replay_parse_dur("--fold-window", optarg, &o_fwin); break;
        case O_FOLD_DIST: bad = replay_parse_int("--fold-distance", optarg, &o_fold); break;
        case O_DIG_EVERY: bad = replay_parse_dur("--digest-every", optarg, &o_every); break;
        case O_DIG_PRIO: o_prio = optarg; break;
        case O_DEDUP_SIZE: bad = replay_parse_int("--dedup-size", optarg, &o_dedup); break;
        case O_KEEP_DUPS: r.dedup = 0; break;
        case O_NO_PROGRESS: r.progress = 0; break;
        case O_IDLE: bad = replay_parse_dur("--idle-timeout", optarg, &r.idle_ms); break;
        case O_LOG_LEVEL:
            if (bp_log_level_parse(optarg, &log_level) != 0)
                bad = bp_cli_usage_error(PROG, "--log-level: debug, info, warn or error");
            log_level_set = 1;
            break;
        case O_HELP:
            usage();
            rc = BP_EXIT_OK;
            goto out;
        case O_VERSION:
            bp_cli_version(PROG);
            rc = BP_EXIT_OK;
            goto out;
        default: bad = bp_cli_usage_error(PROG, "unknown option"); break;
        }
        if (bad)
            goto out;
    }
    if (optind < argc) {
        bp_cli_usage_error(PROG, "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (!r.topic) {
        bp_cli_usage_error(PROG, "--topic is required (bp.posts or bp.mentions)");
        goto out;
    }
    int64_t now = bp_now_ms();
    if (from_s && bp_time_parse_arg(from_s, now, &r.from_ms) != 0) {
        bp_cli_usage_error(PROG, "--from: not a time: '%s' (RFC 3339, -24h, -7d or now)", from_s);
        goto out;
    }
    if (to_s && bp_time_parse_arg(to_s, now, &r.to_ms) != 0) {
        bp_cli_usage_error(PROG, "--to: not a time: '%s' (RFC 3339, -24h, -7d or now)", to_s);
        goto out;
    }
    if (r.from_ms != RPREAD_NO_FROM && r.to_ms != RPREAD_NO_TO && r.from_ms >= r.to_ms) {
        bp_cli_usage_error(PROG, "--from must be before --to");
        goto out;
    }
    if (r.cmp_dir && !r.rules_dir) {
        bp_cli_usage_error(PROG, "--compare DIR2 needs --rules DIR (the set to compare it with)");
        goto out;
    }
    if (r.to_topic && !r.rules_dir) {
        bp_cli_usage_error(PROG, "--to-topic needs --rules (it re-publishes re-filtered mentions)");
        goto out;
    }
    if (r.dry && (r.fmt == FMT_CSV || r.fmt == FMT_HTML)) {
        bp_cli_usage_error(PROG, "--alerts writes jsonl or summary");
        goto out;
    }
    if (r.bom && r.fmt != FMT_CSV) {
        bp_cli_usage_error(PROG, "--bom is for --format csv");
        goto out;
    }
    if (!strcmp(bucket_s, "hour")) {
        r.bucket_ms = RPAGG_HOUR_MS;
    } else if (!strcmp(bucket_s, "day")) {
        r.bucket_ms = RPAGG_DAY_MS;
    } else if (!strcmp(bucket_s, "auto")) {
        int64_t span = (r.from_ms == RPREAD_NO_FROM || r.to_ms == RPREAD_NO_TO)
                           ? (r.from_ms == RPREAD_NO_FROM ? INT64_MAX : now - r.from_ms)
                           : r.to_ms - r.from_ms;
        r.bucket_ms = span > 3 * RPAGG_DAY_MS ? RPAGG_DAY_MS : RPAGG_HOUR_MS;
    } else {
        bp_cli_usage_error(PROG, "--bucket: hour, day or auto, not '%s'", bucket_s);
        goto out;
    }
    if (r.dry) {
        if (replay_alert_config(&r, alert_cfg) != 0)
            goto out;
        alert_cfg_t *ac = &r.acfg;
        if (o_thr != -2)
            ac->incident_threshold = o_thr;
        if (o_fold != -2)
            ac->fold_distance = o_fold;
        if (o_dedup != -2)
            ac->dedup_size = o_dedup;
        if (o_win >= 0)
            ac->incident_window_ms = o_win;
        if (o_quiet >= 0)
            ac->incident_quiet_ms = o_quiet;
        if (o_fwin >= 0)
            ac->fold_window_ms = o_fwin;
        if (o_every >= 0)
            ac->digest_every_ms = o_every;
        if (o_prio) {
            bp_strlist_free(&ac->digest_priorities);
            replay_split(&ac->digest_priorities, o_prio);
        }
    } else if (alert_cfg || o_prio || o_thr != -2 || o_fold != -2 || o_dedup != -2 || o_win >= 0 ||
               o_quiet >= 0 || o_fwin >= 0 || o_every >= 0) {
        bp_cli_usage_error(PROG, "the alert settings are for --alerts");
        goto out;
    }

    replay_cfg_t cfg;
    memset(&cfg, 0, sizeof cfg);
    char err[1024];
    if (bp_cfg_load(cfg_path, replay_cfg_table, &cfg, &cfg.common, brokers, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", PROG, err);
        bp_cfg_free(replay_cfg_table, &cfg);
        goto out;
    }
    if (log_level_set)
        bp_log_set_level(log_level);
    for (size_t i = 0; i < xprops.n; i++)
        bp_kvlist_set(&cfg.common.kafka.rdkafka, xprops.k[i], xprops.v[i]);
    if (!cfg.common.kafka.brokers || !*cfg.common.kafka.brokers) {
        bp_cli_usage_error(PROG, "no brokers: use --brokers, BP_BROKERS or -c FILE");
        bp_cfg_free(replay_cfg_table, &cfg);
        goto out;
    }
    bp_signals_install();

    if (r.rules_dir && replay_load_rules(&r, 0, r.rules_dir) != 0)
        goto done;
    if (r.cmp_dir && replay_load_rules(&r, 1, r.cmp_dir) != 0)
        goto done;
    rc = BP_EXIT_RUNTIME;
    r.agg = rpagg_new(r.bucket_ms, 25);
    r.cmp_records = json_array();
    r.dryrun = r.dry ? rpdry_new(&r.acfg) : NULL;
    /* --alerts: duplicates are the alerter's to drop (its dedup window), so they reach it */
    if (r.dry)
        r.dedup = 0;
    r.seen = r.dedup ? bp_idwindow_new((size_t)r.dedup_cap) : NULL;
    bp_buf_init(&r.line, 4 << 20);
    if (!r.agg || !r.cmp_records || (r.dry && !r.dryrun) || (r.dedup && !r.seen)) {
        bp_error("out of memory");
        goto done;
    }
    r.out = stdout;
    if (r.output && !(r.out = fopen(r.output, "w"))) {
        bp_error("cannot write %s: %m", r.output);
        r.out = NULL;
        goto done;
    }
    if (r.to_topic) {
        r.prod = bp_producer_new(&cfg.common.kafka, "bp-replay", err, sizeof err);
        if (!r.prod) {
            bp_error("%s", err);
            goto done;
        }
    }
    if (r.fmt == FMT_CSV && !r.dry) {
        bp_buf_reset(&r.line);
        if (r.bom)
            bp_buf_puts(&r.line, "\xEF\xBB\xBF");
        if (r.rules[1]) {
            static const char *const cc[] = {"id",      "published_at", "differs_in", "a_matched",
                                             "a_brands", "a_alert",     "a_priority", "b_matched",
                                             "b_brands", "b_alert",     "b_priority", "text"};
            rpcsv_record(&r.line, cc, sizeof cc / sizeof *cc);
        } else {
            rpcsv_record(&r.line, rpcsv_mention_cols, rpcsv_mention_ncols);
        }
        replay_write(&r, r.line.data, r.line.len);
    }

    rpread_t *rd = rpread_open(&cfg.common.kafka, r.topic, r.from_ms, r.to_ms, 10000, err, sizeof err);
    if (!rd) {
        bp_error("%s", err);
        goto done;
    }
    rpprog_t prog;
    rpprog_init(&prog, stderr, r.progress);
    int64_t last_data = bp_mono_ms();
    int st_rc = 0;
    while (bp_running) {
        rd_kafka_message_t *m = NULL;
        int n = rpread_next(rd, &m, 200, err, sizeof err);
        const rpread_stats_t *st = rpread_stats(rd);
        rpprog_update(&prog, st->read, st->total, 0);
        if (n == 0)
            break;
        if (n < 0) {
            bp_error("%s", err);
            st_rc = -1;
            break;
        }
        if (n == 2) {
            if (bp_mono_ms() - last_data > r.idle_ms) {
                bp_error("%s: nothing received for %lld ms; %lld of %lld records read", r.topic,
                         (long long)r.idle_ms, (long long)st->read, (long long)st->total);
                st_rc = -1;
                break;
            }
            if (r.prod)
                bp_producer_poll(r.prod, 0);
            continue;
        }
        last_data = bp_mono_ms();
        int hr = replay_record(&r, m);
        rd_kafka_message_destroy(m);
        if (hr != 0) {
            st_rc = -1;
            break;
        }
    }
    rpprog_update(&prog, rpread_stats(rd)->read, rpread_stats(rd)->total, 1);
    rpprog_done(&prog);
    int interrupted = !bp_running;
    rpread_stats_t st = *rpread_stats(rd);
    rpread_close(rd);
    if (interrupted)
        bp_warn("interrupted: the results below are partial");
    if (r.judge_errors)
        bp_warn("%lld posts could not be judged (see above)", r.judge_errors);
    if (r.malformed)
        bp_warn("%lld records were not valid posts and were skipped", r.malformed);

    if (r.dry) {
        rpdry_stats_t ds;
        json_t *events = rpdry_run(r.dryrun, &ds);
        if (!events) {
            bp_error("out of memory");
            st_rc = -1;
        } else {
            replay_dry_output(&r, events, &ds);
            json_decref(events);
        }
    } else if (r.fmt == FMT_SUMMARY) {
        replay_summary(&r, &st);
    } else if (r.fmt == FMT_HTML) {
        rphtml_info_t hi = {r.topic, r.from_ms, r.to_ms, r.rules_dir,
                            r.rules[0] ? bp_rules_version(r.rules[0]) : NULL,
                            st.read, st.in_range, r.malformed, r.duplicates, r.filtered_out,
                            r.rules[1] ? &r.cmp : NULL, r.cmp_dir,
                            r.rules[1] ? bp_rules_version(r.rules[1]) : NULL, r.cmp_records};
        bp_buf_t html = BP_BUF_INIT((size_t)256 << 20);
        if (rphtml_render(&html, r.agg, &hi) != 0) {
            bp_error("the HTML report passed its size cap");
            st_rc = -1;
        } else {
            replay_write(&r, html.data, html.len);
        }
        bp_buf_free(&html);
    }
    if (r.prod) {
        if (bp_producer_flush(r.prod, 60000) != 0) {
            bp_error("%s: not every re-published mention was acknowledged within 60 s", r.to_topic);
            st_rc = -1;
        }
        uint64_t failed = bp_producer_failed(r.prod);
        char ferr[512];
        if (failed || bp_producer_fatal(r.prod, ferr, sizeof ferr)) {
            bp_error("%s: %llu of %lld re-published mentions failed", r.to_topic,
                     (unsigned long long)failed, r.produced);
            st_rc = -1;
        } else {
            bp_info("%s: %lld mentions re-published and acknowledged", r.to_topic, r.produced);
        }
    }
    if (fflush(r.out) != 0 || r.output_errors) {
        bp_error("cannot write the output%s%s", r.output ? " to " : "", r.output ? r.output : "");
        st_rc = -1;
    }
    rc = st_rc == 0 && !interrupted ? BP_EXIT_OK : BP_EXIT_RUNTIME;
done:
    if (r.out && r.out != stdout && fclose(r.out) != 0 && rc == BP_EXIT_OK) {
        bp_error("cannot write %s: %m", r.output);
        rc = BP_EXIT_RUNTIME;
    }
    bp_producer_destroy(r.prod);
    bp_cfg_free(replay_cfg_table, &cfg);
    for (int i = 0; i < 2; i++) {
        bp_engine_free(r.eng[i]);
        bp_rules_free(r.rules[i]);
    }
    rpagg_free(r.agg);
    rpdry_free(r.dryrun);
    json_decref(r.cmp_records);
    bp_idwindow_free(r.seen);
    bp_buf_free(&r.line);
out:
    bp_strlist_free(&r.brands);
    bp_strlist_free(&r.sources);
    bp_strlist_free(&r.langs);
    if (r.acfg_loaded)
        alertcfg_free(&r.acfg);
    bp_kvlist_free(&xprops);
    return rc;
}
