/* x_parse.c — the x source: X API v2 recent search (GET /2/tweets/search/recent) with a bearer
 * token, since_id between polls and next_token paging inside one poll. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "model.h"
#include "postbuild.h"
#include "sources.h"
#include "timeutil.h"

static const bp_cfg_entry_t x_feed_table[] = {
    COLLECTOR_FEED_COMMON_ENTRIES,
    {"query", BP_CFG_STR, NULL, offsetof(collector_feed_t, query),
     "search query (X search operators allowed)", NULL, NULL, NULL, 1},
    {"token", BP_CFG_SECRET, NULL, offsetof(collector_feed_t, token),
     "bearer token: {env: NAME} or {file: PATH}", NULL, NULL, NULL, 1},
    {"base_url", BP_CFG_STR, "https://api.x.com", offsetof(collector_feed_t, base_url),
     "API address (tests point it at loopback)", NULL, NULL, NULL, 0},
    {"count", BP_CFG_INT, "100", offsetof(collector_feed_t, count),
     "max_results per page (10..100)", NULL, NULL, NULL, 0},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static int x_check(collector_feed_t *f, char *err, size_t errlen)
{
    if (!*f->query)
        return bp_seterr(err, errlen, "feed '%s': key 'query' is empty", f->name);
    if (f->count < 10 || f->count > 100)
        return bp_seterr(err, errlen, "feed '%s': key 'count': expected 10..100, got %lld",
                         f->name, f->count);
    return 0;
}

static int x_request(const collector_feed_t *f, const json_t *cursor, bp_buf_t *url, char **hdr,
                     size_t *nhdr, char *err, size_t errlen)
{
    const char *since = bp_json_str(cursor, "since_id");
    const char *next = bp_json_str(cursor, "next_token");
    bp_buf_printf(url, "%s/2/tweets/search/recent?max_results=%lld&query=", f->base_url,
                  f->count);
    postbuild_urlencode(url, f->query);
    bp_buf_puts(url, "&tweet.fields=created_at%2Cauthor_id%2Cpublic_metrics%2Clang%2C"
                     "conversation_id&expansions=author_id&user.fields=username%2Cname%2C"
                     "public_metrics");
    if (*since) {
        bp_buf_puts(url, "&since_id=");
        postbuild_urlencode(url, since);
    }
    if (*next) {
        bp_buf_puts(url, "&next_token=");
        postbuild_urlencode(url, next);
    }
    return postbuild_bearer(f->token, hdr, nhdr, err, errlen);
}

static json_t *x_find_user(const json_t *root, const char *uid)
{
    json_t *users = json_object_get(json_object_get(root, "includes"), "users"), *u;
    size_t i;
    json_array_foreach(users, i, u) if (strcmp(bp_json_str(u, "id"), uid) == 0) return u;
    return NULL;
}

static int x_parse(const collector_feed_t *f, const json_t *cursor, const collector_body_t *b,
                   int64_t now_ms, collector_page_t *page, collector_error_t *e)
{
    int rc = -1;
    (void)now_ms;
    json_t *root = postbuild_body_json(b, "search/recent", e);
    if (!root)
        return -1;
    json_t *data = json_object_get(root, "data"), *meta = json_object_get(root, "meta");
    if (!json_is_object(meta) && !json_is_array(data)) {
        json_t *errs = json_object_get(root, "errors");
        e->cls = BP_FETCH_BAD_BODY;
        snprintf(e->msg, sizeof e->msg, "search/recent: no data or meta%s%.200s",
                 errs ? ": " : "", bp_json_str(json_array_get(errs, 0), "detail"));
        goto out;
    }
    page->posts = json_array();
    if (!page->posts)
        goto out;
    const char *since = bp_json_str(cursor, "since_id");
    char *newest = strdup(*bp_json_str(cursor, "newest") ? bp_json_str(cursor, "newest") : since);
    if (!newest)
        goto out;
    size_t i;
    json_t *t;
    json_array_foreach(data, i, t)
    {
        const char *tid = bp_json_str(t, "id"), *text = bp_json_str(t, "text");
        char id[64], url[160], aid[64], aurl[96];
        if (!*tid || strlen(tid) > 40) {
            postbuild_bad(page, "x tweet without an id", t);
            continue;
        }
        if (postbuild_id_cmp(tid, newest) > 0) {
            char *n = strdup(tid);
            if (n) {
                free(newest);
                newest = n;
            }
        }
        if (!*text) {
            page->skipped++;
            continue;
        }
        snprintf(id, sizeof id, "x:%s", tid);
        json_t *post = postbuild_new(f, "x", id);
        if (!post || postbuild_set_text(f, post, text, strlen(text)) < 0) {
            json_decref(post);
            free(newest);
            goto out;
        }
        json_object_set_new(post, "kind", json_string("post"));
        const char *uid = bp_json_str(t, "author_id");
        json_t *u = x_find_user(root, uid);
        const char *uname = bp_json_str(u, "username");
        if (*uname)
            snprintf(url, sizeof url, "https://x.com/%.60s/status/%s", uname, tid);
        else
            snprintf(url, sizeof url, "https://x.com/i/web/status/%s", tid);
        postbuild_set_str(post, "url", url);
        if (*uid) {
            json_t *pm = json_object_get(u, "public_metrics");
            snprintf(aid, sizeof aid, "x:%.50s", uid);
            aurl[0] = '\0';
            if (*uname)
                snprintf(aurl, sizeof aurl, "https://x.com/%.60s", uname);
            json_object_set_new(post, "author",
                                postbuild_author(aid, bp_json_str(u, "name"),
                                                 pm ? bp_json_int(pm, "followers_count") : -1,
                                                 aurl));
            json_t *a = json_object_get(post, "author");
            if (*uname)
                postbuild_set_str(a, "username", uname);
        }
        int64_t ms;
        const char *ca = bp_json_str(t, "created_at");
        if (*ca && bp_time_parse_rfc3339(ca, &ms) == 0)
            bp_json_set_time(post, "published_at", ms);
        const char *lang = bp_json_str(t, "lang");
        if ((!f->lang || !*f->lang) && (strcmp(lang, "ru") == 0 || strcmp(lang, "uk") == 0 ||
                                         strcmp(lang, "en") == 0))
            json_object_set_new(post, "lang", json_string(lang));
        const char *conv = bp_json_str(t, "conversation_id");
        if (*conv && strcmp(conv, tid) != 0) {
            char th[64];
            snprintf(th, sizeof th, "x:%.50s", conv);
            postbuild_set_str(post, "thread_id", th);
        }
        json_t *pm = json_object_get(t, "public_metrics");
        if (json_is_object(pm))
            json_object_set_new(post, "metrics",
                                json_pack("{s:I, s:I, s:I, s:I}", "likes",
                                          (json_int_t)bp_json_int(pm, "like_count"), "reposts",
                                          (json_int_t)(bp_json_int(pm, "retweet_count") +
                                                       bp_json_int(pm, "quote_count")),
                                          "views", (json_int_t)bp_json_int(pm, "impression_count"),
                                          "comments", (json_int_t)bp_json_int(pm, "reply_count")));
        json_array_append_new(page->posts, post);
    }
    /* next_token pages back through the results newer than since_id; once done, the next poll
     * asks only for what came after the newest id seen */
    const char *next = bp_json_str(meta, "next_token");
    if (*next) {
        page->cursor = json_pack("{s:s, s:s, s:s}", "since_id", since, "next_token", next,
                                 "newest", newest);
        page->more = 1;
    } else {
        page->cursor = json_pack("{s:s, s:s}", "since_id", newest, "newest", newest);
    }
    free(newest);
    rc = 0;
out:
    json_decref(root);
    return rc;
}

static void x_api_error(const collector_feed_t *f, const collector_body_t *b,
                        collector_error_t *e)
{
    json_error_t je;
    json_t *root = json_loadb(b->data, b->len, 0, &je);
    if (json_is_object(root)) {
        const char *title = bp_json_str(root, "title"), *detail = bp_json_str(root, "detail");
        size_t l = strlen(e->msg);
        if (*title || *detail)
            snprintf(e->msg + l, sizeof e->msg - l, ": %.100s: %.150s", title, detail);
    }
    json_decref(root);
}

const collector_source_t x_source = {
    "x", x_feed_table, 0, x_check, x_request, x_parse, x_api_error,
};
