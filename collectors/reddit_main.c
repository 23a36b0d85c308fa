/* reddit_main.c — bp-collect-reddit: the reddit collector (see collector.h and reddit_parse.c). */
#include "collector.h"
#include "sources.h"

int main(int argc, char **argv) { return collector_main(&reddit_source, argc, argv); }
