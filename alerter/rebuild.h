/* rebuild.h — state handed over on a rebalance: when partitions of bp.alerts are assigned, the
 * alerter reads bp.deliveries (the audit every instance writes) and adds every post id found
 * there to its dedup window, so an alert that another instance already delivered, queued,
 * folded or held is not sent again by the new owner; the same pass hands every record to the
 * alerter, which takes over the open incidents and pending escalations of the assigned
 * partitions (alerter.c). */
#ifndef BP_REBUILD_H
#define BP_REBUILD_H

#include <stddef.h>

#include "config.h"
#include "dedup.h"

#include <jansson.h>

/* Called with every record read (borrowed), in offset order within each partition of
 * bp.deliveries (a brand's records are in one partition: they are keyed by brand). */
typedef void (*rebuild_each_fn)(void *opaque, const json_t *record);

/* Reads the newest `per_partition` records of every partition of topic (up to the high
 * watermark at the time of the call, for at most timeout_ms) and adds each record's "post_id"
 * to d, then syncs d; each (may be NULL) also sees every record, so that the caller rebuilds
 * incidents and escalations. Returns the number of ids added that were not known, or -1 with
 * the reason in err. */
long rebuild_dedup(const bp_kafka_cfg_t *kc, const char *topic, long per_partition,
                   int timeout_ms, dedup_t *d, rebuild_each_fn each, void *opaque, char *err,
                   size_t errlen);

#endif
