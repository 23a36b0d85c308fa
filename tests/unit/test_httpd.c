/* test_httpd.c — unit tests for common/httpd.c: a real server on an ephemeral port, driven by
 * libcurl and by raw sockets (keep-alive, oversized bodies, garbage, slow and concurrent clients). */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "http.h"
#include "httpd.h"
#include "test.h"

/* What the handler saw on its last call, and how often it was called. */
struct seen {
    pthread_mutex_t mu;
    int calls;
    char method[16];
    char path[256];
    char query[256];
    char body[4096];
    size_t body_len;
    char hdr_test[128];
    char arg_q[128];
    char remote[64];
    int nheaders;
    int saw_ua_in_each;
};

static int seen_each(void *ctx, const char *name, const char *value)
{
    struct seen *sn = ctx;
    if (strcasecmp(name, "User-Agent") == 0 && strcmp(value, "test-httpd/1") == 0)
        sn->saw_ua_in_each = 1;
    return 0;
}

static void echo_handler(void *opaque, const bp_httpd_req_t *req, bp_httpd_resp_t *resp)
{
    struct seen *sn = opaque;
    pthread_mutex_lock(&sn->mu);
    sn->calls++;
    snprintf(sn->method, sizeof sn->method, "%s", req->method);
    snprintf(sn->path, sizeof sn->path, "%s", req->path);
    snprintf(sn->query, sizeof sn->query, "%s", req->query);
    size_t n = req->body_len < sizeof sn->body - 1 ? req->body_len : sizeof sn->body - 1;
    memcpy(sn->body, req->body, n);
    sn->body[n] = '\0';
    sn->body_len = req->body_len;
    const char *h = bp_httpd_header(req, "x-TEST");
    snprintf(sn->hdr_test, sizeof sn->hdr_test, "%s", h ? h : "(none)");
    const char *q = bp_httpd_query_arg(req, "q");
    snprintf(sn->arg_q, sizeof sn->arg_q, "%s", q ? q : "(none)");
    snprintf(sn->remote, sizeof sn->remote, "%s", req->remote_addr);
    sn->saw_ua_in_each = 0;
    sn->nheaders = bp_httpd_headers_each(req, seen_each, sn);
    pthread_mutex_unlock(&sn->mu);

    if (strcmp(req->path, "/drop") == 0) {
        resp->drop = 1;
        return;
    }
    if (strcmp(req->path, "/limited") == 0) {
        resp->status = 429;
        snprintf(resp->extra_headers, sizeof resp->extra_headers, "Retry-After: 7\r\n");
        bp_buf_puts(&resp->body, "{\"error\":\"slow down\"}");
        return;
    }
    if (strcmp(req->path, "/error") == 0) {
        bp_httpd_json_error(resp, 422, "bad \"thing\"\n");
        return;
    }
    resp->status = 201;
    snprintf(resp->content_type, sizeof resp->content_type, "text/plain");
    snprintf(resp->extra_headers, sizeof resp->extra_headers, "X-Reply: yes\r\nX-Path: %s\r\n",
             req->path);
    bp_buf_printf(&resp->body, "got %zu:", req->body_len);
    bp_buf_append(&resp->body, req->body, req->body_len);
}

struct reply {
    long status;
    CURLcode rc;
    char body[4096];
    size_t body_len;
    char headers[4096];
    long num_connects;
};

static size_t reply_body_cb(char *p, size_t sz, size_t nm, void *ud)
{
    struct reply *r = ud;
    size_t n = sz * nm;
    size_t room = sizeof r->body - 1 - r->body_len;
    size_t c = n < room ? n : room;
    memcpy(r->body + r->body_len, p, c);
    r->body_len += c;
    r->body[r->body_len] = '\0';
    return n;
}

static size_t reply_hdr_cb(char *p, size_t sz, size_t nm, void *ud)
{
    struct reply *r = ud;
    size_t n = sz * nm, have = strlen(r->headers);
    size_t room = sizeof r->headers - 1 - have;
    size_t c = n < room ? n : room;
    memcpy(r->headers + have, p, c);
    r->headers[have + c] = '\0';
    return n;
}

/* A chunked upload of `left` bytes of 'x'. */
struct upload {
    size_t left;
};

static size_t upload_cb(char *p, size_t sz, size_t nm, void *ud)
{
    struct upload *u = ud;
    size_t n = sz * nm < u->left ? sz * nm : u->left;
    memset(p, 'x', n);
    u->left -= n;
    return n;
}

/* One request on curl handle c (NULL: a fresh handle). chunked > 0 uploads that many bytes
 * with Transfer-Encoding: chunked instead of body. */
static void do_req(CURL *c, int port, const char *method, const char *target, const char *body,
                   size_t chunked, struct reply *r)
{
    int own = 0;
    if (!c) {
        c = curl_easy_init();
        own = 1;
    }
    memset(r, 0, sizeof *r);
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, target);
    struct curl_slist *hl = NULL;
    hl = curl_slist_append(hl, "X-Test: hello world");
    hl = curl_slist_append(hl, "Expect:");
    struct upload up = {chunked};
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "test-httpd/1");
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (chunked > 0) {
        hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_cb);
        curl_easy_setopt(c, CURLOPT_READDATA, &up);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, reply_body_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, reply_hdr_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    r->rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &r->num_connects);
    curl_slist_free_all(hl);
    if (own)
        curl_easy_cleanup(c);
}

static bp_httpd_t *start_echo(struct seen *sn, size_t max_body)
{
    memset(sn, 0, sizeof *sn);
    pthread_mutex_init(&sn->mu, NULL);
    char err[256] = "";
    bp_httpd_t *s = bp_httpd_start("127.0.0.1", 0, max_body, echo_handler, sn, err, sizeof err);
    if (!s)
        fprintf(stderr, "    start failed: %s\n", err);
    return s;
}

/* Connects a raw TCP socket to 127.0.0.1:port with a 10 s receive timeout; -1 on failure. */
static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads until the peer closes or the timeout; returns the bytes read (NUL-terminated). */
static size_t raw_read_all(int fd, char *out, size_t outlen)
{
    size_t n = 0;
    while (n + 1 < outlen) {
        ssize_t k = read(fd, out + n, outlen - 1 - n);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    out[n] = '\0';
    return n;
}

TEST(parse_listen)
{
    char host[64];
    int port = -1;
    CHECK_INT(bp_httpd_parse_listen("0.0.0.0:8080", host, sizeof host, &port), 0);
    CHECK_STR(host, "0.0.0.0");
    CHECK_INT(port, 8080);
    CHECK_INT(bp_httpd_parse_listen(":9", host, sizeof host, &port), 0);
    CHECK_STR(host, "127.0.0.1");
    CHECK_INT(port, 9);
    CHECK_INT(bp_httpd_parse_listen("0", host, sizeof host, &port), 0);
    CHECK_STR(host, "127.0.0.1");
    CHECK_INT(port, 0);
    CHECK_INT(bp_httpd_parse_listen("[::1]:443", host, sizeof host, &port), 0);
    CHECK_STR(host, "::1");
    CHECK_INT(port, 443);
    CHECK_INT(bp_httpd_parse_listen("localhost:65535", host, sizeof host, &port), 0);
    CHECK_STR(host, "localhost");
    CHECK_INT(bp_httpd_parse_listen("host:65536", host, sizeof host, &port), -1);
    CHECK_INT(bp_httpd_parse_listen("host:", host, sizeof host, &port), -1);
    CHECK_INT(bp_httpd_parse_listen("host:8x", host, sizeof host, &port), -1);
    CHECK_INT(bp_httpd_parse_listen("::1:80", host, sizeof host, &port), -1);
    CHECK_INT(bp_httpd_parse_listen("", host, sizeof host, &port), -1);
    CHECK_INT(bp_httpd_parse_listen("averyveryverylonghostname:1", host, 8, &port), -1);
}

TEST(request_reaches_handler_and_response_returns)
{
    struct seen sn;
    bp_httpd_t *s = start_echo(&sn, 0);
    CHECK(s != NULL);
    if (!s)
        return;
    int port = bp_httpd_port(s);
    CHECK(port > 0 && port <= 65535);

    struct reply r;
    do_req(NULL, port, "POST", "/v1/posts?q=a%20b&x=1", "{\"k\":\"привет\"}", 0, &r);
    CHECK_INT(r.rc, CURLE_OK);
    CHECK_INT(r.status, 201);
    CHECK_STR(r.body, "got 20:{\"k\":\"привет\"}");
    CHECK(strstr(r.headers, "X-Reply: yes\r\n") != NULL);
    CHECK(strstr(r.headers, "X-Path: /v1/posts\r\n") != NULL);
    CHECK(strstr(r.headers, "Content-Type: text/plain\r\n") != NULL);
    CHECK_INT(sn.calls, 1);
    CHECK_STR(sn.method, "POST");
    CHECK_STR(sn.path, "/v1/posts");
    CHECK_STR(sn.query, "q=a%20b&x=1");
    CHECK_STR(sn.arg_q, "a b");
    CHECK_STR(sn.body, "{\"k\":\"привет\"}");
    CHECK_INT(sn.body_len, 20);
    CHECK_STR(sn.hdr_test, "hello world");
    CHECK_STR(sn.remote, "127.0.0.1");
    CHECK(sn.nheaders >= 3);
    CHECK_INT(sn.saw_ua_in_each, 1);

    do_req(NULL, port, "GET", "/plain", NULL, 0, &r);
    CHECK_INT(r.status, 201);
    CHECK_STR(r.body, "got 0:");
    CHECK_INT(sn.calls, 2);
    CHECK_STR(sn.method, "GET");
    CHECK_STR(sn.query, "");
    CHECK_STR(sn.arg_q, "(none)");
    CHECK_INT(sn.body_len, 0);

    do_req(NULL, port, "GET", "/error", NULL, 0, &r);
    CHECK_INT(r.status, 422);
    CHECK_STR(r.body, "{\"error\":\"bad \\\"thing\\\"\\u000a\"}");
    CHECK(strstr(r.headers, "Content-Type: application/json\r\n") != NULL);
    bp_httpd_stop(s);
}

TEST(bp_http_client_round_trip)
{
    struct seen sn;
    bp_httpd_t *s = start_echo(&sn, 0);
    CHECK(s != NULL);
    if (!s)
        return;
    bp_http_t *h = bp_http_new();
    CHECK(h != NULL);
    if (!h) {
        bp_httpd_stop(s);
        return;
    }
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook?q=%%D0%%BF", bp_httpd_port(s));
    const char *hdrs[] = {"X-Test: signed", "Content-Type: application/json", NULL};
    const char *body = "{\"text\":\"не работает\"}";
    bp_http_req_t req = {.method = "POST", .url = url, .headers = hdrs, .body = body,
                         .body_len = strlen(body)};
    bp_http_resp_t resp;
    memset(&resp, 0, sizeof resp);
    CHECK_INT(bp_http_do(h, &req, &resp), 0);
    CHECK_INT(resp.status, 201);
    CHECK_STR(resp.content_type, "text/plain");
    CHECK_INT(resp.retry_after_ms, -1);
    char want[128];
    snprintf(want, sizeof want, "got %zu:%s", strlen(body), body);
    CHECK_STR(resp.body.data, want);
    CHECK_STR(sn.hdr_test, "signed");
    CHECK_STR(sn.arg_q, "п");
    CHECK_STR(sn.body, body);
    bp_http_resp_free(&resp);

    snprintf(url, sizeof url, "http://127.0.0.1:%d/limited", bp_httpd_port(s));
    bp_http_req_t req2 = {.url = url};
    memset(&resp, 0, sizeof resp);
    CHECK_INT(bp_http_do(h, &req2, &resp), 0);
    CHECK_INT(resp.status, 429);
    CHECK_INT(resp.retry_after_ms, 7000);
    CHECK_STR(resp.content_type, "application/json");
    CHECK_STR(sn.method, "GET");
    bp_http_resp_free(&resp);
    bp_http_free(h);
    bp_httpd_stop(s);
}

TEST(oversized_body_gets_413_without_handler)
{
    struct seen sn;
    bp_httpd_t *s = start_echo(&sn, 100);
    CHECK(s != NULL);
    if (!s)
        return;
    int port = bp_httpd_port(s);
    char big[1001];
    memset(big, 'a', 1000);
    big[1000] = '\0';
    struct reply r;
    do_req(NULL, port, "POST", "/big", big, 0, &r); /* Content-Length up front */
    CHECK_INT(r.status, 413);
    CHECK(strstr(r.body, "\"error\"") != NULL);
    do_req(NULL, port, "POST", "/chunked", NULL, 5000, &r); /* no length: found while reading */
    CHECK_INT(r.status, 413);
    CHECK_INT(sn.calls, 0);

    big[100] = '\0'; /* exactly max_body is fine */
    do_req(NULL, port, "POST", "/edge", big, 0, &r);
    CHECK_INT(r.status, 201);
    CHECK_INT(sn.body_len, 100);
    do_req(NULL, port, "POST", "/chunked-ok", NULL, 60, &r);
    CHECK_INT(r.status, 201);
    CHECK_INT(sn.body_len, 60);
    CHECK_INT(sn.calls, 2);
    bp_httpd_stop(s);
}

TEST(keep_alive_reuses_the_connection)
{
    struct seen sn;
    bp_httpd_t *s = start_echo(&sn, 0);
    CHECK(s != NULL);
    if (!s)
        return;
    CURL *c = curl_easy_init();
    struct reply r;
    do_req(c, bp_httpd_port(s), "POST", "/a", "one", 0, &r);
    CHECK_INT(r.status, 201);
    CHECK_INT(r.num_connects, 1);
    do_req(c, bp_httpd_port(s), "POST", "/b", "two", 0, &r);
    CHECK_INT(r.status, 201);
    CHECK_STR(r.body, "got 3:two");
    CHECK_INT(r.num_connects, 0); /* no new connection */
    do_req(c, bp_httpd_port(s), "GET", "/c", NULL, 0, &r);
    CHECK_INT(r.num_connects, 0);
    CHECK_STR(sn.path, "/c");
    /* stop while curl still holds the idle keep-alive connection */
    bp_httpd_stop(s);
    curl_easy_cleanup(c);
}

TEST(pipelined_requests_on_one_socket)
{
    struct seen sn;
    bp_httpd_t *s = start_echo(&sn, 0);
    CHECK(s != NULL);
    if (!s)
        return;
    int fd = raw_connect(bp_httpd_port(s));
    CHECK(fd >= 0);
    if (fd >= 0) {
        const char *two = "POST /p1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab"
                          "GET /p2?q=z HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        CHECK(write(fd, two, strlen(two)) == (ssize_t)strlen(two));
        char buf[4096];
        raw_read_all(fd, buf, sizeof buf);
        CHECK(strstr(buf, "got 2:ab") != NULL);
        CHECK(strstr(buf, "got 0:") != NULL);
        CHECK(strstr(buf, "X-Path: /p2") != NULL);
        close(fd);
    }
    CHECK_INT(sn.calls, 2);
    CHECK_STR(sn.arg_q, "z");
    bp_httpd_stop(s);
}

TEST(drop_closes_without_response)
{
    struct seen sn;
    bp_httpd_t *s = start_echo(&sn, 0);
    CHECK(s != NULL);
    if (!s)
        return;
    struct reply r;
    do_req(NULL, bp_httpd_port(s), "GET", "/drop", NULL, 0, &r);
    CHECK(r.rc != CURLE_OK);
    CHECK_INT(r.status, 0);
    CHECK_INT(sn.calls, 1);
    do_req(NULL, bp_httpd_port(s), "GET", "/after", NULL, 0, &r);
    CHECK_INT(r.status, 201);
    bp_httpd_stop(s);
}

TEST(garbage_and_slow_clients_do_not_hurt)
{
    struct seen sn;
    bp_httpd_t *s = start_echo(&sn, 0);
    CHECK(s != NULL);
    if (!s)
        return;
    int port = bp_httpd_port(s);
    /* a slow client: half a request line, then nothing */
    int slow = raw_connect(port);
    CHECK(slow >= 0);
    if (slow >= 0)
        CHECK(write(slow, "GET /slo", 8) == 8);

    const char *garbage[] = {
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage-tls-hello\r\n\r\n",
        "HELLO\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        "GET / HTTP/1.1\r\nBroken header line\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        int fd = raw_connect(port);
        CHECK(fd >= 0);
        if (fd < 0)
            continue;
        size_t len = strlen(garbage[i]);
        CHECK(write(fd, garbage[i], len) == (ssize_t)len);
        shutdown(fd, SHUT_WR);
        char buf[2048];
        size_t n = raw_read_all(fd, buf, sizeof buf);
        /* either an HTTP error status or a plain close, never a 2xx */
        CHECK(n == 0 || strncmp(buf, "HTTP/1.1 4", 10) == 0 || strncmp(buf, "HTTP/1.0 4", 10) == 0);
        close(fd);
    }
    CHECK_INT(sn.calls, 0);

    /* a very long header line is refused, not crashing */
    int fd = raw_connect(port);
    CHECK(fd >= 0);
    if (fd >= 0) {
        size_t hl = 200000;
        char *req = malloc(hl + 100);
        CHECK(req != NULL);
        if (req) {
            int k = snprintf(req, 100, "GET / HTTP/1.1\r\nHost: x\r\nX-Long: ");
            memset(req + k, 'a', hl);
            memcpy(req + k + hl, "\r\n\r\n", 5);
            /* the server may close early: ignore short writes */
            ssize_t w = write(fd, req, strlen(req));
            (void)w;
            char buf[2048];
            size_t n = raw_read_all(fd, buf, sizeof buf);
            CHECK(n == 0 || strncmp(buf, "HTTP/1.1 4", 10) == 0);
            free(req);
        }
        close(fd);
    }

    struct reply r;
    do_req(NULL, port, "GET", "/still-alive", NULL, 0, &r);
    CHECK_INT(r.status, 201);
    CHECK_INT(sn.calls, 1);
    if (slow >= 0)
        close(slow);
    bp_httpd_stop(s);
}

struct worker {
    int port;
    int id;
    int ok;
};

#define WORKERS 8
#define PER_WORKER 25

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    CURL *c = curl_easy_init();
    for (int i = 0; i < PER_WORKER; i++) {
        char body[64], want[96], target[64];
        snprintf(body, sizeof body, "w%d-%d", w->id, i);
        snprintf(want, sizeof want, "got %zu:%s", strlen(body), body);
        snprintf(target, sizeof target, "/w/%d", w->id);
        struct reply r;
        /* every other request on a fresh connection */
        do_req(i % 2 ? c : NULL, w->port, "POST", target, body, 0, &r);
        if (r.status == 201 && strcmp(r.body, want) == 0)
            w->ok++;
    }
    curl_easy_cleanup(c);
    return NULL;
}

TEST(concurrent_clients_all_served)
{
    struct seen sn;
    bp_httpd_t *s = start_echo(&sn, 0);
    CHECK(s != NULL);
    if (!s)
        return;
    pthread_t th[WORKERS];
    struct worker w[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        w[i] = (struct worker){bp_httpd_port(s), i, 0};
        CHECK(pthread_create(&th[i], NULL, worker_main, &w[i]) == 0);
    }
    int total = 0;
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(w[i].ok, PER_WORKER);
        total += w[i].ok;
    }
    CHECK_INT(total, WORKERS * PER_WORKER);
    CHECK_INT(sn.calls, WORKERS * PER_WORKER);
    bp_httpd_stop(s);
}

TEST(start_errors_and_stop)
{
    struct seen sn;
    bp_httpd_t *s = start_echo(&sn, 0);
    CHECK(s != NULL);
    if (!s)
        return;
    char err[256] = "";
    bp_httpd_t *s2 = bp_httpd_start("127.0.0.1", bp_httpd_port(s), 0, echo_handler, &sn, err,
                                    sizeof err);
    CHECK(s2 == NULL);
    CHECK(err[0] != '\0');
    bp_httpd_stop(s2);
    err[0] = '\0';
    CHECK(bp_httpd_start("no-such-host.invalid", 0, 0, echo_handler, &sn, err, sizeof err) ==
          NULL);
    CHECK(strstr(err, "no-such-host.invalid") != NULL);
    CHECK(bp_httpd_start("127.0.0.1", 70000, 0, echo_handler, &sn, err, sizeof err) == NULL);
    CHECK(bp_httpd_start("127.0.0.1", 0, 0, NULL, &sn, err, sizeof err) == NULL);
    bp_httpd_stop(s); /* idle: no connection ever made */
    bp_httpd_stop(NULL);

    /* IPv6 loopback when the machine has it */
    err[0] = '\0';
    s = bp_httpd_start("::1", 0, 0, echo_handler, &sn, err, sizeof err);
    if (s) {
        CHECK(bp_httpd_port(s) > 0);
        bp_httpd_stop(s);
    }
}

TEST(handler_helpers_without_connection)
{
    bp_httpd_req_t req = {"GET", "/", "a=1", "", 0, "127.0.0.1", NULL};
    CHECK(bp_httpd_header(&req, "Host") == NULL);
    CHECK(bp_httpd_query_arg(&req, "a") == NULL);
    CHECK_INT(bp_httpd_headers_each(&req, seen_each, NULL), 0);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    RUN(parse_listen);
    RUN(request_reaches_handler_and_response_returns);
    RUN(bp_http_client_round_trip);
    RUN(oversized_body_gets_413_without_handler);
    RUN(keep_alive_reuses_the_connection);
    RUN(pipelined_requests_on_one_socket);
    RUN(drop_closes_without_response);
    RUN(garbage_and_slow_clients_do_not_hurt);
    RUN(concurrent_clients_all_served);
    RUN(start_errors_and_stop);
    RUN(handler_helpers_without_connection);
    curl_global_cleanup();
    return test_summary();
}
