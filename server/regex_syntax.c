/* regex_syntax: Go's regexp/syntax rules, checked and translated to PCRE2 syntax (see regex.c
 * for why). The pattern is walked as Go's parser walks it: each construct Go rejects gets Go's
 * error code and offending text; each construct Go accepts is re-emitted in a form PCRE2 reads
 * the same way: literals as \x{...}, classes rebuilt item by item with Go's ASCII \d \s \w,
 * assertions wrapped so they can carry a repetition, flag groups moved after a repetition that
 * follows them, and a repeated repetition grouped.
 *
 * In: a pattern and its length. Out: the PCRE2 pattern appended to a caller's buffer. Limits:
 * groups nested at most PW_MAX_REGEX_NESTING deep, repeat counts at most 1000 (Go's).
 * Not here: Go's cap on the total size of nested repeats. */
#include "pprofweb/regex.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprofweb/arena.h"
#include "pprofweb/buf.h"

/* The walk over the Go pattern. */
struct tr {
    const char *s; /* whole pattern */
    size_t n, i;   /* length, position */
    struct pw_buf out;
    int depth;
    bool have_item;        /* something a repetition can apply to is on top of the stack */
    size_t last_repeat;    /* start of the previous token when it was a repetition, else SIZE_MAX */
    bool repeated;         /* the token just read was a repetition */
    struct pw_buf pending; /* flag settings not yet written out */
    size_t item_start;     /* where the last item starts in out */
    bool quantified;       /* the last item already carries a repetition */
    size_t *groups;        /* out offsets of the open groups */
    struct pw_err *err;
};

static int go_error(struct tr *t, const char *code, const char *expr, size_t len)
{
    return pw_fail(t->err, PW_EINVAL, "error parsing regexp: %s: `%.*s`", code, (int)len, expr);
}

/* Decodes one rune at s[0..n) as Go's utf8.DecodeRuneInString does; returns its length, or 0
 * when the bytes are not valid UTF-8. */
size_t pw_utf8_decode(const unsigned char *s, size_t n, uint32_t *r)
{
    if (n == 0)
        return 0;
    unsigned c = s[0];
    if (c < 0x80) {
        *r = c;
        return 1;
    }
    size_t len;
    uint32_t min, v;
    if ((c & 0xe0) == 0xc0) {
        len = 2, min = 0x80, v = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, min = 0x800, v = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, min = 0x10000, v = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[k] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *r = v;
    return len;
}

/* Reads the rune at t->i; on bad UTF-8 reports Go's error with the rest of the pattern. */
static int next_rune(struct tr *t, uint32_t *r)
{
    size_t len = pw_utf8_decode((const unsigned char *)t->s + t->i, t->n - t->i, r);
    if (len == 0)
        return go_error(t, "invalid UTF-8", t->s + t->i, t->n - t->i);
    t->i += len;
    return 0;
}

static bool is_alnum(uint32_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int unhex(uint32_t c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return (int)(c - 'A' + 10);
    return -1;
}

/* A literal rune in a form PCRE2 cannot misread, inside or outside a class. */
static void emit_rune(struct tr *t, uint32_t r)
{
    if (r < 0x80 && is_alnum(r))
        pw_buf_addc(&t->out, (char)r);
    else
        pw_buf_addf(&t->out, "\\x{%x}", (unsigned)r);
}

/* Go's parseEscape: t->i is at the backslash. */
static int parse_escape(struct tr *t, uint32_t *r)
{
    size_t start = t->i;
    t->i++;
    if (t->i >= t->n)
        return go_error(t, "trailing backslash at end of expression", "", 0);
    uint32_t c;
    if (next_rune(t, &c) < 0)
        return -1;
    switch (c) {
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
        /* a lone digit would be a backreference, which Go does not have */
        if (t->i >= t->n || t->s[t->i] < '0' || t->s[t->i] > '7')
            break;
        /* fallthrough */
    case '0':
        *r = c - '0';
        for (int k = 1; k < 3 && t->i < t->n && t->s[t->i] >= '0' && t->s[t->i] <= '7'; k++)
            *r = *r * 8 + (uint32_t)(t->s[t->i++] - '0');
        return 0;
    case 'x': {
        if (t->i >= t->n)
            break;
        if (next_rune(t, &c) < 0)
            return -1;
        if (c == '{') {
            int nhex = 0;
            uint32_t v = 0;
            for (;;) {
                if (t->i >= t->n)
                    goto bad;
                if (next_rune(t, &c) < 0)
                    return -1;
                if (c == '}')
                    break;
                int h = unhex(c);
                if (h < 0)
                    goto bad;
                v = v * 16 + (uint32_t)h;
                if (v > 0x10ffff)
                    goto bad;
                nhex++;
            }
            if (nhex == 0)
                goto bad;
            *r = v;
            return 0;
        }
        int x = unhex(c);
        if (t->i >= t->n)
            break;
        if (next_rune(t, &c) < 0)
            return -1;
        int y = unhex(c);
        if (x < 0 || y < 0)
            break;
        *r = (uint32_t)(x * 16 + y);
        return 0;
    }
    case 'a': *r = 7; return 0;
    case 'f': *r = 12; return 0;
    case 'n': *r = 10; return 0;
    case 'r': *r = 13; return 0;
    case 't': *r = 9; return 0;
    case 'v': *r = 11; return 0;
    default:
        if (c < 0x80 && !is_alnum(c)) {
            *r = c;
            return 0;
        }
        break;
    }
bad:
    return go_error(t, "invalid escape sequence", t->s + start, t->i - start);
}

/* \d \D \s \S \w \W at t->i, in Go's ASCII meaning. in_class: emit class items, not a class. */
static bool perl_class(struct tr *t, bool in_class)
{
    if (t->i + 1 >= t->n || t->s[t->i] != '\\')
        return false;
    const char *body;
    switch (t->s[t->i + 1]) {
    case 'd': body = "0-9"; break;
    case 'D': body = "\\x{0}-\\x{2f}\\x{3a}-\\x{10ffff}"; break;
    case 's': body = "\\t\\n\\f\\r\\x{20}"; break;
    case 'S': body = "\\x{0}-\\x{8}\\x{b}\\x{e}-\\x{1f}\\x{21}-\\x{10ffff}"; break;
    case 'w': body = "0-9A-Za-z_"; break;
    case 'W':
        body = "\\x{0}-\\x{2f}\\x{3a}-\\x{40}\\x{5b}-\\x{5e}\\x{60}\\x{7b}-\\x{10ffff}";
        break;
    default: return false;
    }
    t->i += 2;
    pw_buf_addf(&t->out, in_class ? "%s" : "[%s]", body);
    return true;
}

/* Unicode category and script names Go 1.19's \p{...} accepts (case-sensitive), sorted. */
/* clang-format off */
static const char *const go_unicode_names[] = {
    "Adlam", "Ahom", "Anatolian_Hieroglyphs", "Any", "Arabic", "Armenian", "Avestan", "Balinese",
    "Bamum", "Bassa_Vah", "Batak", "Bengali", "Bhaiksuki", "Bopomofo", "Brahmi", "Braille",
    "Buginese", "Buhid", "C", "Canadian_Aboriginal", "Carian", "Caucasian_Albanian", "Cc", "Cf",
    "Chakma", "Cham", "Cherokee", "Chorasmian", "Co", "Common", "Coptic", "Cs", "Cuneiform",
    "Cypriot", "Cyrillic", "Deseret", "Devanagari", "Dives_Akuru", "Dogra", "Duployan",
    "Egyptian_Hieroglyphs", "Elbasan", "Elymaic", "Ethiopic", "Georgian", "Glagolitic", "Gothic",
    "Grantha", "Greek", "Gujarati", "Gunjala_Gondi", "Gurmukhi", "Han", "Hangul",
    "Hanifi_Rohingya", "Hanunoo", "Hatran", "Hebrew", "Hiragana", "Imperial_Aramaic", "Inherited",
    "Inscriptional_Pahlavi", "Inscriptional_Parthian", "Javanese", "Kaithi", "Kannada", "Katakana",
    "Kayah_Li", "Kharoshthi", "Khitan_Small_Script", "Khmer", "Khojki", "Khudawadi", "L", "Lao",
    "Latin", "Lepcha", "Limbu", "Linear_A", "Linear_B", "Lisu", "Ll", "Lm", "Lo", "Lt", "Lu",
    "Lycian", "Lydian", "M", "Mahajani", "Makasar", "Malayalam", "Mandaic", "Manichaean",
    "Marchen", "Masaram_Gondi", "Mc", "Me", "Medefaidrin", "Meetei_Mayek", "Mende_Kikakui",
    "Meroitic_Cursive", "Meroitic_Hieroglyphs", "Miao", "Mn", "Modi", "Mongolian", "Mro",
    "Multani", "Myanmar", "N", "Nabataean", "Nandinagari", "Nd", "New_Tai_Lue", "Newa", "Nko",
    "Nl", "No", "Nushu", "Nyiakeng_Puachue_Hmong", "Ogham", "Ol_Chiki", "Old_Hungarian",
    "Old_Italic", "Old_North_Arabian", "Old_Permic", "Old_Persian", "Old_Sogdian",
    "Old_South_Arabian", "Old_Turkic", "Oriya", "Osage", "Osmanya", "P", "Pahawh_Hmong",
    "Palmyrene", "Pau_Cin_Hau", "Pc", "Pd", "Pe", "Pf", "Phags_Pa", "Phoenician", "Pi", "Po", "Ps",
    "Psalter_Pahlavi", "Rejang", "Runic", "S", "Samaritan", "Saurashtra", "Sc", "Sharada",
    "Shavian", "Siddham", "SignWriting", "Sinhala", "Sk", "Sm", "So", "Sogdian", "Sora_Sompeng",
    "Soyombo", "Sundanese", "Syloti_Nagri", "Syriac", "Tagalog", "Tagbanwa", "Tai_Le", "Tai_Tham",
    "Tai_Viet", "Takri", "Tamil", "Tangut", "Telugu", "Thaana", "Thai", "Tibetan", "Tifinagh",
    "Tirhuta", "Ugaritic", "Vai", "Wancho", "Warang_Citi", "Yezidi", "Yi", "Z", "Zanabazar_Square",
    "Zl", "Zp", "Zs",
};
/* clang-format on */

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* \pN, \p{Name}, \P{^Name} at t->i. Returns 1 when one was emitted, 0 when t->i is not at one,
 * -1 on error. */
static int unicode_class(struct tr *t, bool in_class)
{
    if (t->i + 1 >= t->n || t->s[t->i] != '\\' || (t->s[t->i + 1] != 'p' && t->s[t->i + 1] != 'P'))
        return 0;
    size_t start = t->i;
    bool neg = t->s[t->i + 1] == 'P';
    t->i += 2;
    uint32_t c = 0;
    if (t->i < t->n && next_rune(t, &c) < 0)
        return -1;
    const char *name;
    size_t name_len;
    if (c != '{') {
        name = t->s + start + 2;
        name_len = t->i - start - 2;
    } else {
        const char *close = memchr(t->s + start, '}', t->n - start);
        if (!close) {
            uint32_t r;
            for (size_t k = start; k < t->n;) {
                size_t l = pw_utf8_decode((const unsigned char *)t->s + k, t->n - k, &r);
                if (l == 0)
                    return go_error(t, "invalid UTF-8", t->s + k, t->n - k);
                k += l;
            }
            return go_error(t, "invalid character class range", t->s + start, t->n - start);
        }
        name = t->s + start + 3;
        name_len = (size_t)(close - name);
        t->i = (size_t)(close - t->s) + 1;
    }
    if (name_len > 0 && name[0] == '^') {
        neg = !neg;
        name++, name_len--;
    }
    char key[64];
    bool ok = name_len > 0 && name_len < sizeof key;
    if (ok) {
        memcpy(key, name, name_len);
        key[name_len] = 0;
        const char *kp = key;
        ok = bsearch(&kp, go_unicode_names, sizeof go_unicode_names / sizeof *go_unicode_names,
                     sizeof *go_unicode_names, cmp_name) != NULL;
    }
    if (!ok)
        return go_error(t, "invalid character class range", t->s + start, t->i - start);
    pw_buf_addf(&t->out, "%s\\%c{%.*s}%s", in_class ? "" : "[", neg ? 'P' : 'p', (int)name_len,
                name, in_class ? "" : "]");
    return 1;
}

static const char *const posix_names[] = {
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph",
    "lower", "print", "punct", "space", "upper", "word",  "xdigit",
};

/* [:name:] inside a class. Returns 1 emitted, 0 not one, -1 error. */
static int posix_class(struct tr *t)
{
    if (t->i + 2 >= t->n || t->s[t->i] != '[' || t->s[t->i + 1] != ':')
        return 0;
    const char *end = memmem(t->s + t->i + 2, t->n - t->i - 2, ":]", 2);
    if (!end)
        return 0;
    const char *name = t->s + t->i + 2;
    size_t len = (size_t)(end - name), full = len + 4;
    const char *word = name;
    size_t wlen = len;
    if (wlen > 0 && word[0] == '^')
        word++, wlen--;
    for (size_t k = 0; k < sizeof posix_names / sizeof *posix_names; k++) {
        if (strlen(posix_names[k]) == wlen && memcmp(posix_names[k], word, wlen) == 0) {
            /* ASCII sets, the same in PCRE2 without UCP */
            pw_buf_add(&t->out, t->s + t->i, full);
            t->i += full;
            return 1;
        }
    }
    return go_error(t, "invalid character class range", t->s + t->i, full);
}

/* A class character: an escape or one rune; missing input is a missing ]. */
static int class_char(struct tr *t, size_t class_start, uint32_t *r)
{
    if (t->i >= t->n)
        return go_error(t, "missing closing ]", t->s + class_start, t->n - class_start);
    if (t->s[t->i] == '\\')
        return parse_escape(t, r);
    return next_rune(t, r);
}

/* Go's parseClass: t->i is at '['. */
static int parse_class(struct tr *t)
{
    size_t start = t->i++;
    pw_buf_addc(&t->out, '[');
    if (t->i < t->n && t->s[t->i] == '^') {
        pw_buf_addc(&t->out, '^');
        t->i++;
    }
    bool first = true;
    while (t->i >= t->n || t->s[t->i] != ']' || first) {
        first = false;
        int rc;
        if (t->i + 2 < t->n && t->s[t->i] == '[' && t->s[t->i + 1] == ':') {
            if ((rc = posix_class(t)) < 0)
                return -1;
            if (rc)
                continue;
        }
        if ((rc = unicode_class(t, true)) < 0)
            return -1;
        if (rc || perl_class(t, true))
            continue;
        size_t rng = t->i;
        uint32_t lo, hi;
        if (class_char(t, start, &lo) < 0)
            return -1;
        hi = lo;
        if (t->i + 1 < t->n && t->s[t->i] == '-' && t->s[t->i + 1] != ']') {
            t->i++;
            if (class_char(t, start, &hi) < 0)
                return -1;
            if (hi < lo)
                return go_error(t, "invalid character class range", t->s + rng, t->i - rng);
        }
        emit_rune(t, lo);
        if (hi != lo) {
            pw_buf_addc(&t->out, '-');
            emit_rune(t, hi);
        }
    }
    t->i++;
    pw_buf_addc(&t->out, ']');
    return 0;
}

/* Go's parseInt for repeat counts: no leading zeros; -1 when too big. */
static bool parse_int(struct tr *t, size_t *pos, long *v)
{
    size_t k = *pos;
    if (k >= t->n || t->s[k] < '0' || t->s[k] > '9')
        return false;
    if (k + 1 < t->n && t->s[k] == '0' && t->s[k + 1] >= '0' && t->s[k + 1] <= '9')
        return false;
    long n = 0;
    for (; k < t->n && t->s[k] >= '0' && t->s[k] <= '9'; k++) {
        if (n >= 100000000)
            n = -1;
        else if (n >= 0)
            n = n * 10 + (t->s[k] - '0');
    }
    *pos = k;
    *v = n;
    return true;
}

/* {min}, {min,}, {min,max} at t->i; false when it is not one (then '{' is a literal). */
static bool parse_repeat(struct tr *t, long *min, long *max, size_t *end)
{
    size_t k = t->i + 1;
    if (!parse_int(t, &k, min) || k >= t->n)
        return false;
    if (t->s[k] != ',') {
        *max = *min;
    } else {
        k++;
        if (k >= t->n)
            return false;
        if (t->s[k] == '}') {
            *max = -1;
        } else {
            if (!parse_int(t, &k, max))
                return false;
            if (*max < 0)
                *min = -1;
        }
    }
    if (k >= t->n || t->s[k] != '}')
        return false;
    *end = k + 1;
    return true;
}

static void flush_flags(struct tr *t)
{
    if (t->pending.len > 0) {
        pw_buf_add(&t->out, t->pending.data, t->pending.len);
        pw_buf_reset(&t->pending);
    }
}

/* Called before an atom (literal, class, assertion) is written. */
static void begin_item(struct tr *t)
{
    flush_flags(t);
    t->item_start = t->out.len;
    t->quantified = false;
    t->have_item = true;
}

static void open_group(struct tr *t, const char *text, size_t len)
{
    flush_flags(t);
    t->groups[t->depth++] = t->out.len;
    pw_buf_add(&t->out, text, len);
    t->have_item = false;
}

/* A repetition operator spanning [start, t->i); applies Go's checks, emits it. */
static int repetition(struct tr *t, size_t start)
{
    if (t->i < t->n && t->s[t->i] == '?')
        t->i++;
    if (t->last_repeat != SIZE_MAX)
        return go_error(t, "invalid nested repetition operator", t->s + t->last_repeat,
                        t->i - t->last_repeat);
    if (!t->have_item)
        return go_error(t, "missing argument to repetition operator", t->s + start, t->i - start);
    if (t->quantified) {
        /* Go repeats a repeated item when flags stand between ("a*(?i)+"); PCRE2 needs a
         * group for that. */
        size_t at = t->item_start, len = t->out.len - at;
        pw_buf_add(&t->out, "(?:", 3);
        if (!t->out.overflow) {
            memmove(t->out.data + at + 3, t->out.data + at, len);
            memcpy(t->out.data + at, "(?:", 3);
        }
        pw_buf_addc(&t->out, ')');
    }
    pw_buf_add(&t->out, t->s + start, t->i - start);
    t->quantified = true;
    t->last_repeat = start;
    t->repeated = true;
    return 0;
}

/* Go's parsePerlFlags: t->i is at "(?". */
static int perl_flags(struct tr *t)
{
    size_t start = t->i;
    if (t->n - t->i > 4 && t->s[t->i + 2] == 'P' && t->s[t->i + 3] == '<') {
        const char *gt = memchr(t->s + t->i, '>', t->n - t->i);
        if (!gt) {
            uint32_t r;
            for (size_t k = t->i; k < t->n;) {
                size_t l = pw_utf8_decode((const unsigned char *)t->s + k, t->n - k, &r);
                if (l == 0)
                    return go_error(t, "invalid UTF-8", t->s + k, t->n - k);
                k += l;
            }
            return go_error(t, "invalid named capture", t->s + start, t->n - start);
        }
        const char *name = t->s + t->i + 4;
        size_t len = (size_t)(gt - name);
        bool ok = len > 0;
        for (size_t k = 0; ok && k < len; k++)
            ok = name[k] == '_' || is_alnum((unsigned char)name[k]);
        if (!ok) {
            uint32_t r;
            for (size_t k = 0; k < len;) {
                size_t l = pw_utf8_decode((const unsigned char *)name + k, len - k, &r);
                if (l == 0)
                    return go_error(t, "invalid UTF-8", name + k, len - k);
                k += l;
            }
            return go_error(t, "invalid named capture", t->s + start, len + 5);
        }
        t->i = (size_t)(gt - t->s) + 1;
        open_group(t, "(", 1);
        return 0;
    }
    t->i += 2;
    int sign = 1;
    bool saw_flag = false;
    size_t flags_start = t->i;
    while (t->i < t->n) {
        uint32_t c;
        if (next_rune(t, &c) < 0)
            return -1;
        if (c == 'i' || c == 'm' || c == 's' || c == 'U') {
            saw_flag = true;
        } else if (c == '-') {
            if (sign < 0)
                break;
            sign = -1;
            saw_flag = false;
        } else if (c == ':' || c == ')') {
            if (sign < 0 && !saw_flag)
                break;
            size_t nflags = t->i - 1 - flags_start;
            if (c == ':') {
                open_group(t, t->s + start, t->i - start);
            } else if (nflags > 0) {
                /* Go lets a repetition after "(?i)" apply to the item before it; PCRE2 does
                 * not, so the flags are written after any repetition that follows. */
                pw_buf_adds(&t->pending, "(?");
                pw_buf_add(&t->pending, t->s + flags_start, nflags);
                pw_buf_addc(&t->pending, ')');
            }
            return 0;
        } else {
            break;
        }
    }
    return go_error(t, "invalid or unsupported Perl syntax", t->s + start, t->i - start);
}

/* Assertions are wrapped so that PCRE2 accepts a repetition after them, as Go does. */
static void emit_assertion(struct tr *t, const char *a)
{
    begin_item(t);
    pw_buf_addf(&t->out, "(?:%s)", a);
}

static int translate_one(struct tr *t)
{
    size_t start = t->i;
    char c = t->s[t->i];
    uint32_t r;
    int rc;
    switch (c) {
    case '(':
        if (t->i + 1 < t->n && t->s[t->i + 1] == '?')
            return perl_flags(t);
        t->i++;
        open_group(t, "(", 1);
        return 0;
    case '|':
        t->i++;
        flush_flags(t);
        pw_buf_addc(&t->out, '|');
        t->have_item = false;
        return 0;
    case ')':
        if (t->depth == 0)
            return go_error(t, "unexpected )", t->s, t->n);
        t->i++;
        flush_flags(t);
        pw_buf_addc(&t->out, ')');
        t->item_start = t->groups[--t->depth];
        t->quantified = false;
        t->have_item = true;
        return 0;
    case '^':
        t->i++;
        emit_assertion(t, "^");
        return 0;
    case '$':
        t->i++;
        emit_assertion(t, "$");
        return 0;
    case '.':
        t->i++;
        begin_item(t);
        pw_buf_addc(&t->out, '.');
        return 0;
    case '[': begin_item(t); return parse_class(t);
    case '*':
    case '+':
    case '?': t->i++; return repetition(t, start);
    case '{': {
        long min, max;
        size_t end;
        if (!parse_repeat(t, &min, &max, &end)) {
            t->i++;
            begin_item(t);
            emit_rune(t, '{');
            return 0;
        }
        if (min < 0 || min > 1000 || max > 1000 || (max >= 0 && min > max))
            return go_error(t, "invalid repeat count", t->s + start, end - start);
        t->i = end;
        return repetition(t, start);
    }
    case '\\':
        if (t->i + 1 < t->n) {
            switch (t->s[t->i + 1]) {
            case 'A':
                t->i += 2;
                emit_assertion(t, "\\A");
                return 0;
            case 'b':
                t->i += 2;
                emit_assertion(t, "\\b");
                return 0;
            case 'B':
                t->i += 2;
                emit_assertion(t, "\\B");
                return 0;
            case 'z':
                t->i += 2;
                emit_assertion(t, "\\z");
                return 0;
            case 'C': return go_error(t, "invalid escape sequence", t->s + t->i, 2);
            case 'Q': {
                t->i += 2;
                const char *e = memmem(t->s + t->i, t->n - t->i, "\\E", 2);
                size_t lit_end = e ? (size_t)(e - t->s) : t->n;
                while (t->i < lit_end) {
                    if (next_rune(t, &r) < 0)
                        return -1;
                    begin_item(t);
                    emit_rune(t, r);
                }
                if (e)
                    t->i += 2;
                return 0;
            }
            }
        }
        begin_item(t);
        if ((rc = unicode_class(t, false)) != 0)
            return rc < 0 ? -1 : 0;
        if (perl_class(t, false))
            return 0;
        if (parse_escape(t, &r) < 0)
            return -1;
        emit_rune(t, r);
        return 0;
    default:
        if (next_rune(t, &r) < 0)
            return -1;
        begin_item(t);
        emit_rune(t, r);
        return 0;
    }
}

/* Checks pattern as Go's parser does and writes the PCRE2 equivalent into t->out. */
static int translate(struct tr *t)
{
    while (t->i < t->n) {
        t->repeated = false;
        if (translate_one(t) < 0)
            return -1;
        /* Go's lastRepeat: remembered only right after a repetition */
        if (!t->repeated)
            t->last_repeat = SIZE_MAX;
        if (t->depth >= PW_MAX_REGEX_NESTING)
            return go_error(t, "expression nests too deeply", t->s, t->n);
    }
    if (t->depth > 0)
        return go_error(t, "missing closing )", t->s, t->n);
    pw_buf_add(&t->out, t->pending.data, t->pending.len);
    return 0;
}

int pw_regex_translate(const char *pattern, size_t n, struct pw_buf *out, struct pw_err *err)
{
    struct tr t = {.s = pattern, .n = n, .last_repeat = SIZE_MAX, .err = err};
    pw_buf_init(&t.out, 16 * n + 64);
    pw_buf_init(&t.pending, 16 * n + 64);
    t.groups = pw_xmalloc((PW_MAX_REGEX_NESTING + 1) * sizeof(*t.groups));
    int rc = translate(&t);
    pw_buf_release(&t.pending);
    free(t.groups);
    if (rc == 0 && t.out.overflow)
        rc = pw_fail(err, PW_EINVAL, "error parsing regexp: expression too large");
    if (rc == 0)
        pw_buf_add(out, t.out.data, t.out.len);
    pw_buf_release(&t.out);
    return rc;
}
