/* incident.h — no floods: near-duplicates (SimHash) folded into the first alert with a count,
 * and a burst of alerts for one brand and reason (N within a window) turned into one incident
 * with a running count and a few samples, updated at most every `update_every` and resolved
 * after a quiet period. Nothing is dropped silently: every folded or absorbed alert is counted
 * in a later message (a fold summary or an incident update). Main thread only. */
#ifndef BP_INCIDENT_H
#define BP_INCIDENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "alertcfg.h"
#include "route.h"

typedef struct incidents incidents_t;

typedef enum {
    INC_SEND,     /* deliver the alert as usual */
    INC_FOLDED,   /* a near-duplicate of a recent alert: counted there */
    INC_ABSORBED, /* part of an open incident: counted there */
    INC_OPENED,   /* this alert opened an incident: deliver the incident message instead */
} inc_verdict_t;

/* A message the caller should queue: msg (owned) to chans, with a job tag. */
typedef struct inc_out {
    json_t *msg;
    int chans[ROUTE_MAX_TARGETS];
    size_t nchans;
    char alert_id[40];
    char tag[24];
} inc_out_t;

/* Thresholds come from cfg (borrowed). Returns NULL if out of memory. */
incidents_t *incidents_new(const alert_cfg_t *cfg);
void incidents_free(incidents_t *s); /* accepts NULL */

/* Classifies a new alert (a mention) that routing sent to rr->chans. ref (40 bytes) gets the
 * alert or incident it was counted into; for INC_OPENED *out is the incident message to send.
 * Returns the verdict. */
inc_verdict_t incidents_add(incidents_t *s, const json_t *alert, const char *alert_id,
                            const route_result_t *rr, int64_t now_ms, char *ref, inc_out_t *out);

/* Messages due at now_ms (incident updates and resolutions, fold summaries), at most max.
 * Returns how many were written to out[]. */
size_t incidents_tick(incidents_t *s, int64_t now_ms, inc_out_t *out, size_t max);

/* Open incidents as a JSON array (for the acknowledgement API). New reference. */
json_t *incidents_list(incidents_t *s);

/* The grouping key of an alert: "brand|reason" where an urgent reason is kept whole
 * ("urgent:fraud") and others by their kind ("negative"). key must hold 256 bytes. */
void incidents_key(const json_t *alert, char *key, size_t keylen);

#endif
