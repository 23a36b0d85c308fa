/* mastodon_main.c — bp-collect-mastodon: the mastodon collector (see collector.h and mastodon_parse.c). */
#include "collector.h"
#include "sources.h"

int main(int argc, char **argv) { return collector_main(&mastodon_source, argc, argv); }
