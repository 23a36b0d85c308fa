/* channel_email.c — e-mail over SMTP with libcurl: a multipart/alternative message (text and
 * HTML, UTF-8, base64), STARTTLS when required, a Message-ID stable across retries so that a
 * resent message can be recognised. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "crypto.h"
#include "log.h"
#include "model.h"
#include "render.h"
#include "timeutil.h"

typedef struct channel_email_upload {
    const char *data;
    size_t len, pos;
} channel_email_upload_t;

static size_t channel_email_read(char *buf, size_t size, size_t nitems, void *ud)
{
    channel_email_upload_t *u = ud;
    size_t room = size * nitems, left = u->len - u->pos;
    size_t n = left < room ? left : room;
    memcpy(buf, u->data + u->pos, n);
    u->pos += n;
    return n;
}

/* Appends s base64-encoded in lines of 76 characters. */
static int channel_email_b64(bp_buf_t *b, const char *s, size_t n)
{
    char *enc = bp_base64(s, n);
    if (!enc)
        return -1;
    int rc = 0;
    size_t len = strlen(enc);
    for (size_t i = 0; i < len; i += 76) {
        rc |= bp_buf_append(b, enc + i, len - i < 76 ? len - i : 76);
        rc |= bp_buf_puts(b, "\r\n");
    }
    free(enc);
    return rc ? -1 : 0;
}

/* An RFC 2047 encoded word for a header value (UTF-8, base64). */
static int channel_email_header_word(bp_buf_t *b, const char *s)
{
    char *enc = bp_base64(s, strlen(s));
    if (!enc)
        return -1;
    int rc = bp_buf_printf(b, "=?UTF-8?B?%s?=", enc);
    free(enc);
    return rc;
}

int channel_email_build(const ach_cfg_t *cfg, const json_t *msg, int64_t now_ms, bp_buf_t *out)
{
    bp_buf_t text = BP_BUF_INIT((size_t)4 << 20), html = BP_BUF_INIT((size_t)4 << 20);
    bp_buf_t subj = BP_BUF_INIT(4096);
    int rc = -1;
    if (render_message(msg, cfg->tpl, RENDER_PLAIN, cfg->mask_kinds, &text) != 0 ||
        render_message(msg, cfg->tpl, RENDER_HTML, cfg->mask_kinds, &html) != 0)
        goto done;
    if (cfg->tpl_subject && *cfg->tpl_subject) {
        if (render_message(msg, cfg->tpl_subject, RENDER_PLAIN, cfg->mask_kinds, &subj) != 0)
            goto done;
        for (size_t i = 0; i < subj.len; i++)
            if (subj.data[i] == '\r' || subj.data[i] == '\n')
                subj.data[i] = ' ';
    } else if (render_title(msg, cfg->mask_kinds, &subj) != 0) {
        goto done;
    }
    char date[64];
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    const char *did = bp_json_str(msg, "delivery_id");
    char boundary[64];
    snprintf(boundary, sizeof boundary, "bp-%s", *did ? did : "alert");
    int e = 0;
    e |= bp_buf_printf(out, "Date: %s\r\nFrom: <%s>\r\nTo: ", date, cfg->from);
    for (size_t i = 0; i < cfg->to.n; i++)
        e |= bp_buf_printf(out, "%s<%s>", i ? ", " : "", cfg->to.v[i]);
    e |= bp_buf_printf(out, "\r\nMessage-ID: <%s@brandpulse>\r\nSubject: ", *did ? did : "alert");
    e |= channel_email_header_word(out, subj.data ? subj.data : "");
    e |= bp_buf_printf(out,
                       "\r\nMIME-Version: 1.0\r\nX-Brandpulse-Alert: %s\r\n"
                       "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n",
                       bp_json_str(msg, "alert_id"), boundary);
    e |= bp_buf_printf(out, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                            "Content-Transfer-Encoding: base64\r\n\r\n", boundary);
    e |= channel_email_b64(out, text.data ? text.data : "", text.len);
    /* the HTML part keeps the line breaks of the text */
    bp_buf_t page = BP_BUF_INIT((size_t)8 << 20);
    e |= bp_buf_puts(&page, "<!DOCTYPE html><html><body><div style=\"font-family:sans-serif\">");
    for (size_t i = 0; i < html.len; i++)
        e |= html.data[i] == '\n' ? bp_buf_puts(&page, "<br>\n") : bp_buf_putc(&page, html.data[i]);
    e |= bp_buf_puts(&page, "</div></body></html>");
    e |= bp_buf_printf(out, "--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
                            "Content-Transfer-Encoding: base64\r\n\r\n", boundary);
    e |= channel_email_b64(out, page.data ? page.data : "", page.len);
    bp_buf_free(&page);
    e |= bp_buf_printf(out, "--%s--\r\n", boundary);
    rc = e ? -1 : 0;
done:
    bp_buf_free(&text);
    bp_buf_free(&html);
    bp_buf_free(&subj);
    return rc;
}

static int channel_email_send(channel_t *ch, const json_t *msg, ch_result_t *res)
{
    const ach_cfg_t *cfg = ch->cfg;
    bp_buf_t mail = BP_BUF_INIT((size_t)16 << 20);
    if (channel_email_build(cfg, msg, bp_now_ms(), &mail) != 0) {
        bp_buf_free(&mail);
        snprintf(res->detail, sizeof res->detail, "message could not be rendered");
        return res->code = CH_FAIL, -1;
    }
    CURL *c = curl_easy_init();
    struct curl_slist *rcpt = NULL;
    if (!c) {
        bp_buf_free(&mail);
        snprintf(res->detail, sizeof res->detail, "out of memory");
        return res->code = CH_RETRY, -1;
    }
    for (size_t i = 0; i < cfg->to.n; i++) {
        char addr[512];
        snprintf(addr, sizeof addr, "<%s>", cfg->to.v[i]);
        rcpt = curl_slist_append(rcpt, addr);
    }
    char from[512];
    snprintf(from, sizeof from, "<%s>", cfg->from);
    channel_email_upload_t up = {mail.data, mail.len, 0};
    curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, channel_email_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(cfg->timeout_ms < 5000 ? cfg->timeout_ms : 5000));
    if (cfg->starttls)
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (cfg->ca_file && *cfg->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file);
    if (cfg->username && *cfg->username) {
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg->username);
        if (cfg->password)
            curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->password);
    }
    CURLcode cc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    res->status = code;
    if (cc == CURLE_OK) {
        snprintf(res->detail, sizeof res->detail, "SMTP %ld", code);
        res->code = CH_OK;
    } else if (code >= 500 && code < 600) {
        snprintf(res->detail, sizeof res->detail, "SMTP %ld: %s", code, curl_easy_strerror(cc));
        res->code = CH_FAIL;
    } else {
        /* 4xx replies and connection problems are temporary */
        snprintf(res->detail, sizeof res->detail, "SMTP %ld: %s", code, curl_easy_strerror(cc));
        res->code = CH_RETRY;
    }
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    bp_buf_free(&mail);
    return res->code == CH_OK ? 0 : -1;
}

int channel_email_init(channel_t *ch, char *err, size_t errlen)
{
    const char *u = ch->cfg->smtp_url;
    if (strncmp(u, "smtp://", 7) != 0 && strncmp(u, "smtps://", 8) != 0)
        return bp_seterr(err, errlen, "channel '%s': smtp_url must start with smtp:// or smtps://",
                         ch->cfg->name);
    ch->send = channel_email_send;
    return 0;
}
