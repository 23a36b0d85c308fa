/* rpcmp.c — comparing two rule sets' judgements of one post (see rpcmp.h). */
#include "rpcmp.h"

#include <stdio.h>
#include <string.h>

#include "model.h"

static const char *const rpcmp_names[] = {"match", "brands", "alert", "priority", "label"};

/* 1 if the string arrays x and y hold the same set of strings. */
static int rpcmp_same_set(const json_t *x, const json_t *y)
{
    size_t i, j;
    json_t *v, *w;
    json_array_foreach(x, i, v) {
        int found = 0;
        json_array_foreach(y, j, w) if (json_equal(v, w)) found = 1;
        if (!found)
            return 0;
    }
    json_array_foreach(y, j, w) {
        int found = 0;
        json_array_foreach(x, i, v) if (json_equal(v, w)) found = 1;
        if (!found)
            return 0;
    }
    return 1;
}

unsigned rpcmp_diff(const json_t *a, const json_t *b)
{
    if (!a && !b)
        return 0;
    unsigned d = 0;
    int aa = a && json_is_true(json_object_get(a, "alert"));
    int ab = b && json_is_true(json_object_get(b, "alert"));
    if (!a || !b) {
        d |= RPCMP_MATCH;
    } else {
        if (!rpcmp_same_set(json_object_get(a, "brands"), json_object_get(b, "brands")))
            d |= RPCMP_BRANDS;
        if (strcmp(bp_json_str(json_object_get(a, "sentiment"), "label"),
                   bp_json_str(json_object_get(b, "sentiment"), "label")) != 0)
            d |= RPCMP_LABEL;
        if (aa && ab && strcmp(bp_json_str(a, "priority"), bp_json_str(b, "priority")) != 0)
            d |= RPCMP_PRIORITY;
    }
    if (aa != ab)
        d |= RPCMP_ALERT;
    return d;
}

unsigned rpcmp_count(rpcmp_totals_t *t, const json_t *a, const json_t *b)
{
    t->posts++;
    const json_t *s[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (!s[i])
            continue;
        t->mentions[i]++;
        if (json_is_true(json_object_get(s[i], "alert")))
            t->alerts[i]++;
    }
    unsigned d = rpcmp_diff(a, b);
    if (d)
        t->differ++;
    for (int k = 0; k < 5; k++)
        if (d & (1u << k))
            t->by_kind[k]++;
    return d;
}

const char *rpcmp_kinds(unsigned mask, char *buf, size_t n)
{
    size_t len = 0;
    if (n)
        buf[0] = 0;
    for (int k = 0; k < 5; k++) {
        if (!(mask & (1u << k)))
            continue;
        int w = snprintf(buf + len, n > len ? n - len : 0, "%s%s", len ? "," : "", rpcmp_names[k]);
        if (w < 0 || (size_t)w >= n - len)
            break;
        len += (size_t)w;
    }
    return buf;
}

static json_t *rpcmp_side(const json_t *m)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "matched", json_boolean(m != NULL));
    if (m) {
        json_t *brands = json_object_get(m, "brands"), *reasons = json_object_get(m, "reasons");
        json_object_set_new(o, "brands", brands ? json_deep_copy(brands) : json_array());
        json_object_set_new(o, "alert", json_boolean(json_is_true(json_object_get(m, "alert"))));
        json_object_set_new(o, "priority", json_string(bp_json_str(m, "priority")));
        json_t *sent = json_object_get(m, "sentiment");
        json_object_set_new(o, "label", json_string(bp_json_str(sent, "label")));
        json_t *score = json_object_get(sent, "score");
        json_object_set_new(o, "score", score ? json_deep_copy(score) : json_null());
        json_object_set_new(o, "reasons", reasons ? json_deep_copy(reasons) : json_array());
    }
    return o;
}

json_t *rpcmp_record(const json_t *post, const json_t *a, const json_t *b, unsigned mask)
{
    json_t *o = json_object(), *kinds = json_array();
    if (!o || !kinds) {
        json_decref(o);
        json_decref(kinds);
        return NULL;
    }
    json_object_set_new(o, "id", json_string(bp_json_str(post, "id")));
    json_object_set_new(o, "published_at", json_string(bp_json_str(post, "published_at")));
    json_object_set_new(o, "text", json_string(bp_json_str(post, "text")));
    for (int k = 0; k < 5; k++)
        if (mask & (1u << k))
            json_array_append_new(kinds, json_string(rpcmp_names[k]));
    json_object_set_new(o, "diff", kinds);
    json_object_set_new(o, "a", rpcmp_side(a));
    json_object_set_new(o, "b", rpcmp_side(b));
    return o;
}
