/* rpagg.c — per brand / per bucket counts, top terms, top authors, most urgent posts
 * (see rpagg.h). */
#include "rpagg.h"
#include "grow.h"

#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "timeutil.h"

#define RPAGG_MAX_BRANDS 100000
#define RPAGG_MAX_KEYS 2000000 /* distinct terms or authors kept; more are not counted */

typedef struct rpagg_counter { /* key -> rpagg_count_t, open addressing over indices */
    rpagg_count_t *v;
    size_t n, cap;
    size_t *slots; /* index+1, 0 = empty */
    size_t nslots;
    int sorted;    /* v is sorted: the slots are stale and rebuilt on the next insert */
} rpagg_counter_t;

struct rpagg {
    int64_t bucket_ms;
    rpagg_brand_t *brands;
    size_t nbrands, capbrands;
    long long mentions, negative, alerts;
    rpagg_counter_t terms, authors;
    json_t **urgent;
    size_t nurgent, maxurgent;
    rpagg_fresh_t *fresh;
    size_t nfresh, capfresh;
    uint64_t rng; /* for the uniform sample past RPAGG_FRESH_MAX_SAMPLES */
};

static uint64_t rpagg_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int rpagg_rehash(rpagg_counter_t *c, size_t nslots)
{
    size_t *s = calloc(nslots, sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < c->n; i++) {
        size_t j = rpagg_hash(c->v[i].key) & (nslots - 1);
        while (s[j])
            j = (j + 1) & (nslots - 1);
        s[j] = i + 1;
    }
    free(c->slots);
    c->slots = s;
    c->nslots = nslots;
    c->sorted = 0;
    return 0;
}

/* Finds or adds key; returns the entry or NULL (no memory, or the key cap reached). */
static rpagg_count_t *rpagg_counter_get(rpagg_counter_t *c, const char *key)
{
    if (c->sorted && rpagg_rehash(c, c->nslots ? c->nslots : 64))
        return NULL;
    if (!c->nslots && rpagg_rehash(c, 64))
        return NULL;
    size_t j = rpagg_hash(key) & (c->nslots - 1);
    while (c->slots[j]) {
        rpagg_count_t *e = &c->v[c->slots[j] - 1];
        if (strcmp(e->key, key) == 0)
            return e;
        j = (j + 1) & (c->nslots - 1);
    }
    if (c->n >= RPAGG_MAX_KEYS)
        return NULL;
    if (bp_grow(&c->v, &c->cap, c->n + 1, sizeof *c->v, 64, (size_t)-1 / sizeof *c->v) < 0)
        return NULL;
    rpagg_count_t *e = &c->v[c->n];
    memset(e, 0, sizeof *e);
    e->key = strdup(key);
    if (!e->key)
        return NULL;
    c->n++;
    c->slots[j] = c->n;
    if (c->n * 2 > c->nslots && rpagg_rehash(c, c->nslots * 2)) {
        /* the entry is stored; a failed grow only makes the table fuller */
    }
    return e;
}

static void rpagg_counter_free(rpagg_counter_t *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].key);
        free(c->v[i].label);
    }
    free(c->v);
    free(c->slots);
    memset(c, 0, sizeof *c);
}

int64_t rpagg_floor(int64_t ms, int64_t bucket_ms)
{
    int64_t q = ms / bucket_ms;
    if (ms % bucket_ms < 0)
        q--;
    return q * bucket_ms;
}

rpagg_t *rpagg_new(int64_t bucket_ms, size_t urgent_max)
{
    rpagg_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->bucket_ms = bucket_ms > 0 ? bucket_ms : RPAGG_HOUR_MS;
    a->maxurgent = urgent_max;
    if (urgent_max && !(a->urgent = calloc(urgent_max, sizeof *a->urgent))) {
        free(a);
        return NULL;
    }
    return a;
}

void rpagg_free(rpagg_t *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nbrands; i++) {
        free(a->brands[i].name);
        free(a->brands[i].cells);
    }
    for (size_t i = 0; i < a->nfresh; i++) {
        free(a->fresh[i].source);
        for (int s = 0; s < RPAGG_STAGES; s++)
            free(a->fresh[i].v[s]);
    }
    free(a->fresh);
    free(a->brands);
    rpagg_counter_free(&a->terms);
    rpagg_counter_free(&a->authors);
    for (size_t i = 0; i < a->nurgent; i++)
        json_decref(a->urgent[i]);
    free(a->urgent);
    free(a);
}

int rpagg_is_negative(const json_t *m, const char *brand)
{
    const char *label = NULL;
    if (brand) {
        json_t *bs = json_object_get(json_object_get(m, "brand_sentiment"), brand);
        if (json_is_object(bs))
            label = bp_json_str(bs, "label");
    }
    if (!label || !*label)
        label = bp_json_str(json_object_get(m, "sentiment"), "label");
    return strcmp(label, "negative") == 0;
}

int rpagg_priority_rank(const char *p)
{
    if (!p)
        return 0;
    if (!strcmp(p, "urgent"))
        return 4;
    if (!strcmp(p, "high"))
        return 3;
    if (!strcmp(p, "normal"))
        return 2;
    if (!strcmp(p, "low"))
        return 1;
    return 0;
}

int rpagg_urgency_cmp(const json_t *a, const json_t *b)
{
    int aa = json_is_true(json_object_get(a, "alert")), ab = json_is_true(json_object_get(b, "alert"));
    if (aa != ab)
        return ab - aa;
    int pa = rpagg_priority_rank(bp_json_str(a, "priority"));
    int pb = rpagg_priority_rank(bp_json_str(b, "priority"));
    if (pa != pb)
        return pb - pa;
    long long sa = bp_json_int(json_object_get(a, "sentiment"), "score");
    long long sb = bp_json_int(json_object_get(b, "sentiment"), "score");
    if (sa != sb)
        return sa < sb ? -1 : 1;
    long long fa = bp_post_followers(a), fb = bp_post_followers(b);
    if (fa != fb)
        return fa > fb ? -1 : 1;
    return strcmp(bp_json_str(a, "id"), bp_json_str(b, "id"));
}

static rpagg_brand_t *rpagg_brand(rpagg_t *a, const char *name)
{
    for (size_t i = 0; i < a->nbrands; i++)
        if (strcmp(a->brands[i].name, name) == 0)
            return &a->brands[i];
    if (a->nbrands >= RPAGG_MAX_BRANDS)
        return NULL;
    if (bp_grow(&a->brands, &a->capbrands, a->nbrands + 1, sizeof *a->brands, 16,
                (size_t)-1 / sizeof *a->brands) < 0)
        return NULL;
    rpagg_brand_t *b = &a->brands[a->nbrands];
    memset(b, 0, sizeof *b);
    if (!(b->name = strdup(name)))
        return NULL;
    a->nbrands++;
    return b;
}

static rpagg_cell_t *rpagg_cell(rpagg_brand_t *b, int64_t start)
{
    size_t lo = 0, hi = b->ncells;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (b->cells[mid].start_ms < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < b->ncells && b->cells[lo].start_ms == start)
        return &b->cells[lo];
    if (bp_grow(&b->cells, &b->cap, b->ncells + 1, sizeof *b->cells, 32,
                (size_t)-1 / sizeof *b->cells) < 0)
        return NULL;
    memmove(&b->cells[lo + 1], &b->cells[lo], (b->ncells - lo) * sizeof *b->cells);
    memset(&b->cells[lo], 0, sizeof *b->cells);
    b->cells[lo].start_ms = start;
    b->ncells++;
    return &b->cells[lo];
}

static int rpagg_keep_urgent(rpagg_t *a, const json_t *m)
{
    if (!a->maxurgent)
        return 0;
    if (a->nurgent == a->maxurgent && rpagg_urgency_cmp(m, a->urgent[a->nurgent - 1]) >= 0)
        return 0;
    json_t *copy = json_deep_copy(m);
    if (!copy)
        return -1;
    size_t i = a->nurgent;
    if (i == a->maxurgent) {
        json_decref(a->urgent[i - 1]);
        i--;
    } else {
        a->nurgent++;
    }
    while (i > 0 && rpagg_urgency_cmp(copy, a->urgent[i - 1]) < 0) {
        a->urgent[i] = a->urgent[i - 1];
        i--;
    }
    a->urgent[i] = copy;
    return 0;
}

int rpagg_add(rpagg_t *a, const json_t *m, int64_t event_ms)
{
    int alert = json_is_true(json_object_get(m, "alert"));
    int neg = rpagg_is_negative(m, NULL);
    a->mentions++;
    a->negative += neg;
    a->alerts += alert;
    int64_t start = rpagg_floor(event_ms, a->bucket_ms);
    json_t *brands = json_object_get(m, "brands");
    size_t i;
    json_t *bj;
    json_array_foreach(brands, i, bj) {
        if (!json_is_string(bj))
            continue;
        rpagg_brand_t *b = rpagg_brand(a, json_string_value(bj));
        rpagg_cell_t *c = b ? rpagg_cell(b, start) : NULL;
        if (!c)
            return -1;
        int bneg = rpagg_is_negative(m, json_string_value(bj));
        b->mentions++;
        b->negative += bneg;
        b->alerts += alert;
        c->mentions++;
        c->negative += bneg;
        c->alerts += alert;
    }
    json_t *terms = json_object_get(json_object_get(m, "sentiment"), "terms"), *t;
    json_array_foreach(terms, i, t) {
        json_t *w = json_object_get(t, "weight");
        const char *term = bp_json_str(t, "term");
        if (!*term || !json_is_number(w) || json_number_value(w) >= 0)
            continue;
        rpagg_count_t *e = rpagg_counter_get(&a->terms, term);
        if (e)
            e->count++;
    }
    json_t *author = json_object_get(m, "author");
    const char *aid = bp_json_str(author, "id");
    if (*aid) {
        rpagg_count_t *e = rpagg_counter_get(&a->authors, aid);
        if (e) {
            const char *name = bp_json_str(author, "name");
            if (!e->label && *name)
                e->label = strdup(name);
            long long f = bp_post_followers(m);
            if (f > e->followers)
                e->followers = f;
            e->count++;
            e->negative += neg;
        }
    }
    return rpagg_keep_urgent(a, m);
}

int64_t rpagg_bucket_ms(const rpagg_t *a) { return a->bucket_ms; }

long long rpagg_total(const rpagg_t *a, long long *negative, long long *alerts)
{
    if (negative)
        *negative = a->negative;
    if (alerts)
        *alerts = a->alerts;
    return a->mentions;
}

static int rpagg_brand_cmp(const void *x, const void *y)
{
    const rpagg_brand_t *a = x, *b = y;
    if (a->mentions != b->mentions)
        return a->mentions > b->mentions ? -1 : 1;
    return strcmp(a->name, b->name);
}

const rpagg_brand_t *rpagg_brands(const rpagg_t *a, size_t *n)
{
    if (a->nbrands > 1)
        qsort(((rpagg_t *)a)->brands, a->nbrands, sizeof *a->brands, rpagg_brand_cmp);
    *n = a->nbrands;
    return a->brands;
}

int rpagg_span(const rpagg_t *a, int64_t *first, int64_t *last)
{
    int any = 0;
    for (size_t i = 0; i < a->nbrands; i++) {
        const rpagg_brand_t *b = &a->brands[i];
        if (!b->ncells)
            continue;
        if (!any || b->cells[0].start_ms < *first)
            *first = b->cells[0].start_ms;
        if (!any || b->cells[b->ncells - 1].start_ms > *last)
            *last = b->cells[b->ncells - 1].start_ms;
        any = 1;
    }
    return any ? 0 : -1;
}

static int rpagg_term_cmp(const void *x, const void *y)
{
    const rpagg_count_t *a = x, *b = y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->key, b->key);
}

static int rpagg_author_cmp(const void *x, const void *y)
{
    const rpagg_count_t *a = x, *b = y;
    if (a->followers != b->followers)
        return a->followers > b->followers ? -1 : 1;
    return strcmp(a->key, b->key);
}

static size_t rpagg_top(rpagg_counter_t *c, int (*cmp)(const void *, const void *),
                        const rpagg_count_t **out, size_t max)
{
    if (c->n > 1)
        qsort(c->v, c->n, sizeof *c->v, cmp);
    c->sorted = 1;
    *out = c->v;
    return c->n < max ? c->n : max;
}

size_t rpagg_top_terms(rpagg_t *a, const rpagg_count_t **out, size_t max)
{
    return rpagg_top(&a->terms, rpagg_term_cmp, out, max);
}

size_t rpagg_top_authors(rpagg_t *a, const rpagg_count_t **out, size_t max)
{
    return rpagg_top(&a->authors, rpagg_author_cmp, out, max);
}

size_t rpagg_urgent(rpagg_t *a, json_t *const **out)
{
    *out = a->urgent;
    return a->nurgent;
}

/* ---- freshness ---- */

static rpagg_fresh_t *rpagg_fresh_source(rpagg_t *a, const char *source)
{
    for (size_t i = 0; i < a->nfresh; i++)
        if (strcmp(a->fresh[i].source, source) == 0)
            return &a->fresh[i];
    if (a->nfresh >= RPAGG_MAX_BRANDS)
        return NULL;
    if (bp_grow(&a->fresh, &a->capfresh, a->nfresh + 1, sizeof *a->fresh, 8,
                (size_t)-1 / sizeof *a->fresh) < 0)
        return NULL;
    rpagg_fresh_t *f = &a->fresh[a->nfresh];
    memset(f, 0, sizeof *f);
    if (!(f->source = strdup(source)))
        return NULL;
    a->nfresh++;
    return f;
}

static uint64_t rpagg_next_rand(rpagg_t *a)
{
    uint64_t x = a->rng ? a->rng : 0x9E3779B97F4A7C15ULL; /* xorshift64: deterministic */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    a->rng = x;
    return x;
}

/* Adds one delay (seconds) to a stage; past the cap, reservoir sampling keeps it uniform. */
static int rpagg_fresh_push(rpagg_t *a, rpagg_fresh_t *f, int st, double secs)
{
    f->n[st]++;
    if (f->nv[st] >= RPAGG_FRESH_MAX_SAMPLES) {
        uint64_t j = rpagg_next_rand(a) % (uint64_t)f->n[st];
        if (j < f->nv[st])
            f->v[st][j] = secs;
        return 0;
    }
    if (bp_grow(&f->v[st], &f->cap[st], f->nv[st] + 1, sizeof *f->v[st], 256,
                (size_t)-1 / sizeof *f->v[st]) < 0)
        return -1;
    f->v[st][f->nv[st]++] = secs;
    return 0;
}

int rpagg_add_fresh(rpagg_t *a, const json_t *rec)
{
    static const char *const keys[RPAGG_STAGES] = {"collected_at", "filtered_at"};
    int64_t pub, t;
    if (bp_time_parse_rfc3339(bp_json_str(rec, "published_at"), &pub) != 0)
        return 0;
    const char *source = bp_json_str(rec, "source");
    rpagg_fresh_t *f = NULL;
    for (int st = 0; st < RPAGG_STAGES; st++) {
        if (bp_time_parse_rfc3339(bp_json_str(rec, keys[st]), &t) != 0)
            continue;
        if (!f && !(f = rpagg_fresh_source(a, *source ? source : "(none)")))
            return -1;
        double secs = t > pub ? (double)(t - pub) / 1000.0 : 0.0;
        if (rpagg_fresh_push(a, f, st, secs) != 0)
            return -1;
    }
    return 0;
}

double rpagg_percentile(const double *sorted, size_t n, double q)
{
    if (n == 0)
        return 0;
    double r = q * (double)n;
    size_t k = (size_t)r;
    if ((double)k < r) /* ceil */
        k++;
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return sorted[k - 1];
}

static int rpagg_cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static int rpagg_cmp_fresh(const void *x, const void *y)
{
    return strcmp(((const rpagg_fresh_t *)x)->source, ((const rpagg_fresh_t *)y)->source);
}

size_t rpagg_freshness(rpagg_t *a, const rpagg_fresh_t **out)
{
    if (a->nfresh > 1)
        qsort(a->fresh, a->nfresh, sizeof *a->fresh, rpagg_cmp_fresh);
    for (size_t i = 0; i < a->nfresh; i++) {
        rpagg_fresh_t *f = &a->fresh[i];
        for (int st = 0; st < RPAGG_STAGES; st++) {
            if (f->nv[st] > 1)
                qsort(f->v[st], f->nv[st], sizeof *f->v[st], rpagg_cmp_double);
            f->p50[st] = rpagg_percentile(f->v[st], f->nv[st], 0.5);
            f->p95[st] = rpagg_percentile(f->v[st], f->nv[st], 0.95);
            f->max[st] = f->nv[st] ? f->v[st][f->nv[st] - 1] : 0;
        }
    }
    *out = a->fresh;
    return a->nfresh;
}
