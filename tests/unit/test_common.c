/* test_common.c — unit tests for common/: time, durations, buffers, UTF-8, files, crypto. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "fileutil.h"
#include "grow.h"
#include "http.h"
#include "test.h"
#include "timeutil.h"
#include "utf8.h"

TEST(rfc3339_parses_valid_forms)
{
    int64_t ms;
    CHECK_INT(bp_time_parse_rfc3339("1970-01-01T00:00:00Z", &ms), 0);
    CHECK_INT(ms, 0);
    CHECK_INT(bp_time_parse_rfc3339("2026-11-22T10:00:00Z", &ms), 0);
    CHECK_INT(ms, 1795341600000LL);
    CHECK_INT(bp_time_parse_rfc3339("2026-11-22T13:00:00.250+03:00", &ms), 0);
    CHECK_INT(ms, 1795341600250LL);
    CHECK_INT(bp_time_parse_rfc3339("2026-11-22t10:00:00.123456z", &ms), 0);
    CHECK_INT(ms, 1795341600123LL);
    CHECK_INT(bp_time_parse_rfc3339("2024-02-29T23:59:59-05:30", &ms), 0);
}

TEST(rfc3339_rejects_invalid_forms)
{
    int64_t ms;
    const char *bad[] = {"", "yesterday", "2026-11-22", "2026-11-22T10:00:00",
                         "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z",
                         "2026-11-22T24:00:00Z", "2026-11-22T10:00:00.Z",
                         "2026-11-22T10:00:00+3:00", "2026-11-22T10:00:00Zjunk", NULL};
    for (int i = 0; bad[i]; i++)
        CHECK(bp_time_parse_rfc3339(bad[i], &ms) == -1);
    CHECK(bp_time_parse_rfc3339(NULL, &ms) == -1);
}

TEST(rfc3339_formats_and_round_trips)
{
    char buf[BP_TIME_BUFSZ];
    CHECK_STR(bp_time_format_rfc3339(1795341600123LL, buf), "2026-11-22T10:00:00.123Z");
    int64_t ms;
    CHECK_INT(bp_time_parse_rfc3339(buf, &ms), 0);
    CHECK_INT(ms, 1795341600123LL);
}

TEST(durations_and_relative_times)
{
    int64_t ms;
    CHECK_INT(bp_duration_parse("250ms", &ms), 0);
    CHECK_INT(ms, 250);
    CHECK_INT(bp_duration_parse("30s", &ms), 0);
    CHECK_INT(ms, 30000);
    CHECK_INT(bp_duration_parse("5m", &ms), 0);
    CHECK_INT(ms, 300000);
    CHECK_INT(bp_duration_parse("2h", &ms), 0);
    CHECK_INT(ms, 7200000);
    CHECK_INT(bp_duration_parse("7d", &ms), 0);
    CHECK_INT(ms, 604800000);
    CHECK_INT(bp_duration_parse("10", &ms), 0);
    CHECK_INT(ms, 10000);
    CHECK_INT(bp_duration_parse("5 parsecs", &ms), -1);
    CHECK_INT(bp_duration_parse("-5s", &ms), -1);
    CHECK_INT(bp_time_parse_arg("-24h", 100000000, &ms), 0);
    CHECK_INT(ms, 100000000 - 86400000);
    CHECK_INT(bp_time_parse_arg("now", 5, &ms), 0);
    CHECK_INT(ms, 5);
    CHECK_INT(bp_time_parse_arg("1970-01-01T00:00:01Z", 5, &ms), 0);
    CHECK_INT(ms, 1000);
}

TEST(buffer_grows_and_respects_its_cap)
{
    bp_buf_t b = BP_BUF_INIT(16);
    CHECK_INT(bp_buf_puts(&b, "0123456789"), 0);
    CHECK_INT(bp_buf_printf(&b, "%d", 12345), 0);
    CHECK_INT(b.len, 15);
    CHECK_INT(bp_buf_puts(&b, "xy"), -1); /* past the cap: refused, unchanged */
    CHECK_INT(b.len, 15);
    CHECK_STR(b.data, "012345678912345");
    CHECK_INT(bp_buf_putc(&b, 'z'), 0);
    CHECK_INT(bp_buf_putc(&b, 'z'), -1);
    char *s = bp_buf_steal(&b);
    CHECK_STR(s, "012345678912345z");
    free(s);
    CHECK(b.data == NULL);
    bp_buf_t big = BP_BUF_INIT(0);
    for (int i = 0; i < 1000; i++)
        bp_buf_printf(&big, "%0600d", i);
    CHECK_INT(big.len, 600000);
    bp_buf_free(&big);
}

TEST(utf8_check_and_repair)
{
    const char ok[] = "Приват ok ☺ 𝄞";
    CHECK_INT(bp_utf8_check(ok, strlen(ok)), strlen(ok));
    const char *bad[] = {"a\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ab\xd0", "\x80"};
    size_t at[] = {1, 0, 0, 0, 2, 0};
    for (int i = 0; i < 6; i++)
        CHECK_INT(bp_utf8_check(bad[i], strlen(bad[i])), at[i]);
    size_t nrepl;
    char *r = bp_utf8_repair("ok\xff\xfeok\xd0", 7, &nrepl);
    CHECK_STR(r, "ok\xef\xbf\xbd\xef\xbf\xbdok\xef\xbf\xbd");
    CHECK_INT(nrepl, 3);
    CHECK_INT(bp_utf8_check(r, strlen(r)), strlen(r));
    free(r);
    size_t i = 0;
    CHECK_INT(bp_utf8_decode("Ж", 2, &i), 0x416);
    CHECK_INT(i, 2);
    char enc[4];
    CHECK_INT(bp_utf8_encode(0x1D11E, enc), 4);
    CHECK(memcmp(enc, "\xf0\x9d\x84\x9e", 4) == 0);
}

TEST(files_are_written_atomically_and_read_with_a_cap)
{
    char dir[] = "/tmp/bp-test-files.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[512], sub[256];
    snprintf(sub, sizeof sub, "%s/a/b/c", dir);
    CHECK_INT(bp_mkdirs(sub, 0755), 0);
    snprintf(path, sizeof path, "%s/state.json", sub);
    CHECK_INT(bp_file_write_atomic(path, "{\"pos\":1}", 9), 0);
    CHECK_INT(bp_file_write_atomic(path, "{\"pos\":22}", 10), 0);
    size_t len;
    char *s = bp_file_read(path, 100, &len);
    CHECK_STR(s, "{\"pos\":22}");
    CHECK_INT(len, 10);
    free(s);
    errno = 0;
    CHECK(bp_file_read(path, 5, &len) == NULL);
    CHECK_INT(errno, EFBIG);
    CHECK(bp_file_read("/nonexistent/x", 5, &len) == NULL);
    unlink(path);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

TEST(hmac_sha256_matches_rfc4231)
{
    /* RFC 4231 test case 2 */
    unsigned char mac[32];
    char hex[65];
    bp_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
    CHECK_STR(bp_hex(mac, 32, hex),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    bp_sha256("abc", 3, mac);
    CHECK_STR(bp_hex(mac, 32, hex),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    char *b = bp_base64("hello!?", 7);
    CHECK_STR(b, "aGVsbG8hPw==");
    size_t n;
    unsigned char *d = bp_base64_decode(b, strlen(b), &n);
    CHECK_INT(n, 7);
    CHECK(d && memcmp(d, "hello!?", 7) == 0);
    free(d);
    free(b);
    CHECK(bp_base64_decode("abc", 3, &n) == NULL);
    CHECK(bp_consttime_eq("abc", "abc", 3));
    CHECK(!bp_consttime_eq("abc", "abd", 3));
}

TEST(backoff_grows_with_jitter_and_is_capped)
{
    for (int a = 0; a < 20; a++) {
        int64_t d = bp_backoff_ms(a, 100, 5000);
        CHECK(d >= 50 && d <= 5000);
        int64_t top = 100LL << (a < 10 ? a : 10);
        CHECK(d <= (top < 5000 ? top : 5000));
    }
    CHECK(bp_http_status_retryable(503));
    CHECK(bp_http_status_retryable(429));
    CHECK(!bp_http_status_retryable(400));
    CHECK(!bp_http_status_retryable(200));
}

TEST(arrays_grow_by_doubling_up_to_their_cap)
{
    int *v = NULL;
    size_t cap = 0;
    CHECK_INT(bp_grow(&v, &cap, 1, sizeof *v, 4, 20), 0);
    CHECK_INT(cap, 4);
    CHECK_INT(bp_grow(&v, &cap, 4, sizeof *v, 4, 20), 0); /* room already */
    CHECK_INT(cap, 4);
    CHECK_INT(bp_grow(&v, &cap, 5, sizeof *v, 4, 20), 0);
    CHECK_INT(cap, 8);
    CHECK_INT(bp_grow(&v, &cap, 17, sizeof *v, 4, 20), 0); /* doubles past 16: the cap */
    CHECK_INT(cap, 20);
    for (int i = 0; i < 20; i++)
        v[i] = i;
    CHECK_INT(bp_grow(&v, &cap, 21, sizeof *v, 4, 20), -1); /* over the cap: unchanged */
    CHECK_INT(cap, 20);
    CHECK_INT(v[19], 19);
    free(v);
}

int main(void)
{
    RUN(rfc3339_parses_valid_forms);
    RUN(rfc3339_rejects_invalid_forms);
    RUN(rfc3339_formats_and_round_trips);
    RUN(durations_and_relative_times);
    RUN(buffer_grows_and_respects_its_cap);
    RUN(utf8_check_and_repair);
    RUN(files_are_written_atomically_and_read_with_a_cap);
    RUN(hmac_sha256_matches_rfc4231);
    RUN(backoff_grows_with_jitter_and_is_capped);
    RUN(arrays_grow_by_doubling_up_to_their_cap);
    return test_summary();
}
