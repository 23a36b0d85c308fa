/* rss_main.c — bp-collect-rss: the rss collector (see collector.h and rss_parse.c). */
#include "collector.h"
#include "sources.h"

int main(int argc, char **argv) { return collector_main(&rss_source, argc, argv); }
