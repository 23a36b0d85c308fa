/* dispatch.h — one worker thread per channel, so that a channel that is down or slow holds up
 * only its own queue. The main thread submits jobs (each due at job->next_ms) and collects
 * them back with their outcome (job->res); everything else (files, Kafka) stays in the main
 * thread. */
#ifndef BP_DISPATCH_H
#define BP_DISPATCH_H

#include <stddef.h>

#include "channel.h"
#include "retryq.h"

typedef struct dispatch dispatch_t;

/* Starts a worker for each of chans[0..n) (borrowed: they must outlive the dispatcher).
 * Returns NULL with the reason in err. */
dispatch_t *dispatch_new(channel_t **chans, size_t n, char *err, size_t errlen);
/* Hands job to the worker of channel job->chan; it is attempted at job->next_ms or later. */
void dispatch_submit(dispatch_t *d, aq_job_t *job);
/* Takes back one attempted job (its res filled), or NULL if none is ready. */
aq_job_t *dispatch_done(dispatch_t *d);
/* Waits up to timeout_ms for an attempted job to be ready. Returns 1 if one is. */
int dispatch_wait(dispatch_t *d, int timeout_ms);
/* Jobs waiting (not yet attempted) for channel chan. */
size_t dispatch_queued(dispatch_t *d, int chan);
/* Stops the workers (an attempt under way finishes first) and returns every job still held,
 * attempted or not, as a list linked by next (the caller frees them). Frees d. */
aq_job_t *dispatch_stop(dispatch_t *d);

#endif
