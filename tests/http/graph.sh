#!/usr/bin/env bash
# HTTP tests of the graph view: start the real server (build/pprofweb -http=127.0.0.1:0) and check
# /api/graph against the command line: the SVG parses as XML and draws the nodes, labels and
# edges of `pprofweb -dot` with the same flags (graphcheck.py), for every refinement the page
# offers; `-svg` draws the same graph; hostile function names stay text; too many nodes is 413;
# bad settings are 400 and unknown ids 404. Ends with "graph http: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
. tests/http/lib.sh "graph http"

# same_graph QUERY CLI-FLAGS...: /api/graph?QUERY draws the graph of pprofweb -dot CLI-FLAGS.
# GRAPHCHECK_FLAGS=--nolabels compares everything but the label text.
GRAPHCHECK_FLAGS=
same_graph() {
    local query=$1; shift
    local st
    st=$(curl -s -o "$TMP/graph.json" -w '%{http_code}' "$URL/api/graph?$query")
    if [ "$st" != 200 ]; then
        bad "/api/graph?$query: status $st: $(head -c 300 "$TMP/graph.json")"
        return
    fi
    "$BIN" -dot "$@" "$PROFILE" > "$TMP/cli.dot" 2> /dev/null
    if python3 tests/http/graphcheck.py $GRAPHCHECK_FLAGS "$TMP/cli.dot" --json "$TMP/graph.json" > "$TMP/diff"; then
        ok
    else
        bad "/api/graph?$query differs from pprofweb -dot $* $PROFILE:"
        head -n 10 "$TMP/diff"
    fi
}

# json_field FILE EXPR: prints a Python expression over the document d.
json_field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# --- the bundled CPU profile: every refinement against -dot ---
PROFILE=testdata/profiles/shop.cpu.pb.gz
start_server "$PROFILE" || abort
same_graph ""
same_graph "f=main%5C.checksum" '-focus=main\.checksum'
same_graph "i=runtime" -ignore=runtime
same_graph "h=runtime" -hide=runtime
same_graph "s=main" -show=main
same_graph "n=5" -nodecount=5
same_graph "n=200&nf=0&ef=0" -nodecount=200 -nodefraction=0 -edgefraction=0
same_graph "nf=0.05" -nodefraction=0.05
same_graph "ef=0.05" -edgefraction=0.05
same_graph "trim=f" -trim=false
same_graph "si=samples" -sample_index=samples
same_graph "calltree=t" -call_tree
same_graph "g=lines&n=30" -lines -nodecount=30
same_graph "g=files" -files
same_graph "noinlines=t" -noinlines
same_graph "f=main&i=json&sort=cum&rel=t" -focus=main -ignore=json -cum -relative_percentages
same_graph "unit=ms" -unit=ms

# the document
curl -s -o "$TMP/g.json" "$URL/api/graph"
check "view is graph" test "$(json_field "$TMP/g.json" 'd["view"]')" = graph
check "legend lines" grep -q 'Showing top 80 nodes out of' <(json_field "$TMP/g.json" '"\n".join(d["legend"])')
check "legend has no link line" test "$(json_field "$TMP/g.json" 'sum("git.io" in l for l in d["legend"])')" = 0
check "inline SVG, no prolog" test "$(json_field "$TMP/g.json" 'd["svg"][:4]')" = '<svg'
check "node table names" test "$(json_field "$TMP/g.json" 'd["nodes"][0]["name"]')" = "$("$BIN" -top -nodecount=1 "$PROFILE" | tail -n1 | awk '{print $6}')"
check "size in points" test "$(json_field "$TMP/g.json" 'int(d["width"] > 100 and d["height"] > 100)')" = 1
check "focus fewer nodes" test "$(curl -s "$URL/api/graph?f=main%5C.checksum" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["nodes"]))')" -lt "$(json_field "$TMP/g.json" 'len(d["nodes"])')"

# cached: the same bytes again
curl -s -o "$TMP/g2.json" "$URL/api/graph"
check "repeated request is the same document" cmp -s "$TMP/g.json" "$TMP/g2.json"
ID=$(json_field "$TMP/g.json" 'd["id"]')
check "/p/ID/api/graph equals /api/graph" cmp -s <(curl -s "$URL/p/$ID/api/graph?n=10") <(curl -s "$URL/api/graph?n=10")

# the page
for p in "/ui/" "/ui/?f=main" "/p/$ID/ui/" "/ui/?calltree=t&n=10"; do
    check "$p is the page" test "$(code "$p")" = 200
done
check "graph.js served" test "$(code /static/graph.js)" = 200
check "graph.css served" test "$(code /static/graph.css)" = 200
check "graph.js writes no HTML" sh -c "! grep -Eq '\.(inner|outer)HTML|insertAdjacentHTML|document\.write' web/graph.js"

# errors
err_is 400 "/api/graph?f=(" 'parsing focus regexp'
err_is 400 "/api/graph?h=a**" 'hide'
err_is 400 "/api/graph?n=abc" 'nodecount'
err_is 400 "/api/graph?si=nosuch" 'sample_index'
err_is 400 "/ui/?f=(" 'html'
err_is 404 "/p/0123456789abcdef/api/graph" 'unknown profile id'
err_is 404 "/p/0123456789abcdef/ui/" '.'
check "server alive" kill -0 "$SRV_PID"
check "SIGTERM stops the server" stop_server

# --- the command line: -svg draws the -dot graph; -output writes it to a file ---
"$BIN" -dot -focus=main "$PROFILE" > "$TMP/f.dot"
"$BIN" -svg -focus=main "$PROFILE" > "$TMP/f.svg"
check "-svg draws the -dot graph" python3 tests/http/graphcheck.py "$TMP/f.dot" --svg "$TMP/f.svg"
check "-svg is a standalone document" grep -q '^<svg width="100%" height="100%"' "$TMP/f.svg"
"$BIN" -svg -focus=main -output "$TMP/out.svg" "$PROFILE" > "$TMP/stdout"
check "-svg -output writes the file" cmp -s "$TMP/f.svg" "$TMP/out.svg"
check "-svg -output prints nothing" test ! -s "$TMP/stdout"

# --- hostile names: text in the SVG, exact in the node table ---
python3 tests/http/mkprof.py hostile "$TMP/hostile.pb.gz"
PROFILE=$TMP/hostile.pb.gz
start_server -symbolize=none "$PROFILE" || abort
GRAPHCHECK_FLAGS=--nolabels same_graph "" -symbolize=none
check "hostile labels are the names made safe" python3 -c 'import json,sys,xml.etree.ElementTree as ET
d = json.load(open(sys.argv[1]))
texts = {t.text for t in ET.fromstring(d["svg"]).iter("{http://www.w3.org/2000/svg}text")}
for n in ("main", "operator<<(std", "]]> <!-- x --> <?pi?>", "<script>alert(1)</script>", "ctl\ufffd\ufffd\ufffd end"):
    assert n in texts, (n, texts)' "$TMP/graph.json"
check "script name exact in the node table" grep -qx '<script>alert(1)</script>' <(json_field "$TMP/graph.json" '"\n".join(n["name"] for n in d["nodes"])')
check "script name is text in the SVG" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' <(json_field "$TMP/graph.json" 'd["svg"]')
"$BIN" -svg -symbolize=none "$PROFILE" > "$TMP/h.svg"
check "-svg with hostile names is well-formed" python3 -c 'import sys,xml.dom.minidom as m; m.parse(sys.argv[1])' "$TMP/h.svg"
stop_server > /dev/null

# --- too many nodes to lay out: 413 with advice, and the server carries on ---
python3 tests/http/mkprof.py wide 2100 "$TMP/wide.pb.gz"
start_server "$TMP/wide.pb.gz" || abort
err_is 413 "/api/graph?trim=f" 'lower the node count \(n\)'
PROFILE=$TMP/wide.pb.gz
same_graph "n=50" -nodecount=50
check "-svg past the cap fails" sh -c "! $BIN -svg -trim=false $TMP/wide.pb.gz > /dev/null 2> $TMP/cap.err"
check "-svg cap message" grep -q 'lower the node count' "$TMP/cap.err"
stop_server > /dev/null

# --- a diff: pprof's red and green ---
start_server -diff_base testdata/profiles/shop.heap-t0.pb.gz testdata/profiles/shop.heap-t1.pb.gz
PROFILE="-diff_base testdata/profiles/shop.heap-t0.pb.gz testdata/profiles/shop.heap-t1.pb.gz"
curl -s -o "$TMP/diff.json" "$URL/api/graph"
"$BIN" -dot $PROFILE > "$TMP/diff.dot"
check "diff graph as -dot" python3 tests/http/graphcheck.py "$TMP/diff.dot" --json "$TMP/diff.json"
json_field "$TMP/diff.json" 'd["svg"]' > "$TMP/diff.svg"
colours() { # colours red|green: some node outline in the SVG has that hue
    python3 -c 'import re,sys
cs = [(int(c[1:3], 16), int(c[3:5], 16)) for c in re.findall(r"stroke=\"(#[0-9a-f]{6})\"", open(sys.argv[2]).read())]
sys.exit(0 if any((r > g + 40) if sys.argv[1] == "red" else (g > r + 40) for r, g in cs) else 1)' "$1" "$TMP/diff.svg"
}
check "diff has red (growth) nodes" colours red
check "diff has green (shrinkage) nodes" colours green
stop_server > /dev/null

summary
