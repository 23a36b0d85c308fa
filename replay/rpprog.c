/* rpprog.c — a progress line on a terminal (see rpprog.h). */
#include "rpprog.h"

#include <unistd.h>

#include "timeutil.h"

void rpprog_init(rpprog_t *p, FILE *f, int enabled)
{
    p->f = enabled && f && isatty(fileno(f)) ? f : NULL;
    p->start_ms = bp_mono_ms();
    p->last_ms = 0;
    p->drawn = 0;
}

static void rpprog_dur(char *buf, size_t n, int64_t s)
{
    if (s >= 3600)
        snprintf(buf, n, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(buf, n, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    else
        snprintf(buf, n, "%llds", (long long)s);
}

char *rpprog_format(char *buf, size_t n, int64_t read, int64_t total, int64_t elapsed_ms)
{
    double rate = elapsed_ms > 0 ? (double)read * 1000.0 / (double)elapsed_ms : 0.0;
    char left[32] = "?";
    if (total > 0 && rate > 0 && read <= total)
        rpprog_dur(left, sizeof left, (int64_t)((double)(total - read) / rate + 0.5));
    if (total > 0)
        snprintf(buf, n, "%lld/%lld records (%d%%), %.0f/s, %s left", (long long)read,
                 (long long)total, (int)(read * 100 / total), rate, left);
    else
        snprintf(buf, n, "%lld records, %.0f/s", (long long)read, rate);
    return buf;
}

void rpprog_update(rpprog_t *p, int64_t read, int64_t total, int force)
{
    if (!p->f)
        return;
    int64_t now = bp_mono_ms();
    if (!force && now - p->last_ms < 500)
        return;
    p->last_ms = now;
    char line[160];
    rpprog_format(line, sizeof line, read, total, now - p->start_ms);
    fprintf(p->f, "\r%-78s", line);
    fflush(p->f);
    p->drawn = 1;
}

void rpprog_done(rpprog_t *p)
{
    if (p->f && p->drawn) {
        fprintf(p->f, "\r%-78s\r", "");
        fflush(p->f);
    }
    p->drawn = 0;
}
