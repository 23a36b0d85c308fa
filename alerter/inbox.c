/* inbox.c — a bounded, mutex-protected queue of alert actions (see inbox.h). */
#include "inbox.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INBOX_CAP 1024

struct inbox {
    pthread_mutex_t lock;
    inbox_ev_t q[INBOX_CAP];
    size_t head, len;
};

inbox_t *inbox_new(void)
{
    inbox_t *q = calloc(1, sizeof *q);
    if (q)
        pthread_mutex_init(&q->lock, NULL);
    return q;
}

void inbox_free(inbox_t *q)
{
    if (!q)
        return;
    pthread_mutex_destroy(&q->lock);
    free(q);
}

int inbox_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n < 4 || n >= 40)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '_'))
            return 0;
    return 1;
}

int inbox_push(inbox_t *q, inbox_action_t action, const char *id, const char *by,
               const char *via)
{
    pthread_mutex_lock(&q->lock);
    int ok = q->len < INBOX_CAP;
    if (ok) {
        inbox_ev_t *ev = &q->q[(q->head + q->len++) % INBOX_CAP];
        ev->action = action;
        snprintf(ev->id, sizeof ev->id, "%s", id);
        snprintf(ev->by, sizeof ev->by, "%s", by && *by ? by : "unknown");
        snprintf(ev->via, sizeof ev->via, "%s", via);
        for (char *p = ev->by; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == '"' || *p == '\\')
                *p = '_';
    }
    pthread_mutex_unlock(&q->lock);
    return ok ? 0 : -1;
}

int inbox_pop(inbox_t *q, inbox_ev_t *ev)
{
    pthread_mutex_lock(&q->lock);
    int got = q->len > 0;
    if (got) {
        *ev = q->q[q->head];
        q->head = (q->head + 1) % INBOX_CAP;
        q->len--;
    }
    pthread_mutex_unlock(&q->lock);
    return got;
}

int inbox_parse_action(const char *s, inbox_action_t *out)
{
    if (strcmp(s, "ack") == 0)
        *out = INBOX_ACK;
    else if (strcmp(s, "resolve") == 0 || strcmp(s, "res") == 0)
        *out = INBOX_RESOLVE;
    else if (strcmp(s, "snooze") == 0 || strcmp(s, "snz") == 0)
        *out = INBOX_SNOOZE;
    else
        return -1;
    return 0;
}

const char *inbox_action_name(inbox_action_t a)
{
    return a == INBOX_ACK ? "ack" : a == INBOX_RESOLVE ? "resolve" : "snooze";
}
