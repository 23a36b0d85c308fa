/* fetch.c — retries, back-off and conditional GET around bp_http_do (see fetch.h). */
#include "fetch.h"

#include <stdio.h>
#include <string.h>

#include "sig.h"
#include "timeutil.h"

#define FETCH_MAX_HEADERS 64

bp_fetch_class_t bp_fetch_classify(long status)
{
    if (status >= 200 && status < 300)
        return BP_FETCH_OK;
    if (status == 304)
        return BP_FETCH_NOT_MODIFIED;
    if (status == 429)
        return BP_FETCH_RATE_LIMITED;
    if (status == 401 || status == 403)
        return BP_FETCH_AUTH;
    if (status == 413)
        return BP_FETCH_CLIENT;
    if (bp_http_status_retryable(status))
        return BP_FETCH_TRANSIENT;
    if (status >= 300 && status < 500)
        return BP_FETCH_CLIENT;
    return BP_FETCH_TRANSIENT;
}

const char *bp_fetch_class_name(bp_fetch_class_t c)
{
    switch (c) {
    case BP_FETCH_OK: return "ok";
    case BP_FETCH_NOT_MODIFIED: return "not-modified";
    case BP_FETCH_TRANSIENT: return "transient";
    case BP_FETCH_RATE_LIMITED: return "rate-limited";
    case BP_FETCH_AUTH: return "auth";
    case BP_FETCH_CLIENT: return "client";
    case BP_FETCH_TOO_LARGE: return "too-large";
    case BP_FETCH_BAD_BODY: return "bad-body";
    }
    return "?";
}

int bp_fetch_sleep(int64_t ms)
{
    int64_t end = bp_mono_ms() + ms;
    while (bp_running) {
        int64_t left = end - bp_mono_ms();
        if (left <= 0)
            return 0;
        bp_sleep_ms(left < 100 ? left : 100);
    }
    return -1;
}

int64_t bp_fetch_next_delay(bp_fetch_class_t c, int failures, int64_t retry_after_ms,
                            int64_t base_ms, int64_t cap_ms)
{
    if (base_ms <= 0)
        base_ms = 1000;
    if (cap_ms < base_ms)
        cap_ms = base_ms;
    if (retry_after_ms >= 0)
        return retry_after_ms < cap_ms ? retry_after_ms : cap_ms;
    if (c == BP_FETCH_AUTH || c == BP_FETCH_CLIENT) {
        int64_t b = base_ms * 8 < cap_ms ? base_ms * 8 : cap_ms;
        return bp_backoff_ms(failures > 0 ? failures - 1 : 0, b, cap_ms);
    }
    return bp_backoff_ms(failures > 0 ? failures - 1 : 0, base_ms, cap_ms);
}

int bp_fetch(bp_http_t *h, const bp_http_req_t *req, const bp_fetch_opts_t *o,
             bp_http_resp_t *resp, bp_fetch_result_t *res)
{
    static const bp_fetch_opts_t defaults = {2, 0, 0, 0, NULL, NULL};
    const char *hdrs[FETCH_MAX_HEADERS + 3];
    char inm[1100], ims[300];
    size_t nh = 0;
    if (!o)
        o = &defaults;
    memset(res, 0, sizeof *res);
    res->retry_after_ms = -1;
    for (const char *const *p = req->headers; p && *p && nh < FETCH_MAX_HEADERS; p++)
        hdrs[nh++] = *p;
    if (o->etag && *o->etag && strlen(o->etag) < 1000) {
        snprintf(inm, sizeof inm, "If-None-Match: %s", o->etag);
        hdrs[nh++] = inm;
    }
    if (o->last_modified && *o->last_modified && strlen(o->last_modified) < 250) {
        snprintf(ims, sizeof ims, "If-Modified-Since: %s", o->last_modified);
        hdrs[nh++] = ims;
    }
    hdrs[nh] = NULL;
    bp_http_req_t r = *req;
    r.headers = hdrs;

    int retries = o->retries < 0 ? 0 : o->retries;
    int64_t base = o->backoff_base_ms > 0 ? o->backoff_base_ms : 500;
    int64_t cap = o->backoff_cap_ms > 0 ? o->backoff_cap_ms : 10000;
    for (int attempt = 0;; attempt++) {
        res->attempts = attempt + 1;
        int rc = bp_http_do(h, &r, resp);
        res->status = resp->status;
        res->retry_after_ms = resp->retry_after_ms;
        if (rc < 0) {
            if (strstr(resp->err, "larger than")) {
                res->cls = BP_FETCH_TOO_LARGE;
                snprintf(res->msg, sizeof res->msg, "%s", resp->err);
                return -1;
            }
            res->cls = BP_FETCH_TRANSIENT;
            snprintf(res->msg, sizeof res->msg, "%s (attempt %d)", resp->err, attempt + 1);
        } else {
            res->cls = bp_fetch_classify(resp->status);
            if (res->cls == BP_FETCH_OK || res->cls == BP_FETCH_NOT_MODIFIED) {
                snprintf(res->msg, sizeof res->msg, "HTTP %ld", resp->status);
                return 0;
            }
            if (res->cls == BP_FETCH_RATE_LIMITED) {
                if (resp->retry_after_ms >= 0)
                    snprintf(res->msg, sizeof res->msg, "HTTP 429, Retry-After %lld ms",
                             (long long)resp->retry_after_ms);
                else
                    snprintf(res->msg, sizeof res->msg, "HTTP 429 without Retry-After");
            } else {
                snprintf(res->msg, sizeof res->msg, "HTTP %ld (attempt %d)", resp->status,
                         attempt + 1);
            }
        }
        if (attempt >= retries || !bp_running)
            return -1;
        int64_t wait;
        if (res->cls == BP_FETCH_RATE_LIMITED) {
            if (resp->retry_after_ms < 0 || resp->retry_after_ms > o->max_inline_wait_ms)
                return -1;
            wait = resp->retry_after_ms;
        } else if (res->cls == BP_FETCH_TRANSIENT) {
            wait = resp->retry_after_ms >= 0 && resp->retry_after_ms <= cap
                       ? resp->retry_after_ms
                       : bp_backoff_ms(attempt, base, cap);
        } else {
            return -1; /* AUTH, CLIENT: retrying now would not help */
        }
        if (bp_fetch_sleep(wait) < 0)
            return -1;
    }
}
