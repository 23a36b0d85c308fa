/* vk_main.c — bp-collect-vk: the vk collector (see collector.h and vk_parse.c). */
#include "collector.h"
#include "sources.h"

int main(int argc, char **argv) { return collector_main(&vk_source, argc, argv); }
