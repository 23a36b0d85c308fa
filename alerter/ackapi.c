/* ackapi.c — acknowledgement links and the small JSON API (see ackapi.h). */
#include "ackapi.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "fileutil.h"
#include "httpd.h"
#include "log.h"
#include "model.h"

struct ackapi {
    const alert_cfg_t *cfg;
    inbox_t *inbox;
    bp_httpd_t *srv;
    char base[512];
    pthread_mutex_t lock;
    char *open_doc; /* serialized /v1/open */
};

void ackapi_sign(const char *secret, const char *id, char *out)
{
    unsigned char mac[32];
    char hex[65];
    bp_hmac_sha256(secret, strlen(secret), id, strlen(id), mac);
    bp_hex(mac, 32, hex);
    memcpy(out, hex, 32);
    out[32] = '\0';
}

int ackapi_link(const ackapi_t *a, const char *id, char *out, size_t outlen)
{
    char sig[33];
    ackapi_sign(a->cfg->ack_secret, id, sig);
    int n = snprintf(out, outlen, "%s/ack?id=%s&sig=%s", a->base, id, sig);
    return n > 0 && (size_t)n < outlen ? 0 : -1;
}

static int ackapi_bearer_ok(const ackapi_t *a, const bp_httpd_req_t *req)
{
    const char *h = bp_httpd_header(req, "Authorization");
    if (!h || strncmp(h, "Bearer ", 7) != 0)
        return 0;
    const char *tok = h + 7;
    size_t n = strlen(a->cfg->ack_secret);
    return strlen(tok) == n && bp_consttime_eq(tok, a->cfg->ack_secret, n);
}

static void ackapi_handle(void *opaque, const bp_httpd_req_t *req, bp_httpd_resp_t *resp)
{
    ackapi_t *a = opaque;
    if (strcmp(req->path, "/healthz") == 0) {
        bp_buf_puts(&resp->body, "{\"ok\":true}");
        return;
    }
    if (strcmp(req->path, "/ack") == 0 && strcmp(req->method, "GET") == 0) {
        const char *id = bp_httpd_query_arg(req, "id"), *sig = bp_httpd_query_arg(req, "sig");
        const char *by = bp_httpd_query_arg(req, "by");
        char want[33];
        if (!id || !sig || !inbox_id_ok(id) || strlen(sig) != 32) {
            bp_httpd_json_error(resp, 400, "id and sig are required");
            return;
        }
        ackapi_sign(a->cfg->ack_secret, id, want);
        if (!bp_consttime_eq(want, sig, 32)) {
            bp_httpd_json_error(resp, 403, "bad signature");
            return;
        }
        if (inbox_push(a->inbox, INBOX_ACK, id, by ? by : req->remote_addr, "link") != 0) {
            bp_httpd_json_error(resp, 503, "too many acknowledgements queued, try again");
            return;
        }
        snprintf(resp->content_type, sizeof resp->content_type, "text/html; charset=utf-8");
        bp_buf_printf(&resp->body,
                      "<!DOCTYPE html><html><body><p>Acknowledged %s. Thank you.</p></body></html>",
                      id);
        return;
    }
    if (strncmp(req->path, "/v1/", 4) == 0 && !ackapi_bearer_ok(a, req)) {
        bp_httpd_json_error(resp, 401, "Authorization: Bearer <ack secret> required");
        return;
    }
    if (strcmp(req->path, "/v1/ack") == 0 && strcmp(req->method, "POST") == 0) {
        json_error_t je;
        json_t *o = json_loadb(req->body, req->body_len, 0, &je);
        const char *id = bp_json_str(o, "id"), *act = bp_json_str(o, "action");
        inbox_action_t action = INBOX_ACK;
        if (!inbox_id_ok(id) || (*act && inbox_parse_action(act, &action) != 0)) {
            json_decref(o);
            bp_httpd_json_error(resp, 400,
                                "body must be {\"id\": ALERT_ID, \"by\": NAME, \"action\": "
                                "\"ack\"|\"resolve\"|\"snooze\"}");
            return;
        }
        int rc = inbox_push(a->inbox, action, id, bp_json_str(o, "by"), "api");
        json_decref(o);
        if (rc != 0) {
            bp_httpd_json_error(resp, 503, "too many acknowledgements queued, try again");
            return;
        }
        resp->status = 202;
        bp_buf_puts(&resp->body, "{\"ok\":true}");
        return;
    }
    if (strcmp(req->path, "/v1/open") == 0 && strcmp(req->method, "GET") == 0) {
        pthread_mutex_lock(&a->lock);
        bp_buf_puts(&resp->body, a->open_doc ? a->open_doc : "{\"alerts\":[],\"incidents\":[]}");
        pthread_mutex_unlock(&a->lock);
        return;
    }
    bp_httpd_json_error(resp, 404, "no such endpoint");
}

ackapi_t *ackapi_start(const alert_cfg_t *cfg, inbox_t *inbox, char *err, size_t errlen)
{
    ackapi_t *a = calloc(1, sizeof *a);
    if (!a) {
        bp_seterr(err, errlen, "out of memory");
        return NULL;
    }
    a->cfg = cfg;
    a->inbox = inbox;
    pthread_mutex_init(&a->lock, NULL);
    char host[256];
    int port = 0;
    if (bp_httpd_parse_listen(cfg->ack_listen, host, sizeof host, &port) != 0) {
        bp_seterr(err, errlen, "ack.listen: expected host:port, got '%s'", cfg->ack_listen);
        goto fail;
    }
    a->srv = bp_httpd_start(host, port, 64 * 1024, ackapi_handle, a, err, errlen);
    if (!a->srv)
        goto fail;
    port = bp_httpd_port(a->srv);
    if (cfg->ack_base_url && *cfg->ack_base_url) {
        size_t bl = strlen(cfg->ack_base_url);
        while (bl > 0 && cfg->ack_base_url[bl - 1] == '/')
            bl--;
        snprintf(a->base, sizeof a->base, "%.*s", (int)bl, cfg->ack_base_url);
    } else {
        snprintf(a->base, sizeof a->base, "http://%s:%d",
                 strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0 ? "127.0.0.1" : host,
                 port);
    }
    if (cfg->ack_port_file && *cfg->ack_port_file) {
        char line[32];
        int n = snprintf(line, sizeof line, "%d\n", port);
        if (bp_file_write_atomic(cfg->ack_port_file, line, (size_t)n) != 0) {
            bp_seterr(err, errlen, "ack.port_file %s: cannot write", cfg->ack_port_file);
            goto fail;
        }
    }
    bp_info("acknowledgement API on %s:%d", host, port);
    return a;
fail:
    ackapi_stop(a);
    return NULL;
}

void ackapi_stop(ackapi_t *a)
{
    if (!a)
        return;
    bp_httpd_stop(a->srv);
    pthread_mutex_destroy(&a->lock);
    free(a->open_doc);
    free(a);
}

void ackapi_publish(ackapi_t *a, json_t *doc)
{
    char *s = doc ? bp_json_dump(doc) : NULL;
    json_decref(doc);
    if (!s)
        return;
    pthread_mutex_lock(&a->lock);
    free(a->open_doc);
    a->open_doc = s;
    pthread_mutex_unlock(&a->lock);
}
