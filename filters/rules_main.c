/* rules_main.c — bp-rules, the rule writers' tool: lint a rules directory, run every example
 * it contains, explain how a text is judged; and the learned scorer's features for its trainer. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "learned.h"
#include "log.h"
#include "ruleset.h"
#include "utf8.h"

#define RULES_MAX_STDIN ((size_t)1 << 20)

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bp-rules lint DIR\n"
            "       bp-rules test DIR\n"
            "       bp-rules explain --rules DIR [--followers N] [--author ID] [--lang L] "
            "TEXT|-\n"
            "       bp-rules features --rules DIR [--stem N] [--scope text|sentence|clause] "
            "[FILE|-]\n"
            "\n"
            "  lint      load and check every rule file; errors as file:line:col: message\n"
            "  test      run every `examples` entry of brands and lexicons; each failure is\n"
            "            printed with the spans that were found\n"
            "  explain   show how TEXT (or stdin with -) is normalized, matched, scored and\n"
            "            decided; --followers/--author/--lang exercise the policy\n"
            "  features  for the trainer (tools/train_scorer.py): reads JSONL posts\n"
            "            {\"id\",\"text\"[,\"lang\"]} and writes, per brand found, one line\n"
            "            {\"id\",\"brand\",\"lex\",\"features\":[...]}: the lexicon's score of\n"
            "            the brand and the learned scorer's feature strings (stem and scope as\n"
            "            the model file will say; default 5, text)\n"
            "\n"
            "exit: 0 ok, 1 an example failed (test) or runtime error, 2 bad usage or broken rules\n"
            "  --help     this text\n"
            "  --version  the version\n");
}

static bp_rules_t *load_or_report(const char *dir)
{
    bp_buf_t errs = BP_BUF_INIT(1 << 20);
    bp_rules_t *r = bp_rules_load(dir, &errs);
    if (!r) {
        size_t n = 0;
        for (size_t i = 0; i < errs.len; i++)
            n += errs.data[i] == '\n';
        fprintf(stderr, "%s", errs.data ? errs.data : "");
        fprintf(stderr, "%s: %zu error%s\n", dir, n, n == 1 ? "" : "s");
    }
    bp_buf_free(&errs);
    return r;
}

static int cmd_lint(const char *dir)
{
    bp_rules_t *r = load_or_report(dir);
    if (!r)
        return 2;
    size_t nex = 0, nterms = 0;
    for (size_t i = 0; i < r->nbrands; i++)
        nex += r->brands[i].nexamples;
    for (size_t i = 0; i < r->nlex; i++)
        nex += r->lex[i].nexamples;
    for (size_t i = 0; i < r->nm; i++)
        nterms += r->m[i].kind > BP_MK_HANDLE;
    size_t always = r->nalways;
    /* rules the prefilter cannot skip: they cost time on every post */
    for (size_t i = 0; i < r->nm; i++)
        if (r->m[i].always && !r->m[i].digits)
            printf("%s:%d:%d: note: '%s' has no literal of 2+ bytes the prefilter can look for: "
                   "it runs on every post\n",
                   r->m[i].file, r->m[i].line, r->m[i].col, r->m[i].term);
    printf("%s: ok: %zu brands, %zu lexicons (%zu terms), %zu examples, %zu prefilter literals, "
           "%zu rules without a literal; version %s\n",
           dir, r->nbrands, r->nlex, nterms, nex, bp_prefilter_size(r->pf), always,
           bp_rules_version(r));
    bp_rules_free(r);
    return 0;
}

static const char *const lex_expect_names[] = {"negative", "positive", "neutral", "urgent"};

static int has_brand(const bp_engine_t *e, int brand)
{
    for (size_t i = 0; i < e->res.nbs; i++)
        if (e->res.bs[i].brand == brand)
            return 1;
    return 0;
}

static int counted_terms(const bp_engine_t *e)
{
    int n = 0;
    for (size_t i = 0; i < e->res.nhits; i++) {
        bp_mkind_t k = e->r->m[e->res.hits[i].m].kind;
        if ((k == BP_MK_NEGATIVE || k == BP_MK_POSITIVE) &&
            !(e->res.hits[i].flags & BP_HF_DROPPED))
            n++;
    }
    return n;
}

static int cmd_test(const char *dir)
{
    bp_rules_t *r = load_or_report(dir);
    if (!r)
        return 2;
    bp_engine_t *e = bp_engine_new(r);
    bp_buf_t out = BP_BUF_INIT(1 << 20);
    size_t total = 0, failed = 0;
    int rc = 0;
    if (!e) {
        fprintf(stderr, "bp-rules: out of memory\n");
        rc = 1;
        goto done;
    }
    for (size_t b = 0; b < r->nbrands; b++) {
        const bp_brand_t *br = &r->brands[b];
        for (size_t i = 0; i < br->nexamples; i++) {
            const bp_example_t *ex = &br->examples[i];
            total++;
            if (bp_engine_run(e, ex->text, strlen(ex->text), NULL, 0, NULL, NULL) < 0) {
                printf("%s:%d:%d: brand '%s': ERROR \"%s\": %s\n", ex->file, ex->line, ex->col,
                       br->id, ex->text, e->err);
                failed++;
                continue;
            }
            int got = has_brand(e, (int)b);
            if (got == ex->expect)
                continue;
            failed++;
            printf("%s:%d:%d: brand '%s': FAIL \"%s\": expected %s\n", ex->file, ex->line,
                   ex->col, br->id, ex->text, ex->expect ? "a match, found none" : "no match");
            bp_buf_reset(&out);
            bp_buf_printf(&out, "  normalized: \"%s\"\n", e->norm.text);
            bp_explain_hits(e, ex->text, 1, &out);
            fputs(out.data ? out.data : "", stdout);
        }
    }
    for (size_t l = 0; l < r->nlex; l++) {
        const bp_lexicon_t *lx = &r->lex[l];
        for (size_t i = 0; i < lx->nexamples; i++) {
            const bp_example_t *ex = &lx->examples[i];
            total++;
            if (bp_engine_run(e, ex->text, strlen(ex->text), lx->language, 0, NULL, NULL) < 0) {
                printf("%s:%d:%d: lexicon '%s': ERROR \"%s\": %s\n", ex->file, ex->line, ex->col,
                       lx->language, ex->text, e->err);
                failed++;
                continue;
            }
            double s = e->res.score;
            int ok = ex->expect == BP_EX_NEGATIVE   ? s < 0
                     : ex->expect == BP_EX_POSITIVE ? s > 0
                     : ex->expect == BP_EX_NEUTRAL  ? s == 0 && counted_terms(e) == 0
                                                    : e->res.urgent > 0;
            if (ok)
                continue;
            failed++;
            printf("%s:%d:%d: lexicon '%s': FAIL \"%s\": expected %s, score %g%s\n", ex->file,
                   ex->line, ex->col, lx->language, ex->text, lex_expect_names[ex->expect], s,
                   e->res.urgent ? ", urgent" : "");
            bp_buf_reset(&out);
            bp_buf_printf(&out, "  normalized: \"%s\"\n", e->norm.text);
            bp_explain_hits(e, ex->text, 0, &out);
            fputs(out.data ? out.data : "", stdout);
        }
    }
    printf("%zu examples, %zu passed, %zu failed\n", total, total - failed, failed);
    rc = failed ? 1 : 0;
done:
    bp_buf_free(&out);
    bp_engine_free(e);
    bp_rules_free(r);
    return rc;
}

static char *read_stdin(size_t *len)
{
    bp_buf_t b = BP_BUF_INIT(RULES_MAX_STDIN);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
        if (bp_buf_append(&b, chunk, n) < 0) {
            bp_buf_free(&b);
            errno = EFBIG;
            return NULL;
        }
    }
    if (ferror(stdin)) {
        bp_buf_free(&b);
        return NULL;
    }
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
        b.data[--b.len] = 0;
    *len = b.len;
    return bp_buf_steal(&b);
}

static int cmd_explain(int argc, char **argv)
{
    static const struct option opts[] = {{"rules", required_argument, NULL, 'r'},
                                         {"followers", required_argument, NULL, 'f'},
                                         {"author", required_argument, NULL, 'a'},
                                         {"lang", required_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL, *author = NULL, *lang = NULL;
    long long followers = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:f:a:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            dir = optarg;
            break;
        case 'f': {
            char *end;
            errno = 0;
            followers = strtoll(optarg, &end, 10);
            if (errno || *end || followers < 0) {
                fprintf(stderr, "bp-rules: --followers: '%s' is not a non-negative integer\n",
                        optarg);
                return 2;
            }
            break;
        }
        case 'a':
            author = optarg;
            break;
        case 'l':
            lang = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!dir || optind != argc - 1) {
        fprintf(stderr, "bp-rules: explain needs --rules DIR and one TEXT (or - for stdin)\n");
        return 2;
    }
    size_t len = 0;
    char *text = NULL;
    if (strcmp(argv[optind], "-") == 0) {
        text = read_stdin(&len);
        if (!text) {
            fprintf(stderr, "bp-rules: cannot read stdin: %s\n",
                    errno == EFBIG ? "more than 1 MiB" : strerror(errno));
            return 1;
        }
    } else {
        text = strdup(argv[optind]);
        len = text ? strlen(text) : 0;
    }
    if (!text)
        return 1;
    size_t bad = bp_utf8_check(text, len);
    if (bad != len) {
        char *fixed = bp_utf8_repair(text, len, NULL);
        free(text);
        if (!fixed)
            return 1;
        fprintf(stderr, "bp-rules: the text is not valid UTF-8 at byte %zu; invalid bytes "
                        "replaced by U+FFFD\n", bad);
        text = fixed;
        len = strlen(text);
    }
    bp_rules_t *r = load_or_report(dir);
    if (!r) {
        free(text);
        return 2;
    }
    bp_engine_t *e = bp_engine_new(r);
    bp_buf_t out = BP_BUF_INIT(16 << 20);
    int rc = 1;
    if (e) {
        rc = bp_engine_explain(e, text, len, lang, followers, author, &out) < 0 ? 1 : 0;
        fputs(out.data ? out.data : "", stdout);
    }
    bp_buf_free(&out);
    bp_engine_free(e);
    bp_rules_free(r);
    free(text);
    return rc;
}

/* ---- features: what the learned scorer sees, for its trainer ---- */

#define FEAT_MAX_LINE ((size_t)1 << 20)

static void feat_push(void *ctx, const char *f, size_t len)
{
    json_t *a = ctx;
    json_array_append_new(a, json_stringn(f, len));
}

static int cmd_features(int argc, char **argv)
{
    static const struct option opts[] = {{"rules", required_argument, NULL, 'r'},
                                         {"stem", required_argument, NULL, 's'},
                                         {"scope", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL;
    bp_learned_opts_t lo;
    bp_learned_opts_default(&lo);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:s:c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            dir = optarg;
            break;
        case 's': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 3 || v > BP_LEARNED_MAX_STEM) {
                fprintf(stderr, "bp-rules: --stem: '%s' is not a number in 3..%d\n", optarg,
                        BP_LEARNED_MAX_STEM);
                return 2;
            }
            lo.stem = (int)v;
            break;
        }
        case 'c':
            if (bp_learned_scope_parse(optarg, &lo.scope) < 0) {
                fprintf(stderr, "bp-rules: --scope: '%s' is not one of text, sentence, clause\n",
                        optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!dir || optind < argc - 1) {
        fprintf(stderr, "bp-rules: features needs --rules DIR and at most one input FILE\n");
        return 2;
    }
    FILE *in = stdin;
    const char *name = "-";
    if (optind == argc - 1 && strcmp(argv[optind], "-") != 0) {
        name = argv[optind];
        in = fopen(name, "r");
        if (!in) {
            fprintf(stderr, "bp-rules: %s: %s\n", name, strerror(errno));
            return 1;
        }
    }
    bp_rules_t *r = load_or_report(dir);
    bp_engine_t *e = r ? bp_engine_new(r) : NULL;
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int rc = r ? 1 : 2;
    if (!e)
        goto done;
    rc = 0;
    while ((n = getline(&line, &cap, in)) > 0) {
        lineno++;
        if ((size_t)n > FEAT_MAX_LINE) {
            fprintf(stderr, "bp-rules: %s:%zu: line longer than %zu bytes\n", name, lineno,
                    FEAT_MAX_LINE);
            rc = 1;
            break;
        }
        json_error_t jerr;
        json_t *post = json_loadb(line, (size_t)n, 0, &jerr);
        const json_t *id = json_object_get(post, "id"), *text = json_object_get(post, "text");
        const json_t *lang = json_object_get(post, "lang");
        if (!json_is_object(post) || !json_is_string(text)) {
            fprintf(stderr, "bp-rules: %s:%zu:%d: %s\n", name, lineno, post ? 1 : jerr.column,
                    post ? "expected an object with a string \"text\"" : jerr.text);
            json_decref(post);
            rc = 1;
            break;
        }
        const char *t = json_string_value(text);
        size_t tl = json_string_length(text);
        if (bp_engine_run(e, t, tl, json_is_string(lang) ? json_string_value(lang) : NULL, 0,
                          NULL, NULL) < 0) {
            fprintf(stderr, "bp-rules: %s:%zu: %s\n", name, lineno, e->err);
            json_decref(post);
            continue; /* bp-filter would dead-letter it: no features */
        }
        for (size_t i = 0; i < e->res.nbs; i++) {
            json_t *o = json_object(), *fa = json_array();
            if (!o || !fa) {
                json_decref(o);
                json_decref(fa);
                rc = 1;
                break;
            }
            bp_learned_features(e, &lo, e->res.bs[i].brand, feat_push, fa);
            json_object_set(o, "id", id ? (json_t *)id : json_null());
            json_object_set_new(o, "brand", json_string(r->brands[e->res.bs[i].brand].id));
            json_object_set_new(o, "lex", json_real(e->res.bs[i].lex));
            json_object_set_new(o, "features", fa);
            char *js = json_dumps(o, JSON_COMPACT);
            if (js)
                printf("%s\n", js);
            free(js);
            json_decref(o);
        }
        json_decref(post);
    }
    if (ferror(in)) {
        fprintf(stderr, "bp-rules: %s: %s\n", name, strerror(errno));
        rc = 1;
    }
done:
    free(line);
    if (in != stdin)
        fclose(in);
    bp_engine_free(e);
    bp_rules_free(r);
    return rc;
}

int main(int argc, char **argv)
{
    bp_log_init("bp-rules");
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("bp-rules %s\n", BP_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "lint") || !strcmp(cmd, "test")) {
        if (argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
            usage(stdout);
            return 0;
        }
        if (argc != 3) {
            fprintf(stderr, "bp-rules: %s takes one argument: the rules directory\n", cmd);
            return 2;
        }
        return !strcmp(cmd, "lint") ? cmd_lint(argv[2]) : cmd_test(argv[2]);
    }
    if (!strcmp(cmd, "explain"))
        return cmd_explain(argc - 1, argv + 1);
    if (!strcmp(cmd, "features"))
        return cmd_features(argc - 1, argv + 1);
    fprintf(stderr, "bp-rules: unknown command '%s' (lint, test, explain, features; --help)\n",
            cmd);
    return 2;
}
