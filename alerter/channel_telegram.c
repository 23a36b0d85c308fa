/* channel_telegram.c — Telegram Bot API sendMessage: HTML rendering, split at 4096 characters,
 * a plain-text retry when Telegram cannot parse the formatting, 429 retry_after honoured and a
 * least interval between messages to one chat; optional inline buttons (acknowledge, resolve,
 * snooze) whose presses a poller thread reads back with getUpdates into the alerter's inbox. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "log.h"
#include "model.h"
#include "render.h"
#include "timeutil.h"

#define TELEGRAM_LIMIT 4096
#define TELEGRAM_REMEMBER 256 /* incident messages remembered for editing in place */

typedef struct channel_telegram {
    char url[2048];           /* .../bot<token>/sendMessage: a secret, never logged */
    char updates_url[2048];   /* .../getUpdates */
    char answer_url[2048];    /* .../answerCallbackQuery */
    char edit_url[2048];      /* .../editMessageText */
    struct {
        char id[40];
        long long message_id;
    } posted[TELEGRAM_REMEMBER]; /* incident id -> the message showing it (worker thread) */
    size_t posted_next;
    pthread_t poller;
    int polling;
    volatile int stop;
    inbox_t *inbox;
    const ach_cfg_t *cfg;
    int64_t last_send_ms;     /* monotonic */
    char part_of[40];         /* delivery whose first parts_sent parts already went out */
    size_t parts_sent;
} channel_telegram_t;

/* Classifies a Bot API answer: ok, or the error with retry_after; "can't parse entities"
 * sets *parse_error. */
static void channel_telegram_classify(const bp_buf_t *body, ch_result_t *res, int *parse_error)
{
    json_error_t je;
    json_t *o = body->data ? json_loadb(body->data, body->len, 0, &je) : NULL;
    const char *desc = bp_json_str(o, "description");
    *parse_error = res->status == 400 && strstr(desc, "can't parse entities") != NULL;
    json_t *params = json_object_get(o, "parameters");
    json_int_t ra = json_integer_value(json_object_get(params, "retry_after"));
    if (ra > 0)
        res->retry_after_ms = (int64_t)ra * 1000;
    if (res->code == CH_OK) {
        json_t *result = json_object_get(o, "result");
        json_int_t id = json_integer_value(json_object_get(result, "message_id"));
        if (!json_is_true(json_object_get(o, "ok"))) {
            res->code = CH_RETRY;
            snprintf(res->detail, sizeof res->detail, "Telegram answered without ok:true");
        } else if (id > 0) {
            snprintf(res->ref, sizeof res->ref, "%lld", (long long)id);
        }
    } else if (*desc) {
        snprintf(res->detail, sizeof res->detail, "HTTP %ld: %.200s", res->status, desc);
    }
    json_decref(o);
}

static void channel_telegram_pace(channel_telegram_t *t, int64_t min_interval_ms)
{
    if (min_interval_ms <= 0 || t->last_send_ms == 0)
        return;
    int64_t wait = t->last_send_ms + min_interval_ms - bp_mono_ms();
    if (wait > 0)
        bp_sleep_ms(wait);
}

/* The inline keyboard for msg, or NULL when it gets none (digests, buttons off). */
static json_t *channel_telegram_buttons(const channel_t *ch, const json_t *msg)
{
    const char *kind = bp_json_str(msg, "kind"), *id = bp_json_str(msg, "alert_id");
    if (!ch->cfg->buttons || !inbox_id_ok(id) ||
        (strcmp(kind, "alert") != 0 && strcmp(kind, "incident") != 0))
        return NULL;
    char ack[64], res[64], snz[64];
    snprintf(ack, sizeof ack, "ack|%s", id);
    snprintf(res, sizeof res, "res|%s", id);
    snprintf(snz, sizeof snz, "snz|%s", id);
    return json_pack("{s:[[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]]}", "inline_keyboard", "text",
                     "Acknowledge", "callback_data", ack, "text", "Resolve", "callback_data", res,
                     "text", "Snooze 30m", "callback_data", snz);
}

/* Sends one part (or, with message_id > 0, replaces that message's text); html selects
 * parse_mode HTML; markup (may be NULL) is attached. Returns the result code. */
static ch_code_t channel_telegram_post(channel_t *ch, const char *text, int html,
                                       const json_t *markup, long long message_id,
                                       ch_result_t *res, int *parse_error)
{
    channel_telegram_t *t = ch->priv;
    json_t *body = json_pack("{s:s, s:s, s:b}", "chat_id", ch->cfg->chat_id, "text", text,
                             "disable_web_page_preview", 1);
    if (body && message_id > 0)
        json_object_set_new(body, "message_id", json_integer(message_id));
    if (body && html)
        json_object_set_new(body, "parse_mode", json_string("HTML"));
    if (body && markup)
        json_object_set(body, "reply_markup", (json_t *)markup);
    char *s = body ? bp_json_dump(body) : NULL;
    json_decref(body);
    *parse_error = 0;
    if (!s) {
        snprintf(res->detail, sizeof res->detail, "out of memory");
        return res->code = CH_RETRY;
    }
    channel_telegram_pace(t, ch->cfg->min_interval_ms);
    bp_buf_t resp = BP_BUF_INIT(0);
    res->retry_after_ms = -1;
    res->ref[0] = '\0';
    channel_http_post(ch, message_id > 0 ? t->edit_url : t->url, "application/json", NULL, s,
                      strlen(s), res, &resp);
    t->last_send_ms = bp_mono_ms();
    free(s);
    if (res->status > 0)
        channel_telegram_classify(&resp, res, parse_error);
    bp_buf_free(&resp);
    return res->code;
}

static int channel_telegram_split(const channel_t *ch, const json_t *msg, int html,
                                  bp_strlist_t *parts)
{
    bp_buf_t text;
    bp_buf_init(&text, (size_t)4 << 20);
    int rc = render_message(msg, ch->cfg->tpl, html ? RENDER_HTML : RENDER_PLAIN,
                            ch->cfg->mask_kinds, &text);
    if (rc == 0)
        rc = html ? render_split_html(text.data ? text.data : "", TELEGRAM_LIMIT, parts)
                  : render_split_plain(text.data ? text.data : "", TELEGRAM_LIMIT, parts);
    bp_buf_free(&text);
    return rc;
}

static int channel_telegram_send(channel_t *ch, const json_t *msg, ch_result_t *res)
{
    channel_telegram_t *t = ch->priv;
    const char *did = bp_json_str(msg, "delivery_id");
    if (strcmp(t->part_of, did) != 0) {
        snprintf(t->part_of, sizeof t->part_of, "%s", did);
        t->parts_sent = 0;
    }
    int html = 1;
    bp_strlist_t parts = {0};
    if (channel_telegram_split(ch, msg, 1, &parts) != 0 || parts.n == 0) {
        bp_strlist_free(&parts);
        html = 0; /* markup that cannot be split safely: send it as plain text */
        if (channel_telegram_split(ch, msg, 0, &parts) != 0) {
            bp_strlist_free(&parts);
            snprintf(res->detail, sizeof res->detail, "template could not be rendered");
            return res->code = CH_FAIL;
        }
    }
    json_t *markup = channel_telegram_buttons(ch, msg);
    /* an incident already shown is updated in place */
    const char *kind = bp_json_str(msg, "kind"), *state = bp_json_str(msg, "state");
    const char *aid = bp_json_str(msg, "alert_id");
    int incident = strcmp(kind, "incident") == 0;
    long long shown = 0;
    for (size_t k = 0; incident && k < TELEGRAM_REMEMBER; k++)
        if (t->posted[k].message_id > 0 && strcmp(t->posted[k].id, aid) == 0)
            shown = t->posted[k].message_id;
    if (shown > 0 && parts.n == 1 && strcmp(state, "open") != 0) {
        int parse_error = 0;
        channel_telegram_post(ch, parts.v[0], html,
                              strcmp(state, "resolved") == 0 ? NULL : markup, shown, res,
                              &parse_error);
        if (res->code == CH_OK || (res->status == 400 && strstr(res->detail, "not modified"))) {
            res->code = CH_OK;
            snprintf(res->ref, sizeof res->ref, "%lld", shown);
            size_t l = strlen(res->detail);
            snprintf(res->detail + l, sizeof res->detail - l, " (edited in place)");
            bp_strlist_free(&parts);
            json_decref(markup);
            return 0;
        }
        if (res->code == CH_RETRY) {
            bp_strlist_free(&parts);
            json_decref(markup);
            return -1;
        }
        /* the message is gone or too old to edit: post a new one */
    }
    for (size_t i = t->parts_sent; i < parts.n; i++) {
        int parse_error = 0;
        channel_telegram_post(ch, parts.v[i], html, i + 1 == parts.n ? markup : NULL, 0, res,
                              &parse_error);
        if (res->code != CH_OK && parse_error && html) {
            /* Telegram rejected the markup: the rest goes as plain text, nothing is lost */
            bp_warn("telegram channel %s: formatting rejected (%s); sending as plain text",
                    ch->cfg->name, res->detail);
            bp_strlist_t plain = {0};
            if (channel_telegram_split(ch, msg, 0, &plain) != 0) {
                bp_strlist_free(&plain);
                break;
            }
            bp_strlist_free(&parts);
            parts = plain;
            html = 0;
            /* plain parts do not line up with the HTML ones: resend from the first unsent
             * plain part by count, at worst repeating a part of a long message */
            if (i >= parts.n)
                break;
            i--;
            continue;
        }
        if (res->code != CH_OK)
            break;
        t->parts_sent = i + 1;
    }
    if (res->code == CH_OK && incident && res->ref[0]) {
        size_t k = t->posted_next++ % TELEGRAM_REMEMBER;
        snprintf(t->posted[k].id, sizeof t->posted[k].id, "%s", aid);
        t->posted[k].message_id = atoll(res->ref);
    }
    if (res->code == CH_OK && parts.n > 1)
        snprintf(res->detail + strlen(res->detail), sizeof res->detail - strlen(res->detail),
                 " (%zu parts%s)", parts.n, html ? "" : ", plain text");
    else if (res->code == CH_OK && !html)
        snprintf(res->detail + strlen(res->detail), sizeof res->detail - strlen(res->detail),
                 " (plain text)");
    bp_strlist_free(&parts);
    json_decref(markup);
    return res->code == CH_OK ? 0 : -1;
}

/* POSTs body to url and returns the parsed answer (NULL on any failure). */
static json_t *channel_telegram_call(bp_http_t *h, const char *url, json_t *body, long timeout_ms)
{
    char *s = body ? bp_json_dump(body) : NULL;
    json_decref(body);
    if (!s)
        return NULL;
    const char *hdrs[] = {"Content-Type: application/json", NULL};
    bp_http_req_t req = {.method = "POST", .url = url, .headers = hdrs, .body = s,
                         .body_len = strlen(s), .timeout_ms = timeout_ms,
                         .max_response = (size_t)4 << 20};
    bp_http_resp_t resp;
    memset(&resp, 0, sizeof resp);
    json_t *o = NULL;
    if (bp_http_do(h, &req, &resp) == 0 && resp.status == 200 && resp.body.data) {
        json_error_t je;
        o = json_loadb(resp.body.data, resp.body.len, 0, &je);
    }
    bp_http_resp_free(&resp);
    free(s);
    return o;
}

/* Reads button presses: getUpdates from the last offset, each callback query into the inbox
 * and answered so that the button stops spinning. */
static void *channel_telegram_poll(void *arg)
{
    channel_telegram_t *t = arg;
    bp_http_t *h = bp_http_new();
    json_int_t offset = 0;
    int64_t next = 0;
    while (h && !t->stop) {
        if (bp_mono_ms() < next) {
            bp_sleep_ms(50);
            continue;
        }
        next = bp_mono_ms() + t->cfg->poll_ms;
        json_t *req = json_pack("{s:I, s:i, s:[s]}", "offset", offset, "timeout", 0,
                                "allowed_updates", "callback_query");
        json_t *o = channel_telegram_call(h, t->updates_url, req, (long)t->cfg->timeout_ms);
        size_t i;
        json_t *u;
        json_array_foreach(json_object_get(o, "result"), i, u)
        {
            json_int_t uid = json_integer_value(json_object_get(u, "update_id"));
            if (uid >= offset)
                offset = uid + 1;
            json_t *cq = json_object_get(u, "callback_query");
            const char *data = bp_json_str(cq, "data"), *cqid = bp_json_str(cq, "id");
            const json_t *from = json_object_get(cq, "from");
            const char *by = bp_json_str(from, "username");
            if (!*by)
                by = bp_json_str(from, "first_name");
            const char *bar = strchr(data, '|');
            char act[8];
            inbox_action_t action;
            if (!bar || (size_t)(bar - data) >= sizeof act)
                continue;
            memcpy(act, data, (size_t)(bar - data));
            act[bar - data] = '\0';
            const char *answer = "Unknown button";
            if (inbox_parse_action(act, &action) == 0 && inbox_id_ok(bar + 1)) {
                answer = inbox_push(t->inbox, action, bar + 1, by, "telegram") == 0
                             ? (action == INBOX_ACK       ? "Acknowledged"
                                : action == INBOX_RESOLVE ? "Resolved"
                                                          : "Snoozed for 30 minutes")
                             : "Busy, press again";
            }
            if (*cqid)
                json_decref(channel_telegram_call(
                    h, t->answer_url,
                    json_pack("{s:s, s:s}", "callback_query_id", cqid, "text", answer),
                    (long)t->cfg->timeout_ms));
        }
        json_decref(o);
    }
    bp_http_free(h);
    return NULL;
}

static void channel_telegram_destroy(channel_t *ch)
{
    channel_telegram_t *t = ch->priv;
    if (t && t->polling) {
        t->stop = 1;
        pthread_join(t->poller, NULL);
    }
    free(ch->priv);
    ch->priv = NULL;
}

int channel_telegram_init(channel_t *ch, char *err, size_t errlen)
{
    channel_telegram_t *t = calloc(1, sizeof *t);
    if (!t)
        return bp_seterr(err, errlen, "out of memory");
    ch->priv = t;
    ch->send = channel_telegram_send;
    ch->destroy = channel_telegram_destroy;
    const char *base = ch->cfg->api_base;
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    int n = snprintf(t->url, sizeof t->url, "%.*s/bot%s/sendMessage", (int)bl, base,
                     ch->cfg->token);
    int n2 = snprintf(t->updates_url, sizeof t->updates_url, "%.*s/bot%s/getUpdates", (int)bl,
                      base, ch->cfg->token);
    int n3 = snprintf(t->answer_url, sizeof t->answer_url, "%.*s/bot%s/answerCallbackQuery",
                      (int)bl, base, ch->cfg->token);
    int n4 = snprintf(t->edit_url, sizeof t->edit_url, "%.*s/bot%s/editMessageText", (int)bl,
                      base, ch->cfg->token);
    if (n < 0 || (size_t)n >= sizeof t->url || n2 < 0 || (size_t)n2 >= sizeof t->updates_url ||
        n3 < 0 || (size_t)n3 >= sizeof t->answer_url || n4 < 0 ||
        (size_t)n4 >= sizeof t->edit_url)
        return bp_seterr(err, errlen, "channel '%s': api_base or token too long", ch->cfg->name);
    t->cfg = ch->cfg;
    t->inbox = ch->inbox;
    if (ch->cfg->buttons && ch->inbox) {
        int rc = pthread_create(&t->poller, NULL, channel_telegram_poll, t);
        if (rc != 0)
            return bp_seterr(err, errlen, "channel '%s': cannot start the button poller: %s",
                             ch->cfg->name, strerror(rc));
        t->polling = 1;
    }
    return 0;
}
