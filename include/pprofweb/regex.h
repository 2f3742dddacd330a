/* regex: Go (RE2) regular expressions, as pprof users write them for -focus, -ignore, -show,
 * tag filters and drop_frames, matched with PCRE2. Owned by the filter helper.
 *
 * pw_regex_compile() parses the pattern with Go's regexp/syntax rules, rejects what Go rejects
 * with Go's message ("error parsing regexp: missing closing ): `(`"), and translates the rest
 * to an equivalent PCRE2 pattern: ASCII \d \s \w \b, $ only at the end of text, no
 * backreferences, lookaround or possessive forms. Matching is an unanchored search over UTF-8
 * text, as Go's MatchString; each byte of invalid UTF-8 in a subject reads as U+FFFD, as in Go. The
 * caller owns the returned struct and frees it with pw_regex_free(). A compiled regex holds its own
 * match scratch: use it from one thread at a time. */
#ifndef PPROFWEB_REGEX_H
#define PPROFWEB_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pprofweb/err.h"

struct pw_regex;
struct pw_buf;

/* Compiles pattern (NUL-terminated). On failure returns NULL and fills err (PW_EINVAL) with
 * Go's message, without any "parsing ... regexp:" context: callers prefix that. */
struct pw_regex *pw_regex_compile(const char *pattern, struct pw_err *err);
void pw_regex_free(struct pw_regex *re);

/* True when re matches anywhere in s[0..len). NULL re never matches. */
bool pw_regex_match(const struct pw_regex *re, const char *s, size_t len);
bool pw_regex_match_cstr(const struct pw_regex *re, const char *s);

/* Finds the leftmost match at or after offset from (a character boundary) in s[0..len), with
 * Go's leftmost-first rules; sets [*start, *end) and returns true, or returns false. Patterns
 * that backtrack exponentially on s get the longest match at that start instead. */
bool pw_regex_find(const struct pw_regex *re, const char *s, size_t len, size_t from, size_t *start,
                   size_t *end);

/* Appends s with every regexp metacharacter escaped (Go's regexp.QuoteMeta). */
void pw_regex_quote_meta(const char *s, struct pw_buf *out);

/* A budget of matching time for the calling thread, such as one HTTP request: once ms of
 * matching have been spent, patterns compiled on this thread while the budget is open stop
 * matching, every later match on the thread answers false, and pw_regex_budget_exceeded() is
 * true until pw_regex_budget_end(). Results computed after that are wrong and must be dropped.
 * Without an open budget (the command line) matching is unbounded. */
void pw_regex_budget_begin(unsigned ms);
bool pw_regex_budget_exceeded(void);
void pw_regex_budget_end(void);

/* The source pattern re was compiled from. */
const char *pw_regex_source(const struct pw_regex *re);

/* --- regex_syntax.c --- */

/* A filter expression typed by a user; real ones are tens of bytes. */
#define PW_MAX_REGEX ((size_t)64 << 10)
/* Go's maxHeight: 1000 nested groups are "expression nests too deeply" (Go counts only
 * capturing groups; we count all, which differs only for absurd patterns). */
#define PW_MAX_REGEX_NESTING 1000

/* Checks pattern[0..n) with Go's regexp/syntax rules and appends the equivalent PCRE2 pattern
 * to out. Returns -1 with Go's message in err when Go would reject it. */
int pw_regex_translate(const char *pattern, size_t n, struct pw_buf *out, struct pw_err *err);
/* Decodes one rune as Go's utf8.DecodeRuneInString; returns its length, 0 when s[0..n) does
 * not start with valid UTF-8. */
size_t pw_utf8_decode(const unsigned char *s, size_t n, uint32_t *r);

#endif
