/* mask.h — finds personal data in alert text (Luhn-valid card numbers, phone numbers, e-mail
 * addresses) so that what goes to chats shows only enough to recognise it. */
#ifndef BP_MASK_H
#define BP_MASK_H

#include <stddef.h>

enum mask_kind { MASK_CARD = 1, MASK_PHONE = 2, MASK_EMAIL = 4 };
#define MASK_ALL (MASK_CARD | MASK_PHONE | MASK_EMAIL)

typedef struct mask_span {
    size_t start, end;   /* byte offsets into the text, end exclusive */
    enum mask_kind kind;
    char repl[64];       /* what to show instead, e.g. "[card ****1111]" */
} mask_span_t;

/* Finds up to max non-overlapping spans of the kinds in `kinds` (MASK_* bits) in s[0..n), in
 * text order. Returns the number found (never more than max). */
size_t mask_find(const char *s, size_t n, unsigned kinds, mask_span_t *out, size_t max);

/* Returns a malloc'd copy of s[0..n) with every span found replaced by its mask, or NULL if
 * out of memory. */
char *mask_apply(const char *s, size_t n, unsigned kinds);

/* Luhn check over the digits of s[0..n) (other characters are skipped). Returns 1 if valid. */
int mask_luhn_ok(const char *s, size_t n);

/* Parses a comma-separated list "card,phone,email" (or "all", "none") into MASK_* bits.
 * Returns 0, or -1 on an unknown word. */
int mask_parse_kinds(const char *s, unsigned *out);

#endif
