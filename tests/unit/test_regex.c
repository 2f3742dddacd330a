/* Unit tests for regex.c: Go regexp syntax and matching on PCRE2. Every expected value below was
 * checked against Go 1.19's regexp package (MatchString and Compile's error text). */
#include <stdlib.h>

#include "harness.h"
#include "pprofweb/buf.h"
#include "pprofweb/regex.h"

struct match_case {
    const char *pattern, *subject;
    int want;
};

/* Subjects are NUL-terminated except where noted; "\xff" is invalid UTF-8. */
static const struct match_case matches[] = {
    {"main\\.next", "main.next", 1},
    {"main\\.next", "mainxnext", 0},
    {"main\\.next", "runtime.main.next", 1}, /* unanchored search */
    {"^b$", "a\nb\nc", 0},                   /* ^ and $ are text anchors by default */
    {"(?m)^b$", "a\nb\nc", 1},
    {"a$", "a\n", 0}, /* $ does not match before a final newline (PCRE2 would) */
    {"a$", "a", 1},
    {"\\v", "\v", 1}, /* Go's \v is VT, PCRE2's is a class */
    {"\\v", "v", 0},
    {"\\s", "\v", 0}, /* Go's \s has no VT */
    {"\\s", " ", 1},
    {"\\S", "\v", 1},
    {"[[:space:]]", "\v", 1}, /* but POSIX space has it */
    {"[[:^space:]]", "x", 1},
    {"\\d", "\xd9\xa1", 0}, /* ASCII digits only */
    {"\\w", "\xc3\xa9", 0},
    {"\\pL", "\xc3\xa9", 1},
    {"\\p{Greek}", "\xce\xb1", 1},
    {"\\P{L}", "a", 0},
    {"\\p{^L}", "1", 1},
    {"(?i)ABC", "xabcx", 1},
    {"(?i:a)b", "AB", 0},
    {"(?i)k", "\xe2\x84\xaa", 1}, /* Kelvin sign folds to k */
    {"[]a]", "]", 1},
    {"[^]a]", "b", 1},
    {"[a-]", "-", 1},
    {"[a-b-c]", "-", 1},
    {"[\\d-z]", "-", 1},
    {"a{,5}", "a{,5}", 1}, /* not a repeat in Go: literal */
    {"a{01}", "a{01}", 1},
    {"x{2,}", "x", 0},
    {"\\Qa.b\\E", "axb", 0},
    {"\\Qa.b", "a.b", 1},
    {"\\12", "\n", 1}, /* octal */
    {"\\x{41}", "A", 1},
    {"\\_", "_", 1},
    {"^*a", "a", 1},
    {"\\bfoo\\b", "a foo b", 1},
    {"\\bfoo\\b", "afoob", 0},
    {".", "\n", 0},
    {"(?s).", "\n", 1},
    {"[^a]", "\n", 1},
    {".", "\xff", 1}, /* an invalid byte is U+FFFD to Go */
    {"a.b",
     "a\xff"
     "b",
     1},
    {"\\x{fffd}", "\xff", 1},
    {"(a|b)*c", "abac", 1},
    {"^(malloc|free)$", "malloc", 1},
    {"^(malloc|free)$", "xmalloc", 0},
    /* a repetition after a flag group applies to the item before the group */
    {"xa(?i)+y", "xaaay", 1},
    {"xa(?i)+y", "XAY", 0},
    {"-+(?i){2}:", "----:", 1},
    {"-+(?i){2}:", "-:", 0},
};

struct error_case {
    const char *pattern, *want;
};

static const struct error_case errors[] = {
    {"(", "error parsing regexp: missing closing ): `(`"},
    {"a)", "error parsing regexp: unexpected ): `a)`"},
    {"[a", "error parsing regexp: missing closing ]: `[a`"},
    {"a**", "error parsing regexp: invalid nested repetition operator: `**`"},
    {"a*?+", "error parsing regexp: invalid nested repetition operator: `*?+`"},
    {"a++", "error parsing regexp: invalid nested repetition operator: `++`"},
    {"*", "error parsing regexp: missing argument to repetition operator: `*`"},
    {"a|*", "error parsing regexp: missing argument to repetition operator: `*`"},
    {"a{2}{3}", "error parsing regexp: invalid nested repetition operator: `{2}{3}`"},
    {"a{1001}", "error parsing regexp: invalid repeat count: `{1001}`"},
    {"a{2,1}", "error parsing regexp: invalid repeat count: `{2,1}`"},
    {"\\h", "error parsing regexp: invalid escape sequence: `\\h`"},
    {"\\1", "error parsing regexp: invalid escape sequence: `\\1`"},
    {"(a)\\1", "error parsing regexp: invalid escape sequence: `\\1`"},
    {"\\Z", "error parsing regexp: invalid escape sequence: `\\Z`"},
    {"\\C", "error parsing regexp: invalid escape sequence: `\\C`"},
    {"\\x4", "error parsing regexp: invalid escape sequence: `\\x4`"},
    {"\\x{110000}", "error parsing regexp: invalid escape sequence: `\\x{110000`"},
    {"a\\", "error parsing regexp: trailing backslash at end of expression: ``"},
    {"(?=a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"},
    {"(?<=a)b", "error parsing regexp: invalid or unsupported Perl syntax: `(?<`"},
    {"(?<n>a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?<`"},
    {"(?i-)a", "error parsing regexp: invalid or unsupported Perl syntax: `(?i-)`"},
    {"(*UTF)a", "error parsing regexp: missing argument to repetition operator: `*`"},
    {"(?P<n!>a)", "error parsing regexp: invalid named capture: `(?P<n!>`"},
    {"(?P<name", "error parsing regexp: invalid named capture: `(?P<name`"},
    {"[z-a]", "error parsing regexp: invalid character class range: `z-a`"},
    {"[a-\\d]", "error parsing regexp: invalid escape sequence: `\\d`"},
    {"[[:foo:]]", "error parsing regexp: invalid character class range: `[:foo:]`"},
    {"\\p{Foo}", "error parsing regexp: invalid character class range: `\\p{Foo}`"},
    {"\\Pl", "error parsing regexp: invalid character class range: `\\Pl`"},
    {"\\p", "error parsing regexp: invalid character class range: `\\p`"},
    {"\xff", "error parsing regexp: invalid UTF-8: `\xff`"},
};

static void test_find_and_quote(void)
{
    struct pw_err err = {0};
    struct pw_regex *re = pw_regex_compile("b+", &err);
    size_t s = 0, e = 0;
    CHECK(re && pw_regex_find(re, "abbcb", 5, 0, &s, &e), "find b+");
    CHECK_INTEQ(s, 1);
    CHECK_INTEQ(e, 3);
    CHECK(pw_regex_find(re, "abbcb", 5, 3, &s, &e) && s == 4 && e == 5, "find from 3");
    CHECK(!pw_regex_find(re, "abbcb", 5, 5, &s, &e), "nothing after the end");
    CHECK_STREQ(pw_regex_source(re), "b+");
    pw_regex_free(re);

    /* offsets in subjects with invalid UTF-8 are those of the original bytes */
    re = pw_regex_compile("b.c", &err);
    CHECK(re &&
              pw_regex_find(re,
                            "\xff"
                            "ab\xff"
                            "c",
                            5, 0, &s, &e) &&
              s == 2 && e == 5,
          "offsets across invalid bytes: %zu..%zu", s, e);
    pw_regex_free(re);

    struct pw_buf b;
    pw_buf_init(&b, 0);
    pw_regex_quote_meta("a.b*c(d)[e]{f}|^$\\+?", &b);
    CHECK_STREQ(pw_buf_str(&b), "a\\.b\\*c\\(d\\)\\[e\\]\\{f\\}\\|\\^\\$\\\\\\+\\?");
    struct pw_regex *q = pw_regex_compile(pw_buf_str(&b), &err);
    CHECK(q && pw_regex_match_cstr(q, "xa.b*c(d)[e]{f}|^$\\+?y"), "quoted text matches itself");
    pw_regex_free(q);
    pw_buf_release(&b);

    CHECK(!pw_regex_match_cstr(NULL, "x"), "NULL regex never matches");

    /* the translation PCRE2 sees */
    struct pw_buf t;
    pw_buf_init(&t, 0);
    CHECK_INTEQ(pw_regex_translate("\\v$", 3, &t, &err), 0);
    CHECK_STREQ(pw_buf_str(&t), "\\x{b}(?:$)");
    pw_buf_reset(&t);
    CHECK_INTEQ(pw_regex_translate("[^\\d]x(?i)*", 11, &t, &err), 0);
    CHECK_STREQ(pw_buf_str(&t), "[^0-9]x*(?i)"); /* flags move after the repetition */
    pw_buf_release(&t);
}

static void test_pathological(void)
{
    /* exponential backtracking in PCRE2 neither hangs nor changes the answer */
    struct pw_err err = {0};
    struct pw_regex *re = pw_regex_compile("(a*)*b", &err);
    char s[64];
    memset(s, 'a', sizeof s - 1);
    s[sizeof s - 1] = 0;
    CHECK(re != NULL, "compiles");
    CHECK(!pw_regex_match_cstr(re, s), "no match");
    pw_regex_free(re);

    /* past the backtracking limit the DFA matcher still gives Go's answer */
    re = pw_regex_compile("(x+x+)+y", &err);
    CHECK(re && pw_regex_match_cstr(re, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx!xxy"), "late match");
    CHECK(!pw_regex_match_cstr(re, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx!xx"), "no match");
    pw_regex_free(re);

    /* deep nesting is Go's error, not a stack overflow */
    char deep[2100];
    memset(deep, '(', 1050);
    memset(deep + 1050, ')', 1050);
    deep[2100 - 1] = 0;
    re = pw_regex_compile(deep, &err);
    CHECK(!re && strstr(err.msg, "expression nests too deeply"), "nesting: %s", err.msg);
}

int main(void)
{
    for (size_t i = 0; i < sizeof matches / sizeof *matches; i++) {
        const struct match_case *c = &matches[i];
        struct pw_err err = {0};
        struct pw_regex *re = pw_regex_compile(c->pattern, &err);
        CHECK(re != NULL, "compile %s: %s", c->pattern, err.msg);
        if (!re)
            continue;
        CHECK(pw_regex_match_cstr(re, c->subject) == c->want, "%s on \"%s\": want %d", c->pattern,
              c->subject, c->want);
        pw_regex_free(re);
    }
    for (size_t i = 0; i < sizeof errors / sizeof *errors; i++) {
        struct pw_err err = {0};
        struct pw_regex *re = pw_regex_compile(errors[i].pattern, &err);
        CHECK(re == NULL, "%s should not compile", errors[i].pattern);
        pw_regex_free(re);
        CHECK_STREQ(err.msg, errors[i].want);
        CHECK_INTEQ(err.code, PW_EINVAL);
    }
    test_find_and_quote();
    test_pathological();
    return harness_done();
}
