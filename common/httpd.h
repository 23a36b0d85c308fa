/* httpd.h — a small HTTP server on libmicrohttpd (one thread per connection or an internal
 * polling thread): the whole request body is collected (with a cap) and handed to one handler
 * callback, which fills a response. Used by the webhook intake, the alerter's acknowledgement
 * API, the metrics/health endpoints and the test servers. */
#ifndef BP_HTTPD_H
#define BP_HTTPD_H

#include <stddef.h>

#include "buf.h"

typedef struct bp_httpd bp_httpd_t;

typedef struct bp_httpd_req {
    const char *method;      /* "GET", "POST", ... */
    const char *path;        /* URL path without the query string, %-decoded, e.g. "/v1/posts" */
    const char *query;       /* raw query string without '?', "" if none */
    const char *body;        /* request body (NUL-terminated), "" if none */
    size_t body_len;
    const char *remote_addr; /* "127.0.0.1" */
    void *conn;              /* internal: for bp_httpd_header / bp_httpd_query_arg */
} bp_httpd_req_t;

typedef struct bp_httpd_resp {
    int status;              /* default 200 */
    bp_buf_t body;           /* response body; the handler appends to it */
    char content_type[96];   /* default "application/json" */
    char extra_headers[1024];/* additional "Name: value\r\n" lines, "" if none */
    int drop;                /* set to 1 to close the connection without sending anything
                              * (simulates a crashed peer; test servers only) */
} bp_httpd_resp_t;

/* Called once per complete request, from a server thread (handlers must be thread-safe).
 * A request whose body exceeds max_body gets 413 without calling the handler. */
typedef void (*bp_httpd_handler)(void *opaque, const bp_httpd_req_t *req, bp_httpd_resp_t *resp);

/* Starts listening on host:port (port 0 picks a free port; see bp_httpd_port). host is a
 * numeric IPv4/IPv6 address or a name ("0.0.0.0" or "::" for every interface; NULL or ""
 * means 127.0.0.1). max_body 0 means 1 MiB. Idle connections are closed after 30 s.
 * Returns NULL with the reason in err. */
bp_httpd_t *bp_httpd_start(const char *host, int port, size_t max_body, bp_httpd_handler fn,
                           void *opaque, char *err, size_t errlen);
int bp_httpd_port(const bp_httpd_t *s); /* the port actually bound */
/* Stops accepting, finishes running requests, frees. Accepts NULL. */
void bp_httpd_stop(bp_httpd_t *s);

/* A request header (case-insensitive) or NULL. */
const char *bp_httpd_header(const bp_httpd_req_t *req, const char *name);
/* A decoded query-string argument or NULL. */
const char *bp_httpd_query_arg(const bp_httpd_req_t *req, const char *name);
/* Calls fn for every request header in arrival order (names as the client sent them) until
 * fn returns non-zero. Returns the number of headers visited. Both lookups return NULL / 0
 * when req->conn is NULL (a request built by hand in a unit test). */
typedef int (*bp_httpd_header_fn)(void *ctx, const char *name, const char *value);
int bp_httpd_headers_each(const bp_httpd_req_t *req, bp_httpd_header_fn fn, void *ctx);
/* Parses "host:port" (or ":port", or "port") into host (default 127.0.0.1) and port.
 * Returns 0 or -1. */
int bp_httpd_parse_listen(const char *s, char *host, size_t hostlen, int *port);

/* Convenience: sets status and a JSON body {"error": msg}. */
void bp_httpd_json_error(bp_httpd_resp_t *resp, int status, const char *msg);

#endif
