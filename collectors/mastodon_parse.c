/* mastodon_parse.c — the mastodon source: a hashtag, public or local timeline read forwards with
 * min_id (the statuses right after the last one seen), HTML content turned into text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html2text.h"
#include "log.h"
#include "model.h"
#include "postbuild.h"
#include "sources.h"
#include "timeutil.h"

static const bp_cfg_entry_t mastodon_feed_table[] = {
    COLLECTOR_FEED_COMMON_ENTRIES,
    {"base_url", BP_CFG_STR, NULL, offsetof(collector_feed_t, base_url),
     "instance address, e.g. https://mastodon.social", NULL, NULL, NULL, 1},
    {"timeline", BP_CFG_STR, "tag", offsetof(collector_feed_t, timeline),
     "tag (needs hashtag), public or local", NULL, NULL, NULL, 0},
    {"hashtag", BP_CFG_STR, "", offsetof(collector_feed_t, hashtag),
     "hashtag without '#', for timeline: tag", NULL, NULL, NULL, 0},
    {"token", BP_CFG_SECRET, NULL, offsetof(collector_feed_t, token),
     "optional access token: {env: NAME} or {file: PATH}", NULL, NULL, NULL, 0},
    {"count", BP_CFG_INT, "40", offsetof(collector_feed_t, count),
     "statuses per page (1..40)", NULL, NULL, NULL, 0},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static int mastodon_check(collector_feed_t *f, char *err, size_t errlen)
{
    if (strcmp(f->timeline, "tag") != 0 && strcmp(f->timeline, "public") != 0 &&
        strcmp(f->timeline, "local") != 0)
        return bp_seterr(err, errlen,
                         "feed '%s': key 'timeline': expected tag, public or local, got '%s'",
                         f->name, f->timeline);
    if (strcmp(f->timeline, "tag") == 0 && (!*f->hashtag || f->hashtag[0] == '#'))
        return bp_seterr(err, errlen, "feed '%s': key 'hashtag': a hashtag without '#' is "
                                      "required for timeline: tag",
                         f->name);
    if (f->count < 1 || f->count > 40)
        return bp_seterr(err, errlen, "feed '%s': key 'count': expected 1..40, got %lld",
                         f->name, f->count);
    return 0;
}

static int mastodon_request(const collector_feed_t *f, const json_t *cursor, bp_buf_t *url,
                            char **hdr, size_t *nhdr, char *err, size_t errlen)
{
    const char *min_id = bp_json_str(cursor, "min_id");
    if (strcmp(f->timeline, "tag") == 0) {
        bp_buf_printf(url, "%s/api/v1/timelines/tag/", f->base_url);
        postbuild_urlencode(url, f->hashtag);
        bp_buf_printf(url, "?limit=%lld", f->count);
    } else {
        bp_buf_printf(url, "%s/api/v1/timelines/public?limit=%lld%s", f->base_url, f->count,
                      strcmp(f->timeline, "local") == 0 ? "&local=true" : "");
    }
    if (*min_id) {
        bp_buf_puts(url, "&min_id=");
        postbuild_urlencode(url, min_id);
    }
    return postbuild_bearer(f->token, hdr, nhdr, err, errlen);
}

static int mastodon_parse(const collector_feed_t *f, const json_t *cursor,
                          const collector_body_t *b, int64_t now_ms, collector_page_t *page,
                          collector_error_t *e)
{
    int rc = -1;
    (void)now_ms;
    json_t *root = postbuild_body_json(b, "timeline", e);
    if (!root)
        return -1;
    if (!json_is_array(root)) {
        e->cls = BP_FETCH_BAD_BODY;
        snprintf(e->msg, sizeof e->msg, "timeline: expected an array of statuses%s%.200s",
                 json_is_object(root) ? ": " : "", bp_json_str(root, "error"));
        goto out;
    }
    page->posts = json_array();
    char *newest = strdup(bp_json_str(cursor, "min_id"));
    if (!page->posts || !newest) {
        free(newest);
        goto out;
    }
    size_t i;
    json_t *st;
    json_array_foreach(root, i, st)
    {
        const char *sid = bp_json_str(st, "id");
        if (!*sid || strlen(sid) > 40) {
            postbuild_bad(page, "mastodon status without an id", st);
            continue;
        }
        if (postbuild_id_cmp(sid, newest) > 0) {
            char *n = strdup(sid);
            if (n) {
                free(newest);
                newest = n;
            }
        }
        if (json_is_object(json_object_get(st, "reblog"))) { /* a boost repeats another post */
            page->skipped++;
            continue;
        }
        const char *uri = bp_json_str(st, "uri"), *content = bp_json_str(st, "content");
        const char *cw = bp_json_str(st, "spoiler_text");
        char *text = html2text(content, strlen(content));
        if (!text)
            continue;
        if (!*text && !*cw) {
            free(text);
            page->skipped++;
            continue;
        }
        bp_buf_t idb, full;
        bp_buf_init(&idb, 0);
        bp_buf_init(&full, 0);
        /* the status URI is global: the same status seen through two instances has one id */
        bp_buf_puts(&idb, "mastodon:");
        bp_buf_puts(&idb, *uri ? uri : sid);
        if (*cw) {
            bp_buf_puts(&full, cw);
            bp_buf_puts(&full, "\n");
        }
        bp_buf_puts(&full, text);
        free(text);
        json_t *post = postbuild_new(f, "mastodon", idb.data);
        bp_buf_free(&idb);
        if (!post || postbuild_set_text(f, post, full.data, full.len) < 0) {
            bp_buf_free(&full);
            json_decref(post);
            free(newest);
            goto out;
        }
        bp_buf_free(&full);
        json_object_set_new(post, "kind",
                            json_string(*bp_json_str(st, "in_reply_to_id") ? "comment" : "post"));
        postbuild_set_str(post, "url", *bp_json_str(st, "url") ? bp_json_str(st, "url") : uri);
        json_t *acct = json_object_get(st, "account");
        if (json_is_object(acct)) {
            char aid[300];
            const char *au = bp_json_str(acct, "url");
            snprintf(aid, sizeof aid, "mastodon:%.280s",
                     *au ? au : bp_json_str(acct, "acct"));
            const char *dn = bp_json_str(acct, "display_name");
            json_t *a = postbuild_author(aid, *dn ? dn : bp_json_str(acct, "username"),
                                         json_is_integer(json_object_get(acct, "followers_count"))
                                             ? bp_json_int(acct, "followers_count")
                                             : -1,
                                         au);
            if (a) {
                postbuild_set_str(a, "username", bp_json_str(acct, "acct"));
                json_object_set_new(post, "author", a);
            }
        }
        int64_t ms;
        if (bp_time_parse_rfc3339(bp_json_str(st, "created_at"), &ms) == 0)
            bp_json_set_time(post, "published_at", ms);
        const char *lang = bp_json_str(st, "language");
        if ((!f->lang || !*f->lang) && (strcmp(lang, "ru") == 0 || strcmp(lang, "uk") == 0 ||
                                         strcmp(lang, "en") == 0))
            json_object_set_new(post, "lang", json_string(lang));
        json_object_set_new(post, "metrics",
                            json_pack("{s:I, s:I, s:I}", "likes",
                                      (json_int_t)bp_json_int(st, "favourites_count"), "reposts",
                                      (json_int_t)bp_json_int(st, "reblogs_count"), "comments",
                                      (json_int_t)bp_json_int(st, "replies_count")));
        json_array_append_new(page->posts, post);
    }
    page->cursor = json_pack("{s:s}", "min_id", newest);
    page->more = (long long)json_array_size(root) >= f->count; /* a full page: more follow */
    free(newest);
    rc = 0;
out:
    json_decref(root);
    return rc;
}

static void mastodon_api_error(const collector_feed_t *f, const collector_body_t *b,
                           collector_error_t *e)
{
    (void)f;
    postbuild_error_field(b, "error", e);
}

const collector_source_t mastodon_source = {
    "mastodon", mastodon_feed_table, 0, mastodon_check, mastodon_request, mastodon_parse,
    mastodon_api_error,
};
