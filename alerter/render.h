/* render.h — what an alert says: alert, incident and digest messages rendered from their JSON
 * form through templates with {{field}} placeholders, as plain text, HTML (Telegram, e-mail)
 * or Slack mrkdwn; text masked (mask.h) and matched terms highlighted; HTML split safely at a
 * length limit.
 *
 * A message (what the alerter hands to a channel) is a JSON object:
 *   {"kind":"alert", "alert_id", "post_id", "brand", "priority", "route", "deadline", "ack_url",
 *    "similar": n, "level": n, "alert": {the mention from bp.alerts}}
 *   {"kind":"incident", "alert_id", "brand", "reason", "count", "state":"open|update|resolved",
 *    "first_at", "last_at", "samples": [mentions], "ack_url", "deadline"}
 *   {"kind":"digest", "alert_id", "why":"low priority|rate limit", "count", "items": [mentions]}
 */
#ifndef BP_RENDER_H
#define BP_RENDER_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"

typedef enum { RENDER_PLAIN, RENDER_HTML, RENDER_SLACK } render_fmt_t;

/* Expands tpl (NULL or "": the built-in template for the message's kind) into out.
 * Placeholders: {{brand}} {{priority}} {{PRIORITY}} {{reasons}} {{author}} {{followers}}
 * {{source}} {{lang}} {{url}} {{time}} {{deadline}} {{ack_url}} {{text}} {{similar}}
 * {{level}} {{alert_id}} {{post_id}} {{kind}} {{title}} and, for incidents and digests,
 * {{count}} {{reason}} {{state}} {{first_at}} {{last_at}} {{samples}} {{items}} {{why}}.
 * Values are escaped for fmt; {{text}} is masked with `mask` (MASK_* bits) and has the
 * matched terms highlighted. A line whose placeholders all expand to nothing is left out.
 * Returns 0, or -1 if out grew past its cap or an unknown placeholder was named. */
int render_message(const json_t *msg, const char *tpl, render_fmt_t fmt, unsigned mask,
                   bp_buf_t *out);

/* One summary line (e-mail subject, PagerDuty summary, console heading), unescaped plain
 * text, masked. Returns 0 or -1. */
int render_title(const json_t *msg, unsigned mask, bp_buf_t *out);

/* Checks that every placeholder in tpl is known. Returns 0, or -1 with the bad name in err. */
int render_check_template(const char *tpl, char *err, size_t errlen);

/* The alert text (alert.text) masked, highlighted (alert.matches and alert.sentiment.terms
 * byte offsets) and escaped for fmt, appended to out. Returns 0 or -1. */
int render_text(const json_t *alert, render_fmt_t fmt, unsigned mask, bp_buf_t *out);

/* Appends s[0..n) escaped for fmt (HTML: & < > "; Slack: & < >; plain: as is). 0 or -1. */
int render_escape(const char *s, size_t n, render_fmt_t fmt, bp_buf_t *out);

/* Splits a message of simple HTML (tags b i u s a code pre) into parts of at most `limit`
 * characters each (counted as UTF-16 units, as Telegram does), preferring line breaks, never
 * inside a tag or an entity; tags open at a cut are closed and reopened in the next part.
 * Tags and entities count as written, so a part is never over the limit however Telegram
 * counts them.
 * Appends the parts to out. Returns 0 or -1. */
int render_split_html(const char *s, size_t limit, bp_strlist_t *out);

/* Same for plain text (cuts at line breaks or spaces where possible). */
int render_split_plain(const char *s, size_t limit, bp_strlist_t *out);

#endif
