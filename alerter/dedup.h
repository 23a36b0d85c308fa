/* dedup.h — "never the same post twice": the post ids already handled, kept in a bounded
 * window (common/idwindow.h) and persisted in state_dir as a snapshot plus an append-only
 * journal, so every batch costs one small append and fsync instead of a full rewrite. */
#ifndef BP_DEDUP_H
#define BP_DEDUP_H

#include <stddef.h>

typedef struct dedup dedup_t;

/* Opens (creating dir if needed) and loads dir/dedup.ids and dir/dedup.journal. A torn last
 * journal line (a crash mid-append) is ignored. Returns NULL with the reason in err. */
dedup_t *dedup_open(const char *dir, size_t capacity, char *err, size_t errlen);
/* 1 if id was added before (and is still in the window), else 0. */
int dedup_seen(const dedup_t *d, const char *id);
/* Adds id; it is durable only after dedup_sync. Returns 0 or -1 (bad id, no memory). */
int dedup_add(dedup_t *d, const char *id);
/* Makes every added id durable (append + fdatasync); rewrites the snapshot and empties the
 * journal when the journal has grown past the window's capacity. Returns 0 or -1 (errno). */
int dedup_sync(dedup_t *d);
size_t dedup_count(const dedup_t *d);
/* Syncs and frees. Accepts NULL. */
void dedup_close(dedup_t *d);

#endif
