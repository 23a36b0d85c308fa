/* test_alert_route.c — alerter configuration errors with positions, routing (brand, priority,
 * reason, language, source, schedules, on-call), and the persisted state (dedup, retry queue). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alertcfg.h"
#include "dedup.h"
#include "retryq.h"
#include "route.h"
#include "model.h"
#include "test.h"
#include "timeutil.h"

static const char *BASE =
    "state_dir: /tmp/x\n"
    "channels:\n"
    "  - {name: console, type: console}\n"
    "  - {name: tg-care, type: console}\n"
    "  - {name: oncall-a, type: console}\n"
    "  - {name: oncall-b, type: console}\n"
    "schedules:\n"
    "  - {name: business, tz: Europe/Kyiv, days: [mon-fri], hours: \"09:00-18:00\"}\n"
    "oncall:\n"
    "  - {name: duty, channels: [oncall-a, oncall-b], start: \"2026-11-16T00:00:00Z\", shift: 7d}\n"
    "routes:\n"
    "  - {name: urgent, when: {priority: [urgent]}, channels: [tg-care], sla: 5m}\n"
    "  - {name: fraud-night, when: {reason: [urgent:fraud], schedule: \"!business\"}, channels: [duty]}\n"
    "  - {name: ua, when: {lang: [uk], source: [telegram]}, channels: [tg-care]}\n"
    "  - {name: privat, when: {brand: [privatbank]}, channels: [console], stop: true}\n"
    "  - {name: all, channels: [console, tg-care]}\n";

static int load(const char *yaml, alert_cfg_t *cfg, char *err, size_t errlen)
{
    int rc = alertcfg_load_string(yaml, cfg, err, errlen);
    return rc;
}

static json_t *alert(const char *brand, const char *prio, const char *reason, const char *lang,
                     const char *source)
{
    return json_pack("{s:s, s:s, s:s, s:[s], s:s, s:[s]}", "id", "x:1", "lang", lang, "source",
                     source, "brands", brand, "priority", prio, "reasons", reason);
}

static int64_t at(const char *t)
{
    int64_t ms = 0;
    bp_time_parse_rfc3339(t, &ms);
    return ms;
}

TEST(config_errors_name_the_position)
{
    alert_cfg_t cfg;
    char err[512];
    CHECK_INT(load("channels:\n  - {name: a, type: consol}\nroutes: []\n", &cfg, err, sizeof err), -1);
    CHECK(strstr(err, "test.yaml:2:") && strstr(err, "unknown channel type 'consol'"));
    alertcfg_free(&cfg);
    CHECK_INT(load("channels:\n  - {name: a, type: console, retrys: 3}\nroutes: []\n", &cfg, err,
                   sizeof err), -1);
    CHECK(strstr(err, "test.yaml:2:") && strstr(err, "unknown key 'retrys'"));
    alertcfg_free(&cfg);
    CHECK_INT(load("channels:\n  - {name: a, type: console}\nroutes:\n  - {channels: [b]}\n", &cfg,
                   err, sizeof err), -1);
    CHECK(strstr(err, "test.yaml:4:") && strstr(err, "no channel or on-call rotation named 'b'"));
    alertcfg_free(&cfg);
    CHECK_INT(load("channels:\n  - {name: a, type: webhook, url: \"http://x\"}\nroutes: []\n", &cfg,
                   err, sizeof err), -1);
    CHECK(strstr(err, "key 'url'") && strstr(err, "{env: VARIABLE}"));
    alertcfg_free(&cfg);
    CHECK_INT(load("channels:\n  - {name: a, type: console}\n  - {name: a, type: console}\n"
                   "routes: []\n", &cfg, err, sizeof err), -1);
    CHECK(strstr(err, "declared twice"));
    alertcfg_free(&cfg);
    CHECK_INT(load("channels:\n  - {name: a, type: console}\nroutes: []\nschedules:\n"
                   "  - {name: s, hours: \"9-18\"}\n", &cfg, err, sizeof err), -1);
    CHECK(strstr(err, "test.yaml:5:") && strstr(err, "HH:MM-HH:MM"));
    alertcfg_free(&cfg);
    setenv("BP_TEST_TG_TOKEN", "123:abc", 1);
    CHECK_INT(load("channels:\n  - {name: t, type: telegram, token: {env: BP_TEST_TG_TOKEN}}\n"
                   "routes: []\n", &cfg, err, sizeof err), -1);
    CHECK(strstr(err, "missing required key 'chat_id'"));
    alertcfg_free(&cfg);
    CHECK_INT(load(BASE, &cfg, err, sizeof err), 0);
    CHECK_INT(cfg.nchannels, 4);
    CHECK_INT(cfg.nroutes, 5);
    CHECK_INT(cfg.sla_ms, 7 * 60 * 1000);
    alertcfg_free(&cfg);
}

TEST(routes_by_priority_reason_lang_source_brand)
{
    alert_cfg_t cfg;
    char err[512];
    CHECK_INT(load(BASE, &cfg, err, sizeof err), 0);
    route_result_t r;
    int64_t weekday_noon_kyiv = at("2026-11-23T10:00:00Z"); /* Monday 12:00 in Kyiv */
    json_t *a = alert("monobank", "urgent", "urgent:card_blocked", "ru", "x");
    CHECK_INT(route_match(&cfg, a, weekday_noon_kyiv, &r), 2); /* urgent + all */
    CHECK_INT(r.chans[0], alertcfg_channel_index(&cfg, "tg-care"));
    CHECK_INT(r.chans[1], alertcfg_channel_index(&cfg, "console"));
    CHECK_INT(r.sla_ms, 5 * 60 * 1000);
    CHECK_INT(r.route, 0);
    json_decref(a);
    /* privatbank stops at its route: console only */
    a = alert("privatbank", "normal", "negative:-3", "ru", "x");
    CHECK_INT(route_match(&cfg, a, weekday_noon_kyiv, &r), 1);
    CHECK_INT(r.chans[0], alertcfg_channel_index(&cfg, "console"));
    CHECK_INT(r.sla_ms, 7 * 60 * 1000);
    json_decref(a);
    /* Ukrainian telegram post: ua route + all */
    a = alert("kyivstar", "low", "negative:-3", "uk", "telegram");
    CHECK_INT(route_match(&cfg, a, weekday_noon_kyiv, &r), 2);
    CHECK_INT(r.route, 2);
    json_decref(a);
    alertcfg_free(&cfg);
}

TEST(schedule_and_oncall)
{
    alert_cfg_t cfg;
    char err[512];
    CHECK_INT(load(BASE, &cfg, err, sizeof err), 0);
    const asched_cfg_t *s = alertcfg_schedule(&cfg, "business");
    CHECK(route_in_schedule(s, at("2026-11-23T10:00:00Z")));   /* Mon 12:00 Kyiv */
    CHECK(!route_in_schedule(s, at("2026-11-23T06:59:00Z")));  /* Mon 08:59 Kyiv */
    CHECK(!route_in_schedule(s, at("2026-11-23T16:00:00Z")));  /* Mon 18:00 Kyiv */
    CHECK(!route_in_schedule(s, at("2026-11-22T10:00:00Z")));  /* Sunday */
    /* the fraud route works only after hours and goes to whoever is on duty */
    json_t *a = alert("monobank", "high", "urgent:fraud", "ru", "x");
    route_result_t r;
    CHECK_INT(route_match(&cfg, a, at("2026-11-23T10:00:00Z"), &r), 2); /* business hours */
    CHECK_INT(route_match(&cfg, a, at("2026-11-23T20:00:00Z"), &r), 3); /* night: + duty */
    CHECK_INT(r.chans[0], alertcfg_channel_index(&cfg, "oncall-b"));    /* week 2 of rotation */
    CHECK_INT(route_resolve(&cfg, "duty", at("2026-11-17T00:00:00Z")),
              alertcfg_channel_index(&cfg, "oncall-a"));
    CHECK_INT(route_resolve(&cfg, "duty", at("2026-11-30T00:00:00Z")),
              alertcfg_channel_index(&cfg, "oncall-a"));
    CHECK_INT(route_resolve(&cfg, "nobody", 0), -1);
    json_decref(a);
    alertcfg_free(&cfg);
    CHECK(route_reason_matches("urgent", "urgent:fraud"));
    CHECK(route_reason_matches("urgent:fraud", "urgent:fraud"));
    CHECK(!route_reason_matches("urgent", "urgently"));
}

TEST(silences_match_and_expire)
{
    alert_cfg_t cfg;
    char err[512];
    CHECK_INT(load("channels:\n  - {name: a, type: console}\nroutes: []\nsilences:\n"
                   "  - {author: [spam-bot], by: olena, why: known spammer, until: \"2026-12-01T00:00:00Z\"}\n"
                   "  - {brand: [kyivstar], reason: [negative], by: oleh, why: outage announced,\n"
                   "     until: \"2026-11-23T12:00:00Z\"}\n",
                   &cfg, err, sizeof err), 0);
    json_t *a = alert("kyivstar", "high", "negative:-4", "uk", "x");
    const asilence_cfg_t *s = route_silenced(&cfg, a, at("2026-11-23T11:00:00Z"));
    CHECK(s && strcmp(s->by, "oleh") == 0);
    CHECK(route_silenced(&cfg, a, at("2026-11-23T12:00:00Z")) == NULL); /* expired */
    json_decref(a);
    a = alert("kyivstar", "urgent", "urgent:fraud", "uk", "x");
    CHECK(route_silenced(&cfg, a, at("2026-11-23T11:00:00Z")) == NULL); /* other reason */
    json_object_set_new(a, "author", json_pack("{s:s, s:s}", "id", "x:1", "name", "spam-bot"));
    CHECK(route_silenced(&cfg, a, at("2026-11-23T11:00:00Z")) != NULL);
    json_decref(a);
    alertcfg_free(&cfg);
    CHECK_INT(load("channels:\n  - {name: a, type: console}\nroutes: []\nsilences:\n"
                   "  - {brand: [x], by: me, until: \"2026-12-01T00:00:00Z\"}\n",
                   &cfg, err, sizeof err), -1);
    CHECK(strstr(err, "test.yaml:5:") && strstr(err, "missing required key 'why'"));
    alertcfg_free(&cfg);
}

TEST(dedup_survives_restart_and_torn_journal)
{
    char dir[] = "/tmp/bp-test-dedup.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char err[256];
    dedup_t *d = dedup_open(dir, 1000, err, sizeof err);
    CHECK(d != NULL);
    CHECK_INT(dedup_add(d, "vk:1"), 0);
    CHECK_INT(dedup_add(d, "x:2\nodd"), 0);
    CHECK(dedup_seen(d, "vk:1"));
    CHECK_INT(dedup_sync(d), 0);
    CHECK_INT(dedup_add(d, "never-synced"), 0);
    /* simulate a crash: the journal gets a torn line, the unsynced id is lost */
    char path[512];
    snprintf(path, sizeof path, "%s/dedup.journal", dir);
    FILE *f = fopen(path, "a");
    fputs("torn-without-newl", f);
    fclose(f);
    dedup_close(d); /* (close syncs "never-synced" after the torn bytes) */
    d = dedup_open(dir, 1000, err, sizeof err);
    CHECK(d != NULL);
    CHECK(dedup_seen(d, "vk:1"));
    CHECK(dedup_seen(d, "x:2\nodd"));
    CHECK(!dedup_seen(d, "vk:2"));
    CHECK_INT(dedup_add(d, "vk:3"), 0);
    CHECK_INT(dedup_sync(d), 0);
    dedup_close(d);
    d = dedup_open(dir, 1000, err, sizeof err);
    CHECK(d && dedup_seen(d, "vk:3"));
    dedup_close(d);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

TEST(retry_queue_round_trip)
{
    char dir[] = "/tmp/bp-test-rq.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char err[256];
    retryq_t *q = retryq_open(dir, err, sizeof err);
    CHECK(q != NULL);
    json_t *msg = json_pack("{s:s, s:s}", "kind", "alert", "alert_id", "al_1");
    aq_job_t *a = retryq_job_new("al_1", "hook", 1, "", msg, 1000);
    aq_job_t *b = retryq_job_new("al_1", "console", 0, "", msg, 2000);
    aq_job_t *a2 = retryq_job_new("al_1", "hook", 1, "", msg, 3000);
    aq_job_t *e = retryq_job_new("al_1", "hook", 1, "esc1", msg, 3000);
    CHECK_STR(a->id, a2->id);         /* deterministic */
    CHECK(strcmp(a->id, b->id) != 0); /* per channel */
    CHECK(strcmp(a->id, e->id) != 0); /* per tag */
    CHECK_STR(json_string_value(json_object_get(a->msg, "delivery_id")), a->id);
    CHECK(json_object_get(msg, "delivery_id") == NULL);
    a->attempt = 2;
    a->next_ms = 99;
    CHECK_INT(retryq_save(q, a), 0);
    CHECK_INT(retryq_save(q, b), 0);
    CHECK(retryq_exists(q, a2->id));
    CHECK_INT(retryq_count(q), 2);
    aq_job_t *list = NULL;
    CHECK_INT(retryq_load(q, &list), 2);
    CHECK(list && list->next && !list->next->next);
    CHECK_STR(list->id, a->id); /* oldest first */
    CHECK_INT(list->attempt, 2);
    CHECK_INT(list->next_ms, 99);
    CHECK_STR(list->channel, "hook");
    CHECK_STR(bp_json_str(list->msg, "alert_id"), "al_1");
    while (list) {
        aq_job_t *n = list->next;
        CHECK_INT(retryq_remove(q, list), 0);
        retryq_job_free(list);
        list = n;
    }
    CHECK_INT(retryq_count(q), 0);
    /* a corrupt file is moved aside, not fatal */
    char path[512];
    snprintf(path, sizeof path, "%s/%s.json", dir, a->id);
    FILE *f = fopen(path, "w");
    fputs("{not json", f);
    fclose(f);
    CHECK_INT(retryq_load(q, &list), 0);
    strcat(path, ".bad");
    CHECK(access(path, F_OK) == 0);
    retryq_job_free(a);
    retryq_job_free(a2);
    retryq_job_free(b);
    retryq_job_free(e);
    json_decref(msg);
    retryq_close(q);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

int main(void)
{
    RUN(config_errors_name_the_position);
    RUN(routes_by_priority_reason_lang_source_brand);
    RUN(schedule_and_oncall);
    RUN(silences_match_and_expire);
    RUN(dedup_survives_restart_and_torn_journal);
    RUN(retry_queue_round_trip);
    return test_summary();
}
