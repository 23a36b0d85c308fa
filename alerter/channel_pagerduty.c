/* channel_pagerduty.c — PagerDuty Events API v2: alerts and incidents trigger an event whose
 * dedup_key is the alert or incident id; a resolved incident (or an acknowledged alert) sends
 * resolve / acknowledge with the same key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "log.h"
#include "model.h"
#include "render.h"

typedef struct channel_pagerduty {
    char url[1024];
} channel_pagerduty_t;

static const char *channel_pagerduty_severity(const ach_cfg_t *cfg, const char *priority)
{
    if (cfg->severity && *cfg->severity)
        return cfg->severity;
    if (strcmp(priority, "urgent") == 0)
        return "critical";
    if (strcmp(priority, "high") == 0)
        return "error";
    if (strcmp(priority, "low") == 0)
        return "info";
    return "warning";
}

json_t *channel_pagerduty_event(const ach_cfg_t *cfg, const json_t *msg)
{
    const char *kind = bp_json_str(msg, "kind");
    const char *action = "trigger";
    if (strcmp(kind, "ack") == 0)
        action = "acknowledge";
    else if (strcmp(kind, "resolve") == 0 ||
             (strcmp(kind, "incident") == 0 && strcmp(bp_json_str(msg, "state"), "resolved") == 0))
        action = "resolve";
    const char *key = bp_json_str(msg, "alert_id");
    json_t *ev = json_pack("{s:s, s:s, s:s}", "routing_key", cfg->routing_key, "event_action",
                           action, "dedup_key", key);
    if (!ev || strcmp(action, "trigger") != 0)
        return ev;
    bp_buf_t title = BP_BUF_INIT(4096), details = BP_BUF_INIT((size_t)1 << 20);
    const json_t *alert = json_object_get(msg, "alert");
    if (!json_is_object(alert))
        alert = json_array_get(json_object_get(msg, "samples"), 0);
    render_title(msg, cfg->mask_kinds, &title);
    render_message(msg, cfg->tpl, RENDER_PLAIN, cfg->mask_kinds, &details);
    const char *src = bp_json_str(alert, "source");
    const char *brand = bp_json_str(msg, "brand");
    json_t *payload = json_pack(
        "{s:s%, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}}", "summary",
        title.data ? title.data : "", title.len > 1024 ? (size_t)1024 : title.len, "source",
        *src ? src : "brandpulse", "severity",
        channel_pagerduty_severity(cfg, bp_json_str(msg, "priority")), "component",
        *brand ? brand : "brandpulse", "group", *bp_json_str(msg, "reason") ? bp_json_str(msg, "reason") : kind,
        "custom_details", "message", details.data ? details.data : "", "post_id",
        bp_json_str(msg, "post_id"), "deadline", bp_json_str(msg, "deadline"), "kind", kind);
    bp_buf_free(&title);
    bp_buf_free(&details);
    if (!payload) {
        json_decref(ev);
        return NULL;
    }
    const char *pub = bp_json_str(alert, "published_at");
    if (*pub)
        json_object_set_new(payload, "timestamp", json_string(pub));
    json_object_set_new(ev, "payload", payload);
    const char *url = bp_json_str(alert, "url");
    if (*url)
        json_object_set_new(ev, "links", json_pack("[{s:s, s:s}]", "href", url, "text", "post"));
    const char *ack = bp_json_str(msg, "ack_url");
    if (*ack) {
        json_t *links = json_object_get(ev, "links");
        if (!links) {
            links = json_array();
            json_object_set_new(ev, "links", links);
        }
        json_array_append_new(links, json_pack("{s:s, s:s}", "href", ack, "text", "acknowledge"));
    }
    return ev;
}

static int channel_pagerduty_send(channel_t *ch, const json_t *msg, ch_result_t *res)
{
    channel_pagerduty_t *p = ch->priv;
    json_t *ev = channel_pagerduty_event(ch->cfg, msg);
    char *s = ev ? bp_json_dump(ev) : NULL;
    json_decref(ev);
    if (!s) {
        snprintf(res->detail, sizeof res->detail, "out of memory");
        return res->code = CH_RETRY, -1;
    }
    channel_http_post(ch, p->url, "application/json", NULL, s, strlen(s), res, NULL);
    free(s);
    if (res->code == CH_OK)
        snprintf(res->ref, sizeof res->ref, "%s", bp_json_str(msg, "alert_id"));
    return res->code == CH_OK ? 0 : -1;
}

static void channel_pagerduty_destroy(channel_t *ch)
{
    free(ch->priv);
    ch->priv = NULL;
}

int channel_pagerduty_init(channel_t *ch, char *err, size_t errlen)
{
    channel_pagerduty_t *p = calloc(1, sizeof *p);
    if (!p)
        return bp_seterr(err, errlen, "out of memory");
    ch->priv = p;
    ch->send = channel_pagerduty_send;
    ch->destroy = channel_pagerduty_destroy;
    const char *base = ch->cfg->api_base;
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    int n = snprintf(p->url, sizeof p->url, "%.*s/v2/enqueue", (int)bl, base);
    if (n < 0 || (size_t)n >= sizeof p->url)
        return bp_seterr(err, errlen, "channel '%s': api_base too long", ch->cfg->name);
    return 0;
}
