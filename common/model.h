/* model.h — the post and mention messages (DESIGN "Messages") on jansson: parsing, validation
 * of required fields, stamping. Unknown fields are always kept and passed on. */
#ifndef BP_MODEL_H
#define BP_MODEL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define BP_POST_MAX_BYTES ((size_t)1 << 20) /* a larger record is dead-lettered */
#define BP_MODEL_VERSION 1

/* Parses one record as a post: size cap, valid UTF-8, a JSON object, required fields valid.
 * Returns a new reference (caller json_decref), or NULL with the reason in err, e.g.
 * "not JSON: '[' or '{' expected near 'x' (line 1, column 1)", "missing field 'id'",
 * "field 'published_at' is not RFC 3339: 'yesterday'", "invalid UTF-8 at byte 17". */
json_t *bp_post_parse(const char *data, size_t len, char *err, size_t errlen);

/* Checks a post: `id`, `source`, `text` non-empty strings (text may be empty string but must be
 * a string); `published_at` and `collected_at`, when present, RFC 3339 strings; `author`, when
 * present, an object; `author.followers`, when present, a non-negative integer.
 * Returns 0, or -1 with the reason in err. */
int bp_post_validate(const json_t *post, char *err, size_t errlen);

/* Sets "v" if missing and "collected_at" to now_ms if missing. Returns 0 or -1 (no memory). */
int bp_post_stamp(json_t *post, int64_t now_ms);

/* Field access that never fails: "" (or 0) when missing or of the wrong type. */
const char *bp_json_str(const json_t *obj, const char *key);
long long bp_json_int(const json_t *obj, const char *key);
/* author.followers, 0 when missing. */
long long bp_post_followers(const json_t *post);

/* Serializes compactly (UTF-8, keys in insertion order). Caller frees. NULL if out of memory. */
char *bp_json_dump(const json_t *obj);

/* Sets obj[key] to an RFC 3339 string for ms. Returns 0 or -1. */
int bp_json_set_time(json_t *obj, const char *key, int64_t ms);

#endif
