/* metrics.c — the Prometheus registry of metrics.h: families of labelled series updated with
 * atomics, rendered under the registry mutex, served with /healthz and /readyz by httpd. */
#include "metrics.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "log.h"
#include "timeutil.h"

#define METRICS_RENDER_CAP ((size_t)32 << 20)
#define METRICS_KAFKA_PREFIX "bp_kafka_"

typedef enum { M_COUNTER, M_GAUGE, M_HIST } mtype_t;

struct family;

/* One labelled series. A counter keeps an integer in v; a gauge keeps the bits of a double
 * in v; a histogram keeps per-bucket (not cumulative) counts in buckets[0..nb] (the last is
 * +Inf) and the bits of the sum in v. */
typedef struct series {
    struct family *fam;
    char *lv[BP_METRICS_MAX_LABELS];
    _Atomic uint64_t v;
    _Atomic uint64_t *buckets;
    _Atomic int hidden;  /* not rendered (a Kafka series the last statistics did not name) */
    uint64_t stamp;      /* statistics epoch that last set it (under the registry mutex) */
    struct series *next;
} series_t;

struct bp_counter {
    series_t s;
};
struct bp_gauge {
    series_t s;
};
struct bp_hist {
    series_t s;
};

typedef struct family {
    char *name, *help;
    mtype_t type;
    size_t nlabels;
    char *ln[BP_METRICS_MAX_LABELS];
    double *bounds;
    size_t nb;
    series_t *head, *tail;
    size_t nseries;
    int warned_full;
} family_t;

struct bp_metrics {
    pthread_mutex_t mu;
    family_t **fams;
    size_t nfam, afam;
    bp_httpd_t *httpd;
    const char *prog;
    _Atomic int64_t heartbeat_ms; /* monotonic */
    _Atomic int64_t stale_ms;
    _Atomic int ready;
    bp_gauge_t *g_ready, *g_hb_age;
    uint64_t epoch; /* statistics documents read */
};

/* 1 ms .. 1 day: processing (ms), delivery (s), freshness (minutes to hours). */
static const double metrics_default_bounds[] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,     2.5,   5,    10,
    30,    60,     120,   300,  600,   1200, 1800, 3600, 7200, 21600, 43200, 86400};

/* ---------------- values ---------------- */

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bitsd(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void atomic_double_add(_Atomic uint64_t *p, double d)
{
    uint64_t old = atomic_load_explicit(p, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(p, &old, dbits(bitsd(old) + d),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

void bp_counter_add(bp_counter_t *c, uint64_t n)
{
    if (c)
        atomic_fetch_add_explicit(&c->s.v, n, memory_order_relaxed);
}

void bp_counter_inc(bp_counter_t *c)
{
    bp_counter_add(c, 1);
}

uint64_t bp_counter_get(const bp_counter_t *c)
{
    return c ? atomic_load_explicit(&((bp_counter_t *)c)->s.v, memory_order_relaxed) : 0;
}

void bp_gauge_set(bp_gauge_t *g, double v)
{
    if (g)
        atomic_store_explicit(&g->s.v, dbits(v), memory_order_relaxed);
}

void bp_gauge_add(bp_gauge_t *g, double d)
{
    if (g)
        atomic_double_add(&g->s.v, d);
}

double bp_gauge_get(const bp_gauge_t *g)
{
    return g ? bitsd(atomic_load_explicit(&((bp_gauge_t *)g)->s.v, memory_order_relaxed)) : 0;
}

void bp_hist_observe(bp_hist_t *h, double seconds)
{
    if (!h || isnan(seconds))
        return;
    if (seconds < 0)
        seconds = 0;
    const family_t *f = h->s.fam;
    size_t lo = 0, hi = f->nb; /* first bound >= seconds, or nb (+Inf) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->bounds[mid] >= seconds)
            hi = mid;
        else
            lo = mid + 1;
    }
    atomic_fetch_add_explicit(&h->s.buckets[lo], 1, memory_order_relaxed);
    atomic_double_add(&h->s.v, seconds);
}

void bp_hist_observe_since_ms(bp_hist_t *h, int64_t t_ms)
{
    if (h)
        bp_hist_observe(h, (double)(bp_now_ms() - t_ms) / 1000.0);
}

/* ---------------- registration ---------------- */

static int name_ok(const char *s, int colons)
{
    if (!s || !*s)
        return 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (colons && c == ':');
        if (!alpha && !(p != s && c >= '0' && c <= '9'))
            return 0;
    }
    return 1;
}

static const char *type_name(mtype_t t)
{
    return t == M_COUNTER ? "counter" : t == M_GAUGE ? "gauge" : "histogram";
}

static void series_free(series_t *s)
{
    for (size_t i = 0; i < BP_METRICS_MAX_LABELS; i++)
        free(s->lv[i]);
    free((void *)s->buckets);
    free(s);
}

static void family_free(family_t *f)
{
    if (!f)
        return;
    series_t *s = f->head;
    while (s) {
        series_t *n = s->next;
        series_free(s);
        s = n;
    }
    for (size_t i = 0; i < BP_METRICS_MAX_LABELS; i++)
        free(f->ln[i]);
    free(f->name);
    free(f->help);
    free(f->bounds);
    free(f);
}

static family_t *family_find(bp_metrics_t *m, const char *name)
{
    for (size_t i = 0; i < m->nfam; i++)
        if (strcmp(m->fams[i]->name, name) == 0)
            return m->fams[i];
    return NULL;
}

static family_t *family_new(bp_metrics_t *m, mtype_t type, const char *name, const char *help,
                            const double *bounds, size_t nb, const char **ln, size_t nl)
{
    if (m->nfam == m->afam) {
        size_t na = m->afam ? m->afam * 2 : 32;
        family_t **nf = realloc(m->fams, na * sizeof *nf);
        if (!nf)
            return NULL;
        m->fams = nf;
        m->afam = na;
    }
    family_t *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->type = type;
    f->name = strdup(name);
    f->help = strdup(help ? help : "");
    f->nlabels = nl;
    int bad = !f->name || !f->help;
    for (size_t i = 0; i < nl; i++)
        if (!(f->ln[i] = strdup(ln[i])))
            bad = 1;
    if (type == M_HIST) {
        if (!bounds || nb == 0) {
            bounds = metrics_default_bounds;
            nb = sizeof metrics_default_bounds / sizeof metrics_default_bounds[0];
        }
        f->bounds = malloc(nb * sizeof *f->bounds);
        if (f->bounds)
            memcpy(f->bounds, bounds, nb * sizeof *f->bounds);
        else
            bad = 1;
        f->nb = nb;
    }
    if (bad) {
        family_free(f);
        return NULL;
    }
    m->fams[m->nfam++] = f;
    return f;
}

/* Finds or creates the series; the caller holds m->mu. */
static series_t *series_get_locked(bp_metrics_t *m, mtype_t type, const char *name,
                                   const char *help, const double *bounds, size_t nb,
                                   const char **ln, const char **lv, size_t nl)
{
    if (!name_ok(name, 1)) {
        bp_warn("metrics: bad metric name \"%s\"", name ? name : "(null)");
        return NULL;
    }
    for (size_t i = 0; i < nl; i++) {
        if (!name_ok(ln[i], 0) || strncmp(ln[i], "__", 2) == 0 ||
            (type == M_HIST && strcmp(ln[i], "le") == 0) || !lv[i]) {
            bp_warn("metrics: %s: bad label name \"%s\" (or no value)", name, ln[i]);
            return NULL;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(ln[i], ln[j]) == 0) {
                bp_warn("metrics: %s: label \"%s\" given twice", name, ln[i]);
                return NULL;
            }
    }
    if (type == M_HIST && bounds && nb > 0) {
        if (nb > BP_METRICS_MAX_BUCKETS) {
            bp_warn("metrics: %s: more than %d buckets", name, BP_METRICS_MAX_BUCKETS);
            return NULL;
        }
        for (size_t i = 0; i < nb; i++)
            if (isnan(bounds[i]) || isinf(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
                bp_warn("metrics: %s: bucket bounds must be finite and increasing", name);
                return NULL;
            }
    }
    family_t *f = family_find(m, name);
    if (f) {
        int same = f->type == type && f->nlabels == nl;
        for (size_t i = 0; same && i < nl; i++)
            same = strcmp(f->ln[i], ln[i]) == 0;
        if (!same) {
            bp_warn("metrics: %s is already registered as a %s with other labels or type", name,
                    type_name(f->type));
            return NULL;
        }
        for (series_t *s = f->head; s; s = s->next) {
            size_t i = 0;
            while (i < nl && strcmp(s->lv[i], lv[i]) == 0)
                i++;
            if (i == nl)
                return s;
        }
    } else if (!(f = family_new(m, type, name, help, bounds, nb, ln, nl))) {
        return NULL;
    }
    if (f->nseries >= BP_METRICS_MAX_SERIES) {
        if (!f->warned_full)
            bp_warn("metrics: %s has %d series; new label values are not recorded", name,
                    BP_METRICS_MAX_SERIES);
        f->warned_full = 1;
        return NULL;
    }
    size_t sz = type == M_COUNTER ? sizeof(bp_counter_t)
                : type == M_GAUGE ? sizeof(bp_gauge_t)
                                  : sizeof(bp_hist_t);
    series_t *s = calloc(1, sz);
    if (!s)
        return NULL;
    s->fam = f;
    int bad = 0;
    for (size_t i = 0; i < nl; i++)
        if (!(s->lv[i] = strdup(lv[i])))
            bad = 1;
    if (type == M_HIST) {
        s->buckets = calloc(f->nb + 1, sizeof *s->buckets);
        if (!s->buckets)
            bad = 1;
    }
    if (type != M_COUNTER)
        atomic_init(&s->v, dbits(0.0));
    if (bad) {
        series_free(s);
        return NULL;
    }
    if (f->tail)
        f->tail->next = s;
    else
        f->head = s;
    f->tail = s;
    f->nseries++;
    return s;
}

/* Collects the NULL-terminated label pairs of ap. Returns the number of pairs or -1. */
static int labels_collect(const char *name, va_list ap, const char **ln, const char **lv)
{
    int n = 0;
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            return n;
        const char *v = va_arg(ap, const char *);
        if (n == BP_METRICS_MAX_LABELS || !v) {
            bp_warn("metrics: %s: more than %d label pairs, or a label without a value", name,
                    BP_METRICS_MAX_LABELS);
            return -1;
        }
        ln[n] = k;
        lv[n] = v;
        n++;
    }
}

static series_t *series_vget(bp_metrics_t *m, mtype_t type, const char *name, const char *help,
                             const double *bounds, size_t nb, va_list ap)
{
    if (!m)
        return NULL;
    const char *ln[BP_METRICS_MAX_LABELS], *lv[BP_METRICS_MAX_LABELS];
    int nl = labels_collect(name, ap, ln, lv);
    if (nl < 0)
        return NULL;
    pthread_mutex_lock(&m->mu);
    series_t *s = series_get_locked(m, type, name, help, bounds, nb, ln, lv, (size_t)nl);
    pthread_mutex_unlock(&m->mu);
    return s;
}

bp_counter_t *bp_metrics_counter(bp_metrics_t *m, const char *name, const char *help, ...)
{
    va_list ap;
    va_start(ap, help);
    series_t *s = series_vget(m, M_COUNTER, name, help, NULL, 0, ap);
    va_end(ap);
    return (bp_counter_t *)s;
}

bp_gauge_t *bp_metrics_gauge(bp_metrics_t *m, const char *name, const char *help, ...)
{
    va_list ap;
    va_start(ap, help);
    series_t *s = series_vget(m, M_GAUGE, name, help, NULL, 0, ap);
    va_end(ap);
    return (bp_gauge_t *)s;
}

bp_hist_t *bp_metrics_hist(bp_metrics_t *m, const char *name, const char *help,
                           const double *bounds, size_t nbounds, ...)
{
    va_list ap;
    va_start(ap, nbounds);
    series_t *s = series_vget(m, M_HIST, name, help, bounds, nbounds, ap);
    va_end(ap);
    return (bp_hist_t *)s;
}

/* ---------------- health ---------------- */

void bp_metrics_heartbeat(bp_metrics_t *m)
{
    if (m)
        atomic_store_explicit(&m->heartbeat_ms, bp_mono_ms(), memory_order_relaxed);
}

void bp_metrics_set_stale_ms(bp_metrics_t *m, int64_t stale_ms)
{
    if (m && stale_ms > 0)
        atomic_store(&m->stale_ms, stale_ms);
}

void bp_metrics_set_ready(bp_metrics_t *m, int ready)
{
    if (!m)
        return;
    atomic_store(&m->ready, ready ? 1 : 0);
    bp_gauge_set(m->g_ready, ready ? 1 : 0);
}

static double heartbeat_age_s(bp_metrics_t *m)
{
    return (double)(bp_mono_ms() - atomic_load(&m->heartbeat_ms)) / 1000.0;
}

/* ---------------- exposition ---------------- */

/* Shortest of %.15g/%.17g that reads back as v; Prometheus spellings of the specials. */
static void fmt_double(char *buf, size_t len, double v)
{
    if (isnan(v)) {
        snprintf(buf, len, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, len, "%s", v > 0 ? "+Inf" : "-Inf");
        return;
    }
    snprintf(buf, len, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, len, "%.17g", v);
}

/* Label values: backslash, double quote and newline escaped. HELP text: backslash, newline. */
static int put_escaped(bp_buf_t *out, const char *s, int quotes)
{
    int rc = 0;
    for (const char *p = s; *p && rc == 0; p++) {
        if (*p == '\\')
            rc = bp_buf_puts(out, "\\\\");
        else if (*p == '\n')
            rc = bp_buf_puts(out, "\\n");
        else if (*p == '"' && quotes)
            rc = bp_buf_puts(out, "\\\"");
        else
            rc = bp_buf_putc(out, *p);
    }
    return rc;
}

/* name{l1="v1",...[,le="x"]} */
static int put_series_name(bp_buf_t *out, const family_t *f, const series_t *s,
                           const char *suffix, const char *le)
{
    int rc = bp_buf_puts(out, f->name) | bp_buf_puts(out, suffix);
    if (f->nlabels == 0 && !le)
        return rc;
    rc |= bp_buf_putc(out, '{');
    for (size_t i = 0; i < f->nlabels; i++) {
        if (i)
            rc |= bp_buf_putc(out, ',');
        rc |= bp_buf_puts(out, f->ln[i]) | bp_buf_puts(out, "=\"");
        rc |= put_escaped(out, s->lv[i], 1) | bp_buf_putc(out, '"');
    }
    if (le)
        rc |= bp_buf_printf(out, "%sle=\"%s\"", f->nlabels ? "," : "", le);
    rc |= bp_buf_putc(out, '}');
    return rc;
}

static int render_series(bp_buf_t *out, const family_t *f, series_t *s)
{
    char num[64];
    int rc = 0;
    if (f->type == M_COUNTER) {
        rc |= put_series_name(out, f, s, "", NULL);
        rc |= bp_buf_printf(out, " %llu\n",
                            (unsigned long long)atomic_load_explicit(&s->v, memory_order_relaxed));
        return rc;
    }
    if (f->type == M_GAUGE) {
        fmt_double(num, sizeof num, bitsd(atomic_load_explicit(&s->v, memory_order_relaxed)));
        rc |= put_series_name(out, f, s, "", NULL);
        rc |= bp_buf_printf(out, " %s\n", num);
        return rc;
    }
    uint64_t cum = 0;
    for (size_t i = 0; i <= f->nb; i++) {
        cum += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
        if (i < f->nb)
            fmt_double(num, sizeof num, f->bounds[i]);
        else
            snprintf(num, sizeof num, "+Inf");
        rc |= put_series_name(out, f, s, "_bucket", num);
        rc |= bp_buf_printf(out, " %llu\n", (unsigned long long)cum);
    }
    fmt_double(num, sizeof num, bitsd(atomic_load_explicit(&s->v, memory_order_relaxed)));
    rc |= put_series_name(out, f, s, "_sum", NULL);
    rc |= bp_buf_printf(out, " %s\n", num);
    rc |= put_series_name(out, f, s, "_count", NULL);
    rc |= bp_buf_printf(out, " %llu\n", (unsigned long long)cum);
    return rc;
}

int bp_metrics_render(bp_metrics_t *m, bp_buf_t *out)
{
    if (!m || !out)
        return -1;
    bp_gauge_set(m->g_hb_age, heartbeat_age_s(m));
    int rc = 0;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->nfam && rc == 0; i++) {
        const family_t *f = m->fams[i];
        size_t visible = 0;
        for (series_t *s = f->head; s; s = s->next)
            visible += !atomic_load(&s->hidden);
        if (visible == 0)
            continue;
        rc |= bp_buf_printf(out, "# HELP %s ", f->name);
        rc |= put_escaped(out, f->help, 0);
        rc |= bp_buf_printf(out, "\n# TYPE %s %s\n", f->name, type_name(f->type));
        for (series_t *s = f->head; s && rc == 0; s = s->next)
            if (!atomic_load(&s->hidden))
                rc |= render_series(out, f, s);
    }
    pthread_mutex_unlock(&m->mu);
    return rc ? -1 : 0;
}

static void metrics_http(void *opaque, const bp_httpd_req_t *req, bp_httpd_resp_t *resp)
{
    bp_metrics_t *m = opaque;
    snprintf(resp->content_type, sizeof resp->content_type, "text/plain; charset=utf-8");
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        resp->status = 405;
        snprintf(resp->extra_headers, sizeof resp->extra_headers, "Allow: GET, HEAD\r\n");
        bp_buf_puts(&resp->body, "method not allowed\n");
        return;
    }
    if (strcmp(req->path, "/metrics") == 0) {
        snprintf(resp->content_type, sizeof resp->content_type,
                 "text/plain; version=0.0.4; charset=utf-8");
        if (bp_metrics_render(m, &resp->body) != 0) {
            bp_buf_reset(&resp->body);
            resp->status = 500;
            bp_buf_puts(&resp->body, "metrics too large\n");
        }
    } else if (strcmp(req->path, "/healthz") == 0) {
        double age = heartbeat_age_s(m);
        double limit = (double)atomic_load(&m->stale_ms) / 1000.0;
        if (age > limit) {
            resp->status = 503;
            bp_buf_printf(&resp->body, "stale: last heartbeat %.1f s ago (limit %.0f s)\n", age,
                          limit);
        } else {
            bp_buf_puts(&resp->body, "ok\n");
        }
    } else if (strcmp(req->path, "/readyz") == 0) {
        if (atomic_load(&m->ready)) {
            bp_buf_puts(&resp->body, "ready\n");
        } else {
            resp->status = 503;
            bp_buf_puts(&resp->body, "not ready\n");
        }
    } else {
        resp->status = 404;
        bp_buf_puts(&resp->body, "not found: try /metrics, /healthz or /readyz\n");
    }
}

/* ---------------- life cycle ---------------- */

bp_metrics_t *bp_metrics_start(const char *prog, const char *listen, char *err, size_t errlen)
{
    bp_metrics_t *m = calloc(1, sizeof *m);
    if (!m) {
        bp_seterr(err, errlen, "metrics: out of memory");
        return NULL;
    }
    pthread_mutex_init(&m->mu, NULL);
    m->prog = prog ? prog : "brandpulse";
    atomic_init(&m->heartbeat_ms, bp_mono_ms());
    atomic_init(&m->stale_ms, BP_METRICS_DEFAULT_STALE_MS);
    atomic_init(&m->ready, 0);

    bp_gauge_t *info = bp_metrics_gauge(m, "bp_build_info", "Program and version; always 1",
                                        "program", m->prog, "version", BP_VERSION, NULL);
    bp_gauge_t *start = bp_metrics_gauge(m, "process_start_time_seconds",
                                         "Start time of the process since the Unix epoch", NULL);
    m->g_ready = bp_metrics_gauge(m, "bp_ready", "1 once the program is ready to work", NULL);
    m->g_hb_age = bp_metrics_gauge(m, "bp_heartbeat_age_seconds",
                                   "Seconds since the main loop last turned", NULL);
    if (!info || !start || !m->g_ready || !m->g_hb_age) {
        bp_seterr(err, errlen, "metrics: out of memory");
        bp_metrics_free(m);
        return NULL;
    }
    bp_gauge_set(info, 1);
    bp_gauge_set(start, (double)bp_now_ms() / 1000.0);

    if (listen && *listen) {
        char host[256];
        int port = 0;
        if (bp_httpd_parse_listen(listen, host, sizeof host, &port) != 0) {
            bp_seterr(err, errlen, "metrics_listen '%s': expected host:port", listen);
            bp_metrics_free(m);
            return NULL;
        }
        char e[256] = "";
        m->httpd = bp_httpd_start(host, port, 4096, metrics_http, m, e, sizeof e);
        if (!m->httpd) {
            bp_seterr(err, errlen, "metrics_listen '%s': %s", listen, e);
            bp_metrics_free(m);
            return NULL;
        }
        bp_info("metrics on http://%s:%d/metrics (also /healthz, /readyz)", host,
                bp_httpd_port(m->httpd));
    }
    return m;
}

int bp_metrics_port(const bp_metrics_t *m)
{
    return m && m->httpd ? bp_httpd_port(m->httpd) : -1;
}

void bp_metrics_free(bp_metrics_t *m)
{
    if (!m)
        return;
    bp_httpd_stop(m->httpd); /* no handler runs after this */
    for (size_t i = 0; i < m->nfam; i++)
        family_free(m->fams[i]);
    free(m->fams);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

/* ---------------- librdkafka statistics ---------------- */

/* Sets a Kafka gauge (or mirrored counter) series and stamps it with the current epoch;
 * the caller holds m->mu. */
static void kset(bp_metrics_t *m, mtype_t type, const char *name, const char *help,
                 const char **ln, const char **lv, size_t nl, double v)
{
    series_t *s = series_get_locked(m, type, name, help, NULL, 0, ln, lv, nl);
    if (!s)
        return;
    if (type == M_COUNTER)
        atomic_store_explicit(&s->v, v > 0 ? (uint64_t)v : 0, memory_order_relaxed);
    else
        atomic_store_explicit(&s->v, dbits(v), memory_order_relaxed);
    s->stamp = m->epoch;
    atomic_store(&s->hidden, 0);
}

static int jnum(const json_t *o, const char *k, double *out)
{
    const json_t *v = json_object_get(o, k);
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return 0;
}

int bp_metrics_rdkafka_stats(bp_metrics_t *m, const char *json, size_t len)
{
    if (!m || !json)
        return -1;
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    const char *client = json_string_value(json_object_get(root, "name"));
    const char *type = json_string_value(json_object_get(root, "type"));
    if (!json_is_object(root) || !client || !type) {
        json_decref(root);
        return -1;
    }
    pthread_mutex_lock(&m->mu);
    m->epoch++;
    const char *ln[3] = {"client", "topic", "partition"};
    const char *lv[3] = {client, NULL, NULL};
    const char *bln[2] = {"client", "broker"};
    const char *blv[2] = {client, NULL};
    double v;

    if (jnum(root, "msg_cnt", &v) == 0)
        kset(m, M_GAUGE, "bp_kafka_outq_msgs", "Messages in the client's queues, not yet sent",
             ln, lv, 1, v);
    if (jnum(root, "replyq", &v) == 0)
        kset(m, M_GAUGE, "bp_kafka_replyq", "Events waiting to be served by the program", ln,
             lv, 1, v);
    if (jnum(root, "txmsgs", &v) == 0)
        kset(m, M_COUNTER, "bp_kafka_tx_msgs_total", "Messages sent to brokers", ln, lv, 1, v);
    if (jnum(root, "rxmsgs", &v) == 0)
        kset(m, M_COUNTER, "bp_kafka_rx_msgs_total", "Messages received from brokers", ln, lv,
             1, v);

    const char *key;
    json_t *val;
    json_object_foreach(json_object_get(root, "brokers"), key, val)
    {
        double nodeid;
        if (jnum(val, "nodeid", &nodeid) != 0 || nodeid < 0) /* bootstrap, coordinator */
            continue;
        blv[1] = key;
        const char *state = json_string_value(json_object_get(val, "state"));
        kset(m, M_GAUGE, "bp_kafka_broker_up", "1 if the connection to the broker is up", bln,
             blv, 2, state && strcmp(state, "UP") == 0 ? 1 : 0);
        if (jnum(val, "outbuf_msg_cnt", &v) == 0)
            kset(m, M_GAUGE, "bp_kafka_broker_outbuf_msgs",
                 "Messages waiting to be sent to the broker", bln, blv, 2, v);
        if (jnum(json_object_get(val, "rtt"), "avg", &v) == 0)
            kset(m, M_GAUGE, "bp_kafka_broker_rtt_avg_seconds",
                 "Average broker round-trip time over the last statistics window", bln, blv, 2,
                 v / 1e6);
    }

    const char *topic;
    json_t *tv;
    json_object_foreach(json_object_get(root, "topics"), topic, tv)
    {
        const char *pkey;
        json_t *pv;
        json_object_foreach(json_object_get(tv, "partitions"), pkey, pv)
        {
            if (strcmp(pkey, "-1") == 0) /* the internal unassigned partition */
                continue;
            if (jnum(pv, "consumer_lag", &v) != 0 || v < 0)
                continue;
            lv[1] = topic;
            lv[2] = pkey;
            kset(m, M_GAUGE, "bp_kafka_consumer_lag",
                 "Messages between the partition's end and the consumer's position", ln, lv, 3,
                 v);
        }
    }

    json_t *cgrp = json_object_get(root, "cgrp");
    if (json_is_object(cgrp)) {
        if (jnum(cgrp, "assignment_size", &v) == 0)
            kset(m, M_GAUGE, "bp_kafka_assigned_partitions",
                 "Partitions assigned to this consumer", ln, lv, 1, v);
        if (jnum(cgrp, "rebalance_cnt", &v) == 0)
            kset(m, M_COUNTER, "bp_kafka_rebalances_total", "Consumer-group rebalances", ln, lv,
                 1, v);
    }

    /* What this client's document did not name any more is not exposed any more. */
    for (size_t i = 0; i < m->nfam; i++) {
        family_t *f = m->fams[i];
        if (strncmp(f->name, METRICS_KAFKA_PREFIX, strlen(METRICS_KAFKA_PREFIX)) != 0 ||
            f->nlabels == 0 || strcmp(f->ln[0], "client") != 0)
            continue;
        for (series_t *s = f->head; s; s = s->next)
            if (strcmp(s->lv[0], client) == 0 && s->stamp != m->epoch)
                atomic_store(&s->hidden, 1);
    }
    pthread_mutex_unlock(&m->mu);
    json_decref(root);
    return 0;
}

void bp_metrics_rdkafka_stats_cb(void *m, const char *json, size_t len)
{
    (void)bp_metrics_rdkafka_stats(m, json, len);
}
