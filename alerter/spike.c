/* spike.c — negative-volume spikes per brand against the usual level of the hour (see
 * spike.h). */
#include "spike.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "fileutil.h"
#include "log.h"
#include "model.h"
#include "timeutil.h"

#define SPIKE_BRANDS 512
#define SPIKE_TERMS 64
#define SPIKE_HOUR_MS 3600000LL
#define SPIKE_ALPHA 0.3 /* weight of the newest day in the baseline */

typedef struct spike_term {
    char term[64];
    int n;
} spike_term_t;

typedef struct spike_brand {
    char brand[64];
    double base[24];        /* usual alerts per hour, by UTC hour of day */
    int days[24];           /* how many hours of that hour of day were folded in */
    int64_t hour_start;     /* the clock hour being counted */
    long cur;
    spike_term_t terms[SPIKE_TERMS];
    int nterms;
    json_t *samples;
    int64_t last_raised;
} spike_brand_t;

struct spike {
    const alert_cfg_t *cfg;
    spike_brand_t *b;
    size_t n;
};

spike_t *spike_new(const alert_cfg_t *cfg)
{
    spike_t *s = calloc(1, sizeof *s);
    if (!s || !(s->b = calloc(SPIKE_BRANDS, sizeof *s->b))) {
        free(s);
        return NULL;
    }
    s->cfg = cfg;
    return s;
}

void spike_free(spike_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        json_decref(s->b[i].samples);
    free(s->b);
    free(s);
}

static int spike_hour(int64_t ms) { return (int)((ms / SPIKE_HOUR_MS) % 24); }

static spike_brand_t *spike_find(const spike_t *s, const char *brand)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->b[i].brand, brand) == 0)
            return &s->b[i];
    return NULL;
}

/* Closes the hours between b->hour_start and the hour of now, folding their counts (zero for
 * hours without alerts) into the baseline. */
static void spike_roll(spike_brand_t *b, int64_t now_ms)
{
    int64_t hour = now_ms - now_ms % SPIKE_HOUR_MS;
    if (b->hour_start == 0) {
        b->hour_start = hour;
        return;
    }
    int steps = 0;
    while (b->hour_start < hour && steps++ < 24 * 7) {
        int h = spike_hour(b->hour_start);
        b->base[h] = b->days[h] ? (1 - SPIKE_ALPHA) * b->base[h] + SPIKE_ALPHA * (double)b->cur
                                : (double)b->cur;
        b->days[h]++;
        b->cur = 0;
        b->nterms = 0;
        json_decref(b->samples);
        b->samples = NULL;
        b->hour_start += SPIKE_HOUR_MS;
    }
    b->hour_start = hour;
}

static void spike_count_terms(spike_brand_t *b, const json_t *alert)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(json_object_get(alert, "sentiment"), "terms"), i, t)
    {
        const char *term = bp_json_str(t, "term");
        if (!*term || strlen(term) >= sizeof b->terms[0].term)
            continue;
        int k = 0;
        while (k < b->nterms && strcmp(b->terms[k].term, term) != 0)
            k++;
        if (k == b->nterms) {
            if (b->nterms == SPIKE_TERMS)
                continue;
            snprintf(b->terms[k].term, sizeof b->terms[k].term, "%s", term);
            b->terms[k].n = 0;
            b->nterms++;
        }
        b->terms[k].n++;
    }
}

static int spike_term_cmp(const void *x, const void *y)
{
    const spike_term_t *a = x, *b = y;
    return b->n - a->n != 0 ? b->n - a->n : strcmp(a->term, b->term);
}

double spike_baseline(const spike_t *s, const char *brand, int64_t now_ms)
{
    const spike_brand_t *b = spike_find(s, brand);
    return b ? b->base[spike_hour(now_ms)] : -1;
}

int spike_add(spike_t *s, const json_t *alert, const route_result_t *rr, int64_t now_ms,
              inc_out_t *out)
{
    const alert_cfg_t *cfg = s->cfg;
    if (cfg->spike_factor <= 0)
        return 0;
    const char *brand = json_string_value(json_array_get(json_object_get(alert, "brands"), 0));
    if (!brand || !*brand || strlen(brand) >= sizeof s->b[0].brand)
        return 0;
    int negative = strcmp(bp_json_str(json_object_get(alert, "sentiment"), "label"), "negative") == 0;
    size_t ri;
    json_t *rv;
    json_array_foreach(json_object_get(alert, "reasons"), ri, rv)
    {
        const char *r = json_string_value(rv);
        if (r && strncmp(r, "negative", 8) == 0)
            negative = 1;
    }
    if (!negative)
        return 0;
    spike_brand_t *b = spike_find(s, brand);
    if (!b) {
        if (s->n == SPIKE_BRANDS)
            return 0;
        b = &s->b[s->n++];
        memset(b, 0, sizeof *b);
        snprintf(b->brand, sizeof b->brand, "%s", brand);
    }
    spike_roll(b, now_ms);
    b->cur++;
    spike_count_terms(b, alert);
    if (!b->samples)
        b->samples = json_array();
    if (b->samples) {
        if ((long long)json_array_size(b->samples) >= cfg->incident_samples &&
            json_array_size(b->samples) > 0)
            json_array_remove(b->samples, 0);
        if (cfg->incident_samples > 0)
            json_array_append(b->samples, (json_t *)alert);
    }
    int h = spike_hour(now_ms);
    double usual = b->base[h] > 1.0 ? b->base[h] : 1.0;
    if (b->cur < cfg->spike_min_volume || (double)b->cur < cfg->spike_factor * usual ||
        (b->last_raised && now_ms - b->last_raised < cfg->spike_cooldown_ms))
        return 0;
    b->last_raised = now_ms;
    spike_term_t top[SPIKE_TERMS];
    memcpy(top, b->terms, (size_t)b->nterms * sizeof *top);
    qsort(top, (size_t)b->nterms, sizeof *top, spike_term_cmp);
    json_t *terms = json_array();
    char reason[512];
    int len = snprintf(reason, sizeof reason, "negative spike: %ld alerts this hour, usually %.1f",
                       b->cur, b->base[h]);
    for (int i = 0; i < b->nterms && i < 5 && terms; i++) {
        json_array_append_new(terms, json_string(top[i].term));
        if (len > 0 && (size_t)len < sizeof reason)
            len += snprintf(reason + len, sizeof reason - (size_t)len, "%s%s (%d)",
                            i == 0 ? "; top terms: " : ", ", top[i].term, top[i].n);
    }
    char seed[128], id[40], first[BP_TIME_BUFSZ], last[BP_TIME_BUFSZ], dl[BP_TIME_BUFSZ];
    unsigned char hash[32];
    snprintf(seed, sizeof seed, "spike|%s|%lld", brand, (long long)b->hour_start);
    bp_sha256(seed, strlen(seed), hash);
    memcpy(id, "sp_", 3);
    bp_hex(hash, 8, id + 3);
    json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:o, s:O}", "kind",
                          "incident", "alert_id", id, "brand", brand, "reason", reason,
                          "priority", "high", "count", (json_int_t)b->cur, "state", "open",
                          "first_at", bp_time_format_rfc3339(b->hour_start, first), "last_at",
                          bp_time_format_rfc3339(now_ms, last), "deadline",
                          bp_time_format_rfc3339(now_ms + rr->sla_ms, dl), "top_terms",
                          terms ? terms : json_array(), "samples",
                          b->samples ? b->samples : json_array());
    if (!m)
        return 0;
    out->msg = m;
    memcpy(out->chans, rr->chans, rr->nchans * sizeof rr->chans[0]);
    out->nchans = rr->nchans;
    snprintf(out->alert_id, sizeof out->alert_id, "%s", id);
    snprintf(out->tag, sizeof out->tag, "spike");
    return 1;
}

int spike_save(const spike_t *s, const char *path)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < s->n; i++) {
        const spike_brand_t *b = &s->b[i];
        json_t *base = json_array(), *days = json_array();
        for (int h = 0; h < 24 && base && days; h++) {
            json_array_append_new(base, json_real(b->base[h]));
            json_array_append_new(days, json_integer(b->days[h]));
        }
        json_t *o = json_pack("{s:s, s:o, s:o, s:I, s:I, s:I}", "brand", b->brand, "base",
                              base ? base : json_array(), "days", days ? days : json_array(),
                              "hour_start", (json_int_t)b->hour_start, "cur", (json_int_t)b->cur,
                              "last_raised", (json_int_t)b->last_raised);
        if (o)
            json_array_append_new(arr, o);
    }
    char *str = arr ? bp_json_dump(arr) : NULL;
    json_decref(arr);
    if (!str) {
        errno = ENOMEM;
        return -1;
    }
    int rc = bp_file_write_atomic(path, str, strlen(str));
    free(str);
    return rc;
}

int spike_load(spike_t *s, const char *path, char *err, size_t errlen)
{
    size_t len = 0;
    char *data = bp_file_read(path, (size_t)16 << 20, &len);
    if (!data)
        return errno == ENOENT ? 0 : bp_seterr(err, errlen, "%s: %s", path, strerror(errno));
    json_error_t je;
    json_t *arr = json_loadb(data, len, 0, &je);
    free(data);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return bp_seterr(err, errlen, "%s: not a JSON array", path);
    }
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o)
    {
        const char *brand = bp_json_str(o, "brand");
        if (!*brand || strlen(brand) >= sizeof s->b[0].brand || s->n == SPIKE_BRANDS)
            continue;
        spike_brand_t *b = &s->b[s->n++];
        memset(b, 0, sizeof *b);
        snprintf(b->brand, sizeof b->brand, "%s", brand);
        for (int h = 0; h < 24; h++) {
            b->base[h] = json_number_value(json_array_get(json_object_get(o, "base"), (size_t)h));
            b->days[h] = (int)json_integer_value(
                json_array_get(json_object_get(o, "days"), (size_t)h));
        }
        b->hour_start = bp_json_int(o, "hour_start");
        b->cur = (long)bp_json_int(o, "cur");
        b->last_raised = bp_json_int(o, "last_raised");
    }
    json_decref(arr);
    return 0;
}
