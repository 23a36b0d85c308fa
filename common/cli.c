/* cli.c — shared command-line helpers (see cli.h). */
#include "cli.h"

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdio.h>

void bp_cli_version(const char *prog)
{
    printf("%s (brandpulse) %s, librdkafka %s, jansson %s\n", prog, BP_VERSION,
           rd_kafka_version_str(), JANSSON_VERSION);
}

int bp_cli_usage_error(const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '%s --help'.\n", prog);
    va_end(ap);
    return BP_EXIT_USAGE;
}
