/* postview.c — the one-pass post scanner (see postview.h): JSON grammar as jansson reads it
 * (JSON_REJECT_DUPLICATES), UTF-8 inside strings, and bp_post_validate's rules, in one pass. */
#include "postview.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "grow.h"
#include "model.h"
#include "timeutil.h"
#include "utf8.h"

#define PV_MAX_NUMBER 40 /* longer numbers (and any exponent) go to the slow path */
#define PV_TIME_MAX 64   /* longer time strings go to the slow path */

/* What a value turned out to be. */
enum { PV_FAIL = -1, PV_STRING, PV_INT, PV_REAL, PV_BOOL, PV_NULL, PV_OBJECT, PV_ARRAY };

/* Which known fields an object's keys may be. */
enum { PV_CTX_NONE, PV_CTX_TOP, PV_CTX_AUTHOR };

/* Known fields (the slot a key's value goes to). */
enum {
    PV_F_NONE, PV_F_ID, PV_F_SOURCE, PV_F_TEXT, PV_F_LANG, PV_F_PUBLISHED, PV_F_COLLECTED,
    PV_F_AUTHOR, PV_F_A_ID, PV_F_A_HANDLE, PV_F_A_USERNAME, PV_F_A_FOLLOWERS
};

typedef struct pv_scan {
    const unsigned char *p, *end, *base;
    bp_post_view_t *v;
    char *out;     /* scratch write cursor; NULL until the record's first unescape */
    size_t nk;     /* keys on the stack (v->keys) */
    uint64_t top_bits; /* pv_key_bit of the top-level keys, once that object is scanned */
    int depth;
} pv_scan_t;

static const uint64_t PV_ONES = 0x0101010101010101ULL;
static const uint64_t PV_HIGHS = 0x8080808080808080ULL;

void bp_post_view_init(bp_post_view_t *v)
{
    memset(v, 0, sizeof *v);
}

void bp_post_view_free(bp_post_view_t *v)
{
    if (!v)
        return;
    free(v->scratch);
    v->scratch = NULL;
    v->scratch_cap = 0;
}

int bp_strv_eq(bp_strv_t sv, const char *s)
{
    size_t n = strlen(s);
    return sv.s && sv.n == n && memcmp(sv.s, s, n) == 0;
}

char *bp_strv_cstr(bp_strv_t sv, char *buf, size_t cap)
{
    if (cap > 0)
        buf[0] = '\0';
    if (!sv.s || sv.n >= cap)
        return NULL;
    memcpy(buf, sv.s, sv.n);
    buf[sv.n] = '\0';
    return buf;
}

/* Which bit of key_bits stands for a key: its first two bytes (0 for those it lacks; keys
 * on the fast path hold no NUL byte), so that a C string needs no strlen for it. */
static unsigned pv_key_bit2(unsigned b0, unsigned b1)
{
    return (b0 * 5 + b1) & 63;
}

static unsigned pv_key_bit(const unsigned char *k, size_t n)
{
    return pv_key_bit2(n > 0 ? k[0] : 0, n > 1 ? k[1] : 0);
}

int bp_post_view_has(const bp_post_view_t *v, const char *k)
{
    const unsigned char *u = (const unsigned char *)k;
    if (!(v->key_bits >> pv_key_bit2(u[0], u[0] ? u[1] : 0) & 1))
        return 0;
    size_t n = strlen(k);
    for (size_t i = 0; i < v->nkeys; i++)
        if (v->keys[i].n == n && memcmp(v->keys[i].s, k, n) == 0)
            return 1;
    return 0;
}

static inline __attribute__((always_inline)) void pv_skip_ws(pv_scan_t *s)
{
    while (s->p < s->end && *s->p <= ' ' &&
           (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

/* Steps over the opening bracket at s->p and the white space after it: 1 if the container is
 * empty (its closing bracket close stepped over too), else 0. */
static int pv_open(pv_scan_t *s, unsigned char close)
{
    s->p++;
    pv_skip_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return 1;
    }
    return 0;
}

/* After a member or an element: a ',' and the next one (1), or the closing bracket close (0),
 * or anything else (-1). */
static int pv_next(pv_scan_t *s, unsigned char close)
{
    pv_skip_ws(s);
    if (s->p >= s->end)
        return -1;
    if (*s->p == ',') {
        s->p++;
        pv_skip_ws(s);
        return 1;
    }
    if (*s->p != close)
        return -1;
    s->p++;
    return 0;
}

/* 1 if none of the 8 bytes in x is '"', '\\', < 0x20 or >= 0x80. */
static int pv_plain8(uint64_t x)
{
    uint64_t q = x ^ (PV_ONES * '"');
    uint64_t b = x ^ (PV_ONES * '\\');
    uint64_t ctl = (x - PV_ONES * 0x20) & ~x;
    uint64_t zq = (q - PV_ONES) & ~q;
    uint64_t zb = (b - PV_ONES) & ~b;
    return ((ctl | zq | zb | x) & PV_HIGHS) == 0;
}

#ifdef __SSE2__
/* The mask of '"', '\\' and control bytes among the 16 bytes of x. */
static inline unsigned pv_stop16(__m128i x)
{
    return (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                  _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
                     _mm_and_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
                                   _mm_cmpgt_epi8(x, _mm_set1_epi8(-1)))));
}

/* Length of the longest prefix of p[0..16) that needs no second look inside a string: ASCII
 * other than '"', '\\' and control bytes, and complete two-byte UTF-8 sequences (U+0080 to
 * U+07FF: Cyrillic, Greek, accented Latin); p[0] must start a character. 16 if all of it. */
static unsigned pv_plain16(const unsigned char *p)
{
    __m128i x = _mm_loadu_si128((const __m128i *)p);
    unsigned stop = pv_stop16(x), high;
    unsigned bad = bp_utf8_pairs16_bad(x, 0, &high);
    if (!stop && !high)
        return 16;
    /* the first special byte, byte >= 0x80 not in a pair, or half of a pair */
    bad |= stop;
    return bad ? (unsigned)__builtin_ctz(bad) : 16;
}
#endif

/* Length of the valid UTF-8 sequence (2..4 bytes) at p, 0 if invalid or cut by end; the same
 * rules as bp_utf8_check: no overlongs, no surrogates, nothing past U+10FFFF. */
static size_t pv_utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t avail = (size_t)(end - p);
    if (c >= 0xC2 && c <= 0xDF)
        return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (avail < 3 || (p[2] & 0xC0) != 0x80)
            return 0;
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return p[1] >= lo && p[1] <= hi ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (avail < 4 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return p[1] >= lo && p[1] <= hi ? 4 : 0;
    }
    return 0;
}

static int pv_hex4(const unsigned char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Checks the escape at p ('\\' at p[0]); returns its length in bytes (2, 6 or 12) and the code
 * point it stands for in *cp, or 0 if jansson rejects it (bad escape, \u0000, lone or broken
 * surrogate). */
static size_t pv_escape(const unsigned char *p, const unsigned char *end, uint32_t *cp)
{
    if (end - p < 2)
        return 0;
    switch (p[1]) {
    case '"': *cp = '"'; return 2;
    case '\\': *cp = '\\'; return 2;
    case '/': *cp = '/'; return 2;
    case 'b': *cp = '\b'; return 2;
    case 'f': *cp = '\f'; return 2;
    case 'n': *cp = '\n'; return 2;
    case 'r': *cp = '\r'; return 2;
    case 't': *cp = '\t'; return 2;
    case 'u': break;
    default: return 0;
    }
    uint32_t hi, lo;
    if (end - p < 6 || pv_hex4(p + 2, &hi) != 0 || hi == 0 || (hi >= 0xDC00 && hi <= 0xDFFF))
        return 0;
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = hi;
        return 6;
    }
    if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || pv_hex4(p + 8, &lo) != 0 || lo < 0xDC00 ||
        lo > 0xDFFF)
        return 0;
    *cp = ((hi - 0xD800) << 10) + (lo - 0xDC00) + 0x10000;
    return 12;
}

/* Makes room in the scratch buffer for this record's unescaped strings (all of them together
 * are never longer than the record). Returns 0 or -1 (no memory). */
static int pv_scratch(pv_scan_t *s)
{
    if (s->out)
        return 0;
    bp_post_view_t *v = s->v;
    size_t need = (size_t)(s->end - s->base);
    if (need == 0)
        need = 1;
    if (bp_grow(&v->scratch, &v->scratch_cap, need, 1, 4096, (size_t)-1) < 0)
        return -1;
    s->out = v->scratch;
    return 0;
}

/* Unescapes the already checked string body [a, b) into the scratch buffer; *out gets it. */
static int pv_unescape(pv_scan_t *s, const unsigned char *a, const unsigned char *b, bp_strv_t *out)
{
    if (pv_scratch(s) != 0)
        return -1;
    char *start = s->out, *o = s->out;
    while (a < b) {
        const unsigned char *bs = memchr(a, '\\', (size_t)(b - a));
        size_t run = (size_t)((bs ? bs : b) - a);
        memcpy(o, a, run);
        o += run;
        a += run;
        if (!bs)
            break;
        uint32_t cp;
        size_t el = pv_escape(a, b, &cp);
        if (!el)
            return -1; /* cannot happen: the body was checked */
        o += bp_utf8_encode(cp, o); /* a scalar value: pv_escape rejects lone surrogates */
        a += el;
    }
    out->s = start;
    out->n = (size_t)(o - start);
    s->out = o;
    return 0;
}

/* Scans a string at s->p (which is '"'). If out is not NULL, sets it to the decoded value.
 * *escaped (if not NULL) tells whether the raw string held escapes. Returns 0 or -1. */
static int pv_string(pv_scan_t *s, bp_strv_t *out, int *escaped)
{
    const unsigned char *p = s->p + 1, *end = s->end, *body = p;
    int esc = 0;
    for (;;) {
#ifdef __SSE2__
        /* sixteen bytes at a time while they need no second look; the byte-wise code below
         * takes the first byte that does (and the last 15 bytes of the record) */
        if (end - p >= 16) {
            unsigned k = pv_plain16(p);
            p += k;
            if (k == 16 || (k && *p >= 0x80))
                continue; /* (a pair cut by the block's end, or a longer character) */
        } else
#endif
        {
            while (end - p >= 8) {
                uint64_t x;
                memcpy(&x, p, 8);
                if (!pv_plain8(x))
                    break;
                p += 8;
            }
        }
        if (p >= end)
            return -1;
        unsigned char c = *p;
        if (c == '"')
            break;
        if (c == '\\') {
            uint32_t cp;
            size_t el = pv_escape(p, end, &cp);
            if (!el)
                return -1;
            p += el;
            esc = 1;
        } else if (c < 0x20) {
            return -1;
        } else if (c < 0x80) {
            p++;
        } else if (c >= 0xC2 && c <= 0xDF && end - p >= 2 && (p[1] & 0xC0) == 0x80) {
            /* a run of two-byte characters (Cyrillic, Greek, accented Latin) inline */
            do
                p += 2;
            while (end - p >= 2 && p[0] >= 0xC2 && p[0] <= 0xDF && (p[1] & 0xC0) == 0x80);
        } else {
            size_t ul = pv_utf8_len(p, end);
            if (!ul)
                return -1;
            p += ul;
        }
    }
    s->p = p + 1;
    if (escaped)
        *escaped = esc;
    if (!out)
        return 0;
    if (!esc) {
        out->s = (const char *)body;
        out->n = (size_t)(p - body);
        return 0;
    }
    return pv_unescape(s, body, p, out);
}

/* Scans a number at s->p. Integers must fit a long long (as jansson's strtoll); reals must have
 * no exponent and at most PV_MAX_NUMBER characters. Returns PV_INT (value in *ival), PV_REAL
 * or PV_FAIL. */
static int pv_number(pv_scan_t *s, long long *ival)
{
    const unsigned char *p = s->p, *end = s->end, *start = p;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (p >= end || *p < '0' || *p > '9')
        return PV_FAIL;
    uint64_t u = 0;
    size_t nd = 0;
    if (*p == '0') {
        p++;
        nd = 1;
        if (p < end && *p >= '0' && *p <= '9')
            return PV_FAIL;
    } else {
        while (p < end && *p >= '0' && *p <= '9') {
            if (nd < 20)
                u = u * 10 + (uint64_t)(*p - '0'); /* 20 digits can wrap: checked below */
            nd++;
            p++;
        }
    }
    int real = 0;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return PV_FAIL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        real = 1;
    }
    if (p < end && (*p == 'e' || *p == 'E'))
        return PV_FAIL; /* valid or not: the slow path decides */
    if (real) {
        if (p - start > PV_MAX_NUMBER)
            return PV_FAIL;
        s->p = p;
        return PV_REAL;
    }
    const uint64_t max = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (nd > 19 || u > max)
        return PV_FAIL; /* "too big integer" */
    if (neg)
        *ival = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(long long)u;
    else
        *ival = (long long)u;
    s->p = p;
    return PV_INT;
}

static int pv_literal(pv_scan_t *s, const char *lit, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return -1;
    s->p += n;
    return 0;
}

static int pv_value(pv_scan_t *s, int ctx, bp_strv_t *str, long long *ival);

/* Which known field key k is in an object of context ctx. */
static int pv_field(int ctx, const unsigned char *k, size_t n)
{
#define PV_IS(lit) (n == sizeof(lit) - 1 && memcmp(k, lit, n) == 0)
    if (ctx == PV_CTX_TOP) {
        if (PV_IS("id")) return PV_F_ID;
        if (PV_IS("source")) return PV_F_SOURCE;
        if (PV_IS("text")) return PV_F_TEXT;
        if (PV_IS("lang")) return PV_F_LANG;
        if (PV_IS("published_at")) return PV_F_PUBLISHED;
        if (PV_IS("collected_at")) return PV_F_COLLECTED;
        if (PV_IS("author")) return PV_F_AUTHOR;
    } else if (ctx == PV_CTX_AUTHOR) {
        if (PV_IS("id")) return PV_F_A_ID;
        if (PV_IS("handle")) return PV_F_A_HANDLE;
        if (PV_IS("username")) return PV_F_A_USERNAME;
        if (PV_IS("followers")) return PV_F_A_FOLLOWERS;
    }
    return PV_F_NONE;
#undef PV_IS
}

/* A time field: null, or a string bp_time_parse_rfc3339 accepts. Returns 0 or -1. */
static int pv_time(int type, bp_strv_t *sv)
{
    if (type == PV_NULL) {
        sv->s = NULL;
        sv->n = 0;
        return 0;
    }
    if (type != PV_STRING || sv->n >= PV_TIME_MAX)
        return -1;
    char buf[PV_TIME_MAX];
    int64_t ms;
    memcpy(buf, sv->s, sv->n);
    buf[sv->n] = '\0';
    return bp_time_parse_rfc3339(buf, &ms);
}

/* Applies bp_post_validate's rule for field f to a value of type t and keeps the value.
 * Returns 0 or -1 (the slow path would refuse the post). */
static int pv_check(bp_post_view_t *v, int f, int t, const bp_strv_t *sv, long long ival)
{
    switch (f) {
    case PV_F_ID:
    case PV_F_SOURCE:
        if (t != PV_STRING || sv->n == 0)
            return -1;
        if (f == PV_F_ID)
            v->id = *sv;
        else
            v->source = *sv;
        return 0;
    case PV_F_TEXT:
        if (t != PV_STRING)
            return -1;
        v->text = *sv;
        return 0;
    case PV_F_LANG:
        if (t == PV_STRING)
            v->lang = *sv;
        return 0;
    case PV_F_PUBLISHED:
    case PV_F_COLLECTED: {
        bp_strv_t tv = *sv;
        if (pv_time(t, &tv) != 0)
            return -1;
        if (f == PV_F_PUBLISHED)
            v->published_at = tv;
        else
            v->collected_at = tv;
        return 0;
    }
    case PV_F_AUTHOR:
        return t == PV_OBJECT || t == PV_NULL ? 0 : -1;
    case PV_F_A_ID:
    case PV_F_A_HANDLE:
    case PV_F_A_USERNAME:
        if (t != PV_STRING)
            return 0;
        if (f == PV_F_A_ID)
            v->author_id = *sv;
        else if (f == PV_F_A_HANDLE)
            v->author_handle = *sv;
        else
            v->author_username = *sv;
        return 0;
    case PV_F_A_FOLLOWERS:
        if (t == PV_NULL)
            return 0;
        if (t != PV_INT || ival < 0)
            return -1;
        v->followers = ival;
        return 0;
    default:
        return 0;
    }
}

/* Scans an object at s->p ('{'), rejecting duplicate keys; ctx says which keys are known
 * fields. Returns 0 or -1. */
static int pv_object(pv_scan_t *s, int ctx)
{
    size_t base = s->nk;
    uint64_t bits = 0; /* pv_key_bit of this object's keys so far */
    if (pv_open(s, '}'))
        return 0;
    for (;;) {
        if (s->p >= s->end || *s->p != '"')
            return -1;
        const unsigned char *k = s->p + 1;
        size_t kn;
#ifdef __SSE2__
        /* the usual key: plain ASCII, its closing quote within 16 bytes */
        unsigned stop = 0;
        if (s->end - k >= 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)k);
            stop = pv_stop16(x) | (unsigned)_mm_movemask_epi8(x); /* and bytes >= 0x80 */
        }
        if (stop && k[__builtin_ctz(stop)] == '"') {
            kn = (size_t)__builtin_ctz(stop);
            s->p = k + kn + 1;
        } else
#endif
        {
            int esc;
            if (pv_string(s, NULL, &esc) != 0 || esc)
                return -1; /* escaped keys: the slow path compares them */
            kn = (size_t)(s->p - 1 - k);
        }
        if (s->nk - base >= BP_POST_VIEW_MAX_KEYS || s->nk >= BP_POST_VIEW_KEY_STACK)
            return -1;
        uint64_t bit = 1ULL << pv_key_bit(k, kn);
        if (bits & bit) /* (a key of the same hash before: compare) */
            for (size_t i = base; i < s->nk; i++)
                if (s->v->keys[i].n == kn && memcmp(s->v->keys[i].s, k, kn) == 0)
                    return -1; /* duplicate object key */
        bits |= bit;
        s->v->keys[s->nk].s = (const char *)k;
        s->v->keys[s->nk].n = kn;
        s->nk++;
        pv_skip_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return -1;
        s->p++;
        pv_skip_ws(s);
        int f = pv_field(ctx, k, kn);
        bp_strv_t sv = {NULL, 0};
        long long ival = 0;
        int t = pv_value(s, f == PV_F_AUTHOR ? PV_CTX_AUTHOR : PV_CTX_NONE,
                         f != PV_F_NONE ? &sv : NULL, &ival);
        if (t == PV_FAIL || pv_check(s->v, f, t, &sv, ival) != 0)
            return -1;
        int more = pv_next(s, '}');
        if (more < 0)
            return -1;
        if (!more)
            break;
    }
    if (ctx != PV_CTX_TOP)
        s->nk = base; /* the top level's keys stay: they are v->keys[0..nkeys) */
    else
        s->top_bits = bits;
    return 0;
}

static int pv_array(pv_scan_t *s)
{
    if (pv_open(s, ']'))
        return 0;
    for (;;) {
        long long ival;
        if (pv_value(s, PV_CTX_NONE, NULL, &ival) == PV_FAIL)
            return -1;
        int more = pv_next(s, ']');
        if (more <= 0)
            return more;
    }
}

/* Scans one value at s->p (whitespace already skipped). str (if not NULL) gets a string's
 * decoded value, ival an integer's value; ctx is passed on to an object. Returns its type or
 * PV_FAIL. */
static int pv_value(pv_scan_t *s, int ctx, bp_strv_t *str, long long *ival)
{
    if (s->p >= s->end)
        return PV_FAIL;
    switch (*s->p) {
    case '"':
        return pv_string(s, str, NULL) == 0 ? PV_STRING : PV_FAIL;
    case '{':
    case '[': {
        if (s->depth >= BP_POST_VIEW_MAX_DEPTH)
            return PV_FAIL;
        s->depth++;
        int obj = *s->p == '{';
        int rc = obj ? pv_object(s, ctx) : pv_array(s);
        s->depth--;
        return rc != 0 ? PV_FAIL : obj ? PV_OBJECT : PV_ARRAY;
    }
    case 't':
        return pv_literal(s, "true", 4) == 0 ? PV_BOOL : PV_FAIL;
    case 'f':
        return pv_literal(s, "false", 5) == 0 ? PV_BOOL : PV_FAIL;
    case 'n':
        return pv_literal(s, "null", 4) == 0 ? PV_NULL : PV_FAIL;
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
            return pv_number(s, ival);
        return PV_FAIL;
    }
}

int bp_post_view_scan(bp_post_view_t *v, const char *data, size_t len)
{
    if (!v || !data || len > BP_POST_MAX_BYTES)
        return 0;
    v->id = v->source = v->text = (bp_strv_t){NULL, 0};
    v->lang = (bp_strv_t){"", 0};
    v->published_at = v->collected_at = (bp_strv_t){NULL, 0};
    v->author_id = v->author_handle = v->author_username = (bp_strv_t){NULL, 0};
    v->followers = 0;
    v->nkeys = 0;
    v->key_bits = 0;
    pv_scan_t s = {(const unsigned char *)data, (const unsigned char *)data + len,
                   (const unsigned char *)data, v, NULL, 0, 0, 0};
    pv_skip_ws(&s);
    if (s.p >= s.end || *s.p != '{')
        return 0;
    v->obj_open = (size_t)(s.p - s.base);
    s.depth = 1;
    if (pv_object(&s, PV_CTX_TOP) != 0)
        return 0;
    v->obj_close = (size_t)(s.p - 1 - s.base);
    pv_skip_ws(&s);
    if (s.p != s.end)
        return 0; /* "end of file expected" */
    v->nkeys = s.nk;
    v->key_bits = s.top_bits;
    if (!v->id.s || !v->source.s || !v->text.s)
        return 0; /* a required field is missing */
    return 1;
}
