/* dispatch.c — per-channel worker threads with due-time ordered queues (see dispatch.h). */
#include "dispatch.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "timeutil.h"

typedef struct dispatch_worker {
    struct dispatch *d;
    channel_t *ch;
    int idx;
    pthread_t thread;
    int started;
    aq_job_t *queue; /* sorted by next_ms */
    size_t nqueued;
    pthread_cond_t cond;
} dispatch_worker_t;

struct dispatch {
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    int stopping;
    dispatch_worker_t *w;
    size_t n;
    aq_job_t *done, **done_tail;
};

static void dispatch_abs_time(int64_t wall_ms, struct timespec *ts)
{
    ts->tv_sec = (time_t)(wall_ms / 1000);
    ts->tv_nsec = (long)(wall_ms % 1000) * 1000000L;
}

static void *dispatch_run(void *arg)
{
    dispatch_worker_t *w = arg;
    struct dispatch *d = w->d;
    pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        aq_job_t *j = w->queue;
        if (!j) {
            pthread_cond_wait(&w->cond, &d->lock);
            continue;
        }
        int64_t now = bp_now_ms();
        if (j->next_ms > now) {
            struct timespec ts;
            dispatch_abs_time(j->next_ms, &ts);
            pthread_cond_timedwait(&w->cond, &d->lock, &ts); /* CLOCK_REALTIME, like next_ms */
            continue;
        }
        w->queue = j->next;
        w->nqueued--;
        j->next = NULL;
        pthread_mutex_unlock(&d->lock);
        channel_send(w->ch, j->msg, &j->res);
        pthread_mutex_lock(&d->lock);
        j->tried = 1;
        *d->done_tail = j;
        d->done_tail = &j->next;
        pthread_cond_signal(&d->done_cond);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

dispatch_t *dispatch_new(channel_t **chans, size_t n, char *err, size_t errlen)
{
    dispatch_t *d = calloc(1, sizeof *d);
    if (!d || !(d->w = calloc(n ? n : 1, sizeof *d->w))) {
        free(d);
        bp_seterr(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->done_cond, NULL);
    d->done_tail = &d->done;
    d->n = n;
    for (size_t i = 0; i < n; i++) {
        d->w[i].d = d;
        d->w[i].ch = chans[i];
        d->w[i].idx = (int)i;
        pthread_cond_init(&d->w[i].cond, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        dispatch_worker_t *w = &d->w[i];
        int rc = pthread_create(&w->thread, NULL, dispatch_run, w);
        if (rc != 0) {
            bp_seterr(err, errlen, "cannot start a worker thread: %s", strerror(rc));
            aq_job_t *left = dispatch_stop(d);
            (void)left; /* nothing was submitted yet */
            return NULL;
        }
        w->started = 1;
    }
    return d;
}

void dispatch_submit(dispatch_t *d, aq_job_t *job)
{
    pthread_mutex_lock(&d->lock);
    job->tried = 0;
    if (job->chan < 0 || (size_t)job->chan >= d->n) {
        /* no such channel: hand it straight back as a permanent failure */
        memset(&job->res, 0, sizeof job->res);
        job->res.code = CH_FAIL;
        job->res.retry_after_ms = -1;
        strcpy(job->res.detail, "channel no longer configured");
        job->tried = 1;
        job->next = NULL;
        *d->done_tail = job;
        d->done_tail = &job->next;
        pthread_mutex_unlock(&d->lock);
        return;
    }
    dispatch_worker_t *w = &d->w[job->chan];
    aq_job_t **pp = &w->queue;
    while (*pp && (*pp)->next_ms <= job->next_ms)
        pp = &(*pp)->next;
    job->next = *pp;
    *pp = job;
    w->nqueued++;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&d->lock);
}

aq_job_t *dispatch_done(dispatch_t *d)
{
    pthread_mutex_lock(&d->lock);
    aq_job_t *j = d->done;
    if (j) {
        d->done = j->next;
        if (!d->done)
            d->done_tail = &d->done;
        j->next = NULL;
    }
    pthread_mutex_unlock(&d->lock);
    return j;
}

int dispatch_wait(dispatch_t *d, int timeout_ms)
{
    pthread_mutex_lock(&d->lock);
    if (!d->done && timeout_ms > 0) {
        struct timespec ts;
        dispatch_abs_time(bp_now_ms() + timeout_ms, &ts);
        pthread_cond_timedwait(&d->done_cond, &d->lock, &ts);
    }
    int ready = d->done != NULL;
    pthread_mutex_unlock(&d->lock);
    return ready;
}

size_t dispatch_queued(dispatch_t *d, int chan)
{
    pthread_mutex_lock(&d->lock);
    size_t n = chan >= 0 && (size_t)chan < d->n ? d->w[chan].nqueued : 0;
    pthread_mutex_unlock(&d->lock);
    return n;
}

aq_job_t *dispatch_stop(dispatch_t *d)
{
    if (!d)
        return NULL;
    pthread_mutex_lock(&d->lock);
    d->stopping = 1;
    for (size_t i = 0; i < d->n; i++)
        pthread_cond_signal(&d->w[i].cond);
    pthread_mutex_unlock(&d->lock);
    for (size_t i = 0; i < d->n; i++)
        if (d->w[i].started)
            pthread_join(d->w[i].thread, NULL);
    aq_job_t *left = d->done;
    for (size_t i = 0; i < d->n; i++) {
        aq_job_t *q = d->w[i].queue;
        while (q) {
            aq_job_t *nx = q->next;
            q->next = left;
            left = q;
            q = nx;
        }
        pthread_cond_destroy(&d->w[i].cond);
    }
    pthread_cond_destroy(&d->done_cond);
    pthread_mutex_destroy(&d->lock);
    free(d->w);
    free(d);
    return left;
}
