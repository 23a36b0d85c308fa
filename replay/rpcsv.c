/* rpcsv.c — RFC 4180 fields and records; the mention row (see rpcsv.h). */
#include "rpcsv.h"

#include <stdio.h>
#include <string.h>

#include "model.h"

int rpcsv_field(bp_buf_t *b, const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL || (n && (s[0] == ' ' || s[n - 1] == ' '));
    if (!quote)
        return bp_buf_append(b, s, n);
    if (bp_buf_putc(b, '"'))
        return -1;
    for (const char *p = s; *p; p++) {
        if (*p == '"' && bp_buf_putc(b, '"'))
            return -1;
        if (bp_buf_putc(b, *p))
            return -1;
    }
    return bp_buf_putc(b, '"');
}

int rpcsv_record(bp_buf_t *b, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i && bp_buf_putc(b, ','))
            return -1;
        if (rpcsv_field(b, fields[i]))
            return -1;
    }
    return bp_buf_puts(b, "\r\n");
}

const char *const rpcsv_mention_cols[] = {
    "id",    "published_at", "source", "feed",  "lang",     "author_id", "author_name", "followers",
    "brands", "score",       "label",  "alert", "priority", "reasons",   "url",         "text"};
const size_t rpcsv_mention_ncols = sizeof rpcsv_mention_cols / sizeof *rpcsv_mention_cols;

/* Joins the string items of array arr with ';' into out (capped). */
static void rpcsv_join(const json_t *arr, bp_buf_t *out)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v))
            continue;
        if (out->len)
            bp_buf_putc(out, ';');
        bp_buf_puts(out, json_string_value(v));
    }
}

int rpcsv_mention_row(bp_buf_t *b, const json_t *m)
{
    bp_buf_t brands = BP_BUF_INIT(1 << 16), reasons = BP_BUF_INIT(1 << 16);
    char followers[32], score[32];
    const json_t *author = json_object_get(m, "author");
    const json_t *sent = json_object_get(m, "sentiment");
    rpcsv_join(json_object_get(m, "brands"), &brands);
    rpcsv_join(json_object_get(m, "reasons"), &reasons);
    snprintf(followers, sizeof followers, "%lld", bp_post_followers(m));
    if (json_is_number(json_object_get(sent, "score")))
        snprintf(score, sizeof score, "%g", json_number_value(json_object_get(sent, "score")));
    else
        score[0] = 0;
    const json_t *alert = json_object_get(m, "alert");
    const char *f[] = {bp_json_str(m, "id"),
                       bp_json_str(m, "published_at"),
                       bp_json_str(m, "source"),
                       bp_json_str(m, "feed"),
                       bp_json_str(m, "lang"),
                       bp_json_str(author, "id"),
                       bp_json_str(author, "name"),
                       followers,
                       brands.data ? brands.data : "",
                       score,
                       bp_json_str(sent, "label"),
                       json_is_boolean(alert) ? (json_is_true(alert) ? "true" : "false") : "",
                       bp_json_str(m, "priority"),
                       reasons.data ? reasons.data : "",
                       bp_json_str(m, "url"),
                       bp_json_str(m, "text")};
    int rc = rpcsv_record(b, f, sizeof f / sizeof *f);
    bp_buf_free(&brands);
    bp_buf_free(&reasons);
    return rc;
}
