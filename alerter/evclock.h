/* evclock.h — event time for the alerter's windowed decisions. The time of an alert is its
 * post's published_at (else collected_at, else the wall clock), never later than the wall
 * clock; and the periodic work that depends on it (incident updates and resolutions, fold
 * summaries, low-priority digests) runs at candidate event times kept in a min-heap, so the
 * live alerter and `bp-replay --alerts` (replay/rpdry.c) tick at the same instants and make the
 * same decisions even when the alerter lags hours behind. Main thread only. */
#ifndef BP_EVCLOCK_H
#define BP_EVCLOCK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "alertcfg.h"

#define EVCLOCK_TICK_MS 200 /* the alerter's periodic work runs this often (wall clock) */

/* The event time of an alert (a mention): published_at, else collected_at (RFC 3339), else
 * fallback_ms; capped at cap_ms (a post is never later than the moment it is handled).
 * Returns milliseconds since the epoch. */
int64_t evclock_event_ms(const json_t *alert, int64_t fallback_ms, int64_t cap_ms);

typedef struct evclock evclock_t;

evclock_t *evclock_new(void);      /* NULL if out of memory */
void evclock_free(evclock_t *c);   /* accepts NULL */

/* Adds a candidate time for periodic work. Returns 0, or -1 when out of memory or full (the
 * candidate is then dropped: the regular wall-clock tick still does the work, later). */
int evclock_push(evclock_t *c, int64_t t);
/* The candidates an alert handled at t leaves behind (what incidents_add remembered may fall
 * due: the next tick, an update, the quiet resolution, the end of the fold window). Returns 0
 * or -1. */
int evclock_push_after_alert(evclock_t *c, const alert_cfg_t *cfg, int64_t t);
/* Removes and returns in *t the earliest candidate if it is before `before` (inclusive: at or
 * before). Returns 1 if one was taken, else 0. */
int evclock_next(evclock_t *c, int64_t before, int inclusive, int64_t *t);
size_t evclock_size(const evclock_t *c);

#endif
