/* timeutil.c — clocks, RFC 3339 parsing/formatting, durations (see timeutil.h). */
#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t bp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t bp_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bp_sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* EINTR ends the sleep early: callers re-check bp_running */
}

/* '0'..'9' (what isdigit accepts in every locale), without the ctype table lookup */
static int is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's algorithm */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int bp_time_parse_rfc3339(const char *s, int64_t *ms_out)
{
    int Y, M, D, h, mi, sec;
    /* (no strlen: the checks below read left to right and each fails on the NUL of a string
     * shorter than 20 bytes, before anything past it is read) */
    if (!s)
        return -1;
    if (digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' ||
        digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        return -1;
    if (M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) || h > 23 || mi > 59 || sec > 60)
        return -1;
    const char *p = s + 19;
    int64_t frac_ms = 0;
    if (*p == '.') {
        p++;
        int nd = 0, scale = 100;
        while (is_digit(*p)) {
            if (nd < 3) {
                frac_ms += (*p - '0') * scale;
                scale /= 10;
            }
            nd++;
            p++;
        }
        if (nd == 0)
            return -1;
    }
    int64_t off_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        int sign = *p == '-' ? -1 : 1;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        off_min = sign * (oh * 60 + om);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    if (sec == 60)
        sec = 59; /* leap second: clamp */
    int64_t days = days_from_civil(Y, M, D);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - off_min * 60;
    *ms_out = secs * 1000 + frac_ms;
    return 0;
}

/* The last second a thread formatted, as "YYYY-MM-DDThh:mm:ss": calls in the same second (most
 * of them: the filter stamps every mention) only write the milliseconds. */
static _Thread_local struct {
    int valid;
    int64_t secs;
    char head[20];
} fmt_cache;

char *bp_time_format_rfc3339(int64_t ms, char *buf)
{
    /* floor(ms / 1000), and 0..999 ms into that second */
    int64_t secs = ms / 1000 - (ms % 1000 < 0);
    int msec = (int)(ms - secs * 1000);
    if (!fmt_cache.valid || fmt_cache.secs != secs) {
        time_t t = (time_t)secs;
        struct tm tm;
        gmtime_r(&t, &tm);
        char tmp[96];
        int n = snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, msec);
        memcpy(buf, tmp, BP_TIME_BUFSZ - 1);
        buf[BP_TIME_BUFSZ - 1] = '\0';
        /* the usual 24-character shape is kept for the next call in this second */
        fmt_cache.valid = n == 24 && tmp[19] == '.';
        if (fmt_cache.valid) {
            fmt_cache.secs = secs;
            memcpy(fmt_cache.head, tmp, 19);
        }
        return buf;
    }
    memcpy(buf, fmt_cache.head, 19);
    buf[19] = '.';
    buf[20] = (char)('0' + msec / 100);
    buf[21] = (char)('0' + msec / 10 % 10);
    buf[22] = (char)('0' + msec % 10);
    buf[23] = 'Z';
    buf[24] = '\0';
    return buf;
}

int bp_duration_parse(const char *s, int64_t *ms_out)
{
    if (!s || !*s)
        return -1;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -1;
    while (*end == ' ')
        end++;
    double mult;
    if (*end == '\0' || strcmp(end, "s") == 0 || strcmp(end, "sec") == 0)
        mult = 1000;
    else if (strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        mult = 60000;
    else if (strcmp(end, "h") == 0)
        mult = 3600000;
    else if (strcmp(end, "d") == 0)
        mult = 86400000;
    else
        return -1;
    double ms = v * mult;
    if (ms > 9.2e15)
        return -1;
    *ms_out = (int64_t)ms;
    return 0;
}

int bp_time_parse_arg(const char *s, int64_t now_ms, int64_t *ms_out)
{
    if (!s)
        return -1;
    if (strcmp(s, "now") == 0) {
        *ms_out = now_ms;
        return 0;
    }
    if (s[0] == '-' || s[0] == '+') {
        int64_t d;
        if (bp_duration_parse(s + 1, &d) != 0)
            return -1;
        *ms_out = s[0] == '-' ? now_ms - d : now_ms + d;
        return 0;
    }
    return bp_time_parse_rfc3339(s, ms_out);
}
