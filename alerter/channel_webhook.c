/* channel_webhook.c — JSON POSTed to a URL, signed in the Standard Webhooks style:
 * webhook-id, webhook-timestamp, webhook-signature: v1,base64(HMAC-SHA256(key, id.ts.body)).
 * An alert's body is the mention itself plus a "bp_alert" object (alert_id, kind, deadline,
 * ack_url, similar, level); incidents and digests are sent as their message object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "crypto.h"
#include "log.h"
#include "mask.h"
#include "model.h"
#include "timeutil.h"

typedef struct channel_webhook {
    unsigned char key[256];
    size_t klen;
} channel_webhook_t;

int channel_webhook_sign(const unsigned char *key, size_t klen, const char *id, long long ts,
                         const char *body, size_t blen, char *out, size_t outlen)
{
    char prefix[256];
    int pn = snprintf(prefix, sizeof prefix, "%s.%lld.", id, ts);
    if (pn < 0 || (size_t)pn >= sizeof prefix)
        return -1;
    char *data = malloc((size_t)pn + blen);
    if (!data)
        return -1;
    memcpy(data, prefix, (size_t)pn);
    memcpy(data + pn, body, blen);
    unsigned char mac[32];
    bp_hmac_sha256(key, klen, data, (size_t)pn + blen, mac);
    free(data);
    char *b64 = bp_base64(mac, sizeof mac);
    if (!b64)
        return -1;
    int n = snprintf(out, outlen, "v1,%s", b64);
    free(b64);
    return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/* The body: see the file comment. Returns a malloc'd string or NULL. */
static char *channel_webhook_body(const channel_t *ch, const json_t *msg)
{
    const json_t *alert = json_object_get(msg, "alert");
    json_t *body;
    if (json_is_object(alert)) {
        body = json_deep_copy(alert);
        if (!body)
            return NULL;
        json_t *meta = json_object();
        static const char *const keys[] = {"alert_id", "kind", "route", "deadline", "ack_url",
                                           "similar", "level"};
        for (size_t i = 0; meta && i < sizeof keys / sizeof keys[0]; i++) {
            json_t *v = json_object_get(msg, keys[i]);
            if (v)
                json_object_set(meta, keys[i], v);
        }
        json_object_set_new(body, "bp_alert", meta ? meta : json_null());
    } else {
        body = json_deep_copy(msg);
        if (!body)
            return NULL;
        json_object_del(body, "delivery_id");
        json_object_del(body, "origin");
    }
    if (ch->cfg->mask_kinds) {
        const char *t = bp_json_str(body, "text");
        char *m = mask_apply(t, strlen(t), ch->cfg->mask_kinds);
        if (m)
            json_object_set_new(body, "text", json_string(m));
        free(m);
    }
    char *s = bp_json_dump(body);
    json_decref(body);
    return s;
}

static int channel_webhook_send(channel_t *ch, const json_t *msg, ch_result_t *res)
{
    channel_webhook_t *w = ch->priv;
    char *body = channel_webhook_body(ch, msg);
    if (!body) {
        snprintf(res->detail, sizeof res->detail, "out of memory");
        res->code = CH_RETRY;
        return -1;
    }
    const char *id = bp_json_str(msg, "delivery_id");
    long long ts = bp_now_ms() / 1000;
    char h_id[200], h_ts[64], h_sig[200];
    const char *hdrs[4] = {NULL};
    size_t nh = 0;
    snprintf(h_id, sizeof h_id, "webhook-id: %s", *id ? id : bp_json_str(msg, "alert_id"));
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %lld", ts);
    hdrs[nh++] = h_id;
    hdrs[nh++] = h_ts;
    if (w->klen > 0) {
        char sig[128];
        if (channel_webhook_sign(w->key, w->klen, h_id + strlen("webhook-id: "), ts, body,
                                 strlen(body), sig, sizeof sig) != 0) {
            free(body);
            snprintf(res->detail, sizeof res->detail, "signing failed");
            res->code = CH_RETRY;
            return -1;
        }
        snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
        hdrs[nh++] = h_sig;
    }
    channel_http_post(ch, ch->cfg->url, "application/json", hdrs, body, strlen(body), res, NULL);
    free(body);
    return res->code == CH_OK ? 0 : -1;
}

static void channel_webhook_destroy(channel_t *ch)
{
    free(ch->priv);
    ch->priv = NULL;
}

int channel_webhook_init(channel_t *ch, char *err, size_t errlen)
{
    channel_webhook_t *w = calloc(1, sizeof *w);
    if (!w)
        return bp_seterr(err, errlen, "out of memory");
    ch->priv = w;
    ch->send = channel_webhook_send;
    ch->destroy = channel_webhook_destroy;
    const char *s = ch->cfg->signing_secret;
    if (s && *s) {
        if (strncmp(s, "whsec_", 6) == 0) {
            size_t n = 0;
            unsigned char *k = bp_base64_decode(s + 6, strlen(s + 6), &n);
            if (!k || n == 0 || n > sizeof w->key) {
                free(k);
                return bp_seterr(err, errlen,
                                 "channel '%s': signing_secret: whsec_ secret is not base64 "
                                 "(or longer than 256 bytes)",
                                 ch->cfg->name);
            }
            memcpy(w->key, k, n);
            w->klen = n;
            free(k);
        } else {
            size_t n = strlen(s);
            if (n > sizeof w->key)
                return bp_seterr(err, errlen, "channel '%s': signing_secret longer than 256 bytes",
                                 ch->cfg->name);
            memcpy(w->key, s, n);
            w->klen = n;
        }
    }
    return 0;
}
