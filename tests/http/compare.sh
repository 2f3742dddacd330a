#!/usr/bin/env bash
# HTTP tests of comparisons (base=ID, diff_base=ID, norm=t): the real server holds
# shop.heap-t1 (command line) and shop.heap-t0 (uploaded into a fresh -store), two snapshots of
# one service. Every view of the comparison equals the command line's report of
# `pprofweb -base/-diff_base shop.heap-t0.pb.gz shop.heap-t1.pb.gz` with the same flags: top and
# peek as text (json2text.py), the graph (graphcheck.py against -dot), the source listing (-list),
# the flame graph's totals and per-function cum (against -top -filefunctions), the download (its
# -top). Bad bases are 422/404/400 with a message naming them, and the server keeps serving;
# a repeated view comes from the cache; the link works after a restart on the same store.
# Ends with "compare http: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
. tests/http/lib.sh "compare http"

NEW=testdata/profiles/shop.heap-t1.pb.gz
OLD=testdata/profiles/shop.heap-t0.pb.gz
STORE=$TMP/store
start_server -store "$STORE" "$NEW" || abort
ID=$(curl -s "$URL/api/meta" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
B=$(curl -s --data-binary @"$OLD" "$URL/api/upload?name=shop.heap-t0.pb.gz" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "ids" test -n "$ID" -a -n "$B"

# same_text VIEW QUERY CLI-FLAGS...: /p/ID/api/VIEW?QUERY as text equals pprofweb CLI-FLAGS NEW.
same_text() {
    local view=$1 query=$2; shift 2
    local st
    st=$(curl -s -o "$TMP/view.json" -w '%{http_code}' "$URL/p/$ID/api/$view?$query")
    if [ "$st" != 200 ]; then
        bad "/api/$view?$query: status $st: $(head -c 300 "$TMP/view.json")"
        return
    fi
    if [ "$view" = source ]; then
        python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["text"])' < "$TMP/view.json" > "$TMP/web.txt"
    else
        python3 tests/http/json2text.py "$view" < "$TMP/view.json" > "$TMP/web.txt"
    fi
    "$BIN" "$@" "$NEW" > "$TMP/cli.txt" 2> /dev/null
    if [ "$view" = source ]; then # the listing without its header lines
        sed -n '/^ROUTINE/,$p' "$TMP/cli.txt" > "$TMP/cli2.txt"
        sed -n '/^ROUTINE/,$p' "$TMP/web.txt" > "$TMP/web2.txt"
        mv "$TMP/cli2.txt" "$TMP/cli.txt"; mv "$TMP/web2.txt" "$TMP/web.txt"
        [ -s "$TMP/cli.txt" ] || { bad "/api/source?$query: empty listing"; return; }
    fi
    if diff -u "$TMP/cli.txt" "$TMP/web.txt" > "$TMP/diff"; then ok; else
        bad "/api/$view?$query differs from pprofweb $* $NEW:"
        head -n 20 "$TMP/diff"
    fi
}

for kind in base diff_base; do
    q="$kind=$B"
    same_text top "$q" -top "-$kind=$OLD"
    same_text top "$q&sort=cum" -top -cum "-$kind=$OLD"
    same_text top "$q&norm=t" -top -normalize "-$kind=$OLD"
    same_text top "$q&si=alloc_space" -top -sample_index=alloc_space "-$kind=$OLD"
    same_text top "$q&si=inuse_objects&f=main" -top -sample_index=inuse_objects -focus=main "-$kind=$OLD"
    same_text top "$q&i=runtime&g=lines" -top -ignore=runtime -lines "-$kind=$OLD"
    same_text top "$q&h=runtime&trim=f" -top -hide=runtime -trim=false "-$kind=$OLD"
    same_text top "$q&dropneg=t" -top -drop_negative "-$kind=$OLD"
    same_text peek "$q&f=main%5C." -peek='main\.' -focus='main\.' -lines "-$kind=$OLD"
    same_text source "$q&f=main%5C.remember" -list='main\.remember' "-$kind=$OLD"

    # The graph against -dot with the same flags.
    for extra in "" "&norm=t" "&si=alloc_space&n=10"; do
        st=$(curl -s -o "$TMP/graph.json" -w '%{http_code}' "$URL/p/$ID/api/graph?$q$extra")
        flags=()
        case $extra in *norm*) flags+=(-normalize) ;; *alloc_space*) flags+=(-sample_index=alloc_space -nodecount=10) ;; esac
        "$BIN" -dot "${flags[@]}" "-$kind=$OLD" "$NEW" > "$TMP/cli.dot" 2> /dev/null
        if [ "$st" = 200 ] && python3 tests/http/graphcheck.py "$TMP/cli.dot" --json "$TMP/graph.json" > "$TMP/diff"; then
            ok
        else
            bad "/api/graph?$q$extra ($st) differs from pprofweb -dot ${flags[*]} -$kind:"; head -n 10 "$TMP/diff"
        fi
    done

    # The flame graph: its total is the -top report's, and each function's outermost boxes add
    # up to its cum in -top -filefunctions -trim=false (the flame graph's granularity), which
    # /api/top with the same settings is checked to equal first.
    same_text top "$q&g=filefunctions&trim=f" -top -filefunctions -trim=false "-$kind=$OLD"
    cp "$TMP/view.json" "$TMP/fftop.json"
    curl -s "$URL/p/$ID/api/flamegraph?$q&w=20000&minpx=0.01" > "$TMP/flame.json"
    curl -s "$URL/p/$ID/api/top" > "$TMP/newtop.json"
    curl -s "$URL/p/$B/api/top" > "$TMP/basetop.json"
    if python3 - "$TMP/flame.json" "$TMP/fftop.json" "$TMP/newtop.json" "$TMP/basetop.json" > "$TMP/diff" 2>&1 <<'PY'; then ok; else bad "flame graph of $kind: $(tail -n 2 "$TMP/diff")"; fi
import json, sys
d = json.load(open(sys.argv[1]))
top = json.load(open(sys.argv[2]))
new_total = json.load(open(sys.argv[3]))["total"]
base_total = json.load(open(sys.argv[4]))["total"]
assert d["diff"], "a comparison is a diff"
# pprof's model: the root is as wide as base plus new, with either kind.
root = d["nodes"][:len(d["fields"])]
w = root[d["fields"].index("w")]
assert w == new_total + base_total, ("root width", w, new_total, base_total)
assert d["compare"]["base"]["name"] == "shop.heap-t0.pb.gz", d.get("compare")
assert d["total"] == top["total"], (d["total"], top["total"])
k = len(d["fields"]); ix = {f: i for i, f in enumerate(d["fields"])}
s, fr = d["strings"], d["frames"]
boxes = [d["nodes"][i:i + k] for i in range(0, len(d["nodes"]), k)]
names = [s[fr[5 * b[ix["frame"]]]] if b[ix["frame"]] >= 0 else None for b in boxes]
cum, above = {}, []
for i, b in enumerate(boxes):
    p = b[ix["parent"]]
    chain = set() if p < 0 else above[p] | {names[p]}
    above.append(chain)
    if names[i] is not None and names[i] not in chain and b[ix["id"]] >= 0:
        cum[names[i]] = cum.get(names[i], 0) + b[ix["cum"]]
checked = 0
for r in top["rows"]:
    name = r["name"] + (" " + r["inline"] if r.get("inline") else "")
    got = cum.get(r["name"], cum.get(name, 0))
    assert got == r["cum"], (name, got, r["cum"])
    checked += 1
assert checked >= 5 and any(r["cum"] < 0 for r in top["rows"]), checked
PY

    # The download is the compared profile: its -top is the command line's.
    curl -s -o "$TMP/dl.pb.gz" "$URL/p/$ID/ui/download?$q"
    "$BIN" -top "$TMP/dl.pb.gz" 2> /dev/null | tail -n +4 > "$TMP/web.txt"
    "$BIN" -top "-$kind=$OLD" "$NEW" 2> /dev/null | tail -n +4 > "$TMP/cli.txt"
    check "download of $kind is the compared profile" cmp -s "$TMP/web.txt" "$TMP/cli.txt"

    # The top rows carry base and new: new - base is the change.
    curl -s "$URL/p/$ID/api/top?$q" > "$TMP/t.json"
    check "top rows of $kind carry base and new" python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
assert rows and all(r["new_flat"] - r["base_flat"] == r["flat"] and r["new_cum"] - r["base_cum"] == r["cum"] for r in rows)
assert any(r["base_flat"] > 0 and r["new_flat"] == 0 for r in rows)  # a frame that vanished
' "$TMP/t.json"
done

# The default profile's routes and the page take the parameters too (the timeline's links are
# /p/LATER/ui/?base=EARLIER).
check "/api/top?diff_base" cmp -s <(curl -s "$URL/api/top?diff_base=$B") <(curl -s "$URL/p/$ID/api/top?diff_base=$B")
for p in /ui/ /ui/top /ui/flamegraph /ui/peek /ui/source; do
    check "page $p?base" test "$(code "/p/$ID$p?base=$B")" = 200
done
check "graph of /p/ID/ui/?base=" test "$(code "/p/$ID/api/graph?base=$B")" = 200
check "meta names the comparison" grep -q "\"compare\":{\"kind\":\"base\",\"normalize\":true" <(curl -s "$URL/p/$ID/api/meta?base=$B&norm=t")

# Bad bases: a message naming them, nothing cached, the server keeps serving.
CPU=$(curl -s --data-binary @testdata/profiles/shop.cpu.pb.gz "$URL/api/upload?name=cpu.pb.gz" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
err_is 422 "/p/$ID/api/top?base=$CPU" "profile $ID \\(alloc_objects/count.*\\) and base $CPU \\(samples/count, cpu/nanoseconds\\) have different sample types"
err_is 422 "/p/$ID/api/flamegraph?diff_base=$CPU" "base $CPU"
err_is 422 "/p/$ID/ui/top?diff_base=$CPU" "."
err_is 404 "/p/$ID/api/top?base=0123456789abcdef01234567" "base: unknown profile id 0123456789abcdef01234567"
err_is 404 "/p/$ID/api/top?diff_base=no%2Fsuch" "diff_base: unknown profile id no/such"
err_is 404 "/p/$ID/ui/download?base=nosuch" "unknown profile id nosuch"
err_is 400 "/p/$ID/api/top?base=$B&diff_base=$B" "give one of them"
err_is 400 "/p/$ID/api/top?base=$B&norm=maybe" "normalize"
check "still serving" test "$(code "/p/$ID/api/top?diff_base=$B")" = 200
check "an empty base is none" cmp -s <(curl -s "$URL/p/$ID/api/top?base=" | sed 's/"query":"[^"]*"//') <(curl -s "$URL/p/$ID/api/top" | sed 's/"query":"[^"]*"//')
check "a profile against itself is all zero" python3 -c '
import json, sys
d = json.load(sys.stdin)
assert all(r["flat"] == 0 and r["cum"] == 0 for r in d["rows"]), d["rows"][:2]
' < <(curl -s "$URL/p/$ID/api/top?base=$ID")

# The base and new columns are each profile's own values, also for a function whose inline mark
# differs between the base alone and the comparison (inlined everywhere in one profile and also
# called in the other, as inlining changes between builds): two generated profiles of inlined
# functions, with a few such functions.
GEN=../shared/bench/genprof.py
upload() { # FILE NAME -> id
    curl -s --data-binary @"$1" "$URL/api/upload?name=$2" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
python3 $GEN --samples 2000 --functions 400 --seed 1 -o "$TMP/g1.pb.gz" > /dev/null 2>&1
python3 $GEN --samples 2000 --functions 400 --seed 2 -o "$TMP/g2.pb.gz" > /dev/null 2>&1
G1=$(upload "$TMP/g1.pb.gz" g1.pb.gz) G2=$(upload "$TMP/g2.pb.gz" g2.pb.gz)
for id in "$G1" "$G2"; do curl -s "$URL/p/$id/api/top?nf=0&ef=0" > "$TMP/own-$id.json"; done
curl -s "$URL/p/$G1/api/top?diff_base=$G2&nf=0&ef=0" > "$TMP/g.json"
check "base and new columns are each profile's values, whatever their inline marks" python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
new, base = ({r["name"]: r for r in json.load(open(f))["rows"]} for f in sys.argv[2:])
marks_differ = 0
for r in rows:
    b, n = base.get(r["name"], {}), new.get(r["name"], {})
    got = (r["base_flat"], r["base_cum"], r["new_flat"], r["new_cum"])
    want = (b.get("flat", 0), b.get("cum", 0), n.get("flat", 0), n.get("cum", 0))
    assert got == want, (r["name"], got, want)
    marks_differ += bool(b) and b.get("inline", "") != r.get("inline", "")
assert len(rows) > 500 and marks_differ > 0, (len(rows), marks_differ)
' "$TMP/g.json" "$TMP/own-$G1.json" "$TMP/own-$G2.json"

# Repeated views are answered from the cache (same body, fast).
curl -s "$URL/p/$ID/api/flamegraph?diff_base=$B&dm=new" > "$TMP/a.json"
t=$(curl -s -o "$TMP/b.json" -w '%{time_total}' "$URL/p/$ID/api/flamegraph?diff_base=$B&dm=new")
check "repeated flame graph identical" cmp -s "$TMP/a.json" "$TMP/b.json"
check "repeated flame graph fast ($t s)" python3 -c "import sys; sys.exit(0 if float('$t') < 0.2 else 1)"
curl -s "$URL/p/$ID/api/top?diff_base=$B" > "$TMP/d1.json"
curl -s "$URL/p/$ID/api/top?base=$B" > "$TMP/b1.json"
check "base and diff_base are cached apart" sh -c "! cmp -s $TMP/d1.json $TMP/b1.json"

# After a restart on the same store, without the profile on the command line.
check "server stops" stop_server
start_server -store "$STORE" || abort
curl -s "$URL/p/$ID/api/top?diff_base=$B" > "$TMP/d2.json"
# (The profile's name was its command-line path before; now it is the stored file name.)
check "link survives a restart" python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
assert a["rows"] == b["rows"] and a["legend"] == b["legend"] and a["compare"] == b["compare"]
' "$TMP/d1.json" "$TMP/d2.json"
check "swapped link" test "$(code "/p/$B/api/top?diff_base=$ID")" = 200
check "server exits 0" stop_server
summary
