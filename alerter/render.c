/* render.c — alert, incident and digest messages through {{field}} templates, in plain text,
 * HTML or Slack mrkdwn, with masking, highlighting and safe splitting (see render.h). */
#include "render.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"
#include "log.h"
#include "model.h"
#include "utf8.h"

#define RENDER_MAX_SPANS 64
#define RENDER_SAMPLE_CHARS 200

/* ---- built-in templates, per kind and format ---- */

static const char render_alert_plain[] =
    "[{{PRIORITY}}] {{brand}} — {{reasons}}\n"
    "ESCALATION level {{level}}: not acknowledged in time\n"
    "Author: {{author}} ({{followers}} followers) · {{source}} · {{time}}\n"
    "{{text}}\n"
    "Link: {{url}}\n"
    "Answer by: {{deadline}}\n"
    "{{similar}} similar posts folded into this alert\n"
    "Acknowledge: {{ack_url}}\n";

static const char render_alert_html[] =
    "<b>[{{PRIORITY}}] {{brand}}</b> — {{reasons}}\n"
    "<b>ESCALATION level {{level}}</b>: not acknowledged in time\n"
    "Author: {{author}} ({{followers}} followers) · {{source}} · {{time}}\n"
    "{{text}}\n"
    "<a href=\"{{url}}\">Open the post</a>\n"
    "Answer by: <b>{{deadline}}</b>\n"
    "{{similar}} similar posts folded into this alert\n"
    "<a href=\"{{ack_url}}\">Acknowledge</a>\n";

static const char render_alert_slack[] =
    "*[{{PRIORITY}}] {{brand}}* — {{reasons}}\n"
    "*ESCALATION level {{level}}*: not acknowledged in time\n"
    "Author: {{author}} ({{followers}} followers) · {{source}} · {{time}}\n"
    "{{text}}\n"
    "<{{url}}|Open the post>\n"
    "Answer by: *{{deadline}}*\n"
    "{{similar}} similar posts folded into this alert\n"
    "<{{ack_url}}|Acknowledge>\n";

static const char render_incident_plain[] =
    "[INCIDENT {{state}}] {{brand}} — {{reason}}: {{count}} alerts\n"
    "ESCALATION level {{level}}: not acknowledged in time\n"
    "From {{first_at}} to {{last_at}}\n"
    "{{samples}}\n"
    "Answer by: {{deadline}}\n"
    "Acknowledge: {{ack_url}}\n";

static const char render_incident_html[] =
    "<b>[INCIDENT {{state}}] {{brand}}</b> — {{reason}}: <b>{{count}}</b> alerts\n"
    "<b>ESCALATION level {{level}}</b>: not acknowledged in time\n"
    "From {{first_at}} to {{last_at}}\n"
    "{{samples}}\n"
    "Answer by: <b>{{deadline}}</b>\n"
    "<a href=\"{{ack_url}}\">Acknowledge</a>\n";

static const char render_incident_slack[] =
    "*[INCIDENT {{state}}] {{brand}}* — {{reason}}: *{{count}}* alerts\n"
    "*ESCALATION level {{level}}*: not acknowledged in time\n"
    "From {{first_at}} to {{last_at}}\n"
    "{{samples}}\n"
    "Answer by: *{{deadline}}*\n"
    "<{{ack_url}}|Acknowledge>\n";

static const char render_digest_plain[] = "[DIGEST] {{count}} alerts ({{why}})\n{{items}}\n";
static const char render_digest_html[] = "<b>[DIGEST] {{count}} alerts</b> ({{why}})\n{{items}}\n";
static const char render_digest_slack[] = "*[DIGEST] {{count}} alerts* ({{why}})\n{{items}}\n";

static const char *render_builtin(const char *kind, render_fmt_t fmt)
{
    int k = strcmp(kind, "incident") == 0 ? 1 : strcmp(kind, "digest") == 0 ? 2 : 0;
    static const char *const t[3][3] = {
        {render_alert_plain, render_alert_html, render_alert_slack},
        {render_incident_plain, render_incident_html, render_incident_slack},
        {render_digest_plain, render_digest_html, render_digest_slack},
    };
    return t[k][fmt];
}

/* ---- escaping ---- */

int render_escape(const char *s, size_t n, render_fmt_t fmt, bp_buf_t *out)
{
    size_t run = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&': rep = fmt == RENDER_PLAIN ? NULL : "&amp;"; break;
        case '<': rep = fmt == RENDER_PLAIN ? NULL : "&lt;"; break;
        case '>': rep = fmt == RENDER_PLAIN ? NULL : "&gt;"; break;
        case '"': rep = fmt == RENDER_HTML ? "&quot;" : NULL; break;
        default: break;
        }
        if (!rep)
            continue;
        rc |= bp_buf_append(out, s + run, i - run);
        rc |= bp_buf_puts(out, rep);
        run = i + 1;
    }
    rc |= bp_buf_append(out, s + run, n - run);
    return rc ? -1 : 0;
}

static int render_escape_str(const char *s, render_fmt_t fmt, bp_buf_t *out)
{
    return render_escape(s, strlen(s), fmt, out);
}

/* ---- text: masking and highlighting ---- */

typedef struct render_span {
    size_t start, end;
} render_span_t;

static int render_span_cmp(const void *x, const void *y)
{
    const render_span_t *a = x, *b = y;
    return a->start < b->start ? -1 : a->start > b->start;
}

static int render_is_boundary(const char *s, size_t n, size_t i)
{
    return i == 0 || i >= n || ((unsigned char)s[i] & 0xC0) != 0x80;
}

static size_t render_collect(const json_t *arr, const char *s, size_t n, render_span_t *sp,
                             size_t nsp, size_t max)
{
    size_t i;
    json_t *m;
    if (!json_is_array(arr))
        return nsp;
    json_array_foreach(arr, i, m)
    {
        json_t *js = json_object_get(m, "start"), *je = json_object_get(m, "end");
        if (!json_is_integer(js) || !json_is_integer(je) || nsp >= max)
            continue;
        json_int_t a = json_integer_value(js), b = json_integer_value(je);
        if (a < 0 || b <= a || (size_t)b > n || !render_is_boundary(s, n, (size_t)a) ||
            !render_is_boundary(s, n, (size_t)b))
            continue;
        sp[nsp].start = (size_t)a;
        sp[nsp].end = (size_t)b;
        nsp++;
    }
    return nsp;
}

static int render_mark(render_fmt_t fmt, int open, bp_buf_t *out)
{
    if (fmt == RENDER_HTML)
        return bp_buf_puts(out, open ? "<b>" : "</b>");
    return bp_buf_putc(out, '*');
}

int render_text(const json_t *alert, render_fmt_t fmt, unsigned mask, bp_buf_t *out)
{
    const char *s = bp_json_str(alert, "text");
    size_t n = strlen(s);
    render_span_t hl[RENDER_MAX_SPANS];
    mask_span_t ms[RENDER_MAX_SPANS];
    size_t nhl = render_collect(json_object_get(alert, "matches"), s, n, hl, 0, RENDER_MAX_SPANS);
    json_t *sent = json_object_get(alert, "sentiment");
    nhl = render_collect(json_object_get(sent, "terms"), s, n, hl, nhl, RENDER_MAX_SPANS);
    qsort(hl, nhl, sizeof *hl, render_span_cmp);
    /* merge overlapping highlights */
    size_t k = 0;
    for (size_t i = 0; i < nhl; i++) {
        if (k > 0 && hl[i].start <= hl[k - 1].end) {
            if (hl[i].end > hl[k - 1].end)
                hl[k - 1].end = hl[i].end;
        } else {
            hl[k++] = hl[i];
        }
    }
    nhl = k;
    size_t nms = mask ? mask_find(s, n, mask, ms, RENDER_MAX_SPANS) : 0;
    /* a highlight that touches masked data is dropped: the mask wins */
    k = 0;
    for (size_t i = 0; i < nhl; i++) {
        int clash = 0;
        for (size_t j = 0; j < nms; j++)
            if (hl[i].start < ms[j].end && ms[j].start < hl[i].end)
                clash = 1;
        if (!clash)
            hl[k++] = hl[i];
    }
    nhl = k;
    size_t pos = 0, ih = 0, im = 0;
    while (pos < n) {
        size_t next = n;
        if (im < nms && ms[im].start == pos) {
            if (render_escape_str(ms[im].repl, fmt, out) != 0)
                return -1;
            pos = ms[im++].end;
            continue;
        }
        if (ih < nhl && hl[ih].start == pos) {
            if (render_mark(fmt, 1, out) != 0 ||
                render_escape(s + pos, hl[ih].end - pos, fmt, out) != 0 ||
                render_mark(fmt, 0, out) != 0)
                return -1;
            pos = hl[ih++].end;
            continue;
        }
        if (im < nms && ms[im].start < next)
            next = ms[im].start;
        if (ih < nhl && hl[ih].start < next)
            next = hl[ih].start;
        if (next <= pos) /* defensive: a span behind us */
            next = pos + 1;
        if (render_escape(s + pos, next - pos, fmt, out) != 0)
            return -1;
        pos = next;
    }
    return 0;
}

/* First `chars` characters of a masked text, escaped, newlines as spaces. */
static int render_short_text(const json_t *alert, render_fmt_t fmt, unsigned mask, bp_buf_t *out)
{
    const char *s = bp_json_str(alert, "text");
    char *m = mask_apply(s, strlen(s), mask);
    if (!m)
        return -1;
    size_t n = strlen(m), i = 0, chars = 0;
    while (i < n && chars < RENDER_SAMPLE_CHARS) {
        bp_utf8_decode(m, n, &i);
        chars++;
    }
    for (size_t j = 0; j < i; j++)
        if (m[j] == '\n' || m[j] == '\r' || m[j] == '\t')
            m[j] = ' ';
    int rc = render_escape(m, i, fmt, out);
    if (rc == 0 && i < n)
        rc = bp_buf_puts(out, "…");
    free(m);
    return rc;
}

/* ---- fields ---- */

static const json_t *render_alert_of(const json_t *msg)
{
    const json_t *a = json_object_get(msg, "alert");
    if (json_is_object(a))
        return a;
    const json_t *s = json_array_get(json_object_get(msg, "samples"), 0);
    return json_is_object(s) ? s : msg;
}

static int render_join(const json_t *arr, const char *sep, render_fmt_t fmt, bp_buf_t *out)
{
    size_t i;
    json_t *v;
    int rc = 0, first = 1;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v))
            continue;
        if (!first)
            rc |= bp_buf_puts(out, sep);
        rc |= render_escape_str(json_string_value(v), fmt, out);
        first = 0;
    }
    return rc ? -1 : 0;
}

static int render_brand(const json_t *msg, render_fmt_t fmt, bp_buf_t *out)
{
    const char *b = bp_json_str(msg, "brand");
    if (*b)
        return render_escape_str(b, fmt, out);
    return render_join(json_object_get(render_alert_of(msg), "brands"), ", ", fmt, out);
}

static int render_sample_line(const json_t *a, render_fmt_t fmt, unsigned mask, bp_buf_t *out)
{
    const json_t *author = json_object_get(a, "author");
    const char *name = bp_json_str(author, "name");
    const char *url = bp_json_str(a, "url");
    const char *prio = bp_json_str(a, "priority");
    int rc = bp_buf_puts(out, "• ");
    if (*prio) {
        for (const char *p = prio; *p; p++)
            rc |= bp_buf_putc(out, (char)toupper((unsigned char)*p));
        rc |= bp_buf_putc(out, ' ');
    }
    rc |= render_join(json_object_get(a, "brands"), ",", fmt, out);
    rc |= bp_buf_puts(out, " ");
    rc |= render_escape_str(*name ? name : bp_json_str(author, "id"), fmt, out);
    rc |= bp_buf_puts(out, ": ");
    rc |= render_short_text(a, fmt, mask, out);
    if (*url) {
        if (fmt == RENDER_HTML) {
            rc |= bp_buf_puts(out, " <a href=\"");
            rc |= render_escape_str(url, fmt, out);
            rc |= bp_buf_puts(out, "\">link</a>");
        } else if (fmt == RENDER_SLACK) {
            rc |= bp_buf_puts(out, " <");
            rc |= render_escape_str(url, fmt, out);
            rc |= bp_buf_puts(out, "|link>");
        } else {
            rc |= bp_buf_putc(out, ' ');
            rc |= bp_buf_puts(out, url);
        }
    }
    return rc ? -1 : 0;
}

static int render_list(const json_t *arr, render_fmt_t fmt, unsigned mask, bp_buf_t *out)
{
    size_t i;
    json_t *a;
    json_array_foreach(arr, i, a)
    {
        if (i > 0 && bp_buf_putc(out, '\n') != 0)
            return -1;
        if (render_sample_line(a, fmt, mask, out) != 0)
            return -1;
    }
    return 0;
}

static const char *const render_fields[] = {
    "brand",   "priority", "PRIORITY", "reasons", "author", "followers", "source",  "lang",
    "url",     "time",     "deadline", "ack_url", "text",   "similar",   "level",   "alert_id",
    "post_id", "kind",     "title",    "count",   "reason", "state",     "first_at", "last_at",
    "samples", "items",    "why",      NULL};

static int render_known(const char *name)
{
    for (size_t i = 0; render_fields[i]; i++)
        if (strcmp(render_fields[i], name) == 0)
            return 1;
    return 0;
}

/* Appends the value of placeholder name; returns 0 or -1. */
static int render_field(const json_t *msg, const char *name, render_fmt_t fmt, unsigned mask,
                        bp_buf_t *out)
{
    const json_t *a = render_alert_of(msg);
    if (strcmp(name, "brand") == 0)
        return render_brand(msg, fmt, out);
    if (strcmp(name, "priority") == 0 || strcmp(name, "PRIORITY") == 0) {
        const char *p = bp_json_str(msg, "priority");
        if (!*p)
            p = bp_json_str(a, "priority");
        if (!*p)
            p = "alert";
        for (; *p; p++)
            if (bp_buf_putc(out, name[0] == 'P' ? (char)toupper((unsigned char)*p) : *p) != 0)
                return -1;
        return 0;
    }
    if (strcmp(name, "reasons") == 0)
        return render_join(json_object_get(a, "reasons"), ", ", fmt, out);
    if (strcmp(name, "author") == 0) {
        const json_t *au = json_object_get(a, "author");
        const char *nm = bp_json_str(au, "name");
        return render_escape_str(*nm ? nm : bp_json_str(au, "id"), fmt, out);
    }
    if (strcmp(name, "followers") == 0)
        return bp_buf_printf(out, "%lld", bp_post_followers(a));
    if (strcmp(name, "source") == 0 || strcmp(name, "lang") == 0 || strcmp(name, "url") == 0 ||
        strcmp(name, "post_id") == 0) {
        const char *v = bp_json_str(a, strcmp(name, "post_id") == 0 ? "id" : name);
        return render_escape_str(v, fmt, out);
    }
    if (strcmp(name, "time") == 0)
        return render_escape_str(bp_json_str(a, "published_at"), fmt, out);
    if (strcmp(name, "text") == 0)
        return render_text(a, fmt, mask, out);
    if (strcmp(name, "similar") == 0 || strcmp(name, "level") == 0) {
        long long v = bp_json_int(msg, name);
        return v > 0 ? bp_buf_printf(out, "%lld", v) : 0;
    }
    if (strcmp(name, "count") == 0) {
        long long v = bp_json_int(msg, name);
        return bp_buf_printf(out, "%lld", v);
    }
    if (strcmp(name, "title") == 0) {
        bp_buf_t t;
        bp_buf_init(&t, 4096);
        int rc = render_title(msg, mask, &t);
        if (rc == 0)
            rc = render_escape(t.data ? t.data : "", t.len, fmt, out);
        bp_buf_free(&t);
        return rc;
    }
    if (strcmp(name, "samples") == 0)
        return render_list(json_object_get(msg, "samples"), fmt, mask, out);
    if (strcmp(name, "items") == 0)
        return render_list(json_object_get(msg, "items"), fmt, mask, out);
    /* the rest are plain string fields of the message */
    return render_escape_str(bp_json_str(msg, name), fmt, out);
}

int render_check_template(const char *tpl, char *err, size_t errlen)
{
    const char *p = tpl;
    while ((p = strstr(p, "{{")) != NULL) {
        const char *e = strstr(p + 2, "}}");
        if (!e)
            return bp_seterr(err, errlen, "template: '{{' without '}}'");
        char name[32];
        size_t len = (size_t)(e - p - 2);
        if (len == 0 || len >= sizeof name)
            return bp_seterr(err, errlen, "template: bad placeholder '%.*s'", (int)(len + 4), p);
        memcpy(name, p + 2, len);
        name[len] = '\0';
        if (!render_known(name))
            return bp_seterr(err, errlen, "template: unknown placeholder '{{%s}}'", name);
        p = e + 2;
    }
    return 0;
}

int render_message(const json_t *msg, const char *tpl, render_fmt_t fmt, unsigned mask,
                   bp_buf_t *out)
{
    if (!tpl || !*tpl)
        tpl = render_builtin(bp_json_str(msg, "kind"), fmt);
    const char *line = tpl;
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t llen = nl ? (size_t)(nl - line) : strlen(line);
        size_t mark = out->len;
        int nph = 0, nfull = 0;
        const char *p = line, *end = line + llen;
        while (p < end) {
            const char *o = memmem(p, (size_t)(end - p), "{{", 2);
            const char *c = o ? memmem(o + 2, (size_t)(end - o - 2), "}}", 2) : NULL;
            if (!o || !c) {
                if (bp_buf_append(out, p, (size_t)(end - p)) != 0)
                    return -1;
                break;
            }
            if (bp_buf_append(out, p, (size_t)(o - p)) != 0)
                return -1;
            char name[32];
            size_t len = (size_t)(c - o - 2);
            if (len == 0 || len >= sizeof name)
                return -1;
            memcpy(name, o + 2, len);
            name[len] = '\0';
            if (!render_known(name))
                return -1;
            size_t before = out->len;
            if (render_field(msg, name, fmt, mask, out) != 0)
                return -1;
            nph++;
            if (out->len > before)
                nfull++;
            p = c + 2;
        }
        if (nph > 0 && nfull == 0) {
            out->len = mark; /* every placeholder empty: leave the line out */
            if (out->data)
                out->data[mark] = '\0';
        } else if (nl && bp_buf_putc(out, '\n') != 0) {
            return -1;
        }
        line = nl ? nl + 1 : line + llen;
    }
    /* no trailing newline: channels add their own framing */
    while (out->len > 0 && out->data[out->len - 1] == '\n')
        out->data[--out->len] = '\0';
    return 0;
}

int render_title(const json_t *msg, unsigned mask, bp_buf_t *out)
{
    const char *kind = bp_json_str(msg, "kind");
    int rc = 0;
    if (strcmp(kind, "incident") == 0) {
        rc |= bp_buf_printf(out, "[INCIDENT %s] ", bp_json_str(msg, "state"));
        rc |= render_brand(msg, RENDER_PLAIN, out);
        rc |= bp_buf_printf(out, " — %s: %lld alerts", bp_json_str(msg, "reason"),
                            bp_json_int(msg, "count"));
        return rc ? -1 : 0;
    }
    if (strcmp(kind, "digest") == 0)
        return bp_buf_printf(out, "[DIGEST] %lld alerts (%s)", bp_json_int(msg, "count"),
                             bp_json_str(msg, "why"));
    const json_t *a = render_alert_of(msg);
    rc |= bp_buf_putc(out, '[');
    rc |= render_field(msg, "PRIORITY", RENDER_PLAIN, 0, out);
    rc |= bp_buf_puts(out, "] ");
    if (bp_json_int(msg, "level") > 0)
        rc |= bp_buf_printf(out, "ESCALATION %lld: ", bp_json_int(msg, "level"));
    rc |= render_brand(msg, RENDER_PLAIN, out);
    rc |= bp_buf_puts(out, ": ");
    rc |= render_short_text(a, RENDER_PLAIN, mask, out);
    /* a title is one line of at most ~120 characters */
    if (rc == 0 && out->len > 0) {
        size_t i = 0, chars = 0;
        while (i < out->len && chars < 120) {
            bp_utf8_decode(out->data, out->len, &i);
            chars++;
        }
        if (i < out->len) {
            out->len = i;
            out->data[i] = '\0';
            rc |= bp_buf_puts(out, "…");
        }
    }
    return rc ? -1 : 0;
}

/* ---- splitting ---- */

/* UTF-16 length of the code point starting with byte c */
static size_t render_u16_units(const char *s, size_t n, size_t *i)
{
    uint32_t cp = bp_utf8_decode(s, n, i);
    return cp >= 0x10000 ? 2 : 1;
}

int render_split_plain(const char *s, size_t limit, bp_strlist_t *out)
{
    size_t n = strlen(s), pos = 0;
    while (pos < n) {
        size_t i = pos, units = 0, last_nl = 0, last_sp = 0;
        while (i < n) {
            size_t at = i;
            size_t u = render_u16_units(s, n, &i);
            if (units + u > limit && at > pos) {
                i = at;
                break;
            }
            units += u;
            if (s[at] == '\n')
                last_nl = at;
            else if (s[at] == ' ')
                last_sp = at;
        }
        size_t cut = i, next = i;
        if (i < n && (s[i] == ' ' || s[i] == '\n')) {
            next = i + 1; /* the limit falls on a separator: cut right there */
        } else if (i < n) {
            size_t half = pos + (i - pos) / 2;
            size_t b = last_nl > half ? last_nl : last_sp > pos ? last_sp : last_nl;
            if (b > pos) {
                cut = b;
                next = b + 1;
            }
        }
        char *part = strndup(s + pos, cut - pos);
        if (!part)
            return -1;
        int rc = bp_strlist_push(out, part);
        free(part);
        if (rc != 0)
            return -1;
        pos = next;
    }
    return 0;
}

#define RENDER_MAX_OPEN 8

typedef struct render_tag {
    char name[8];
    size_t open_at, open_len; /* the opening tag's bytes in the source */
} render_tag_t;

static int render_tag_name(const char *s, size_t len, char *name, int *closing)
{
    size_t i = 1;
    *closing = 0;
    if (i < len && s[i] == '/') {
        *closing = 1;
        i++;
    }
    size_t k = 0;
    while (i < len && isalpha((unsigned char)s[i]) && k < 7)
        name[k++] = (char)tolower((unsigned char)s[i++]);
    name[k] = '\0';
    return k > 0 ? 0 : -1;
}

int render_split_html(const char *s, size_t limit, bp_strlist_t *out)
{
    size_t n = strlen(s), pos = 0;
    render_tag_t open[RENDER_MAX_OPEN];
    int nopen = 0;
    bp_buf_t part;
    bp_buf_init(&part, 4 * limit + 4096);
    int rc = -1;
    while (pos < n) {
        bp_buf_reset(&part);
        /* reopen the tags still open from the previous part */
        size_t units = 0;
        for (int t = 0; t < nopen; t++) {
            if (bp_buf_append(&part, s + open[t].open_at, open[t].open_len) != 0)
                goto done;
            units += open[t].open_len;
        }
        size_t closers = 0;
        for (int t = 0; t < nopen; t++)
            closers += strlen(open[t].name) + 3;
        if (units + closers + 16 > limit)
            goto done; /* tags alone do not fit: cannot split safely */
        size_t i = pos, safe_cut = pos, nl_cut = 0;
        int nopen_at_safe = nopen, nopen_at_nl = nopen;
        render_tag_t open_at_nl[RENDER_MAX_OPEN], open_at_safe[RENDER_MAX_OPEN];
        memcpy(open_at_nl, open, sizeof open);
        memcpy(open_at_safe, open, sizeof open);
        while (i < n) {
            size_t tok_end = i, tok_units;
            if (s[i] == '<') {
                const char *gt = strchr(s + i, '>');
                tok_end = gt ? (size_t)(gt - s) + 1 : n;
                tok_units = tok_end - i;
            } else if (s[i] == '&') {
                const char *sc = strchr(s + i, ';');
                tok_end = sc && sc - (s + i) < 12 ? (size_t)(sc - s) + 1 : i + 1;
                tok_units = tok_end - i; /* counted as written: never over the limit */
            } else {
                tok_end = i;
                tok_units = render_u16_units(s, n, &tok_end);
            }
            closers = 0;
            for (int t = 0; t < nopen; t++)
                closers += strlen(open[t].name) + 3;
            if (units + tok_units + closers > limit)
                break;
            if (s[i] == '<') {
                char name[8];
                int closing;
                if (render_tag_name(s + i, tok_end - i, name, &closing) == 0) {
                    if (closing) {
                        for (int t = nopen - 1; t >= 0; t--)
                            if (strcmp(open[t].name, name) == 0) {
                                nopen = t;
                                break;
                            }
                    } else if (nopen < RENDER_MAX_OPEN) {
                        strcpy(open[nopen].name, name);
                        open[nopen].open_at = i;
                        open[nopen].open_len = tok_end - i;
                        nopen++;
                    }
                }
            }
            units += tok_units;
            i = tok_end;
            safe_cut = i;
            nopen_at_safe = nopen;
            memcpy(open_at_safe, open, sizeof open);
            if (s[i - 1] == '\n') {
                nl_cut = i;
                nopen_at_nl = nopen;
                memcpy(open_at_nl, open, sizeof open);
            }
        }
        size_t cut = safe_cut;
        if (i < n && nl_cut > pos && nl_cut - pos > (safe_cut - pos) / 2) {
            cut = nl_cut;
            nopen = nopen_at_nl;
            memcpy(open, open_at_nl, sizeof open);
        } else {
            nopen = nopen_at_safe;
            memcpy(open, open_at_safe, sizeof open);
        }
        if (cut == pos)
            goto done;
        if (bp_buf_append(&part, s + pos, cut - pos) != 0)
            goto done;
        while (part.len > 0 && part.data[part.len - 1] == '\n')
            part.data[--part.len] = '\0';
        for (int t = nopen - 1; t >= 0 && cut < n; t--)
            if (bp_buf_printf(&part, "</%s>", open[t].name) != 0)
                goto done;
        if (part.len > 0 && bp_strlist_push(out, part.data) != 0)
            goto done;
        pos = cut;
        while (pos < n && s[pos] == '\n')
            pos++;
    }
    rc = 0;
done:
    bp_buf_free(&part);
    return rc;
}
