/* http.c — libcurl client with caps, timeouts and Retry-After (see http.h). */
#include "http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "sig.h"
#include "timeutil.h"

struct bp_http {
    CURL *curl;
};

typedef struct http_ctx {
    bp_http_resp_t *resp;
    size_t max;
    int overflow;
    int64_t rate_reset_ms; /* from x-rate-limit-reset (X API), -1 if absent */
} http_ctx_t;

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static void http_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }
void bp_http_global_init(void) { pthread_once(&http_once, http_init_once); }

bp_http_t *bp_http_new(void)
{
    bp_http_global_init();
    bp_http_t *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->curl = curl_easy_init();
    if (!h->curl) {
        free(h);
        return NULL;
    }
    return h;
}

void bp_http_free(bp_http_t *h)
{
    if (!h)
        return;
    curl_easy_cleanup(h->curl);
    free(h);
}

void bp_http_resp_reset(bp_http_resp_t *r)
{
    bp_buf_reset(&r->body);
    free(r->etag);
    free(r->last_modified);
    free(r->content_type);
    r->etag = r->last_modified = r->content_type = NULL;
    r->status = 0;
    r->retry_after_ms = -1;
    r->err[0] = '\0';
}

void bp_http_resp_free(bp_http_resp_t *r)
{
    bp_http_resp_reset(r);
    bp_buf_free(&r->body);
}

static size_t http_write(char *p, size_t sz, size_t nm, void *ud)
{
    http_ctx_t *c = ud;
    size_t n = sz * nm;
    if (c->resp->body.len + n > c->max) {
        c->overflow = 1;
        return 0; /* aborts the transfer */
    }
    if (bp_buf_append(&c->resp->body, p, n) != 0)
        return 0;
    return n;
}

static char *header_value(const char *line, size_t n, const char *name)
{
    size_t nl = strlen(name);
    if (n <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return NULL;
    const char *v = line + nl + 1;
    const char *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    return strndup(v, (size_t)(end - v));
}

static int64_t parse_retry_after(const char *v)
{
    char *end;
    long long secs = strtoll(v, &end, 10);
    if (end != v && *end == '\0' && secs >= 0)
        return secs * 1000;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm)) {
        int64_t at = (int64_t)timegm(&tm) * 1000;
        int64_t d = at - bp_now_ms();
        return d > 0 ? d : 0;
    }
    return -1;
}

static size_t http_header(char *p, size_t sz, size_t nm, void *ud)
{
    http_ctx_t *c = ud;
    size_t n = sz * nm;
    char *v;
    if (n > 5 && strncmp(p, "HTTP/", 5) == 0) {
        /* a new response (after a redirect or 100-continue): forget earlier headers */
        free(c->resp->etag);
        free(c->resp->last_modified);
        free(c->resp->content_type);
        c->resp->etag = c->resp->last_modified = c->resp->content_type = NULL;
        c->resp->retry_after_ms = -1;
    } else if ((v = header_value(p, n, "ETag"))) {
        free(c->resp->etag);
        c->resp->etag = v;
    } else if ((v = header_value(p, n, "Last-Modified"))) {
        free(c->resp->last_modified);
        c->resp->last_modified = v;
    } else if ((v = header_value(p, n, "Content-Type"))) {
        free(c->resp->content_type);
        c->resp->content_type = v;
    } else if ((v = header_value(p, n, "Retry-After"))) {
        c->resp->retry_after_ms = parse_retry_after(v);
        free(v);
    } else if ((v = header_value(p, n, "x-rate-limit-reset"))) {
        /* X API: the epoch second at which the window resets */
        char *end;
        long long at = strtoll(v, &end, 10);
        if (end != v && *end == '\0' && at > 0) {
            int64_t d = at * 1000 - bp_now_ms();
            c->rate_reset_ms = d > 0 ? d : 0;
        }
        free(v);
    }
    return n;
}

/* Aborts a transfer once SIGTERM/SIGINT cleared bp_running (a long poll must not hold up a
 * clean stop for its whole timeout). */
static int http_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)ud, (void)dt, (void)dn, (void)ut, (void)un;
    return bp_running ? 0 : 1;
}

int bp_http_do(bp_http_t *h, const bp_http_req_t *req, bp_http_resp_t *resp)
{
    CURL *c = h->curl;
    curl_easy_reset(c);
    bp_http_resp_reset(resp);
    http_ctx_t ctx = {resp, req->max_response ? req->max_response : ((size_t)8 << 20), 0, -1};
    struct curl_slist *hl = NULL;
    int rc = -1;

    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms ? req->timeout_ms : 30000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     req->connect_timeout_ms ? req->connect_timeout_ms : 5000L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding libcurl supports */
    curl_easy_setopt(c, CURLOPT_USERAGENT, "brandpulse/" BP_VERSION " (+brand monitoring)");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,smtp,smtps");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &ctx);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &ctx);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, http_progress);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    /* proxies come from the environment (http_proxy, https_proxy, no_proxy): libcurl's default */
    for (const char *const *p = req->headers; p && *p; p++) {
        struct curl_slist *n = curl_slist_append(hl, *p);
        if (!n) {
            snprintf(resp->err, sizeof resp->err, "out of memory");
            goto done;
        }
        hl = n;
    }
    if (hl)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    const char *method = req->method ? req->method : "GET";
    if (req->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    else if (strcmp(method, "POST") == 0 && !req->body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L), curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");

    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    if (resp->retry_after_ms < 0 && ctx.rate_reset_ms >= 0 && resp->status == 429)
        resp->retry_after_ms = ctx.rate_reset_ms;
    if (ctx.overflow) {
        snprintf(resp->err, sizeof resp->err, "response body larger than %zu bytes", ctx.max);
        goto done;
    }
    if (cc != CURLE_OK) {
        snprintf(resp->err, sizeof resp->err, "%s", curl_easy_strerror(cc));
        goto done;
    }
    rc = 0;
done:
    curl_slist_free_all(hl);
    return rc;
}

int bp_http_status_retryable(long status)
{
    return status == 408 || status == 425 || status == 429 || status >= 500 || status == 0;
}

int64_t bp_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms)
{
    if (attempt < 0)
        attempt = 0;
    int64_t top = base_ms;
    for (int i = 0; i < attempt && top < cap_ms; i++)
        top *= 2;
    if (top > cap_ms)
        top = cap_ms;
    int64_t low = base_ms / 2;
    if (top <= low)
        return top;
    unsigned int seed = (unsigned int)(bp_mono_ms() ^ (int64_t)(uintptr_t)&seed);
    return low + (int64_t)(rand_r(&seed) % (int)(top - low + 1));
}
