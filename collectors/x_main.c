/* x_main.c — bp-collect-x: the x collector (see collector.h and x_parse.c). */
#include "collector.h"
#include "sources.h"

int main(int argc, char **argv) { return collector_main(&x_source, argc, argv); }
