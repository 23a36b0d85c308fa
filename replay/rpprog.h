/* rpprog.h — progress of a long replay on a terminal: records read, rate, time left, on one
 * line of stderr redrawn at most every 500 ms; silent when stderr is not a terminal. */
#ifndef BP_RPPROG_H
#define BP_RPPROG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct rpprog {
    FILE *f;          /* NULL: disabled */
    int64_t start_ms, last_ms;
    int drawn;
} rpprog_t;

/* Enables progress on f when enabled is non-zero and f is a terminal (isatty). */
void rpprog_init(rpprog_t *p, FILE *f, int enabled);
/* Redraws the line if 500 ms passed (or force): read of total (total <= 0: unknown). */
void rpprog_update(rpprog_t *p, int64_t read, int64_t total, int force);
/* Clears the line. */
void rpprog_done(rpprog_t *p);

/* Formats the line (without \r) into buf: "1234/5678 records (22%), 850/s, 5s left".
 * elapsed_ms is the time since start. Returns buf. (Exposed for unit tests.) */
char *rpprog_format(char *buf, size_t n, int64_t read, int64_t total, int64_t elapsed_ms);

#endif
