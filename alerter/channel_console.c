/* channel_console.c — alerts printed on stdout, one readable block per message. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "channel.h"
#include "render.h"

static pthread_mutex_t channel_console_lock = PTHREAD_MUTEX_INITIALIZER;

static int channel_console_send(channel_t *ch, const json_t *msg, ch_result_t *res)
{
    bp_buf_t out;
    bp_buf_init(&out, (size_t)1 << 20);
    if (render_message(msg, ch->cfg->tpl, RENDER_PLAIN, ch->cfg->mask_kinds, &out) != 0) {
        bp_buf_free(&out);
        snprintf(res->detail, sizeof res->detail, "template could not be rendered");
        res->code = CH_FAIL;
        return -1;
    }
    pthread_mutex_lock(&channel_console_lock);
    int rc = printf("──── %s ────\n%s\n\n", ch->cfg->name, out.data ? out.data : "");
    int frc = fflush(stdout);
    pthread_mutex_unlock(&channel_console_lock);
    bp_buf_free(&out);
    if (rc < 0 || frc != 0) {
        snprintf(res->detail, sizeof res->detail, "stdout: write failed");
        res->code = CH_RETRY;
        return -1;
    }
    snprintf(res->detail, sizeof res->detail, "printed");
    res->code = CH_OK;
    return 0;
}

int channel_console_init(channel_t *ch, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    ch->send = channel_console_send;
    return 0;
}
