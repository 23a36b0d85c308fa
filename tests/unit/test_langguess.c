/* test_langguess.c — ru/uk/en guesses from letters. */
#include <string.h>

#include "langguess.h"
#include "test.h"

static const char *g(const char *s) { return bp_langguess(s, strlen(s)); }

TEST(guesses)
{
    CHECK_STR(g("Приватбанк опять не работает"), "ru");
    CHECK_STR(g("Ёлки, съел карту"), "ru");
    CHECK_STR(g("Приват24 знову не відкривається"), "uk");
    CHECK_STR(g("Дякую за швидку відповідь, ґанок і їжа є"), "uk");
    CHECK_STR(g("PrivatBank app is down again"), "en");
    CHECK_STR(g("PrivatBank не работает"), "ru"); /* more Cyrillic than Latin */
    CHECK(g("12345 !!! :)") == NULL);
    CHECK(g("") == NULL);
    CHECK_STR(g("ok \xff\xfe ok"), "en"); /* invalid bytes ignored */
}

int main(void)
{
    RUN(guesses);
    return test_summary();
}
