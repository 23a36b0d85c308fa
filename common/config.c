/* config.c — binding YAML onto typed structs through key tables (see config.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileutil.h"
#include "log.h"
#include "timeutil.h"

#define FIELD(base, off, type) ((type *)((char *)(base) + (off)))

const bp_cfg_entry_t bp_kafka_cfg_table[] = {
    {"brokers", BP_CFG_STR, "127.0.0.1:9092", offsetof(bp_kafka_cfg_t, brokers),
     "bootstrap servers (BP_BROKERS and --brokers override it)", NULL, NULL, NULL, 0},
    {"group", BP_CFG_STR, NULL, offsetof(bp_kafka_cfg_t, group), "consumer group id", NULL, NULL,
     NULL, 0},
    {"client_id", BP_CFG_STR, NULL, offsetof(bp_kafka_cfg_t, client_id),
     "client.id (default: the program name)", NULL, NULL, NULL, 0},
    {"rdkafka", BP_CFG_KV, NULL, offsetof(bp_kafka_cfg_t, rdkafka),
     "librdkafka properties passed as they are", NULL, NULL, NULL, 0},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0}};

const bp_cfg_entry_t bp_topics_cfg_table[] = {
    {"posts", BP_CFG_STR, "bp.posts", offsetof(bp_topics_cfg_t, posts), "collected posts", NULL,
     NULL, NULL, 0},
    {"mentions", BP_CFG_STR, "bp.mentions", offsetof(bp_topics_cfg_t, mentions),
     "every brand match", NULL, NULL, NULL, 0},
    {"alerts", BP_CFG_STR, "bp.alerts", offsetof(bp_topics_cfg_t, alerts),
     "mentions to alert on", NULL, NULL, NULL, 0},
    {"deadletter", BP_CFG_STR, "bp.deadletter", offsetof(bp_topics_cfg_t, deadletter),
     "unprocessable records", NULL, NULL, NULL, 0},
    {"deliveries", BP_CFG_STR, "bp.deliveries", offsetof(bp_topics_cfg_t, deliveries),
     "delivery audit", NULL, NULL, NULL, 0},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0}};

void bp_strlist_free(bp_strlist_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int bp_strlist_push(bp_strlist_t *l, const char *s)
{
    char **v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v)
        return -1;
    l->v = v;
    if (!(v[l->n] = strdup(s)))
        return -1;
    l->n++;
    return 0;
}

int bp_strlist_contains(const bp_strlist_t *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

void bp_kvlist_free(bp_kvlist_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->k[i]);
        free(l->v[i]);
    }
    free(l->k);
    free(l->v);
    l->k = l->v = NULL;
    l->n = 0;
}

int bp_kvlist_set(bp_kvlist_t *l, const char *k, const char *v)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->k[i], k) == 0) {
            char *nv = strdup(v);
            if (!nv)
                return -1;
            free(l->v[i]);
            l->v[i] = nv;
            return 0;
        }
    }
    char **nk = realloc(l->k, (l->n + 1) * sizeof *nk);
    if (!nk)
        return -1;
    l->k = nk;
    char **nvv = realloc(l->v, (l->n + 1) * sizeof *nvv);
    if (!nvv)
        return -1;
    l->v = nvv;
    l->k[l->n] = strdup(k);
    l->v[l->n] = strdup(v);
    if (!l->k[l->n] || !l->v[l->n]) {
        free(l->k[l->n]);
        free(l->v[l->n]);
        return -1;
    }
    l->n++;
    return 0;
}

const char *bp_kvlist_get(const bp_kvlist_t *l, const char *k)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->k[i], k) == 0)
            return l->v[i];
    return NULL;
}

char *bp_secret_read(const char *env_name, const char *file_path, char *err, size_t errlen)
{
    if (env_name && *env_name) {
        const char *v = getenv(env_name);
        if (v && *v)
            return strdup(v);
        if (!file_path) {
            bp_seterr(err, errlen, "environment variable %s is not set", env_name);
            return NULL;
        }
    }
    if (file_path && *file_path) {
        size_t len;
        char *v = bp_file_read(file_path, 64 * 1024, &len);
        if (!v) {
            bp_seterr(err, errlen, "cannot read secret file %s: %s", file_path, strerror(errno));
            return NULL;
        }
        while (len > 0 && (v[len - 1] == '\n' || v[len - 1] == '\r'))
            v[--len] = '\0';
        return v;
    }
    bp_seterr(err, errlen, "no environment variable or file given");
    return NULL;
}

/* ---- binding ---- */

static int cfg_set_scalar(const bp_cfg_entry_t *e, void *base, const bp_ynode_t *n, char *err,
                          size_t errlen);

static int cfg_strlist_from(const bp_ynode_t *n, bp_strlist_t *l, const char *key, char *err,
                            size_t errlen)
{
    bp_strlist_free(l);
    if (bp_yaml_is_null(n))
        return 0;
    if (n->type == BP_Y_SCALAR)
        return bp_strlist_push(l, n->value);
    if (n->type != BP_Y_SEQ)
        return bp_yaml_error(n, err, errlen, "key '%s': expected a list, got %s", key,
                             bp_yaml_type_name(n->type));
    for (size_t i = 0; i < n->n; i++) {
        const bp_ynode_t *it = n->items[i];
        if (it->type != BP_Y_SCALAR)
            return bp_yaml_error(it, err, errlen, "key '%s': item %zu: expected a scalar, got %s",
                                 key, i + 1, bp_yaml_type_name(it->type));
        if (bp_strlist_push(l, it->value) != 0)
            return bp_yaml_error(it, err, errlen, "out of memory");
    }
    return 0;
}

static int cfg_secret_from(const bp_ynode_t *n, char **out, const char *key, char *err,
                           size_t errlen)
{
    if (n->type != BP_Y_MAP)
        return bp_yaml_error(n, err, errlen,
                             "key '%s': a secret is given as {env: VARIABLE} or {file: PATH}, "
                             "never written in the file",
                             key);
    const char *env = NULL, *file = NULL;
    for (size_t i = 0; i < n->n; i++) {
        const bp_ynode_t *k = n->keys[i], *v = n->items[i];
        if (v->type != BP_Y_SCALAR)
            return bp_yaml_error(v, err, errlen, "key '%s.%s': expected a scalar", key, k->value);
        if (strcmp(k->value, "env") == 0)
            env = v->value;
        else if (strcmp(k->value, "file") == 0)
            file = v->value;
        else
            return bp_yaml_error(k, err, errlen, "key '%s': unknown key '%s' (use env or file)",
                                 key, k->value);
    }
    char msg[256];
    char *s = bp_secret_read(env, file, msg, sizeof msg);
    if (!s)
        return bp_yaml_error(n, err, errlen, "key '%s': %s", key, msg);
    free(*out);
    *out = s;
    return 0;
}

static int cfg_set_scalar(const bp_cfg_entry_t *e, void *base, const bp_ynode_t *n, char *err,
                          size_t errlen)
{
    void *f = (char *)base + e->offset;
    if (e->type != BP_CFG_STR && e->type != BP_CFG_STRLIST && n->type != BP_Y_SCALAR)
        return bp_yaml_error(n, err, errlen, "key '%s': expected a scalar, got %s", e->key,
                             bp_yaml_type_name(n->type));
    char sub[512];
    switch (e->type) {
    case BP_CFG_STR: {
        if (n->type != BP_Y_SCALAR)
            return bp_yaml_error(n, err, errlen, "key '%s': expected a string, got %s", e->key,
                                 bp_yaml_type_name(n->type));
        char *s = strdup(bp_yaml_is_null(n) ? "" : n->value);
        if (!s)
            return bp_yaml_error(n, err, errlen, "out of memory");
        free(*(char **)f);
        *(char **)f = s;
        return 0;
    }
    case BP_CFG_INT:
        if (bp_yaml_as_int(n, (long long *)f, sub, sizeof sub) != 0)
            return bp_yaml_error(n, err, errlen, "key '%s': expected an integer, got '%s'",
                                 e->key, n->value);
        return 0;
    case BP_CFG_BOOL:
        if (bp_yaml_as_bool(n, (int *)f, sub, sizeof sub) != 0)
            return bp_yaml_error(n, err, errlen, "key '%s': expected true or false, got '%s'",
                                 e->key, n->value);
        return 0;
    case BP_CFG_DOUBLE:
        if (bp_yaml_as_double(n, (double *)f, sub, sizeof sub) != 0)
            return bp_yaml_error(n, err, errlen, "key '%s': expected a number, got '%s'", e->key,
                                 n->value);
        return 0;
    case BP_CFG_DURATION:
        if (bp_duration_parse(n->value, (int64_t *)f) != 0)
            return bp_yaml_error(n, err, errlen,
                                 "key '%s': expected a duration like 30s, 5m, 250ms, got '%s'",
                                 e->key, n->value);
        return 0;
    default:
        return bp_yaml_error(n, err, errlen, "key '%s': internal: bad type", e->key);
    }
}

static int cfg_apply_default(const bp_cfg_entry_t *e, void *base, char *err, size_t errlen)
{
    void *f = (char *)base + e->offset;
    switch (e->type) {
    case BP_CFG_STR:
    case BP_CFG_SECRET:
        free(*(char **)f);
        *(char **)f = e->def ? strdup(e->def) : NULL;
        return 0;
    case BP_CFG_INT:
        *(long long *)f = e->def ? strtoll(e->def, NULL, 10) : 0;
        return 0;
    case BP_CFG_BOOL:
        *(int *)f = e->def && (strcmp(e->def, "true") == 0 || strcmp(e->def, "1") == 0);
        return 0;
    case BP_CFG_DOUBLE:
        *(double *)f = e->def ? strtod(e->def, NULL) : 0.0;
        return 0;
    case BP_CFG_DURATION:
        *(int64_t *)f = 0;
        if (e->def && bp_duration_parse(e->def, (int64_t *)f) != 0)
            return bp_seterr(err, errlen, "internal: bad default for '%s'", e->key);
        return 0;
    case BP_CFG_STRLIST: {
        bp_strlist_t *l = f;
        memset(l, 0, sizeof *l);
        if (e->def) {
            char *copy = strdup(e->def), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                bp_strlist_push(l, t);
            free(copy);
        }
        return 0;
    }
    case BP_CFG_KV:
        memset(f, 0, sizeof(bp_kvlist_t));
        return 0;
    case BP_CFG_SECTION:
        return bp_cfg_defaults(e->sub, (char *)base + e->offset, err, errlen);
    case BP_CFG_CUSTOM:
        return 0; /* the owner zeroes the struct */
    }
    return 0;
}

int bp_cfg_defaults(const bp_cfg_entry_t *table, void *base, char *err, size_t errlen)
{
    for (const bp_cfg_entry_t *e = table; e->key; e++)
        if (cfg_apply_default(e, base, err, errlen) != 0)
            return -1;
    return 0;
}

static int cfg_bind_entry(const bp_cfg_entry_t *e, void *base, const bp_ynode_t *n, char *err,
                          size_t errlen)
{
    void *f = (char *)base + e->offset;
    switch (e->type) {
    case BP_CFG_STRLIST:
        return cfg_strlist_from(n, f, e->key, err, errlen);
    case BP_CFG_SECRET:
        return cfg_secret_from(n, (char **)f, e->key, err, errlen);
    case BP_CFG_KV: {
        if (bp_yaml_is_null(n))
            return 0;
        if (n->type != BP_Y_MAP)
            return bp_yaml_error(n, err, errlen, "key '%s': expected a mapping, got %s", e->key,
                                 bp_yaml_type_name(n->type));
        for (size_t i = 0; i < n->n; i++) {
            if (n->items[i]->type != BP_Y_SCALAR)
                return bp_yaml_error(n->items[i], err, errlen,
                                     "key '%s.%s': expected a scalar", e->key,
                                     n->keys[i]->value);
            if (bp_kvlist_set(f, n->keys[i]->value, n->items[i]->value) != 0)
                return bp_yaml_error(n, err, errlen, "out of memory");
        }
        return 0;
    }
    case BP_CFG_SECTION:
        if (bp_yaml_is_null(n))
            return 0;
        if (n->type != BP_Y_MAP)
            return bp_yaml_error(n, err, errlen, "key '%s': expected a mapping, got %s", e->key,
                                 bp_yaml_type_name(n->type));
        return bp_cfg_bind(n, e->sub, f, err, errlen);
    case BP_CFG_CUSTOM:
        return e->parse(n, f, err, errlen);
    default:
        return cfg_set_scalar(e, base, n, err, errlen);
    }
}

int bp_cfg_bind(const bp_ynode_t *map, const bp_cfg_entry_t *table, void *base, char *err,
                size_t errlen)
{
    if (map->type != BP_Y_MAP)
        return bp_yaml_error(map, err, errlen, "expected a mapping, got %s",
                             bp_yaml_type_name(map->type));
    for (size_t i = 0; i < map->n; i++) {
        const char *key = map->keys[i]->value;
        const bp_cfg_entry_t *e = table;
        while (e->key && strcmp(e->key, key) != 0)
            e++;
        if (!e->key) {
            char known[512] = "";
            size_t used = 0;
            for (const bp_cfg_entry_t *k = table; k->key && used < sizeof known - 40; k++)
                used += (size_t)snprintf(known + used, sizeof known - used, "%s%s",
                                         k == table ? "" : ", ", k->key);
            return bp_yaml_error(map->keys[i], err, errlen, "unknown key '%s' (known: %s)", key,
                                 known);
        }
        if (cfg_bind_entry(e, base, map->items[i], err, errlen) != 0)
            return -1;
    }
    for (const bp_cfg_entry_t *e = table; e->key; e++)
        if (e->required && !bp_yaml_get(map, e->key))
            return bp_yaml_error(map, err, errlen, "missing required key '%s'", e->key);
    return 0;
}

void bp_cfg_free(const bp_cfg_entry_t *table, void *base)
{
    for (const bp_cfg_entry_t *e = table; e->key; e++) {
        void *f = (char *)base + e->offset;
        switch (e->type) {
        case BP_CFG_STR:
        case BP_CFG_SECRET:
            free(*(char **)f);
            *(char **)f = NULL;
            break;
        case BP_CFG_STRLIST:
            bp_strlist_free(f);
            break;
        case BP_CFG_KV:
            bp_kvlist_free(f);
            break;
        case BP_CFG_SECTION:
            bp_cfg_free(e->sub, f);
            break;
        case BP_CFG_CUSTOM:
            if (e->free_fn)
                e->free_fn(f);
            break;
        default:
            break;
        }
    }
}

void bp_cfg_print_help(const bp_cfg_entry_t *table, int indent)
{
    static const char *const tn[] = {"string", "integer", "bool",   "number",  "duration",
                                     "list",   "mapping", "secret", "section", "list"};
    for (const bp_cfg_entry_t *e = table; e->key; e++) {
        printf("%*s%s (%s", indent, "", e->key, tn[e->type]);
        if (e->def)
            printf(", default %s", e->def);
        printf("): %s\n", e->help ? e->help : "");
        if (e->type == BP_CFG_SECTION)
            bp_cfg_print_help(e->sub, indent + 2);
    }
}

int bp_cfg_load(const char *path, const bp_cfg_entry_t *table, void *base,
                bp_common_cfg_t *common, const char *brokers_override, char *err, size_t errlen)
{
    if (bp_cfg_defaults(table, base, err, errlen) != 0)
        return -1;
    if (path) {
        bp_ynode_t *root = bp_yaml_load_file(path, err, errlen);
        if (!root)
            return -1;
        int rc = bp_cfg_bind(root, table, base, err, errlen);
        bp_yaml_free(root);
        if (rc != 0)
            return -1;
    }
    if (common) {
        const char *env = getenv("BP_BROKERS");
        const char *b = brokers_override && *brokers_override ? brokers_override
                        : env && *env                         ? env
                                                              : NULL;
        if (b) {
            free(common->kafka.brokers);
            common->kafka.brokers = strdup(b);
        }
        if (common->log_level && *common->log_level) {
            enum bp_log_level lvl;
            if (bp_log_level_parse(common->log_level, &lvl) != 0)
                return bp_seterr(err, errlen, "%s: key 'log_level': expected debug, info, warn "
                                              "or error, got '%s'",
                                 path ? path : "defaults", common->log_level);
            bp_log_set_level(lvl);
        }
    }
    return 0;
}
