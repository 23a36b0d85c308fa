/* test_config.c — YAML tree and configuration binding: types, defaults, secrets, and errors
 * that name file:line:column and the key. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "test.h"
#include "yamltree.h"

typedef struct demo_cfg {
    bp_common_cfg_t common;
    char *name;
    long long retries;
    int enabled;
    double ratio;
    int64_t timeout_ms;
    bp_strlist_t tags;
    char *token;
} demo_cfg_t;

static const bp_cfg_entry_t demo_section[] = {
    {"name", BP_CFG_STR, "care", offsetof(demo_cfg_t, name), "a name", NULL, NULL, NULL, 0},
    {"retries", BP_CFG_INT, "3", offsetof(demo_cfg_t, retries), "retries", NULL, NULL, NULL, 0},
    {"enabled", BP_CFG_BOOL, "true", offsetof(demo_cfg_t, enabled), "on/off", NULL, NULL, NULL, 0},
    {"ratio", BP_CFG_DOUBLE, "0.5", offsetof(demo_cfg_t, ratio), "ratio", NULL, NULL, NULL, 0},
    {"timeout", BP_CFG_DURATION, "5s", offsetof(demo_cfg_t, timeout_ms), "timeout", NULL, NULL, NULL, 0},
    {"tags", BP_CFG_STRLIST, NULL, offsetof(demo_cfg_t, tags), "tags", NULL, NULL, NULL, 0},
    {"token", BP_CFG_SECRET, NULL, offsetof(demo_cfg_t, token), "a secret", NULL, NULL, NULL, 0},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0}};

static const bp_cfg_entry_t demo_table[] = {
    BP_CFG_COMMON_ENTRIES(offsetof(demo_cfg_t, common)),
    {"demo", BP_CFG_SECTION, NULL, 0, "demo section", demo_section, NULL, NULL, 0},
    {NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0}};

/* Binds text; returns rc and leaves the message in err. */
static int bind_text(const char *text, demo_cfg_t *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (bp_cfg_defaults(demo_table, c, err, errlen) != 0)
        return -1;
    bp_ynode_t *root = bp_yaml_load_string(text, strlen(text), "demo.yaml", err, errlen);
    if (!root)
        return -1;
    int rc = bp_cfg_bind(root, demo_table, c, err, errlen);
    bp_yaml_free(root);
    return rc;
}

TEST(defaults_apply_when_keys_are_absent)
{
    demo_cfg_t c;
    char err[512];
    CHECK_INT(bind_text("", &c, err, sizeof err), 0);
    CHECK_STR(c.name, "care");
    CHECK_INT(c.retries, 3);
    CHECK_INT(c.enabled, 1);
    CHECK_INT(c.timeout_ms, 5000);
    CHECK_STR(c.common.topics.posts, "bp.posts");
    CHECK_STR(c.common.topics.deadletter, "bp.deadletter");
    CHECK_STR(c.common.kafka.brokers, "127.0.0.1:9092");
    bp_cfg_free(demo_table, &c);
}

TEST(values_of_every_type_bind)
{
    demo_cfg_t c;
    char err[512];
    setenv("BP_TEST_TOKEN", "s3cr3t", 1);
    const char *y = "kafka:\n  brokers: 10.0.0.1:9092\n  group: g1\n  rdkafka:\n"
                    "    session.timeout.ms: 6000\n"
                    "topics: {posts: p, alerts: a}\n"
                    "demo:\n  name: \"night shift\"\n  retries: 7\n  enabled: no\n  ratio: 1.25\n"
                    "  timeout: 250ms\n  tags: [a, b, c]\n  token: {env: BP_TEST_TOKEN}\n";
    CHECK_INT(bind_text(y, &c, err, sizeof err), 0);
    CHECK_STR(c.common.kafka.brokers, "10.0.0.1:9092");
    CHECK_STR(c.common.kafka.group, "g1");
    CHECK_STR(bp_kvlist_get(&c.common.kafka.rdkafka, "session.timeout.ms"), "6000");
    CHECK_STR(c.common.topics.posts, "p");
    CHECK_STR(c.common.topics.mentions, "bp.mentions");
    CHECK_STR(c.name, "night shift");
    CHECK_INT(c.retries, 7);
    CHECK_INT(c.enabled, 0);
    CHECK(c.ratio == 1.25);
    CHECK_INT(c.timeout_ms, 250);
    CHECK_INT(c.tags.n, 3);
    CHECK_STR(c.tags.v[2], "c");
    CHECK_STR(c.token, "s3cr3t");
    bp_cfg_free(demo_table, &c);
}

TEST(unknown_key_names_file_line_column)
{
    demo_cfg_t c;
    char err[512];
    CHECK_INT(bind_text("demo:\n  name: x\n  retires: 5\n", &c, err, sizeof err), -1);
    CHECK(strstr(err, "demo.yaml:3:3: unknown key 'retires'") != NULL);
    bp_cfg_free(demo_table, &c);
    CHECK_INT(bind_text("kafka:\n  brokers: x\ntopcis: {}\n", &c, err, sizeof err), -1);
    CHECK(strstr(err, "demo.yaml:3:1: unknown key 'topcis'") != NULL);
    bp_cfg_free(demo_table, &c);
}

TEST(wrong_types_name_the_key_and_position)
{
    demo_cfg_t c;
    char err[512];
    CHECK_INT(bind_text("demo:\n  retries: many\n", &c, err, sizeof err), -1);
    CHECK_STR(err, "demo.yaml:2:12: key 'retries': expected an integer, got 'many'");
    bp_cfg_free(demo_table, &c);
    CHECK_INT(bind_text("demo:\n  enabled: maybe\n", &c, err, sizeof err), -1);
    CHECK(strstr(err, "demo.yaml:2:12: key 'enabled'") != NULL);
    bp_cfg_free(demo_table, &c);
    CHECK_INT(bind_text("demo:\n  timeout: soon\n", &c, err, sizeof err), -1);
    CHECK(strstr(err, "demo.yaml:2:12: key 'timeout': expected a duration") != NULL);
    bp_cfg_free(demo_table, &c);
    CHECK_INT(bind_text("demo: [1, 2]\n", &c, err, sizeof err), -1);
    CHECK(strstr(err, "demo.yaml:1:7: key 'demo': expected a mapping, got a list") != NULL);
    bp_cfg_free(demo_table, &c);
}

TEST(secrets_must_come_from_env_or_file_and_are_never_echoed)
{
    demo_cfg_t c;
    char err[512];
    CHECK_INT(bind_text("demo:\n  token: hunter2\n", &c, err, sizeof err), -1);
    CHECK(strstr(err, "demo.yaml:2:10: key 'token'") != NULL);
    CHECK(strstr(err, "hunter2") == NULL);
    bp_cfg_free(demo_table, &c);
    unsetenv("BP_TEST_MISSING");
    CHECK_INT(bind_text("demo:\n  token: {env: BP_TEST_MISSING}\n", &c, err, sizeof err), -1);
    CHECK(strstr(err, "BP_TEST_MISSING is not set") != NULL);
    bp_cfg_free(demo_table, &c);
    char path[] = "/tmp/bp-secret.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, "from-file\n", 10) == 10);
    close(fd);
    char y[256];
    snprintf(y, sizeof y, "demo:\n  token: {file: %s}\n", path);
    CHECK_INT(bind_text(y, &c, err, sizeof err), 0);
    CHECK_STR(c.token, "from-file");
    bp_cfg_free(demo_table, &c);
    unlink(path);
}

TEST(yaml_syntax_errors_aliases_and_depth_are_refused)
{
    char err[512];
    const char *bad = "a: [1, 2\nb: 3\n";
    CHECK(bp_yaml_load_string(bad, strlen(bad), "x.yaml", err, sizeof err) == NULL);
    CHECK(strncmp(err, "x.yaml:", 7) == 0);
    const char *alias = "base: &b {x: 1}\nother: *b\n";
    CHECK(bp_yaml_load_string(alias, strlen(alias), "x.yaml", err, sizeof err) == NULL);
    CHECK_STR(err, "x.yaml:2:8: YAML aliases (*b) are not allowed");
    char deep[400];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    CHECK(bp_yaml_load_string(deep, 400, "deep.yaml", err, sizeof err) == NULL);
    CHECK(strstr(err, "nesting deeper than 64 levels") != NULL);
    const char *dup = "a: 1\na: 2\n";
    CHECK(bp_yaml_load_string(dup, strlen(dup), "d.yaml", err, sizeof err) == NULL);
    CHECK_STR(err, "d.yaml:2:1: duplicate key 'a'");
    const char *two = "a: 1\n---\nb: 2\n";
    CHECK(bp_yaml_load_string(two, strlen(two), "t.yaml", err, sizeof err) == NULL);
}

TEST(yaml_tree_keeps_positions_and_quoting)
{
    char err[256];
    const char *y = "list:\n  - one\n  - \"two\"\n  - {k: v}\nnum: 42\n";
    bp_ynode_t *r = bp_yaml_load_string(y, strlen(y), "p.yaml", err, sizeof err);
    CHECK(r != NULL);
    if (!r)
        return;
    bp_ynode_t *l = bp_yaml_get(r, "list");
    CHECK(l && l->type == BP_Y_SEQ && l->n == 3);
    CHECK_INT(l->items[1]->line, 3);
    CHECK_INT(l->items[1]->col, 5);
    CHECK(l->items[1]->quoted);
    CHECK(!l->items[0]->quoted);
    CHECK(l->items[2]->type == BP_Y_MAP);
    long long v;
    CHECK_INT(bp_yaml_as_int(bp_yaml_get(r, "num"), &v, err, sizeof err), 0);
    CHECK_INT(v, 42);
    bp_yaml_free(r);
    /* many items: growth path */
    char big[20000] = "";
    size_t n = 0;
    for (int i = 0; i < 1000; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "- %d\n", i);
    r = bp_yaml_load_string(big, n, "big.yaml", err, sizeof err);
    CHECK(r && r->n == 1000 && strcmp(r->items[999]->value, "999") == 0);
    bp_yaml_free(r);
}

TEST(load_applies_env_and_command_line_brokers)
{
    demo_cfg_t c;
    memset(&c, 0, sizeof c);
    char err[512];
    setenv("BP_BROKERS", "envhost:1", 1);
    CHECK_INT(bp_cfg_load(NULL, demo_table, &c, &c.common, NULL, err, sizeof err), 0);
    CHECK_STR(c.common.kafka.brokers, "envhost:1");
    bp_cfg_free(demo_table, &c);
    memset(&c, 0, sizeof c);
    CHECK_INT(bp_cfg_load(NULL, demo_table, &c, &c.common, "cli:2", err, sizeof err), 0);
    CHECK_STR(c.common.kafka.brokers, "cli:2");
    bp_cfg_free(demo_table, &c);
    unsetenv("BP_BROKERS");
    memset(&c, 0, sizeof c);
    CHECK_INT(bp_cfg_load("/nonexistent.yaml", demo_table, &c, &c.common, NULL, err, sizeof err), -1);
    CHECK(strstr(err, "/nonexistent.yaml: cannot read") != NULL);
    bp_cfg_free(demo_table, &c);
}

int main(void)
{
    RUN(defaults_apply_when_keys_are_absent);
    RUN(values_of_every_type_bind);
    RUN(unknown_key_names_file_line_column);
    RUN(wrong_types_name_the_key_and_position);
    RUN(secrets_must_come_from_env_or_file_and_are_never_echoed);
    RUN(yaml_syntax_errors_aliases_and_depth_are_refused);
    RUN(yaml_tree_keeps_positions_and_quoting);
    RUN(load_applies_env_and_command_line_brokers);
    return test_summary();
}
