/* html2text.c — a small, forgiving HTML-to-text pass: tags, references, whitespace. */
#include "html2text.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "utf8.h"

static const struct {
    const char *name;
    uint32_t cp;
} html2text_names[] = {
    {"amp", '&'},       {"lt", '<'},        {"gt", '>'},        {"quot", '"'},
    {"apos", '\''},     {"nbsp", 0xA0},     {"laquo", 0xAB},    {"raquo", 0xBB},
    {"mdash", 0x2014},  {"ndash", 0x2013},  {"hellip", 0x2026}, {"copy", 0xA9},
    {"reg", 0xAE},      {"trade", 0x2122},  {"lsquo", 0x2018},  {"rsquo", 0x2019},
    {"ldquo", 0x201C},  {"rdquo", 0x201D},  {"bdquo", 0x201E},  {"sbquo", 0x201A},
    {"bull", 0x2022},   {"middot", 0xB7},   {"euro", 0x20AC},   {"deg", 0xB0},
    {"times", 0xD7},    {"shy", 0xAD},      {"thinsp", 0x2009}, {"ensp", 0x2002},
    {"emsp", 0x2003},   {"zwnj", 0x200C},   {"zwj", 0x200D},    {"numero", 0x2116},
    {"pound", 0xA3},    {"cent", 0xA2},     {"sect", 0xA7},     {"para", 0xB6},
    {"rarr", 0x2192},   {"larr", 0x2190},   {"frac12", 0xBD},   {"plusmn", 0xB1},
};

size_t html2text_entity(const char *s, size_t n, char *out, size_t *outlen)
{
    size_t i = 1;
    uint32_t cp = 0;
    if (n < 3 || s[0] != '&')
        return 0;
    if (s[1] == '#') {
        int hex = i + 1 < n && (s[2] == 'x' || s[2] == 'X');
        i = hex ? 3 : 2;
        size_t start = i;
        while (i < n && i - start < 8 &&
               (hex ? isxdigit((unsigned char)s[i]) : isdigit((unsigned char)s[i]))) {
            int d = isdigit((unsigned char)s[i]) ? s[i] - '0'
                                                  : (tolower((unsigned char)s[i]) - 'a' + 10);
            cp = cp * (hex ? 16 : 10) + (uint32_t)d;
            i++;
        }
        if (i == start)
            return 0;
        if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            cp = 0xFFFD;
    } else {
        size_t start = 1;
        while (i < n && i - start < 10 && isalnum((unsigned char)s[i]))
            i++;
        size_t len = i - start;
        size_t k, nn = sizeof html2text_names / sizeof html2text_names[0];
        for (k = 0; k < nn; k++)
            if (strlen(html2text_names[k].name) == len &&
                strncmp(html2text_names[k].name, s + start, len) == 0)
                break;
        if (k == nn)
            return 0;
        cp = html2text_names[k].cp;
    }
    if (i < n && s[i] == ';')
        i++;
    if (cp == 0xA0)
        cp = ' ';
    *outlen = (size_t)bp_utf8_encode(cp, out);
    return i;
}

/* Tags after which the text continues on a new line. */
static int html2text_is_block(const char *name, size_t len)
{
    static const char *const blocks[] = {"br", "p", "div", "li", "ul", "ol", "tr", "table",
                                         "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
                                         "pre", "hr", "section", "article", "header", "footer",
                                         "dd", "dt", "figure", "figcaption"};
    for (size_t k = 0; k < sizeof blocks / sizeof blocks[0]; k++)
        if (strlen(blocks[k]) == len && strncasecmp(blocks[k], name, len) == 0)
            return 1;
    return 0;
}

/* Appends c, collapsing whitespace: pending holds ' ' or '\n' to emit before the next char. */
static int html2text_emit(bp_buf_t *b, const char *p, size_t n, char *pending)
{
    if (*pending && b->len > 0) {
        if (bp_buf_putc(b, *pending) < 0)
            return -1;
    }
    *pending = 0;
    return bp_buf_append(b, p, n);
}

char *html2text(const char *html, size_t n)
{
    bp_buf_t b;
    char pending = 0;
    size_t i = 0;
    char *rep = NULL, *out = NULL;
    if (bp_utf8_check(html, n) != n) {
        rep = bp_utf8_repair(html, n, NULL);
        if (!rep)
            return NULL;
        html = rep;
        n = strlen(rep);
    }
    bp_buf_init(&b, n * 2 + 64);
    if (bp_buf_puts(&b, "") < 0)
        goto out;
    while (i < n) {
        char c = html[i];
        if (c == '<') {
            size_t j = i + 1;
            int closing = 0;
            if (j < n && html[j] == '!') { /* comment or doctype */
                if (n - j >= 3 && strncmp(html + j, "!--", 3) == 0) {
                    const char *e = memmem(html + j, n - j, "-->", 3);
                    i = e ? (size_t)(e - html) + 3 : n;
                } else {
                    const char *e = memchr(html + j, '>', n - j);
                    i = e ? (size_t)(e - html) + 1 : n;
                }
                continue;
            }
            if (j < n && html[j] == '/') {
                closing = 1;
                j++;
            }
            size_t ns = j;
            while (j < n && (isalpha((unsigned char)html[j]) || (j > ns && isdigit((unsigned char)html[j]))))
                j++;
            size_t nlen = j - ns;
            if (nlen == 0) { /* a lone '<' is text */
                if (html2text_emit(&b, "<", 1, &pending) < 0)
                    goto out;
                i++;
                continue;
            }
            const char *e = memchr(html + j, '>', n - j);
            size_t end = e ? (size_t)(e - html) + 1 : n;
            if (!closing && ((nlen == 6 && strncasecmp(html + ns, "script", 6) == 0) ||
                             (nlen == 5 && strncasecmp(html + ns, "style", 5) == 0))) {
                char close[10];
                size_t cl = (size_t)snprintf(close, sizeof close, "</%.*s", (int)nlen, html + ns);
                size_t k = end;
                while (k + cl <= n && strncasecmp(html + k, close, cl) != 0)
                    k++;
                const char *ce = k + cl <= n ? memchr(html + k, '>', n - k) : NULL;
                end = ce ? (size_t)(ce - html) + 1 : n;
            }
            if (html2text_is_block(html + ns, nlen))
                pending = '\n';
            else if (!pending && b.len > 0 && nlen == 2 && strncasecmp(html + ns, "td", 2) == 0)
                pending = ' ';
            i = end;
            continue;
        }
        if (c == '&') {
            char tmp[8];
            size_t tl = 0, used = html2text_entity(html + i, n - i, tmp, &tl);
            if (used) {
                if (tl == 1 && (tmp[0] == ' ' || tmp[0] == '\t')) {
                    if (pending != '\n')
                        pending = ' ';
                } else if (html2text_emit(&b, tmp, tl, &pending) < 0) {
                    goto out;
                }
                i += used;
                continue;
            }
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
            if (pending != '\n')
                pending = ' ';
            i++;
            continue;
        }
        if (html2text_emit(&b, html + i, 1, &pending) < 0)
            goto out;
        i++;
    }
    out = bp_buf_steal(&b);
out:
    bp_buf_free(&b);
    free(rep);
    return out;
}
