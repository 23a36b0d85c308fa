/* rphtml.h — the replay's self-contained HTML report: inline CSS and SVG only (no scripts, no
 * external assets, no fonts or images fetched), so it opens offline and makes no request:
 * per-brand charts of mention volume (bars) and negative share (line) over time, top negative
 * terms, the most urgent posts, the most-followed authors, and the rule comparison if any. */
#ifndef BP_RPHTML_H
#define BP_RPHTML_H

#include <jansson.h>
#include <stdint.h>

#include "buf.h"
#include "rpagg.h"
#include "rpcmp.h"

#define RPHTML_MAX_COLUMNS 720 /* bars per chart; more buckets are merged */
#define RPHTML_MAX_BRANDS 24   /* brands charted (most mentioned first) */

typedef struct rphtml_info {
    const char *topic;
    int64_t from_ms, to_ms;      /* the range asked for (RPREAD_NO_FROM / RPREAD_NO_TO: open) */
    const char *rules;           /* rules directory and version, or NULL (as recorded) */
    const char *rules_version;
    long long read, in_range, malformed, duplicates, filtered_out;
    const rpcmp_totals_t *cmp;   /* NULL without --compare */
    const char *cmp_rules, *cmp_version;
    const json_t *cmp_records;   /* array of rpcmp_record objects (first ones), or NULL */
} rphtml_info_t;

/* Appends the whole report for the aggregate a to out. a is not const because the top lists
 * are sorted in place. Returns 0, or -1 if out's cap was reached. */
int rphtml_render(bp_buf_t *out, rpagg_t *a, const rphtml_info_t *info);

/* Appends s with & < > " ' escaped. Returns 0 or -1. */
int rphtml_escape(bp_buf_t *out, const char *s);

#endif
