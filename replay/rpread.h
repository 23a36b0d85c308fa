/* rpread.h — reads one Kafka topic over a time range [from, to) with a plain consumer
 * (partitions assigned, no group, nothing committed). Start and end offsets come from the
 * broker's timestamp lookups when it answers them; on a broker that does not (bp-broker, the
 * mock cluster), every partition is scanned from its beginning and records are filtered by
 * their timestamps. Reading stops at each partition's end offset as it was when opened. */
#ifndef BP_RPREAD_H
#define BP_RPREAD_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define RPREAD_NO_FROM INT64_MIN /* from_ms: no lower bound */
#define RPREAD_NO_TO INT64_MAX   /* to_ms: no upper bound */

typedef struct rpread rpread_t;

typedef struct rpread_stats {
    int nparts;        /* partitions of the topic */
    int by_time;       /* 1: start/end offsets from timestamp lookups; 0: scan + filter */
    int64_t total;     /* records between the start and end offsets (progress denominator) */
    int64_t read;      /* records consumed so far (in range or not) */
    int64_t in_range;  /* records returned (timestamp within [from, to)) */
    int64_t no_ts;     /* records without a timestamp (skipped when a bound is set) */
} rpread_stats_t;

/* Opens the reader: metadata, watermarks, the timestamp-lookup probe, assignment.
 * kc is borrowed (only read here). timeout_ms bounds each broker request.
 * Returns NULL with the reason in err. Free with rpread_close. */
rpread_t *rpread_open(const bp_kafka_cfg_t *kc, const char *topic, int64_t from_ms,
                      int64_t to_ms, int timeout_ms, char *err, size_t errlen);

/* Waits up to timeout_ms for the next record in range. Returns
 *   1: *m is a record (caller rd_kafka_message_destroy), its timestamp in [from, to);
 *   2: nothing yet (call again);
 *   0: every partition reached its end offset;
 *  -1: a consumer error that makes the result incomplete (reason in err). */
int rpread_next(rpread_t *r, rd_kafka_message_t **m, int timeout_ms, char *err, size_t errlen);

const rpread_stats_t *rpread_stats(const rpread_t *r);

/* Closes the consumer and frees. Accepts NULL. */
void rpread_close(rpread_t *r);

/* Decides, from a timestamp probe, whether the broker answers timestamp lookups: for every
 * non-empty partition (lo[i] < hi[i]) the offset found for timestamp 0 must lie in [lo, hi).
 * probe[i] is the offset returned (-1 when none) and perr[i] the partition's error.
 * Returns 1 if lookups are usable, 0 if not. (Exposed for unit tests.) */
int rpread_probe_ok(const int64_t *lo, const int64_t *hi, const int64_t *probe,
                    const int *perr, int n);

/* The offsets to read, [*start, *end), of a partition with watermarks [lo, hi), from the
 * timestamp lookups of `from` (from_off) and `to` (to_off); -1 means no record at or after that
 * time. (Exposed for unit tests.) */
void rpread_bounds(int64_t lo, int64_t hi, int64_t from_off, int64_t to_off, int64_t *start,
                   int64_t *end);

#endif
