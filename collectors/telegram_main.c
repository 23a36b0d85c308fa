/* telegram_main.c — bp-collect-telegram: the telegram collector (see collector.h and telegram_parse.c). */
#include "collector.h"
#include "sources.h"

int main(int argc, char **argv) { return collector_main(&telegram_source, argc, argv); }
