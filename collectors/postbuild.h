/* postbuild.h — helpers the source parsers share to build posts in DESIGN's format. */
#ifndef BP_POSTBUILD_H
#define BP_POSTBUILD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "collector.h"

/* A new post {"v":1,"id":id,"source":source,"feed":f->name}. Returns a new reference, or NULL
 * if out of memory or id is empty. */
json_t *postbuild_new(const collector_feed_t *f, const char *source, const char *id);

/* Parses a response body as JSON (invalid UTF-8 repaired). Returns a new reference, or NULL
 * with e->cls = BP_FETCH_BAD_BODY and e->msg = "WHAT: reason" ("reason" alone if what is ""). */
json_t *postbuild_body_json(const collector_body_t *b, const char *what, collector_error_t *e);

/* Appends ": <body's top-level string field key>" to e->msg when the body is a JSON object
 * that has it (the API's own words for an error response). */
void postbuild_error_field(const collector_body_t *b, const char *key, collector_error_t *e);

/* Appends "Authorization: Bearer TOKEN" to hdr[*nhdr] (malloc'd; the runner frees it) when token
 * is set. Returns 0, or -1 with err if out of memory. The token is never logged. */
int postbuild_bearer(const char *token, char **hdr, size_t *nhdr, char *err, size_t errlen);

/* Sets "text" to s[0..n) (invalid UTF-8 repaired, ends trimmed) and "lang" to f->lang or the
 * guess from the text (left out when there is no guess). Returns 0 or -1 (out of memory). */
int postbuild_set_text(const collector_feed_t *f, json_t *post, const char *s, size_t n);

/* Sets obj[key] to a copy of s with invalid UTF-8 repaired; does nothing when s is NULL or
 * empty. Returns 0 or -1. */
int postbuild_set_str(json_t *obj, const char *key, const char *s);

/* Sets obj[key] to the RFC 3339 form of a Unix time in seconds. Returns 0 or -1. */
int postbuild_set_unix(json_t *obj, const char *key, double secs);

/* Builds {"id":id,"name":name,"followers":followers,"url":url}, leaving out NULL/empty strings
 * and followers < 0. Returns a new reference or NULL. */
json_t *postbuild_author(const char *id, const char *name, long long followers, const char *url);

/* Adds {"reason": reason, "item": item} to page->bad (item is not stolen). Returns 0 or -1. */
int postbuild_bad(collector_page_t *page, const char *reason, const json_t *item);

/* Parses a JSON document of at most len bytes; invalid UTF-8 is repaired first (*nrepl, if not
 * NULL, gets the number of replaced sequences). Returns a new reference, or NULL with
 * "not JSON: <reason> (line L, column C)" in err. */
json_t *postbuild_json_load(const char *data, size_t len, size_t *nrepl, char *err,
                            size_t errlen);

/* Resolves a JSON pointer (RFC 6901: "" is the root, "/a/0/b", ~0 and ~1 escapes).
 * Returns a borrowed reference or NULL. */
json_t *postbuild_pointer(json_t *root, const char *ptr);

/* Appends s percent-encoded for a query string or path segment (RFC 3986 unreserved kept).
 * Returns 0 or -1. */
int postbuild_urlencode(bp_buf_t *b, const char *s);

/* Compares two decimal id strings numerically (ids too large for 64 bits, like X's, compare
 * correctly). Returns <0, 0, >0. Non-numeric strings compare by strcmp. */
int postbuild_id_cmp(const char *a, const char *b);

/* A stable short hex digest (sha256, first 32 hex chars) of the parts joined with '\n',
 * for ids of items that have none. out must hold 33 bytes. Returns out. */
char *postbuild_digest(char out[33], const char *a, const char *b);

/* Copies a value to a string: strings as they are, integers and reals in decimal.
 * Returns a malloc'd string, or NULL when v is NULL or of another type. */
char *postbuild_scalar_str(const json_t *v);

#endif
