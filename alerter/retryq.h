/* retryq.h — the durable on-disk queue of deliveries: one small JSON file per (message,
 * channel) job in state_dir/queue, written atomically before the first attempt and updated
 * after each one, so an alerter killed at any moment resends what was pending after a restart
 * and nothing that was already delivered. */
#ifndef BP_RETRYQ_H
#define BP_RETRYQ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"

typedef struct aq_job {
    char id[40];         /* hex: derived from alert_id, channel and tag; also the file name */
    char *channel;       /* channel name */
    int chan;            /* channel index in the running configuration (-1: gone) */
    char *alert_id;
    int attempt;         /* attempts made so far */
    int64_t next_ms;     /* wall-clock time of the next attempt */
    int64_t created_ms;
    int sent;            /* 1: delivered; only the bp.deliveries record is still pending */
    json_t *msg;         /* the message (render.h), owned */
    ch_result_t res;     /* outcome of the last attempt (set by the worker) */
    int tried;           /* 1 once the worker attempted it since it was last submitted */
    struct aq_job *next; /* list link, used by whoever holds the job */
} aq_job_t;

typedef struct retryq retryq_t;

/* Opens dir (created if missing). Returns NULL with the reason in err. */
retryq_t *retryq_open(const char *dir, char *err, size_t errlen);
void retryq_close(retryq_t *q); /* accepts NULL */

/* A new job for msg (a shallow copy is kept; msg is not changed) to channel; tag ("" for the alert itself, e.g. "esc1"
 * for an escalation) makes the id differ for later messages about the same alert. The id is
 * deterministic, so the same alert routed twice maps onto the same file.
 * The copy gets "delivery_id" = the job id. Returns NULL if out of memory. */
aq_job_t *retryq_job_new(const char *alert_id, const char *channel, int chan, const char *tag,
                         json_t *msg, int64_t now_ms);
void retryq_job_free(aq_job_t *j); /* accepts NULL */

/* 1 if a job with this id is stored (pending or awaiting its record). */
int retryq_exists(retryq_t *q, const char *id);
/* Writes the job's file atomically (temp, fsync, rename). Returns 0 or -1 (errno). */
int retryq_save(retryq_t *q, const aq_job_t *j);
/* Deletes the job's file. Returns 0 or -1 (a missing file is not an error). */
int retryq_remove(retryq_t *q, const aq_job_t *j);
/* Loads every stored job, oldest first, into a list (*out, linked by next). A file that cannot
 * be read is renamed to *.bad and reported with a warning. Returns the number loaded or -1. */
int retryq_load(retryq_t *q, aq_job_t **out);
/* Number of job files stored. */
size_t retryq_count(retryq_t *q);

#endif
