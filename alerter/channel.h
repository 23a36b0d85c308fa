/* channel.h — one delivery channel (console, webhook, Slack, Telegram, e-mail, PagerDuty):
 * created from its configuration, then used by exactly one worker thread that calls
 * channel_send for each message (render.h describes a message). */
#ifndef BP_CHANNEL_H
#define BP_CHANNEL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "alertcfg.h"
#include "http.h"
#include "inbox.h"

typedef enum { CH_OK = 0, CH_RETRY, CH_FAIL } ch_code_t;

typedef struct ch_result {
    ch_code_t code;
    long status;            /* HTTP status or SMTP reply code, 0 if none */
    int64_t retry_after_ms; /* delay the receiver asked for, -1 if none */
    char detail[256];       /* short reason for logs and bp.deliveries; never a secret */
    char ref[128];          /* what the receiver returned to refer to the message later
                             * (Telegram message_id, PagerDuty dedup_key), "" if none */
} ch_result_t;

typedef struct channel channel_t;
struct channel {
    const ach_cfg_t *cfg;
    bp_http_t *http;        /* created lazily by the worker thread that owns the channel */
    void *priv;             /* per-type state */
    inbox_t *inbox;         /* where button presses go (Telegram), borrowed, may be NULL */
    int (*send)(channel_t *ch, const json_t *msg, ch_result_t *res);
    void (*destroy)(channel_t *ch);
};

/* Creates the channel for cfg (which must outlive it); inbox (borrowed, may be NULL) receives
 * actions the channel reads back (Telegram buttons). Returns NULL with the reason in err. */
channel_t *channel_new(const ach_cfg_t *cfg, inbox_t *inbox, char *err, size_t errlen);
/* Delivers one message; fills res (code CH_OK, CH_RETRY for a temporary failure, CH_FAIL for a
 * permanent one). Returns res->code. */
ch_code_t channel_send(channel_t *ch, const json_t *msg, ch_result_t *res);
void channel_free(channel_t *ch); /* accepts NULL */

/* Shared by the HTTP channels: POSTs body (Content-Type content_type) to url with extra header
 * lines (NULL-terminated, may be NULL) and classifies the answer into res: 2xx ok; 408, 425,
 * 429, 5xx and transport errors retry (with Retry-After); other statuses fail. The response
 * body is kept in resp_body when not NULL (caller frees with bp_buf_free). Returns res->code. */
ch_code_t channel_http_post(channel_t *ch, const char *url, const char *content_type,
                            const char *const *headers, const char *body, size_t len,
                            ch_result_t *res, bp_buf_t *resp_body);

/* Standard Webhooks signature of body for message id at unix time ts with key: writes
 * "v1,<base64(HMAC-SHA256(key, "id.ts.body"))>" into out. Returns 0 or -1. */
int channel_webhook_sign(const unsigned char *key, size_t klen, const char *id, long long ts,
                         const char *body, size_t blen, char *out, size_t outlen);

/* The whole e-mail (headers and multipart body, CRLF) for msg. Returns 0 or -1. */
int channel_email_build(const ach_cfg_t *cfg, const json_t *msg, int64_t now_ms, bp_buf_t *out);
/* The PagerDuty Events v2 event for msg (trigger, acknowledge or resolve). New object or NULL. */
json_t *channel_pagerduty_event(const ach_cfg_t *cfg, const json_t *msg);

/* Per-type constructors (channel_<type>.c); each sets ch->send/destroy/priv.
 * Return 0 or -1 with the reason in err. */
int channel_console_init(channel_t *ch, char *err, size_t errlen);
int channel_webhook_init(channel_t *ch, char *err, size_t errlen);
int channel_slack_init(channel_t *ch, char *err, size_t errlen);
int channel_telegram_init(channel_t *ch, char *err, size_t errlen);
int channel_email_init(channel_t *ch, char *err, size_t errlen);
int channel_pagerduty_init(channel_t *ch, char *err, size_t errlen);

#endif
