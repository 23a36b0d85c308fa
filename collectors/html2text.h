/* html2text.h — HTML fragments (feed descriptions, Mastodon statuses) to plain text. */
#ifndef BP_HTML2TEXT_H
#define BP_HTML2TEXT_H

#include <stddef.h>

/* Converts html[0..n) to plain UTF-8 text: tags removed (script/style with their content),
 * <br>, <p>, <div>, <li>, headings and the like turned into line breaks, character references
 * (&amp; &laquo; &#1055; &#x41f; ...) decoded, runs of spaces collapsed, ends trimmed. Invalid
 * UTF-8 is repaired. Returns a malloc'd string (caller frees), NULL only if out of memory. */
char *html2text(const char *html, size_t n);

/* Decodes one character reference starting at s[0] == '&' (s[0..n)). On success writes the
 * UTF-8 bytes to out (at least 8 bytes), sets *outlen and returns the bytes consumed; returns
 * 0 if s does not start a known reference. */
size_t html2text_entity(const char *s, size_t n, char *out, size_t *outlen);

#endif
