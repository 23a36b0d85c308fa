/* test_replay.c — unit tests of replay/: CSV quoting, aggregates, rule-set comparison, the
 * timestamp-lookup probe, the progress line, HTML escaping and the alert dry run. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alertcfg.h"
#include "buf.h"
#include "rpagg.h"
#include "rpcmp.h"
#include "rpcsv.h"
#include "rpdry.h"
#include "rphtml.h"
#include "rpprog.h"
#include "rpread.h"
#include "test.h"
#include "timeutil.h"

static json_t *J(const char *s)
{
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    if (!j)
        fprintf(stderr, "bad test JSON: %s: %s\n", s, e.text);
    return j;
}

TEST(csv_quotes_only_when_needed)
{
    bp_buf_t b = BP_BUF_INIT(0);
    const char *f[] = {"plain", "a,b", "say \"hi\"", "two\nlines", "", " padded", NULL};
    CHECK(rpcsv_record(&b, f, 7) == 0);
    CHECK_STR(b.data, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,\" padded\",\r\n");
    bp_buf_free(&b);
}

TEST(csv_mention_row)
{
    json_t *m = J("{\"id\":\"x:1\",\"published_at\":\"2026-11-20T10:00:00Z\",\"source\":\"x\","
                  "\"author\":{\"id\":\"x:u\",\"name\":\"N, M\",\"followers\":12},"
                  "\"brands\":[\"a\",\"b\"],\"sentiment\":{\"score\":-3,\"label\":\"negative\"},"
                  "\"alert\":true,\"priority\":\"normal\",\"reasons\":[\"negative:-3\"],"
                  "\"text\":\"t\\\"x\"}");
    bp_buf_t b = BP_BUF_INIT(0);
    CHECK(rpcsv_mention_row(&b, m) == 0);
    CHECK_STR(b.data, "x:1,2026-11-20T10:00:00Z,x,,,x:u,\"N, M\",12,a;b,-3,negative,true,normal,"
                      "negative:-3,,\"t\"\"x\"\r\n");
    CHECK_INT(rpcsv_mention_ncols, 16);
    bp_buf_free(&b);
    json_decref(m);
}

TEST(agg_floor_and_buckets)
{
    CHECK_INT(rpagg_floor(7200001, RPAGG_HOUR_MS), 7200000);
    CHECK_INT(rpagg_floor(-1, RPAGG_HOUR_MS), -RPAGG_HOUR_MS);
    rpagg_t *a = rpagg_new(RPAGG_HOUR_MS, 2);
    json_t *m1 = J("{\"id\":\"1\",\"brands\":[\"acme\",\"zeta\"],\"alert\":true,\"priority\":\"urgent\","
                   "\"sentiment\":{\"score\":-5,\"label\":\"negative\",\"terms\":[{\"term\":\"bad\","
                   "\"weight\":-2},{\"term\":\"good\",\"weight\":1}]},"
                   "\"brand_sentiment\":{\"zeta\":{\"score\":1,\"label\":\"positive\"}},"
                   "\"author\":{\"id\":\"u1\",\"name\":\"One\",\"followers\":10}}");
    json_t *m2 = J("{\"id\":\"2\",\"brands\":[\"acme\"],\"alert\":false,\"priority\":\"low\","
                   "\"sentiment\":{\"score\":-1,\"label\":\"negative\",\"terms\":[{\"term\":\"bad\","
                   "\"weight\":-1}]},\"author\":{\"id\":\"u2\",\"name\":\"Two\",\"followers\":500}}");
    json_t *m3 = J("{\"id\":\"3\",\"brands\":[\"acme\"],\"alert\":false,\"sentiment\":{\"score\":2,"
                   "\"label\":\"positive\",\"terms\":[]},\"author\":{\"id\":\"u1\",\"followers\":20}}");
    int64_t t0;
    bp_time_parse_rfc3339("2026-11-20T10:15:00Z", &t0);
    CHECK(rpagg_add(a, m1, t0) == 0);
    CHECK(rpagg_add(a, m2, t0 + 10 * 60000) == 0);
    CHECK(rpagg_add(a, m3, t0 + 60 * 60000) == 0);
    long long neg, al;
    CHECK_INT(rpagg_total(a, &neg, &al), 3);
    CHECK_INT(neg, 2);
    CHECK_INT(al, 1);
    size_t nb;
    const rpagg_brand_t *b = rpagg_brands(a, &nb);
    CHECK_INT(nb, 2);
    CHECK_STR(b[0].name, "acme");
    CHECK_INT(b[0].mentions, 3);
    CHECK_INT(b[0].negative, 2);
    CHECK_INT(b[0].ncells, 2);
    CHECK_INT(b[0].cells[0].start_ms, rpagg_floor(t0, RPAGG_HOUR_MS));
    CHECK_INT(b[0].cells[0].mentions, 2);
    CHECK_INT(b[0].cells[1].mentions, 1);
    CHECK_STR(b[1].name, "zeta");
    CHECK_INT(b[1].negative, 0); /* judged by its own brand_sentiment */
    const rpagg_count_t *t;
    CHECK_INT(rpagg_top_terms(a, &t, 10), 1); /* only negative weights count */
    CHECK_STR(t[0].key, "bad");
    CHECK_INT(t[0].count, 2);
    CHECK_INT(rpagg_top_authors(a, &t, 10), 2);
    CHECK_STR(t[0].key, "u2");
    CHECK_STR(t[1].key, "u1");
    CHECK_INT(t[1].followers, 20);
    CHECK_INT(t[1].count, 2);
    json_t *const *u;
    CHECK_INT(rpagg_urgent(a, &u), 2); /* capped at 2, most urgent first */
    CHECK_STR(json_string_value(json_object_get(u[0], "id")), "1");
    CHECK_STR(json_string_value(json_object_get(u[1], "id")), "2");
    /* the counters keep working after the top lists were sorted */
    CHECK(rpagg_add(a, m2, t0) == 0);
    CHECK_INT(rpagg_top_terms(a, &t, 10), 1);
    CHECK_INT(t[0].count, 3);
    int64_t f, l;
    CHECK(rpagg_span(a, &f, &l) == 0);
    CHECK_INT(l - f, RPAGG_HOUR_MS);
    rpagg_free(a);
    json_decref(m1);
    json_decref(m2);
    json_decref(m3);
}

TEST(cmp_kinds_of_disagreement)
{
    json_t *a = J("{\"brands\":[\"x\",\"y\"],\"alert\":true,\"priority\":\"high\","
                  "\"sentiment\":{\"label\":\"negative\"}}");
    json_t *same = J("{\"brands\":[\"y\",\"x\"],\"alert\":true,\"priority\":\"high\","
                     "\"sentiment\":{\"label\":\"negative\"}}");
    json_t *b = J("{\"brands\":[\"x\"],\"alert\":true,\"priority\":\"urgent\","
                  "\"sentiment\":{\"label\":\"neutral\"}}");
    json_t *c = J("{\"brands\":[\"x\",\"y\"],\"alert\":false,\"priority\":\"low\","
                  "\"sentiment\":{\"label\":\"negative\"}}");
    CHECK_INT(rpcmp_diff(NULL, NULL), 0);
    CHECK_INT(rpcmp_diff(a, same), 0);
    CHECK_INT(rpcmp_diff(a, b), RPCMP_BRANDS | RPCMP_PRIORITY | RPCMP_LABEL);
    CHECK_INT(rpcmp_diff(a, c), RPCMP_ALERT); /* priority compared only when both alert */
    CHECK_INT(rpcmp_diff(a, NULL), RPCMP_MATCH | RPCMP_ALERT);
    CHECK_INT(rpcmp_diff(NULL, c), RPCMP_MATCH);
    char k[64];
    CHECK_STR(rpcmp_kinds(RPCMP_MATCH | RPCMP_ALERT, k, sizeof k), "match,alert");
    rpcmp_totals_t t;
    memset(&t, 0, sizeof t);
    rpcmp_count(&t, a, NULL);
    rpcmp_count(&t, a, same);
    rpcmp_count(&t, NULL, c);
    CHECK_INT(t.posts, 3);
    CHECK_INT(t.mentions[0], 2);
    CHECK_INT(t.mentions[1], 2);
    CHECK_INT(t.alerts[0], 2);
    CHECK_INT(t.alerts[1], 1);
    CHECK_INT(t.differ, 2);
    CHECK_INT(t.by_kind[0], 2);
    json_t *post = J("{\"id\":\"p\",\"text\":\"t\"}");
    json_t *rec = rpcmp_record(post, a, NULL, RPCMP_MATCH | RPCMP_ALERT);
    CHECK(json_is_true(json_object_get(json_object_get(rec, "a"), "matched")));
    CHECK(json_is_false(json_object_get(json_object_get(rec, "b"), "matched")));
    CHECK_INT(json_array_size(json_object_get(rec, "diff")), 2);
    json_decref(rec);
    json_decref(post);
    json_decref(a);
    json_decref(same);
    json_decref(b);
    json_decref(c);
}

TEST(read_probe_decides_timestamp_lookups)
{
    int64_t lo[3] = {0, 5, 0}, hi[3] = {10, 5, 4};
    int64_t ok[3] = {0, -1, 2}, mock[3] = {-1, -1, -1}, out[3] = {0, -1, 4};
    int pe[3] = {0, 0, 0}, perr[3] = {0, 0, 7};
    CHECK_INT(rpread_probe_ok(lo, hi, ok, pe, 3), 1);   /* empty partition 1 ignored */
    CHECK_INT(rpread_probe_ok(lo, hi, mock, pe, 3), 0); /* the mock cluster answers -1 */
    CHECK_INT(rpread_probe_ok(lo, hi, out, pe, 3), 0);  /* offset past the high watermark */
    CHECK_INT(rpread_probe_ok(lo, hi, ok, perr, 3), 0); /* a partition error */
    int64_t elo[1] = {3}, ehi[1] = {3}, e[1] = {-1};
    CHECK_INT(rpread_probe_ok(elo, ehi, e, pe, 1), 0);  /* nothing to read: scan (exact) */
}

TEST(read_bounds_from_lookups)
{
    int64_t s, e;
    rpread_bounds(10, 100, 40, 70, &s, &e); /* both times inside */
    CHECK_INT(s, 40);
    CHECK_INT(e, 70);
    rpread_bounds(10, 100, 40, -1, &s, &e); /* nothing at or after `to`: up to the end */
    CHECK_INT(e, 100);
    rpread_bounds(10, 100, -1, -1, &s, &e); /* nothing at or after `from`: nothing to read */
    CHECK_INT(s, 100);
    CHECK_INT(e, 100);
    rpread_bounds(10, 100, 5, 200, &s, &e); /* answers outside the watermarks are clamped */
    CHECK_INT(s, 10);
    CHECK_INT(e, 100);
    rpread_bounds(10, 100, 60, 50, &s, &e); /* out-of-order timestamps: empty, never negative */
    CHECK_INT(e - s, 0);
}

TEST(progress_line)
{
    char b[160];
    CHECK_STR(rpprog_format(b, sizeof b, 500, 2000, 1000), "500/2000 records (25%), 500/s, 3s left");
    CHECK_STR(rpprog_format(b, sizeof b, 10, 0, 2000), "10 records, 5/s");
    CHECK_STR(rpprog_format(b, sizeof b, 100, 100000, 1000), "100/100000 records (0%), 100/s, 16m39s left");
    rpprog_t p;
    rpprog_init(&p, stdout, 1); /* stdout of a test is a pipe or a file: disabled */
    if (!isatty(fileno(stdout)))
        CHECK(p.f == NULL);
    rpprog_init(&p, stderr, 0);
    CHECK(p.f == NULL);
}

TEST(html_escape_and_render)
{
    bp_buf_t b = BP_BUF_INIT(0);
    CHECK(rphtml_escape(&b, "<a href=\"x\">&'</a>") == 0);
    CHECK_STR(b.data, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    bp_buf_free(&b);
    rpagg_t *a = rpagg_new(RPAGG_HOUR_MS, 5);
    json_t *m = J("{\"id\":\"1\",\"brands\":[\"<b>\"],\"alert\":true,\"text\":\"<script>x</script>\","
                  "\"sentiment\":{\"score\":-3,\"label\":\"negative\",\"terms\":[{\"term\":\"t\",\"weight\":-3}]}}");
    rpagg_add(a, m, 3600000);
    rpagg_add(a, m, 3 * 3600000);
    rphtml_info_t in;
    memset(&in, 0, sizeof in);
    in.topic = "bp.mentions";
    in.from_ms = RPREAD_NO_FROM;
    in.to_ms = RPREAD_NO_TO;
    bp_buf_t h = BP_BUF_INIT(0);
    CHECK(rphtml_render(&h, a, &in) == 0);
    CHECK(strstr(h.data, "<script") == NULL);
    CHECK(strstr(h.data, "&lt;script&gt;") != NULL);
    CHECK(strstr(h.data, "data-brand=\"&lt;b&gt;\"") != NULL);
    /* 3 hourly buckets, 2 holding mentions: 2 bars, one negative-share line of 2 points */
    size_t bars = 0;
    for (const char *p = h.data; (p = strstr(p, "<rect class=\"bar\"")); p++)
        bars++;
    CHECK_INT(bars, 2);
    CHECK(strstr(h.data, "class=\"chart chart-terms\"") != NULL);
    CHECK(strstr(h.data, "src=") == NULL && strstr(h.data, "href=") == NULL);
    bp_buf_free(&h);
    rpagg_free(a);
    json_decref(m);
}

static json_t *dry_mention(const char *id, const char *brand, const char *text, const char *prio)
{
    json_t *m = json_pack("{s:s, s:s, s:[s], s:b, s:s, s:[s]}", "id", id, "text", text, "brands",
                          brand, "alert", 1, "priority", prio, "reasons", "negative:-4");
    return m;
}

TEST(dry_run_on_event_time)
{
    alert_cfg_t cfg;
    char err[512];
    int rc = alertcfg_load_string("state_dir: /nonexistent\n"
                                  "incident: {threshold: 3, window: 10m, quiet: 30m, update_every: 1m}\n"
                                  "fold: {window: 30m, distance: 3}\n"
                                  "channels: [{name: c, type: console}]\n"
                                  "routes: [{when: {brand: [acme]}, channels: [c]}]\n",
                                  &cfg, err, sizeof err);
    CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "    %s\n", err);
        return;
    }
    rpdry_t *d = rpdry_new(&cfg);
    const char *texts[] = {"the app crashed", "cannot log in at all", "website error five hundred"};
    int64_t t0 = 1795251600000LL, min = 60000;
    /* added out of order: the run sorts by event time */
    for (int i = 2; i >= 0; i--) {
        char id[16];
        snprintf(id, sizeof id, "p%d", i);
        json_t *m = dry_mention(id, "acme", texts[i], "normal");
        CHECK(rpdry_add(d, m, t0 + i * min) == 0);
        json_decref(m);
    }
    json_t *dup = dry_mention("p0", "acme", "the app crashed", "normal");
    json_t *other = dry_mention("q", "other", "nobody routes this", "normal");
    json_t *quiet = dry_mention("p9", "acme", "much later a new problem", "normal");
    json_object_set_new(other, "alert", json_false()); /* not an alert: ignored */
    CHECK(rpdry_add(d, dup, t0 + 5 * min) == 0);
    CHECK(rpdry_add(d, other, t0) == 0);
    CHECK(rpdry_add(d, quiet, t0 + 120 * min) == 0);
    rpdry_stats_t st;
    json_t *ev = rpdry_run(d, &st);
    CHECK(ev != NULL);
    CHECK_INT(st.input, 5);
    CHECK_INT(st.duplicates, 1);
    CHECK_INT(st.incidents, 1);
    /* p0, p1 sent; p2 opens the incident; resolved 30 min later; p9 sent */
    const char *want[] = {"alert", "alert", "incident", "incident", "alert"};
    CHECK_INT(json_array_size(ev), 5);
    for (size_t i = 0; i < json_array_size(ev) && i < 5; i++)
        CHECK_STR(json_string_value(json_object_get(json_array_get(ev, i), "type")), want[i]);
    char aid[24];
    CHECK_STR(json_string_value(json_object_get(json_array_get(ev, 0), "alert_id")),
              rpdry_alert_id("p0", aid));
    CHECK_STR(json_string_value(json_object_get(json_array_get(ev, 3), "state")), "resolved");
    CHECK_STR(json_string_value(json_object_get(json_array_get(ev, 3), "at")),
              "2026-11-21T09:32:00.000Z");
    json_decref(ev);
    json_decref(dup);
    json_decref(other);
    json_decref(quiet);
    rpdry_free(d);
    alertcfg_free(&cfg);
}

int main(void)
{
    RUN(csv_quotes_only_when_needed);
    RUN(csv_mention_row);
    RUN(agg_floor_and_buckets);
    RUN(cmp_kinds_of_disagreement);
    RUN(read_probe_decides_timestamp_lookups);
    RUN(read_bounds_from_lookups);
    RUN(progress_line);
    RUN(html_escape_and_render);
    RUN(dry_run_on_event_time);
    return test_summary();
}
