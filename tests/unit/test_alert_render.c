/* test_alert_render.c — alert messages: templates, escaping, highlighting with masking,
 * splitting for Telegram, and the channel payloads (webhook signature, e-mail, PagerDuty). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "config.h"
#include "crypto.h"
#include "mask.h"
#include "render.h"
#include "test.h"

static json_t *load(const char *s)
{
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    if (!j)
        fprintf(stderr, "bad test JSON: %s\n", je.text);
    return j;
}

/* "Приватбанк" is bytes 0..20, "не працює" bytes 32..49 */
static const char *ALERT_MSG =
    "{\"kind\":\"alert\",\"alert_id\":\"al_1\",\"brand\":\"privatbank\",\"priority\":\"high\","
    "\"deadline\":\"2026-11-23T10:07:00.000Z\",\"similar\":2,\"level\":0,\"delivery_id\":\"d1\","
    "\"alert\":{\"id\":\"tg:1\",\"source\":\"telegram\",\"url\":\"https://t.me/x/1?a=1&b=2\","
    "\"author\":{\"id\":\"tg:5\",\"name\":\"Olena <K>\",\"followers\":230},"
    "\"text\":\"Приватбанк знову не працює, картка 4111 1111 1111 1111 <b>\","
    "\"published_at\":\"2026-11-23T10:00:00Z\",\"priority\":\"high\",\"brands\":[\"privatbank\"],"
    "\"reasons\":[\"negative:-4\",\"urgent:card_blocked\"],"
    "\"matches\":[{\"start\":0,\"end\":20}],"
    "\"sentiment\":{\"terms\":[{\"start\":32,\"end\":49},{\"start\":1,\"end\":3}]}}}";

static char *render(const json_t *msg, const char *tpl, render_fmt_t fmt, unsigned mask)
{
    bp_buf_t b;
    bp_buf_init(&b, 1 << 20);
    if (render_message(msg, tpl, fmt, mask, &b) != 0) {
        bp_buf_free(&b);
        return NULL;
    }
    return bp_buf_steal(&b);
}

TEST(plain_alert_block)
{
    json_t *m = load(ALERT_MSG);
    char *s = render(m, NULL, RENDER_PLAIN, MASK_ALL);
    CHECK(s != NULL);
    CHECK(strstr(s, "[HIGH] privatbank — negative:-4, urgent:card_blocked\n") == s);
    CHECK(strstr(s, "Author: Olena <K> (230 followers) · telegram · 2026-11-23T10:00:00Z\n"));
    CHECK(strstr(s, "*Приватбанк* знову *не працює*, картка [card ****1111] <b>\n"));
    CHECK(strstr(s, "Link: https://t.me/x/1?a=1&b=2\n"));
    CHECK(strstr(s, "Answer by: 2026-11-23T10:07:00.000Z\n"));
    CHECK(strstr(s, "2 similar posts folded"));
    CHECK(strstr(s, "ESCALATION") == NULL); /* level 0: the line is left out */
    CHECK(strstr(s, "Acknowledge") == NULL); /* no ack_url: left out */
    CHECK(strstr(s, "4111") == NULL);
    free(s);
    json_decref(m);
}

TEST(html_escapes_and_highlights)
{
    json_t *m = load(ALERT_MSG);
    json_object_set_new(m, "ack_url", json_string("http://ack/a?x=1&y=2"));
    json_object_set_new(m, "level", json_integer(1));
    char *s = render(m, NULL, RENDER_HTML, MASK_ALL);
    CHECK(s != NULL);
    CHECK(strstr(s, "<b>[HIGH] privatbank</b>"));
    CHECK(strstr(s, "Olena &lt;K&gt;"));
    CHECK(strstr(s, "<b>Приватбанк</b> знову <b>не працює</b>, картка [card ****1111] &lt;b&gt;"));
    CHECK(strstr(s, "<a href=\"https://t.me/x/1?a=1&amp;b=2\">"));
    CHECK(strstr(s, "<a href=\"http://ack/a?x=1&amp;y=2\">Acknowledge</a>"));
    CHECK(strstr(s, "<b>ESCALATION level 1</b>"));
    free(s);
    json_decref(m);
}

TEST(templates_and_unknown_placeholders)
{
    json_t *m = load(ALERT_MSG);
    char *s = render(m, "{{PRIORITY}}/{{brand}}: {{text}}\nack {{ack_url}}\nend", RENDER_SLACK,
                     0);
    CHECK_STR(s, "HIGH/privatbank: *Приватбанк* знову *не працює*, картка 4111 1111 1111 1111 "
                 "&lt;b&gt;\nend");
    free(s);
    CHECK(render(m, "{{nope}}", RENDER_PLAIN, 0) == NULL);
    char err[128];
    CHECK_INT(render_check_template("{{brand}} {{text}}", err, sizeof err), 0);
    CHECK_INT(render_check_template("{{brand}} {{txt}}", err, sizeof err), -1);
    CHECK(strstr(err, "txt") != NULL);
    json_decref(m);
}

TEST(incident_and_digest)
{
    json_t *m = load("{\"kind\":\"incident\",\"alert_id\":\"in_1\",\"brand\":\"monobank\","
                     "\"reason\":\"urgent:fraud\",\"count\":17,\"state\":\"open\","
                     "\"first_at\":\"a\",\"last_at\":\"b\",\"samples\":[{\"text\":\"mono stole "
                     "money, call +380671234567\",\"brands\":[\"monobank\"],\"priority\":"
                     "\"urgent\",\"author\":{\"name\":\"Max\"},\"url\":\"https://x/1\"}]}");
    char *s = render(m, NULL, RENDER_PLAIN, MASK_ALL);
    CHECK(s && strstr(s, "[INCIDENT open] monobank — urgent:fraud: 17 alerts"));
    CHECK(s && strstr(s, "• URGENT monobank Max: mono stole money, call [phone ***67] https://x/1"));
    free(s);
    bp_buf_t t;
    bp_buf_init(&t, 4096);
    CHECK_INT(render_title(m, MASK_ALL, &t), 0);
    CHECK_STR(t.data, "[INCIDENT open] monobank — urgent:fraud: 17 alerts");
    bp_buf_free(&t);
    json_decref(m);
}

static size_t u16len(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            n += *p >= 0xF0 ? 2 : 1;
    return n;
}

TEST(html_split_keeps_tags_balanced)
{
    bp_buf_t b;
    bp_buf_init(&b, 1 << 20);
    bp_buf_puts(&b, "<b>head</b>\n<i>");
    for (int i = 0; i < 3000; i++)
        bp_buf_puts(&b, "ж&amp;");
    bp_buf_puts(&b, "</i>\ntail");
    bp_strlist_t parts = {0};
    CHECK_INT(render_split_html(b.data, 4096, &parts), 0);
    CHECK(parts.n >= 2);
    for (size_t i = 0; i < parts.n; i++) {
        CHECK(u16len(parts.v[i]) <= 4096);
        /* no cut inside an entity, <i> closed and reopened */
        size_t len = strlen(parts.v[i]);
        CHECK(len < 5 || strcmp(parts.v[i] + len - 4, "</i>") == 0 || i == parts.n - 1);
        char *amp = strrchr(parts.v[i], '&');
        CHECK(!amp || strncmp(amp, "&amp;", 5) == 0);
    }
    CHECK(strncmp(parts.v[1], "<i>", 3) == 0);
    CHECK(strstr(parts.v[parts.n - 1], "tail") != NULL);
    bp_strlist_free(&parts);
    bp_strlist_t small = {0};
    CHECK_INT(render_split_html("short <b>msg</b>", 4096, &small), 0);
    CHECK_INT(small.n, 1);
    CHECK_STR(small.v[0], "short <b>msg</b>");
    bp_strlist_free(&small);
    bp_buf_free(&b);
}

TEST(plain_split_at_spaces)
{
    bp_strlist_t parts = {0};
    CHECK_INT(render_split_plain("aaaa bbbb cccc", 9, &parts), 0);
    CHECK_INT(parts.n, 2);
    CHECK_STR(parts.v[0], "aaaa bbbb");
    CHECK_STR(parts.v[1], "cccc");
    bp_strlist_free(&parts);
}

TEST(webhook_signature_matches_standard_webhooks)
{
    /* the example of the Standard Webhooks reference libraries */
    size_t klen = 0;
    unsigned char *key = bp_base64_decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 32, &klen);
    char sig[128];
    const char *body = "{\"test\": 2432232314}";
    CHECK(key != NULL);
    CHECK_INT(channel_webhook_sign(key, klen, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body,
                                   strlen(body), sig, sizeof sig),
              0);
    CHECK_STR(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    free(key);
}

static ach_cfg_t *email_cfg(void)
{
    static ach_cfg_t c;
    static char *to[] = {"care@example.com", "lead@example.com"};
    memset(&c, 0, sizeof c);
    c.name = "mail";
    c.from = "bp@example.com";
    c.to.v = to;
    c.to.n = 2;
    c.tpl = "";
    c.tpl_subject = "";
    c.mask_kinds = MASK_ALL;
    return &c;
}

TEST(email_is_multipart_with_stable_message_id)
{
    json_t *m = load(ALERT_MSG);
    bp_buf_t b;
    bp_buf_init(&b, 1 << 22);
    CHECK_INT(channel_email_build(email_cfg(), m, 1795434690000LL, &b), 0);
    CHECK(strstr(b.data, "To: <care@example.com>, <lead@example.com>\r\n"));
    CHECK(strstr(b.data, "Message-ID: <d1@brandpulse>\r\n"));
    CHECK(strstr(b.data, "Subject: =?UTF-8?B?"));
    CHECK(strstr(b.data, "multipart/alternative; boundary=\"bp-d1\""));
    CHECK(strstr(b.data, "Content-Type: text/plain; charset=utf-8"));
    CHECK(strstr(b.data, "Content-Type: text/html; charset=utf-8"));
    CHECK(strstr(b.data, "--bp-d1--\r\n"));
    bp_buf_free(&b);
    json_decref(m);
}

TEST(pagerduty_trigger_and_resolve)
{
    ach_cfg_t c;
    memset(&c, 0, sizeof c);
    c.routing_key = "R0UTING";
    c.tpl = "";
    c.severity = "";
    c.mask_kinds = MASK_ALL;
    json_t *m = load(ALERT_MSG);
    json_t *ev = channel_pagerduty_event(&c, m);
    CHECK_STR(json_string_value(json_object_get(ev, "event_action")), "trigger");
    CHECK_STR(json_string_value(json_object_get(ev, "dedup_key")), "al_1");
    json_t *p = json_object_get(ev, "payload");
    CHECK_STR(json_string_value(json_object_get(p, "severity")), "error");
    CHECK_STR(json_string_value(json_object_get(p, "source")), "telegram");
    CHECK(strstr(json_string_value(json_object_get(p, "summary")), "[HIGH] privatbank: ") != NULL);
    CHECK(strstr(json_string_value(json_object_get(p, "summary")), "4111") == NULL);
    json_decref(ev);
    json_object_set_new(m, "kind", json_string("resolve"));
    ev = channel_pagerduty_event(&c, m);
    CHECK_STR(json_string_value(json_object_get(ev, "event_action")), "resolve");
    CHECK(json_object_get(ev, "payload") == NULL);
    json_decref(ev);
    json_decref(m);
}

int main(void)
{
    RUN(plain_alert_block);
    RUN(html_escapes_and_highlights);
    RUN(templates_and_unknown_placeholders);
    RUN(incident_and_digest);
    RUN(html_split_keeps_tags_balanced);
    RUN(plain_split_at_spaces);
    RUN(webhook_signature_matches_standard_webhooks);
    RUN(email_is_multipart_with_stable_message_id);
    RUN(pagerduty_trigger_and_resolve);
    return test_summary();
}
