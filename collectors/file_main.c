/* file_main.c — bp-collect-file: JSONL posts from a file (or stdin) into bp.posts, with a
 * follow mode like `tail -F` and a checkpoint so a restart continues where it stopped.
 *
 * Each line is validated as a post (common/model.h); a bad line goes to the dead-letter topic
 * with "file:line" and the reason, and the rest flows on. The checkpoint records the byte
 * position after the last line whose post (or dead letter) the broker acknowledged, with the
 * file's device and inode: a rotated or truncated file is read again from its start. After a
 * clean stop (SIGTERM) nothing is sent twice; after a crash (SIGKILL) at most the lines not yet
 * checkpointed are sent again, with the same post ids, which the alerter de-duplicates. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "fileutil.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "sig.h"
#include "timeutil.h"

#define DEADLETTER_KEEP_BYTES 65536

typedef struct filecol_cfg {
    bp_common_cfg_t common;
    char *path;
    int follow;
    char *checkpoint;
    int64_t poll_interval_ms;
    char *default_source;
} filecol_cfg_t;

static const bp_cfg_entry_t filecol_input_table[] = {
    {"path", BP_CFG_STR, "-", offsetof(filecol_cfg_t, path), "JSONL file to read, - for stdin",
     NULL, NULL, NULL, 0},
    {"follow", BP_CFG_BOOL, "false", offsetof(filecol_cfg_t, follow),
     "keep reading as the file grows; reopen it when rotated", NULL, NULL, NULL, 0},
    {"checkpoint", BP_CFG_STR, "", offsetof(filecol_cfg_t, checkpoint),
     "checkpoint file (default: PATH.checkpoint; none for stdin)", NULL, NULL, NULL, 0},
    {"poll_interval", BP_CFG_DURATION, "500ms", offsetof(filecol_cfg_t, poll_interval_ms),
     "how often to look for new lines in follow mode", NULL, NULL, NULL, 0},
    {"default_source", BP_CFG_STR, "", offsetof(filecol_cfg_t, default_source),
     "source to set on posts that have none (empty: such posts are dead-lettered)", NULL, NULL,
     NULL, 0},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0}};

static const bp_cfg_entry_t filecol_table[] = {
    BP_CFG_COMMON_ENTRIES(offsetof(filecol_cfg_t, common)),
    {"file", BP_CFG_SECTION, NULL, 0, "what to read", filecol_input_table, NULL, NULL, 0},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0}};

/* One line on its way to the broker. Lines are acknowledged out of order; the checkpoint
 * advances over the acknowledged prefix only. */
typedef struct line_slot {
    int64_t end_pos; /* byte position just after the line */
    int64_t lineno;
    int acked, failed;
} line_slot_t;

typedef struct filecol {
    filecol_cfg_t cfg;
    bp_producer_t *prod;
    const char *name;       /* path for messages */
    line_slot_t *ring;      /* in-flight lines, FIFO */
    size_t ring_cap, head, count;
    size_t seq_base;        /* absolute sequence number of ring[head] */
    int64_t done_pos, done_line; /* acknowledged prefix */
    int64_t saved_pos;
    dev_t dev;
    ino_t ino;
    uint64_t n_sent, n_dead, n_failed;
    int64_t last_save_ms;
    bp_metrics_t *mx;
    bp_counter_t *m_dead;
} filecol_t;

static void filecol_ack(void *opaque, rd_kafka_resp_err_t err);

typedef struct ack_ref {
    filecol_t *fc;
    size_t index; /* absolute sequence number of the slot */
    bp_counter_t *collected; /* a post: counted and timed once acknowledged */
    bp_hist_t *fresh;
    int64_t published_ms;
} ack_ref_t;

static int filecol_ring_push(filecol_t *fc, int64_t end_pos, int64_t lineno, size_t *seq)
{
    if (fc->count == fc->ring_cap) {
        size_t nc = fc->ring_cap ? fc->ring_cap * 2 : 1024;
        line_slot_t *n = malloc(nc * sizeof *n);
        if (!n)
            return -1;
        for (size_t i = 0; i < fc->count; i++)
            n[i] = fc->ring[(fc->head + i) % fc->ring_cap];
        free(fc->ring);
        fc->ring = n;
        fc->ring_cap = nc;
        fc->head = 0;
    }
    line_slot_t *s = &fc->ring[(fc->head + fc->count) % fc->ring_cap];
    s->end_pos = end_pos;
    s->lineno = lineno;
    s->acked = s->failed = 0;
    *seq = fc->seq_base + fc->count;
    fc->count++;
    return 0;
}

static void filecol_ack(void *opaque, rd_kafka_resp_err_t err)
{
    ack_ref_t *r = opaque;
    filecol_t *fc = r->fc;
    size_t off = r->index - fc->seq_base;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && r->collected) {
        bp_counter_inc(r->collected);
        bp_hist_observe_since_ms(r->fresh, r->published_ms);
    }
    free(r);
    if (off >= fc->count)
        return;
    line_slot_t *s = &fc->ring[(fc->head + off) % fc->ring_cap];
    s->acked = 1;
    s->failed = err != RD_KAFKA_RESP_ERR_NO_ERROR;
    if (s->failed)
        fc->n_failed++;
}

/* Moves the acknowledged prefix forward; returns -1 if a failed line blocks it. */
static int filecol_advance(filecol_t *fc)
{
    while (fc->count) {
        line_slot_t *s = &fc->ring[fc->head];
        if (!s->acked)
            break;
        if (s->failed)
            return -1;
        fc->done_pos = s->end_pos;
        fc->done_line = s->lineno;
        fc->head = (fc->head + 1) % fc->ring_cap;
        fc->count--;
        fc->seq_base++;
    }
    return 0;
}

static void filecol_save(filecol_t *fc, int force)
{
    if (!fc->cfg.checkpoint || !*fc->cfg.checkpoint || fc->done_pos == fc->saved_pos)
        return;
    int64_t now = bp_mono_ms();
    if (!force && now - fc->last_save_ms < 200)
        return;
    char buf[256];
    int n = snprintf(buf, sizeof buf,
                     "{\"dev\":%" PRIu64 ",\"ino\":%" PRIu64 ",\"pos\":%" PRId64
                     ",\"line\":%" PRId64 "}\n",
                     (uint64_t)fc->dev, (uint64_t)fc->ino, fc->done_pos, fc->done_line);
    if (bp_file_write_atomic(fc->cfg.checkpoint, buf, (size_t)n) != 0) {
        bp_error("cannot write checkpoint %s: %s", fc->cfg.checkpoint, strerror(errno));
        return;
    }
    fc->saved_pos = fc->done_pos;
    fc->last_save_ms = now;
}

static void filecol_load_checkpoint(filecol_t *fc, const struct stat *st)
{
    size_t len;
    char *text = bp_file_read(fc->cfg.checkpoint, 4096, &len);
    if (!text)
        return;
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    free(text);
    if (!j) {
        bp_warn("checkpoint %s is unreadable (%s): starting from the beginning",
                fc->cfg.checkpoint, je.text);
        return;
    }
    uint64_t dev = (uint64_t)bp_json_int(j, "dev"), ino = (uint64_t)bp_json_int(j, "ino");
    int64_t pos = bp_json_int(j, "pos"), line = bp_json_int(j, "line");
    json_decref(j);
    if (dev != (uint64_t)st->st_dev || ino != (uint64_t)st->st_ino) {
        bp_info("%s is a new file (rotated): reading it from the start", fc->name);
        return;
    }
    if (pos > st->st_size) {
        bp_info("%s is shorter than the checkpoint (truncated): reading it from the start", fc->name);
        return;
    }
    fc->done_pos = fc->saved_pos = pos;
    fc->done_line = line;
    bp_info("resuming %s at byte %" PRId64 " (line %" PRId64 ")", fc->name, pos, line);
}

/* Sends one line: a valid post to the posts topic, anything else to the dead-letter topic. */
static int filecol_send_line(filecol_t *fc, char *line, size_t len, int64_t end_pos,
                             int64_t lineno)
{
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    size_t seq;
    if (filecol_ring_push(fc, end_pos, lineno, &seq) != 0)
        return bp_error("out of memory");
    ack_ref_t *ref = calloc(1, sizeof *ref);
    if (!ref)
        return bp_error("out of memory");
    ref->fc = fc;
    ref->index = seq;
    if (len == 0) { /* blank lines are skipped, but still pass through the ring in order */
        filecol_ack(ref, RD_KAFKA_RESP_ERR_NO_ERROR);
        return 0;
    }
    char reason[512], err[512], where[600];
    json_t *post = bp_post_parse(line, len, reason, sizeof reason);
    if (!post && fc->cfg.default_source && *fc->cfg.default_source &&
        strstr(reason, "'source'")) {
        json_error_t je;
        post = json_loadb(line, len, 0, &je);
        if (post) {
            json_object_set_new(post, "source", json_string(fc->cfg.default_source));
            if (bp_post_validate(post, reason, sizeof reason) != 0) {
                json_decref(post);
                post = NULL;
            }
        }
    }
    if (!post) {
        snprintf(where, sizeof where, "%s:%" PRId64, fc->name, lineno);
        fc->n_dead++;
        bp_counter_inc(fc->m_dead);
        size_t keep = len;
        if (keep > DEADLETTER_KEEP_BYTES) { /* the broker would refuse the whole of it */
            keep = DEADLETTER_KEEP_BYTES;
            strncat(reason, " (first 65536 bytes kept)", sizeof reason - strlen(reason) - 1);
        }
        if (bp_deadletter(fc->prod, fc->cfg.common.topics.deadletter, "collect-file", reason,
                          NULL, 0, 0, where, NULL, 0, line, keep, filecol_ack, ref) != 0) {
            free(ref);
            return -1;
        }
        return 0;
    }
    bp_post_stamp(post, bp_now_ms());
    const char *src = bp_json_str(post, "source"), *feed = bp_json_str(post, "feed");
    ref->collected = bp_metrics_counter(fc->mx, "bp_posts_collected_total",
                                        "Posts produced and acknowledged", "source", src, "feed",
                                        feed, NULL);
    if (bp_time_parse_rfc3339(bp_json_str(post, "published_at"), &ref->published_ms) == 0)
        ref->fresh = bp_metrics_hist(fc->mx, "bp_freshness_seconds",
                                     "From published_at to this stage", NULL, 0, "stage",
                                     "collected", "source", src, NULL);
    char *out = bp_json_dump(post);
    const char *id = bp_json_str(post, "id");
    int rc = 0;
    if (!out || bp_produce(fc->prod, fc->cfg.common.topics.posts, id, strlen(id), out,
                           strlen(out), NULL, filecol_ack, ref, err, sizeof err) != 0) {
        bp_error("%s:%" PRId64 ": %s", fc->name, lineno, out ? err : "out of memory");
        free(ref);
        rc = -1;
    } else {
        fc->n_sent++;
    }
    free(out);
    json_decref(post);
    return rc;
}

/* Reads the open file from *pos until EOF (or stop). Returns 0, or -1 on a fatal error. */
static int filecol_read(filecol_t *fc, FILE *f, int64_t *pos, int64_t *lineno, int at_eof_final)
{
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    while (bp_running) {
        ssize_t n = getline(&line, &cap, f);
        if (n < 0) {
            clearerr(f);
            break;
        }
        if (line[n - 1] != '\n' && !at_eof_final) {
            /* a partial line still being written: read it again next time */
            fseeko(f, *pos, SEEK_SET);
            break;
        }
        *pos += n;
        (*lineno)++;
        if (filecol_send_line(fc, line, (size_t)n, *pos, *lineno) != 0) {
            rc = -1;
            break;
        }
        bp_producer_poll(fc->prod, 0);
        if (filecol_advance(fc) != 0) {
            rc = -1;
            break;
        }
        filecol_save(fc, 0);
    }
    free(line);
    return rc;
}

static void usage(void)
{
    printf("Usage: bp-collect-file [-c FILE] [--input PATH|-] [--follow] [--checkpoint F]\n"
           "                       [--brokers LIST]\n"
           "Sends JSONL posts (one JSON object per line, DESIGN's post format) to bp.posts.\n"
           "Invalid lines go to bp.deadletter with file:line and the reason.\n\n"
           "  -c, --config FILE   YAML configuration (keys below)\n"
           "  --input PATH        file to read, - for stdin (overrides file.path)\n"
           "  --follow            keep reading as the file grows, like tail -F\n"
           "  --checkpoint F      where to remember the position (default PATH.checkpoint)\n"
           "  --brokers LIST      Kafka bootstrap servers (overrides BP_BROKERS and the config)\n"
           "  --check-config      load the configuration, report, and exit\n"
           "  --help, --version\n\nConfiguration keys:\n");
    bp_cfg_print_help(filecol_table, 2);
}

int main(int argc, char **argv)
{
    bp_log_init("bp-collect-file");
    const char *cfg_path = NULL, *brokers = NULL, *input = NULL, *checkpoint = NULL;
    int follow = -1;
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"input", required_argument, NULL, 'i'},
        {"follow", no_argument, NULL, 'f'},       {"checkpoint", required_argument, NULL, 'k'},
        {"brokers", required_argument, NULL, 'b'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {"check-config", no_argument, NULL, 'C'},
        {"check", no_argument, NULL, 'C'},
        {NULL, 0, NULL, 0}};
    int o, check_only = 0;
    while ((o = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
        switch (o) {
        case 'c': cfg_path = optarg; break;
        case 'C': check_only = 1; break;
        case 'i': input = optarg; break;
        case 'f': follow = 1; break;
        case 'k': checkpoint = optarg; break;
        case 'b': brokers = optarg; break;
        case 'h': usage(); return BP_EXIT_OK;
        case 'V': bp_cli_version("bp-collect-file"); return BP_EXIT_OK;
        default: return bp_cli_usage_error("bp-collect-file", "unknown option");
        }
    }
    if (optind < argc)
        return bp_cli_usage_error("bp-collect-file", "unexpected argument '%s'", argv[optind]);

    filecol_t fc;
    memset(&fc, 0, sizeof fc);
    char err[1024];
    if (bp_cfg_load(cfg_path, filecol_table, &fc.cfg, &fc.cfg.common, brokers, err, sizeof err) != 0) {
        fprintf(stderr, "bp-collect-file: %s\n", err);
        bp_cfg_free(filecol_table, &fc.cfg);
        return BP_EXIT_USAGE;
    }
    if (check_only) {
        printf("%s: configuration is valid\n", cfg_path ? cfg_path : "defaults");
        bp_cfg_free(filecol_table, &fc.cfg);
        return BP_EXIT_OK;
    }
    if (input) {
        free(fc.cfg.path);
        fc.cfg.path = strdup(input);
    }
    if (follow == 1)
        fc.cfg.follow = 1;
    if (checkpoint) {
        free(fc.cfg.checkpoint);
        fc.cfg.checkpoint = strdup(checkpoint);
    }
    int is_stdin = strcmp(fc.cfg.path, "-") == 0;
    if (!is_stdin && (!fc.cfg.checkpoint || !*fc.cfg.checkpoint)) {
        free(fc.cfg.checkpoint);
        if (asprintf(&fc.cfg.checkpoint, "%s.checkpoint", fc.cfg.path) < 0)
            fc.cfg.checkpoint = NULL;
    }
    if (is_stdin) {
        free(fc.cfg.checkpoint);
        fc.cfg.checkpoint = NULL;
    }
    fc.name = is_stdin ? "<stdin>" : fc.cfg.path;
    bp_signals_install();

    int rc = BP_EXIT_OK;
    fc.mx = bp_metrics_start("bp-collect-file", fc.cfg.common.metrics_listen, err, sizeof err);
    if (!fc.mx) {
        fprintf(stderr, "bp-collect-file: %s\n", err);
        bp_cfg_free(filecol_table, &fc.cfg);
        return BP_EXIT_USAGE;
    }
    fc.m_dead = bp_metrics_counter(fc.mx, "bp_deadlettered_total", "Records dead-lettered",
                                   "stage", "collect", NULL);
    bp_kafka_set_stats(bp_metrics_rdkafka_stats_cb, fc.mx, 15000);
    fc.prod = bp_producer_new(&fc.cfg.common.kafka, "bp-collect-file", err, sizeof err);
    if (!fc.prod) {
        fprintf(stderr, "bp-collect-file: %s\n", err);
        bp_metrics_free(fc.mx);
        bp_cfg_free(filecol_table, &fc.cfg);
        return BP_EXIT_USAGE;
    }
    bp_metrics_set_ready(fc.mx, 1);
    FILE *f = NULL;
    int64_t pos = 0, lineno = 0;
    struct stat st;
    while (bp_running) {
        bp_metrics_heartbeat(fc.mx);
        if (!f) {
            if (is_stdin) {
                f = stdin;
            } else {
                f = fopen(fc.cfg.path, "r");
                if (!f) {
                    if (fc.cfg.follow && errno == ENOENT) { /* not there yet */
                        bp_sleep_ms(fc.cfg.poll_interval_ms);
                        continue;
                    }
                    bp_error("cannot open %s: %s", fc.cfg.path, strerror(errno));
                    rc = BP_EXIT_RUNTIME;
                    break;
                }
                fstat(fileno(f), &st);
                fc.dev = st.st_dev;
                fc.ino = st.st_ino;
                fc.done_pos = fc.saved_pos = 0;
                fc.done_line = 0;
                if (fc.cfg.checkpoint)
                    filecol_load_checkpoint(&fc, &st);
                pos = fc.done_pos;
                lineno = fc.done_line;
                fseeko(f, pos, SEEK_SET);
            }
        }
        if (filecol_read(&fc, f, &pos, &lineno, !fc.cfg.follow) != 0) {
            rc = BP_EXIT_RUNTIME;
            break;
        }
        if (!fc.cfg.follow)
            break;
        /* follow: wait for growth; reopen if the path now names another file (rotation) */
        bp_producer_poll(fc.prod, (int)fc.cfg.poll_interval_ms);
        if (filecol_advance(&fc) != 0) {
            rc = BP_EXIT_RUNTIME;
            break;
        }
        filecol_save(&fc, 0);
        struct stat now;
        if (!is_stdin && (stat(fc.cfg.path, &now) != 0 || now.st_ino != st.st_ino ||
                          now.st_dev != st.st_dev || now.st_size < pos)) {
            filecol_read(&fc, f, &pos, &lineno, 1); /* drain what the old file still holds */
            bp_producer_flush(fc.prod, 10000);
            filecol_advance(&fc);
            filecol_save(&fc, 1);
            bp_info("%s was rotated or truncated: reopening", fc.cfg.path);
            fclose(f);
            f = NULL;
            if (fc.cfg.checkpoint)
                remove(fc.cfg.checkpoint);
        }
    }
    /* clean stop: wait for every acknowledgement, then record the final position */
    if (bp_producer_flush(fc.prod, 30000) != 0) {
        bp_error("some posts were not acknowledged within 30 s; they will be sent again");
        rc = BP_EXIT_RUNTIME;
    }
    if (filecol_advance(&fc) != 0) {
        bp_error("%" PRIu64 " post(s) could not be delivered; the checkpoint stays before them",
                 fc.n_failed);
        rc = BP_EXIT_RUNTIME;
    }
    filecol_save(&fc, 1);
    char ferr[256];
    if (bp_producer_fatal(fc.prod, ferr, sizeof ferr))
        rc = BP_EXIT_RUNTIME;
    bp_info("%s: %" PRIu64 " post(s) sent, %" PRIu64 " line(s) dead-lettered, %" PRIu64
            " failed; position %" PRId64,
            fc.name, fc.n_sent, fc.n_dead, fc.n_failed, fc.done_pos);
    if (f && f != stdin)
        fclose(f);
    bp_producer_destroy(fc.prod);
    bp_metrics_free(fc.mx);
    free(fc.ring);
    bp_cfg_free(filecol_table, &fc.cfg);
    return rc;
}
