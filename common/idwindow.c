/* idwindow.c — bounded id window: chained hash buckets for lookup, a ring for FIFO eviction. */
#include "idwindow.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fileutil.h"
#include "log.h"

typedef struct idwindow_node {
    struct idwindow_node *next; /* bucket chain */
    uint64_t hash;
    size_t ring_pos;
    char id[]; /* NUL-terminated */
} idwindow_node_t;

struct bp_idwindow {
    size_t cap;               /* most ids kept */
    size_t count;             /* ids kept now */
    size_t head;              /* ring index of the oldest id */
    idwindow_node_t **ring;   /* cap slots, FIFO order from head */
    idwindow_node_t **buckets;
    size_t nbuckets;          /* a power of two */
};

static uint64_t idwindow_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

bp_idwindow_t *bp_idwindow_new(size_t capacity)
{
    bp_idwindow_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    if (capacity == 0)
        capacity = 1;
    w->cap = capacity;
    w->nbuckets = 16;
    while (w->nbuckets < capacity * 2 && w->nbuckets < ((size_t)1 << 30))
        w->nbuckets <<= 1;
    w->ring = calloc(capacity, sizeof *w->ring);
    w->buckets = calloc(w->nbuckets, sizeof *w->buckets);
    if (!w->ring || !w->buckets) {
        bp_idwindow_free(w);
        return NULL;
    }
    return w;
}

void bp_idwindow_clear(bp_idwindow_t *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->count; i++) {
        size_t pos = (w->head + i) % w->cap;
        free(w->ring[pos]);
        w->ring[pos] = NULL;
    }
    if (w->buckets)
        memset(w->buckets, 0, w->nbuckets * sizeof *w->buckets);
    w->count = 0;
    w->head = 0;
}

void bp_idwindow_free(bp_idwindow_t *w)
{
    if (!w)
        return;
    if (w->ring)
        bp_idwindow_clear(w);
    free(w->ring);
    free(w->buckets);
    free(w);
}

static idwindow_node_t **idwindow_slot(const bp_idwindow_t *w, const char *id, uint64_t h)
{
    idwindow_node_t **pp = &w->buckets[h & (w->nbuckets - 1)];
    while (*pp && !((*pp)->hash == h && strcmp((*pp)->id, id) == 0))
        pp = &(*pp)->next;
    return pp;
}

int bp_idwindow_seen(const bp_idwindow_t *w, const char *id)
{
    if (!w || !id)
        return 0;
    return *idwindow_slot(w, id, idwindow_hash(id)) != NULL;
}

/* Unlinks node from its bucket chain. */
static void idwindow_unlink(bp_idwindow_t *w, idwindow_node_t *node)
{
    idwindow_node_t **pp = &w->buckets[node->hash & (w->nbuckets - 1)];
    while (*pp && *pp != node)
        pp = &(*pp)->next;
    if (*pp)
        *pp = node->next;
}

int bp_idwindow_add(bp_idwindow_t *w, const char *id)
{
    if (!w || !id)
        return -1;
    size_t len = strlen(id);
    if (len == 0 || len > BP_IDWINDOW_MAX_ID)
        return -1;
    uint64_t h = idwindow_hash(id);
    idwindow_node_t **pp = idwindow_slot(w, id, h);
    if (*pp)
        return 0;
    idwindow_node_t *node = malloc(sizeof *node + len + 1);
    if (!node)
        return -1;
    memcpy(node->id, id, len + 1);
    node->hash = h;
    node->next = NULL;
    if (w->count == w->cap) { /* forget the oldest */
        idwindow_node_t *old = w->ring[w->head];
        idwindow_unlink(w, old);
        free(old);
        w->ring[w->head] = NULL;
        w->head = (w->head + 1) % w->cap;
        w->count--;
        pp = idwindow_slot(w, id, h); /* the chain may have changed */
    }
    size_t pos = (w->head + w->count) % w->cap;
    node->ring_pos = pos;
    w->ring[pos] = node;
    w->count++;
    *pp = node;
    return 0;
}

int bp_idwindow_remove(bp_idwindow_t *w, const char *id)
{
    if (!w || !id)
        return 0;
    uint64_t h = idwindow_hash(id);
    idwindow_node_t **pp = idwindow_slot(w, id, h);
    idwindow_node_t *node = *pp;
    if (!node)
        return 0;
    *pp = node->next;
    /* close the gap in the ring: shift the newer ids one slot towards the head */
    size_t idx = (node->ring_pos + w->cap - w->head) % w->cap;
    for (size_t i = idx; i + 1 < w->count; i++) {
        size_t to = (w->head + i) % w->cap, from = (w->head + i + 1) % w->cap;
        w->ring[to] = w->ring[from];
        w->ring[to]->ring_pos = to;
    }
    w->ring[(w->head + w->count - 1) % w->cap] = NULL;
    w->count--;
    free(node);
    return 1;
}

size_t bp_idwindow_count(const bp_idwindow_t *w) { return w ? w->count : 0; }
size_t bp_idwindow_capacity(const bp_idwindow_t *w) { return w ? w->cap : 0; }

int bp_idwindow_save(const bp_idwindow_t *w, const char *path)
{
    bp_buf_t b;
    int rc = -1;
    bp_buf_init(&b, 0);
    if (bp_buf_puts(&b, "") < 0) /* so that an empty window still writes an empty file */
        goto out;
    for (size_t i = 0; i < w->count; i++) {
        const char *s = w->ring[(w->head + i) % w->cap]->id;
        for (; *s; s++) {
            int r;
            if (*s == '\\')
                r = bp_buf_puts(&b, "\\\\");
            else if (*s == '\n')
                r = bp_buf_puts(&b, "\\n");
            else if (*s == '\r')
                r = bp_buf_puts(&b, "\\r");
            else
                r = bp_buf_putc(&b, *s);
            if (r < 0) {
                errno = ENOMEM;
                goto out;
            }
        }
        if (bp_buf_putc(&b, '\n') < 0) {
            errno = ENOMEM;
            goto out;
        }
    }
    rc = bp_file_write_atomic(path, b.data, b.len);
out:
    bp_buf_free(&b);
    return rc;
}

int bp_idwindow_load(bp_idwindow_t *w, const char *path, char *err, size_t errlen)
{
    size_t len = 0, lineno = 0;
    char id[BP_IDWINDOW_MAX_ID + 1];
    int rc = -1;
    size_t max = (w->cap + 16) * (2 * BP_IDWINDOW_MAX_ID + 2);
    if (max > ((size_t)256 << 20))
        max = (size_t)256 << 20;
    char *data = bp_file_read(path, max, &len);
    if (!data) {
        if (errno == ENOENT)
            return 0;
        return bp_seterr(err, errlen, "%s: %s", path, strerror(errno));
    }
    size_t i = 0;
    while (i < len) {
        size_t n = 0;
        lineno++;
        while (i < len && data[i] != '\n') {
            char c = data[i++];
            if (c == '\\') {
                if (i >= len) {
                    bp_seterr(err, errlen, "%s:%zu: dangling backslash", path, lineno);
                    goto out;
                }
                char e = data[i++];
                c = e == 'n' ? '\n' : e == 'r' ? '\r' : e == '\\' ? '\\' : 0;
                if (!c) {
                    bp_seterr(err, errlen, "%s:%zu: bad escape '\\%c'", path, lineno, e);
                    goto out;
                }
            } else if (c == '\0') {
                bp_seterr(err, errlen, "%s:%zu: NUL byte", path, lineno);
                goto out;
            }
            if (n >= BP_IDWINDOW_MAX_ID) {
                bp_seterr(err, errlen, "%s:%zu: id longer than %d bytes", path, lineno,
                          BP_IDWINDOW_MAX_ID);
                goto out;
            }
            id[n++] = c;
        }
        i++; /* the newline */
        id[n] = '\0';
        if (n == 0)
            continue;
        if (bp_idwindow_add(w, id) < 0) {
            bp_seterr(err, errlen, "%s:%zu: out of memory", path, lineno);
            goto out;
        }
    }
    rc = 0;
out:
    free(data);
    return rc;
}
