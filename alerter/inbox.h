/* inbox.h — actions on alerts coming from other threads (the acknowledgement API, Telegram
 * button presses) queued for the main thread, which owns the alert state. Thread-safe. */
#ifndef BP_INBOX_H
#define BP_INBOX_H

#include <stddef.h>

typedef enum { INBOX_ACK, INBOX_RESOLVE, INBOX_SNOOZE } inbox_action_t;

typedef struct inbox_ev {
    inbox_action_t action;
    char id[40];  /* alert or incident id */
    char by[64];  /* who (sanitised: no quotes, backslashes or control characters) */
    char via[16]; /* "link", "api", "telegram" */
} inbox_ev_t;

typedef struct inbox inbox_t;

inbox_t *inbox_new(void);      /* NULL if out of memory */
void inbox_free(inbox_t *q);   /* accepts NULL */
/* Queues an action. Returns 0, or -1 when the queue is full (1024 waiting). */
int inbox_push(inbox_t *q, inbox_action_t action, const char *id, const char *by,
               const char *via);
/* Pops the oldest action into ev. Returns 1, or 0 if there is none. */
int inbox_pop(inbox_t *q, inbox_ev_t *ev);
/* "ack" / "resolve" / "snooze" to an action; returns 0 or -1. */
int inbox_parse_action(const char *s, inbox_action_t *out);
const char *inbox_action_name(inbox_action_t a);
/* 1 if id looks like an alerter id (lowercase letters, digits, '_', 4..39 characters). */
int inbox_id_ok(const char *id);

#endif
