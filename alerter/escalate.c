/* escalate.c — the table of alerts awaiting acknowledgement and their escalation schedule
 * (see escalate.h). */
#include "escalate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileutil.h"
#include "log.h"
#include "model.h"
#include "route.h"
#include "timeutil.h"

#define ESC_MAX 20000
#define ESC_KEEP_MS (24LL * 3600 * 1000)

typedef struct esc_item {
    char id[40];
    json_t *msg;
    int route;            /* route with levels, -1 none */
    int level;            /* levels already notified */
    int64_t tracked_ms, deadline_ms;
    int acked;
    char by[64];
    int64_t acked_ms;
    int64_t snooze_until;
    int partition;        /* of bp.alerts, -1 unknown: escalated by whoever owns it */
} esc_item_t;

struct escalate {
    const alert_cfg_t *cfg;
    esc_item_t *v;
    size_t n;
    int dirty;
    int (*owned)(void *opaque, int partition);
    void *owned_opaque;
};

escalate_t *escalate_new(const alert_cfg_t *cfg)
{
    escalate_t *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->v = calloc(ESC_MAX, sizeof *e->v);
    if (!e->v) {
        free(e);
        return NULL;
    }
    e->cfg = cfg;
    return e;
}

void escalate_free(escalate_t *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++)
        json_decref(e->v[i].msg);
    free(e->v);
    free(e);
}

static esc_item_t *escalate_find(escalate_t *e, const char *id)
{
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(e->v[i].id, id) == 0)
            return &e->v[i];
    return NULL;
}

static void escalate_drop(escalate_t *e, size_t i)
{
    json_decref(e->v[i].msg);
    e->v[i] = e->v[--e->n];
    e->dirty = 1;
}

int escalate_track(escalate_t *e, const char *id, json_t *msg, int esc_route,
                   int64_t deadline_ms, int64_t now_ms)
{
    if (escalate_find(e, id))
        return 0;
    if (e->n == ESC_MAX) { /* full: forget the oldest acknowledged, else the oldest */
        size_t victim = 0;
        for (size_t i = 0; i < e->n; i++)
            if ((e->v[i].acked && !e->v[victim].acked) ||
                (e->v[i].acked == e->v[victim].acked &&
                 e->v[i].tracked_ms < e->v[victim].tracked_ms))
                victim = i;
        bp_warn("escalation table full: forgetting %s", e->v[victim].id);
        escalate_drop(e, victim);
    }
    esc_item_t *it = &e->v[e->n++];
    memset(it, 0, sizeof *it);
    snprintf(it->id, sizeof it->id, "%s", id);
    it->msg = json_incref(msg);
    it->route = esc_route;
    it->tracked_ms = now_ms;
    it->deadline_ms = deadline_ms;
    it->partition = -1;
    e->dirty = 1;
    return 0;
}

void escalate_set_owner(escalate_t *e, int (*owned)(void *opaque, int partition), void *opaque)
{
    e->owned = owned;
    e->owned_opaque = opaque;
}

void escalate_set_partition(escalate_t *e, const char *id, int partition)
{
    esc_item_t *it = escalate_find(e, id);
    if (it && it->partition != partition) {
        it->partition = partition;
        e->dirty = 1;
    }
}

int escalate_restore(escalate_t *e, const char *id, json_t *msg, int esc_route,
                     int64_t deadline_ms, int64_t tracked_ms, int partition)
{
    esc_item_t *it = escalate_find(e, id);
    if (!it) {
        if (escalate_track(e, id, msg, esc_route, deadline_ms, tracked_ms) != 0)
            return -1;
        it = escalate_find(e, id);
        if (!it)
            return -1;
    }
    it->partition = partition;
    e->dirty = 1;
    return 0;
}

void escalate_restore_level(escalate_t *e, const char *id, int level)
{
    esc_item_t *it = escalate_find(e, id);
    if (it && level > it->level) {
        it->level = level;
        e->dirty = 1;
    }
}

const json_t *escalate_msg(escalate_t *e, const char *id)
{
    esc_item_t *it = escalate_find(e, id);
    return it ? it->msg : NULL;
}

int escalate_ack(escalate_t *e, const char *id, const char *by, int64_t now_ms)
{
    esc_item_t *it = escalate_find(e, id);
    if (!it || it->acked)
        return 0;
    it->acked = 1;
    it->acked_ms = now_ms;
    snprintf(it->by, sizeof it->by, "%s", by && *by ? by : "unknown");
    e->dirty = 1;
    return 1;
}

int escalate_snooze(escalate_t *e, const char *id, int64_t until_ms)
{
    esc_item_t *it = escalate_find(e, id);
    if (!it || it->acked)
        return 0;
    it->snooze_until = until_ms;
    e->dirty = 1;
    return 1;
}

/* When level k (0-based) of the item's route is due. */
static int64_t escalate_due(const escalate_t *e, const esc_item_t *it, int k)
{
    const aroute_cfg_t *r = &e->cfg->routes[it->route];
    int64_t after = r->escalate[k].after_ms;
    if (after <= 0)
        return it->deadline_ms + (int64_t)k * (it->deadline_ms - it->tracked_ms > 0
                                                   ? it->deadline_ms - it->tracked_ms
                                                   : e->cfg->sla_ms);
    return it->tracked_ms + after;
}

size_t escalate_tick(escalate_t *e, int64_t now_ms, inc_out_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < e->n;) {
        esc_item_t *it = &e->v[i];
        if (now_ms - it->tracked_ms > ESC_KEEP_MS) {
            escalate_drop(e, i);
            continue;
        }
        i++;
        if (it->acked || it->route < 0 || (size_t)it->route >= e->cfg->nroutes || n >= max)
            continue;
        if (it->partition >= 0 && e->owned && !e->owned(e->owned_opaque, it->partition))
            continue; /* its partition moved to another instance, which escalates it */
        const aroute_cfg_t *r = &e->cfg->routes[it->route];
        if ((size_t)it->level >= r->nescalate || now_ms < escalate_due(e, it, it->level) ||
            now_ms < it->snooze_until)
            continue;
        const aesc_cfg_t *lv = &r->escalate[it->level];
        it->level++;
        e->dirty = 1;
        json_t *m = json_deep_copy(it->msg);
        if (!m)
            continue;
        json_object_set_new(m, "level", json_integer(it->level));
        inc_out_t *o = &out[n];
        o->msg = m;
        o->nchans = 0;
        for (size_t k = 0; k < lv->channels.n && o->nchans < ROUTE_MAX_TARGETS; k++) {
            int ci = route_resolve(e->cfg, lv->channels.v[k], now_ms);
            if (ci >= 0)
                o->chans[o->nchans++] = ci;
        }
        snprintf(o->alert_id, sizeof o->alert_id, "%s", it->id);
        snprintf(o->tag, sizeof o->tag, "esc%d", it->level);
        n++;
    }
    return n;
}

json_t *escalate_list(escalate_t *e)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < e->n; i++) {
        const esc_item_t *it = &e->v[i];
        if (it->acked)
            continue;
        char dl[BP_TIME_BUFSZ];
        const json_t *a = json_object_get(it->msg, "alert");
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s}", "id", it->id, "kind",
                              bp_json_str(it->msg, "kind"), "brand", bp_json_str(it->msg, "brand"),
                              "priority", bp_json_str(it->msg, "priority"), "deadline",
                              bp_time_format_rfc3339(it->deadline_ms, dl), "level", it->level,
                              "post_id", bp_json_str(it->msg, "post_id"), "url",
                              bp_json_str(a, "url"));
        if (o)
            json_array_append_new(arr, o);
    }
    return arr;
}

size_t escalate_open_count(const escalate_t *e)
{
    size_t c = 0;
    for (size_t i = 0; i < e->n; i++)
        c += !e->v[i].acked;
    return c;
}

int escalate_dirty(const escalate_t *e) { return e->dirty; }

int escalate_save(escalate_t *e, const char *path)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < e->n; i++) {
        const esc_item_t *it = &e->v[i];
        json_t *o = json_pack("{s:s, s:O, s:i, s:i, s:I, s:I, s:b, s:s, s:I, s:I, s:i}", "id", it->id,
                              "msg", it->msg, "route", it->route, "level", it->level,
                              "tracked_ms", (json_int_t)it->tracked_ms, "deadline_ms",
                              (json_int_t)it->deadline_ms, "acked", it->acked, "by", it->by,
                              "acked_ms", (json_int_t)it->acked_ms, "snooze_until",
                              (json_int_t)it->snooze_until, "partition", it->partition);
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            errno = ENOMEM;
            return -1;
        }
    }
    char *s = arr ? bp_json_dump(arr) : NULL;
    json_decref(arr);
    if (!s) {
        errno = ENOMEM;
        return -1;
    }
    int rc = bp_file_write_atomic(path, s, strlen(s));
    free(s);
    if (rc == 0)
        e->dirty = 0;
    return rc;
}

int escalate_load(escalate_t *e, const char *path, char *err, size_t errlen)
{
    size_t len = 0;
    char *data = bp_file_read(path, (size_t)256 << 20, &len);
    if (!data)
        return errno == ENOENT ? 0 : bp_seterr(err, errlen, "%s: %s", path, strerror(errno));
    json_error_t je;
    json_t *arr = json_loadb(data, len, 0, &je);
    free(data);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return bp_seterr(err, errlen, "%s: not a JSON array (%s)", path, je.text);
    }
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o)
    {
        json_t *msg = json_object_get(o, "msg");
        const char *id = bp_json_str(o, "id");
        if (!*id || !json_is_object(msg) || e->n == ESC_MAX)
            continue;
        int route = (int)bp_json_int(o, "route");
        if (route >= (int)e->cfg->nroutes)
            route = -1; /* the configuration changed: keep it for acknowledgement only */
        esc_item_t *it = &e->v[e->n++];
        memset(it, 0, sizeof *it);
        snprintf(it->id, sizeof it->id, "%s", id);
        it->msg = json_incref(msg);
        it->route = json_is_integer(json_object_get(o, "route")) ? route : -1;
        it->level = (int)bp_json_int(o, "level");
        it->tracked_ms = bp_json_int(o, "tracked_ms");
        it->deadline_ms = bp_json_int(o, "deadline_ms");
        it->acked = json_is_true(json_object_get(o, "acked"));
        snprintf(it->by, sizeof it->by, "%s", bp_json_str(o, "by"));
        it->acked_ms = bp_json_int(o, "acked_ms");
        it->snooze_until = bp_json_int(o, "snooze_until");
        it->partition = json_is_integer(json_object_get(o, "partition"))
                            ? (int)bp_json_int(o, "partition")
                            : -1;
    }
    json_decref(arr);
    return 0;
}
