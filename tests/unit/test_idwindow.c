/* test_idwindow.c — the bounded id window: lookup, FIFO eviction, removal, save/load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idwindow.h"
#include "test.h"

TEST(add_seen_evict)
{
    bp_idwindow_t *w = bp_idwindow_new(3);
    CHECK(!bp_idwindow_seen(w, "a"));
    CHECK_INT(bp_idwindow_add(w, "a"), 0);
    CHECK_INT(bp_idwindow_add(w, "b"), 0);
    CHECK_INT(bp_idwindow_add(w, "c"), 0);
    CHECK_INT(bp_idwindow_add(w, "a"), 0); /* already there: no change */
    CHECK_INT(bp_idwindow_count(w), 3);
    CHECK_INT(bp_idwindow_add(w, "d"), 0); /* evicts a, the oldest */
    CHECK(!bp_idwindow_seen(w, "a"));
    CHECK(bp_idwindow_seen(w, "b") && bp_idwindow_seen(w, "c") && bp_idwindow_seen(w, "d"));
    CHECK_INT(bp_idwindow_count(w), 3);
    CHECK_INT(bp_idwindow_add(w, ""), -1);
    char big[BP_IDWINDOW_MAX_ID + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_INT(bp_idwindow_add(w, big), -1);
    bp_idwindow_free(w);
}

TEST(remove_keeps_order)
{
    bp_idwindow_t *w = bp_idwindow_new(4);
    bp_idwindow_add(w, "1");
    bp_idwindow_add(w, "2");
    bp_idwindow_add(w, "3");
    CHECK_INT(bp_idwindow_remove(w, "2"), 1);
    CHECK_INT(bp_idwindow_remove(w, "2"), 0);
    CHECK_INT(bp_idwindow_count(w), 2);
    bp_idwindow_add(w, "4");
    bp_idwindow_add(w, "5");
    bp_idwindow_add(w, "6"); /* evicts 1, then 3 is the oldest */
    CHECK(!bp_idwindow_seen(w, "1"));
    CHECK(bp_idwindow_seen(w, "3"));
    bp_idwindow_add(w, "7");
    CHECK(!bp_idwindow_seen(w, "3"));
    CHECK(bp_idwindow_seen(w, "4") && bp_idwindow_seen(w, "7"));
    bp_idwindow_free(w);
}

TEST(many_ids)
{
    bp_idwindow_t *w = bp_idwindow_new(1000);
    char id[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "x:%d", i);
        bp_idwindow_add(w, id);
    }
    CHECK_INT(bp_idwindow_count(w), 1000);
    int seen = 0;
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "x:%d", i);
        seen += bp_idwindow_seen(w, id);
    }
    CHECK_INT(seen, 1000);
    CHECK(bp_idwindow_seen(w, "x:4999") && !bp_idwindow_seen(w, "x:3999"));
    bp_idwindow_free(w);
}

TEST(save_load)
{
    char dir[] = "/tmp/bp-idw-XXXXXX", path[64], err[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/ids", dir);
    bp_idwindow_t *w = bp_idwindow_new(10), *r = bp_idwindow_new(2), *e = bp_idwindow_new(5);
    bp_idwindow_add(w, "rss:https://a/1");
    bp_idwindow_add(w, "odd\nid\\with\rescapes");
    bp_idwindow_add(w, "vk:wall-1_2");
    CHECK_INT(bp_idwindow_save(w, path), 0);
    /* a smaller window keeps the newest */
    CHECK_INT(bp_idwindow_load(r, path, err, sizeof err), 0);
    CHECK_INT(bp_idwindow_count(r), 2);
    CHECK(bp_idwindow_seen(r, "odd\nid\\with\rescapes"));
    CHECK(bp_idwindow_seen(r, "vk:wall-1_2"));
    CHECK(!bp_idwindow_seen(r, "rss:https://a/1"));
    /* missing file: empty, not an error */
    CHECK_INT(bp_idwindow_load(e, "/tmp/bp-idw-no-such-file", err, sizeof err), 0);
    CHECK_INT(bp_idwindow_count(e), 0);
    FILE *f = fopen(path, "w");
    fputs("ok\nbad\\q\n", f);
    fclose(f);
    CHECK_INT(bp_idwindow_load(e, path, err, sizeof err), -1);
    CHECK(strstr(err, ":2: bad escape") != NULL);
    bp_idwindow_free(w);
    bp_idwindow_free(r);
    bp_idwindow_free(e);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    RUN(add_seen_evict);
    RUN(remove_keeps_order);
    RUN(many_ids);
    RUN(save_load);
    return test_summary();
}
