/* httpjson_parse.c — the http-json source: any JSON API polled by a URL template, the items
 * array found by a JSON pointer, post fields mapped from each item by JSON pointers. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html2text.h"
#include "log.h"
#include "model.h"
#include "postbuild.h"
#include "sources.h"
#include "timeutil.h"

#define FM(k) offsetof(collector_fieldmap_t, k)
static const bp_cfg_entry_t httpjson_fields_table[] = {
    {"id", BP_CFG_STR, NULL, FM(id), "pointer to the item's id (string or number)", NULL, NULL,
     NULL, 1},
    {"text", BP_CFG_STR, NULL, FM(text), "pointer to the text (HTML is turned into text)", NULL,
     NULL, NULL, 1},
    {"title", BP_CFG_STR, "", FM(title), "pointer to a title put before the text", NULL, NULL,
     NULL, 0},
    {"author", BP_CFG_STR, "", FM(author), "pointer to the author's name", NULL, NULL, NULL, 0},
    {"author_id", BP_CFG_STR, "", FM(author_id), "pointer to the author's id", NULL, NULL, NULL,
     0},
    {"author_url", BP_CFG_STR, "", FM(author_url), "pointer to the author's page", NULL, NULL,
     NULL, 0},
    {"followers", BP_CFG_STR, "", FM(followers), "pointer to the author's followers count", NULL,
     NULL, NULL, 0},
    {"time", BP_CFG_STR, "", FM(time),
     "pointer to the publication time: RFC 3339, or Unix seconds/ms", NULL, NULL, NULL, 0},
    {"url", BP_CFG_STR, "", FM(url), "pointer to the item's link", NULL, NULL, NULL, 0},
    {"lang", BP_CFG_STR, "", FM(lang), "pointer to the item's language", NULL, NULL, NULL, 0},
    {"thread_id", BP_CFG_STR, "", FM(thread_id), "pointer to the thread/conversation id", NULL,
     NULL, NULL, 0},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static const bp_cfg_entry_t httpjson_feed_table[] = {
    COLLECTOR_FEED_COMMON_ENTRIES,
    {"url", BP_CFG_STR, NULL, offsetof(collector_feed_t, url),
     "URL template: {query}, {since_id}, {since} (RFC 3339), {since_unix} are filled in", NULL,
     NULL, NULL, 1},
    {"query", BP_CFG_STR, "", offsetof(collector_feed_t, query), "value of {query}", NULL, NULL,
     NULL, 0},
    {"items", BP_CFG_STR, "", offsetof(collector_feed_t, items),
     "JSON pointer to the items array (empty: the document is the array)", NULL, NULL, NULL, 0},
    {"id_prefix", BP_CFG_STR, "", offsetof(collector_feed_t, id_prefix),
     "post id = id_prefix:value (empty: http-json:<feed name>)", NULL, NULL, NULL, 0},
    {"source", BP_CFG_STR, "http-json", offsetof(collector_feed_t, source_name),
     "the posts' source field", NULL, NULL, NULL, 0},
    {"token", BP_CFG_SECRET, NULL, offsetof(collector_feed_t, token),
     "optional bearer token: {env: NAME} or {file: PATH}", NULL, NULL, NULL, 0},
    {"headers", BP_CFG_KV, NULL, offsetof(collector_feed_t, headers),
     "extra request headers (name: value)", NULL, NULL, NULL, 0},
    {"fields", BP_CFG_SECTION, NULL, offsetof(collector_feed_t, fields),
     "where each post field is in an item (JSON pointers)", httpjson_fields_table, NULL, NULL, 1},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static int httpjson_ptr_ok(const char *p) { return !p || !*p || *p == '/'; }

static int httpjson_check(collector_feed_t *f, char *err, size_t errlen)
{
    const collector_fieldmap_t *m = &f->fields;
    const char *ptrs[] = {f->items,    m->id,   m->text, m->title, m->author, m->author_id,
                          m->author_url, m->followers, m->time, m->url, m->lang, m->thread_id};
    if (strncmp(f->url, "http://", 7) != 0 && strncmp(f->url, "https://", 8) != 0)
        return bp_seterr(err, errlen, "feed '%s': key 'url': expected an http(s) URL", f->name);
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++)
        if (!httpjson_ptr_ok(ptrs[i]))
            return bp_seterr(err, errlen,
                             "feed '%s': '%s' is not a JSON pointer (it starts with '/')",
                             f->name, ptrs[i]);
    if (!m->id || !*m->id || !m->text || !*m->text)
        return bp_seterr(err, errlen, "feed '%s': fields.id and fields.text are required",
                         f->name);
    for (size_t i = 0; i < f->headers.n; i++)
        if (strpbrk(f->headers.k[i], ": \r\n") || strpbrk(f->headers.v[i], "\r\n"))
            return bp_seterr(err, errlen, "feed '%s': header '%s' is not a valid header", f->name,
                             f->headers.k[i]);
    if (f->headers.n > 6)
        return bp_seterr(err, errlen, "feed '%s': at most 6 extra headers", f->name);
    return 0;
}

static int httpjson_request(const collector_feed_t *f, const json_t *cursor, bp_buf_t *url,
                            char **hdr, size_t *nhdr, char *err, size_t errlen)
{
    const char *t = f->url;
    char tb[BP_TIME_BUFSZ];
    long long since_ms = bp_json_int(cursor, "since_ms");
    while (*t) {
        const char *close = *t == '{' ? strchr(t, '}') : NULL;
        if (close) {
            size_t n = (size_t)(close - t - 1);
            if (n == 5 && strncmp(t + 1, "query", 5) == 0) {
                postbuild_urlencode(url, f->query);
            } else if (n == 8 && strncmp(t + 1, "since_id", 8) == 0) {
                postbuild_urlencode(url, bp_json_str(cursor, "since_id"));
            } else if (n == 5 && strncmp(t + 1, "since", 5) == 0) {
                if (since_ms > 0)
                    postbuild_urlencode(url, bp_time_format_rfc3339(since_ms, tb));
            } else if (n == 10 && strncmp(t + 1, "since_unix", 10) == 0) {
                if (since_ms > 0)
                    bp_buf_printf(url, "%lld", since_ms / 1000);
            } else {
                return bp_seterr(err, errlen, "unknown placeholder '%.*s' in url", (int)n + 2, t);
            }
            t = close + 1;
            continue;
        }
        if (bp_buf_putc(url, *t++) < 0)
            return bp_seterr(err, errlen, "URL too long");
    }
    for (size_t i = 0; i < f->headers.n; i++) {
        size_t l = strlen(f->headers.k[i]) + strlen(f->headers.v[i]) + 4;
        char *h = malloc(l);
        if (!h)
            return bp_seterr(err, errlen, "out of memory");
        snprintf(h, l, "%s: %s", f->headers.k[i], f->headers.v[i]);
        hdr[(*nhdr)++] = h;
    }
    return postbuild_bearer(f->token, hdr, nhdr, err, errlen);
}

/* The string at pointer p in item (numbers converted), or NULL. Caller frees. */
static char *httpjson_get(json_t *item, const char *p)
{
    if (!p || !*p)
        return NULL;
    return postbuild_scalar_str(postbuild_pointer(item, p));
}

/* A time value: RFC 3339 text, or a number of seconds (ms when it is past year 5000). */
static int httpjson_time(json_t *v, int64_t *ms)
{
    double d;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        if (bp_time_parse_rfc3339(s, ms) == 0)
            return 0;
        d = strtod(s, &end);
        if (end == s || *end)
            return -1;
    } else if (json_is_number(v)) {
        d = json_number_value(v);
    } else {
        return -1;
    }
    if (d <= 0)
        return -1;
    *ms = d > 1e11 ? (int64_t)d : (int64_t)(d * 1000.0);
    return 0;
}

static int httpjson_parse(const collector_feed_t *f, const json_t *cursor,
                          const collector_body_t *b, int64_t now_ms, collector_page_t *page,
                          collector_error_t *e)
{
    const collector_fieldmap_t *m = &f->fields;
    int rc = -1;
    (void)now_ms;
    json_t *root = postbuild_body_json(b, "", e);
    if (!root)
        return -1;
    json_t *items = postbuild_pointer(root, f->items);
    if (!json_is_array(items)) {
        e->cls = BP_FETCH_BAD_BODY;
        snprintf(e->msg, sizeof e->msg, "items pointer '%s' does not lead to an array",
                 f->items);
        goto out;
    }
    page->posts = json_array();
    char *since_id = strdup(bp_json_str(cursor, "since_id"));
    long long since_ms = bp_json_int(cursor, "since_ms");
    if (!page->posts || !since_id) {
        free(since_id);
        goto out;
    }
    const char *prefix = *f->id_prefix ? f->id_prefix : NULL;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        char *idv = httpjson_get(it, m->id);
        json_t *tv = postbuild_pointer(it, m->text);
        if (!idv || !*idv || strlen(idv) > 512) {
            free(idv);
            postbuild_bad(page, "item without an id at the fields.id pointer", it);
            continue;
        }
        if (postbuild_id_cmp(idv, since_id) > 0) {
            free(since_id);
            since_id = strdup(idv);
        }
        char *title = httpjson_get(it, m->title);
        const char *raw = json_is_string(tv) ? json_string_value(tv) : "";
        char *text = html2text(raw, strlen(raw));
        bp_buf_t full, idb;
        bp_buf_init(&full, 0);
        bp_buf_init(&idb, 0);
        if (title && *title)
            bp_buf_puts(&full, title);
        if (text && *text) {
            if (full.len)
                bp_buf_puts(&full, "\n");
            bp_buf_puts(&full, text);
        }
        free(text);
        if (prefix)
            bp_buf_printf(&idb, "%s:%s", prefix, idv);
        else
            bp_buf_printf(&idb, "http-json:%s:%s", f->name, idv);
        free(idv);
        if (!full.len) {
            page->skipped++;
            free(title);
            bp_buf_free(&full);
            bp_buf_free(&idb);
            continue;
        }
        json_t *post = postbuild_new(f, f->source_name, idb.data);
        bp_buf_free(&idb);
        if (!post || postbuild_set_text(f, post, full.data, full.len) < 0) {
            json_decref(post);
            free(title);
            bp_buf_free(&full);
            free(since_id);
            goto out;
        }
        bp_buf_free(&full);
        json_object_set_new(post, "kind", json_string("post"));
        postbuild_set_str(post, "title", title);
        free(title);
        char *s;
        if ((s = httpjson_get(it, m->url))) {
            postbuild_set_str(post, "url", s);
            free(s);
        }
        if ((s = httpjson_get(it, m->thread_id))) {
            postbuild_set_str(post, "thread_id", s);
            free(s);
        }
        if ((s = httpjson_get(it, m->lang))) {
            if (!*f->lang && (strcmp(s, "ru") == 0 || strcmp(s, "uk") == 0 ||
                              strcmp(s, "en") == 0))
                json_object_set_new(post, "lang", json_string(s));
            free(s);
        }
        char *an = httpjson_get(it, m->author), *aid = httpjson_get(it, m->author_id);
        char *au = httpjson_get(it, m->author_url);
        json_t *fv = m->followers && *m->followers ? postbuild_pointer(it, m->followers) : NULL;
        long long followers = -1;
        if (json_is_integer(fv) && json_integer_value(fv) >= 0)
            followers = json_integer_value(fv);
        else if (json_is_string(fv) && isdigit((unsigned char)*json_string_value(fv)))
            followers = strtoll(json_string_value(fv), NULL, 10);
        if (an || aid || au || followers >= 0) {
            char *aidp = NULL;
            if (aid && asprintf(&aidp, "%s:%s", prefix ? prefix : f->source_name, aid) < 0)
                aidp = NULL;
            json_object_set_new(post, "author", postbuild_author(aidp, an, followers, au));
            free(aidp);
        }
        free(an);
        free(aid);
        free(au);
        int64_t ms;
        json_t *tmv = m->time && *m->time ? postbuild_pointer(it, m->time) : NULL;
        if (tmv && httpjson_time(tmv, &ms) == 0) {
            bp_json_set_time(post, "published_at", ms);
            if (ms > since_ms)
                since_ms = ms;
        }
        json_array_append_new(page->posts, post);
    }
    page->cursor = json_pack("{s:s, s:I}", "since_id", since_id ? since_id : "", "since_ms",
                             (json_int_t)since_ms);
    free(since_id);
    rc = 0;
out:
    json_decref(root);
    return rc;
}

const collector_source_t httpjson_source = {
    "http-json", httpjson_feed_table, 1, httpjson_check, httpjson_request, httpjson_parse, NULL,
};
