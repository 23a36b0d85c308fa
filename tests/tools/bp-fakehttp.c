/* bp-fakehttp.c — a scriptable HTTP server for integration tests: serves scripted responses per
 * route (recorded API answers for collectors) and records every request as one JSON line
 * (what alert channels sent). Run `bp-fakehttp --help` for the full usage. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cli.h"
#include "crypto.h"
#include "fileutil.h"
#include "httpd.h"
#include "log.h"
#include "sig.h"
#include "timeutil.h"
#include "utf8.h"

#define FAKE_MAX_FILE ((size_t)64 << 20)      /* routes file and body_file cap */
#define FAKE_DEFAULT_MAX_BODY ((size_t)16 << 20)
#define FAKE_MAX_DELAY_MS 600000

static const char fake_usage[] =
    "Usage: bp-fakehttp --port-file FILE --record FILE.jsonl [--listen HOST:PORT]\n"
    "                   [--routes FILE.json] [--max-body BYTES] [--log-level LEVEL]\n"
    "\n"
    "A scriptable HTTP/1.1 server for integration tests. It answers requests from a routes\n"
    "file (recorded API responses for collectors) and records every request it gets (what\n"
    "alert channels sent). Runs until SIGTERM or SIGINT, then exits 0.\n"
    "\n"
    "Options:\n"
    "  --port-file FILE   once listening, write the bound port and a newline to FILE\n"
    "                     (written to a temporary file and renamed: never seen partial)\n"
    "  --listen HOST:PORT address to bind (default 127.0.0.1:0; port 0 = a free port;\n"
    "                     \"PORT\" or \":PORT\" alone bind 127.0.0.1; \"[::1]:PORT\" for IPv6)\n"
    "  --record FILE      append one JSON line per request to FILE, flushed at once:\n"
    "                       {\"t\":MS_SINCE_EPOCH,\"method\":\"POST\",\"path\":\"/hook\",\n"
    "                        \"query\":\"a=1\",\"headers\":{\"content-type\":\"...\",...},\n"
    "                        \"body\":\"...\"}\n"
    "                     path is URL-decoded, query is raw (no '?'), header names are\n"
    "                     lowercased (repeated headers joined with \", \"); a body that is\n"
    "                     not valid UTF-8 is stored as \"body_b64\" instead of \"body\".\n"
    "                     A request is recorded when it arrives, before any delay.\n"
    "  --routes FILE      JSON routes (below); without it every request gets the default.\n"
    "                     SIGHUP reloads it (the sequence positions restart).\n"
    "  --max-body BYTES   larger request bodies get 413 and are not recorded (default 16 MiB)\n"
    "  --log-level LEVEL  debug, info (default), warn or error; logs go to stderr\n"
    "  --help, --version\n"
    "\n"
    "Routes file:\n"
    "  {\"routes\": [\n"
    "     {\"method\": \"GET\",                      optional; any method if absent\n"
    "      \"path\": \"/method/newsfeed.search\",    exact; a trailing * matches a prefix\n"
    "      \"query_contains\": \"q=privat\",         optional substring of the raw query\n"
    "      \"body_contains\": \"text\",              optional substring of the request body\n"
    "      \"responses\": [ RESPONSE, ... ],        served in order, one per request\n"
    "      \"repeat\": \"last\"}                     after the list: \"last\" (default) serves\n"
    "   ],                                         the last again, \"cycle\" starts over\n"
    "   \"default\": RESPONSE}                      for requests no route matches\n"
    "                                              (built-in: 200 {\"ok\":true})\n"
    "  The first route that matches wins. RESPONSE is an object, every key optional:\n"
    "    \"status\": 200                 HTTP status (100..999, default 200)\n"
    "    \"headers\": {\"Retry-After\": \"1\", \"Content-Type\": \"application/json\"}\n"
    "                                  (Content-Type defaults to application/json)\n"
    "    \"body\": \"inline text\"         or\n"
    "    \"body_file\": \"feed.json\"      read at load time, relative to the routes file, or\n"
    "    \"json\": {...}                 any JSON value, sent serialized\n"
    "    \"delay_ms\": 3000              wait before answering (to test client timeouts)\n"
    "    \"close\": true                 drop the connection without answering (a crash)\n"
    "  Unknown keys are errors, reported as FILE: routes[i].responses[j].key: reason.\n"
    "\n"
    "Control endpoints (never recorded, never counted):\n"
    "  GET  /_fake/count?path=/hook   {\"count\":N}: requests recorded for that path so far\n"
    "                                 (without ?path=: all requests)\n"
    "  POST /_fake/routes             replace the routes with the JSON body (same format;\n"
    "                                 body_file relative to the --routes file's folder, or\n"
    "                                 the working folder); answers {\"ok\":true,\"routes\":N}\n"
    "                                 or 400 {\"error\":...}\n"
    "  GET  /_fake/ping               {\"ok\":true}\n"
    "\n"
    "Example (bash):\n"
    "  bp-fakehttp --port-file $T/hook.port --record $T/hook.jsonl --routes r.json &\n"
    "  until [ -s $T/hook.port ]; do sleep 0.1; done; PORT=$(cat $T/hook.port)\n"
    "  curl -s -d '{\"routes\":[{\"path\":\"/hook\",\"responses\":[{\"status\":503}]}]}' \\\n"
    "       http://127.0.0.1:$PORT/_fake/routes\n"
    "  curl -s 'http://127.0.0.1:'$PORT'/_fake/count?path=/hook'\n"
    "\n"
    "Exit status: 0 after SIGTERM/SIGINT, 1 on a runtime failure (cannot listen, cannot\n"
    "write the record or port file), 2 on bad usage or a bad routes file.\n";

struct fake_resp {
    int status;
    char ctype[96];
    char extra[1024]; /* "Name: value\r\n" lines */
    char *body;
    size_t body_len;
    int64_t delay_ms;
    int close;
};

struct fake_route {
    char *method;         /* NULL: any */
    char *path;
    int prefix;           /* path ended with '*' (removed) */
    char *query_contains; /* NULL: any */
    char *body_contains;  /* NULL: any */
    struct fake_resp *resps;
    size_t nresps;
    int cycle;
    size_t next; /* requests served so far (guarded by fake.mu) */
};

struct fake_routes {
    struct fake_route *v;
    size_t n;
    struct fake_resp deflt;
};

struct fake {
    pthread_mutex_t mu; /* guards routes and their positions, counts, total, rec */
    struct fake_routes *routes;
    FILE *rec;
    json_t *counts; /* path -> number of recorded requests */
    long long total;
    char base_dir[PATH_MAX]; /* where body_file names are resolved */
};

static void fake_resp_free(struct fake_resp *r)
{
    free(r->body);
    r->body = NULL;
}

static void fake_routes_free(struct fake_routes *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n; i++) {
        struct fake_route *rt = &rs->v[i];
        free(rt->method);
        free(rt->path);
        free(rt->query_contains);
        free(rt->body_contains);
        for (size_t j = 0; j < rt->nresps; j++)
            fake_resp_free(&rt->resps[j]);
        free(rt->resps);
    }
    free(rs->v);
    fake_resp_free(&rs->deflt);
    free(rs);
}

/* Checks that obj has only the keys in allowed (NULL-terminated). Returns 0 or -1. */
static int fake_check_keys(json_t *obj, const char *const *allowed, const char *src,
                           const char *where, char *err, size_t errlen)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(key, allowed[i]) == 0)
                ok = 1;
        if (!ok)
            return bp_seterr(err, errlen, "%s: %s.%s: unknown key", src, where, key);
    }
    return 0;
}

static int fake_has_crlf(const char *s)
{
    return strchr(s, '\r') != NULL || strchr(s, '\n') != NULL;
}

/* Fills r from the JSON response object j. Returns 0 or -1 with err set. */
static int fake_resp_parse(json_t *j, const char *src, const char *where, const char *base_dir,
                           struct fake_resp *r, char *err, size_t errlen)
{
    static const char *const keys[] = {"status", "headers",  "body",  "body_file",
                                       "json",   "delay_ms", "close", NULL};
    memset(r, 0, sizeof *r);
    r->status = 200;
    snprintf(r->ctype, sizeof r->ctype, "%s", "application/json");
    if (!json_is_object(j))
        return bp_seterr(err, errlen, "%s: %s: must be an object", src, where);
    if (fake_check_keys(j, keys, src, where, err, errlen) != 0)
        return -1;

    json_t *v = json_object_get(j, "status");
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) < 100 || json_integer_value(v) > 999)
            return bp_seterr(err, errlen, "%s: %s.status: must be an integer 100..999", src,
                             where);
        r->status = (int)json_integer_value(v);
    }
    v = json_object_get(j, "delay_ms");
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > FAKE_MAX_DELAY_MS)
            return bp_seterr(err, errlen, "%s: %s.delay_ms: must be an integer 0..%d", src,
                             where, FAKE_MAX_DELAY_MS);
        r->delay_ms = json_integer_value(v);
    }
    v = json_object_get(j, "close");
    if (v) {
        if (!json_is_boolean(v))
            return bp_seterr(err, errlen, "%s: %s.close: must be true or false", src, where);
        r->close = json_is_true(v);
    }
    v = json_object_get(j, "headers");
    if (v) {
        if (!json_is_object(v))
            return bp_seterr(err, errlen, "%s: %s.headers: must be an object", src, where);
        const char *name;
        json_t *hv;
        size_t used = 0;
        json_object_foreach(v, name, hv)
        {
            if (!json_is_string(hv) || fake_has_crlf(json_string_value(hv)))
                return bp_seterr(err, errlen, "%s: %s.headers.%s: must be a one-line string",
                                 src, where, name);
            if (!*name || fake_has_crlf(name) || strchr(name, ':'))
                return bp_seterr(err, errlen, "%s: %s.headers: bad header name \"%s\"", src,
                                 where, name);
            const char *hval = json_string_value(hv);
            if (strcasecmp(name, "Content-Type") == 0) {
                if (strlen(hval) >= sizeof r->ctype)
                    return bp_seterr(err, errlen, "%s: %s.headers.%s: too long", src, where,
                                     name);
                snprintf(r->ctype, sizeof r->ctype, "%s", hval);
                continue;
            }
            int k = snprintf(r->extra + used, sizeof r->extra - used, "%s: %s\r\n", name, hval);
            if (k < 0 || (size_t)k >= sizeof r->extra - used)
                return bp_seterr(err, errlen, "%s: %s.headers: more than %zu bytes of headers",
                                 src, where, sizeof r->extra - 1);
            used += (size_t)k;
        }
    }

    json_t *body = json_object_get(j, "body");
    json_t *bfile = json_object_get(j, "body_file");
    json_t *bjson = json_object_get(j, "json");
    if ((body != NULL) + (bfile != NULL) + (bjson != NULL) > 1)
        return bp_seterr(err, errlen, "%s: %s: use only one of body, body_file, json", src,
                         where);
    if (body) {
        if (!json_is_string(body))
            return bp_seterr(err, errlen, "%s: %s.body: must be a string", src, where);
        r->body_len = json_string_length(body);
        r->body = malloc(r->body_len + 1);
        if (!r->body)
            return bp_seterr(err, errlen, "%s: %s.body: out of memory", src, where);
        memcpy(r->body, json_string_value(body), r->body_len + 1);
    } else if (bfile) {
        if (!json_is_string(bfile) || !*json_string_value(bfile))
            return bp_seterr(err, errlen, "%s: %s.body_file: must be a file name", src, where);
        const char *name = json_string_value(bfile);
        char path[PATH_MAX];
        int k = name[0] == '/' ? snprintf(path, sizeof path, "%s", name)
                               : snprintf(path, sizeof path, "%s/%s", base_dir, name);
        if (k < 0 || (size_t)k >= sizeof path)
            return bp_seterr(err, errlen, "%s: %s.body_file: path too long", src, where);
        r->body = bp_file_read(path, FAKE_MAX_FILE, &r->body_len);
        if (!r->body)
            return bp_seterr(err, errlen, "%s: %s.body_file: %s: %s", src, where, path,
                             strerror(errno));
    } else if (bjson) {
        r->body = json_dumps(bjson, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!r->body)
            return bp_seterr(err, errlen, "%s: %s.json: cannot serialize", src, where);
        r->body_len = strlen(r->body);
    }
    return 0;
}

static char *fake_strdup_field(json_t *obj, const char *key, const char *src, const char *where,
                               int *bad, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return NULL;
    if (!json_is_string(v)) {
        *bad = 1;
        bp_seterr(err, errlen, "%s: %s.%s: must be a string", src, where, key);
        return NULL;
    }
    char *s = strdup(json_string_value(v));
    if (!s) {
        *bad = 1;
        bp_seterr(err, errlen, "%s: %s.%s: out of memory", src, where, key);
    }
    return s;
}

/* Builds routes from a parsed routes document. src names the document in errors. Returns
 * NULL with err set. */
static struct fake_routes *fake_routes_parse(json_t *root, const char *src, const char *base_dir,
                                             char *err, size_t errlen)
{
    static const char *const top_keys[] = {"routes", "default", NULL};
    static const char *const route_keys[] = {"method",        "path",      "query_contains",
                                             "body_contains", "responses", "repeat",
                                             NULL};
    struct fake_routes *rs = calloc(1, sizeof *rs);
    if (!rs) {
        bp_seterr(err, errlen, "%s: out of memory", src);
        return NULL;
    }
    rs->deflt.status = 200;
    snprintf(rs->deflt.ctype, sizeof rs->deflt.ctype, "%s", "application/json");
    rs->deflt.body = strdup("{\"ok\":true}");
    if (!rs->deflt.body) {
        bp_seterr(err, errlen, "%s: out of memory", src);
        goto fail;
    }
    rs->deflt.body_len = strlen(rs->deflt.body);

    if (!json_is_object(root)) {
        bp_seterr(err, errlen, "%s: the document must be an object {\"routes\":[...]}", src);
        goto fail;
    }
    if (fake_check_keys(root, top_keys, src, "(top)", err, errlen) != 0)
        goto fail;
    json_t *d = json_object_get(root, "default");
    if (d) {
        fake_resp_free(&rs->deflt);
        if (fake_resp_parse(d, src, "default", base_dir, &rs->deflt, err, errlen) != 0)
            goto fail;
    }
    json_t *arr = json_object_get(root, "routes");
    if (!arr)
        return rs;
    if (!json_is_array(arr)) {
        bp_seterr(err, errlen, "%s: routes: must be an array", src);
        goto fail;
    }
    size_t n = json_array_size(arr);
    rs->v = calloc(n ? n : 1, sizeof *rs->v);
    if (!rs->v) {
        bp_seterr(err, errlen, "%s: out of memory", src);
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *rj = json_array_get(arr, i);
        struct fake_route *rt = &rs->v[i];
        rs->n = i + 1; /* so that fake_routes_free sees the partly built route */
        char where[64];
        snprintf(where, sizeof where, "routes[%zu]", i);
        if (!json_is_object(rj)) {
            bp_seterr(err, errlen, "%s: %s: must be an object", src, where);
            goto fail;
        }
        if (fake_check_keys(rj, route_keys, src, where, err, errlen) != 0)
            goto fail;
        int bad = 0;
        rt->method = fake_strdup_field(rj, "method", src, where, &bad, err, errlen);
        if (!bad)
            rt->path = fake_strdup_field(rj, "path", src, where, &bad, err, errlen);
        if (!bad)
            rt->query_contains =
                fake_strdup_field(rj, "query_contains", src, where, &bad, err, errlen);
        if (!bad)
            rt->body_contains =
                fake_strdup_field(rj, "body_contains", src, where, &bad, err, errlen);
        if (bad)
            goto fail;
        if (!rt->path || rt->path[0] != '/') {
            bp_seterr(err, errlen, "%s: %s.path: required, must start with '/'", src, where);
            goto fail;
        }
        size_t pl = strlen(rt->path);
        if (rt->path[pl - 1] == '*') {
            rt->prefix = 1;
            rt->path[pl - 1] = '\0';
        }
        if (rt->method && (strcmp(rt->method, "*") == 0 || rt->method[0] == '\0')) {
            free(rt->method);
            rt->method = NULL;
        }
        json_t *rep = json_object_get(rj, "repeat");
        if (rep) {
            const char *rv = json_is_string(rep) ? json_string_value(rep) : "";
            if (strcmp(rv, "cycle") == 0) {
                rt->cycle = 1;
            } else if (strcmp(rv, "last") != 0) {
                bp_seterr(err, errlen, "%s: %s.repeat: must be \"last\" or \"cycle\"", src,
                          where);
                goto fail;
            }
        }
        json_t *ra = json_object_get(rj, "responses");
        if (!json_is_array(ra) || json_array_size(ra) == 0) {
            bp_seterr(err, errlen, "%s: %s.responses: required, a non-empty array", src, where);
            goto fail;
        }
        rt->resps = calloc(json_array_size(ra), sizeof *rt->resps);
        if (!rt->resps) {
            bp_seterr(err, errlen, "%s: out of memory", src);
            goto fail;
        }
        for (size_t k = 0; k < json_array_size(ra); k++) {
            char rwhere[96];
            snprintf(rwhere, sizeof rwhere, "%s.responses[%zu]", where, k);
            rt->nresps = k + 1;
            if (fake_resp_parse(json_array_get(ra, k), src, rwhere, base_dir, &rt->resps[k], err,
                                errlen) != 0)
                goto fail;
        }
    }
    return rs;

fail:
    fake_routes_free(rs);
    return NULL;
}

/* Parses routes JSON text; src names it in errors ("FILE:LINE:COLUMN: reason"). */
static struct fake_routes *fake_routes_load_text(const char *text, size_t len, const char *src,
                                                 const char *base_dir, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        bp_seterr(err, errlen, "%s:%d:%d: %s", src, jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    struct fake_routes *rs = fake_routes_parse(root, src, base_dir, err, errlen);
    json_decref(root);
    return rs;
}

static struct fake_routes *fake_routes_load_file(const char *path, const char *base_dir,
                                                 char *err, size_t errlen)
{
    size_t len = 0;
    char *text = bp_file_read(path, FAKE_MAX_FILE, &len);
    if (!text) {
        bp_seterr(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct fake_routes *rs = fake_routes_load_text(text, len, path, base_dir, err, errlen);
    free(text);
    return rs;
}

/* Swaps in new routes; the old ones are freed. */
static void fake_set_routes(struct fake *f, struct fake_routes *rs)
{
    pthread_mutex_lock(&f->mu);
    struct fake_routes *old = f->routes;
    f->routes = rs;
    pthread_mutex_unlock(&f->mu);
    fake_routes_free(old);
}

struct fake_hdrs {
    json_t *obj;
};

static int fake_collect_header(void *ctx, const char *name, const char *value)
{
    struct fake_hdrs *h = ctx;
    char lname[256];
    size_t n = strlen(name);
    if (n >= sizeof lname)
        n = sizeof lname - 1;
    for (size_t i = 0; i < n; i++)
        lname[i] = (char)tolower((unsigned char)name[i]);
    lname[n] = '\0';
    json_t *prev = json_object_get(h->obj, lname);
    if (prev && json_is_string(prev)) {
        bp_buf_t b = BP_BUF_INIT(0);
        bp_buf_printf(&b, "%s, %s", json_string_value(prev), value);
        json_object_set_new(h->obj, lname, json_stringn(b.data ? b.data : "", b.len));
        bp_buf_free(&b);
    } else {
        json_object_set_new(h->obj, lname, json_string(value));
    }
    return 0;
}

/* Builds a JSON string from possibly non-UTF-8 text (invalid bytes become U+FFFD). */
static json_t *fake_json_text(const char *s)
{
    size_t n = strlen(s);
    if (bp_utf8_check(s, n) == n)
        return json_stringn(s, n);
    char *fixed = bp_utf8_repair(s, n, NULL);
    json_t *j = fixed ? json_string(fixed) : json_string("");
    free(fixed);
    return j;
}

/* Appends the request to the record file and counts it. */
static void fake_record(struct fake *f, const bp_httpd_req_t *req)
{
    json_t *o = json_object();
    json_t *hdrs = json_object();
    if (!o || !hdrs) {
        json_decref(o);
        json_decref(hdrs);
        bp_warn("record: out of memory");
        return;
    }
    json_object_set_new(o, "t", json_integer(bp_now_ms()));
    json_object_set_new(o, "method", fake_json_text(req->method));
    json_object_set_new(o, "path", fake_json_text(req->path));
    json_object_set_new(o, "query", fake_json_text(req->query));
    struct fake_hdrs h = {hdrs};
    bp_httpd_headers_each(req, fake_collect_header, &h);
    json_object_set_new(o, "headers", hdrs);
    if (bp_utf8_check(req->body, req->body_len) == req->body_len) {
        json_object_set_new(o, "body", json_stringn(req->body, req->body_len));
    } else {
        char *b64 = bp_base64(req->body, req->body_len);
        json_object_set_new(o, "body_b64", json_string(b64 ? b64 : ""));
        free(b64);
    }
    char *line = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!line) {
        bp_warn("record: cannot serialize %s %s", req->method, req->path);
        return;
    }
    pthread_mutex_lock(&f->mu);
    if (fputs(line, f->rec) == EOF || fputc('\n', f->rec) == EOF || fflush(f->rec) != 0)
        bp_warn("record: write failed: %s", strerror(errno));
    json_t *c = json_object_get(f->counts, req->path);
    json_object_set_new(f->counts, req->path,
                        json_integer(c ? json_integer_value(c) + 1 : 1));
    f->total++;
    pthread_mutex_unlock(&f->mu);
    free(line);
}

static int fake_route_matches(const struct fake_route *rt, const bp_httpd_req_t *req)
{
    if (rt->method && strcasecmp(rt->method, req->method) != 0)
        return 0;
    if (rt->prefix) {
        if (strncmp(req->path, rt->path, strlen(rt->path)) != 0)
            return 0;
    } else if (strcmp(req->path, rt->path) != 0) {
        return 0;
    }
    if (rt->query_contains && !strstr(req->query, rt->query_contains))
        return 0;
    if (rt->body_contains &&
        !memmem(req->body, req->body_len, rt->body_contains, strlen(rt->body_contains)))
        return 0;
    return 1;
}

/* Picks the scripted answer for req and copies it into resp; the delay is returned. */
static int64_t fake_answer(struct fake *f, const bp_httpd_req_t *req, bp_httpd_resp_t *resp,
                           char *which, size_t whichlen)
{
    pthread_mutex_lock(&f->mu);
    const struct fake_resp *r = &f->routes->deflt;
    snprintf(which, whichlen, "default");
    for (size_t i = 0; i < f->routes->n; i++) {
        struct fake_route *rt = &f->routes->v[i];
        if (!fake_route_matches(rt, req))
            continue;
        size_t k = rt->next;
        if (k >= rt->nresps)
            k = rt->cycle ? k % rt->nresps : rt->nresps - 1;
        rt->next++;
        r = &rt->resps[k];
        snprintf(which, whichlen, "routes[%zu].responses[%zu]", i, k);
        break;
    }
    resp->status = r->status;
    resp->drop = r->close;
    snprintf(resp->content_type, sizeof resp->content_type, "%s", r->ctype);
    snprintf(resp->extra_headers, sizeof resp->extra_headers, "%s", r->extra);
    bp_buf_reset(&resp->body);
    if (r->body_len > 0 && bp_buf_append(&resp->body, r->body, r->body_len) != 0) {
        bp_httpd_json_error(resp, 500, "bp-fakehttp: response body too large");
        resp->drop = 0;
    }
    int64_t delay = r->delay_ms;
    pthread_mutex_unlock(&f->mu);
    return delay;
}

static void fake_control(struct fake *f, const bp_httpd_req_t *req, bp_httpd_resp_t *resp)
{
    if (strcmp(req->path, "/_fake/ping") == 0) {
        bp_buf_puts(&resp->body, "{\"ok\":true}");
        return;
    }
    if (strcmp(req->path, "/_fake/count") == 0 && strcmp(req->method, "GET") == 0) {
        const char *path = bp_httpd_query_arg(req, "path");
        long long n;
        pthread_mutex_lock(&f->mu);
        if (path) {
            json_t *c = json_object_get(f->counts, path);
            n = c ? (long long)json_integer_value(c) : 0;
        } else {
            n = f->total;
        }
        pthread_mutex_unlock(&f->mu);
        bp_buf_printf(&resp->body, "{\"count\":%lld}", n);
        return;
    }
    if (strcmp(req->path, "/_fake/routes") == 0 &&
        (strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0)) {
        char err[512];
        struct fake_routes *rs = fake_routes_load_text(req->body, req->body_len,
                                                       "POST /_fake/routes", f->base_dir, err,
                                                       sizeof err);
        if (!rs) {
            bp_warn("%s", err);
            bp_httpd_json_error(resp, 400, err);
            return;
        }
        size_t n = rs->n;
        fake_set_routes(f, rs);
        bp_info("routes replaced: %zu routes", n);
        bp_buf_printf(&resp->body, "{\"ok\":true,\"routes\":%zu}", n);
        return;
    }
    bp_httpd_json_error(resp, 404, "unknown control endpoint (see bp-fakehttp --help)");
}

static void fake_handle(void *opaque, const bp_httpd_req_t *req, bp_httpd_resp_t *resp)
{
    struct fake *f = opaque;
    if (strncmp(req->path, "/_fake/", 7) == 0) {
        fake_control(f, req, resp);
        return;
    }
    fake_record(f, req);
    char which[96];
    int64_t delay = fake_answer(f, req, resp, which, sizeof which);
    bp_debug("%s %s%s%s -> %s: %d%s%s", req->method, req->path, req->query[0] ? "?" : "",
             req->query, which, resp->status, resp->drop ? " (close)" : "",
             delay ? " (delayed)" : "");
    int64_t until = bp_mono_ms() + delay;
    while (delay > 0 && bp_running) {
        int64_t left = until - bp_mono_ms();
        if (left <= 0)
            break;
        bp_sleep_ms(left < 50 ? left : 50);
    }
}

/* The folder part of path ("." if none) into out. */
static void fake_dirname(const char *path, char *out, size_t outlen)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, outlen, ".");
    else if (slash == path)
        snprintf(out, outlen, "/");
    else
        snprintf(out, outlen, "%.*s", (int)(slash - path), path);
}

static int fake_usage_error(const char *msg)
{
    return bp_cli_usage_error("bp-fakehttp", "%s", msg);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port-file", required_argument, NULL, 'p'}, {"listen", required_argument, NULL, 'l'},
        {"record", required_argument, NULL, 'r'},    {"routes", required_argument, NULL, 'R'},
        {"max-body", required_argument, NULL, 'm'},  {"log-level", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},            {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    const char *port_file = NULL, *listen = "127.0.0.1:0", *record = NULL, *routes_path = NULL;
    size_t max_body = FAKE_DEFAULT_MAX_BODY;
    bp_log_init("bp-fakehttp");
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p': port_file = optarg; break;
        case 'l': listen = optarg; break;
        case 'r': record = optarg; break;
        case 'R': routes_path = optarg; break;
        case 'm': {
            char *end = NULL;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || v == 0 || v > ((size_t)1 << 30))
                return fake_usage_error("--max-body: a number of bytes 1..1073741824");
            max_body = (size_t)v;
            break;
        }
        case 'L': {
            enum bp_log_level lvl;
            if (bp_log_level_parse(optarg, &lvl) != 0)
                return fake_usage_error("--log-level: debug, info, warn or error");
            bp_log_set_level(lvl);
            break;
        }
        case 'h': fputs(fake_usage, stdout); return BP_EXIT_OK;
        case 'V': bp_cli_version("bp-fakehttp"); return BP_EXIT_OK;
        default: return fake_usage_error("unknown option");
        }
    }
    if (optind < argc)
        return fake_usage_error("unexpected argument");
    if (!port_file)
        return fake_usage_error("--port-file is required");
    if (!record)
        return fake_usage_error("--record is required");
    char host[256];
    int port = 0;
    if (bp_httpd_parse_listen(listen, host, sizeof host, &port) != 0)
        return fake_usage_error("--listen: expected HOST:PORT, :PORT or PORT");

    int rc = BP_EXIT_RUNTIME;
    struct fake f;
    memset(&f, 0, sizeof f);
    pthread_mutex_init(&f.mu, NULL);
    bp_httpd_t *srv = NULL;
    char err[512];
    if (routes_path)
        fake_dirname(routes_path, f.base_dir, sizeof f.base_dir);
    else
        snprintf(f.base_dir, sizeof f.base_dir, ".");

    f.counts = json_object();
    if (!f.counts) {
        bp_error("out of memory");
        goto done;
    }
    if (routes_path) {
        f.routes = fake_routes_load_file(routes_path, f.base_dir, err, sizeof err);
        if (!f.routes) {
            bp_error("%s", err);
            rc = BP_EXIT_USAGE;
            goto done;
        }
    } else {
        json_t *empty = json_object(); /* no routes: everything gets the default answer */
        f.routes = empty ? fake_routes_parse(empty, "(none)", ".", err, sizeof err) : NULL;
        json_decref(empty);
        if (!f.routes) {
            bp_error("out of memory");
            goto done;
        }
    }
    f.rec = fopen(record, "ae");
    if (!f.rec) {
        bp_error("%s: %s", record, strerror(errno));
        goto done;
    }

    bp_signals_install();
    srv = bp_httpd_start(host, port, max_body, fake_handle, &f, err, sizeof err);
    if (!srv) {
        bp_error("%s", err);
        goto done;
    }
    char pbuf[16];
    int pl = snprintf(pbuf, sizeof pbuf, "%d\n", bp_httpd_port(srv));
    if (bp_file_write_atomic(port_file, pbuf, (size_t)pl) != 0) {
        bp_error("%s: %s", port_file, strerror(errno));
        goto done;
    }
    bp_info("listening on %s:%d, recording to %s, %zu routes", host, bp_httpd_port(srv), record,
            f.routes->n);

    while (bp_running) {
        bp_sleep_ms(100);
        if (bp_reload) {
            bp_reload = 0;
            if (routes_path) {
                struct fake_routes *rs =
                    fake_routes_load_file(routes_path, f.base_dir, err, sizeof err);
                if (rs) {
                    bp_info("routes reloaded from %s: %zu routes", routes_path, rs->n);
                    fake_set_routes(&f, rs);
                } else {
                    bp_warn("reload failed, keeping the old routes: %s", err);
                }
            }
        }
    }
    bp_info("stopping");
    rc = BP_EXIT_OK;

done:
    bp_httpd_stop(srv);
    if (f.rec && fclose(f.rec) != 0 && rc == BP_EXIT_OK) {
        bp_error("%s: %s", record, strerror(errno));
        rc = BP_EXIT_RUNTIME;
    }
    fake_routes_free(f.routes);
    json_decref(f.counts);
    pthread_mutex_destroy(&f.mu);
    return rc;
}
