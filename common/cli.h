/* cli.h — what every program's command line shares: --help/--version text and exit codes. */
#ifndef BP_CLI_H
#define BP_CLI_H

/* Exit codes (DESIGN "Command-line contract"). */
#define BP_EXIT_OK 0
#define BP_EXIT_RUNTIME 1
#define BP_EXIT_USAGE 2

/* Prints "prog brandpulse VERSION (librdkafka X, ...)" to stdout. */
void bp_cli_version(const char *prog);
/* Prints "prog: message" and "Try 'prog --help'." to stderr; returns BP_EXIT_USAGE. */
int bp_cli_usage_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
