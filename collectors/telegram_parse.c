/* telegram_parse.c — the telegram source: Bot API getUpdates long polling (message,
 * channel_post and their edits in groups and channels where the bot is a member); the update
 * offset is the checkpoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "model.h"
#include "postbuild.h"
#include "sources.h"

static const bp_cfg_entry_t telegram_feed_table[] = {
    COLLECTOR_FEED_COMMON_ENTRIES,
    {"token", BP_CFG_SECRET, NULL, offsetof(collector_feed_t, token),
     "bot token: {env: NAME} or {file: PATH}", NULL, NULL, NULL, 1},
    {"base_url", BP_CFG_STR, "https://api.telegram.org", offsetof(collector_feed_t, base_url),
     "Bot API address (tests point it at loopback)", NULL, NULL, NULL, 0},
    {"long_poll", BP_CFG_DURATION, "25s", offsetof(collector_feed_t, long_poll_ms),
     "getUpdates timeout: how long the server may hold the request", NULL, NULL, NULL, 0},
    {"count", BP_CFG_INT, "100", offsetof(collector_feed_t, count),
     "updates per request (1..100)", NULL, NULL, NULL, 0},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static int telegram_check(collector_feed_t *f, char *err, size_t errlen)
{
    if (f->count < 1 || f->count > 100)
        return bp_seterr(err, errlen, "feed '%s': key 'count': expected 1..100, got %lld",
                         f->name, f->count);
    if (f->long_poll_ms < 0 || f->long_poll_ms + 5000 > f->timeout_ms)
        return bp_seterr(err, errlen,
                         "feed '%s': key 'long_poll' must be at least 5s shorter than 'timeout'",
                         f->name);
    return 0;
}

static int telegram_request(const collector_feed_t *f, const json_t *cursor, bp_buf_t *url,
                            char **hdr, size_t *nhdr, char *err, size_t errlen)
{
    long long offset = bp_json_int(cursor, "offset");
    (void)hdr;
    (void)nhdr;
    bp_buf_printf(url, "%s/bot", f->base_url);
    postbuild_urlencode(url, f->token);
    bp_buf_printf(url, "/getUpdates?timeout=%lld&limit=%lld", (long long)(f->long_poll_ms / 1000),
                  f->count);
    if (offset > 0)
        bp_buf_printf(url, "&offset=%lld", offset);
    if (bp_buf_puts(url, "&allowed_updates=%5B%22message%22%2C%22edited_message%22%2C%22"
                         "channel_post%22%2C%22edited_channel_post%22%5D") < 0)
        return bp_seterr(err, errlen, "URL too long");
    return 0;
}

/* Builds the post of one message object (kind is "message", "channel_post", or edits). */
static json_t *telegram_post(const collector_feed_t *f, const json_t *m, int edited,
                             collector_page_t *page)
{
    json_t *chat = json_object_get(m, "chat"), *from = json_object_get(m, "from");
    const char *text = bp_json_str(m, "text");
    char id[128], base[96], url[160], aid[48], name[300];
    if (!*text)
        text = bp_json_str(m, "caption");
    if (!json_is_integer(json_object_get(m, "message_id")) ||
        !json_is_integer(json_object_get(chat, "id"))) {
        postbuild_bad(page, "telegram message without message_id or chat.id", m);
        return NULL;
    }
    if (!*text) { /* stickers, photos without caption, service messages */
        page->skipped++;
        return NULL;
    }
    long long cid = bp_json_int(chat, "id"), mid = bp_json_int(m, "message_id");
    long long edit = bp_json_int(m, "edit_date");
    snprintf(base, sizeof base, "telegram:%lld_%lld", cid, mid);
    if (edited && edit > 0) /* an edit is a new version: its own id, the original as thread */
        snprintf(id, sizeof id, "%s@%lld", base, edit);
    else
        snprintf(id, sizeof id, "%s", base);
    json_t *post = postbuild_new(f, "telegram", id);
    if (!post || postbuild_set_text(f, post, text, strlen(text)) < 0) {
        json_decref(post);
        return NULL;
    }
    const char *ctype = bp_json_str(chat, "type");
    json_object_set_new(post, "kind",
                        json_string(edited ? "edit" : strcmp(ctype, "channel") == 0 ? "post"
                                                                                  : "message"));
    const char *uname = bp_json_str(chat, "username");
    if (*uname) {
        snprintf(url, sizeof url, "https://t.me/%.64s/%lld", uname, mid);
        postbuild_set_str(post, "url", url);
    }
    postbuild_set_str(post, "chat", bp_json_str(chat, "title"));
    if (json_is_object(from)) {
        snprintf(aid, sizeof aid, "telegram:%lld", bp_json_int(from, "id"));
        snprintf(name, sizeof name, "%.140s%s%.140s", bp_json_str(from, "first_name"),
                 *bp_json_str(from, "last_name") ? " " : "", bp_json_str(from, "last_name"));
        const char *fu = bp_json_str(from, "username");
        char furl[96] = "";
        if (*fu)
            snprintf(furl, sizeof furl, "https://t.me/%.64s", fu);
        json_object_set_new(post, "author", postbuild_author(aid, name, -1, furl));
    } else { /* a channel post: the channel speaks */
        char curl[96] = "";
        snprintf(aid, sizeof aid, "telegram:%lld", cid);
        if (*uname)
            snprintf(curl, sizeof curl, "https://t.me/%.64s", uname);
        json_object_set_new(post, "author",
                            postbuild_author(aid, bp_json_str(chat, "title"), -1, curl));
    }
    long long date = bp_json_int(m, "date");
    if (date > 0)
        postbuild_set_unix(post, "published_at", (double)date);
    json_t *reply = json_object_get(m, "reply_to_message");
    if (edited) {
        postbuild_set_str(post, "thread_id", base);
    } else if (json_is_object(reply)) {
        char tid[96];
        snprintf(tid, sizeof tid, "telegram:%lld_%lld", cid, bp_json_int(reply, "message_id"));
        postbuild_set_str(post, "thread_id", tid);
    }
    return post;
}

static int telegram_parse(const collector_feed_t *f, const json_t *cursor,
                          const collector_body_t *b, int64_t now_ms, collector_page_t *page,
                          collector_error_t *e)
{
    static const char *const kinds[] = {"message", "channel_post", "edited_message",
                                        "edited_channel_post"};
    int rc = -1;
    (void)now_ms;
    json_t *root = postbuild_body_json(b, "getUpdates", e);
    if (!root)
        return -1;
    json_t *result = json_object_get(root, "result");
    if (!json_is_true(json_object_get(root, "ok")) || !json_is_array(result)) {
        e->cls = BP_FETCH_BAD_BODY;
        snprintf(e->msg, sizeof e->msg, "getUpdates: not ok: %.200s",
                 bp_json_str(root, "description"));
        goto out;
    }
    page->posts = json_array();
    if (!page->posts)
        goto out;
    long long offset = bp_json_int(cursor, "offset"), next = offset;
    size_t i;
    json_t *u;
    json_array_foreach(result, i, u)
    {
        long long uid = bp_json_int(u, "update_id");
        if (uid + 1 > next)
            next = uid + 1;
        json_t *m = NULL;
        int k;
        for (k = 0; k < 4 && !m; k++)
            m = json_object_get(u, kinds[k]);
        if (!json_is_object(m)) {
            page->skipped++; /* callback queries, polls, member updates... */
            continue;
        }
        json_t *post = telegram_post(f, m, k > 2, page);
        if (post)
            json_array_append_new(page->posts, post);
    }
    page->cursor = json_pack("{s:I}", "offset", (json_int_t)next);
    /* a full batch means more are waiting: ask again at once */
    page->more = (long long)json_array_size(result) >= f->count;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

static void telegram_api_error(const collector_feed_t *f, const collector_body_t *b,
                               collector_error_t *e)
{
    json_error_t je;
    json_t *root = json_loadb(b->data, b->len, 0, &je);
    if (json_is_object(root)) {
        long long code = bp_json_int(root, "error_code");
        json_t *params = json_object_get(root, "parameters");
        if (json_is_integer(json_object_get(params, "retry_after"))) {
            e->cls = BP_FETCH_RATE_LIMITED;
            e->retry_after_ms = bp_json_int(params, "retry_after") * 1000;
        }
        if (code == 409) /* another getUpdates consumer or a webhook is set */
            e->cls = BP_FETCH_CLIENT;
        snprintf(e->msg, sizeof e->msg, "Bot API error %lld: %.200s", code,
                 bp_json_str(root, "description"));
    }
    json_decref(root);
}

const collector_source_t telegram_source = {
    "telegram", telegram_feed_table, 0, telegram_check, telegram_request, telegram_parse,
    telegram_api_error,
};
