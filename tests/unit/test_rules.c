/* test_rules.c — loading rule directories: a good one, and broken ones whose errors must name
 * file:line:col, the rule and the field (run from the repository root). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ruleset.h"
#include "test.h"

#define D "tests/data/rules/"

/* Loads dir expecting failure; returns the error text (caller frees). */
static char *load_errors(const char *dir)
{
    bp_buf_t errs = BP_BUF_INIT(1 << 20);
    bp_rules_t *r = bp_rules_load(dir, &errs);
    CHECK(r == NULL);
    bp_rules_free(r);
    return bp_buf_steal(&errs);
}

static int has_line(const char *errs, const char *line)
{
    const char *p = strstr(errs, line);
    if (!p) {
        fprintf(stderr, "    missing error line: %s\n    got:\n%s", line, errs);
        return 0;
    }
    return p[strlen(line)] == '\n';
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

TEST(loads_good_dir)
{
    bp_buf_t errs = BP_BUF_INIT(1 << 20);
    bp_rules_t *r = bp_rules_load(D "good", &errs);
    CHECK(r != NULL);
    CHECK_INT(errs.len, 0);
    if (r) {
        CHECK_INT(r->nbrands, 6);
        CHECK_INT(r->nlex, 2);
        CHECK_INT(strlen(bp_rules_version(r)), 12);
        /* brands are read in file-name order */
        CHECK_STR(r->brands[0].id, "alfabank");
        CHECK_INT(r->brands[0].near_words, 4);
        CHECK_INT(r->policy.nvip, 1);
        CHECK_STR(r->policy.vip[0], "x:12345");
    }
    bp_rules_free(r);
    bp_buf_free(&errs);
}

TEST(version_is_stable_and_content_based)
{
    bp_rules_t *a = bp_rules_load(D "good", NULL), *b = bp_rules_load(D "good", NULL);
    bp_rules_t *c = bp_rules_load(D "catastrophic", NULL);
    CHECK(a && b && c);
    if (a && b && c) {
        CHECK_STR(bp_rules_version(a), bp_rules_version(b));
        CHECK(strcmp(bp_rules_version(a), bp_rules_version(c)) != 0);
    }
    bp_rules_free(a);
    bp_rules_free(b);
    bp_rules_free(c);
}

TEST(unknown_keys_and_wrong_types)
{
    char *e = load_errors(D "bad-keys");
    CHECK(has_line(e, D "bad-keys/brands/acme.yaml:3:1: brand 'acme': unknown key 'colour' "
                       "(expected one of: brand, display, category, variants, patterns, exclude, "
                       "near, handles, languages, examples, digits_as_letters)"));
    CHECK(has_line(e, D "bad-keys/brands/acme.yaml:4:30: brand 'acme': near.words: expected an "
                       "integer, got 'many'"));
    CHECK(has_line(e, D "bad-keys/brands/acme.yaml:7:3: brand 'acme': examples: unknown key "
                       "'maybe' (expected one of: match, no_match)"));
    CHECK_INT(count_lines(e), 3);
    free(e);
}

TEST(bad_regex_names_pcre2_message_and_offset)
{
    char *e = load_errors(D "bad-regex");
    CHECK(has_line(e, D "bad-regex/brands/acme.yaml:6:5: brand 'acme': patterns[1]: bad regex "
                       "at offset 13: missing closing parenthesis"));
    CHECK_INT(count_lines(e), 1);
    free(e);
}

TEST(duplicate_brand_id)
{
    char *e = load_errors(D "dup-brand");
    CHECK(has_line(e, D "dup-brand/brands/b.yaml:2:8: brand 'acme': duplicate brand id (also in "
                       D "dup-brand/brands/a.yaml)"));
    free(e);
}

TEST(empty_variants)
{
    char *e = load_errors(D "empty-variants");
    CHECK(has_line(e, D "empty-variants/brands/acme.yaml:2:11: brand 'acme': variants: empty "
                       "list (remove the key or add entries)"));
    free(e);
}

TEST(weights_out_of_range)
{
    char *e = load_errors(D "bad-weight");
    CHECK(has_line(e, D "bad-weight/lexicon/ru.yaml:3:29: lexicon 'ru': negative[0].weight: -7 "
                       "is out of range -5..-1"));
    CHECK(has_line(e, D "bad-weight/lexicon/ru.yaml:4:28: lexicon 'ru': negative[1].weight: 2 "
                       "is out of range -5..-1"));
    CHECK(has_line(e, D "bad-weight/lexicon/ru.yaml:6:30: lexicon 'ru': positive[0].weight: "
                       "expected an integer, got 'много'"));
    CHECK(has_line(e, D "bad-weight/lexicon/ru.yaml:8:27: lexicon 'ru': intensifiers[0].factor: "
                       "0.5 is out of range 1..5"));
    CHECK_INT(count_lines(e), 4);
    free(e);
}

TEST(yaml_alias_refused)
{
    char *e = load_errors(D "alias");
    CHECK(strstr(e, D "alias/brands/acme.yaml:3:11: ") != NULL);
    CHECK(strstr(e, "alias") != NULL);
    free(e);
}

TEST(bad_policy)
{
    char *e = load_errors(D "bad-policy");
    CHECK(has_line(e, D "bad-policy/policy.yaml:2:18: policy: alert_when.score_at_most: expected "
                       "a number, got 'low'"));
    CHECK(has_line(e, D "bad-policy/policy.yaml:4:25: policy: priority[0].when: unknown key "
                       "'score_below' (expected one of: urgent_term, score_at_most, "
                       "score_at_least, followers_at_least, vip)"));
    free(e);
}

TEST(stray_file_and_missing_dir)
{
    char *e = load_errors(D "stray-file");
    CHECK(has_line(e, D "stray-file/brand.yaml: unexpected rule file (brands go in brands/, "
                       "lexicons in lexicon/, the alert policy in policy.yaml)"));
    free(e);
    e = load_errors(D "no-such-dir");
    CHECK(has_line(e, D "no-such-dir: not a rules directory: No such file or directory"));
    free(e);
}

TEST(inline_yaml_errors)
{
    /* a brand file built in a temporary directory: missing id, bad id, nested junk */
    char dir[] = "/tmp/bp-test-rules-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char p[256];
    snprintf(p, sizeof p, "%s/brands", dir);
    CHECK(mkdir(p, 0700) == 0);
    snprintf(p, sizeof p, "%s/brands/x.yaml", dir);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("brand: Bad Id\nvariants: [x]\n", f);
        fclose(f);
    }
    char *e = load_errors(dir);
    char want[512];
    snprintf(want, sizeof want,
             "%s/brands/x.yaml:1:8: brand: 'Bad Id' is not a valid id (lowercase letters, "
             "digits, '_' and '-')", dir);
    CHECK(has_line(e, want));
    free(e);
    f = fopen(p, "w");
    if (f) {
        fputs("brand: ok\nvariants: ['!!!']\npatterns: [{a: b}]\n", f);
        fclose(f);
    }
    e = load_errors(dir);
    snprintf(want, sizeof want,
             "%s/brands/x.yaml:2:12: brand 'ok': variants[0]: no letters or digits left after "
             "normalization", dir);
    CHECK(has_line(e, want));
    snprintf(want, sizeof want,
             "%s/brands/x.yaml:3:12: brand 'ok': patterns[0]: expected a string, got a mapping",
             dir);
    CHECK(has_line(e, want));
    free(e);
    remove(p);
    snprintf(p, sizeof p, "%s/brands", dir);
    rmdir(p);
    rmdir(dir);
}

/* The reasons the policy writes by hand read as printf would write them: the score rounded
 * to one decimal without ".0", the reach as an integer. */
TEST(policy_reason_text)
{
    bp_rules_t *r = bp_rules_load("tests/data/rules/good", NULL);
    CHECK(r != NULL);
    if (!r)
        return;
    static const double fixed[] = {-0.04, -0.05, -0.06, -0.94, -0.95, -0.96, -1, -1.05, -2.1,
                                   -2.25, -3.15, -9.99, -10, -123.45, -1e14, -3e15, -1e300};
    bp_result_t res;
    memset(&res, 0, sizeof res);
    bp_buf_init(&res.reasons, 64 * 1024);
    srand(5);
    for (int i = 0; i < 3000; i++) {
        double s = i < (int)(sizeof fixed / sizeof *fixed)
                       ? fixed[i]
                       : -(double)rand() / RAND_MAX * (i % 3 ? 20 : 2000);
        if (s >= 0)
            continue;
        res.judge_score = s;
        res.followers = i % 2 ? 10000 + i * 7919LL : 5;
        CHECK_INT(bp_policy_decide(r, &res, "x:1", NULL), 0);
        char want[300], num[32]; /* num: as big as the policy's */
        double rs = round(s * 10) / 10;
        snprintf(num, sizeof num, rs == floor(rs) ? "%.0f" : "%.1f", rs);
        snprintf(want, sizeof want, "negative:%s", num);
        CHECK(res.nreasons >= 1);
        if (res.nreasons >= 1 && strcmp(res.reasons.data, want) != 0) {
            CHECK_STR(res.reasons.data, want);
            break;
        }
        if (i % 2) {
            snprintf(want, sizeof want, "reach:%lld", res.followers);
            CHECK_INT(res.nreasons, 2);
            if (res.nreasons == 2)
                CHECK_STR(res.reasons.data + strlen(res.reasons.data) + 1, want);
        }
    }
    bp_buf_free(&res.reasons);
    bp_rules_free(r);
}

int main(void)
{
    RUN(loads_good_dir);
    RUN(version_is_stable_and_content_based);
    RUN(unknown_keys_and_wrong_types);
    RUN(bad_regex_names_pcre2_message_and_offset);
    RUN(duplicate_brand_id);
    RUN(empty_variants);
    RUN(weights_out_of_range);
    RUN(yaml_alias_refused);
    RUN(bad_policy);
    RUN(stray_file_and_missing_dir);
    RUN(inline_yaml_errors);
    RUN(policy_reason_text);
    return test_summary();
}
