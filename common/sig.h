/* sig.h — signal handling: SIGTERM/SIGINT clear a run flag, SIGHUP raises a reload flag. */
#ifndef BP_SIG_H
#define BP_SIG_H

#include <signal.h>

extern volatile sig_atomic_t bp_running; /* 1 until SIGTERM or SIGINT */
extern volatile sig_atomic_t bp_reload;  /* set to 1 by SIGHUP; the main loop clears it */

/* Installs the handlers (no SA_RESTART, so blocking calls return EINTR) and ignores SIGPIPE. */
void bp_signals_install(void);

#endif
