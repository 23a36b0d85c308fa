/* test_time.c — bp_time_format_rfc3339 (which keeps the last second per thread) and
 * bp_time_parse_rfc3339 give exactly what the plain gmtime_r + snprintf and isdigit + strlen
 * versions give: across second, minute, day and year boundaries, negative and odd inputs,
 * and from several threads at once. */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test.h"
#include "timeutil.h"

/* The reference formatter: no cache, gmtime_r and snprintf for every call. */
static char *ref_format(int64_t ms, char *buf)
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int msec = (int)(ms - (int64_t)secs * 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, msec);
    memcpy(buf, tmp, BP_TIME_BUFSZ - 1);
    buf[BP_TIME_BUFSZ - 1] = '\0';
    return buf;
}

/* Formats ms with both and compares; returns 1 if they agree. */
static int fmt_agrees(int64_t ms)
{
    char a[BP_TIME_BUFSZ], b[BP_TIME_BUFSZ];
    memset(a, 'x', sizeof a);
    char *r = bp_time_format_rfc3339(ms, a);
    ref_format(ms, b);
    if (r != a || strcmp(a, b) != 0) {
        fprintf(stderr, "    ms %lld: \"%s\", expected \"%s\"\n", (long long)ms, a, b);
        return 0;
    }
    return 1;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

TEST(formats_known_values)
{
    char buf[BP_TIME_BUFSZ];
    CHECK_STR(bp_time_format_rfc3339(0, buf), "1970-01-01T00:00:00.000Z");
    CHECK_STR(bp_time_format_rfc3339(999, buf), "1970-01-01T00:00:00.999Z");
    CHECK_STR(bp_time_format_rfc3339(1000, buf), "1970-01-01T00:00:01.000Z");
    CHECK_STR(bp_time_format_rfc3339(-1, buf), "1969-12-31T23:59:59.999Z");
    CHECK_STR(bp_time_format_rfc3339(-1000, buf), "1969-12-31T23:59:59.000Z");
    CHECK_STR(bp_time_format_rfc3339(-1001, buf), "1969-12-31T23:59:58.999Z");
    CHECK_STR(bp_time_format_rfc3339(1795341600123LL, buf), "2026-11-22T10:00:00.123Z");
    CHECK_STR(bp_time_format_rfc3339(1795341600124LL, buf), "2026-11-22T10:00:00.124Z");
    CHECK_STR(bp_time_format_rfc3339(1795341601000LL, buf), "2026-11-22T10:00:01.000Z");
    CHECK_STR(bp_time_format_rfc3339(1795341600124LL, buf), "2026-11-22T10:00:00.124Z");
    CHECK_STR(bp_time_format_rfc3339(253402300799999LL, buf), "9999-12-31T23:59:59.999Z");
    CHECK_STR(bp_time_format_rfc3339(253402300800000LL, buf), "10000-01-01T00:00:00.000Z");
    CHECK_STR(bp_time_format_rfc3339(-62167219200000LL, buf), "0000-01-01T00:00:00.000Z");
    CHECK_STR(bp_time_format_rfc3339(-62167219200001LL, buf), "-001-12-31T23:59:59.999Z");
}

TEST(matches_gmtime_across_boundaries)
{
    /* the last and first milliseconds around second, minute, hour, day, month and year ends,
     * leap days included, in the order a clock gives them and in random order */
    static const int64_t secs[] = {
        0, 59, 3599, 86399, 951782399 /* 2000-02-28 */, 951868799 /* 2000-02-29 */,
        1709251199 /* 2024-02-29 */, 1735689599 /* 2024-12-31 */, 1795341599, 4102444799,
        -1, -60, -86400, -2208988801 /* 1899 */, 253402300799, -62135596801, 2147483647,
        2147483648, 4294967295, -2147483648LL, -2147483649LL};
    int bad = 0, n = 0;
    for (size_t i = 0; i < sizeof secs / sizeof *secs; i++)
        for (int64_t d = -2500; d <= 2500; d++) {
            bad += !fmt_agrees(secs[i] * 1000 + 999 + d);
            n++;
        }
    for (int i = 0; i < 200000; i++) {
        int64_t ms;
        switch (i % 4) {
        case 0: ms = (int64_t)(rnd64() % 8000000000000ULL) - 2000000000000LL; break;
        case 1: ms = (int64_t)rnd64() / 1000; break; /* years far from now, either sign */
        case 2: ms = 1795341600000LL + (int64_t)(rnd64() % 120000); break;
        default: ms = (int64_t)(rnd64() % 4000) - 2000; break;
        }
        bad += !fmt_agrees(ms);
        n++;
        if (bad > 10)
            break;
    }
    /* a clock running forward in small steps, and two seconds taking turns */
    for (int64_t ms = 1795341599000LL; ms < 1795341599000LL + 200000; ms += 1 + (int64_t)(rnd64() % 7))
        bad += !fmt_agrees(ms), n++;
    for (int i = 0; i < 2000; i++)
        bad += !fmt_agrees(i % 2 ? 1795341600500LL : 1795341599500LL + i), n++;
    /* the extremes (INT64_MIN itself is left out: the old code overflowed on it) */
    static const int64_t ext[] = {INT64_MAX, INT64_MAX - 1, INT64_MAX - 999, INT64_MIN + 999,
                                  INT64_MIN + 1000, INT64_MIN + 1001, 9223372036854775LL,
                                  -9223372036854775LL};
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++)
        bad += !fmt_agrees(ext[i]), n++;
    printf("     format: %d values compared\n", n);
    CHECK_INT(bad, 0);
}

/* Each thread formats its own clock (a different day, second and step) and compares. */
static void *fmt_thread(void *arg)
{
    intptr_t id = (intptr_t)arg;
    int bad = 0;
    int64_t base = 1795341600000LL + id * 86400000LL * 37 + id * 1234;
    for (int64_t i = 0; i < 300000 && bad < 10; i += 1 + id)
        bad += !fmt_agrees(base + i);
    return (void *)(intptr_t)bad;
}

TEST(threads_keep_their_own_second)
{
    pthread_t t[4];
    for (intptr_t i = 0; i < 4; i++)
        CHECK_INT(pthread_create(&t[i], NULL, fmt_thread, (void *)i), 0);
    int bad = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (int)(intptr_t)r;
    }
    CHECK_INT(bad, 0);
}

/* ---- parsing ------------------------------------------------------------------------------ */

static int ref_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int64_t ref_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int ref_days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* The parser as it was (strlen first, isdigit). */
static int ref_parse(const char *s, int64_t *ms_out)
{
    int Y, M, D, h, mi, sec;
    if (!s || strlen(s) < 20)
        return -1;
    if (ref_digits(s, 4, &Y) || s[4] != '-' || ref_digits(s + 5, 2, &M) || s[7] != '-' ||
        ref_digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        ref_digits(s + 11, 2, &h) || s[13] != ':' || ref_digits(s + 14, 2, &mi) || s[16] != ':' ||
        ref_digits(s + 17, 2, &sec))
        return -1;
    if (M < 1 || M > 12 || D < 1 || D > ref_days_in_month(Y, M) || h > 23 || mi > 59 || sec > 60)
        return -1;
    const char *p = s + 19;
    int64_t frac_ms = 0;
    if (*p == '.') {
        p++;
        int nd = 0, scale = 100;
        while (isdigit((unsigned char)*p)) {
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
        if (ref_digits(p + 1, 2, &oh) || p[3] != ':' || ref_digits(p + 4, 2, &om) || oh > 23 ||
            om > 59)
            return -1;
        off_min = sign * (oh * 60 + om);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    if (sec == 60)
        sec = 59;
    int64_t days = ref_days_from_civil(Y, M, D);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - off_min * 60;
    *ms_out = secs * 1000 + frac_ms;
    return 0;
}

/* Parses s (copied into a heap buffer exactly strlen + 1 bytes long, so that ASan catches a
 * read past the NUL) with both; returns 1 if they agree. */
static int parse_agrees(const char *s)
{
    size_t n = strlen(s);
    char *b = malloc(n + 1);
    if (!b)
        return 0;
    memcpy(b, s, n + 1);
    int64_t a = -7, r = -7;
    int ra = bp_time_parse_rfc3339(b, &a), rr = ref_parse(b, &r);
    free(b);
    if (ra != rr || a != r) {
        fprintf(stderr, "    \"%s\": %d %lld, expected %d %lld\n", s, ra, (long long)a, rr,
                (long long)r);
        return 0;
    }
    return 1;
}

TEST(parse_matches_the_old_parser)
{
    static const char *const base[] = {
        "2026-11-22T10:00:00Z", "2026-11-22t10:00:00.123456z", "2026-11-22 10:00:00.5+03:00",
        "2024-02-29T23:59:59-05:30", "2023-02-29T00:00:00Z", "1970-01-01T00:00:00Z",
        "0000-01-01T00:00:60Z", "9999-12-31T23:59:59.999+23:59", "2026-11-22T10:00:00.Z",
        "2026-11-22T24:00:00Z", "2026-13-01T00:00:00Z", "2026-11-22T10:00:00", "", "2",
        "2026-11-22T10:00:00Zx", "2026-11-22T10:00:00+3:00", "2026-11-22T10:00:00.1234567890Z"};
    static const char alphabet[] = "0123456789-:T tZz+.x\xd9\x80";
    int bad = 0, n = 0, ok = 0;
    char buf[64];
    for (size_t i = 0; i < sizeof base / sizeof *base; i++) {
        bad += !parse_agrees(base[i]), n++;
        size_t len = strlen(base[i]);
        for (size_t cut = 0; cut < len; cut++) { /* every prefix */
            memcpy(buf, base[i], cut);
            buf[cut] = '\0';
            bad += !parse_agrees(buf), n++;
        }
    }
    for (int round = 0; round < 100000 && bad <= 10; round++) {
        const char *b = base[rnd64() % (sizeof base / sizeof *base)];
        size_t len = strlen(b);
        memcpy(buf, b, len + 1);
        for (int m = (int)(rnd64() % 3); m >= 0 && len > 0; m--) {
            size_t at = (size_t)(rnd64() % len);
            if (rnd64() % 4 == 0) {
                len = at;
                buf[len] = '\0';
            } else {
                buf[at] = alphabet[rnd64() % (sizeof alphabet - 1)];
            }
        }
        int64_t ms;
        ok += bp_time_parse_rfc3339(buf, &ms) == 0;
        bad += !parse_agrees(buf), n++;
    }
    printf("     parse: %d strings compared, %d valid\n", n, ok);
    CHECK_INT(bad, 0);
    CHECK(ok > 2000);
    int64_t ms;
    CHECK_INT(bp_time_parse_rfc3339(NULL, &ms), -1);
}

int main(void)
{
    RUN(formats_known_values);
    RUN(matches_gmtime_across_boundaries);
    RUN(threads_keep_their_own_second);
    RUN(parse_matches_the_old_parser);
    return test_summary();
}
