/* vk_parse.c — the vk source: VK API newsfeed.search (q, start_time, next_from paging,
 * extended=1 for authors) or, in comments mode, newsfeed.getComments (new comments under the
 * posts of the communities the token's user runs or follows); VK's error codes mapped to
 * back-off classes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "model.h"
#include "postbuild.h"
#include "sources.h"

static const bp_cfg_entry_t vk_feed_table[] = {
    COLLECTOR_FEED_COMMON_ENTRIES,
    {"mode", BP_CFG_STR, "search", offsetof(collector_feed_t, mode),
     "search: newsfeed.search for query; comments: newsfeed.getComments (own communities)",
     NULL, NULL, NULL, 0},
    {"query", BP_CFG_STR, "", offsetof(collector_feed_t, query),
     "search query (newsfeed.search q), required in search mode", NULL, NULL, NULL, 0},
    {"token", BP_CFG_SECRET, NULL, offsetof(collector_feed_t, token),
     "access token: {env: NAME} or {file: PATH}", NULL, NULL, NULL, 1},
    {"base_url", BP_CFG_STR, "https://api.vk.com", offsetof(collector_feed_t, base_url),
     "API address (tests point it at loopback)", NULL, NULL, NULL, 0},
    {"api_version", BP_CFG_STR, "5.199", offsetof(collector_feed_t, api_version),
     "VK API version (v=)", NULL, NULL, NULL, 0},
    {"count", BP_CFG_INT, "100", offsetof(collector_feed_t, count),
     "posts per page (1..200)", NULL, NULL, NULL, 0},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static int vk_comments_mode(const collector_feed_t *f)
{
    return f->mode && strcmp(f->mode, "comments") == 0;
}

static int vk_check(collector_feed_t *f, char *err, size_t errlen)
{
    if (strcmp(f->mode, "search") != 0 && strcmp(f->mode, "comments") != 0)
        return bp_seterr(err, errlen, "feed '%s': key 'mode': expected search or comments, got '%s'",
                         f->name, f->mode);
    if (!vk_comments_mode(f) && !*f->query)
        return bp_seterr(err, errlen, "feed '%s': key 'query' is required in search mode",
                         f->name);
    if (f->count < 1 || f->count > 200)
        return bp_seterr(err, errlen, "feed '%s': key 'count': expected 1..200, got %lld",
                         f->name, f->count);
    return 0;
}

static int vk_request(const collector_feed_t *f, const json_t *cursor, bp_buf_t *url,
                      char **hdr, size_t *nhdr, char *err, size_t errlen)
{
    long long start = bp_json_int(cursor, "start_time");
    const char *nf = bp_json_str(cursor, "next_from");
    (void)hdr;
    (void)nhdr;
    if (vk_comments_mode(f)) {
        bp_buf_printf(url, "%s/method/newsfeed.getComments?extended=1&filters=post&"
                           "last_comments_count=10&count=%lld&v=",
                      f->base_url, f->count > 100 ? 100 : f->count);
        postbuild_urlencode(url, f->api_version);
    } else {
        bp_buf_printf(url, "%s/method/newsfeed.search?extended=1&count=%lld&v=", f->base_url,
                      f->count);
        postbuild_urlencode(url, f->api_version);
        bp_buf_puts(url, "&q=");
        postbuild_urlencode(url, f->query);
    }
    if (start > 0)
        bp_buf_printf(url, "&start_time=%lld", start);
    if (*nf) {
        bp_buf_puts(url, "&start_from=");
        postbuild_urlencode(url, nf);
    }
    bp_buf_puts(url, "&access_token=");
    if (postbuild_urlencode(url, f->token) < 0)
        return bp_seterr(err, errlen, "URL too long");
    return 0;
}

/* Maps a VK error object to a class and message. */
static void vk_error(const json_t *error, collector_error_t *e)
{
    long long code = bp_json_int(error, "error_code");
    const char *msg = bp_json_str(error, "error_msg");
    e->retry_after_ms = -1;
    switch (code) {
    case 5:
        e->cls = BP_FETCH_AUTH;
        break;
    case 6: /* too many requests per second */
        e->cls = BP_FETCH_RATE_LIMITED;
        e->retry_after_ms = 1000;
        break;
    case 9: /* flood control */
    case 29: /* rate limit reached: the method's daily quota */
        e->cls = BP_FETCH_RATE_LIMITED;
        break;
    case 10: /* internal server error */
        e->cls = BP_FETCH_TRANSIENT;
        break;
    default:
        e->cls = BP_FETCH_CLIENT;
        break;
    }
    snprintf(e->msg, sizeof e->msg, "VK API error %lld: %.200s", code, msg);
}

/* Finds the profile (id > 0) or group (id < 0) of from_id in the extended response. */
static json_t *vk_find_owner(const json_t *resp, long long from_id)
{
    const char *list = from_id > 0 ? "profiles" : "groups";
    long long want = from_id > 0 ? from_id : -from_id;
    json_t *arr = json_object_get(resp, list), *v;
    size_t i;
    json_array_foreach(arr, i, v) if (bp_json_int(v, "id") == want) return v;
    return NULL;
}

static json_t *vk_author(const json_t *resp, long long from_id)
{
    char id[48], url[64], name[512];
    json_t *o = vk_find_owner(resp, from_id);
    long long followers = -1;
    snprintf(id, sizeof id, "vk:%lld", from_id);
    name[0] = '\0';
    if (from_id > 0) {
        snprintf(url, sizeof url, "https://vk.com/id%lld", from_id);
        if (o) {
            snprintf(name, sizeof name, "%.240s %.240s", bp_json_str(o, "first_name"),
                     bp_json_str(o, "last_name"));
            if (json_is_integer(json_object_get(o, "followers_count")))
                followers = bp_json_int(o, "followers_count");
        }
    } else {
        snprintf(url, sizeof url, "https://vk.com/club%lld", -from_id);
        if (o) {
            snprintf(name, sizeof name, "%.500s", bp_json_str(o, "name"));
            if (json_is_integer(json_object_get(o, "members_count")))
                followers = bp_json_int(o, "members_count");
        }
    }
    if (o && *bp_json_str(o, "screen_name"))
        snprintf(url, sizeof url, "https://vk.com/%.40s", bp_json_str(o, "screen_name"));
    size_t n = strlen(name);
    while (n > 0 && name[n - 1] == ' ')
        name[--n] = '\0';
    return postbuild_author(id, name[0] == ' ' ? name + 1 : name, followers, url);
}

static long long vk_count(const json_t *item, const char *key)
{
    return bp_json_int(json_object_get(item, key), "count");
}

/* newsfeed.getComments: each item is a post with its latest comments in comments.list; every
 * comment becomes a post of kind "comment" whose thread is the commented post. Returns the
 * newest comment date seen. */
static long long vk_comments(const collector_feed_t *f, json_t *resp, json_t *items,
                             long long newest, collector_page_t *page)
{
    size_t i, j;
    json_t *it, *c;
    json_array_foreach(items, i, it)
    {
        long long owner = bp_json_int(it, "source_id"), pid = bp_json_int(it, "post_id");
        json_t *list = json_object_get(json_object_get(it, "comments"), "list");
        if (!owner || !pid) {
            postbuild_bad(page, "vk comments item without source_id/post_id", it);
            continue;
        }
        if (json_array_size(list) == 0) {
            page->skipped++;
            continue;
        }
        json_array_foreach(list, j, c)
        {
            long long cid = bp_json_int(c, "id"), from = bp_json_int(c, "from_id");
            long long date = bp_json_int(c, "date");
            const char *text = bp_json_str(c, "text");
            char id[96], url[128], tid[80];
            if (!cid) {
                postbuild_bad(page, "vk comment without id", c);
                continue;
            }
            if (date > newest)
                newest = date;
            if (!*text) {
                page->skipped++;
                continue;
            }
            snprintf(id, sizeof id, "vk:wall%lld_%lld_r%lld", owner, pid, cid);
            snprintf(url, sizeof url, "https://vk.com/wall%lld_%lld?reply=%lld", owner, pid, cid);
            snprintf(tid, sizeof tid, "vk:wall%lld_%lld", owner, pid);
            json_t *post = postbuild_new(f, "vk", id);
            if (!post || postbuild_set_text(f, post, text, strlen(text)) < 0) {
                json_decref(post);
                continue;
            }
            json_object_set_new(post, "kind", json_string("comment"));
            postbuild_set_str(post, "url", url);
            postbuild_set_str(post, "thread_id", tid);
            json_t *a = vk_author(resp, from);
            if (a)
                json_object_set_new(post, "author", a);
            if (date > 0)
                postbuild_set_unix(post, "published_at", (double)date);
            json_object_set_new(post, "metrics",
                                json_pack("{s:I}", "likes", (json_int_t)vk_count(c, "likes")));
            json_array_append_new(page->posts, post);
        }
    }
    return newest;
}

static int vk_parse(const collector_feed_t *f, const json_t *cursor, const collector_body_t *b,
                    int64_t now_ms, collector_page_t *page, collector_error_t *e)
{
    char err[256];
    json_t *root = postbuild_json_load(b->data, b->len, NULL, err, sizeof err);
    int rc = -1;
    (void)now_ms;
    if (!root) {
        e->cls = BP_FETCH_BAD_BODY;
        snprintf(e->msg, sizeof e->msg, "%s: %s",
                 vk_comments_mode(f) ? "newsfeed.getComments" : "newsfeed.search", err);
        return -1;
    }
    json_t *error = json_object_get(root, "error");
    if (json_is_object(error)) {
        vk_error(error, e);
        goto out;
    }
    json_t *resp = json_object_get(root, "response");
    json_t *items = json_object_get(resp, "items");
    if (!json_is_array(items)) {
        e->cls = BP_FETCH_BAD_BODY;
        snprintf(e->msg, sizeof e->msg, "%s: no response.items array",
                 vk_comments_mode(f) ? "newsfeed.getComments" : "newsfeed.search");
        goto out;
    }
    page->posts = json_array();
    if (!page->posts)
        goto out;
    long long start_time = bp_json_int(cursor, "start_time");
    long long newest = bp_json_int(cursor, "newest");
    if (newest < start_time)
        newest = start_time;
    size_t i;
    json_t *it;
    if (vk_comments_mode(f))
        newest = vk_comments(f, resp, items, newest, page);
    else json_array_foreach(items, i, it)
    {
        long long owner = bp_json_int(it, "owner_id"), pid = bp_json_int(it, "id");
        long long from = bp_json_int(it, "from_id"), date = bp_json_int(it, "date");
        const char *text = bp_json_str(it, "text");
        char id[80], url[96], tid[80];
        if (!json_is_integer(json_object_get(it, "id")) ||
            !json_is_integer(json_object_get(it, "owner_id"))) {
            postbuild_bad(page, "vk item without integer id/owner_id", it);
            continue;
        }
        if (!*text) {
            page->skipped++;
            continue;
        }
        if (date > newest)
            newest = date;
        const char *ptype = bp_json_str(it, "post_type");
        int is_reply = strcmp(ptype, "reply") == 0 || json_object_get(it, "post_id");
        long long parent = bp_json_int(it, "post_id");
        snprintf(id, sizeof id, "vk:wall%lld_%lld", owner, pid);
        if (is_reply && parent)
            snprintf(url, sizeof url, "https://vk.com/wall%lld_%lld?reply=%lld", owner, parent,
                     pid);
        else
            snprintf(url, sizeof url, "https://vk.com/wall%lld_%lld", owner, pid);
        json_t *post = postbuild_new(f, "vk", id);
        if (!post || postbuild_set_text(f, post, text, strlen(text)) < 0) {
            json_decref(post);
            goto out;
        }
        json_object_set_new(post, "kind", json_string(is_reply ? "comment" : "post"));
        postbuild_set_str(post, "url", url);
        json_t *a = vk_author(resp, from ? from : owner);
        if (a)
            json_object_set_new(post, "author", a);
        if (date > 0)
            postbuild_set_unix(post, "published_at", (double)date);
        if (is_reply && parent) {
            snprintf(tid, sizeof tid, "vk:wall%lld_%lld", owner, parent);
            postbuild_set_str(post, "thread_id", tid);
        }
        json_object_set_new(post, "metrics",
                            json_pack("{s:I, s:I, s:I, s:I}", "likes",
                                      (json_int_t)vk_count(it, "likes"), "reposts",
                                      (json_int_t)vk_count(it, "reposts"), "views",
                                      (json_int_t)vk_count(it, "views"), "comments",
                                      (json_int_t)vk_count(it, "comments")));
        json_array_append_new(page->posts, post);
    }
    /* paging: next_from continues this search; when it ends, the next search starts after the
     * newest post seen (VK's start_time is inclusive: the dedup window drops the repeat). */
    const char *nf = bp_json_str(resp, "next_from");
    if (*nf && json_array_size(items) > 0) {
        page->cursor = json_pack("{s:I, s:s, s:I}", "start_time", (json_int_t)start_time,
                                 "next_from", nf, "newest", (json_int_t)newest);
        page->more = 1;
    } else {
        page->cursor = json_pack("{s:I, s:I}", "start_time", (json_int_t)newest, "newest",
                                 (json_int_t)newest);
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

static void vk_api_error(const collector_feed_t *f, const collector_body_t *b,
                         collector_error_t *e)
{
    json_error_t je;
    json_t *root = json_loadb(b->data, b->len, 0, &je);
    json_t *error = json_object_get(root, "error");
    if (json_is_object(error)) {
        int64_t ra = e->retry_after_ms;
        vk_error(error, e);
        if (ra >= 0)
            e->retry_after_ms = ra;
    }
    json_decref(root);
}

const collector_source_t vk_source = {
    "vk", vk_feed_table, 0, vk_check, vk_request, vk_parse, vk_api_error,
};
