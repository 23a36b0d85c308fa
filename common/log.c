/* log.c — logging to stderr, one line per event (see log.h). */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"

static const char *log_prog = "brandpulse";
static enum bp_log_level log_level = BP_LOG_INFO;
static const char *const log_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void bp_log_init(const char *progname) { log_prog = progname; }
void bp_log_set_level(enum bp_log_level lvl) { log_level = lvl; }
enum bp_log_level bp_log_get_level(void) { return log_level; }

int bp_log_level_parse(const char *s, enum bp_log_level *out)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum bp_log_level)i;
            return 0;
        }
    }
    if (strcmp(s, "warning") == 0) {
        *out = BP_LOG_WARN;
        return 0;
    }
    return -1;
}

void bp_vlog(enum bp_log_level lvl, const char *fmt, va_list ap)
{
    if (lvl < log_level)
        return;
    char msg[4096];
    vsnprintf(msg, sizeof msg, fmt, ap);
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    char ts[BP_TIME_BUFSZ];
    bp_time_format_rfc3339(bp_now_ms(), ts);
    /* one fprintf call: lines from several threads do not interleave */
    fprintf(stderr, "%s %s %s %s\n", ts, log_prog, log_names[lvl], msg);
}

void bp_log(enum bp_log_level lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bp_vlog(lvl, fmt, ap);
    va_end(ap);
}

int bp_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bp_vlog(BP_LOG_ERROR, fmt, ap);
    va_end(ap);
    return -1;
}

int bp_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}
