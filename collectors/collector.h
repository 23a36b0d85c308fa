/* collector.h — the runner every polling collector shares: configuration (a list of feeds of
 * one source kind), one thread per feed polling at its interval with back-off, posts produced
 * to bp.posts keyed by id, a per-feed checkpoint and dedup window written only after the broker
 * acknowledged every post of a page, per-feed counters, clean shutdown. A source (rss, vk, ...)
 * plugs in as a collector_source_t: how to build its request and how to parse its answer. */
#ifndef BP_COLLECTOR_H
#define BP_COLLECTOR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "fetch.h"

/* http-json: where each post field is found inside one item (JSON pointers, RFC 6901). */
typedef struct collector_fieldmap {
    char *id, *text, *title, *author, *author_id, *author_url, *followers, *time, *url;
    char *lang, *thread_id;
} collector_fieldmap_t;

/* One feed of a collector's `feeds:` list. Each source's table binds the keys it uses. */
typedef struct collector_feed {
    /* every source */
    char *name;             /* unique, [A-Za-z0-9._-]: names the checkpoint files */
    int enabled;
    int64_t interval_ms;    /* between polls once a feed is caught up */
    int64_t silence_ms;     /* longest normal time without a new post (0: interval_ms) */
    int64_t timeout_ms;     /* one HTTP request */
    long long retries;      /* immediate retries of a transient failure */
    int64_t backoff_ms;     /* first back-off after a failed poll */
    int64_t backoff_max_ms; /* longest back-off */
    long long max_response; /* body cap in bytes */
    long long dedup_window; /* ids remembered */
    long long max_pages;    /* pages fetched back to back in one poll */
    char *lang;             /* fixed language, "" = guess */
    char *user_agent;       /* "" = brandpulse's */
    /* per source */
    char *url;              /* rss, http-json */
    char *base_url;         /* API sources: scheme://host[:port], tests point it at loopback */
    char *query;            /* vk, x, reddit */
    char *token;            /* secret: {env: NAME} or {file: PATH} */
    char *api_version;      /* vk */
    char *mode;             /* vk: search (newsfeed.search) or comments (newsfeed.getComments) */
    long long count;        /* page size asked for */
    char *hashtag;          /* mastodon */
    char *timeline;         /* mastodon: tag, public, local */
    int64_t long_poll_ms;   /* telegram getUpdates timeout */
    char *subreddit;        /* reddit: restrict the search to r/NAME */
    char *items;            /* http-json: pointer to the items array ("" = the root) */
    char *id_prefix;        /* http-json: id = id_prefix ":" value */
    char *source_name;      /* http-json: the post's "source" */
    bp_kvlist_t headers;    /* http-json: extra request headers */
    collector_fieldmap_t fields; /* http-json */
} collector_feed_t;

typedef struct collector_feeds {
    collector_feed_t *v;
    size_t n;
} collector_feeds_t;

/* What a parser hands back for one page. */
typedef struct collector_page {
    json_t *posts;   /* array of built posts (the runner validates, dedups, produces) */
    json_t *cursor;  /* the source's position after this page, persisted once every post of the
                      * page is acknowledged; NULL keeps the current one */
    int more;        /* 1: another page follows right away (paging) */
    size_t skipped;  /* items that are not posts (service messages, no text) */
    json_t *bad;     /* items that could not be used: [{"reason": "...", "item": {...}}],
                      * sent to the dead-letter topic */
} collector_page_t;

typedef struct collector_error {
    bp_fetch_class_t cls;   /* how the runner schedules the next try */
    int64_t retry_after_ms; /* -1 unless the API said how long to wait */
    char msg[320];
} collector_error_t;

typedef struct collector_body {
    const char *data;       /* NUL-terminated */
    size_t len;
    long status;
    const char *content_type; /* may be NULL */
} collector_body_t;

typedef struct collector_source {
    const char *name;                  /* "rss": the program is bp-collect-<name> */
    const bp_cfg_entry_t *feed_table;  /* keys of one feed, {NULL}-terminated */
    int conditional;                   /* send If-None-Match / If-Modified-Since */
    /* Checks a bound feed (required keys, ranges). 0, or -1 with the message in err. */
    int (*check)(collector_feed_t *f, char *err, size_t errlen);
    /* Builds the request for the next page from the cursor (NULL on the first run): the URL into
     * url, up to 8 extra header lines into hdr (each malloc'd, freed by the runner). */
    int (*request)(const collector_feed_t *f, const json_t *cursor, bp_buf_t *url,
                   char **hdr, size_t *nhdr, char *err, size_t errlen);
    /* Parses a 2xx body into page (zeroed by the caller; collector_page_free releases it).
     * Returns 0, or -1 with e filled (API errors inside a 200, e.g. VK's, land here too). */
    int (*parse)(const collector_feed_t *f, const json_t *cursor, const collector_body_t *b,
                 int64_t now_ms, collector_page_t *page, collector_error_t *e);
    /* Optional: refines e (class, message, retry delay) from a non-2xx body. */
    void (*api_error)(const collector_feed_t *f, const collector_body_t *b, collector_error_t *e);
} collector_source_t;

/* Releases what a parser put in p and zeroes it. Accepts NULL. */
void collector_page_free(collector_page_t *p);

/* The entries every source's feed table starts with; the table then lists its own keys. */
#define COLLECTOR_FEED_COMMON_ENTRIES                                                         \
    {"name", BP_CFG_STR, NULL, offsetof(collector_feed_t, name),                              \
     "unique feed name ([A-Za-z0-9._-]); names its checkpoint", NULL, NULL, NULL, 1},         \
    {"enabled", BP_CFG_BOOL, "true", offsetof(collector_feed_t, enabled),                     \
     "false skips the feed", NULL, NULL, NULL, 0},                                            \
    {"interval", BP_CFG_DURATION, "5m", offsetof(collector_feed_t, interval_ms),              \
     "time between polls once caught up", NULL, NULL, NULL, 0},                               \
    {"silence", BP_CFG_DURATION, "0", offsetof(collector_feed_t, silence_ms),                 \
     "how long the feed may normally go without a new post (0: its interval); bp-watchdog "   \
     "alerts after factor x this", NULL, NULL, NULL, 0},                                      \
    {"timeout", BP_CFG_DURATION, "30s", offsetof(collector_feed_t, timeout_ms),               \
     "total time for one HTTP request", NULL, NULL, NULL, 0},                                 \
    {"retries", BP_CFG_INT, "2", offsetof(collector_feed_t, retries),                         \
     "immediate retries of a timeout or 5xx", NULL, NULL, NULL, 0},                           \
    {"backoff", BP_CFG_DURATION, "5s", offsetof(collector_feed_t, backoff_ms),                \
     "first wait after a failed poll (doubles, with jitter)", NULL, NULL, NULL, 0},           \
    {"backoff_max", BP_CFG_DURATION, "30m", offsetof(collector_feed_t, backoff_max_ms),       \
     "longest wait after failed polls", NULL, NULL, NULL, 0},                                 \
    {"max_response", BP_CFG_INT, "8388608", offsetof(collector_feed_t, max_response),         \
     "largest response body in bytes", NULL, NULL, NULL, 0},                                  \
    {"dedup_window", BP_CFG_INT, "10000", offsetof(collector_feed_t, dedup_window),           \
     "post ids remembered to skip repeats", NULL, NULL, NULL, 0},                             \
    {"max_pages", BP_CFG_INT, "10", offsetof(collector_feed_t, max_pages),                    \
     "pages fetched back to back in one poll", NULL, NULL, NULL, 0},                          \
    {"lang", BP_CFG_STR, "", offsetof(collector_feed_t, lang),                                \
     "language of every post (ru, uk, en); empty: guessed from the letters", NULL, NULL,      \
     NULL, 0},                                                                                \
    {"user_agent", BP_CFG_STR, "", offsetof(collector_feed_t, user_agent),                    \
     "User-Agent header; empty: brandpulse/VERSION", NULL, NULL, NULL, 0}

/* Runs the program bp-collect-<src->name>: parses argv (-c FILE, --brokers, --check, --help,
 * --version), loads the configuration, polls every enabled feed until SIGTERM/SIGINT.
 * Returns the process exit status: 0, 1 on a runtime failure, 2 on bad usage/configuration. */
int collector_main(const collector_source_t *src, int argc, char **argv);

/* Loads a collector configuration file for src into feeds (for tests and --check).
 * Returns 0, or -1 with "file:line:col: key 'x': message" in err. */
int collector_load_feeds(const collector_source_t *src, const char *path,
                         collector_feeds_t *feeds, char *err, size_t errlen);
/* Frees every feed loaded by collector_load_feeds and empties the list. */
void collector_feeds_free(const collector_source_t *src, collector_feeds_t *feeds);
/* Zeroes f and sets it to the defaults of src's table (for tests that build feeds by hand).
 * Returns 0, or -1 if a default is bad. Free with collector_feed_free. */
int collector_feed_defaults(const collector_source_t *src, collector_feed_t *f);
/* Frees every string, list and section of f that src's table binds. */
void collector_feed_free(const collector_source_t *src, collector_feed_t *f);

#endif
