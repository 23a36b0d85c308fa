/* probe_main.c — bp-probe: a tiny HTTP GET for container health checks (the runtime image has
 * no curl binary): exit 0 on a 2xx answer, 1 otherwise, with one line saying what came back. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "http.h"
#include "log.h"
#include "timeutil.h"

static void usage(void)
{
    printf("Usage: bp-probe [--timeout DURATION] [--quiet] URL\n"
           "Sends GET URL and exits 0 when the answer is 2xx, 1 otherwise (no answer, or\n"
           "another status), printing the status and the first line of the body.\n"
           "Used by the Docker health checks:  bp-probe http://127.0.0.1:9464/healthz\n\n"
           "  --timeout D     whole request, e.g. 3s or 500ms (default 5s)\n"
           "  -q, --quiet     print nothing\n"
           "  -h, --help      this text\n"
           "  -V, --version   version\n\n"
           "Exit status: 0 healthy, 1 unhealthy or unreachable, 2 bad usage.\n");
}

int main(int argc, char **argv)
{
    bp_log_init("bp-probe");
    static const struct option opts[] = {{"timeout", required_argument, NULL, 't'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    int64_t timeout_ms = 5000;
    int quiet = 0, o;
    while ((o = getopt_long(argc, argv, "qhV", opts, NULL)) != -1) {
        switch (o) {
        case 't':
            if (bp_duration_parse(optarg, &timeout_ms) != 0 || timeout_ms <= 0)
                return bp_cli_usage_error("bp-probe", "--timeout '%s': expected a duration",
                                          optarg);
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(); return BP_EXIT_OK;
        case 'V': bp_cli_version("bp-probe"); return BP_EXIT_OK;
        default: return bp_cli_usage_error("bp-probe", "unknown option");
        }
    }
    if (optind != argc - 1)
        return bp_cli_usage_error("bp-probe", "expected exactly one URL");
    const char *url = argv[optind];
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return bp_cli_usage_error("bp-probe", "'%s' is not an http:// or https:// URL", url);

    bp_http_t *h = bp_http_new();
    if (!h) {
        fprintf(stderr, "bp-probe: out of memory\n");
        return BP_EXIT_RUNTIME;
    }
    bp_http_resp_t resp;
    memset(&resp, 0, sizeof resp);
    bp_http_req_t req = {.url = url,
                         .timeout_ms = (long)timeout_ms,
                         .connect_timeout_ms = (long)timeout_ms,
                         .max_response = 1 << 20};
    int status = BP_EXIT_RUNTIME;
    if (bp_http_do(h, &req, &resp) != 0) {
        if (!quiet)
            printf("%s: no answer: %s\n", url, resp.err);
    } else {
        const char *body = resp.body.data ? resp.body.data : "";
        int line = (int)strcspn(body, "\r\n");
        if (line > 200)
            line = 200;
        if (!quiet)
            printf("%s: %ld %.*s\n", url, resp.status, line, body);
        if (resp.status >= 200 && resp.status < 300)
            status = BP_EXIT_OK;
    }
    bp_http_resp_free(&resp);
    bp_http_free(h);
    return status;
}
