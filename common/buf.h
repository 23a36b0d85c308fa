/* buf.h — a growable byte buffer with a hard size cap: appends past the cap fail cleanly. */
#ifndef BP_BUF_H
#define BP_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

typedef struct bp_buf {
    char *data;   /* always NUL-terminated when non-NULL */
    size_t len;   /* bytes used, not counting the NUL */
    size_t alloc; /* bytes allocated */
    size_t limit; /* most bytes len may reach; 0 means BP_BUF_DEFAULT_LIMIT */
} bp_buf_t;

#define BP_BUF_DEFAULT_LIMIT ((size_t)64 << 20)
#define BP_BUF_INIT(lim) {NULL, 0, 0, (lim)}

void bp_buf_init(bp_buf_t *b, size_t limit);
/* Appends n bytes; returns 0, or -1 (buffer unchanged) if the cap would be passed or memory ran out. */
int bp_buf_append_grow(bp_buf_t *b, const void *p, size_t n); /* the general case */
static inline int bp_buf_append(bp_buf_t *b, const void *p, size_t n)
{
    /* the common case inline: room allocated already, well under the cap */
    if (b->alloc && n < b->alloc - b->len && b->len + n <= (b->limit ? b->limit : BP_BUF_DEFAULT_LIMIT)) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
    }
    return bp_buf_append_grow(b, p, n);
}
static inline int bp_buf_puts(bp_buf_t *b, const char *s) { return bp_buf_append(b, s, strlen(s)); }
static inline int bp_buf_putc(bp_buf_t *b, char c) { return bp_buf_append(b, &c, 1); }
int bp_buf_printf(bp_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bp_buf_reset(bp_buf_t *b); /* len = 0, memory kept */
void bp_buf_free(bp_buf_t *b);  /* frees memory; the buffer may be reused after bp_buf_init */
/* Hands the data to the caller (caller frees) and resets the buffer. Never NULL: "" if empty. */
char *bp_buf_steal(bp_buf_t *b);

#endif
