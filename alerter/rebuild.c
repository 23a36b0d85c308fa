/* rebuild.c — the dedup window rebuilt from bp.deliveries on assignment (see rebuild.h). */
#include "rebuild.h"

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "log.h"
#include "model.h"
#include "timeutil.h"

long rebuild_dedup(const bp_kafka_cfg_t *kc, const char *topic, long per_partition,
                   int timeout_ms, dedup_t *d, rebuild_each_fn each, void *opaque, char *err,
                   size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (bp_kafka_conf_apply(conf, kc, "bp-alert-rebuild", err, errlen) != 0 ||
        bp_kafka_conf_set(conf, "group.id", "bp-alert-rebuild", err, errlen) != 0 ||
        bp_kafka_conf_set(conf, "enable.auto.commit", "false", err, errlen) != 0 ||
        bp_kafka_conf_set(conf, "enable.partition.eof", "true", err, errlen) != 0) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    long added = -1;
    int64_t deadline = bp_mono_ms() + timeout_ms;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(16);
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
    if (e || md->topic_cnt != 1 || md->topics[0].err) {
        bp_seterr(err, errlen, "no metadata for %s: %s", topic,
                  rd_kafka_err2str(e ? e : md->topics[0].err));
        goto done;
    }
    int want = 0; /* partitions with records to read */
    for (int p = 0; p < md->topics[0].partition_cnt; p++) {
        int32_t id = md->topics[0].partitions[p].id;
        int64_t lo = 0, hi = 0;
        e = rd_kafka_query_watermark_offsets(rk, topic, id, &lo, &hi, timeout_ms);
        if (e) {
            bp_seterr(err, errlen, "watermarks of %s [%d]: %s", topic, (int)id,
                      rd_kafka_err2str(e));
            goto done;
        }
        if (hi <= lo)
            continue;
        int64_t from = hi - per_partition > lo ? hi - per_partition : lo;
        rd_kafka_topic_partition_list_add(parts, topic, id)->offset = from;
        want++;
    }
    rd_kafka_assign(rk, parts);
    added = 0;
    long seen = 0;
    int eofs = 0;
    while (eofs < want) {
        if (bp_mono_ms() > deadline) {
            bp_warn("rebuild from %s: stopped after %d ms with %d of %d partitions read",
                    topic, timeout_ms, eofs, want);
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eofs++;
        } else if (!m->err) {
            json_error_t je;
            json_t *r = json_loadb(m->payload, m->len, 0, &je);
            /* a second brand's alert of one post is deduplicated as "post_id#brand" */
            const char *pid = *bp_json_str(r, "dedup_key") ? bp_json_str(r, "dedup_key")
                                                            : bp_json_str(r, "post_id");
            if (*pid && !dedup_seen(d, pid) && dedup_add(d, pid) == 0)
                added++;
            if (r && each)
                each(opaque, r);
            json_decref(r);
            seen++;
        }
        rd_kafka_message_destroy(m);
    }
    if (dedup_sync(d) != 0) {
        bp_seterr(err, errlen, "dedup: cannot save");
        added = -1;
    } else {
        bp_info("rebuilt dedup from %s: %ld records read, %ld post ids added", topic, seen,
                added);
    }
done:
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return added;
}
