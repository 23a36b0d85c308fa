/* test_fetch.c — the polling policy against a loopback server: retries of 5xx, 429 with
 * Retry-After, conditional GET, timeouts, oversized bodies, classification and back-off. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "httpd.h"
#include "sig.h"
#include "test.h"
#include "timeutil.h"

static atomic_int hits_flaky, hits_429, hits_down;

static void handler(void *opaque, const bp_httpd_req_t *req, bp_httpd_resp_t *resp)
{
    (void)opaque;
    resp->status = 200;
    if (strcmp(req->path, "/flaky") == 0) { /* 503 twice, then 200 */
        if (atomic_fetch_add(&hits_flaky, 1) < 2)
            resp->status = 503;
        bp_buf_puts(&resp->body, "{\"ok\":true}");
    } else if (strcmp(req->path, "/down") == 0) {
        atomic_fetch_add(&hits_down, 1);
        resp->status = 500;
    } else if (strcmp(req->path, "/limited") == 0) { /* 429 once with Retry-After: 0 */
        if (atomic_fetch_add(&hits_429, 1) < 1) {
            resp->status = 429;
            snprintf(resp->extra_headers, sizeof resp->extra_headers, "Retry-After: 0\r\n");
        }
    } else if (strcmp(req->path, "/long-limit") == 0) {
        resp->status = 429;
        snprintf(resp->extra_headers, sizeof resp->extra_headers, "Retry-After: 120\r\n");
    } else if (strcmp(req->path, "/etag") == 0) {
        const char *inm = bp_httpd_header(req, "If-None-Match");
        snprintf(resp->extra_headers, sizeof resp->extra_headers,
                 "ETag: \"v1\"\r\nLast-Modified: Mon, 23 Nov 2026 10:00:00 GMT\r\n");
        if (inm && strcmp(inm, "\"v1\"") == 0)
            resp->status = 304;
        else
            bp_buf_puts(&resp->body, "<rss/>");
    } else if (strcmp(req->path, "/slow") == 0) {
        bp_sleep_ms(1500);
        bp_buf_puts(&resp->body, "late");
    } else if (strcmp(req->path, "/big") == 0) {
        for (int i = 0; i < 5000; i++)
            bp_buf_puts(&resp->body, "0123456789");
    } else if (strcmp(req->path, "/expired") == 0) {
        resp->status = 401;
        bp_buf_puts(&resp->body, "{\"title\":\"Unauthorized\"}");
    } else {
        resp->status = 404;
    }
}

static bp_httpd_t *srv;
static char base[64];

static int get(const char *path, bp_fetch_opts_t *o, bp_http_resp_t *resp, bp_fetch_result_t *r,
               long timeout_ms, size_t max)
{
    static bp_http_t *h;
    char url[128];
    if (!h)
        h = bp_http_new();
    snprintf(url, sizeof url, "%s%s", base, path);
    bp_http_req_t req = {0};
    req.url = url;
    req.timeout_ms = timeout_ms;
    req.max_response = max;
    memset(resp, 0, sizeof *resp);
    int rc = bp_fetch(h, &req, o, resp, r);
    if (!path[1]) { /* "/" frees the client */
        bp_http_free(h);
        h = NULL;
    }
    return rc;
}

TEST(retries_transient)
{
    bp_http_resp_t resp;
    bp_fetch_result_t r;
    bp_fetch_opts_t o = {2, 10, 20, 0, NULL, NULL};
    CHECK_INT(get("/flaky", &o, &resp, &r, 5000, 0), 0);
    CHECK_INT(r.cls, BP_FETCH_OK);
    CHECK_INT(r.attempts, 3);
    CHECK_STR(resp.body.data, "{\"ok\":true}");
    bp_http_resp_free(&resp);
    o.retries = 1;
    CHECK_INT(get("/down", &o, &resp, &r, 5000, 0), -1);
    CHECK_INT(r.cls, BP_FETCH_TRANSIENT);
    CHECK_INT(r.attempts, 2);
    CHECK_INT(atomic_load(&hits_down), 2);
    CHECK(strstr(r.msg, "HTTP 500") != NULL);
    bp_http_resp_free(&resp);
}

TEST(rate_limits)
{
    bp_http_resp_t resp;
    bp_fetch_result_t r;
    bp_fetch_opts_t o = {2, 10, 20, 1000, NULL, NULL};
    CHECK_INT(get("/limited", &o, &resp, &r, 5000, 0), 0); /* Retry-After 0: waited inline */
    CHECK_INT(r.attempts, 2);
    bp_http_resp_free(&resp);
    CHECK_INT(get("/long-limit", &o, &resp, &r, 5000, 0), -1); /* too long: handed back */
    CHECK_INT(r.cls, BP_FETCH_RATE_LIMITED);
    CHECK_INT(r.retry_after_ms, 120000);
    CHECK_INT(r.attempts, 1);
    bp_http_resp_free(&resp);
    CHECK_INT(bp_fetch_next_delay(BP_FETCH_RATE_LIMITED, 1, 120000, 1000, 60000), 60000);
    CHECK_INT(bp_fetch_next_delay(BP_FETCH_RATE_LIMITED, 1, 5000, 1000, 60000), 5000);
    int64_t d = bp_fetch_next_delay(BP_FETCH_AUTH, 1, -1, 1000, 600000);
    CHECK(d >= 4000 && d <= 8000);
    d = bp_fetch_next_delay(BP_FETCH_TRANSIENT, 3, -1, 1000, 600000);
    CHECK(d >= 500 && d <= 4000);
}

TEST(conditional_get)
{
    bp_http_resp_t resp;
    bp_fetch_result_t r;
    bp_fetch_opts_t o = {0, 0, 0, 0, NULL, NULL};
    CHECK_INT(get("/etag", &o, &resp, &r, 5000, 0), 0);
    CHECK_INT(r.cls, BP_FETCH_OK);
    CHECK_STR(resp.etag, "\"v1\"");
    CHECK_STR(resp.last_modified, "Mon, 23 Nov 2026 10:00:00 GMT");
    bp_http_resp_free(&resp);
    o.etag = "\"v1\"";
    o.last_modified = "Mon, 23 Nov 2026 10:00:00 GMT";
    CHECK_INT(get("/etag", &o, &resp, &r, 5000, 0), 0);
    CHECK_INT(r.cls, BP_FETCH_NOT_MODIFIED);
    bp_http_resp_free(&resp);
}

TEST(failures_classified)
{
    bp_http_resp_t resp;
    bp_fetch_result_t r;
    bp_fetch_opts_t o = {0, 0, 0, 0, NULL, NULL};
    CHECK_INT(get("/slow", &o, &resp, &r, 300, 0), -1);
    CHECK_INT(r.cls, BP_FETCH_TRANSIENT);
    CHECK(strstr(r.msg, "imeout") != NULL || strstr(r.msg, "timed out") != NULL);
    bp_http_resp_free(&resp);
    CHECK_INT(get("/big", &o, &resp, &r, 5000, 1000), -1);
    CHECK_INT(r.cls, BP_FETCH_TOO_LARGE);
    bp_http_resp_free(&resp);
    CHECK_INT(get("/expired", &o, &resp, &r, 5000, 0), -1);
    CHECK_INT(r.cls, BP_FETCH_AUTH);
    CHECK_INT(r.status, 401);
    bp_http_resp_free(&resp);
    CHECK_INT(get("/nothing", &o, &resp, &r, 5000, 0), -1);
    CHECK_INT(r.cls, BP_FETCH_CLIENT);
    bp_http_resp_free(&resp);
    CHECK_INT(bp_fetch_classify(503), BP_FETCH_TRANSIENT);
    CHECK_INT(bp_fetch_classify(0), BP_FETCH_TRANSIENT);
    CHECK_INT(bp_fetch_classify(403), BP_FETCH_AUTH);
    CHECK_STR(bp_fetch_class_name(BP_FETCH_RATE_LIMITED), "rate-limited");
    CHECK_INT(get("/", &o, &resp, &r, 5000, 0), -1); /* frees the client */
    bp_http_resp_free(&resp);
}

int main(void)
{
    char err[256];
    srv = bp_httpd_start("127.0.0.1", 0, 0, handler, NULL, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "cannot start the test server: %s\n", err);
        return 1;
    }
    snprintf(base, sizeof base, "http://127.0.0.1:%d", bp_httpd_port(srv));
    RUN(retries_transient);
    RUN(rate_limits);
    RUN(conditional_get);
    RUN(failures_classified);
    bp_httpd_stop(srv);
    return test_summary();
}
