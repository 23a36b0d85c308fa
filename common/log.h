/* log.h — logging to stderr: one line per event, with time, program, level. */
#ifndef BP_LOG_H
#define BP_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum bp_log_level { BP_LOG_DEBUG = 0, BP_LOG_INFO, BP_LOG_WARN, BP_LOG_ERROR };

/* Sets the program name shown on every line (not copied: pass a literal). */
void bp_log_init(const char *progname);
void bp_log_set_level(enum bp_log_level lvl);
/* Parses "debug", "info", "warn", "error"; returns -1 on anything else. */
int bp_log_level_parse(const char *s, enum bp_log_level *out);
enum bp_log_level bp_log_get_level(void);

/* Writes one line: "2026-11-23T10:00:00.123Z bp-filter ERROR message".
 * Newlines inside the message are replaced by spaces so one event stays one line. */
void bp_log(enum bp_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bp_vlog(enum bp_log_level lvl, const char *fmt, va_list ap);

#define bp_debug(...) bp_log(BP_LOG_DEBUG, __VA_ARGS__)
#define bp_info(...)  bp_log(BP_LOG_INFO, __VA_ARGS__)
#define bp_warn(...)  bp_log(BP_LOG_WARN, __VA_ARGS__)
/* Logs at ERROR and returns -1, so callers can write `return bp_error("...")`. */
int bp_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Formats into err (size errlen) and returns -1: for functions that report errors upward. */
int bp_seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
