/* rphtml.c — the self-contained HTML report with inline SVG charts (see rphtml.h). */
#include "rphtml.h"

#include <stdio.h>
#include <string.h>

#include "model.h"
#include "rpread.h"
#include "timeutil.h"

#define W 760.0 /* chart geometry, in SVG user units */
#define H 170.0
#define ML 48.0
#define MR 48.0
#define MT 12.0
#define MB 26.0

static const char *const rphtml_css =
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222}"
    "h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;"
    "vertical-align:top;text-align:left}th{background:#f4f4f4}td.n{text-align:right}"
    ".chart{display:block;margin:4px 0 16px}.bar{fill:#4a7bd0}.neg{fill:none;stroke:#d0342c;"
    "stroke-width:2}.negpt{fill:#d0342c}.axis{stroke:#888;stroke-width:1}.grid{stroke:#eee}"
    "svg text{font-size:11px;fill:#555}.term{fill:#d0342c}.urgent{color:#b00;font-weight:bold}"
    ".meta td{border:none;padding:1px 8px}.txt{max-width:520px}";

int rphtml_escape(bp_buf_t *out, const char *s)
{
    int rc = 0;
    for (const char *p = s ? s : ""; *p && rc == 0; p++) {
        switch (*p) {
        case '&': rc = bp_buf_puts(out, "&amp;"); break;
        case '<': rc = bp_buf_puts(out, "&lt;"); break;
        case '>': rc = bp_buf_puts(out, "&gt;"); break;
        case '"': rc = bp_buf_puts(out, "&quot;"); break;
        case '\'': rc = bp_buf_puts(out, "&#39;"); break;
        default: rc = bp_buf_putc(out, *p);
        }
    }
    return rc;
}

/* Escapes at most max bytes of s, cut on a UTF-8 boundary, with "…" when cut. */
static void rphtml_escape_cut(bp_buf_t *out, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) {
        rphtml_escape(out, s);
        return;
    }
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    char tmp[1024];
    if (max >= sizeof tmp)
        max = sizeof tmp - 1;
    memcpy(tmp, s, max);
    tmp[max] = 0;
    rphtml_escape(out, tmp);
    bp_buf_puts(out, "\xE2\x80\xA6");
}

static const char *rphtml_time(int64_t ms, char *buf, int64_t bucket)
{
    bp_time_format_rfc3339(ms, buf);
    /* "2026-11-22T10:00:00.000Z" -> "2026-11-22 10:00" (hours) or "2026-11-22" (days) */
    if (strlen(buf) >= 16) {
        buf[10] = bucket >= RPAGG_DAY_MS ? 0 : ' ';
        buf[16] = 0;
    }
    return buf;
}

/* One brand's chart: bars of mentions per column, the negative share as a line (right axis). */
static void rphtml_brand_chart(bp_buf_t *o, const rpagg_brand_t *b, int64_t first, int64_t bucket,
                               size_t ncols, size_t per_col, int idx)
{
    long long ment[RPHTML_MAX_COLUMNS], neg[RPHTML_MAX_COLUMNS];
    memset(ment, 0, sizeof ment);
    memset(neg, 0, sizeof neg);
    long long maxv = 1;
    for (size_t i = 0; i < b->ncells; i++) {
        size_t col = (size_t)((b->cells[i].start_ms - first) / bucket) / per_col;
        if (col >= ncols)
            continue;
        ment[col] += b->cells[i].mentions;
        neg[col] += b->cells[i].negative;
    }
    for (size_t c = 0; c < ncols; c++)
        if (ment[c] > maxv)
            maxv = ment[c];
    double pw = W - ML - MR, ph = H - MT - MB, cw = pw / (double)ncols;
    bp_buf_printf(o, "<h3>");
    rphtml_escape(o, b->name);
    bp_buf_printf(o, " &mdash; %lld mentions, %.1f%% negative, %lld alerts</h3>\n", b->mentions,
                  b->mentions ? 100.0 * (double)b->negative / (double)b->mentions : 0.0, b->alerts);
    bp_buf_printf(o,
                  "<svg class=\"chart chart-brand\" id=\"chart-brand-%d\" data-brand=\"", idx);
    rphtml_escape(o, b->name);
    bp_buf_printf(o, "\" width=\"%.0f\" height=\"%.0f\" "
                     "viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n", W, H, W, H);
    bp_buf_printf(o, "<title>");
    rphtml_escape(o, b->name);
    bp_buf_printf(o, ": mentions (bars) and negative share (line)</title>\n");
    for (int g = 0; g <= 4; g++) {
        double y = MT + ph * g / 4.0;
        bp_buf_printf(o, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                      ML, y, W - MR, y);
    }
    bp_buf_printf(o, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", ML,
                  MT + ph, W - MR, MT + ph);
    bp_buf_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%lld</text>", ML - 4, MT + 8,
                  maxv);
    bp_buf_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">0</text>", ML - 4, MT + ph);
    bp_buf_printf(o, "<text x=\"%.1f\" y=\"%.1f\">100%%</text>", W - MR + 4, MT + 8);
    bp_buf_printf(o, "<text x=\"%.1f\" y=\"%.1f\">0%%</text>\n", W - MR + 4, MT + ph);
    char t1[BP_TIME_BUFSZ], t2[BP_TIME_BUFSZ];
    bp_buf_printf(o, "<text x=\"%.1f\" y=\"%.1f\">%s</text>", ML, H - 6,
                  rphtml_time(first, t1, bucket));
    bp_buf_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", W - MR, H - 6,
                  rphtml_time(first + (int64_t)((ncols - 1) * per_col) * bucket, t2, bucket));
    for (size_t c = 0; c < ncols; c++) {
        if (!ment[c])
            continue;
        double h = ph * (double)ment[c] / (double)maxv;
        bp_buf_printf(o, "<rect class=\"bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\">"
                         "<title>%s: %lld mentions, %lld negative</title></rect>\n",
                      ML + cw * (double)c + cw * 0.1, MT + ph - h, cw * 0.8 > 0.5 ? cw * 0.8 : 0.5, h,
                      rphtml_time(first + (int64_t)(c * per_col) * bucket, t1, bucket), ment[c],
                      neg[c]);
    }
    bp_buf_puts(o, "<polyline class=\"neg\" points=\"");
    size_t npts = 0;
    for (size_t c = 0; c < ncols; c++) {
        if (!ment[c])
            continue;
        double share = (double)neg[c] / (double)ment[c];
        bp_buf_printf(o, "%s%.2f,%.2f", npts ? " " : "", ML + cw * ((double)c + 0.5),
                      MT + ph - ph * share);
        npts++;
    }
    bp_buf_puts(o, "\"/>\n");
    for (size_t c = 0; c < ncols; c++) {
        if (!ment[c])
            continue;
        double share = (double)neg[c] / (double)ment[c];
        bp_buf_printf(o, "<circle class=\"negpt\" cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\"><title>%.0f%% "
                         "negative</title></circle>",
                      ML + cw * ((double)c + 0.5), MT + ph - ph * share, 100.0 * share);
    }
    bp_buf_puts(o, "\n</svg>\n");
}

static void rphtml_terms_chart(bp_buf_t *o, const rpagg_count_t *t, size_t n)
{
    if (!n) {
        bp_buf_puts(o, "<p>No negative terms.</p>\n");
        return;
    }
    double rowh = 20, h = rowh * (double)n + 10, lw = 220, bw = W - lw - 60;
    long long maxv = t[0].count > 0 ? t[0].count : 1;
    bp_buf_printf(o, "<svg class=\"chart chart-terms\" id=\"chart-terms\" "
                     "width=\"%.0f\" height=\"%.0f\" "
                     "viewBox=\"0 0 %.0f %.0f\" role=\"img\"><title>Top negative terms</title>\n",
                  W, h, W, h);
    for (size_t i = 0; i < n; i++) {
        double y = 5 + rowh * (double)i, w = bw * (double)t[i].count / (double)maxv;
        bp_buf_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", lw - 6, y + 14);
        rphtml_escape_cut(o, t[i].key, 60);
        bp_buf_printf(o, "</text><rect class=\"term\" x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" "
                         "height=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\">%lld</text>\n",
                      lw, y + 2, w < 1 ? 1 : w, rowh - 4, lw + (w < 1 ? 1 : w) + 4, y + 14,
                      t[i].count);
    }
    bp_buf_puts(o, "</svg>\n");
}

static void rphtml_urgent_table(bp_buf_t *o, json_t *const *u, size_t n)
{
    if (!n) {
        bp_buf_puts(o, "<p>No mentions.</p>\n");
        return;
    }
    bp_buf_puts(o, "<table id=\"urgent\"><tr><th>published</th><th>brands</th><th>priority</th>"
                   "<th>score</th><th>author</th><th class=\"n\">followers</th><th>reasons</th>"
                   "<th>text</th></tr>\n");
    for (size_t i = 0; i < n; i++) {
        const json_t *m = u[i];
        const json_t *sent = json_object_get(m, "sentiment");
        bp_buf_puts(o, "<tr><td>");
        rphtml_escape(o, bp_json_str(m, "published_at"));
        bp_buf_puts(o, "</td><td>");
        size_t j;
        json_t *v;
        json_array_foreach(json_object_get(m, "brands"), j, v) {
            if (j)
                bp_buf_puts(o, ", ");
            rphtml_escape(o, json_string_value(v));
        }
        int alert = json_is_true(json_object_get(m, "alert"));
        bp_buf_printf(o, "</td><td%s>", alert ? " class=\"urgent\"" : "");
        rphtml_escape(o, bp_json_str(m, "priority"));
        bp_buf_printf(o, "%s</td><td class=\"n\">%g</td><td>", alert ? " (alert)" : "",
                      json_number_value(json_object_get(sent, "score")));
        rphtml_escape_cut(o, bp_json_str(json_object_get(m, "author"), "name"), 80);
        bp_buf_printf(o, "</td><td class=\"n\">%lld</td><td>", bp_post_followers(m));
        json_array_foreach(json_object_get(m, "reasons"), j, v) {
            if (j)
                bp_buf_puts(o, " ");
            rphtml_escape(o, json_string_value(v));
        }
        bp_buf_puts(o, "</td><td class=\"txt\">");
        rphtml_escape_cut(o, bp_json_str(m, "text"), 400);
        /* the post's address as text: a link would be harmless, but text keeps the report free
         * of anything a browser or mail scanner could prefetch */
        const char *url = bp_json_str(m, "url");
        if (*url) {
            bp_buf_puts(o, "<br><small>");
            rphtml_escape_cut(o, url, 300);
            bp_buf_puts(o, "</small>");
        }
        bp_buf_puts(o, "</td></tr>\n");
    }
    bp_buf_puts(o, "</table>\n");
}

static void rphtml_compare(bp_buf_t *o, const rphtml_info_t *in)
{
    const rpcmp_totals_t *t = in->cmp;
    bp_buf_puts(o, "<h2>Rule comparison</h2>\n<table id=\"compare\"><tr><th>rules</th>"
                   "<th>version</th><th class=\"n\">mentions</th><th class=\"n\">alerts</th></tr>\n");
    const char *dirs[2] = {in->rules, in->cmp_rules}, *vers[2] = {in->rules_version, in->cmp_version};
    for (int i = 0; i < 2; i++) {
        bp_buf_printf(o, "<tr><td>%c: ", 'A' + i);
        rphtml_escape(o, dirs[i]);
        bp_buf_puts(o, "</td><td>");
        rphtml_escape(o, vers[i]);
        bp_buf_printf(o, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td></tr>\n",
                      t->mentions[i], t->alerts[i]);
    }
    bp_buf_printf(o, "</table>\n<p>%lld posts judged; the sets disagree on %lld.</p>\n", t->posts,
                  t->differ);
    size_t n = json_array_size(in->cmp_records);
    if (!n)
        return;
    bp_buf_puts(o, "<table id=\"disagreements\"><tr><th>post</th><th>differs in</th><th>A</th>"
                   "<th>B</th><th>text</th></tr>\n");
    for (size_t i = 0; i < n; i++) {
        const json_t *r = json_array_get(in->cmp_records, i);
        bp_buf_puts(o, "<tr><td>");
        rphtml_escape(o, bp_json_str(r, "id"));
        bp_buf_puts(o, "</td><td>");
        size_t j;
        json_t *v;
        json_array_foreach(json_object_get(r, "diff"), j, v) {
            if (j)
                bp_buf_puts(o, ", ");
            rphtml_escape(o, json_string_value(v));
        }
        const char *side[2] = {"a", "b"};
        for (int s = 0; s < 2; s++) {
            const json_t *x = json_object_get(r, side[s]);
            bp_buf_puts(o, "</td><td>");
            if (!json_is_true(json_object_get(x, "matched"))) {
                bp_buf_puts(o, "no brand");
                continue;
            }
            json_array_foreach(json_object_get(x, "brands"), j, v) {
                if (j)
                    bp_buf_puts(o, ", ");
                rphtml_escape(o, json_string_value(v));
            }
            bp_buf_puts(o, json_is_true(json_object_get(x, "alert")) ? "; alert " : "; no alert ");
            rphtml_escape(o, bp_json_str(x, "priority"));
        }
        bp_buf_puts(o, "</td><td class=\"txt\">");
        rphtml_escape_cut(o, bp_json_str(r, "text"), 300);
        bp_buf_puts(o, "</td></tr>\n");
    }
    bp_buf_puts(o, "</table>\n");
}

int rphtml_render(bp_buf_t *o, rpagg_t *a, const rphtml_info_t *in)
{
    char t1[BP_TIME_BUFSZ], t2[BP_TIME_BUFSZ];
    int64_t bucket = rpagg_bucket_ms(a);
    long long neg, alerts, total = rpagg_total(a, &neg, &alerts);
    bp_buf_puts(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                   "style-src 'unsafe-inline'; img-src data:\">\n<title>brandpulse replay: ");
    rphtml_escape(o, in->topic);
    bp_buf_printf(o, "</title>\n<style>%s</style></head><body>\n<h1>brandpulse replay: ",
                  rphtml_css);
    rphtml_escape(o, in->topic);
    bp_buf_puts(o, "</h1>\n<table class=\"meta\">");
    bp_buf_printf(o, "<tr><td>from</td><td>%s</td></tr>",
                  in->from_ms == RPREAD_NO_FROM ? "the beginning" : bp_time_format_rfc3339(in->from_ms, t1));
    bp_buf_printf(o, "<tr><td>to</td><td>%s</td></tr>",
                  in->to_ms == RPREAD_NO_TO ? "the end" : bp_time_format_rfc3339(in->to_ms, t2));
    bp_buf_puts(o, "<tr><td>rules</td><td>");
    if (in->rules) {
        rphtml_escape(o, in->rules);
        bp_buf_puts(o, " (");
        rphtml_escape(o, in->rules_version);
        bp_buf_puts(o, ")");
    } else {
        bp_buf_puts(o, "as recorded in the topic");
    }
    bp_buf_printf(o, "</td></tr><tr><td>records</td><td>%lld read, %lld in range, %lld malformed, "
                     "%lld duplicates, %lld not selected</td></tr>",
                  in->read, in->in_range, in->malformed, in->duplicates, in->filtered_out);
    bp_buf_printf(o, "<tr><td>mentions</td><td id=\"total-mentions\">%lld</td></tr>"
                     "<tr><td>negative</td><td>%lld (%.1f%%)</td></tr>"
                     "<tr><td>alerts</td><td>%lld</td></tr></table>\n",
                  total, neg, total ? 100.0 * (double)neg / (double)total : 0.0, alerts);

    bp_buf_printf(o, "<h2>Mentions and negative share per %s</h2>\n",
                  bucket >= RPAGG_DAY_MS ? "day" : "hour");
    size_t nb;
    const rpagg_brand_t *brands = rpagg_brands(a, &nb);
    int64_t first = 0, last = 0;
    if (rpagg_span(a, &first, &last) == 0) {
        size_t nbuckets = (size_t)((last - first) / bucket) + 1;
        size_t per_col = (nbuckets + RPHTML_MAX_COLUMNS - 1) / RPHTML_MAX_COLUMNS;
        size_t ncols = (nbuckets + per_col - 1) / per_col;
        if (per_col > 1)
            bp_buf_printf(o, "<p>%zu periods shown as %zu columns of %zu.</p>\n", nbuckets, ncols,
                          per_col);
        for (size_t i = 0; i < nb && i < RPHTML_MAX_BRANDS; i++)
            rphtml_brand_chart(o, &brands[i], first, bucket, ncols, per_col, (int)i);
        if (nb > RPHTML_MAX_BRANDS)
            bp_buf_printf(o, "<p>%zu more brands not charted.</p>\n", nb - RPHTML_MAX_BRANDS);
    } else {
        bp_buf_puts(o, "<p>No mentions in this range.</p>\n");
    }

    bp_buf_puts(o, "<h2>Top negative terms</h2>\n");
    const rpagg_count_t *terms;
    size_t nt = rpagg_top_terms(a, &terms, 20);
    rphtml_terms_chart(o, terms, nt);

    bp_buf_puts(o, "<h2>Most urgent posts</h2>\n");
    json_t *const *urg;
    size_t nu = rpagg_urgent(a, &urg);
    rphtml_urgent_table(o, urg, nu);

    bp_buf_puts(o, "<h2>Most-followed authors</h2>\n");
    const rpagg_count_t *au;
    size_t na = rpagg_top_authors(a, &au, 15);
    if (na) {
        bp_buf_puts(o, "<table id=\"authors\"><tr><th>author</th><th>id</th><th class=\"n\">"
                       "followers</th><th class=\"n\">mentions</th><th class=\"n\">negative</th></tr>\n");
        for (size_t i = 0; i < na; i++) {
            bp_buf_puts(o, "<tr><td>");
            rphtml_escape_cut(o, au[i].label ? au[i].label : "", 80);
            bp_buf_puts(o, "</td><td>");
            rphtml_escape_cut(o, au[i].key, 120);
            bp_buf_printf(o, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
                             "<td class=\"n\">%lld</td></tr>\n",
                          au[i].followers, au[i].count, au[i].negative);
        }
        bp_buf_puts(o, "</table>\n");
    } else {
        bp_buf_puts(o, "<p>No authors.</p>\n");
    }
    if (in->cmp)
        rphtml_compare(o, in);
    return bp_buf_puts(o, "<p><small>brandpulse " BP_VERSION "</small></p>\n</body></html>\n");
}
