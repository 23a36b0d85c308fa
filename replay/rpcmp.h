/* rpcmp.h — how two rule sets judged the same post: which aspects differ (matched at all,
 * brands, alert, priority, sentiment label), per-set totals and a JSON record per disagreement. */
#ifndef BP_RPCMP_H
#define BP_RPCMP_H

#include <jansson.h>

enum {
    RPCMP_MATCH = 1,     /* one set found a brand, the other none */
    RPCMP_BRANDS = 2,    /* both matched, with different brand sets */
    RPCMP_ALERT = 4,     /* the alert decision differs */
    RPCMP_PRIORITY = 8,  /* both alert, with different priorities */
    RPCMP_LABEL = 16,    /* the overall sentiment label differs */
};

typedef struct rpcmp_totals {
    long long posts;              /* posts judged by both sets */
    long long mentions[2];        /* posts each set found a brand in */
    long long alerts[2];          /* of which alert:true */
    long long differ;             /* posts on which the sets disagree */
    long long by_kind[5];         /* disagreements per aspect (bit order above) */
} rpcmp_totals_t;

/* Compares two judgements of one post; a or b is NULL when that set found no brand.
 * Returns the RPCMP_* bits that differ (0: the sets agree). */
unsigned rpcmp_diff(const json_t *a, const json_t *b);

/* Counts one judged pair into t and returns rpcmp_diff(a, b). */
unsigned rpcmp_count(rpcmp_totals_t *t, const json_t *a, const json_t *b);

/* "match,alert": the names of the bits in mask, comma-separated, into buf (size n). */
const char *rpcmp_kinds(unsigned mask, char *buf, size_t n);

/* A disagreement as a new JSON object: {"id","published_at","text","diff":[names],
 * "a":{"matched","brands","alert","priority","label","score","reasons"},"b":{...}}.
 * post gives id/time/text. Returns NULL if out of memory. */
json_t *rpcmp_record(const json_t *post, const json_t *a, const json_t *b, unsigned mask);

#endif
