/* spike.h — a spike in a brand's negative volume against its usual level for that hour of the
 * day: counts of alerts per brand and clock hour, a per-hour-of-day baseline (exponentially
 * weighted over the days seen), and one incident naming the top terms when the current hour
 * reaches `factor` times the usual level and at least `min_volume` alerts. Main thread only. */
#ifndef BP_SPIKE_H
#define BP_SPIKE_H

#include <jansson.h>
#include <stdint.h>

#include "alertcfg.h"
#include "incident.h"
#include "route.h"

typedef struct spike spike_t;

spike_t *spike_new(const alert_cfg_t *cfg); /* NULL if out of memory */
void spike_free(spike_t *s);                 /* accepts NULL */

/* Counts an alert (a mention) of its first brand at now_ms if it is negative (sentiment label
 * or a "negative..." reason). Returns 1 and fills *out
 * (an incident message: kind "incident", reason "negative spike ...", "top_terms") when this
 * alert makes the hour a spike, else 0. */
int spike_add(spike_t *s, const json_t *alert, const route_result_t *rr, int64_t now_ms,
              inc_out_t *out);

/* The usual level for a brand at the hour of day of now_ms (-1 if the brand is unknown). */
double spike_baseline(const spike_t *s, const char *brand, int64_t now_ms);

/* Saves / loads the baselines (a missing file is empty). Return 0 or -1. */
int spike_save(const spike_t *s, const char *path);
int spike_load(spike_t *s, const char *path, char *err, size_t errlen);

#endif
