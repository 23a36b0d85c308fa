/* config.h — typed configuration from YAML: a table of keys (type, default, offset, help)
 * binds a YAML mapping onto a struct. Unknown keys are errors, so a typo never silently
 * disables a setting. Secrets come from the environment or a file, never from the YAML text. */
#ifndef BP_CONFIG_H
#define BP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "yamltree.h"

typedef struct bp_strlist {
    char **v;
    size_t n;
} bp_strlist_t;

typedef struct bp_kvlist { /* an ordered string->string mapping, e.g. librdkafka settings */
    char **k, **v;
    size_t n;
} bp_kvlist_t;

typedef enum {
    BP_CFG_STR,      /* char *          */
    BP_CFG_INT,      /* long long       */
    BP_CFG_BOOL,     /* int (0/1)       */
    BP_CFG_DOUBLE,   /* double          */
    BP_CFG_DURATION, /* int64_t ms: "30s", "5m", "250ms", bare number = seconds */
    BP_CFG_STRLIST,  /* bp_strlist_t: a list of scalars (a single scalar is a list of one) */
    BP_CFG_KV,       /* bp_kvlist_t: a mapping of scalars */
    BP_CFG_SECRET,   /* char *: YAML gives {env: NAME} or {file: PATH}; the value is read */
    BP_CFG_SECTION,  /* a nested mapping bound with `sub` onto the same struct */
    BP_CFG_CUSTOM,   /* `parse` is called with the node and a pointer to the field */
} bp_cfg_type_t;

typedef struct bp_cfg_entry {
    const char *key;
    bp_cfg_type_t type;
    const char *def;  /* default as text (NULL: zero / NULL); parsed like YAML would be */
    size_t offset;    /* offsetof the field in the bound struct */
    const char *help;
    const struct bp_cfg_entry *sub; /* SECTION: its table, terminated by {NULL} */
    /* CUSTOM: parse node into field; return 0 or -1 with a positioned message in err.
     * free_fn (may be NULL) releases what parse stored. */
    int (*parse)(const bp_ynode_t *node, void *field, char *err, size_t errlen);
    void (*free_fn)(void *field);
    int required;
} bp_cfg_entry_t;

/* Sets every field of the table to its default. Returns 0, or -1 if a default is bad
 * (a programming error, reported in err). */
int bp_cfg_defaults(const bp_cfg_entry_t *table, void *base, char *err, size_t errlen);
/* Binds a MAP node onto base. Unknown keys, wrong types and missing required keys give -1
 * with "file:line:col: key 'x': message" in err. Fields not named keep their values. */
int bp_cfg_bind(const bp_ynode_t *map, const bp_cfg_entry_t *table, void *base, char *err,
                size_t errlen);
/* Frees every string, list and custom field of the table in base. */
void bp_cfg_free(const bp_cfg_entry_t *table, void *base);
/* Prints the table as help text ("  key (type, default X): help"), indented by section. */
void bp_cfg_print_help(const bp_cfg_entry_t *table, int indent);

void bp_strlist_free(bp_strlist_t *l);
int bp_strlist_push(bp_strlist_t *l, const char *s); /* copies s; 0 or -1 */
int bp_strlist_contains(const bp_strlist_t *l, const char *s);
void bp_kvlist_free(bp_kvlist_t *l);
int bp_kvlist_set(bp_kvlist_t *l, const char *k, const char *v); /* replaces or appends */
const char *bp_kvlist_get(const bp_kvlist_t *l, const char *k);

/* Reads a secret: from environment variable env_name, else from file_path (trailing newline
 * removed). Returns a malloc'd string, or NULL with a message in err (which never contains
 * the secret itself). */
char *bp_secret_read(const char *env_name, const char *file_path, char *err, size_t errlen);

/* ---- what every Kafka program shares ---- */

typedef struct bp_kafka_cfg {
    char *brokers;       /* bootstrap servers; overridden by BP_BROKERS, then by --brokers */
    char *group;         /* consumer group id (consumers only) */
    char *client_id;
    bp_kvlist_t rdkafka; /* passed straight to librdkafka (e.g. session.timeout.ms) */
} bp_kafka_cfg_t;

typedef struct bp_topics_cfg {
    char *posts, *mentions, *alerts, *deadletter, *deliveries;
} bp_topics_cfg_t;

typedef struct bp_common_cfg {
    bp_kafka_cfg_t kafka;
    bp_topics_cfg_t topics;
    char *log_level;
    char *metrics_listen; /* "127.0.0.1:9464" or "" for none */
} bp_common_cfg_t;

extern const bp_cfg_entry_t bp_kafka_cfg_table[];
extern const bp_cfg_entry_t bp_topics_cfg_table[];
/* The entries `kafka`, `topics`, `log_level`, `metrics_listen` for a program's top-level table,
 * given the offset of its bp_common_cfg_t field. Use as:
 *   BP_CFG_COMMON_ENTRIES(offsetof(struct my_cfg, common)), ...own entries..., {NULL} */
#define BP_CFG_COMMON_ENTRIES(off)                                                           \
    {"kafka", BP_CFG_SECTION, NULL, (off) + offsetof(bp_common_cfg_t, kafka),                \
     "Kafka connection", bp_kafka_cfg_table, NULL, NULL, 0},                                 \
    {"topics", BP_CFG_SECTION, NULL, (off) + offsetof(bp_common_cfg_t, topics),              \
     "topic names", bp_topics_cfg_table, NULL, NULL, 0},                                     \
    {"log_level", BP_CFG_STR, "info", (off) + offsetof(bp_common_cfg_t, log_level),          \
     "debug, info, warn or error", NULL, NULL, NULL, 0},                                     \
    {"metrics_listen", BP_CFG_STR, "", (off) + offsetof(bp_common_cfg_t, metrics_listen),    \
     "host:port for Prometheus metrics, empty for none", NULL, NULL, NULL, 0}

/* Loads a program's configuration: defaults, then the YAML file (path may be NULL: defaults
 * only), then BP_BROKERS from the environment, then brokers_override (may be NULL); sets the
 * log level. Returns 0, or -1 with the message in err. */
int bp_cfg_load(const char *path, const bp_cfg_entry_t *table, void *base,
                bp_common_cfg_t *common, const char *brokers_override, char *err,
                size_t errlen);

#endif
