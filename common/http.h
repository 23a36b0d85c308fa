/* http.h — HTTP client on libcurl for collectors and alert channels: timeouts, compression,
 * proxy from the environment, a brandpulse User-Agent, a capped response body, Retry-After. */
#ifndef BP_HTTP_H
#define BP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct bp_http bp_http_t; /* one libcurl easy handle, reused (keeps connections) */

typedef struct bp_http_req {
    const char *method;          /* "GET" (default when NULL), "POST", "PUT", ... */
    const char *url;
    const char *const *headers;  /* NULL-terminated "Name: value" lines, or NULL */
    const char *body;            /* request body or NULL */
    size_t body_len;
    long timeout_ms;             /* total; 0 means 30000 */
    long connect_timeout_ms;     /* 0 means 5000 */
    size_t max_response;         /* body cap; 0 means 8 MiB. Past it the request fails. */
} bp_http_req_t;

typedef struct bp_http_resp {
    long status;             /* HTTP status, 0 if no response */
    bp_buf_t body;
    int64_t retry_after_ms;  /* from Retry-After (seconds or HTTP date), -1 if absent */
    char *etag;              /* ETag header or NULL */
    char *last_modified;     /* Last-Modified header or NULL */
    char *content_type;      /* Content-Type header or NULL */
    char err[256];           /* transport error, "" if none */
} bp_http_resp_t;

/* Global libcurl set-up; call once at start (bp_http_new does it if needed). */
void bp_http_global_init(void);
bp_http_t *bp_http_new(void); /* NULL if out of memory */
void bp_http_free(bp_http_t *h); /* accepts NULL */

/* Performs the request. Returns 0 when a response arrived (whatever its status), or -1 on a
 * transport failure (connect refused, timeout, oversized body...) with resp->err set.
 * resp must be zeroed or reset with bp_http_resp_reset before each call; free with
 * bp_http_resp_free. */
int bp_http_do(bp_http_t *h, const bp_http_req_t *req, bp_http_resp_t *resp);
void bp_http_resp_reset(bp_http_resp_t *resp);
void bp_http_resp_free(bp_http_resp_t *resp);

/* Status classes for retry decisions: 408, 425, 429 and 5xx are temporary. */
int bp_http_status_retryable(long status);

/* Exponential back-off with full jitter: a delay in [base/2, min(cap, base*2^attempt)] ms. */
int64_t bp_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms);

#endif
