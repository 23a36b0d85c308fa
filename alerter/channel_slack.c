/* channel_slack.c — Slack-compatible incoming webhooks (Slack, Mattermost, Rocket.Chat):
 * {"text": mrkdwn} POSTed to the hook URL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "log.h"
#include "model.h"
#include "render.h"

static int channel_slack_send(channel_t *ch, const json_t *msg, ch_result_t *res)
{
    bp_buf_t text;
    bp_buf_init(&text, (size_t)1 << 20);
    if (render_message(msg, ch->cfg->tpl, RENDER_SLACK, ch->cfg->mask_kinds, &text) != 0) {
        bp_buf_free(&text);
        snprintf(res->detail, sizeof res->detail, "template could not be rendered");
        res->code = CH_FAIL;
        return -1;
    }
    json_t *body = json_pack("{s:s, s:b}", "text", text.data ? text.data : "", "mrkdwn", 1);
    bp_buf_free(&text);
    char *s = body ? bp_json_dump(body) : NULL;
    json_decref(body);
    if (!s) {
        snprintf(res->detail, sizeof res->detail, "out of memory");
        res->code = CH_RETRY;
        return -1;
    }
    channel_http_post(ch, ch->cfg->url, "application/json", NULL, s, strlen(s), res, NULL);
    free(s);
    return res->code == CH_OK ? 0 : -1;
}

int channel_slack_init(channel_t *ch, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    ch->send = channel_slack_send;
    return 0;
}
