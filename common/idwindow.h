/* idwindow.h — a bounded window of recently seen ids (hash set + FIFO eviction), persistable,
 * for de-duplication by post id in collectors and the alerter. Not thread-safe: callers that
 * share one window between threads hold their own lock. */
#ifndef BP_IDWINDOW_H
#define BP_IDWINDOW_H

#include <stddef.h>

typedef struct bp_idwindow bp_idwindow_t;

#define BP_IDWINDOW_MAX_ID 1024 /* longest id accepted, in bytes */

/* Creates an empty window that remembers at most capacity ids (the oldest is forgotten when a
 * new one is added past it). capacity 0 is taken as 1. Returns NULL if out of memory.
 * The caller frees it with bp_idwindow_free. */
bp_idwindow_t *bp_idwindow_new(size_t capacity);
void bp_idwindow_free(bp_idwindow_t *w); /* accepts NULL */

/* Returns 1 if id is in the window, 0 if not. */
int bp_idwindow_seen(const bp_idwindow_t *w, const char *id);
/* Adds a copy of id (newest). Adding an id already present does nothing. Returns 0, or -1 if
 * id is empty, longer than BP_IDWINDOW_MAX_ID, or memory ran out (window unchanged). */
int bp_idwindow_add(bp_idwindow_t *w, const char *id);
/* Removes id if present; returns 1 if it was there, 0 if not. */
int bp_idwindow_remove(bp_idwindow_t *w, const char *id);
size_t bp_idwindow_count(const bp_idwindow_t *w);
size_t bp_idwindow_capacity(const bp_idwindow_t *w);
void bp_idwindow_clear(bp_idwindow_t *w);

/* Writes the ids, oldest first, one per line (\\ \n \r escaped), atomically
 * (bp_file_write_atomic). Returns 0 or -1 with errno set. */
int bp_idwindow_save(const bp_idwindow_t *w, const char *path);
/* Adds the ids saved in path, oldest first (so with a smaller capacity the newest are kept).
 * A missing file is not an error (returns 0, nothing added). Returns 0, or -1 with a message
 * naming path:line in err when the file cannot be read or a line is malformed. */
int bp_idwindow_load(bp_idwindow_t *w, const char *path, char *err, size_t errlen);

#endif
