/* sources.h — the source kinds of the polling collectors, and what their parsers export for
 * tests. Each is implemented in <name>_parse.c. */
#ifndef BP_SOURCES_H
#define BP_SOURCES_H

#include <stdint.h>

#include "collector.h"

extern const collector_source_t rss_source;
extern const collector_source_t vk_source;
extern const collector_source_t telegram_source;
extern const collector_source_t x_source;
extern const collector_source_t mastodon_source;
extern const collector_source_t reddit_source;
extern const collector_source_t httpjson_source;

/* Parses an RFC 822 / RFC 1123 date as RSS writes it ("Mon, 23 Nov 2026 10:00:00 +0300",
 * "23 Nov 2026 10:00 GMT", "EST"...) into ms since the epoch. Returns 0 or -1. */
int rss_parse_rfc822(const char *s, int64_t *ms_out);

/* Converts data[0..len) from charset to UTF-8 (undecodable bytes become U+FFFD).
 * Returns a malloc'd NUL-terminated string and its length, or NULL if the charset is unknown. */
char *rss_parse_to_utf8(const char *data, size_t len, const char *charset, size_t *outlen);

#endif
