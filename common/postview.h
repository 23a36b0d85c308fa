/* postview.h — a one-pass, allocation-free post scanner for the filter's hot path: a fast "yes"
 * that agrees with bp_post_parse, or "cannot tell" (the caller then runs bp_post_parse). */
#ifndef BP_POSTVIEW_H
#define BP_POSTVIEW_H

#include <stddef.h>

/* A byte string that is NOT NUL-terminated. */
typedef struct bp_strv {
    const char *s;
    size_t n;
} bp_strv_t;

#define BP_POST_VIEW_MAX_KEYS 64   /* most keys one object may have on the fast path */
#define BP_POST_VIEW_KEY_STACK 256 /* most keys of all open objects together */
#define BP_POST_VIEW_MAX_DEPTH 32  /* deepest nesting of objects/arrays on the fast path */

/* What bp_post_view_scan found. Strings point into the scanned record when they hold no
 * escapes, or into the view's scratch buffer (unescaped) when they do: they stay valid until
 * the next scan of this view or bp_post_view_free, and as long as the record's bytes do.
 * Decoded strings never contain a NUL byte (a record with "\u0000" is not a post). */
typedef struct bp_post_view {
    bp_strv_t id, source, text;     /* required: id and source non-empty */
    bp_strv_t lang;                 /* {"",0} if missing or not a string */
    bp_strv_t published_at;         /* {NULL,0} if missing or null; else valid RFC 3339 */
    bp_strv_t collected_at;         /* {NULL,0} if missing or null; else valid RFC 3339 */
    bp_strv_t author_id;            /* author.id, {NULL,0} if missing or not a string */
    bp_strv_t author_handle;        /* author.handle, likewise */
    bp_strv_t author_username;      /* author.username, likewise */
    long long followers;            /* author.followers, 0 if missing or null */
    size_t obj_open, obj_close;     /* byte offsets of the record's outer '{' and '}' */
    size_t nkeys;                   /* number of top-level keys */
    bp_strv_t keys[BP_POST_VIEW_KEY_STACK]; /* keys[0..nkeys): top-level keys, in order
                                             * (the rest is the scanner's working stack) */
    unsigned long long key_bits;    /* internal: one bit per top-level key's hash, so that
                                     * bp_post_view_has answers most "no"s without a search */
    char *scratch;                  /* internal: unescaped strings */
    size_t scratch_cap;
} bp_post_view_t;

/* Makes an empty view (no memory held yet). */
void bp_post_view_init(bp_post_view_t *v);

/* Frees the scratch buffer; the view may be reused after bp_post_view_init. NULL is fine. */
void bp_post_view_free(bp_post_view_t *v);

/* Scans data[0..len) (not NUL-terminated; never read past len) in one pass.
 * Returns 1 and fills v if the record is a post that bp_post_parse accepts, with every field
 * equal to what the jansson path gives. Returns 0 when it is not a valid post OR when the
 * scanner cannot tell (rare valid shapes: numbers with an exponent or of more than 40
 * characters, keys with escapes, objects with more than BP_POST_VIEW_MAX_KEYS keys, nesting
 * deeper than BP_POST_VIEW_MAX_DEPTH, no memory for the scratch buffer): the caller then runs
 * bp_post_parse, which gives the verdict and the error message. On 0 the view's fields are
 * unspecified. Allocates only when the scratch buffer must grow (amortized: never per record). */
int bp_post_view_scan(bp_post_view_t *v, const char *data, size_t len);

/* Returns 1 if the last successfully scanned record has the top-level key k, else 0. */
int bp_post_view_has(const bp_post_view_t *v, const char *k);

/* Returns 1 if sv equals the NUL-terminated string s (byte for byte), else 0. */
int bp_strv_eq(bp_strv_t sv, const char *s);

/* Copies sv into buf (cap bytes) as a NUL-terminated string, for APIs that want one (the
 * engine's lang and author fields, bp_time_parse_rfc3339). Returns buf, or NULL (buf set to
 * "" when cap > 0) if sv is {NULL,0} or does not fit. */
char *bp_strv_cstr(bp_strv_t sv, char *buf, size_t cap);

#endif
