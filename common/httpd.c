/* httpd.c — the small HTTP server of httpd.h on libmicrohttpd: one thread per connection,
 * request bodies collected with a cap, one handler call per request. */
#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "log.h"

#define HTTPD_DEFAULT_MAX_BODY ((size_t)1 << 20)
#define HTTPD_TIMEOUT_S 30u
#define HTTPD_MAX_CONNECTIONS 1024u
#define HTTPD_CONN_MEMORY ((size_t)64 << 10) /* per connection: request line and headers */
/* An oversized body without Content-Length (chunked) is read and thrown away so that the 413
 * can be sent on a healthy connection; past this many extra bytes the connection is closed. */
#define HTTPD_DRAIN_MAX ((size_t)4 << 20)

struct bp_httpd {
    struct MHD_Daemon *daemon;
    bp_httpd_handler fn;
    void *opaque;
    size_t max_body;
    int port;
    pthread_mutex_t log_mu; /* guards capturing / start_err */
    int capturing;          /* 1 while MHD_start_daemon runs: its messages go to start_err */
    char start_err[512];
};

/* Per-request state, created by the URI callback (the first thing MHD knows of a request)
 * and freed by the completion callback. */
struct httpd_req {
    char *uri;        /* raw request target, with the query string */
    bp_buf_t body;
    size_t discarded; /* bytes thrown away after the body passed max_body */
    int started;      /* the access handler has seen the headers */
    int too_big;
    int oom;
};

static void httpd_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct bp_httpd *s = cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    pthread_mutex_lock(&s->log_mu);
    int capture = s->capturing;
    if (capture && s->start_err[0] == '\0')
        snprintf(s->start_err, sizeof s->start_err, "%s", msg);
    pthread_mutex_unlock(&s->log_mu);
    /* Garbage from clients must not flood the log: libmicrohttpd's messages are debug. */
    bp_debug("httpd: %s", msg);
}

static void *httpd_uri_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct bp_httpd *s = cls;
    struct httpd_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->uri = strdup(uri ? uri : ""); /* bounded by HTTPD_CONN_MEMORY */
    if (!r->uri) {
        free(r);
        return NULL;
    }
    bp_buf_init(&r->body, s->max_body);
    return r;
}

static void httpd_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                            enum MHD_RequestTerminationCode toe)
{
    struct httpd_req *r = *con_cls;
    if (!r)
        return;
    bp_buf_free(&r->body);
    free(r->uri);
    free(r);
    *con_cls = NULL;
}

/* Adds "Name: value" lines from lines (separated by CR and/or LF); skips malformed ones.
 * Returns 1 if one of them was Content-Type. */
static int httpd_add_extra_headers(struct MHD_Response *mr, const char *lines)
{
    int has_ctype = 0;
    const char *p = lines;
    while (*p) {
        size_t len = strcspn(p, "\r\n");
        char line[1024];
        if (len > 0 && len < sizeof line) {
            memcpy(line, p, len);
            line[len] = '\0';
            char *colon = strchr(line, ':');
            if (colon && colon != line) {
                *colon = '\0';
                char *name = line, *value = colon + 1;
                size_t nl = strlen(name);
                while (nl > 0 && (name[nl - 1] == ' ' || name[nl - 1] == '\t'))
                    name[--nl] = '\0';
                while (*value == ' ' || *value == '\t')
                    value++;
                size_t vl = strlen(value);
                while (vl > 0 && (value[vl - 1] == ' ' || value[vl - 1] == '\t'))
                    value[--vl] = '\0';
                if (strcasecmp(name, MHD_HTTP_HEADER_CONTENT_TYPE) == 0)
                    has_ctype = 1;
                if (MHD_add_response_header(mr, name, value) != MHD_YES)
                    bp_debug("httpd: response header \"%s\" refused", name);
            }
        }
        p += len;
        while (*p == '\r' || *p == '\n')
            p++;
    }
    return has_ctype;
}

/* Queues resp on conn. Returns what the access handler must return. */
static enum MHD_Result httpd_send(struct MHD_Connection *conn, const bp_httpd_resp_t *resp,
                                  int close_after)
{
    if (resp->drop)
        return MHD_NO;
    struct MHD_Response *mr = MHD_create_response_from_buffer(
        resp->body.len, resp->body.len ? resp->body.data : (void *)"", MHD_RESPMEM_MUST_COPY);
    if (!mr)
        return MHD_NO;
    int has_ctype = httpd_add_extra_headers(mr, resp->extra_headers);
    if (!has_ctype && resp->content_type[0])
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    if (close_after)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
    unsigned int status = (resp->status >= 100 && resp->status <= 999) ? (unsigned)resp->status
                                                                         : 500u;
    enum MHD_Result ret = MHD_queue_response(conn, status, mr);
    MHD_destroy_response(mr);
    return ret;
}

static void httpd_resp_init(bp_httpd_resp_t *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->status = 200;
    bp_buf_init(&resp->body, 0);
    snprintf(resp->content_type, sizeof resp->content_type, "%s", "application/json");
}

/* Sends a JSON error without calling the handler. */
static enum MHD_Result httpd_send_error(struct MHD_Connection *conn, int status, const char *msg,
                                        int close_after)
{
    bp_httpd_resp_t resp;
    httpd_resp_init(&resp);
    bp_httpd_json_error(&resp, status, msg);
    enum MHD_Result ret = httpd_send(conn, &resp, close_after);
    bp_buf_free(&resp.body);
    return ret;
}

static void httpd_remote_addr(struct MHD_Connection *conn, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", "");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)outlen);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)outlen);
}

/* Content-Length announced by the client: 0 and *have=0 when absent or unparsable (MHD
 * itself rejects malformed values). */
static uint64_t httpd_content_length(struct MHD_Connection *conn, int *have)
{
    *have = 0;
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl)
        return 0;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(cl, &end, 10);
    if (end == cl)
        return 0;
    *have = 1;
    if (errno == ERANGE)
        return UINT64_MAX;
    return (uint64_t)v;
}

static enum MHD_Result httpd_access(void *cls, struct MHD_Connection *conn, const char *url,
                                    const char *method, const char *version,
                                    const char *upload_data, size_t *upload_data_size,
                                    void **con_cls)
{
    struct bp_httpd *s = cls;
    struct httpd_req *r = *con_cls;
    if (!r) /* the URI callback ran out of memory */
        return httpd_send_error(conn, 503, "out of memory", 1);

    if (!r->started) {
        r->started = 1;
        int have = 0;
        uint64_t cl = httpd_content_length(conn, &have);
        if (have && cl > (uint64_t)s->max_body) {
            r->too_big = 1;
            /* Answer before the body is read (no 100 Continue) and drop the connection
             * afterwards: the unread body makes it unusable. */
            return httpd_send_error(conn, 413, "request body too large", 1);
        }
        return MHD_YES;
    }

    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (!r->too_big && !r->oom) {
            if (n > s->max_body - r->body.len) {
                r->too_big = 1;
                r->discarded = r->body.len;
                bp_buf_free(&r->body);
            } else if (bp_buf_append(&r->body, upload_data, n) != 0) {
                r->oom = 1;
                bp_buf_free(&r->body);
            }
        }
        if (r->too_big || r->oom) {
            r->discarded += n;
            if (r->discarded > s->max_body + HTTPD_DRAIN_MAX) {
                bp_debug("httpd: %s %s: body far past %zu bytes, closing", method, url,
                         s->max_body);
                return MHD_NO;
            }
        }
        return MHD_YES;
    }

    if (r->too_big)
        return httpd_send_error(conn, 413, "request body too large", 0);
    if (r->oom)
        return httpd_send_error(conn, 503, "out of memory", 1);

    char remote[INET6_ADDRSTRLEN + 1];
    httpd_remote_addr(conn, remote, sizeof remote);
    const char *q = strchr(r->uri, '?');
    char *query = strdup(q ? q + 1 : "");
    if (!query)
        return httpd_send_error(conn, 503, "out of memory", 1);
    char *hash = strchr(query, '#');
    if (hash)
        *hash = '\0';

    bp_httpd_req_t req = {
        .method = method,
        .path = url,
        .query = query,
        .body = r->body.data ? r->body.data : "",
        .body_len = r->body.len,
        .remote_addr = remote,
        .conn = conn,
    };
    bp_httpd_resp_t resp;
    httpd_resp_init(&resp);
    s->fn(s->opaque, &req, &resp);
    enum MHD_Result ret = httpd_send(conn, &resp, 0);
    bp_buf_free(&resp.body);
    free(query);
    return ret;
}

/* Resolves host:port into a socket address for binding. Returns 0 or -1 with err set. */
static int httpd_resolve(const char *host, int port, struct sockaddr_storage *ss, char *err,
                         size_t errlen)
{
    if (!host || !*host)
        host = "127.0.0.1";
    if (strcmp(host, "*") == 0)
        host = "0.0.0.0";
    char h[256];
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') { /* "[::1]" */
        if (hl - 2 >= sizeof h)
            return bp_seterr(err, errlen, "httpd: host \"%s\" too long", host);
        memcpy(h, host + 1, hl - 2);
        h[hl - 2] = '\0';
    } else {
        if (hl >= sizeof h)
            return bp_seterr(err, errlen, "httpd: host \"%s\" too long", host);
        memcpy(h, host, hl + 1);
    }
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(h, ps, &hints, &res);
    if (rc != 0)
        return bp_seterr(err, errlen, "httpd: cannot resolve listen host \"%s\": %s", h,
                         gai_strerror(rc));
    int ok = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
            ai->ai_addrlen <= sizeof *ss) {
            memset(ss, 0, sizeof *ss);
            memcpy(ss, ai->ai_addr, ai->ai_addrlen);
            ok = 1;
            break;
        }
    }
    freeaddrinfo(res);
    if (!ok)
        return bp_seterr(err, errlen, "httpd: no IPv4/IPv6 address for \"%s\"", h);
    return 0;
}

bp_httpd_t *bp_httpd_start(const char *host, int port, size_t max_body, bp_httpd_handler fn,
                           void *opaque, char *err, size_t errlen)
{
    if (!fn) {
        bp_seterr(err, errlen, "httpd: no handler");
        return NULL;
    }
    if (port < 0 || port > 65535) {
        bp_seterr(err, errlen, "httpd: port %d out of range 0..65535", port);
        return NULL;
    }
    struct sockaddr_storage ss;
    if (httpd_resolve(host, port, &ss, err, errlen) != 0)
        return NULL;

    struct bp_httpd *s = calloc(1, sizeof *s);
    if (!s) {
        bp_seterr(err, errlen, "httpd: out of memory");
        return NULL;
    }
    s->fn = fn;
    s->opaque = opaque;
    s->max_body = max_body ? max_body : HTTPD_DEFAULT_MAX_BODY;
    if (s->max_body > SIZE_MAX - HTTPD_DRAIN_MAX - 1)
        s->max_body = SIZE_MAX - HTTPD_DRAIN_MAX - 1;
    pthread_mutex_init(&s->log_mu, NULL);
    s->capturing = 1;

    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                         MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    errno = 0;
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, httpd_access, s,
        MHD_OPTION_EXTERNAL_LOGGER, httpd_mhd_log, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_URI_LOG_CALLBACK, httpd_uri_cb, s,
        MHD_OPTION_NOTIFY_COMPLETED, httpd_completed, s,
        MHD_OPTION_CONNECTION_TIMEOUT, HTTPD_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, HTTPD_MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTPD_CONN_MEMORY,
        MHD_OPTION_END);
    int saved_errno = errno;
    pthread_mutex_lock(&s->log_mu);
    s->capturing = 0;
    pthread_mutex_unlock(&s->log_mu);
    if (!s->daemon) {
        if (s->start_err[0])
            bp_seterr(err, errlen, "httpd: cannot listen on %s:%d: %s", host ? host : "",
                      port, s->start_err);
        else
            bp_seterr(err, errlen, "httpd: cannot listen on %s:%d: %s", host ? host : "",
                      port, saved_errno ? strerror(saved_errno) : "libmicrohttpd failed");
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (!di || di->port == 0) {
        bp_seterr(err, errlen, "httpd: cannot learn the bound port");
        goto fail;
    }
    s->port = di->port;
    return s;

fail:
    bp_httpd_stop(s);
    return NULL;
}

int bp_httpd_port(const bp_httpd_t *s)
{
    return s ? s->port : -1;
}

void bp_httpd_stop(bp_httpd_t *s)
{
    if (!s)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    pthread_mutex_destroy(&s->log_mu);
    free(s);
}

const char *bp_httpd_header(const bp_httpd_req_t *req, const char *name)
{
    if (!req || !req->conn || !name)
        return NULL;
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *bp_httpd_query_arg(const bp_httpd_req_t *req, const char *name)
{
    if (!req || !req->conn || !name)
        return NULL;
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct httpd_each {
    bp_httpd_header_fn fn;
    void *ctx;
    int n;
};

static enum MHD_Result httpd_each_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct httpd_each *e = cls;
    e->n++;
    return e->fn(e->ctx, key ? key : "", value ? value : "") ? MHD_NO : MHD_YES;
}

int bp_httpd_headers_each(const bp_httpd_req_t *req, bp_httpd_header_fn fn, void *ctx)
{
    if (!req || !req->conn || !fn)
        return 0;
    struct httpd_each e = {fn, ctx, 0};
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, httpd_each_cb, &e);
    return e.n;
}

int bp_httpd_parse_listen(const char *s, char *host, size_t hostlen, int *port)
{
    if (!s || !host || hostlen == 0 || !port)
        return -1;
    const char *hs = "127.0.0.1", *ps = s;
    size_t hl = strlen(hs);
    if (s[0] == '[') { /* "[::1]:8080" */
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -1;
        hs = s + 1;
        hl = (size_t)(close - hs);
        ps = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon) {
            if (strchr(s, ':') != colon) /* a bare IPv6 address needs brackets */
                return -1;
            if (colon != s) {
                hs = s;
                hl = (size_t)(colon - s);
            }
            ps = colon + 1;
        }
    }
    if (hl == 0 || hl >= hostlen || *ps == '\0' || strlen(ps) > 5)
        return -1;
    long v = 0;
    for (const char *p = ps; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (v > 65535)
        return -1;
    memcpy(host, hs, hl);
    host[hl] = '\0';
    *port = (int)v;
    return 0;
}

void bp_httpd_json_error(bp_httpd_resp_t *resp, int status, const char *msg)
{
    if (!resp)
        return;
    resp->status = status;
    snprintf(resp->content_type, sizeof resp->content_type, "%s", "application/json");
    bp_buf_reset(&resp->body);
    bp_buf_puts(&resp->body, "{\"error\":\"");
    for (const unsigned char *p = (const unsigned char *)(msg ? msg : ""); *p; p++) {
        if (*p == '"' || *p == '\\') {
            bp_buf_putc(&resp->body, '\\');
            bp_buf_putc(&resp->body, (char)*p);
        } else if (*p < 0x20) {
            bp_buf_printf(&resp->body, "\\u%04x", *p);
        } else {
            bp_buf_putc(&resp->body, (char)*p);
        }
    }
    bp_buf_puts(&resp->body, "\"}");
}
