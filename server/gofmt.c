/* gofmt: reproductions of Go standard library text formats used in pprof's reports, so our
 * output matches go tool pprof byte for byte. */
#include "pprofweb/gofmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void pw_go_hex(uint64_t v, char *out, size_t n)
{
    snprintf(out, n, "0x%llx", (unsigned long long)v);
}

void pw_go_time_string(int64_t nanos, char *out, size_t n)
{
    time_t secs = (time_t)(nanos / 1000000000);
    int64_t frac = nanos % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        secs--;
    }
    struct tm tm;
    localtime_r(&secs, &tm);
    char date[64];
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
    char fr[16] = "";
    if (frac) {
        snprintf(fr, sizeof(fr), ".%09lld", (long long)frac);
        size_t l = strlen(fr);
        while (l > 1 && fr[l - 1] == '0')
            fr[--l] = 0;
    }
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    const char *zone = tm.tm_zone ? tm.tm_zone : "";
    char zbuf[16];
    if (!*zone) {
        /* Go names an unnamed zone by its offset. */
        snprintf(zbuf, sizeof(zbuf), "%c%02ld%02ld", sign, off / 3600, off / 60 % 60);
        zone = zbuf;
    }
    snprintf(out, n, "%s%s %c%02ld%02ld %s", date, fr, sign, off / 3600, off / 60 % 60, zone);
}

/* Writes v / 10^prec's fractional digits (trailing zeros dropped) ending at end; returns the
 * new start and the integer part in *v. */
static char *fmt_frac(char *end, char *start, uint64_t *v, int prec)
{
    char *w = end;
    int print = 0;
    for (int i = 0; i < prec; i++) {
        unsigned digit = (unsigned)(*v % 10);
        print = print || digit != 0;
        if (print && w > start)
            *--w = (char)('0' + digit);
        *v /= 10;
    }
    if (print && w > start)
        *--w = '.';
    return w;
}

static char *fmt_int(char *end, char *start, uint64_t v)
{
    char *w = end;
    if (v == 0) {
        if (w > start)
            *--w = '0';
        return w;
    }
    while (v > 0 && w > start) {
        *--w = (char)('0' + v % 10);
        v /= 10;
    }
    return w;
}

void pw_go_duration_string(int64_t d, char *out, size_t n)
{
    char buf[40];
    char *end = buf + sizeof(buf) - 1;
    *end = 0;
    char *w = end;
    uint64_t u = (uint64_t)d;
    int neg = d < 0;
    if (neg)
        u = -u;
    if (u < 1000000000ull) {
        int prec;
        *--w = 's';
        if (u == 0) {
            snprintf(out, n, "0s");
            return;
        } else if (u < 1000ull) {
            prec = 0;
            *--w = 'n';
        } else if (u < 1000000ull) {
            prec = 3;
            w -= 2;
            memcpy(w, "\xc2\xb5", 2);
        } else {
            prec = 6;
            *--w = 'm';
        }
        w = fmt_frac(w, buf, &u, prec);
        w = fmt_int(w, buf, u);
    } else {
        *--w = 's';
        w = fmt_frac(w, buf, &u, 9);
        w = fmt_int(w, buf, u % 60);
        u /= 60;
        if (u > 0) {
            *--w = 'm';
            w = fmt_int(w, buf, u % 60);
            u /= 60;
            if (u > 0) {
                *--w = 'h';
                w = fmt_int(w, buf, u);
            }
        }
    }
    if (neg)
        *--w = '-';
    snprintf(out, n, "%s", w);
}

void pw_go_truncate_runes(char *s, size_t max)
{
    size_t runes = 0;
    for (char *p = s; *p; p++) {
        if (((unsigned char)*p & 0xc0) != 0x80) {
            if (runes == max) {
                *p = 0;
                return;
            }
            runes++;
        }
    }
}
