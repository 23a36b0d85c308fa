/* reddit_parse.c — the reddit source: search.json for a query, newest first, paged backwards
 * with `after` until the posts already seen, with a descriptive User-Agent as Reddit asks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "model.h"
#include "postbuild.h"
#include "sources.h"
#include "timeutil.h"

static const bp_cfg_entry_t reddit_feed_table[] = {
    COLLECTOR_FEED_COMMON_ENTRIES,
    {"query", BP_CFG_STR, NULL, offsetof(collector_feed_t, query), "search query", NULL, NULL,
     NULL, 1},
    {"subreddit", BP_CFG_STR, "", offsetof(collector_feed_t, subreddit),
     "search only r/NAME (empty: all of Reddit)", NULL, NULL, NULL, 0},
    {"base_url", BP_CFG_STR, "https://www.reddit.com", offsetof(collector_feed_t, base_url),
     "API address (https://oauth.reddit.com with a token; tests: loopback)", NULL, NULL, NULL,
     0},
    {"token", BP_CFG_SECRET, NULL, offsetof(collector_feed_t, token),
     "optional OAuth bearer token: {env: NAME} or {file: PATH}", NULL, NULL, NULL, 0},
    {"count", BP_CFG_INT, "100", offsetof(collector_feed_t, count),
     "posts per page (1..100)", NULL, NULL, NULL, 0},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static int reddit_check(collector_feed_t *f, char *err, size_t errlen)
{
    if (!*f->query)
        return bp_seterr(err, errlen, "feed '%s': key 'query' is empty", f->name);
    if (f->count < 1 || f->count > 100)
        return bp_seterr(err, errlen, "feed '%s': key 'count': expected 1..100, got %lld",
                         f->name, f->count);
    if (!*f->user_agent) { /* Reddit throttles generic agents: name the deployment */
        free(f->user_agent);
        f->user_agent = strdup("brandpulse/" BP_VERSION " (brand monitoring; by /u/brandpulse)");
    }
    return 0;
}

static int reddit_request(const collector_feed_t *f, const json_t *cursor, bp_buf_t *url,
                          char **hdr, size_t *nhdr, char *err, size_t errlen)
{
    const char *after = bp_json_str(cursor, "after");
    if (*f->subreddit) {
        bp_buf_printf(url, "%s/r/", f->base_url);
        postbuild_urlencode(url, f->subreddit);
        bp_buf_puts(url, "/search.json?restrict_sr=1&");
    } else {
        bp_buf_printf(url, "%s/search.json?", f->base_url);
    }
    bp_buf_printf(url, "sort=new&raw_json=1&limit=%lld&q=", f->count);
    postbuild_urlencode(url, f->query);
    if (*after) {
        bp_buf_puts(url, "&after=");
        postbuild_urlencode(url, after);
    }
    return postbuild_bearer(f->token, hdr, nhdr, err, errlen);
}

static int reddit_parse(const collector_feed_t *f, const json_t *cursor,
                        const collector_body_t *b, int64_t now_ms, collector_page_t *page,
                        collector_error_t *e)
{
    int rc = -1;
    (void)now_ms;
    json_t *root = postbuild_body_json(b, "search.json", e);
    if (!root)
        return -1;
    json_t *data = json_object_get(root, "data");
    json_t *children = json_object_get(data, "children");
    if (strcmp(bp_json_str(root, "kind"), "Listing") != 0 || !json_is_array(children)) {
        e->cls = BP_FETCH_BAD_BODY;
        snprintf(e->msg, sizeof e->msg, "search.json: not a Listing with data.children");
        goto out;
    }
    page->posts = json_array();
    if (!page->posts)
        goto out;
    /* newest: created_utc of the newest post acknowledged by a finished poll; a poll pages back
     * (after=) until it reaches posts not newer than that */
    double newest = json_number_value(json_object_get(cursor, "newest"));
    double cycle = json_number_value(json_object_get(cursor, "cycle_newest"));
    int reached_old = 0;
    size_t i;
    json_t *ch;
    if (cycle < newest)
        cycle = newest;
    json_array_foreach(children, i, ch)
    {
        json_t *d = json_object_get(ch, "data");
        const char *name = bp_json_str(d, "name"), *kind = bp_json_str(ch, "kind");
        double created = json_number_value(json_object_get(d, "created_utc"));
        if (!*name || strlen(name) > 40) {
            postbuild_bad(page, "reddit child without data.name", ch);
            continue;
        }
        if (created > cycle)
            cycle = created;
        if (newest > 0 && created <= newest)
            reached_old = 1;
        const char *title = bp_json_str(d, "title");
        const char *body = strcmp(kind, "t1") == 0 ? bp_json_str(d, "body")
                                                   : bp_json_str(d, "selftext");
        bp_buf_t text;
        bp_buf_init(&text, 0);
        bp_buf_puts(&text, title);
        if (*body) {
            if (text.len)
                bp_buf_puts(&text, "\n");
            bp_buf_puts(&text, body);
        }
        if (!text.len) {
            bp_buf_free(&text);
            page->skipped++;
            continue;
        }
        char id[64], url[600], aid[120], aurl[160];
        snprintf(id, sizeof id, "reddit:%s", name);
        json_t *post = postbuild_new(f, "reddit", id);
        if (!post || postbuild_set_text(f, post, text.data, text.len) < 0) {
            bp_buf_free(&text);
            json_decref(post);
            goto out;
        }
        bp_buf_free(&text);
        json_object_set_new(post, "kind", json_string(strcmp(kind, "t1") == 0 ? "comment"
                                                                              : "post"));
        const char *perm = bp_json_str(d, "permalink");
        if (*perm) {
            snprintf(url, sizeof url, "https://www.reddit.com%.500s", perm);
            postbuild_set_str(post, "url", url);
        }
        postbuild_set_str(post, "title", title);
        postbuild_set_str(post, "subreddit", bp_json_str(d, "subreddit"));
        const char *author = bp_json_str(d, "author");
        if (*author && strcmp(author, "[deleted]") != 0) {
            snprintf(aid, sizeof aid, "reddit:%.100s", author);
            snprintf(aurl, sizeof aurl, "https://www.reddit.com/user/%.100s", author);
            json_object_set_new(post, "author", postbuild_author(aid, author, -1, aurl));
        }
        if (created > 0)
            postbuild_set_unix(post, "published_at", created);
        json_object_set_new(post, "metrics",
                            json_pack("{s:I, s:I}", "likes", (json_int_t)bp_json_int(d, "score"),
                                      "comments", (json_int_t)bp_json_int(d, "num_comments")));
        json_array_append_new(page->posts, post);
    }
    const char *after = bp_json_str(data, "after");
    if (*after && !reached_old && json_array_size(children) > 0) {
        page->cursor = json_pack("{s:f, s:s, s:f}", "newest", newest, "after", after,
                                 "cycle_newest", cycle);
        page->more = 1;
    } else {
        page->cursor = json_pack("{s:f}", "newest", cycle);
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

static void reddit_api_error(const collector_feed_t *f, const collector_body_t *b,
                             collector_error_t *e)
{
    (void)f;
    postbuild_error_field(b, "message", e);
}

const collector_source_t reddit_source = {
    "reddit", reddit_feed_table, 0, reddit_check, reddit_request, reddit_parse,
    reddit_api_error,
};
