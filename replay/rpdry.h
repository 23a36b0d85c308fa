/* rpdry.h — `bp-replay --alerts`: a dry run of the alerter on EVENT time. The alerter's own code
 * decides (alerter/route.h route_match, alerter/incident.h incidents_add/incidents_tick,
 * alerter/digest.h digest_bucket_take), driven by the posts' published_at instead of the wall
 * clock, and the steps of alerter.c's alerter_handle are followed in the same order:
 * duplicate post id -> route (schedules and rotations at event time) -> fold / incident ->
 * per channel: digest priority or over the rate limit -> held for the digest, else delivered.
 * The event time of a mention is alerter/evclock.h's evclock_event_ms (published_at, else
 * collected_at, else the time given), as in the alerter. Periodic work (incident updates and
 * resolutions, fold summaries, due digests) runs at the candidate event times of the alerter's
 * own evclock heap, so a lagging bp-alert, which ticks the same way, decides alike. Nothing is delivered; the result is the list of messages
 * that would have reached each channel. */
#ifndef BP_RPDRY_H
#define BP_RPDRY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "alertcfg.h"

typedef struct rpdry_stats {
    long long input;      /* mentions with alert:true given */
    long long duplicates; /* post ids seen before */
    long long unrouted;   /* no route matched */
    long long folded, absorbed, incidents, held;
    long long messages;   /* messages to channels (every event below except "unrouted") */
} rpdry_stats_t;

typedef struct rpdry rpdry_t;

/* Creates an empty dry run over the alerter configuration cfg (borrowed: it must outlive the
 * dry run). Returns NULL if out of memory. */
rpdry_t *rpdry_new(const alert_cfg_t *cfg);
void rpdry_free(rpdry_t *d); /* accepts NULL */

/* Takes one mention at event time event_ms; mentions whose alert is not true are ignored
 * (returns 0). The mention is copied. Returns 0 or -1 (no memory). */
int rpdry_add(rpdry_t *d, const json_t *mention, int64_t event_ms);

/* Runs the alerter's logic over everything added, in event-time order (ties by post id), and
 * returns a new array of events in the order they would have happened:
 *   {"type":"alert","at","channel","alert_id","post_id","brand","priority"}
 *   {"type":"incident","state":"open|update|resolved","at","channel","alert_id","brand",
 *    "reason","count"}
 *   {"type":"fold_summary","at","channel","alert_id","count"}   near-duplicates folded
 *   {"type":"digest","at","channel","alert_id","count","low","limited"}
 *   {"type":"unrouted","at","alert_id","post_id","brand"}
 * Stats in *st (may be NULL). Returns NULL if out of memory. Call once. */
json_t *rpdry_run(rpdry_t *d, rpdry_stats_t *st);

/* The alerter's alert id for a post id: "al_" + 16 hex digits of SHA-256(post id) (the formula
 * of alerter_alert_id, kept here so the replay need not link the alerter's Kafka side).
 * out must hold 24 bytes. Returns out. */
char *rpdry_alert_id(const char *post_id, char *out);

#endif
