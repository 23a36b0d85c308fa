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

/* 1 when the alert must never be folded or grouped: its brand (alert_brand, else the first of
 * brands) is in cfg's incident.exempt (default "_ops", bp-watchdog's operational alerts: each
 * stale feed is its own alert). Else 0. */
int incidents_exempt(const alert_cfg_t *cfg, const json_t *alert);

/* Classifies a new alert (a mention) that routing sent to rr->chans. ref (40 bytes) gets the
 * alert or incident it was counted into; for INC_OPENED *out is the incident message to send.
 * now_ms is the alert's EVENT time (evclock_event_ms), so that the live alerter and the dry run
 * decide alike. An operational alert (incidents_exempt) is always INC_SEND and not remembered.
 * Returns the verdict. */
inc_verdict_t incidents_add(incidents_t *s, const json_t *alert, const char *alert_id,
                            const route_result_t *rr, int64_t now_ms, char *ref, inc_out_t *out);

/* Hand-over on a rebalance. The partition of bp.alerts the next alerts come from (-1 unknown,
 * the default): an incident they open belongs to it. */
void incidents_set_partition(incidents_t *s, int partition);
/* An open incident whose partition owned() says is not this instance's any more is neither
 * updated nor resolved here (the new owner does). owned may be NULL. */
void incidents_set_owner(incidents_t *s, int (*owned)(void *opaque, int partition),
                         void *opaque);
/* The state of incident id, for bp.deliveries: {id, key, state: open|resolved, count,
 * reported, first_ms, last_ms, updated_ms, deadline_ms, seq, partition, channels: [names],
 * samples}. New reference, or NULL if unknown. */
json_t *incidents_state(incidents_t *s, const char *id);
/* Takes over an incident from such a state (another instance's): an open one continues here
 * (later alerts are absorbed, updates keep its id and numbering); a resolved one closes the
 * same incident if it is open here. Returns 0, or -1 if st is not an incident state. */
int incidents_restore(incidents_t *s, const json_t *st);

/* Messages due at now_ms (incident updates and resolutions, fold summaries), at most max.
 * Returns how many were written to out[]. */
size_t incidents_tick(incidents_t *s, int64_t now_ms, inc_out_t *out, size_t max);

/* Open incidents as a JSON array (for the acknowledgement API). New reference. */
json_t *incidents_list(incidents_t *s);

/* The grouping key of an alert: "brand|reason" where an urgent reason is kept whole
 * ("urgent:fraud") and others by their kind ("negative"). key must hold 256 bytes. */
void incidents_key(const json_t *alert, char *key, size_t keylen);

#endif
