/* rpagg.h — the analyst's aggregates over replayed mentions: per brand and per time bucket
 * (hour or day, on event time) mentions, negative ones and alerts; top negative terms; the
 * most-followed authors; the most urgent posts. Feeds the summary and the HTML report. */
#ifndef BP_RPAGG_H
#define BP_RPAGG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define RPAGG_HOUR_MS 3600000LL
#define RPAGG_DAY_MS 86400000LL

typedef struct rpagg rpagg_t;

typedef struct rpagg_cell { /* one brand in one bucket */
    int64_t start_ms;       /* bucket start (UTC, aligned to the bucket size) */
    long long mentions, negative, alerts;
} rpagg_cell_t;

typedef struct rpagg_brand {
    char *name;
    rpagg_cell_t *cells;    /* sorted by start_ms */
    size_t ncells, cap;
    long long mentions, negative, alerts;
} rpagg_brand_t;

typedef struct rpagg_count { /* a term or an author, with its count */
    char *key;               /* term, or author id */
    char *label;             /* author name (NULL for terms) */
    long long count;         /* mentions (authors) or occurrences (terms) */
    long long followers;     /* authors only: the most seen */
    long long negative;      /* authors only: negative mentions */
} rpagg_count_t;

/* Creates an empty aggregate with buckets of bucket_ms (RPAGG_HOUR_MS or RPAGG_DAY_MS);
 * urgent_max is how many most urgent posts are kept. Returns NULL if out of memory. */
rpagg_t *rpagg_new(int64_t bucket_ms, size_t urgent_max);
void rpagg_free(rpagg_t *a); /* accepts NULL */

/* Counts one mention at event time event_ms, once for each of its brands (a mention without
 * brands counts in the totals only). The mention is borrowed. Returns 0 or -1 (no memory). */
int rpagg_add(rpagg_t *a, const json_t *mention, int64_t event_ms);

/* The mention's label for brand (brand_sentiment[brand].label, else sentiment.label). 1 when it
 * is "negative". brand may be NULL (overall sentiment). */
int rpagg_is_negative(const json_t *mention, const char *brand);
/* Rank of the mention's priority: urgent 4, high 3, normal 2, low 1, anything else 0. */
int rpagg_priority_rank(const char *priority);
/* Orders two mentions most urgent first (alert, priority, lower score, more followers);
 * returns <0 when a is more urgent than b. */
int rpagg_urgency_cmp(const json_t *a, const json_t *b);

/* Results (borrowed from a, valid until the next rpagg_add or rpagg_free). */
int64_t rpagg_bucket_ms(const rpagg_t *a);
long long rpagg_total(const rpagg_t *a, long long *negative, long long *alerts);
/* Brands sorted by mentions, most first. */
const rpagg_brand_t *rpagg_brands(const rpagg_t *a, size_t *n);
/* The first and last bucket start over all brands; returns 0, or -1 when nothing was added. */
int rpagg_span(const rpagg_t *a, int64_t *first_ms, int64_t *last_ms);
/* Up to max negative terms (weight < 0 in sentiment.terms), most frequent first. */
size_t rpagg_top_terms(rpagg_t *a, const rpagg_count_t **out, size_t max);
/* Up to max authors, most followers first. */
size_t rpagg_top_authors(rpagg_t *a, const rpagg_count_t **out, size_t max);
/* The most urgent mentions kept, most urgent first (borrowed references). */
size_t rpagg_urgent(rpagg_t *a, json_t *const **out);

/* ---- freshness: how long after publication a record was collected and filtered ---- */

enum { RPAGG_COLLECTED = 0, RPAGG_FILTERED = 1, RPAGG_STAGES = 2 };
#define RPAGG_FRESH_MAX_SAMPLES 1000000 /* per source and stage; past it a uniform sample */

typedef struct rpagg_fresh {
    char *source;
    long long n[RPAGG_STAGES];      /* records that had both times of the stage */
    double p50[RPAGG_STAGES];       /* seconds, nearest rank; 0 when n is 0 */
    double p95[RPAGG_STAGES];
    double max[RPAGG_STAGES];
    /* samples (seconds, a clock skew below 0 counts as 0) */
    double *v[RPAGG_STAGES];
    size_t nv[RPAGG_STAGES], cap[RPAGG_STAGES];
} rpagg_fresh_t;

/* Records one record's delays under its source: collected_at - published_at and, for a
 * mention, filtered_at - published_at. A missing or unreadable time skips that stage.
 * The record is borrowed. Returns 0 or -1 (no memory). */
int rpagg_add_fresh(rpagg_t *a, const json_t *rec);
/* Freshness per source, sorted by source name, with n/p50/p95/max computed (borrowed from a,
 * valid until the next rpagg_add_fresh or rpagg_free). */
size_t rpagg_freshness(rpagg_t *a, const rpagg_fresh_t **out);
/* The nearest-rank percentile q (0 < q <= 1) of n sorted values; 0 when n is 0. */
double rpagg_percentile(const double *sorted, size_t n, double q);

/* Floor of ms to a multiple of bucket_ms (also for times before 1970). */
int64_t rpagg_floor(int64_t ms, int64_t bucket_ms);

#endif
