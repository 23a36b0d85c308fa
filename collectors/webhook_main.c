/* webhook_main.c — bp-collect-webhook: the HTTP intake for posts (see webhook.h). */
#include "webhook.h"

int main(int argc, char **argv) { return webhook_main(argc, argv); }
