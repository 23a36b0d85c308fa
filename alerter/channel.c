/* channel.c — channel construction by type and the HTTP POST shared by the HTTP channels. */
#include "channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

channel_t *channel_new(const ach_cfg_t *cfg, inbox_t *inbox, char *err, size_t errlen)
{
    channel_t *ch = calloc(1, sizeof *ch);
    if (!ch) {
        bp_seterr(err, errlen, "out of memory");
        return NULL;
    }
    ch->cfg = cfg;
    ch->inbox = inbox;
    int rc = -1;
    switch (cfg->type) {
    case ACH_CONSOLE: rc = channel_console_init(ch, err, errlen); break;
    case ACH_WEBHOOK: rc = channel_webhook_init(ch, err, errlen); break;
    case ACH_SLACK: rc = channel_slack_init(ch, err, errlen); break;
    case ACH_TELEGRAM: rc = channel_telegram_init(ch, err, errlen); break;
    case ACH_EMAIL: rc = channel_email_init(ch, err, errlen); break;
    case ACH_PAGERDUTY: rc = channel_pagerduty_init(ch, err, errlen); break;
    }
    if (rc != 0) {
        channel_free(ch);
        return NULL;
    }
    return ch;
}

ch_code_t channel_send(channel_t *ch, const json_t *msg, ch_result_t *res)
{
    memset(res, 0, sizeof *res);
    res->retry_after_ms = -1;
    res->code = CH_FAIL;
    if (ch->send(ch, msg, res) != 0 && res->code == CH_OK)
        res->code = CH_FAIL;
    return res->code;
}

void channel_free(channel_t *ch)
{
    if (!ch)
        return;
    if (ch->destroy)
        ch->destroy(ch);
    bp_http_free(ch->http);
    free(ch);
}

ch_code_t channel_http_post(channel_t *ch, const char *url, const char *content_type,
                            const char *const *headers, const char *body, size_t len,
                            ch_result_t *res, bp_buf_t *resp_body)
{
    const char *hdrs[24];
    size_t nh = 0;
    char ct[128];
    snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
    hdrs[nh++] = ct;
    for (size_t i = 0; headers && headers[i] && nh < 23; i++)
        hdrs[nh++] = headers[i];
    hdrs[nh] = NULL;
    if (!ch->http) {
        ch->http = bp_http_new();
        if (!ch->http) {
            snprintf(res->detail, sizeof res->detail, "out of memory");
            return res->code = CH_RETRY;
        }
    }
    bp_http_req_t req = {.method = "POST",
                         .url = url,
                         .headers = hdrs,
                         .body = body,
                         .body_len = len,
                         .timeout_ms = (long)ch->cfg->timeout_ms,
                         .connect_timeout_ms = (long)(ch->cfg->timeout_ms < 5000
                                                          ? ch->cfg->timeout_ms
                                                          : 5000),
                         .max_response = (size_t)1 << 20};
    bp_http_resp_t resp;
    memset(&resp, 0, sizeof resp);
    int rc = bp_http_do(ch->http, &req, &resp);
    res->status = resp.status;
    res->retry_after_ms = resp.retry_after_ms;
    if (rc != 0) {
        /* the transport message may quote the URL (a secret): say only what kind of failure */
        const char *e = resp.err;
        snprintf(res->detail, sizeof res->detail, "transport: %s",
                 strstr(e, "timed out") || strstr(e, "Timeout") ? "timed out"
                 : strstr(e, "onnect")                          ? "connection failed"
                                                                : "request failed");
        res->code = CH_RETRY;
    } else if (resp.status >= 200 && resp.status < 300) {
        snprintf(res->detail, sizeof res->detail, "HTTP %ld", resp.status);
        res->code = CH_OK;
    } else {
        size_t show = resp.body.len < 120 ? resp.body.len : 120;
        snprintf(res->detail, sizeof res->detail, "HTTP %ld: %.*s", resp.status, (int)show,
                 resp.body.data ? resp.body.data : "");
        for (char *p = res->detail; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        res->code = bp_http_status_retryable(resp.status) ? CH_RETRY : CH_FAIL;
    }
    if (resp_body) {
        *resp_body = resp.body;
        memset(&resp.body, 0, sizeof resp.body);
    }
    bp_http_resp_free(&resp);
    return res->code;
}
