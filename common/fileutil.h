/* fileutil.h — whole-file reads with a cap, atomic small-file writes (checkpoints, state). */
#ifndef BP_FILEUTIL_H
#define BP_FILEUTIL_H

#include <stddef.h>

/* Reads a whole file (at most max bytes; a larger file is an error). Returns a malloc'd,
 * NUL-terminated buffer and its length in *len, or NULL with errno set (EFBIG past max). */
char *bp_file_read(const char *path, size_t max, size_t *len);

/* Writes data to path atomically: a temporary file in the same folder, fsync, rename, fsync
 * of the folder. Returns 0, or -1 with errno set. A crash leaves either the old or the new file. */
int bp_file_write_atomic(const char *path, const void *data, size_t len);

/* Creates a directory and its parents (like mkdir -p). Returns 0 or -1 with errno set. */
int bp_mkdirs(const char *path, int mode);

#endif
