/* yamltree.h — YAML (libyaml) read into a small tree that remembers line and column of every
 * node, so configuration and rule errors can name file:line:column. Aliases are refused and
 * nesting is limited (libyaml 0.2.5 has no limit of its own). */
#ifndef BP_YAMLTREE_H
#define BP_YAMLTREE_H

#include <stddef.h>

typedef enum { BP_Y_SCALAR, BP_Y_SEQ, BP_Y_MAP } bp_ytype_t;

typedef struct bp_ynode {
    bp_ytype_t type;
    int line, col;      /* 1-based position where the node starts */
    const char *file;   /* name of the file it came from (owned by the tree's root) */
    char *value;        /* SCALAR: text, NUL-terminated (may contain NUL if len says so) */
    size_t len;         /* SCALAR: length of value */
    int quoted;         /* SCALAR: written in quotes or as a block: never null/bool/number */
    size_t n;           /* SEQ: number of items; MAP: number of pairs */
    struct bp_ynode **items; /* SEQ: the items; MAP: the values */
    struct bp_ynode **keys;  /* MAP: the keys (always scalars; duplicates are refused) */
} bp_ynode_t;

#define BP_YAML_MAX_DEPTH 64
#define BP_YAML_MAX_NODES 2000000
#define BP_YAML_MAX_BYTES ((size_t)64 << 20)

/* Loads one YAML document. Returns the root (an empty document gives an empty MAP), or NULL
 * with "file:line:col: message" in err. The caller frees the tree with bp_yaml_free. */
bp_ynode_t *bp_yaml_load_file(const char *path, char *err, size_t errlen);
bp_ynode_t *bp_yaml_load_string(const char *text, size_t len, const char *name, char *err,
                                size_t errlen);
void bp_yaml_free(bp_ynode_t *root); /* accepts NULL */

/* MAP lookup by key; NULL if node is not a MAP or has no such key. */
bp_ynode_t *bp_yaml_get(const bp_ynode_t *map, const char *key);
/* A short name for a node type, for messages: "a scalar", "a list", "a mapping". */
const char *bp_yaml_type_name(bp_ytype_t t);
/* Formats "file:line:col: " + message into err and returns -1. */
int bp_yaml_error(const bp_ynode_t *at, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Scalar conversions; each returns 0, or -1 with a positioned message in err. */
int bp_yaml_as_bool(const bp_ynode_t *n, int *out, char *err, size_t errlen);
int bp_yaml_as_int(const bp_ynode_t *n, long long *out, char *err, size_t errlen);
int bp_yaml_as_double(const bp_ynode_t *n, double *out, char *err, size_t errlen);
int bp_yaml_is_null(const bp_ynode_t *n); /* unquoted "", "~", "null" */

#endif
