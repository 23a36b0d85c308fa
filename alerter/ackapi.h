/* ackapi.h — the acknowledgement HTTP endpoint (common/httpd.h):
 *   GET  /ack?id=ID&sig=SIG[&by=NAME]  a signed link from an alert: acknowledges ID
 *   POST /v1/ack {"id", "by", "action"} the same for tools (Authorization: Bearer <ack.secret>);
 *                                       action "ack" (default), "resolve" or "snooze"
 *   GET  /v1/open                       {"alerts":[...], "incidents":[...]} open items (Bearer)
 *   GET  /healthz                       {"ok":true}
 * Requests are answered from the server thread; actions are queued in an inbox (inbox.h) for
 * the main thread, which owns the alert state and publishes the open list back. */
#ifndef BP_ACKAPI_H
#define BP_ACKAPI_H

#include <jansson.h>
#include <stddef.h>

#include "alertcfg.h"
#include "inbox.h"

typedef struct ackapi ackapi_t;

/* Starts the server on cfg->ack_listen (writes the bound port to cfg->ack_port_file if set);
 * actions go to inbox (borrowed). Returns NULL with the reason in err. */
ackapi_t *ackapi_start(const alert_cfg_t *cfg, inbox_t *inbox, char *err, size_t errlen);
void ackapi_stop(ackapi_t *a); /* accepts NULL */

/* The signed acknowledge link for id: "<base>/ack?id=<id>&sig=<sig>". Returns 0 or -1. */
int ackapi_link(const ackapi_t *a, const char *id, char *out, size_t outlen);
/* sig = first 32 hex digits of HMAC-SHA256(secret, id). out must hold 33 bytes. */
void ackapi_sign(const char *secret, const char *id, char *out);

/* Replaces the document served at /v1/open (reference stolen). */
void ackapi_publish(ackapi_t *a, json_t *doc);

#endif
