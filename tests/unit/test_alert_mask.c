/* test_alert_mask.c — personal data masking (cards by Luhn, phones, e-mails) and SimHash. */
#include <stdlib.h>
#include <string.h>

#include "mask.h"
#include "simhash.h"
#include "test.h"

static char *masked(const char *s) { return mask_apply(s, strlen(s), MASK_ALL); }

TEST(luhn)
{
    CHECK(mask_luhn_ok("4111 1111 1111 1111", 19));
    CHECK(mask_luhn_ok("5555-5555-5555-4444", 19));
    CHECK(!mask_luhn_ok("4111 1111 1111 1112", 19));
    CHECK(!mask_luhn_ok("", 0));
}

TEST(masks_card_numbers_keeping_last_four)
{
    char *m = masked("карта 4111 1111 1111 1111 заблокирована");
    CHECK_STR(m, "карта [card ****1111] заблокирована");
    free(m);
    m = masked("card 5555555555554444.");
    CHECK_STR(m, "card [card ****4444].");
    free(m);
}

TEST(keeps_numbers_that_are_not_cards)
{
    /* 16 digits failing Luhn is not a card; it is too long for a phone */
    char *m = masked("order 4111111111111112 done");
    CHECK_STR(m, "order 4111111111111112 done");
    free(m);
    m = masked("on 2026-11-23 at 10:00, 1 000 000 users");
    CHECK_STR(m, "on 2026-11-23 at 10:00, 1 000 000 users");
    free(m);
    m = masked("id12345678901 glued");
    CHECK_STR(m, "id12345678901 glued");
    free(m);
}

TEST(masks_phone_numbers)
{
    char *m = masked("звоню на +380 67 123 45 67 — никто");
    CHECK_STR(m, "звоню на [phone ***67] — никто");
    free(m);
    m = masked("call 8 (800) 555-35-35 now");
    CHECK_STR(m, "call [phone ***35] now");
    free(m);
    m = masked("+79161234567");
    CHECK_STR(m, "[phone ***67]");
    free(m);
}

TEST(masks_emails_keeping_domain)
{
    char *m = masked("write to ann.smith@example.com.");
    CHECK_STR(m, "write to [email a***@example.com].");
    free(m);
    m = masked("not an email: a@b, @handle, x@localhost");
    CHECK_STR(m, "not an email: a@b, @handle, x@localhost");
    free(m);
}

TEST(kinds_can_be_chosen)
{
    unsigned k = 0;
    CHECK_INT(mask_parse_kinds("card,email", &k), 0);
    CHECK_INT(k, MASK_CARD | MASK_EMAIL);
    CHECK_INT(mask_parse_kinds("none", &k), 0);
    CHECK_INT(k, 0);
    CHECK_INT(mask_parse_kinds("all", &k), 0);
    CHECK_INT(k, MASK_ALL);
    CHECK_INT(mask_parse_kinds("cards", &k), -1);
    const char *s = "4111 1111 1111 1111 a@example.com";
    char *m = mask_apply(s, strlen(s), MASK_EMAIL);
    CHECK_STR(m, "4111 1111 1111 1111 [email a***@example.com]");
    free(m);
}

TEST(simhash_near_duplicates)
{
    const char *a = "Приватбанк опять не работает, не могу войти в приложение уже час";
    const char *b = "ПРИВАТБАНК опять не работает, не могу войти в приложение уже час!!! https://t.co/x1";
    const char *c = "@privat24 Приватбанк опять не работает, не могу войти в приложение уже час";
    const char *d = "Отличный сервис у monobank, быстро ответили в чате и помогли с кредитом";
    uint64_t ha = simhash_text(a, strlen(a)), hb = simhash_text(b, strlen(b)),
             hc = simhash_text(c, strlen(c)), hd = simhash_text(d, strlen(d));
    CHECK_INT(simhash_distance(ha, hb), 0); /* case, punctuation and a link do not count */
    CHECK(simhash_distance(ha, hc) <= 3);   /* a handle in front does not count */
    CHECK(simhash_distance(ha, hd) > 10);
    CHECK_INT(simhash_text("", 0), 0);
    CHECK_INT(simhash_text("!!! ...", 7), 0);
}

int main(void)
{
    RUN(luhn);
    RUN(masks_card_numbers_keeping_last_four);
    RUN(keeps_numbers_that_are_not_cards);
    RUN(masks_phone_numbers);
    RUN(masks_emails_keeping_domain);
    RUN(kinds_can_be_chosen);
    RUN(simhash_near_duplicates);
    return test_summary();
}
