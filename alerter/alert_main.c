/* alert_main.c — bp-alert: consumes bp.alerts and delivers every alert to the care team's
 * channels (see docs/alerter.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alertcfg.h"
#include "alerter.h"
#include "cli.h"
#include "log.h"
#include "sig.h"

static void usage(void)
{
    printf("Usage: bp-alert -c FILE [options]\n"
           "Consumes bp.alerts and delivers each alert to the channels its routes name\n"
           "(console, webhook, Slack-compatible, Telegram, e-mail, PagerDuty), at least once,\n"
           "never the same post twice.\n\n"
           "  -c, --config FILE   configuration (YAML), required\n"
           "  --brokers LIST      Kafka bootstrap servers (overrides kafka.brokers, BP_BROKERS)\n"
           "  --check             check the configuration and exit (0 = valid, 2 = not)\n"
           "  --help, --version\n\n"
           "Configuration keys:\n");
    alertcfg_print_help();
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"brokers", required_argument, NULL, 'b'},
                                         {"check", no_argument, NULL, 'k'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL, *brokers = NULL;
    int check = 0, c;
    bp_log_init("bp-alert");
    while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'b': brokers = optarg; break;
        case 'k': check = 1; break;
        case 'h': usage(); return BP_EXIT_OK;
        case 'V': bp_cli_version("bp-alert"); return BP_EXIT_OK;
        default: return bp_cli_usage_error("bp-alert", "unknown option");
        }
    }
    if (optind < argc)
        return bp_cli_usage_error("bp-alert", "unexpected argument '%s'", argv[optind]);
    if (!config)
        return bp_cli_usage_error("bp-alert", "-c FILE is required");

    alert_cfg_t cfg;
    char err[1024];
    if (alertcfg_load(config, brokers, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "bp-alert: %s\n", err);
        alertcfg_free(&cfg);
        return BP_EXIT_USAGE;
    }
    if (check) {
        printf("%s: OK (%zu channels, %zu routes)\n", config, cfg.nchannels, cfg.nroutes);
        alertcfg_free(&cfg);
        return BP_EXIT_OK;
    }
    bp_signals_install();
    alerter_t *a = alerter_new(&cfg, err, sizeof err);
    if (!a) {
        bp_error("%s", err);
        alertcfg_free(&cfg);
        return BP_EXIT_RUNTIME;
    }
    bp_info("consuming %s as group %s; %zu channels, %zu routes, state in %s",
            cfg.common.topics.alerts, cfg.common.kafka.group, cfg.nchannels, cfg.nroutes,
            cfg.state_dir);
    int rc = alerter_run(a);
    const alerter_stats_t *st = alerter_stats(a);
    bp_info("stopping: %llu consumed, %llu delivered, %llu retried, %llu failed, "
            "%llu dead-lettered, %llu duplicates, %llu unroutable, %llu malformed",
            (unsigned long long)st->consumed, (unsigned long long)st->delivered,
            (unsigned long long)st->retried, (unsigned long long)st->failed,
            (unsigned long long)st->dead_lettered, (unsigned long long)st->duplicates,
            (unsigned long long)st->unroutable, (unsigned long long)st->malformed);
    alerter_free(a);
    alertcfg_free(&cfg);
    return rc == 0 ? BP_EXIT_OK : BP_EXIT_RUNTIME;
}
