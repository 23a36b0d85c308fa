/* sig.c — SIGTERM/SIGINT clear bp_running, SIGHUP sets bp_reload (see sig.h). */
#include "sig.h"

#include <string.h>

volatile sig_atomic_t bp_running = 1;
volatile sig_atomic_t bp_reload = 0;

static void sig_handler(int sig)
{
    if (sig == SIGHUP)
        bp_reload = 1;
    else
        bp_running = 0;
}

void bp_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = sig_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
