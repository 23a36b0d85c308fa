/* incident.c — near-duplicate folding and burst incidents (see incident.h). */
#include "incident.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "model.h"
#include "simhash.h"
#include "timeutil.h"

#define INC_MAX_FOLDS 4096
#define INC_MAX_BURSTS 1024
#define INC_RING 64

typedef struct inc_fold {
    char alert_id[40];
    char brand[64];
    uint64_t sh;
    int64_t at_ms;
    int pending;           /* folded since the last summary */
    int total;
    int seq;               /* summaries sent */
    int64_t reported_ms;
    json_t *samples;       /* folded mentions not yet summarised (at most cfg samples) */
    int chans[ROUTE_MAX_TARGETS];
    size_t nchans;
} inc_fold_t;

typedef struct inc_burst {
    char key[256];
    char brand[64];
    char reason[96];
    int64_t times[INC_RING]; /* recent alert times, a ring */
    int ntimes, head;
    /* the incident, when open */
    int open;
    char id[40];
    long long count, reported;
    int64_t first_ms, last_ms, updated_ms;
    int seq;
    json_t *samples;
    int chans[ROUTE_MAX_TARGETS];
    size_t nchans;
    int64_t deadline_ms;
    int partition; /* of bp.alerts, -1 unknown */
} inc_burst_t;

struct incidents {
    const alert_cfg_t *cfg;
    inc_fold_t folds[INC_MAX_FOLDS];
    size_t nfolds, fold_next;
    inc_burst_t *bursts;
    size_t nbursts;
    int partition; /* of the alerts being added */
    int (*owned)(void *opaque, int partition);
    void *owned_opaque;
};

incidents_t *incidents_new(const alert_cfg_t *cfg)
{
    incidents_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->bursts = calloc(INC_MAX_BURSTS, sizeof *s->bursts);
    if (!s->bursts) {
        free(s);
        return NULL;
    }
    s->cfg = cfg;
    s->partition = -1;
    return s;
}

void incidents_set_partition(incidents_t *s, int partition) { s->partition = partition; }

void incidents_set_owner(incidents_t *s, int (*owned)(void *opaque, int partition),
                         void *opaque)
{
    s->owned = owned;
    s->owned_opaque = opaque;
}

static inc_burst_t *incidents_burst(incidents_t *s, const char *key, int64_t now_ms);

static inc_burst_t *incidents_by_id(incidents_t *s, const char *id)
{
    for (size_t i = 0; i < s->nbursts; i++)
        if (s->bursts[i].id[0] && strcmp(s->bursts[i].id, id) == 0)
            return &s->bursts[i];
    return NULL;
}

json_t *incidents_state(incidents_t *s, const char *id)
{
    inc_burst_t *b = incidents_by_id(s, id);
    if (!b)
        return NULL;
    json_t *chans = json_array();
    for (size_t i = 0; chans && i < b->nchans; i++)
        json_array_append_new(chans, json_string(s->cfg->channels[b->chans[i]].name));
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:o, s:O}", "id",
                     b->id, "key", b->key, "state", b->open ? "open" : "resolved", "count",
                     (json_int_t)b->count, "reported", (json_int_t)b->reported, "first_ms",
                     (json_int_t)b->first_ms, "last_ms", (json_int_t)b->last_ms, "updated_ms",
                     (json_int_t)b->updated_ms, "deadline_ms", (json_int_t)b->deadline_ms, "seq",
                     b->seq, "partition", b->partition, "channels", chans ? chans : json_array(),
                     "samples", b->samples ? b->samples : json_array());
}

int incidents_restore(incidents_t *s, const json_t *st)
{
    const char *key = bp_json_str(st, "key"), *id = bp_json_str(st, "id");
    if (!strchr(key, '|') || strncmp(id, "in_", 3) != 0)
        return -1;
    int open = strcmp(bp_json_str(st, "state"), "open") == 0;
    inc_burst_t *b = incidents_burst(s, key, bp_json_int(st, "last_ms"));
    if (!b)
        return -1;
    if (!open) { /* resolved by the previous owner */
        if (b->open && strcmp(b->id, id) == 0) {
            b->open = 0;
            b->ntimes = 0;
        }
        return 0;
    }
    snprintf(b->id, sizeof b->id, "%s", id);
    b->open = 1;
    b->count = bp_json_int(st, "count");
    b->reported = bp_json_int(st, "reported");
    b->first_ms = bp_json_int(st, "first_ms");
    b->last_ms = bp_json_int(st, "last_ms");
    b->updated_ms = bp_json_int(st, "updated_ms");
    b->deadline_ms = bp_json_int(st, "deadline_ms");
    b->seq = (int)bp_json_int(st, "seq");
    b->partition = (int)bp_json_int(st, "partition");
    b->nchans = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(st, "channels"), i, c)
    {
        int ci = alertcfg_channel_index(s->cfg, json_string_value(c) ? json_string_value(c) : "");
        if (ci >= 0 && b->nchans < ROUTE_MAX_TARGETS)
            b->chans[b->nchans++] = ci;
    }
    json_decref(b->samples);
    b->samples = json_deep_copy(json_object_get(st, "samples"));
    return 0;
}

void incidents_free(incidents_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nfolds; i++)
        json_decref(s->folds[i].samples);
    for (size_t i = 0; i < s->nbursts; i++)
        json_decref(s->bursts[i].samples);
    free(s->bursts);
    free(s);
}

void incidents_key(const json_t *alert, char *key, size_t keylen)
{
    const char *brand = json_string_value(json_array_get(json_object_get(alert, "brands"), 0));
    const json_t *reasons = json_object_get(alert, "reasons");
    const char *reason = "";
    size_t i;
    json_t *r;
    /* an urgent reason names the problem best; else the first reason's kind */
    json_array_foreach(reasons, i, r)
    {
        const char *v = json_string_value(r);
        if (v && strncmp(v, "urgent:", 7) == 0) {
            reason = v;
            break;
        }
    }
    if (!*reason) {
        const char *v = json_string_value(json_array_get(reasons, 0));
        reason = v ? v : "";
    }
    size_t rl = strncmp(reason, "urgent:", 7) == 0 ? strlen(reason) : strcspn(reason, ":");
    snprintf(key, keylen, "%s|%.*s", brand ? brand : "", (int)(rl > 96 ? 96 : rl), reason);
}

int incidents_exempt(const alert_cfg_t *cfg, const json_t *alert)
{
    const char *brand = json_string_value(json_object_get(alert, "alert_brand"));
    if (!brand)
        brand = json_string_value(json_array_get(json_object_get(alert, "brands"), 0));
    return brand && bp_strlist_contains(&cfg->incident_exempt, brand);
}

static void incidents_merge_chans(int *chans, size_t *n, const route_result_t *rr)
{
    for (size_t i = 0; i < rr->nchans; i++) {
        int dup = 0;
        for (size_t k = 0; k < *n; k++)
            dup |= chans[k] == rr->chans[i];
        if (!dup && *n < ROUTE_MAX_TARGETS)
            chans[(*n)++] = rr->chans[i];
    }
}

/* Keeps at most max samples, the newest last. */
static void incidents_sample(json_t **arr, const json_t *alert, long long max)
{
    if (!*arr)
        *arr = json_array();
    if (!*arr || max <= 0)
        return;
    if ((long long)json_array_size(*arr) >= max)
        json_array_remove(*arr, 0);
    json_array_append(*arr, (json_t *)alert);
}

static inc_burst_t *incidents_burst(incidents_t *s, const char *key, int64_t now_ms)
{
    for (size_t i = 0; i < s->nbursts; i++)
        if (strcmp(s->bursts[i].key, key) == 0)
            return &s->bursts[i];
    inc_burst_t *b = NULL;
    if (s->nbursts < INC_MAX_BURSTS) {
        b = &s->bursts[s->nbursts++];
    } else { /* reuse the stalest closed key */
        for (size_t i = 0; i < s->nbursts; i++) {
            inc_burst_t *c = &s->bursts[i];
            if (!c->open && (!b || c->last_ms < b->last_ms))
                b = c;
        }
        if (!b)
            return NULL;
        json_decref(b->samples);
    }
    memset(b, 0, sizeof *b);
    snprintf(b->key, sizeof b->key, "%s", key);
    const char *bar = strchr(key, '|');
    snprintf(b->brand, sizeof b->brand, "%.*s", (int)(bar - key), key);
    snprintf(b->reason, sizeof b->reason, "%s", bar + 1);
    b->last_ms = now_ms;
    return b;
}

static json_t *incidents_message(const incidents_t *s, inc_burst_t *b, const char *state)
{
    char first[BP_TIME_BUFSZ], last[BP_TIME_BUFSZ], dl[BP_TIME_BUFSZ];
    json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:O}", "kind",
                          "incident", "alert_id", b->id, "brand", b->brand, "reason", b->reason,
                          "priority", strncmp(b->reason, "urgent", 6) == 0 ? "urgent" : "high",
                          "count", (json_int_t)b->count, "state", state, "first_at",
                          bp_time_format_rfc3339(b->first_ms, first), "last_at",
                          bp_time_format_rfc3339(b->last_ms, last), "deadline",
                          bp_time_format_rfc3339(b->deadline_ms, dl), "samples",
                          b->samples ? b->samples : json_array());
    (void)s;
    return m;
}

static void incidents_out(inc_out_t *o, json_t *msg, const char *id, const int *chans, size_t n,
                          const char *tag)
{
    o->msg = msg;
    memcpy(o->chans, chans, n * sizeof *chans);
    o->nchans = n;
    snprintf(o->alert_id, sizeof o->alert_id, "%s", id);
    snprintf(o->tag, sizeof o->tag, "%s", tag);
}

inc_verdict_t incidents_add(incidents_t *s, const json_t *alert, const char *alert_id,
                            const route_result_t *rr, int64_t now_ms, char *ref, inc_out_t *out)
{
    const alert_cfg_t *cfg = s->cfg;
    ref[0] = '\0';
    if (incidents_exempt(cfg, alert))
        return INC_SEND; /* operational alerts: each one is its own message */
    /* bursts: count this alert under its brand and reason */
    if (cfg->incident_threshold > 0) {
        char key[256];
        incidents_key(alert, key, sizeof key);
        inc_burst_t *b = incidents_burst(s, key, now_ms);
        if (b) {
            b->times[b->head] = now_ms;
            b->head = (b->head + 1) % INC_RING;
            if (b->ntimes < INC_RING)
                b->ntimes++;
            if (now_ms > b->last_ms) /* alerts of other partitions may come a little late */
                b->last_ms = now_ms;
            if (b->open) {
                b->count++;
                incidents_sample(&b->samples, alert, cfg->incident_samples);
                incidents_merge_chans(b->chans, &b->nchans, rr);
                snprintf(ref, 40, "%s", b->id);
                return INC_ABSORBED;
            }
            int recent = 0;
            for (int i = 0; i < b->ntimes; i++)
                recent += now_ms - b->times[i] <= cfg->incident_window_ms;
            if (recent >= cfg->incident_threshold) {
                unsigned char h[32];
                char seed[320];
                snprintf(seed, sizeof seed, "%s|%lld", key, (long long)now_ms);
                bp_sha256(seed, strlen(seed), h);
                memcpy(b->id, "in_", 3);
                bp_hex(h, 8, b->id + 3);
                b->open = 1;
                b->partition = s->partition;
                b->count = recent;
                b->reported = recent;
                b->first_ms = now_ms;
                b->updated_ms = now_ms;
                b->seq = 0;
                b->deadline_ms = now_ms + rr->sla_ms;
                b->nchans = 0;
                json_decref(b->samples);
                b->samples = NULL;
                incidents_sample(&b->samples, alert, cfg->incident_samples);
                incidents_merge_chans(b->chans, &b->nchans, rr);
                json_t *m = incidents_message(s, b, "open");
                if (m) {
                    incidents_out(out, m, b->id, b->chans, b->nchans, "open");
                    snprintf(ref, 40, "%s", b->id);
                    return INC_OPENED;
                }
                b->open = 0;
            }
        }
    }
    /* near-duplicates of a recent alert of the same brand */
    if (cfg->fold_distance < 0)
        return INC_SEND;
    const char *text = bp_json_str(alert, "text");
    uint64_t sh = simhash_text(text, strlen(text));
    const char *brand = json_string_value(json_array_get(json_object_get(alert, "brands"), 0));
    if (!brand)
        brand = "";
    if (sh != 0) {
        for (size_t i = 0; i < s->nfolds; i++) {
            inc_fold_t *f = &s->folds[i];
            if (now_ms - f->at_ms > cfg->fold_window_ms || strcmp(f->brand, brand) != 0 ||
                simhash_distance(f->sh, sh) > cfg->fold_distance)
                continue;
            f->pending++;
            f->total++;
            incidents_sample(&f->samples, alert, cfg->incident_samples);
            snprintf(ref, 40, "%s", f->alert_id);
            return INC_FOLDED;
        }
    }
    /* remember this one (a ring: the oldest entry is reused, its pending count summarised
     * by the next tick only if still due, so summaries are flushed before reuse below) */
    inc_fold_t *f = &s->folds[s->fold_next];
    if (s->nfolds < INC_MAX_FOLDS)
        s->nfolds++;
    else if (f->pending > 0)
        return INC_SEND; /* never overwrite an unsummarised entry; just do not fold */
    json_decref(f->samples);
    memset(f, 0, sizeof *f);
    s->fold_next = (s->fold_next + 1) % INC_MAX_FOLDS;
    snprintf(f->alert_id, sizeof f->alert_id, "%s", alert_id);
    snprintf(f->brand, sizeof f->brand, "%s", brand);
    f->sh = sh;
    f->at_ms = now_ms;
    f->reported_ms = now_ms;
    incidents_merge_chans(f->chans, &f->nchans, rr);
    return INC_SEND;
}

size_t incidents_tick(incidents_t *s, int64_t now_ms, inc_out_t *out, size_t max)
{
    const alert_cfg_t *cfg = s->cfg;
    size_t n = 0;
    for (size_t i = 0; i < s->nbursts && n < max; i++) {
        inc_burst_t *b = &s->bursts[i];
        if (!b->open)
            continue;
        if (b->partition >= 0 && s->owned && !s->owned(s->owned_opaque, b->partition))
            continue; /* its partition moved: the new owner updates and resolves it */
        char tag[24];
        if (now_ms - b->last_ms >= cfg->incident_quiet_ms) {
            json_t *m = incidents_message(s, b, "resolved");
            if (!m)
                continue;
            incidents_out(&out[n++], m, b->id, b->chans, b->nchans, "resolved");
            b->open = 0;
            b->ntimes = 0;
            continue;
        }
        if (b->count > b->reported && now_ms - b->updated_ms >= cfg->incident_update_ms) {
            json_t *m = incidents_message(s, b, "update");
            if (!m)
                continue;
            snprintf(tag, sizeof tag, "upd%d", ++b->seq);
            incidents_out(&out[n++], m, b->id, b->chans, b->nchans, tag);
            b->reported = b->count;
            b->updated_ms = now_ms;
        }
    }
    for (size_t i = 0; i < s->nfolds && n < max; i++) {
        inc_fold_t *f = &s->folds[i];
        if (f->pending == 0)
            continue;
        int expiring = now_ms - f->at_ms > cfg->fold_window_ms;
        if (!expiring && now_ms - f->reported_ms < cfg->incident_update_ms)
            continue;
        char why[96], tag[24];
        snprintf(why, sizeof why, "near-duplicates of %s, %d so far", f->alert_id, f->total);
        json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:i, s:O}", "kind", "digest", "alert_id",
                              f->alert_id, "brand", f->brand, "why", why, "count", f->pending,
                              "items", f->samples ? f->samples : json_array());
        if (!m)
            continue;
        snprintf(tag, sizeof tag, "fold%d", ++f->seq);
        incidents_out(&out[n++], m, f->alert_id, f->chans, f->nchans, tag);
        f->pending = 0;
        f->reported_ms = now_ms;
        json_decref(f->samples);
        f->samples = NULL;
    }
    return n;
}

json_t *incidents_list(incidents_t *s)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < s->nbursts; i++) {
        inc_burst_t *b = &s->bursts[i];
        if (!b->open)
            continue;
        json_t *m = incidents_message(s, b, "open");
        if (m)
            json_array_append_new(arr, m);
    }
    return arr;
}
