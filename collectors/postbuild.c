/* postbuild.c — post construction helpers (see postbuild.h). */
#include "postbuild.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "langguess.h"
#include "log.h"
#include "model.h"
#include "timeutil.h"
#include "utf8.h"

json_t *postbuild_new(const collector_feed_t *f, const char *source, const char *id)
{
    if (!id || !*id)
        return NULL;
    json_t *p = json_object();
    if (!p)
        return NULL;
    if (json_object_set_new(p, "v", json_integer(1)) < 0 ||
        postbuild_set_str(p, "id", id) < 0 || postbuild_set_str(p, "source", source) < 0 ||
        (f && f->name && postbuild_set_str(p, "feed", f->name) < 0)) {
        json_decref(p);
        return NULL;
    }
    return p;
}

int postbuild_set_str(json_t *obj, const char *key, const char *s)
{
    if (!s || !*s)
        return 0;
    size_t n = strlen(s);
    if (bp_utf8_check(s, n) == n)
        return json_object_set_new(obj, key, json_stringn(s, n));
    char *r = bp_utf8_repair(s, n, NULL);
    if (!r)
        return -1;
    int rc = json_object_set_new(obj, key, json_string(r));
    free(r);
    return rc;
}

int postbuild_set_text(const collector_feed_t *f, json_t *post, const char *s, size_t n)
{
    char *r = NULL;
    if (!s)
        s = "";
    if (bp_utf8_check(s, n) != n) {
        r = bp_utf8_repair(s, n, NULL);
        if (!r)
            return -1;
        s = r;
        n = strlen(r);
    }
    while (n > 0 && isspace((unsigned char)*s))
        s++, n--;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    int rc = json_object_set_new(post, "text", json_stringn(s, n));
    if (rc == 0) {
        const char *lang = f && f->lang && *f->lang ? f->lang : bp_langguess(s, n);
        if (lang)
            rc = json_object_set_new(post, "lang", json_string(lang));
    }
    free(r);
    return rc;
}

int postbuild_set_unix(json_t *obj, const char *key, double secs)
{
    if (!isfinite(secs) || secs < 0 || secs > 1e11)
        return -1;
    return bp_json_set_time(obj, key, (int64_t)llround(secs * 1000.0));
}

json_t *postbuild_author(const char *id, const char *name, long long followers, const char *url)
{
    json_t *a = json_object();
    if (!a)
        return NULL;
    if (postbuild_set_str(a, "id", id) < 0 || postbuild_set_str(a, "name", name) < 0 ||
        (followers >= 0 && json_object_set_new(a, "followers", json_integer(followers)) < 0) ||
        postbuild_set_str(a, "url", url) < 0) {
        json_decref(a);
        return NULL;
    }
    return a;
}

int postbuild_bad(collector_page_t *page, const char *reason, const json_t *item)
{
    if (!page->bad && !(page->bad = json_array()))
        return -1;
    json_t *o = json_pack("{s:s, s:O?}", "reason", reason, "item", item);
    if (!o)
        return -1;
    return json_array_append_new(page->bad, o);
}

json_t *postbuild_json_load(const char *data, size_t len, size_t *nrepl, char *err,
                            size_t errlen)
{
    char *rep = NULL;
    size_t nr = 0;
    if (bp_utf8_check(data, len) != len) {
        rep = bp_utf8_repair(data, len, &nr);
        if (!rep) {
            bp_seterr(err, errlen, "out of memory");
            return NULL;
        }
        data = rep;
        len = strlen(rep);
    }
    if (nrepl)
        *nrepl = nr;
    json_error_t je;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        bp_seterr(err, errlen, "not JSON: %s (line %d, column %d)", je.text, je.line,
                  je.column);
    free(rep);
    return root;
}

json_t *postbuild_pointer(json_t *root, const char *ptr)
{
    char tok[512];
    json_t *cur = root;
    if (!ptr || !*ptr)
        return root;
    if (*ptr != '/')
        return NULL;
    while (cur && *ptr == '/') {
        size_t n = 0;
        ptr++;
        while (*ptr && *ptr != '/') {
            char c = *ptr++;
            if (c == '~') {
                if (*ptr == '0')
                    c = '~';
                else if (*ptr == '1')
                    c = '/';
                else
                    return NULL;
                ptr++;
            }
            if (n + 1 >= sizeof tok)
                return NULL;
            tok[n++] = c;
        }
        tok[n] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_get(cur, tok);
        } else if (json_is_array(cur)) {
            char *end;
            if (n == 0 || (n > 1 && tok[0] == '0'))
                return NULL;
            unsigned long idx = strtoul(tok, &end, 10);
            if (*end || !isdigit((unsigned char)tok[0]))
                return NULL;
            cur = json_array_get(cur, idx);
        } else {
            return NULL;
        }
    }
    return cur;
}

int postbuild_urlencode(bp_buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        int r;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            r = bp_buf_putc(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            r = bp_buf_append(b, e, 3);
        }
        if (r < 0)
            return -1;
    }
    return 0;
}

static int postbuild_is_num(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

int postbuild_id_cmp(const char *a, const char *b)
{
    if (!a || !b)
        return a ? 1 : b ? -1 : 0;
    if (!postbuild_is_num(a) || !postbuild_is_num(b))
        return strcmp(a, b);
    while (*a == '0' && a[1])
        a++;
    while (*b == '0' && b[1])
        b++;
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a, b);
}

char *postbuild_digest(char out[33], const char *a, const char *b)
{
    unsigned char d[32];
    char hex[65];
    bp_buf_t in;
    bp_buf_init(&in, 0);
    bp_buf_puts(&in, a ? a : "");
    bp_buf_putc(&in, '\n');
    bp_buf_puts(&in, b ? b : "");
    bp_sha256(in.data ? in.data : "", in.len, d);
    bp_buf_free(&in);
    bp_hex(d, 32, hex);
    memcpy(out, hex, 32);
    out[32] = '\0';
    return out;
}

char *postbuild_scalar_str(const json_t *v)
{
    char tmp[64];
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
        return strdup(tmp);
    }
    if (json_is_real(v)) {
        snprintf(tmp, sizeof tmp, "%.17g", json_real_value(v));
        return strdup(tmp);
    }
    return NULL;
}

int postbuild_bearer(const char *token, char **hdr, size_t *nhdr, char *err, size_t errlen)
{
    if (!token || !*token)
        return 0;
    size_t tl = strlen(token) + 32;
    char *h = malloc(tl);
    if (!h)
        return bp_seterr(err, errlen, "out of memory");
    snprintf(h, tl, "Authorization: Bearer %s", token);
    hdr[(*nhdr)++] = h;
    return 0;
}

void postbuild_error_field(const collector_body_t *b, const char *key, collector_error_t *e)
{
    json_error_t je;
    json_t *root = json_loadb(b->data, b->len, 0, &je);
    size_t l = strlen(e->msg);
    if (json_is_object(root) && *bp_json_str(root, key))
        snprintf(e->msg + l, sizeof e->msg - l, ": %.200s", bp_json_str(root, key));
    json_decref(root);
}

json_t *postbuild_body_json(const collector_body_t *b, const char *what, collector_error_t *e)
{
    char err[256];
    json_t *root = postbuild_json_load(b->data, b->len, NULL, err, sizeof err);
    if (!root) {
        e->cls = BP_FETCH_BAD_BODY;
        snprintf(e->msg, sizeof e->msg, "%s%s%s", what, *what ? ": " : "", err);
    }
    return root;
}
