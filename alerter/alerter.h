/* alerter.h — the alerter's core: bp.alerts consumed, routed, de-duplicated, turned into durable
 * delivery jobs, handed to channel workers, retried with back-off, audited in bp.deliveries and
 * dead-lettered after the retry budget. alert_main.c wires it to the command line. */
#ifndef BP_ALERTER_H
#define BP_ALERTER_H

#include <jansson.h>
#include <stdint.h>

#include "alertcfg.h"
#include "kafka.h"

typedef struct alerter alerter_t;

typedef struct alerter_stats {
    uint64_t consumed, duplicates, unroutable, malformed, folded, incidents, digested;
    uint64_t delivered, retried, failed, dead_lettered, acked, escalated, silenced;
} alerter_stats_t;

/* Creates the alerter for cfg (borrowed, must outlive it): state directory, channels and their
 * workers, Kafka producer and consumer, the acknowledgement API when configured. Jobs left in
 * the retry queue by a previous run are resumed. Returns NULL with the reason in err. */
alerter_t *alerter_new(const alert_cfg_t *cfg, char *err, size_t errlen);

/* Runs until SIGTERM/SIGINT (bp_running cleared) or a fatal error. Returns 0 on a clean stop,
 * -1 on failure. */
int alerter_run(alerter_t *a);

/* Stops the workers, finishes what they attempted, flushes, commits and frees. Accepts NULL. */
void alerter_free(alerter_t *a);

const alerter_stats_t *alerter_stats(const alerter_t *a);

/* "al_" + 16 hex digits of SHA-256(post_id): the alert id used in links and records.
 * out must hold 24 bytes. Returns out. */
char *alerter_alert_id(const char *post_id, char *out);

#endif
