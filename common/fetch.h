/* fetch.h — the HTTP polling policy shared by collectors, on top of http.h: conditional GET
 * (ETag / Last-Modified), retries of temporary failures with back-off and jitter, 429 and
 * Retry-After honoured, every outcome classified so the caller can schedule the next poll. */
#ifndef BP_FETCH_H
#define BP_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

typedef enum bp_fetch_class {
    BP_FETCH_OK = 0,       /* 2xx: the body is in resp */
    BP_FETCH_NOT_MODIFIED, /* 304 to a conditional GET: nothing new */
    BP_FETCH_TRANSIENT,    /* transport error, timeout, 408/425/5xx (after the retries) */
    BP_FETCH_RATE_LIMITED, /* 429 (or a source's own rate-limit error): wait retry_after_ms */
    BP_FETCH_AUTH,         /* 401/403: the credentials are wrong or expired */
    BP_FETCH_CLIENT,       /* another 4xx: the request itself is wrong */
    BP_FETCH_TOO_LARGE,    /* the body passed max_response */
    BP_FETCH_BAD_BODY,     /* (set by parsers) the body could not be understood */
} bp_fetch_class_t;

typedef struct bp_fetch_opts {
    int retries;              /* extra attempts for TRANSIENT failures; default 2 (when < 0: 0) */
    int64_t backoff_base_ms;  /* first back-off between attempts; 0 means 500 */
    int64_t backoff_cap_ms;   /* longest back-off between attempts; 0 means 10000 */
    int64_t max_inline_wait_ms; /* a 429 whose Retry-After is at most this is waited for and
                                 * retried inside bp_fetch; longer ones are returned. 0: none */
    const char *etag;          /* validators from the last successful poll, or NULL */
    const char *last_modified;
} bp_fetch_opts_t;

typedef struct bp_fetch_result {
    bp_fetch_class_t cls;
    long status;              /* last HTTP status, 0 if none */
    int attempts;             /* requests made */
    int64_t retry_after_ms;   /* server's wish (Retry-After), -1 if none */
    char msg[320];            /* one line for the log, e.g. "HTTP 503 after 3 attempts" */
} bp_fetch_result_t;

/* Performs req under the policy in o (may be NULL for defaults). Adds If-None-Match and
 * If-Modified-Since when o gives validators (req->headers are kept). The response of the last
 * attempt is left in resp (zeroed or reset before the call; caller bp_http_resp_free);
 * resp->etag / resp->last_modified are the new validators, which the caller persists only
 * once it has finished with the body. Returns 0 when cls is OK or NOT_MODIFIED, else -1;
 * the outcome is always in *res. Waits are cut short when bp_running drops to 0. */
int bp_fetch(bp_http_t *h, const bp_http_req_t *req, const bp_fetch_opts_t *o,
             bp_http_resp_t *resp, bp_fetch_result_t *res);

/* Classifies a completed response status (0 = transport failure). */
bp_fetch_class_t bp_fetch_classify(long status);
/* A short name for a class, for logs: "ok", "not-modified", "transient", "rate-limited",
 * "auth", "client", "too-large", "bad-body". */
const char *bp_fetch_class_name(bp_fetch_class_t c);

/* The delay before the next poll of a feed after `failures` consecutive failures ending in
 * class c: Retry-After when the server gave one (capped at cap_ms), else bp_backoff_ms from
 * base_ms, with AUTH and CLIENT starting at 8x base_ms (a person has to fix them). */
int64_t bp_fetch_next_delay(bp_fetch_class_t c, int failures, int64_t retry_after_ms,
                            int64_t base_ms, int64_t cap_ms);

/* Sleeps ms in short slices; returns 0, or -1 as soon as bp_running drops to 0. */
int bp_fetch_sleep(int64_t ms);

#endif
