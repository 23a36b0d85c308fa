/* evclock.c — event time and the heap of candidate tick times (see evclock.h). */
#include "evclock.h"

#include <stdlib.h>

#include "grow.h"
#include "model.h"
#include "timeutil.h"

#define EVCLOCK_MAX (4u << 20) /* candidates kept (4 per alert: ~1M alerts in the quiet window) */

struct evclock {
    int64_t *v;
    size_t n, cap;
};

int64_t evclock_event_ms(const json_t *alert, int64_t fallback_ms, int64_t cap_ms)
{
    int64_t t = 0;
    if (bp_time_parse_rfc3339(bp_json_str(alert, "published_at"), &t) != 0 &&
        bp_time_parse_rfc3339(bp_json_str(alert, "collected_at"), &t) != 0)
        t = fallback_ms;
    return t > cap_ms ? cap_ms : t;
}

evclock_t *evclock_new(void) { return calloc(1, sizeof(evclock_t)); }

void evclock_free(evclock_t *c)
{
    if (!c)
        return;
    free(c->v);
    free(c);
}

int evclock_push(evclock_t *c, int64_t t)
{
    if (bp_grow(&c->v, &c->cap, c->n + 1, sizeof *c->v, 256, EVCLOCK_MAX) < 0)
        return -1;
    size_t i = c->n++;
    c->v[i] = t;
    while (i > 0 && c->v[(i - 1) / 2] > c->v[i]) {
        int64_t tmp = c->v[i];
        c->v[i] = c->v[(i - 1) / 2];
        c->v[(i - 1) / 2] = tmp;
        i = (i - 1) / 2;
    }
    return 0;
}

int evclock_push_after_alert(evclock_t *c, const alert_cfg_t *cfg, int64_t t)
{
    int rc = evclock_push(c, t + EVCLOCK_TICK_MS);
    rc |= evclock_push(c, t + cfg->incident_update_ms);
    rc |= evclock_push(c, t + cfg->incident_quiet_ms);
    rc |= evclock_push(c, t + cfg->fold_window_ms + 1);
    return rc ? -1 : 0;
}

int evclock_next(evclock_t *c, int64_t before, int inclusive, int64_t *t)
{
    if (c->n == 0 || c->v[0] > before || (!inclusive && c->v[0] == before))
        return 0;
    *t = c->v[0];
    c->v[0] = c->v[--c->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < c->n && c->v[l] < c->v[m])
            m = l;
        if (r < c->n && c->v[r] < c->v[m])
            m = r;
        if (m == i)
            break;
        int64_t tmp = c->v[i];
        c->v[i] = c->v[m];
        c->v[m] = tmp;
        i = m;
    }
    return 1;
}

size_t evclock_size(const evclock_t *c) { return c->n; }
