/* yamltree.c — libyaml events into a positioned node tree; aliases refused, depth capped
 * (see yamltree.h). */
#include "yamltree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "fileutil.h"

typedef struct ytree_build {
    const char *file;
    size_t nodes;
    char *err;
    size_t errlen;
} ytree_build_t;

static void ynode_free(bp_ynode_t *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        ynode_free(n->items[i]);
        if (n->keys)
            ynode_free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->value);
    free(n);
}

void bp_yaml_free(bp_ynode_t *root)
{
    if (!root)
        return;
    char *file = (char *)root->file;
    ynode_free(root);
    free(file);
}

static int yerr(ytree_build_t *b, int line, int col, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(b->err, b->errlen, "%s:%d:%d: %s", b->file, line, col, msg);
    return -1;
}

static bp_ynode_t *ynode_new(ytree_build_t *b, bp_ytype_t t, const yaml_mark_t *m)
{
    if (++b->nodes > BP_YAML_MAX_NODES) {
        yerr(b, (int)m->line + 1, (int)m->column + 1, "document has more than %d nodes",
             BP_YAML_MAX_NODES);
        return NULL;
    }
    bp_ynode_t *n = calloc(1, sizeof *n);
    if (!n) {
        yerr(b, (int)m->line + 1, (int)m->column + 1, "out of memory");
        return NULL;
    }
    n->type = t;
    n->line = (int)m->line + 1;
    n->col = (int)m->column + 1;
    n->file = b->file;
    return n;
}

static int ynode_push(bp_ynode_t *parent, bp_ynode_t *key, bp_ynode_t *val)
{
    /* capacity is 4 for n < 4, then n itself whenever n is a power of two: double there */
    size_t n = parent->n;
    if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
        size_t cap = n ? n * 2 : 4;
        bp_ynode_t **it = realloc(parent->items, cap * sizeof *it);
        if (!it)
            return -1;
        parent->items = it;
        if (parent->type == BP_Y_MAP) {
            bp_ynode_t **k = realloc(parent->keys, cap * sizeof *k);
            if (!k)
                return -1;
            parent->keys = k;
        }
    }
    parent->items[n] = val;
    if (parent->type == BP_Y_MAP)
        parent->keys[n] = key;
    parent->n = n + 1;
    return 0;
}

/* Parses the next node (its first event already in ev) and returns it. */
static bp_ynode_t *yparse_node(ytree_build_t *b, yaml_parser_t *p, yaml_event_t *ev, int depth)
{
    if (depth > BP_YAML_MAX_DEPTH) {
        yerr(b, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
             "nesting deeper than %d levels", BP_YAML_MAX_DEPTH);
        return NULL;
    }
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        yerr(b, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
             "YAML aliases (*%s) are not allowed", (const char *)ev->data.alias.anchor);
        return NULL;
    case YAML_SCALAR_EVENT: {
        bp_ynode_t *n = ynode_new(b, BP_Y_SCALAR, &ev->start_mark);
        if (!n)
            return NULL;
        n->len = ev->data.scalar.length;
        n->value = malloc(n->len + 1);
        if (!n->value) {
            ynode_free(n);
            yerr(b, n->line, n->col, "out of memory");
            return NULL;
        }
        memcpy(n->value, ev->data.scalar.value, n->len);
        n->value[n->len] = '\0';
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        return n;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int is_map = ev->type == YAML_MAPPING_START_EVENT;
        bp_ynode_t *n = ynode_new(b, is_map ? BP_Y_MAP : BP_Y_SEQ, &ev->start_mark);
        if (!n)
            return NULL;
        for (;;) {
            yaml_event_t e;
            if (!yaml_parser_parse(p, &e)) {
                yerr(b, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1, "%s",
                     p->problem ? p->problem : "YAML syntax error");
                ynode_free(n);
                return NULL;
            }
            if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&e);
                return n;
            }
            bp_ynode_t *key = NULL;
            if (is_map) {
                key = yparse_node(b, p, &e, depth + 1);
                yaml_event_delete(&e);
                if (!key) {
                    ynode_free(n);
                    return NULL;
                }
                if (key->type != BP_Y_SCALAR) {
                    yerr(b, key->line, key->col, "mapping keys must be scalars");
                    ynode_free(key);
                    ynode_free(n);
                    return NULL;
                }
                if (bp_yaml_get(n, key->value)) {
                    yerr(b, key->line, key->col, "duplicate key '%s'", key->value);
                    ynode_free(key);
                    ynode_free(n);
                    return NULL;
                }
                if (!yaml_parser_parse(p, &e)) {
                    yerr(b, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1, "%s",
                         p->problem ? p->problem : "YAML syntax error");
                    ynode_free(key);
                    ynode_free(n);
                    return NULL;
                }
            }
            bp_ynode_t *val = yparse_node(b, p, &e, depth + 1);
            yaml_event_delete(&e);
            if (!val || ynode_push(n, key, val) != 0) {
                if (val)
                    yerr(b, val->line, val->col, "out of memory");
                ynode_free(val);
                ynode_free(key);
                ynode_free(n);
                return NULL;
            }
        }
    }
    default:
        yerr(b, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
             "unexpected YAML event %d", (int)ev->type);
        return NULL;
    }
}

bp_ynode_t *bp_yaml_load_string(const char *text, size_t len, const char *name, char *err,
                                size_t errlen)
{
    static char dummy[1];
    ytree_build_t b = {NULL, 0, err ? err : dummy, err ? errlen : sizeof dummy};
    char *file = strdup(name ? name : "<string>");
    if (!file)
        return NULL;
    b.file = file;
    if (len > BP_YAML_MAX_BYTES) {
        yerr(&b, 1, 1, "file larger than %zu bytes", BP_YAML_MAX_BYTES);
        free(file);
        return NULL;
    }
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        yerr(&b, 1, 1, "cannot initialize the YAML parser");
        free(file);
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    bp_ynode_t *root = NULL;
    int docs = 0, ok = 1;
    for (;;) {
        yaml_event_t e;
        if (!yaml_parser_parse(&p, &e)) {
            yerr(&b, (int)p.problem_mark.line + 1, (int)p.problem_mark.column + 1, "%s",
                 p.problem ? p.problem : "YAML syntax error");
            ok = 0;
            break;
        }
        yaml_event_type_t t = e.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&e);
            break;
        }
        if (t == YAML_DOCUMENT_START_EVENT) {
            if (++docs > 1) {
                yerr(&b, (int)e.start_mark.line + 1, (int)e.start_mark.column + 1,
                     "only one YAML document per file");
                yaml_event_delete(&e);
                ok = 0;
                break;
            }
        } else if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT ||
                   t == YAML_SCALAR_EVENT || t == YAML_ALIAS_EVENT) {
            root = yparse_node(&b, &p, &e, 0);
            if (!root) {
                yaml_event_delete(&e);
                ok = 0;
                break;
            }
        }
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&p);
    if (!ok) {
        ynode_free(root);
        free(file);
        return NULL;
    }
    if (!root || (root->type == BP_Y_SCALAR && bp_yaml_is_null(root))) {
        yaml_mark_t m = {0, 0, 0};
        ynode_free(root);
        root = ynode_new(&b, BP_Y_MAP, &m);
        if (!root) {
            free(file);
            return NULL;
        }
    }
    return root;
}

bp_ynode_t *bp_yaml_load_file(const char *path, char *err, size_t errlen)
{
    size_t len;
    char *text = bp_file_read(path, BP_YAML_MAX_BYTES, &len);
    if (!text) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    bp_ynode_t *root = bp_yaml_load_string(text, len, path, err, errlen);
    free(text);
    return root;
}

bp_ynode_t *bp_yaml_get(const bp_ynode_t *map, const char *key)
{
    if (!map || map->type != BP_Y_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->value, key) == 0)
            return map->items[i];
    return NULL;
}

const char *bp_yaml_type_name(bp_ytype_t t)
{
    return t == BP_Y_SCALAR ? "a scalar" : t == BP_Y_SEQ ? "a list" : "a mapping";
}

int bp_yaml_error(const bp_ynode_t *at, char *err, size_t errlen, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (err && errlen) {
        if (at)
            snprintf(err, errlen, "%s:%d:%d: %s", at->file, at->line, at->col, msg);
        else
            snprintf(err, errlen, "%s", msg);
    }
    return -1;
}

int bp_yaml_is_null(const bp_ynode_t *n)
{
    return n && n->type == BP_Y_SCALAR && !n->quoted &&
           (n->len == 0 || strcmp(n->value, "~") == 0 || strcmp(n->value, "null") == 0 ||
            strcmp(n->value, "Null") == 0 || strcmp(n->value, "NULL") == 0);
}

int bp_yaml_as_bool(const bp_ynode_t *n, int *out, char *err, size_t errlen)
{
    if (n->type != BP_Y_SCALAR)
        return bp_yaml_error(n, err, errlen, "expected true or false, got %s",
                             bp_yaml_type_name(n->type));
    static const char *const t[] = {"true", "True", "TRUE", "yes", "Yes", "on", "On"};
    static const char *const f[] = {"false", "False", "FALSE", "no", "No", "off", "Off"};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        if (strcmp(n->value, t[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcmp(n->value, f[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return bp_yaml_error(n, err, errlen, "expected true or false, got '%s'", n->value);
}

int bp_yaml_as_int(const bp_ynode_t *n, long long *out, char *err, size_t errlen)
{
    if (n->type != BP_Y_SCALAR)
        return bp_yaml_error(n, err, errlen, "expected an integer, got %s",
                             bp_yaml_type_name(n->type));
    errno = 0;
    char *end;
    long long v = strtoll(n->value, &end, 10);
    if (errno || end == n->value || *end != '\0')
        return bp_yaml_error(n, err, errlen, "expected an integer, got '%s'", n->value);
    *out = v;
    return 0;
}

int bp_yaml_as_double(const bp_ynode_t *n, double *out, char *err, size_t errlen)
{
    if (n->type != BP_Y_SCALAR)
        return bp_yaml_error(n, err, errlen, "expected a number, got %s",
                             bp_yaml_type_name(n->type));
    errno = 0;
    char *end;
    double v = strtod(n->value, &end);
    if (errno || end == n->value || *end != '\0')
        return bp_yaml_error(n, err, errlen, "expected a number, got '%s'", n->value);
    *out = v;
    return 0;
}
