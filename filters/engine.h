/* engine.h — the filter's rule engine as the filter process sees it: load a rules directory,
 * judge a post into a mention. (The rule engine's modules implement this; bp-filter, bp-rules
 * and bp-replay use only this interface.) */
#ifndef BP_ENGINE_H
#define BP_ENGINE_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "postview.h"

typedef struct bp_rules bp_rules_t;   /* a compiled, immutable rule set (shareable) */
typedef struct bp_engine bp_engine_t; /* per-thread scratch for judging posts */

/* Loads and compiles every .yaml and .yml file under dir (brands/, lexicon/, policy.yaml...).
 * Returns NULL if any file is broken; every error is appended to errors (may be NULL) as one
 * line "file:line:col: message". */
bp_rules_t *bp_rules_load(const char *dir, bp_buf_t *errors);
void bp_rules_free(bp_rules_t *r); /* accepts NULL */
/* A short stable hash of the rule files' contents, e.g. "3f2a9c01b7e4". */
const char *bp_rules_version(const bp_rules_t *r);

bp_engine_t *bp_engine_new(const bp_rules_t *r);
void bp_engine_free(bp_engine_t *e); /* accepts NULL */

/* Judges one valid post (see model.h). Returns
 *   1: a brand matched; *mention is a new object: the post's fields plus brands, matches,
 *      sentiment, brand_sentiment, alert, priority, reasons, rules_version, filtered_at;
 *   0: no brand matched; *mention is NULL;
 *  -1: the post cannot be judged (e.g. a regex hit its match limit); reason in err: the
 *      caller dead-letters it. */
int bp_engine_judge(bp_engine_t *e, const json_t *post, json_t **mention, char *err,
                    size_t errlen);

/* bp_engine_judge for a post parsed from raw (rawlen bytes, the JSON object it was parsed from):
 * the mention is written to out (reset first) as one line of compact JSON (no newline): the
 * post's own bytes with the mention's fields spliced in before its closing brace (no json_t
 * built, copied or dumped). Same fields, values and order as bp_json_dump of
 * bp_engine_judge's mention; only the post's own part keeps the record's spelling (its
 * escapes, numbers and spaces). A post that already has a field the mention adds (a mention
 * judged again), or a record spread over several lines, goes through the json_t path instead.
 * *alert (may be NULL) gets the mention's alert. Returns 1 (a brand matched, out holds the
 * mention), 0 (no brand, out empty) or -1 (reason in err; out empty). */
int bp_engine_judge_raw(bp_engine_t *e, const json_t *post, const char *raw, size_t rawlen,
                        bp_buf_t *out, int *alert, char *err, size_t errlen);

/* bp_engine_judge_raw for a record scanned by bp_post_view_scan (postview.h): no json_t at
 * all on the way (only a mention that cannot be spliced, see above, is built as one). v must
 * be the view of raw (rawlen bytes). Same output and return values. */
int bp_engine_judge_view(bp_engine_t *e, const bp_post_view_t *v, const char *raw,
                         size_t rawlen, bp_buf_t *out, int *alert, char *err, size_t errlen);

/* After a judge call that returned 1 (until the next call on e): the id of the mention's i-th
 * brand (NULL past the last), *alerted (may be NULL) set to whether the alert is for it (its
 * alert_brands); and the mention's priority. */
const char *bp_engine_mention_brand(const bp_engine_t *e, size_t i, int *alerted);
const char *bp_engine_mention_priority(const bp_engine_t *e);

/* Writes to out, for people: the normalized text, every brand and lexicon hit with its span
 * (including those excluded, overlapped or without their NEAR term, and why), the score
 * arithmetic, each brand's sentiment and the policy decision. lang, author may be NULL.
 * Returns 0, or -1 with the reason appended to out (e.g. a regex hit its match limit). */
int bp_engine_explain(bp_engine_t *e, const char *text, size_t len, const char *lang,
                      long long followers, const char *author, bp_buf_t *out);

/* Off: every rule runs over the whole text, the prefilter unused (same results, slower; for
 * tests and benchmarks). On by default. */
void bp_engine_set_prefilter(bp_engine_t *e, int on);

#endif
