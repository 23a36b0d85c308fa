/* yamlcheck_main.c — bp-yamlcheck: parses YAML files with brandpulse's own loader (the one every
 * program's configuration goes through) and reports the first error as file:line:column, or
 * prints each document as JSON so that scripts and tests can inspect it. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "yamltree.h"

static void usage(void)
{
    printf("Usage: bp-yamlcheck [--json] FILE...\n"
           "Parses each FILE with brandpulse's YAML loader: aliases, duplicate keys and deep\n"
           "nesting are refused, as they are in every program's configuration.\n"
           "Prints \"FILE: OK\" per file, or the error as FILE:LINE:COLUMN: message.\n\n"
           "  --json          print each document as one line of JSON instead of OK\n"
           "                  (mappings keep their key order; plain scalars are strings,\n"
           "                  an unquoted null or ~ is null)\n"
           "  -h, --help      this text\n"
           "  -V, --version   version\n\n"
           "Exit status: 0 all files parsed, 2 a file could not be read or parsed.\n");
}

/* The node as JSON (a new reference), or NULL if out of memory. */
static json_t *yamlcheck_json(const bp_ynode_t *n)
{
    if (n->type == BP_Y_SCALAR) {
        if (bp_yaml_is_null(n))
            return json_null();
        return json_stringn(n->value ? n->value : "", n->value ? n->len : 0);
    }
    json_t *out = n->type == BP_Y_SEQ ? json_array() : json_object();
    if (!out)
        return NULL;
    for (size_t i = 0; i < n->n; i++) {
        json_t *v = yamlcheck_json(n->items[i]);
        int rc = !v ? -1
                 : n->type == BP_Y_SEQ
                     ? json_array_append_new(out, v)
                     : json_object_setn_new(out, n->keys[i]->value, n->keys[i]->len, v);
        if (rc != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

int main(int argc, char **argv)
{
    bp_log_init("bp-yamlcheck");
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    int as_json = 0, o;
    while ((o = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (o) {
        case 'j': as_json = 1; break;
        case 'h': usage(); return BP_EXIT_OK;
        case 'V': bp_cli_version("bp-yamlcheck"); return BP_EXIT_OK;
        default: return bp_cli_usage_error("bp-yamlcheck", "unknown option");
        }
    }
    if (optind >= argc)
        return bp_cli_usage_error("bp-yamlcheck", "no FILE given");
    int status = BP_EXIT_OK;
    for (int i = optind; i < argc; i++) {
        char err[1024] = "";
        bp_ynode_t *root = bp_yaml_load_file(argv[i], err, sizeof err);
        if (!root) {
            fprintf(stderr, "%s\n", err);
            status = BP_EXIT_USAGE;
            continue;
        }
        if (!as_json) {
            printf("%s: OK\n", argv[i]);
        } else {
            json_t *j = yamlcheck_json(root);
            char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
            if (s)
                printf("%s\n", s);
            else {
                fprintf(stderr, "%s: out of memory\n", argv[i]);
                status = BP_EXIT_RUNTIME;
            }
            free(s);
            json_decref(j);
        }
        bp_yaml_free(root);
    }
    return status;
}
