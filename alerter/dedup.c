/* dedup.c — post-id dedup window persisted as snapshot + journal (see dedup.h). */
#include "dedup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fileutil.h"
#include "idwindow.h"
#include "log.h"

#define DEDUP_JOURNAL_MAX ((size_t)256 << 20)

struct dedup {
    bp_idwindow_t *win;
    char snap_path[4096];
    char journal_path[4096];
    int journal_fd;
    size_t journal_lines;
    bp_buf_t pending; /* escaped lines not yet appended */
};

static int dedup_escape(bp_buf_t *b, const char *id)
{
    int rc = 0;
    for (const char *p = id; *p; p++) {
        if (*p == '\\')
            rc |= bp_buf_puts(b, "\\\\");
        else if (*p == '\n')
            rc |= bp_buf_puts(b, "\\n");
        else if (*p == '\r')
            rc |= bp_buf_puts(b, "\\r");
        else
            rc |= bp_buf_putc(b, *p);
    }
    rc |= bp_buf_putc(b, '\n');
    return rc ? -1 : 0;
}

/* Replays the journal; a last line without its newline is a torn write and is skipped. */
static int dedup_replay(dedup_t *d, char *err, size_t errlen)
{
    size_t len = 0;
    char *data = bp_file_read(d->journal_path, DEDUP_JOURNAL_MAX, &len);
    if (!data)
        return errno == ENOENT ? 0 : bp_seterr(err, errlen, "%s: %s", d->journal_path,
                                                strerror(errno));
    char id[1100];
    size_t pos = 0;
    while (pos < len) {
        char *nl = memchr(data + pos, '\n', len - pos);
        if (!nl)
            break;
        size_t k = 0;
        for (size_t i = pos; i < (size_t)(nl - data) && k < sizeof id - 1; i++) {
            char c = data[i];
            if (c == '\\' && i + 1 < (size_t)(nl - data)) {
                c = data[++i];
                c = c == 'n' ? '\n' : c == 'r' ? '\r' : c;
            }
            id[k++] = c;
        }
        id[k] = '\0';
        if (k > 0)
            bp_idwindow_add(d->win, id);
        d->journal_lines++;
        pos = (size_t)(nl - data) + 1;
    }
    free(data);
    return 0;
}

dedup_t *dedup_open(const char *dir, size_t capacity, char *err, size_t errlen)
{
    dedup_t *d = calloc(1, sizeof *d);
    if (!d) {
        bp_seterr(err, errlen, "out of memory");
        return NULL;
    }
    d->journal_fd = -1;
    bp_buf_init(&d->pending, (size_t)16 << 20);
    if (bp_mkdirs(dir, 0700) != 0) {
        bp_seterr(err, errlen, "state_dir %s: %s", dir, strerror(errno));
        goto fail;
    }
    snprintf(d->snap_path, sizeof d->snap_path, "%s/dedup.ids", dir);
    snprintf(d->journal_path, sizeof d->journal_path, "%s/dedup.journal", dir);
    d->win = bp_idwindow_new(capacity);
    if (!d->win) {
        bp_seterr(err, errlen, "out of memory");
        goto fail;
    }
    if (bp_idwindow_load(d->win, d->snap_path, err, errlen) != 0)
        goto fail;
    if (dedup_replay(d, err, errlen) != 0)
        goto fail;
    d->journal_fd = open(d->journal_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (d->journal_fd < 0) {
        bp_seterr(err, errlen, "%s: %s", d->journal_path, strerror(errno));
        goto fail;
    }
    /* drop a torn tail so the next append starts on a fresh line */
    off_t end = lseek(d->journal_fd, 0, SEEK_END);
    if (end > 0) {
        char c = 0;
        if (pread(d->journal_fd, &c, 1, end - 1) == 1 && c != '\n' &&
            write(d->journal_fd, "\n", 1) != 1) {
            bp_seterr(err, errlen, "%s: %s", d->journal_path, strerror(errno));
            goto fail;
        }
    }
    return d;
fail:
    if (d->journal_fd >= 0)
        close(d->journal_fd);
    bp_idwindow_free(d->win);
    bp_buf_free(&d->pending);
    free(d);
    return NULL;
}

int dedup_seen(const dedup_t *d, const char *id) { return bp_idwindow_seen(d->win, id); }

int dedup_add(dedup_t *d, const char *id)
{
    if (bp_idwindow_seen(d->win, id))
        return 0;
    size_t mark = d->pending.len;
    if (dedup_escape(&d->pending, id) != 0) {
        d->pending.len = mark;
        return -1;
    }
    if (bp_idwindow_add(d->win, id) != 0) {
        d->pending.len = mark;
        if (d->pending.data)
            d->pending.data[mark] = '\0';
        return -1;
    }
    d->journal_lines++;
    return 0;
}

static int dedup_compact(dedup_t *d)
{
    if (bp_idwindow_save(d->win, d->snap_path) != 0)
        return -1;
    if (ftruncate(d->journal_fd, 0) != 0 || fdatasync(d->journal_fd) != 0)
        return -1;
    d->journal_lines = 0;
    return 0;
}

int dedup_sync(dedup_t *d)
{
    if (d->pending.len > 0) {
        size_t off = 0;
        while (off < d->pending.len) {
            ssize_t w = write(d->journal_fd, d->pending.data + off, d->pending.len - off);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return -1;
            }
            off += (size_t)w;
        }
        if (fdatasync(d->journal_fd) != 0)
            return -1;
        bp_buf_reset(&d->pending);
    }
    if (d->journal_lines > bp_idwindow_capacity(d->win) && d->journal_lines > 1000)
        return dedup_compact(d);
    return 0;
}

size_t dedup_count(const dedup_t *d) { return bp_idwindow_count(d->win); }

void dedup_close(dedup_t *d)
{
    if (!d)
        return;
    if (dedup_sync(d) != 0)
        bp_warn("dedup: could not save %s: %s", d->journal_path, strerror(errno));
    close(d->journal_fd);
    bp_idwindow_free(d->win);
    bp_buf_free(&d->pending);
    free(d);
}
