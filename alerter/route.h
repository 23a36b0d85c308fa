/* route.h — which channels an alert goes to: routes matched by brand, priority, reason,
 * language, source and schedule (business hours in a time zone); on-call rotations resolved to
 * the channel whose turn it is. */
#ifndef BP_ROUTE_H
#define BP_ROUTE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "alertcfg.h"

#define ROUTE_MAX_TARGETS 64

typedef struct route_result {
    int chans[ROUTE_MAX_TARGETS]; /* channel indices, each once, in route order */
    size_t nchans;
    int route;                    /* index of the first route that matched, -1 if none */
    int esc_route;                /* first matched route with escalation levels, -1 if none */
    int64_t sla_ms;               /* the shortest SLA of the matched routes (global default) */
} route_result_t;

/* Matches the alert (a mention) against every route at wall time now_ms. Returns the number
 * of channels in out->nchans (0: no route matched). */
size_t route_match(const alert_cfg_t *cfg, const json_t *alert, int64_t now_ms,
                   route_result_t *out);

/* 1 if the route's `when` holds for the alert at now_ms. */
int route_when_matches(const alert_cfg_t *cfg, const aroute_when_t *w, const json_t *alert,
                       int64_t now_ms);

/* 1 if now_ms falls inside the schedule's days and hours in its time zone. Main thread only
 * (switches TZ while it computes). */
int route_in_schedule(const asched_cfg_t *s, int64_t now_ms);

/* A channel or rotation name to a channel index at now_ms (a rotation gives the channel whose
 * turn it is). Returns -1 for an unknown name. */
int route_resolve(const alert_cfg_t *cfg, const char *name, int64_t now_ms);

/* The silence in force at now_ms that matches the alert, or NULL. */
const asilence_cfg_t *route_silenced(const alert_cfg_t *cfg, const json_t *alert, int64_t now_ms);

/* 1 if reason r matches the route's v: equal, or r begins with v followed by ':'. */
int route_reason_matches(const char *v, const char *r);

#endif
