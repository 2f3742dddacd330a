#!/usr/bin/env python3
"""Turns a pprofweb JSON view (stdin) back into the text report the command line prints for the
same settings, so HTTP tests can diff the web data against `pprofweb -top` / `-peek` byte for
byte. Usage: json2text.py top|peek < view.json"""
import json
import sys

SEP = "----------------------------------------------------------+-------------"


def pct(s):
    # pprof pads percentages to 6 columns ("%5.2f%%" or "  100%").
    return s.rjust(6)


def top(d):
    out = list(d["legend"])
    out.append("%10s %5s%% %5s%% %10s %5s%%" % ("flat", "flat", "sum", "cum", "cum"))
    for r in d["rows"]:
        name = r["name"] + (" " + r["inline"] if r.get("inline") else "")
        out.append("%10s %s %s %10s %s  %s" % (r["flat_fmt"], pct(r["flat_pct"]),
                   pct(r["sum_pct"]), r["cum_fmt"], pct(r["cum_pct"]), name))
    return out


def peek(d):
    out = list(d["legend"])
    out.append(SEP)
    out.append("      flat  flat%   sum%        cum   cum%   calls calls% + context \t \t ")
    for e in d["entries"]:
        out.append(SEP)
        for c in e["callers"]:
            out.append("%50s %s |   %s%s" % (c["weight_fmt"], pct(c["pct"]), c["name"],
                       " (inline)" if c.get("inline") else ""))
        out.append("%10s %s %s %10s %s                | %s" % (e["flat_fmt"], pct(e["flat_pct"]),
                   pct(e["sum_pct"]), e["cum_fmt"], pct(e["cum_pct"]), e["name"]))
        for c in e["callees"]:
            out.append("%50s %s |   %s%s" % (c["weight_fmt"], pct(c["pct"]), c["name"],
                       " (inline)" if c.get("inline") else ""))
    if d["entries"]:
        out.append(SEP)
    return out


def main():
    d = json.load(sys.stdin)
    lines = {"top": top, "peek": peek}[sys.argv[1]](d)
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
