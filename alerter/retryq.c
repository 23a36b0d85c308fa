/* retryq.c — one JSON file per delivery job, written atomically (see retryq.h). */
#include "retryq.h"
#include "grow.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "fileutil.h"
#include "log.h"
#include "model.h"
#include "timeutil.h"

#define RETRYQ_MAX_FILE ((size_t)4 << 20)

struct retryq {
    char dir[4096];
};

retryq_t *retryq_open(const char *dir, char *err, size_t errlen)
{
    if (strlen(dir) > 3900) {
        bp_seterr(err, errlen, "queue directory name too long");
        return NULL;
    }
    if (bp_mkdirs(dir, 0700) != 0) {
        bp_seterr(err, errlen, "%s: %s", dir, strerror(errno));
        return NULL;
    }
    retryq_t *q = calloc(1, sizeof *q);
    if (!q) {
        bp_seterr(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(q->dir, sizeof q->dir, "%s", dir);
    return q;
}

void retryq_close(retryq_t *q) { free(q); }

aq_job_t *retryq_job_new(const char *alert_id, const char *channel, int chan, const char *tag,
                         json_t *msg, int64_t now_ms)
{
    aq_job_t *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    char key[2048];
    snprintf(key, sizeof key, "%s\n%s\n%s", alert_id, channel, tag ? tag : "");
    unsigned char h[32];
    bp_sha256(key, strlen(key), h);
    bp_hex(h, 16, j->id);
    j->channel = strdup(channel);
    j->alert_id = strdup(alert_id);
    j->chan = chan;
    j->next_ms = now_ms;
    j->created_ms = now_ms;
    j->msg = json_copy(msg); /* shallow: each job carries its own delivery_id */
    if (!j->channel || !j->alert_id || !j->msg ||
        json_object_set_new(j->msg, "delivery_id", json_string(j->id)) != 0) {
        retryq_job_free(j);
        return NULL;
    }
    return j;
}

void retryq_job_free(aq_job_t *j)
{
    if (!j)
        return;
    free(j->channel);
    free(j->alert_id);
    json_decref(j->msg);
    free(j);
}

static void retryq_path(const retryq_t *q, const char *id, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s.json", q->dir, id);
}

int retryq_exists(retryq_t *q, const char *id)
{
    char path[4200];
    retryq_path(q, id, path, sizeof path);
    return access(path, F_OK) == 0;
}

int retryq_save(retryq_t *q, const aq_job_t *j)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:I, s:I, s:b, s:O}", "id", j->id, "channel",
                          j->channel, "alert_id", j->alert_id, "attempt", j->attempt, "next_ms",
                          (json_int_t)j->next_ms, "created_ms", (json_int_t)j->created_ms,
                          "sent", j->sent, "msg", j->msg);
    if (!o) {
        errno = ENOMEM;
        return -1;
    }
    char *s = bp_json_dump(o);
    json_decref(o);
    if (!s) {
        errno = ENOMEM;
        return -1;
    }
    char path[4200];
    retryq_path(q, j->id, path, sizeof path);
    int rc = bp_file_write_atomic(path, s, strlen(s));
    free(s);
    return rc;
}

int retryq_remove(retryq_t *q, const aq_job_t *j)
{
    char path[4200];
    retryq_path(q, j->id, path, sizeof path);
    if (unlink(path) != 0 && errno != ENOENT)
        return -1;
    return 0;
}

static aq_job_t *retryq_parse(const char *data, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    json_t *o = json_loadb(data, len, 0, &je);
    if (!o) {
        bp_seterr(err, errlen, "not JSON: %s", je.text);
        return NULL;
    }
    aq_job_t *j = NULL;
    const char *id = bp_json_str(o, "id"), *ch = bp_json_str(o, "channel"),
               *aid = bp_json_str(o, "alert_id");
    json_t *msg = json_object_get(o, "msg");
    if (strlen(id) != 32 || !*ch || !*aid || !json_is_object(msg)) {
        bp_seterr(err, errlen, "missing id, channel, alert_id or msg");
        goto done;
    }
    j = calloc(1, sizeof *j);
    if (!j)
        goto done;
    memcpy(j->id, id, 33);
    j->channel = strdup(ch);
    j->alert_id = strdup(aid);
    j->chan = -1;
    j->attempt = (int)bp_json_int(o, "attempt");
    j->next_ms = bp_json_int(o, "next_ms");
    j->created_ms = bp_json_int(o, "created_ms");
    j->sent = json_is_true(json_object_get(o, "sent"));
    j->msg = json_incref(msg);
    if (!j->channel || !j->alert_id) {
        retryq_job_free(j);
        j = NULL;
    }
done:
    json_decref(o);
    return j;
}

static int retryq_cmp(const void *a, const void *b)
{
    const aq_job_t *x = *(aq_job_t *const *)a, *y = *(aq_job_t *const *)b;
    return x->created_ms < y->created_ms ? -1 : x->created_ms > y->created_ms;
}

int retryq_load(retryq_t *q, aq_job_t **out)
{
    *out = NULL;
    DIR *d = opendir(q->dir);
    if (!d)
        return -1;
    aq_job_t **arr = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t nl = strlen(e->d_name);
        if (nl != 37 || strcmp(e->d_name + 32, ".json") != 0)
            continue;
        char path[4400], err[256];
        snprintf(path, sizeof path, "%s/%s", q->dir, e->d_name);
        size_t len = 0;
        char *data = bp_file_read(path, RETRYQ_MAX_FILE, &len);
        aq_job_t *j = NULL;
        if (!data)
            snprintf(err, sizeof err, "%s", strerror(errno));
        else
            j = retryq_parse(data, len, err, sizeof err);
        free(data);
        if (!j) {
            char bad[4500];
            snprintf(bad, sizeof bad, "%s.bad", path);
            bp_warn("retry queue: %s: %s; moved aside to %s", path, err, bad);
            rename(path, bad);
            continue;
        }
        if (bp_grow(&arr, &cap, n + 1, sizeof *arr, 64, (size_t)-1 / sizeof *arr) < 0) {
            retryq_job_free(j);
            break;
        }
        arr[n++] = j;
    }
    closedir(d);
    if (n > 1)
        qsort(arr, n, sizeof *arr, retryq_cmp);
    for (size_t i = n; i > 0; i--) {
        arr[i - 1]->next = *out;
        *out = arr[i - 1];
    }
    free(arr);
    return (int)n;
}

size_t retryq_count(retryq_t *q)
{
    DIR *d = opendir(q->dir);
    size_t n = 0;
    struct dirent *e;
    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (strlen(e->d_name) == 37 && strcmp(e->d_name + 32, ".json") == 0)
            n++;
    closedir(d);
    return n;
}
