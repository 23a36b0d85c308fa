/* httpjson_main.c — bp-collect-http-json: the http-json collector (see collector.h and httpjson_parse.c). */
#include "collector.h"
#include "sources.h"

int main(int argc, char **argv) { return collector_main(&httpjson_source, argc, argv); }
