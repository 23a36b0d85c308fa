/* mask.c — personal data in alert text: Luhn-valid card numbers, phone numbers, e-mail
 * addresses found and replaced by short masks that keep only the last digits or the domain. */
#include "mask.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static int mask_is_digit(char c) { return c >= '0' && c <= '9'; }

static int mask_is_alnum(char c)
{
    return mask_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int mask_is_local_char(char c)
{
    return mask_is_alnum(c) || c == '.' || c == '%' || c == '+' || c == '-';
}

static int mask_is_domain_char(char c) { return mask_is_alnum(c) || c == '.' || c == '-'; }

int mask_luhn_ok(const char *s, size_t n)
{
    int sum = 0, dbl = 0, ndig = 0;
    for (size_t i = n; i > 0; i--) {
        char c = s[i - 1];
        if (!mask_is_digit(c))
            continue;
        int d = c - '0';
        if (dbl) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
        dbl = !dbl;
        ndig++;
    }
    return ndig > 0 && sum % 10 == 0;
}

/* An e-mail address around the '@' at s[at]: fills *start and *end, returns 1 if found. */
static int mask_email_at(const char *s, size_t n, size_t at, size_t *start, size_t *end)
{
    size_t a = at, b = at + 1;
    while (a > 0 && mask_is_local_char(s[a - 1]))
        a--;
    while (a < at && s[a] == '.')
        a++;
    if (a == at)
        return 0;
    while (b < n && mask_is_domain_char(s[b]))
        b++;
    while (b > at + 1 && (s[b - 1] == '.' || s[b - 1] == '-'))
        b--;
    /* the domain needs a dot followed by a top-level part of two letters or more */
    size_t dot = 0;
    for (size_t i = at + 1; i < b; i++)
        if (s[i] == '.')
            dot = i;
    if (dot == 0 || dot == at + 1 || b - dot - 1 < 2)
        return 0;
    for (size_t i = dot + 1; i < b; i++)
        if (mask_is_digit(s[i]))
            return 0;
    *start = a;
    *end = b;
    return 1;
}

static int mask_is_sep(char c) { return c == ' ' || c == '-' || c == '(' || c == ')' || c == '.'; }

/* A run of digits and separators starting at s[i] (a digit, or '+'/'(' before a digit).
 * Returns the end of the run (trailing separators trimmed) and the digit count in *ndig;
 * *card_like says whether only single spaces/dashes separate the digits. */
static size_t mask_digit_run(const char *s, size_t n, size_t i, int *ndig, int *card_like)
{
    size_t j = i, last_digit_end = i;
    int nd = 0, seps = 0, card = 1, bad_sep = 0;
    if (s[j] == '+')
        j++;
    while (j < n) {
        char c = s[j];
        if (mask_is_digit(c)) {
            if (bad_sep) /* only single spaces or dashes between a card's digits */
                card = 0;
            nd++;
            seps = 0;
            bad_sep = 0;
            last_digit_end = j + 1;
        } else if (mask_is_sep(c)) {
            if (++seps > 2)
                break;
            if ((c != ' ' && c != '-') || seps > 1)
                bad_sep = 1;
        } else {
            break;
        }
        j++;
        if (nd > 24)
            break;
    }
    if (s[i] == '+' || s[i] == '(')
        card = 0;
    *ndig = nd;
    *card_like = card;
    return last_digit_end;
}

static void mask_last_digits(const char *s, size_t start, size_t end, int k, char *out)
{
    char tmp[8];
    int got = 0;
    for (size_t i = end; i > start && got < k; i--)
        if (mask_is_digit(s[i - 1]))
            tmp[k - 1 - got++] = s[i - 1];
    memcpy(out, tmp + (k - got), (size_t)got);
    out[got] = '\0';
}

static int mask_overlaps(const mask_span_t *sp, size_t nsp, size_t a, size_t b)
{
    for (size_t i = 0; i < nsp; i++)
        if (a < sp[i].end && sp[i].start < b)
            return 1;
    return 0;
}

static int mask_span_cmp(const void *x, const void *y)
{
    const mask_span_t *a = x, *b = y;
    return a->start < b->start ? -1 : a->start > b->start;
}

size_t mask_find(const char *s, size_t n, unsigned kinds, mask_span_t *out, size_t max)
{
    size_t cnt = 0;
    if (max == 0)
        return 0;
    if (kinds & MASK_EMAIL) {
        for (size_t i = 0; i < n && cnt < max; i++) {
            size_t a, b;
            if (s[i] != '@' || !mask_email_at(s, n, i, &a, &b))
                continue;
            mask_span_t *sp = &out[cnt++];
            sp->start = a;
            sp->end = b;
            sp->kind = MASK_EMAIL;
            size_t dlen = b - i - 1;
            if (dlen > 40)
                dlen = 40;
            snprintf(sp->repl, sizeof sp->repl, "[email %c***@%.*s]", s[a], (int)dlen, s + i + 1);
            i = b;
        }
    }
    if (kinds & (MASK_CARD | MASK_PHONE)) {
        size_t i = 0;
        while (i < n && cnt < max) {
            char c = s[i];
            int starts = mask_is_digit(c) ||
                         ((c == '+' || c == '(') && i + 1 < n && mask_is_digit(s[i + 1]));
            if (!starts || (i > 0 && (mask_is_alnum(s[i - 1]) || s[i - 1] == '+'))) {
                i++;
                continue;
            }
            int nd, card_like;
            size_t end = mask_digit_run(s, n, i, &nd, &card_like);
            if (end < n && mask_is_alnum(s[end])) { /* glued to a word: not a number of ours */
                i = end;
                continue;
            }
            enum mask_kind kind = 0;
            if ((kinds & MASK_CARD) && card_like && nd >= 13 && nd <= 19 &&
                mask_luhn_ok(s + i, end - i))
                kind = MASK_CARD;
            else if ((kinds & MASK_PHONE) && nd >= 10 && nd <= 15)
                kind = MASK_PHONE;
            if (kind && !mask_overlaps(out, cnt, i, end)) {
                mask_span_t *sp = &out[cnt++];
                char last[8];
                sp->start = i;
                sp->end = end;
                sp->kind = kind;
                mask_last_digits(s, i, end, kind == MASK_CARD ? 4 : 2, last);
                snprintf(sp->repl, sizeof sp->repl, kind == MASK_CARD ? "[card ****%s]"
                                                                      : "[phone ***%s]", last);
            }
            i = end > i ? end : i + 1;
        }
    }
    qsort(out, cnt, sizeof *out, mask_span_cmp);
    return cnt;
}

char *mask_apply(const char *s, size_t n, unsigned kinds)
{
    mask_span_t spans[64];
    size_t ns = mask_find(s, n, kinds, spans, 64);
    bp_buf_t b;
    bp_buf_init(&b, n * 2 + 1024);
    size_t pos = 0;
    int rc = 0;
    for (size_t i = 0; i < ns; i++) {
        rc |= bp_buf_append(&b, s + pos, spans[i].start - pos);
        rc |= bp_buf_puts(&b, spans[i].repl);
        pos = spans[i].end;
    }
    rc |= bp_buf_append(&b, s + pos, n - pos);
    if (rc != 0) {
        bp_buf_free(&b);
        return NULL;
    }
    return bp_buf_steal(&b);
}

int mask_parse_kinds(const char *s, unsigned *out)
{
    unsigned k = 0;
    char word[32];
    const char *p = s;
    while (*p) {
        size_t len = strcspn(p, ", ");
        if (len > 0) {
            if (len >= sizeof word)
                return -1;
            memcpy(word, p, len);
            word[len] = '\0';
            if (strcmp(word, "card") == 0)
                k |= MASK_CARD;
            else if (strcmp(word, "phone") == 0)
                k |= MASK_PHONE;
            else if (strcmp(word, "email") == 0)
                k |= MASK_EMAIL;
            else if (strcmp(word, "all") == 0)
                k |= MASK_ALL;
            else if (strcmp(word, "none") != 0)
                return -1;
        }
        p += len;
        while (*p == ',' || *p == ' ')
            p++;
    }
    *out = k;
    return 0;
}
