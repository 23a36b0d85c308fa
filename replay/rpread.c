/* rpread.c — a topic read over [from, to): timestamp lookups when the broker has them, else a
 * scan filtered by record timestamps (see rpread.h). */
#include "rpread.h"

#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "log.h"

#define RPREAD_MAX_PARTS 4096

typedef struct rpread_part {
    int32_t id;
    int64_t start, end; /* [start, end): offsets to read */
    int done;
} rpread_part_t;

struct rpread {
    rd_kafka_t *rk;
    char *topic;
    int64_t from_ms, to_ms;
    rpread_part_t *parts;
    int nparts, ndone;
    rpread_stats_t st;
};

/* librdkafka's log lines through ours (one line per event, on stderr). */
static void rpread_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    enum bp_log_level l = level <= 3 ? BP_LOG_ERROR : level <= 5 ? BP_LOG_WARN
                          : level <= 6                           ? BP_LOG_INFO
                                                                 : BP_LOG_DEBUG;
    bp_log(l, "rdkafka %s %s: %s", rd_kafka_name(rk), fac, buf);
}

int rpread_probe_ok(const int64_t *lo, const int64_t *hi, const int64_t *probe,
                    const int *perr, int n)
{
    int nonempty = 0;
    for (int i = 0; i < n; i++) {
        if (lo[i] >= hi[i])
            continue;
        nonempty++;
        if (perr[i] != 0 || probe[i] < lo[i] || probe[i] >= hi[i])
            return 0;
    }
    /* with every partition empty there is nothing to read either way; scanning is exact */
    return nonempty > 0;
}

void rpread_bounds(int64_t lo, int64_t hi, int64_t from_off, int64_t to_off, int64_t *start,
                   int64_t *end)
{
    /* -1: no record at or after the time: nothing to read from there (up to the end) */
    int64_t s = from_off < 0 ? hi : from_off, e = to_off < 0 ? hi : to_off;
    *start = s < lo ? lo : s > hi ? hi : s;
    *end = e > hi ? hi : e < *start ? *start : e;
}

static int rpread_part_index(const rpread_t *r, int32_t id)
{
    for (int i = 0; i < r->nparts; i++)
        if (r->parts[i].id == id)
            return i;
    return -1;
}

/* Looks up, for every partition, the first offset whose timestamp is >= ts.
 * out[i] gets the offset (-1: none), perr[i] the partition's error. Returns 0 or -1 (request
 * failed as a whole: treated as "no timestamp lookups" by the caller). */
static int rpread_lookup(rpread_t *r, int64_t ts, int64_t *out, int *perr, int timeout_ms)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(r->nparts);
    for (int i = 0; i < r->nparts; i++)
        rd_kafka_topic_partition_list_add(l, r->topic, r->parts[i].id)->offset = ts;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(r->rk, l, timeout_ms);
    if (e) {
        bp_debug("timestamp lookup on %s failed: %s", r->topic, rd_kafka_err2str(e));
        rd_kafka_topic_partition_list_destroy(l);
        return -1;
    }
    for (int i = 0; i < r->nparts; i++) {
        out[i] = -1;
        perr[i] = RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION;
    }
    for (int j = 0; j < l->cnt; j++) {
        int i = rpread_part_index(r, l->elems[j].partition);
        if (i < 0)
            continue;
        out[i] = l->elems[j].offset;
        perr[i] = l->elems[j].err;
    }
    rd_kafka_topic_partition_list_destroy(l);
    return 0;
}

/* Finds the topic's partitions in the cluster's metadata. All topics are asked for, so that
 * asking never creates the topic on a broker that auto-creates topics. */
static int rpread_metadata(rpread_t *r, int timeout_ms, char *err, size_t errlen)
{
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(r->rk, 1, NULL, &md, timeout_ms);
    int rc = -1;
    if (e) {
        bp_seterr(err, errlen, "no metadata from the brokers: %s", rd_kafka_err2str(e));
        goto out;
    }
    const rd_kafka_metadata_topic_t *t = NULL;
    for (int i = 0; i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, r->topic) == 0)
            t = &md->topics[i];
    if (!t || t->err) {
        bp_seterr(err, errlen, "topic %s: %s", r->topic,
                  rd_kafka_err2str(t ? t->err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
        goto out;
    }
    int n = t->partition_cnt;
    if (n <= 0 || n > RPREAD_MAX_PARTS) {
        bp_seterr(err, errlen, "topic %s: %d partitions (1..%d supported)", r->topic, n,
                  RPREAD_MAX_PARTS);
        goto out;
    }
    r->parts = calloc((size_t)n, sizeof *r->parts);
    if (!r->parts) {
        bp_seterr(err, errlen, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++)
        r->parts[i].id = t->partitions[i].id;
    r->nparts = n;
    rc = 0;
out:
    if (md)
        rd_kafka_metadata_destroy(md);
    return rc;
}

/* Chooses [start, end) for every partition. Returns 0 or -1. */
static int rpread_plan(rpread_t *r, int timeout_ms, char *err, size_t errlen)
{
    int n = r->nparts, rc = -1;
    int64_t *lo = calloc((size_t)n, sizeof *lo), *hi = calloc((size_t)n, sizeof *hi);
    int64_t *a = calloc((size_t)n, sizeof *a), *b = calloc((size_t)n, sizeof *b);
    int *pe = calloc((size_t)n, sizeof *pe);
    if (!lo || !hi || !a || !b || !pe) {
        bp_seterr(err, errlen, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        rd_kafka_resp_err_t e =
            rd_kafka_query_watermark_offsets(r->rk, r->topic, r->parts[i].id, &lo[i], &hi[i],
                                             timeout_ms);
        if (e) {
            bp_seterr(err, errlen, "topic %s partition %d: cannot read offsets: %s", r->topic,
                      (int)r->parts[i].id, rd_kafka_err2str(e));
            goto out;
        }
        r->parts[i].start = lo[i];
        r->parts[i].end = hi[i];
    }
    r->st.by_time = 0;
    if (r->from_ms != RPREAD_NO_FROM || r->to_ms != RPREAD_NO_TO) {
        /* probe: on a broker with timestamp lookups, ts 0 finds an offset inside every
         * non-empty partition; the mock cluster answers -1 (or an error) instead */
        int looked = rpread_lookup(r, 0, a, pe, timeout_ms) == 0;
        for (int i = 0; looked && i < n; i++)
            bp_debug("%s [%d]: timestamp probe: offset %lld (%s), watermarks %lld..%lld", r->topic,
                     (int)r->parts[i].id, (long long)a[i], rd_kafka_err2str(pe[i]),
                     (long long)lo[i], (long long)hi[i]);
        if (looked && rpread_probe_ok(lo, hi, a, pe, n)) {
            int ok = 1;
            if (r->from_ms != RPREAD_NO_FROM && r->from_ms > 0) {
                ok = rpread_lookup(r, r->from_ms, a, pe, timeout_ms) == 0;
                for (int i = 0; ok && i < n; i++)
                    ok = pe[i] == 0;
            } else {
                memcpy(a, lo, (size_t)n * sizeof *a);
            }
            if (ok && r->to_ms != RPREAD_NO_TO) {
                ok = rpread_lookup(r, r->to_ms, b, pe, timeout_ms) == 0;
                for (int i = 0; ok && i < n; i++)
                    ok = pe[i] == 0;
            } else {
                memcpy(b, hi, (size_t)n * sizeof *b);
            }
            if (ok) {
                r->st.by_time = 1;
                for (int i = 0; i < n; i++)
                    rpread_bounds(lo[i], hi[i], a[i], b[i], &r->parts[i].start,
                                  &r->parts[i].end);
            }
        }
        if (!r->st.by_time)
            bp_info("broker has no timestamp lookups for %s: scanning every partition and "
                    "filtering by record timestamps", r->topic);
    }
    r->st.total = 0;
    for (int i = 0; i < n; i++) {
        if (r->parts[i].start >= r->parts[i].end) {
            r->parts[i].done = 1;
            r->ndone++;
        } else {
            r->st.total += r->parts[i].end - r->parts[i].start;
        }
        bp_debug("%s [%d]: offsets %lld..%lld of %lld..%lld", r->topic, (int)r->parts[i].id,
                 (long long)r->parts[i].start, (long long)r->parts[i].end, (long long)lo[i],
                 (long long)hi[i]);
    }
    rc = 0;
out:
    free(lo);
    free(hi);
    free(a);
    free(b);
    free(pe);
    return rc;
}

rpread_t *rpread_open(const bp_kafka_cfg_t *kc, const char *topic, int64_t from_ms,
                      int64_t to_ms, int timeout_ms, char *err, size_t errlen)
{
    rpread_t *r = calloc(1, sizeof *r);
    if (!r) {
        bp_seterr(err, errlen, "out of memory");
        return NULL;
    }
    r->from_ms = from_ms;
    r->to_ms = to_ms;
    r->topic = strdup(topic);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char e[512];
    if (!r->topic || bp_kafka_conf_apply(conf, kc, "bp-replay", err, errlen) ||
        /* a group id is needed by the consumer API; nothing is ever committed with it */
        bp_kafka_conf_set(conf, "group.id", "bp-replay", err, errlen) ||
        bp_kafka_conf_set(conf, "enable.auto.commit", "false", err, errlen) ||
        bp_kafka_conf_set(conf, "enable.auto.offset.store", "false", err, errlen) ||
        bp_kafka_conf_set(conf, "enable.partition.eof", "true", err, errlen) ||
        /* a start offset deleted by retention meanwhile is an error, never a silent skip */
        bp_kafka_conf_set(conf, "auto.offset.reset", "error", err, errlen)) {
        rd_kafka_conf_destroy(conf);
        goto fail;
    }
    rd_kafka_conf_set_log_cb(conf, rpread_log_cb);
    r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!r->rk) {
        rd_kafka_conf_destroy(conf);
        bp_seterr(err, errlen, "cannot create Kafka consumer: %s", e);
        goto fail;
    }
    rd_kafka_poll_set_consumer(r->rk);
    if (rpread_metadata(r, timeout_ms, err, errlen) || rpread_plan(r, timeout_ms, err, errlen))
        goto fail;
    r->st.nparts = r->nparts;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(r->nparts);
    for (int i = 0; i < r->nparts; i++)
        if (!r->parts[i].done)
            rd_kafka_topic_partition_list_add(l, r->topic, r->parts[i].id)->offset =
                r->parts[i].start;
    rd_kafka_resp_err_t ae = l->cnt ? rd_kafka_assign(r->rk, l) : RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_partition_list_destroy(l);
    if (ae) {
        bp_seterr(err, errlen, "cannot assign partitions of %s: %s", topic, rd_kafka_err2str(ae));
        goto fail;
    }
    return r;
fail:
    rpread_close(r);
    return NULL;
}

static void rpread_part_done(rpread_t *r, int i)
{
    if (r->parts[i].done)
        return;
    r->parts[i].done = 1;
    r->ndone++;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, r->topic, r->parts[i].id);
    rd_kafka_pause_partitions(r->rk, l); /* stop fetching what will not be read */
    rd_kafka_topic_partition_list_destroy(l);
}

int rpread_next(rpread_t *r, rd_kafka_message_t **out, int timeout_ms, char *err, size_t errlen)
{
    *out = NULL;
    for (;;) {
        if (r->ndone >= r->nparts)
            return 0;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(r->rk, timeout_ms);
        if (!m)
            return 2;
        int i = rpread_part_index(r, m->partition);
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            /* EOF at the end offset (or past it, if records were added since) */
            if (i >= 0 && m->offset >= r->parts[i].end)
                rpread_part_done(r, i);
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->err) {
            bp_seterr(err, errlen, "%s [%d]: %s", r->topic, (int)m->partition,
                      rd_kafka_message_errstr(m));
            rd_kafka_resp_err_t e = m->err;
            rd_kafka_message_destroy(m);
            if (e == RD_KAFKA_RESP_ERR__TRANSPORT || e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
                e == RD_KAFKA_RESP_ERR__TIMED_OUT) {
                bp_warn("%s", err); /* transient: librdkafka reconnects */
                return 2;
            }
            return -1;
        }
        if (i < 0 || r->parts[i].done || m->offset >= r->parts[i].end) {
            rd_kafka_message_destroy(m);
            continue;
        }
        r->st.read++;
        if (m->offset + 1 >= r->parts[i].end)
            rpread_part_done(r, i);
        rd_kafka_timestamp_type_t tt;
        int64_t ts = rd_kafka_message_timestamp(m, &tt);
        int bounded = r->from_ms != RPREAD_NO_FROM || r->to_ms != RPREAD_NO_TO;
        if (ts < 0 && bounded) {
            r->st.no_ts++;
            rd_kafka_message_destroy(m);
            continue;
        }
        if (bounded && (ts < r->from_ms || ts >= r->to_ms)) {
            rd_kafka_message_destroy(m);
            continue;
        }
        r->st.in_range++;
        *out = m;
        return 1;
    }
}

const rpread_stats_t *rpread_stats(const rpread_t *r) { return &r->st; }

void rpread_close(rpread_t *r)
{
    if (!r)
        return;
    if (r->rk) {
        rd_kafka_consumer_close(r->rk);
        rd_kafka_destroy(r->rk);
    }
    free(r->parts);
    free(r->topic);
    free(r);
}
