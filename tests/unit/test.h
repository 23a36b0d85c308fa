/* test.h — a tiny unit-test helper: CHECK macros, one PASS/FAIL line per test, a summary.
 *
 * Use:  TEST(parses_dates) { CHECK(x == 1); CHECK_STR(s, "a"); }
 *       int main(void) { RUN(parses_dates); return test_summary(); }
 * tests/run.sh counts the PASS and FAIL lines of every test binary. */
#ifndef BP_TEST_H
#define BP_TEST_H

#include <stdio.h>
#include <string.h>

static int test_cur_failed;
static int test_npass, test_nfail;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "    %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
            test_cur_failed = 1;                                                      \
        }                                                                             \
    } while (0)

#define CHECK_INT(a, b)                                                               \
    do {                                                                              \
        long long va_ = (long long)(a), vb_ = (long long)(b);                         \
        if (va_ != vb_) {                                                             \
            fprintf(stderr, "    %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, \
                    #a, va_, vb_);                                                    \
            test_cur_failed = 1;                                                      \
        }                                                                             \
    } while (0)

#define CHECK_STR(a, b)                                                               \
    do {                                                                              \
        const char *sa_ = (a), *sb_ = (b);                                            \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                                  \
            fprintf(stderr, "    %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__,   \
                    __LINE__, #a, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");        \
            test_cur_failed = 1;                                                      \
        }                                                                             \
    } while (0)

static inline const char *test_base_name(const char *file)
{
    const char *s = strrchr(file, '/');
    return s ? s + 1 : file;
}

#define RUN(fn)                                                                       \
    do {                                                                              \
        test_cur_failed = 0;                                                          \
        fn();                                                                         \
        if (test_cur_failed) {                                                        \
            test_nfail++;                                                             \
            printf("FAIL %.*s.%s\n", (int)(strlen(test_base_name(__FILE__)) - 2),      \
                   test_base_name(__FILE__), #fn);                                            \
        } else {                                                                      \
            test_npass++;                                                             \
            printf("PASS %.*s.%s\n", (int)(strlen(test_base_name(__FILE__)) - 2),      \
                   test_base_name(__FILE__), #fn);                                            \
        }                                                                             \
        fflush(stdout);                                                               \
    } while (0)

static inline int test_summary(void) { return test_nfail ? 1 : 0; }

#endif
