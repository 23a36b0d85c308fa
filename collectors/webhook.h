/* webhook.h — the webhook intake (bin/bp-collect-webhook): posts POSTed one at a time, as a
 * JSON array or as JSON lines, signed with HMAC-SHA256 over "timestamp.body", answered 202 only
 * after the broker acknowledged every post of the request. */
#ifndef BP_WEBHOOK_H
#define BP_WEBHOOK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define WEBHOOK_TS_HEADER "X-BP-Timestamp"   /* Unix seconds */
#define WEBHOOK_SIG_HEADER "X-BP-Signature"  /* "sha256=" + hex HMAC-SHA256(secret, ts "." body) */

/* Checks a request's signature: ts_hdr must be Unix seconds within tolerance_ms of now_ms,
 * sig_hdr "sha256=<64 hex>" equal (in constant time) to HMAC-SHA256(secret, ts "." body).
 * Returns 0, or -1 with the reason in err (never the secret or the expected signature). */
int webhook_verify(const char *secret, const char *ts_hdr, const char *sig_hdr,
                   const char *body, size_t len, int64_t now_ms, int64_t tolerance_ms,
                   char *err, size_t errlen);

/* Computes the header value "sha256=<hex>" for body signed at ts (for clients and tests).
 * out must hold 72 bytes. Returns out. */
char *webhook_sign(const char *secret, const char *ts, const char *body, size_t len,
                   char out[72]);

/* Splits a request body into posts: one JSON object, a JSON array of objects, or JSON lines
 * (one object per non-empty line). At most max_items. Returns a new array reference, or NULL
 * with the reason in err ("line 3: not JSON: ...", "item 2: not an object", "empty body"). */
json_t *webhook_split(const char *body, size_t len, size_t max_items, char *err,
                      size_t errlen);

/* Completes one posted item into a post: "text" required; "id" made stable when missing
 * ("<source>:" + digest of the item, so a resent item keeps its id); "source" defaults to
 * source, "feed" to feed, "kind" to "post"; a bare id gets the "<source>:" prefix; "lang"
 * guessed; stamped and validated with bp_post_validate. Returns 0, or -1 with err. */
int webhook_prepare(json_t *post, const char *source, const char *feed, int64_t now_ms,
                    char *err, size_t errlen);

/* Runs the program; returns the exit status. */
int webhook_main(int argc, char **argv);

#endif
