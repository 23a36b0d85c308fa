/* route.c — routes matched against an alert's brand, priority, reasons, language, source and
 * the time of day; channels resolved through on-call rotations. */
#include "route.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "model.h"

int route_reason_matches(const char *v, const char *r)
{
    size_t n = strlen(v);
    return strncmp(v, r, n) == 0 && (r[n] == '\0' || r[n] == ':');
}

static int route_list_has(const bp_strlist_t *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

/* a condition list is satisfied when empty, or when one of the values is in the list */
static int route_any_str(const bp_strlist_t *l, const char *v)
{
    return l->n == 0 || route_list_has(l, v);
}

static int route_any_array(const bp_strlist_t *l, const json_t *arr, int prefix)
{
    size_t i;
    json_t *v;
    if (l->n == 0)
        return 1;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v))
            continue;
        for (size_t k = 0; k < l->n; k++) {
            if (prefix ? route_reason_matches(l->v[k], json_string_value(v))
                       : strcasecmp(l->v[k], json_string_value(v)) == 0)
                return 1;
        }
    }
    return 0;
}

int route_in_schedule(const asched_cfg_t *s, int64_t now_ms)
{
    char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZ", s->tz, 1);
    tzset();
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
    tzset();
    int min = tm.tm_hour * 60 + tm.tm_min;
    int wday = tm.tm_wday;
    if (s->from_min <= s->to_min)
        return (s->day_mask >> wday & 1) && min >= s->from_min && min < s->to_min;
    /* overnight, e.g. 22:00-06:00: the part after midnight belongs to the previous day */
    if (min >= s->from_min)
        return s->day_mask >> wday & 1;
    if (min < s->to_min)
        return s->day_mask >> ((wday + 6) % 7) & 1;
    return 0;
}

int route_when_matches(const alert_cfg_t *cfg, const aroute_when_t *w, const json_t *alert,
                       int64_t now_ms)
{
    if (w->brand.n && !route_any_array(&w->brand, json_object_get(alert, "brands"), 0))
        return 0;
    if (!route_any_str(&w->priority, bp_json_str(alert, "priority")))
        return 0;
    if (!route_any_array(&w->reason, json_object_get(alert, "reasons"), 1))
        return 0;
    if (!route_any_str(&w->lang, bp_json_str(alert, "lang")))
        return 0;
    if (!route_any_str(&w->source, bp_json_str(alert, "source")))
        return 0;
    if (w->schedule && w->schedule[0]) {
        int neg = w->schedule[0] == '!';
        const asched_cfg_t *s = alertcfg_schedule(cfg, w->schedule + neg);
        if (!s)
            return 0;
        if (route_in_schedule(s, now_ms) == neg)
            return 0;
    }
    return 1;
}

int route_resolve(const alert_cfg_t *cfg, const char *name, int64_t now_ms)
{
    int i = alertcfg_channel_index(cfg, name);
    if (i >= 0)
        return i;
    const aoncall_cfg_t *o = alertcfg_oncall(cfg, name);
    if (!o || o->channels.n == 0)
        return -1;
    int64_t d = now_ms - o->start_ms;
    int64_t turn = d >= 0 ? d / o->shift_ms : -((-d + o->shift_ms - 1) / o->shift_ms);
    int64_t k = turn % (int64_t)o->channels.n;
    if (k < 0)
        k += (int64_t)o->channels.n;
    return alertcfg_channel_index(cfg, o->channels.v[k]);
}

const asilence_cfg_t *route_silenced(const alert_cfg_t *cfg, const json_t *alert, int64_t now_ms)
{
    const json_t *au = json_object_get(alert, "author");
    for (size_t i = 0; i < cfg->nsilences; i++) {
        const asilence_cfg_t *s = &cfg->silences[i];
        if (now_ms >= s->until_ms)
            continue;
        if (s->brand.n && !route_any_array(&s->brand, json_object_get(alert, "brands"), 0))
            continue;
        if (!route_any_array(&s->reason, json_object_get(alert, "reasons"), 1))
            continue;
        if (s->author.n && !route_list_has(&s->author, bp_json_str(au, "id")) &&
            !route_list_has(&s->author, bp_json_str(au, "name")))
            continue;
        return s;
    }
    return NULL;
}

size_t route_match(const alert_cfg_t *cfg, const json_t *alert, int64_t now_ms,
                   route_result_t *out)
{
    memset(out, 0, sizeof *out);
    out->route = -1;
    out->esc_route = -1;
    out->sla_ms = 0;
    for (size_t r = 0; r < cfg->nroutes; r++) {
        const aroute_cfg_t *rt = &cfg->routes[r];
        if (!route_when_matches(cfg, &rt->when, alert, now_ms))
            continue;
        if (out->route < 0)
            out->route = (int)r;
        if (out->esc_route < 0 && rt->nescalate > 0)
            out->esc_route = (int)r;
        int64_t sla = rt->sla_ms > 0 ? rt->sla_ms : cfg->sla_ms;
        if (out->sla_ms == 0 || sla < out->sla_ms)
            out->sla_ms = sla;
        for (size_t k = 0; k < rt->channels.n; k++) {
            int ci = route_resolve(cfg, rt->channels.v[k], now_ms);
            int dup = 0;
            for (size_t j = 0; j < out->nchans; j++)
                dup |= out->chans[j] == ci;
            if (ci >= 0 && !dup && out->nchans < ROUTE_MAX_TARGETS)
                out->chans[out->nchans++] = ci;
        }
        if (rt->stop)
            break;
    }
    if (out->sla_ms == 0)
        out->sla_ms = cfg->sla_ms;
    return out->nchans;
}
