/* bench_plainloop.c — the benchmark's baseline: the straightforward filter. It reads the same
 * rules directory (brands/ and lexicon/ YAML files), compiles every variant, handle, term and
 * pattern into its own PCRE2 regex (UTF, UCP, caseless, JIT; a variant becomes a whole-word
 * match), and for every post of a JSONL corpus parses it and runs every regex over its text:
 * no normalization, no prefilter. Posts with a brand match are written out. Prints posts/s.
 *
 *   bench_plainloop RULES_DIR CORPUS.jsonl [OUT.jsonl [MAX_POSTS]]
 * (it is slow: MAX_POSTS limits the run; the rate is per post either way) */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <dirent.h>
#include <jansson.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "timeutil.h"
#include "yamltree.h"

typedef struct plain_re { pcre2_code *re; int brand; } plain_re_t;

static plain_re_t *res;
static size_t nres, capres;

static int plain_add(const char *src, int brand)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &ec, &off, NULL);
    if (!re)
        return 0; /* the engine reports bad rules; the baseline just skips them */
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    if (nres == capres) {
        capres = capres ? capres * 2 : 1024;
        res = realloc(res, capres * sizeof *res);
        if (!res)
            return -1;
    }
    res[nres++] = (plain_re_t){re, brand};
    return 0;
}

/* A literal term as a whole-word regex; a trailing '*' accepts any continuation. */
static int plain_term(const char *t, int brand)
{
    bp_buf_t b = BP_BUF_INIT(8192);
    size_t n = strlen(t);
    int star = n && t[n - 1] == '*', bang = n && t[n - 1] == '!';
    bp_buf_puts(&b, "(?<!\\w)");
    for (size_t i = 0; i < n - (size_t)(star || bang); i++) {
        unsigned char c = (unsigned char)t[i];
        if (c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == ' '))
            bp_buf_putc(&b, '\\');
        bp_buf_putc(&b, (char)c);
    }
    bp_buf_puts(&b, star ? "\\w*" : "(?!\\w)");
    int rc = b.data ? plain_add(b.data, brand) : -1;
    bp_buf_free(&b);
    return rc;
}

static void plain_list(const bp_ynode_t *l, int brand, int as_pattern)
{
    for (size_t i = 0; l && l->type == BP_Y_SEQ && i < l->n; i++) {
        const bp_ynode_t *it = l->items[i];
        if (it->type == BP_Y_SCALAR) {
            as_pattern ? plain_add(it->value, brand) : plain_term(it->value, brand);
        } else if (it->type == BP_Y_MAP) {
            const bp_ynode_t *t = bp_yaml_get(it, "term"), *p = bp_yaml_get(it, "pattern");
            if (t && t->type == BP_Y_SCALAR)
                plain_term(t->value, brand);
            if (p && p->type == BP_Y_SCALAR)
                plain_add(p->value, brand);
        }
    }
}

static void plain_dir(const char *dir, const char *sub, int brand)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".yaml"))
            continue;
        char f[4600], err[512];
        snprintf(f, sizeof f, "%s/%s", path, e->d_name);
        bp_ynode_t *root = bp_yaml_load_file(f, err, sizeof err);
        if (!root)
            continue;
        if (brand) {
            plain_list(bp_yaml_get(root, "variants"), 1, 0);
            plain_list(bp_yaml_get(root, "handles"), 1, 0);
            plain_list(bp_yaml_get(root, "patterns"), 1, 1);
        } else {
            static const char *const keys[] = {"negative", "positive", "urgent", "negators",
                                               "intensifiers", "softeners"};
            for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
                plain_list(bp_yaml_get(root, keys[k]), 0, 0);
        }
        bp_yaml_free(root);
    }
    if (d)
        closedir(d);
}

int main(int argc, char **argv)
{
    if (argc < 3 || !strcmp(argv[1], "--help")) {
        fprintf(argc < 3 ? stderr : stdout,
                "usage: bench_plainloop RULES_DIR CORPUS.jsonl [OUT.jsonl [MAX_POSTS]]\n");
        return argc < 3 ? 2 : 0;
    }
    plain_dir(argv[1], "brands", 1);
    plain_dir(argv[1], "lexicon", 0);
    FILE *in = fopen(argv[2], "r");
    FILE *out = argc > 3 ? fopen(argv[3], "w") : NULL;
    long max = argc > 4 ? atol(argv[4]) : 0;
    if (!in || (argc > 3 && !out) || !nres) {
        fprintf(stderr, "bench_plainloop: cannot open the corpus or the output, or no rules\n");
        return 1;
    }
    pcre2_match_data *md = pcre2_match_data_create(16, NULL);
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(mc, 200000);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long posts = 0, matched = 0;
    int64_t t0 = bp_mono_ms();
    while ((max <= 0 || posts < max) && (n = getline(&line, &cap, in)) > 0) {
        json_t *p = json_loadb(line, (size_t)n, 0, NULL);
        const char *t = json_string_value(json_object_get(p, "text"));
        posts++;
        int any = 0;
        for (size_t i = 0; t && i < nres; i++)
            if (pcre2_match(res[i].re, (PCRE2_SPTR)t, strlen(t), 0, 0, md, mc) > 0 && res[i].brand)
                any = 1;
        if (any) {
            matched++;
            char *s = out ? json_dumps(p, JSON_COMPACT) : NULL;
            if (s)
                fprintf(out, "%s\n", s);
            free(s);
        }
        json_decref(p);
    }
    int64_t dt = bp_mono_ms() - t0;
    printf("plain loop: %ld posts, %ld with a brand, %zu regexes, %.3f s, %.0f posts/s\n", posts,
           matched, nres, dt / 1000.0, dt > 0 ? posts * 1000.0 / dt : 0.0);
    free(line);
    fclose(in);
    if (out)
        fclose(out);
    for (size_t i = 0; i < nres; i++)
        pcre2_code_free(res[i].re);
    free(res);
    pcre2_match_data_free(md);
    pcre2_match_context_free(mc);
    return 0;
}
