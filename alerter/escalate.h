/* escalate.h — open alerts and incidents waiting for acknowledgement: when one is not
 * acknowledged by its deadline (the SLA, or a level's own `after`), the next escalation level of
 * its route is notified. The table is persisted in state_dir so a restart neither forgets nor
 * repeats an escalation. Main thread only. */
#ifndef BP_ESCALATE_H
#define BP_ESCALATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "alertcfg.h"
#include "incident.h"

typedef struct escalate escalate_t;

escalate_t *escalate_new(const alert_cfg_t *cfg); /* NULL if out of memory */
void escalate_free(escalate_t *e);                 /* accepts NULL */

/* Starts tracking a delivered alert or incident (msg: reference taken). esc_route is the route
 * whose levels apply (-1: none, only tracked for acknowledgement). Tracking the same id again
 * does nothing. Returns 0 or -1. */
int escalate_track(escalate_t *e, const char *id, json_t *msg, int esc_route,
                   int64_t deadline_ms, int64_t now_ms);
/* Hand-over on a rebalance: items carry the partition of bp.alerts they came from; an item
 * whose partition owned() says is not this instance's any more is not escalated (the new
 * owner, which rebuilt it from bp.deliveries, does). owned may be NULL (every item is ours). */
void escalate_set_owner(escalate_t *e, int (*owned)(void *opaque, int partition), void *opaque);
/* Records the partition id came from (-1 unknown: always escalated here). */
void escalate_set_partition(escalate_t *e, const char *id, int partition);
/* Takes over an item another instance tracked (msg: reference taken, as escalate_track);
 * an item already known only gets the partition. Returns 0 or -1. */
int escalate_restore(escalate_t *e, const char *id, json_t *msg, int esc_route,
                     int64_t deadline_ms, int64_t tracked_ms, int partition);
/* Raises id's notified levels to level (an escalation another instance already sent). */
void escalate_restore_level(escalate_t *e, const char *id, int level);
/* The message tracked under id (borrowed), or NULL. */
const json_t *escalate_msg(escalate_t *e, const char *id);
/* Marks id acknowledged by `by`. Returns 1 if it was open, 0 if unknown or already acked. */
int escalate_ack(escalate_t *e, const char *id, const char *by, int64_t now_ms);
/* Postpones id's next escalation until until_ms. Returns 1 if it was open, else 0. */
int escalate_snooze(escalate_t *e, const char *id, int64_t until_ms);
/* Escalation messages due at now_ms (copies of the message with "level" set), at most max;
 * forgets items older than a day. Returns the number written to out[]. */
size_t escalate_tick(escalate_t *e, int64_t now_ms, inc_out_t *out, size_t max);
/* Open (unacknowledged) items as a JSON array of {id, kind, brand, priority, deadline, level,
 * post_id, url}. New reference. */
json_t *escalate_list(escalate_t *e);
size_t escalate_open_count(const escalate_t *e);
/* 1 when the table changed since the last save. */
int escalate_dirty(const escalate_t *e);
/* Saves atomically / loads (a missing file is empty). Return 0 or -1 (load: message in err). */
int escalate_save(escalate_t *e, const char *path);
int escalate_load(escalate_t *e, const char *path, char *err, size_t errlen);

#endif
