/* rss_parse.c — the rss source: RSS 2.0, RSS 1.0 (RDF) and Atom feeds parsed with expat,
 * any charset iconv can read converted to UTF-8, HTML descriptions turned into text. */
#include <ctype.h>
#include <errno.h>
#include <expat.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "html2text.h"
#include "log.h"
#include "model.h"
#include "postbuild.h"
#include "sources.h"
#include "timeutil.h"
#include "utf8.h"

#define RSS_MAX_DEPTH 64
#define RSS_FIELD_MAX ((size_t)1 << 20)

static const bp_cfg_entry_t rss_feed_table[] = {
    COLLECTOR_FEED_COMMON_ENTRIES,
    {"url", BP_CFG_STR, NULL, offsetof(collector_feed_t, url), "feed URL (http or https)", NULL,
     NULL, NULL, 1},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0},
};

/* ---- dates ---- */

static int rss_zone_offset(const char *z, int *min_out)
{
    static const struct {
        const char *name;
        int min;
    } zones[] = {{"GMT", 0},     {"UT", 0},      {"UTC", 0},     {"Z", 0},      {"EST", -300},
                 {"EDT", -240},  {"CST", -360},  {"CDT", -300},  {"MST", -420}, {"MDT", -360},
                 {"PST", -480},  {"PDT", -420},  {"MSK", 180},   {"EET", 120},  {"EEST", 180},
                 {"CET", 60},    {"CEST", 120}};
    while (*z == ' ')
        z++;
    if ((z[0] == '+' || z[0] == '-') && isdigit((unsigned char)z[1])) {
        int sign = z[0] == '-' ? -1 : 1, h, m;
        if (strlen(z) >= 5 && sscanf(z + 1, "%2d%2d", &h, &m) == 2) {
            *min_out = sign * (h * 60 + m);
            return 0;
        }
        if (sscanf(z + 1, "%2d:%2d", &h, &m) == 2) {
            *min_out = sign * (h * 60 + m);
            return 0;
        }
        return -1;
    }
    if (!*z) {
        *min_out = 0;
        return 0;
    }
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
        if (strncasecmp(z, zones[i].name, strlen(zones[i].name)) == 0 &&
            !isalpha((unsigned char)z[strlen(zones[i].name)])) {
            *min_out = zones[i].min;
            return 0;
        }
    return -1;
}

int rss_parse_rfc822(const char *s, int64_t *ms_out)
{
    struct tm tm;
    const char *p = s, *end;
    int zmin = 0;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (isalpha((unsigned char)p[0])) { /* skip the weekday */
        while (*p && *p != ',' && *p != ' ')
            p++;
        if (*p == ',')
            p++;
    }
    memset(&tm, 0, sizeof tm);
    end = strptime(p, " %d %b %Y %H:%M:%S", &tm);
    if (!end) {
        memset(&tm, 0, sizeof tm);
        end = strptime(p, " %d %b %Y %H:%M", &tm);
    }
    if (!end)
        return -1;
    if (tm.tm_year < 0) /* two-digit years: strptime %Y took them literally */
        return -1;
    if (tm.tm_year + 1900 < 100)
        tm.tm_year += tm.tm_year + 1900 < 50 ? 100 : 0;
    if (rss_zone_offset(end, &zmin) < 0)
        return -1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    *ms_out = ((int64_t)t - (int64_t)zmin * 60) * 1000;
    return 0;
}

/* ---- charsets ---- */

char *rss_parse_to_utf8(const char *data, size_t len, const char *charset, size_t *outlen)
{
    iconv_t cd = iconv_open("UTF-8", charset);
    if (cd == (iconv_t)-1)
        return NULL;
    size_t cap = len * 4 + 16;
    char *out = malloc(cap);
    if (!out) {
        iconv_close(cd);
        return NULL;
    }
    char *in = (char *)data, *o = out;
    size_t inleft = len, oleft = cap - 1;
    while (inleft > 0) {
        size_t r = iconv(cd, &in, &inleft, &o, &oleft);
        if (r != (size_t)-1)
            break;
        if (errno == EILSEQ || errno == EINVAL) { /* undecodable: U+FFFD, skip a byte */
            if (oleft < 4)
                break;
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            oleft -= 3;
            in++;
            inleft--;
            iconv(cd, NULL, NULL, NULL, NULL);
        } else {
            break; /* E2BIG cannot happen with 4x room; stop rather than loop */
        }
    }
    iconv_close(cd);
    *o = '\0';
    *outlen = (size_t)(o - out);
    return out;
}

/* The encoding named in the XML declaration, else the Content-Type charset, else "UTF-8". */
static void rss_detect_charset(const char *data, size_t len, const char *ctype, char *out,
                               size_t outlen)
{
    snprintf(out, outlen, "UTF-8");
    if (len >= 5 && strncmp(data, "<?xml", 5) == 0) {
        const char *end = memchr(data, '>', len < 300 ? len : 300);
        const char *enc = end ? memmem(data, (size_t)(end - data), "encoding", 8) : NULL;
        if (enc) {
            enc += 8;
            while (*enc == ' ' || *enc == '=')
                enc++;
            if (*enc == '"' || *enc == '\'') {
                char q = *enc++;
                size_t n = 0;
                while (enc + n < end && enc[n] != q && n + 1 < outlen)
                    n++;
                memcpy(out, enc, n);
                out[n] = '\0';
                return;
            }
        }
    }
    const char *cs = ctype ? strcasestr(ctype, "charset=") : NULL;
    if (cs) {
        cs += 8;
        if (*cs == '"')
            cs++;
        size_t n = 0;
        while (cs[n] && cs[n] != ';' && cs[n] != '"' && cs[n] != ' ' && n + 1 < outlen)
            n++;
        memcpy(out, cs, n);
        out[n] = '\0';
    }
}

/* ---- the parse ---- */

enum rss_field { F_NONE, F_TITLE, F_LINK, F_ID, F_DESC, F_CONTENT, F_DATE, F_UPDATED,
                 F_AUTHOR, F_CHAN_TITLE, F_CHAN_LINK };

typedef struct rss_item {
    bp_buf_t title, link, id, desc, content, date, updated, author;
} rss_item_t;

typedef struct rss_ctx {
    XML_Parser xp;
    const collector_feed_t *feed;
    collector_page_t *page;
    int64_t now_ms;
    int depth;
    int item_depth;         /* depth of the open item/entry, 0 if none */
    int in_author;          /* depth of the item's <author>, 0 if outside */
    int skip_depth;         /* depth of an ignored child of <author> (<email>, <uri>) */
    enum rss_field field;   /* the field being captured */
    int field_depth;
    int field_is_html;      /* Atom type="xhtml": nested markup is content */
    bp_buf_t text;          /* characters of the field */
    rss_item_t it;
    bp_buf_t chan_title, chan_link;
    int failed;             /* out of memory or a field too long */
    size_t items;
} rss_ctx_t;

static const char *rss_local(const char *name)
{
    const char *c = strrchr(name, ':');
    return c ? c + 1 : name;
}

static int rss_prefixed(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(name, prefix, n) == 0 && name[n] == ':';
}

static const char *rss_attr(const char **atts, const char *name)
{
    for (int i = 0; atts[i]; i += 2)
        if (strcmp(rss_local(atts[i]), name) == 0)
            return atts[i + 1];
    return NULL;
}

static void rss_item_reset(rss_item_t *it)
{
    bp_buf_reset(&it->title);
    bp_buf_reset(&it->link);
    bp_buf_reset(&it->id);
    bp_buf_reset(&it->desc);
    bp_buf_reset(&it->content);
    bp_buf_reset(&it->date);
    bp_buf_reset(&it->updated);
    bp_buf_reset(&it->author);
}

static void rss_item_free(rss_item_t *it)
{
    bp_buf_free(&it->title);
    bp_buf_free(&it->link);
    bp_buf_free(&it->id);
    bp_buf_free(&it->desc);
    bp_buf_free(&it->content);
    bp_buf_free(&it->date);
    bp_buf_free(&it->updated);
    bp_buf_free(&it->author);
}

static void rss_set(rss_ctx_t *c, bp_buf_t *dst, int only_if_empty)
{
    if (only_if_empty && dst->len)
        return;
    bp_buf_reset(dst);
    if (bp_buf_append(dst, c->text.data ? c->text.data : "", c->text.len) < 0)
        c->failed = 1;
}

static const char *rss_s(const bp_buf_t *b) { return b->data ? b->data : ""; }

/* Trims whitespace in place and returns the start. */
static char *rss_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static void rss_finish_item(rss_ctx_t *c)
{
    rss_item_t *it = &c->it;
    char dig[33];
    char *title = html2text(rss_s(&it->title), it->title.len);
    const char *body_html = it->content.len ? rss_s(&it->content) : rss_s(&it->desc);
    char *body = html2text(body_html, strlen(body_html));
    char *link = strdup(rss_s(&it->link)), *gid = strdup(rss_s(&it->id));
    bp_buf_t text, idb;
    json_t *post = NULL;
    bp_buf_init(&text, 0);
    bp_buf_init(&idb, 0);
    if (!title || !body || !link || !gid) {
        c->failed = 1;
        goto out;
    }
    c->items++;
    const char *l = rss_trim(link), *g = rss_trim(gid);
    const char *native = *g ? g : l;
    if (!*native)
        native = postbuild_digest(dig, title, body);
    bp_buf_puts(&idb, "rss:");
    if (strstr(native, "://") && strlen(native) <= 512 && !strpbrk(native, " \t\r\n")) {
        bp_buf_puts(&idb, native);
    } else { /* a feed-local guid: qualify it with the feed URL */
        bp_buf_puts(&idb, postbuild_digest(dig, c->feed->url, native));
    }
    if (*title)
        bp_buf_puts(&text, title);
    if (*body && strcmp(body, title) != 0) {
        if (text.len)
            bp_buf_puts(&text, "\n");
        bp_buf_puts(&text, body);
    }
    if (!text.len) {
        c->page->skipped++;
        goto out;
    }
    post = postbuild_new(c->feed, "rss", idb.data);
    if (!post || postbuild_set_text(c->feed, post, text.data, text.len) < 0) {
        c->failed = 1;
        goto out;
    }
    json_object_set_new(post, "kind", json_string("post"));
    postbuild_set_str(post, "title", title);
    if (strncmp(l, "http://", 7) == 0 || strncmp(l, "https://", 8) == 0)
        postbuild_set_str(post, "url", l);
    else if (strncmp(g, "http://", 7) == 0 || strncmp(g, "https://", 8) == 0)
        postbuild_set_str(post, "url", g);
    int64_t ms;
    char *d = strdup(it->date.len ? rss_s(&it->date) : rss_s(&it->updated));
    if (d) {
        char *ds = rss_trim(d);
        if (*ds && (bp_time_parse_rfc3339(ds, &ms) == 0 || rss_parse_rfc822(ds, &ms) == 0))
            bp_json_set_time(post, "published_at", ms);
        free(d);
    }
    char *an = html2text(rss_s(&it->author), it->author.len);
    if (an && strchr(an, '@') && strchr(an, '(') && strrchr(an, ')') > strchr(an, '(')) {
        /* RSS 2.0 <author> is "mail@example.com (Name)": keep the name */
        char *o = strchr(an, '('), *cl = strrchr(an, ')');
        memmove(an, o + 1, (size_t)(cl - o - 1));
        an[cl - o - 1] = '\0';
    }
    const char *aname = an && *an ? an : rss_s(&c->chan_title);
    if (*aname) {
        char *cn = strdup(aname);
        json_t *a = cn ? postbuild_author(NULL, rss_trim(cn), -1, NULL) : NULL;
        if (a)
            json_object_set_new(post, "author", a);
        free(cn);
    }
    free(an);
    if (c->chan_title.len)
        postbuild_set_str(post, "channel", rss_s(&c->chan_title));
    if (json_array_append_new(c->page->posts, post) < 0)
        c->failed = 1;
    post = NULL;
out:
    json_decref(post);
    bp_buf_free(&text);
    bp_buf_free(&idb);
    free(title);
    free(body);
    free(link);
    free(gid);
    rss_item_reset(it);
}

static void XMLCALL rss_start(void *ud, const char *name, const char **atts)
{
    rss_ctx_t *c = ud;
    const char *local = rss_local(name);
    c->depth++;
    if (c->depth > RSS_MAX_DEPTH) {
        c->failed = 1;
        XML_StopParser(c->xp, XML_FALSE);
        return;
    }
    if (c->field != F_NONE) { /* markup inside a captured field */
        if (c->field == F_AUTHOR && c->in_author) {
            if (strcmp(local, "name") == 0)
                bp_buf_reset(&c->text); /* Atom <author><name>: the name alone */
            else if (!c->skip_depth)
                c->skip_depth = c->depth; /* <email>, <uri>: not part of the name */
        } else if (c->field_is_html) {
            bp_buf_printf(&c->text, "<%s>", local);
        }
        return;
    }
    if (!c->item_depth) {
        if (strcmp(local, "item") == 0 || strcmp(local, "entry") == 0) {
            const char *about = rss_attr(atts, "about"); /* RDF items are named by rdf:about */
            c->item_depth = c->depth;
            rss_item_reset(&c->it);
            if (about)
                bp_buf_puts(&c->it.id, about);
            return;
        }
        if (c->depth <= 3 && strcmp(local, "title") == 0 && !c->chan_title.len)
            c->field = F_CHAN_TITLE;
        else
            return;
    } else if (c->depth != c->item_depth + 1) {
        return;
    } else if (strcmp(local, "author") == 0) {
        c->in_author = c->depth;
        c->field = F_AUTHOR;
    } else if (strcmp(local, "title") == 0) {
        c->field = F_TITLE;
    } else if (strcmp(local, "link") == 0) {
        const char *href = rss_attr(atts, "href");
        const char *rel = rss_attr(atts, "rel");
        if (href) { /* Atom: the alternate link is the post's page */
            if (!rel || strcmp(rel, "alternate") == 0) {
                bp_buf_reset(&c->it.link);
                bp_buf_puts(&c->it.link, href);
            }
            return;
        }
        c->field = F_LINK;
    } else if (strcmp(local, "guid") == 0 || (strcmp(local, "id") == 0 && !strchr(name, ':'))) {
        c->field = F_ID;
    } else if (strcmp(local, "description") == 0 || strcmp(local, "summary") == 0) {
        c->field = F_DESC;
    } else if (strcmp(local, "encoded") == 0 || strcmp(local, "content") == 0) {
        c->field = F_CONTENT;
    } else if (strcmp(local, "pubDate") == 0 || strcmp(local, "published") == 0 ||
               (strcmp(local, "date") == 0 && rss_prefixed(name, "dc"))) {
        c->field = F_DATE;
    } else if (strcmp(local, "updated") == 0) {
        c->field = F_UPDATED;
    } else if (strcmp(local, "creator") == 0) {
        c->field = F_AUTHOR;
    }
    if (c->field != F_NONE) {
        const char *type = rss_attr(atts, "type");
        c->field_depth = c->depth;
        c->field_is_html = type && strcmp(type, "xhtml") == 0;
        bp_buf_reset(&c->text);
    }
}

static void XMLCALL rss_end(void *ud, const char *name)
{
    rss_ctx_t *c = ud;
    const char *local = rss_local(name);
    if (c->field != F_NONE && c->depth > c->field_depth) {
        if (c->skip_depth == c->depth)
            c->skip_depth = 0;
        else if (c->field_is_html)
            bp_buf_printf(&c->text, "</%s>", local);
        c->depth--;
        return;
    }
    if (c->field != F_NONE && c->depth == c->field_depth) {
        switch (c->field) {
        case F_TITLE: rss_set(c, &c->it.title, 0); break;
        case F_LINK: rss_set(c, &c->it.link, 1); break;
        case F_ID: rss_set(c, &c->it.id, 0); break;
        case F_DESC: rss_set(c, &c->it.desc, 0); break;
        case F_CONTENT: rss_set(c, &c->it.content, 0); break;
        case F_DATE: rss_set(c, &c->it.date, 0); break;
        case F_UPDATED: rss_set(c, &c->it.updated, 0); break;
        case F_AUTHOR: {
            char *t = strndup(rss_s(&c->text), c->text.len);
            if (t && *rss_trim(t)) /* Atom <author> text is whitespace: keep the <name> */
                rss_set(c, &c->it.author, 0);
            free(t);
            break;
        }
        case F_CHAN_TITLE: rss_set(c, &c->chan_title, 0); break;
        default: break;
        }
        c->field = F_NONE;
    }
    if (c->in_author == c->depth)
        c->in_author = 0;
    if (c->item_depth && c->depth == c->item_depth) {
        rss_finish_item(c);
        c->item_depth = 0;
    }
    c->depth--;
}

static void XMLCALL rss_chars(void *ud, const char *s, int len)
{
    rss_ctx_t *c = ud;
    if (c->field == F_NONE)
        return;
    if (c->skip_depth)
        return;
    if (c->text.len + (size_t)len > RSS_FIELD_MAX) {
        c->failed = 1;
        XML_StopParser(c->xp, XML_FALSE);
        return;
    }
    if (c->field_is_html) { /* re-escape so html2text sees text, not markup */
        for (int i = 0; i < len; i++) {
            if (s[i] == '<')
                bp_buf_puts(&c->text, "&lt;");
            else if (s[i] == '&')
                bp_buf_puts(&c->text, "&amp;");
            else
                bp_buf_putc(&c->text, s[i]);
        }
        return;
    }
    if (bp_buf_append(&c->text, s, (size_t)len) < 0)
        c->failed = 1;
}

static int rss_parse(const collector_feed_t *f, const json_t *cursor, const collector_body_t *b,
                     int64_t now_ms, collector_page_t *page, collector_error_t *e)
{
    char charset[64];
    char *conv = NULL;
    const char *data = b->data;
    size_t len = b->len;
    int rc = -1;
    rss_ctx_t c;
    (void)cursor;
    memset(&c, 0, sizeof c);
    if (len > (size_t)1 << 30) {
        e->cls = BP_FETCH_TOO_LARGE;
        snprintf(e->msg, sizeof e->msg, "feed larger than 1 GiB");
        return -1;
    }
    rss_detect_charset(data, len, b->content_type, charset, sizeof charset);
    if (strcasecmp(charset, "utf-8") == 0 || strcasecmp(charset, "utf8") == 0 ||
        strcasecmp(charset, "us-ascii") == 0 || strcasecmp(charset, "ascii") == 0) {
        size_t nrepl = 0;
        if (bp_utf8_check(data, len) != len) {
            conv = bp_utf8_repair(data, len, &nrepl);
            if (!conv)
                goto nomem;
            bp_warn("feed %s: %zu invalid UTF-8 sequence(s) replaced by U+FFFD", f->name, nrepl);
            data = conv;
            len = strlen(conv);
        }
    } else {
        size_t n = 0;
        conv = rss_parse_to_utf8(data, len, charset, &n);
        if (!conv) {
            e->cls = BP_FETCH_BAD_BODY;
            snprintf(e->msg, sizeof e->msg, "feed declares unknown charset '%s'", charset);
            return -1;
        }
        data = conv;
        len = n;
    }
    page->posts = json_array();
    c.xp = XML_ParserCreate("UTF-8"); /* overrides the declaration: data is UTF-8 now */
    if (!page->posts || !c.xp)
        goto nomem;
    c.feed = f;
    c.page = page;
    c.now_ms = now_ms;
    XML_SetUserData(c.xp, &c);
    XML_SetElementHandler(c.xp, rss_start, rss_end);
    XML_SetCharacterDataHandler(c.xp, rss_chars);
    if (XML_Parse(c.xp, data, (int)len, XML_TRUE) != XML_STATUS_OK) {
        e->cls = BP_FETCH_BAD_BODY;
        if (c.failed)
            snprintf(e->msg, sizeof e->msg, "feed too deep or a field over %zu bytes",
                     RSS_FIELD_MAX);
        else
            snprintf(e->msg, sizeof e->msg, "not a well-formed feed: line %lu, column %lu: %s",
                     (unsigned long)XML_GetCurrentLineNumber(c.xp),
                     (unsigned long)XML_GetCurrentColumnNumber(c.xp) + 1,
                     XML_ErrorString(XML_GetErrorCode(c.xp)));
        goto out;
    }
    if (c.failed)
        goto nomem;
    if (c.items == 0 && !c.chan_title.len) {
        e->cls = BP_FETCH_BAD_BODY;
        snprintf(e->msg, sizeof e->msg, "XML is not an RSS, RDF or Atom feed (no channel, "
                                        "item or entry)");
        goto out;
    }
    rc = 0;
    goto out;
nomem:
    e->cls = BP_FETCH_TRANSIENT;
    snprintf(e->msg, sizeof e->msg, "out of memory");
out:
    if (c.xp)
        XML_ParserFree(c.xp);
    rss_item_free(&c.it);
    bp_buf_free(&c.text);
    bp_buf_free(&c.chan_title);
    bp_buf_free(&c.chan_link);
    free(conv);
    return rc;
}

static int rss_check(collector_feed_t *f, char *err, size_t errlen)
{
    if (strncmp(f->url, "http://", 7) != 0 && strncmp(f->url, "https://", 8) != 0)
        return bp_seterr(err, errlen, "feed '%s': key 'url': expected an http(s) URL, got '%s'",
                         f->name, f->url);
    return 0;
}

static int rss_request(const collector_feed_t *f, const json_t *cursor, bp_buf_t *url,
                       char **hdr, size_t *nhdr, char *err, size_t errlen)
{
    (void)cursor;
    hdr[(*nhdr)++] = strdup("Accept: application/rss+xml, application/atom+xml, "
                            "application/rdf+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5");
    if (bp_buf_puts(url, f->url) < 0)
        return bp_seterr(err, errlen, "URL too long");
    return 0;
}

const collector_source_t rss_source = {
    "rss", rss_feed_table, 1, rss_check, rss_request, rss_parse, NULL,
};
