/* rpcsv.h — CSV output per RFC 4180: CRLF line ends, a field quoted when it holds a comma,
 * a double quote, CR or LF (or begins/ends with a space), quotes doubled; optional UTF-8 BOM
 * for spreadsheet programs. */
#ifndef BP_RPCSV_H
#define BP_RPCSV_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"

/* Appends s (NULL is taken as "") as one field to b, quoted when needed. Returns 0 or -1. */
int rpcsv_field(bp_buf_t *b, const char *s);
/* Appends a whole record: fields separated by commas, then CRLF. Returns 0 or -1. */
int rpcsv_record(bp_buf_t *b, const char *const *fields, size_t n);

/* The columns of a mention row, in order. */
extern const char *const rpcsv_mention_cols[];
extern const size_t rpcsv_mention_ncols;

/* Appends the row of one mention (or post): id, published_at, source, feed, lang, author_id,
 * author_name, followers, brands (";"-joined), score, label, alert, priority, reasons
 * (";"-joined), url, text. Returns 0 or -1. */
int rpcsv_mention_row(bp_buf_t *b, const json_t *m);

#endif
