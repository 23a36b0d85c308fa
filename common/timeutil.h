/* timeutil.h — wall and monotonic clocks in milliseconds, RFC 3339 and durations. */
#ifndef BP_TIMEUTIL_H
#define BP_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

int64_t bp_now_ms(void);  /* wall clock, ms since the Unix epoch */
int64_t bp_mono_ms(void); /* monotonic clock, ms, for timeouts and intervals */
void bp_sleep_ms(int64_t ms);

/* Parses RFC 3339 ("2026-11-22T10:00:00Z", "…T10:00:00.123+03:00", lowercase t/z accepted)
 * into ms since the epoch. Returns 0, or -1 if s is not a valid RFC 3339 date-time. */
int bp_time_parse_rfc3339(const char *s, int64_t *ms_out);

/* Formats ms since the epoch as "2026-11-22T10:00:00.123Z" (UTC, always with ms).
 * buf must hold at least BP_TIME_BUFSZ bytes. Returns buf. */
#define BP_TIME_BUFSZ 32
char *bp_time_format_rfc3339(int64_t ms, char *buf);

/* Parses a duration: "250ms", "30s", "5m", "2h", "7d", or a bare number of seconds.
 * Returns 0 and ms in *ms_out, or -1. */
int bp_duration_parse(const char *s, int64_t *ms_out);

/* Parses a point in time for command lines: RFC 3339, or relative to now_ms like
 * "-24h", "-7d", "now". Returns 0 or -1. */
int bp_time_parse_arg(const char *s, int64_t now_ms, int64_t *ms_out);

#endif
