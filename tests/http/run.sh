#!/usr/bin/env bash
# HTTP tests: start the real server (build/pprofweb -http=127.0.0.1:0) on the bundled profiles
# and drive it with curl. The JSON behind the top and peek views is turned back into text
# (json2text.py) and diffed with the command-line reports of the same settings; bad input must
# give 4xx with a message and never take the server down; SIGTERM must stop it cleanly.
# Ends with "http: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
. tests/http/lib.sh http

# same_as_cli VIEW QUERY CLI-FLAGS...: the view's JSON, as text, equals the CLI report. JSON holds
# text, not bytes: the CLI's bytes that are not UTF-8 (profile names may hold any) are compared
# as the U+FFFD the JSON has for each.
same_as_cli() {
    local view=$1 query=$2; shift 2
    local st
    st=$(curl -s -o "$TMP/view.json" -w '%{http_code}' "$URL/api/$view?$query")
    if [ "$st" != 200 ]; then
        bad "/api/$view?$query: status $st: $(head -c 300 "$TMP/view.json")"
        return
    fi
    python3 tests/http/json2text.py "$view" < "$TMP/view.json" > "$TMP/web.txt"
    "$BIN" "$@" "$PROFILE" 2> /dev/null | python3 -c 'import sys
sys.stdout.buffer.write(sys.stdin.buffer.read().decode("utf-8", "replace").encode())' \
        > "$TMP/cli.txt"
    if diff -u "$TMP/cli.txt" "$TMP/web.txt" > "$TMP/diff"; then
        ok
    else
        bad "/api/$view?$query differs from pprofweb $* $PROFILE:"
        head -n 20 "$TMP/diff"
    fi
}

# --- one CPU profile: every setting against the command line ---
PROFILE=testdata/profiles/shop.cpu.pb.gz
start_server "$PROFILE" || abort
check "prints the URL" grep -q '^Serving web UI on http://127.0.0.1:[0-9][0-9]*$' "$TMP/srv.out"

same_as_cli top "" -top
same_as_cli top "sort=cum" -top -cum
same_as_cli top "si=samples" -top -sample_index=samples
same_as_cli top "si=0" -top -sample_index=0
same_as_cli top "f=main" -top -focus=main
same_as_cli top "i=runtime" -top -ignore=runtime
same_as_cli top "h=runtime" -top -hide=runtime
same_as_cli top "s=main" -top -show=main
same_as_cli top "sf=main%5C.main" -top '-show_from=main\.main'
same_as_cli top "prunefrom=runtime" -top -prune_from=runtime
same_as_cli top "g=lines" -top -lines
same_as_cli top "g=files" -top -files
same_as_cli top "g=filefunctions" -top -filefunctions
same_as_cli top "g=addresses" -top -addresses
same_as_cli top "n=5" -top -nodecount=5
same_as_cli top "nf=0.05" -top -nodefraction=0.05
same_as_cli top "trim=f" -top -trim=false
same_as_cli top "unit=ms" -top -unit=ms
same_as_cli top "noinlines=t" -top -noinlines
same_as_cli top "rel=t&f=main" -top -relative_percentages -focus=main
same_as_cli top "calltree=t" -top -call_tree
same_as_cli top "compact=t" -top -compact_labels

# A large cached view goes gzipped to a client that accepts it (browsers, curl --compressed),
# the same JSON once inflated; as it is to one that does not; a small one always as it is.
curl -s -o "$TMP/graph.json" "$URL/api/graph"
curl -s --compressed -D "$TMP/gz.hdr" -o "$TMP/graph.gz.json" "$URL/api/graph"
check "gzip: Content-Encoding" grep -qi '^Content-Encoding: gzip' "$TMP/gz.hdr"
check "gzip: Vary" grep -qi '^Vary: Accept-Encoding' "$TMP/gz.hdr"
check "gzip: fewer bytes" [ "$(sed -n 's/^Content-Length: *\([0-9]*\).*/\1/Ip' "$TMP/gz.hdr")" -lt \
    "$(($(wc -c < "$TMP/graph.json") / 3))" ]
check "gzip: the same JSON" cmp -s "$TMP/graph.json" "$TMP/graph.gz.json"
curl -s -D "$TMP/raw.hdr" -o "$TMP/graph.raw.json" "$URL/api/graph"
check "no gzip unasked" sh -c "! grep -qi '^Content-Encoding' '$TMP/raw.hdr'"
check "no gzip unasked: the same JSON" cmp -s "$TMP/graph.json" "$TMP/graph.raw.json"
curl -s -H 'Accept-Encoding: gzip;q=0' -D "$TMP/q0.hdr" -o /dev/null "$URL/api/graph"
check "no gzip with q=0" sh -c "! grep -qi '^Content-Encoding' '$TMP/q0.hdr'"
curl -s -o /dev/null "$URL/api/peek?f=main"
curl -s --compressed -D "$TMP/small.hdr" -o /dev/null "$URL/api/peek?f=main"
check "small views as they are" sh -c "! grep -qi '^Content-Encoding' '$TMP/small.hdr'"
same_as_cli top "f=main&i=json&sort=cum&g=lines&n=20" -top -focus=main -ignore=json -cum -lines -nodecount=20
same_as_cli peek "f=main%5C." -peek='main\.' -focus='main\.' -lines
same_as_cli peek "f=runtime&sort=cum" -peek=runtime -focus=runtime -lines -cum

# routes and the page
check "/ redirects to /ui/" test "$(code '/?f=x')" = 307
check "redirect keeps the query" grep -q . <(curl -s -D - -o /dev/null "$URL/?f=x" | grep -i '^location: /ui/?f=x')
for p in /ui/ /ui/top /ui/peek /ui/source /ui/flamegraph; do
    check "$p is the page" test "$(code "$p")" = 200
    check "$p is HTML" grep -q '<script type="module" src="/static/app.js">' "$TMP/body"
    # The head names what the view loads, so the browser fetches it all at once: each file exists.
    for f in $(sed -n 's/^<link rel="[a-z]*" href="\(\/static\/[a-z_]*\.[a-z]*\)">$/\1/p' "$TMP/body"); do
        check "$p loads $f" test "$(code "$f")" = 200
    done
done
check "the flame graph page names its module in its head" \
    grep -q '<link rel="modulepreload" href="/static/flame.js">' <(curl -s "$URL/ui/flamegraph")
check "page has a CSP" grep -qi '^content-security-policy:' <(curl -s -D - -o /dev/null "$URL/ui/top")
# The head's first requests are written into the page, and its policy allows that script by its
# hash, not inline scripts at large.
curl -s -D "$TMP/hdr" -o "$TMP/body" "$URL/ui/flamegraph"
check "the page's head script is inline, allowed by its hash" python3 - "$TMP/hdr" "$TMP/body" web/prefetch.js <<'EOF'
import base64, hashlib, re, sys
hdr, body, src = (open(p, 'rb').read() for p in sys.argv[1:])
policy = re.search(rb'(?im)^content-security-policy: *(.*?)\r?$', hdr).group(1).decode()
script = re.search(rb'<script>(.*?)</script>', body, re.S).group(1)
digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
assert script == src, 'inlined script differs from web/prefetch.js'
assert b'/static/prefetch.js' not in body, 'the page still loads prefetch.js'
assert "script-src 'self' 'sha256-%s';" % digest in policy, policy
assert 'unsafe-inline' not in policy.split('script-src')[1].split(';')[0], policy
EOF
check "static js" test "$(code /static/app.js)" = 200
check "static css type" grep -qi '^content-type: text/css' <(curl -s -D - -o /dev/null "$URL/static/style.css")
ID=$(curl -s "$URL/api/meta" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "profile id" test -n "$ID"
check "/p/ID/ui/top" test "$(code "/p/$ID/ui/top")" = 200
check "/p/ID/api/top equals /api/top" cmp -s <(curl -s "$URL/p/$ID/api/top?sort=cum") <(curl -s "$URL/api/top?sort=cum")
check "/api/profiles" grep -q "\"id\":\"$ID\"" <(curl -s "$URL/api/profiles")
check "meta sample types" grep -q '"sample_types":\[{"type":"samples"' <(curl -s "$URL/api/meta")

# download: the profile as loaded, or refined by the URL's filters
curl -s -D "$TMP/dl.h" -o "$TMP/dl.pb.gz" "$URL/ui/download"
check "download headers" grep -qi '^content-disposition: attachment;filename=profile.pb.gz' "$TMP/dl.h"
check "download is the profile" cmp -s <("$BIN" -top "$TMP/dl.pb.gz" | tail -n +2) <("$BIN" -top "$PROFILE" | tail -n +2)
curl -s -o "$TMP/dl2.pb.gz" "$URL/p/$ID/download?f=main%5C.checksum"
check "refined download keeps only the focused samples" test "$("$BIN" -top "$TMP/dl2.pb.gz" | awk '/flat%/{on=1;next} on{print $1, $4, $6}')" = "$("$BIN" -top -focus='main\.checksum' "$PROFILE" | awk '/flat%/{on=1;next} on{print $1, $4, $6}')"

# errors: status and a message
err_is 400 "/api/top?si=nosuch" 'sample_index'
err_is 400 "/api/top?f=(" 'parsing focus regexp'
err_is 400 "/api/top?i=a**" 'ignore'
err_is 400 "/api/top?n=abc" 'nodecount'
err_is 400 "/api/top?nf=2" 'nodefraction'
err_is 400 "/api/top?g=bogus" 'granularity'
err_is 400 "/api/top?sort=bogus" 'sort'
err_is 400 "/api/top?trim=maybe" 'bool'
err_is 400 "/api/peek?f=nosuchfunction_xyz" 'no matches found'
err_is 400 "/ui/top?si=nosuch" 'html'
err_is 404 "/api/nosuch" 'no such API route'
err_is 404 "/p/0123456789abcdef/api/top" 'unknown profile id'
err_is 404 "/p/bad.id/ui/top" 'bad profile id'
err_is 404 "/nosuch" 'not found'
err_is 404 "/static/..%2fMakefile" 'no such file'
check "POST is 405" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data x "$URL/api/top")" = 405

# hostile URLs never crash the server: every one gets a 2xx-4xx answer
long=$(head -c 20000 /dev/zero | tr '\0' a)
for q in "f=$long" "f=%00" "f=%C3%28" "f=%E2%80%A8" "si=-1" "si=99999999999999999999" \
         "n=-1" "n=2147483648" "nf=1e309" "ef=-0" "unit=$long" "tf=bytes%3D1kb%3A" "tf=%3A%3A" \
         "tf=k%3D(" "ti=1xb%3A2yb" "f=((((((((((((((((((((" "f=(a*)*b" "g=lines&n=0" \
         "th=.*&ts=.*" "$(for i in $(seq 300); do printf 'k%d=v&' "$i"; done)" "f=%" "&&&&" "=" \
         "si=cpu&si=samples"; do
    st=$(curl -s -o "$TMP/body" -w '%{http_code}' "$URL/api/top?$q")
    case "$st" in 2??|4??) ok ;; *) bad "/api/top?${q:0:60}: status $st" ;; esac
done
for path in "/ui/..%2f..%2fetc%2fpasswd" "/p/" "/p//ui/" "/p/%00/ui/" "/api/" "/ui/download/x" \
            "/static/" "/static/%2e%2e/Makefile" "/$long"; do
    st=$(curl -s -o "$TMP/body" -w '%{http_code}' "$URL$path")
    case "$st" in 2??|3??|4??) ok ;; *) bad "${path:0:60}: status $st" ;; esac
done
check "server alive after hostile URLs" kill -0 "$SRV_PID"

# concurrency: many requests for many views at once, all answered
for i in $(seq 1 24); do
    curl -s -o "$TMP/c$i" -w '%{http_code}\n' "$URL/api/top?n=$((i % 6 + 1))&sort=cum" > "$TMP/c$i.st" &
done
wait $(jobs -p | grep -v "^$SRV_PID\$") 2>/dev/null
all200=1
for i in $(seq 1 24); do [ "$(cat "$TMP/c$i.st")" = 200 ] || all200=0; done
check "24 concurrent requests answered" test $all200 = 1

check "SIGTERM stops the server cleanly" stop_server

# --- settings from the command line are the initial view settings ---
start_server -focus=main -cum "$PROFILE"
same_as_cli top "" -top -focus=main -cum
same_as_cli top "f=&sort=flat" -top
check "meta reports the base settings" test "$(curl -s "$URL/api/meta" | python3 -c 'import json,sys; print(json.load(sys.stdin)["base_query"])')" = "f=main&sort=cum"
stop_server > /dev/null

# --- an empty host is localhost ---
"$BIN" -http=:0 -no_browser "$PROFILE" > "$TMP/srv.out" 2>&1 &
SRV_PID=$!
for _ in $(seq 1 50); do grep -q Serving "$TMP/srv.out" && break; sleep 0.1; done
check "empty host prints localhost" grep -q '^Serving web UI on http://localhost:[0-9][0-9]*$' "$TMP/srv.out"
stop_server > /dev/null
check "bad address is an error" sh -c "! $BIN -http=nocolon -no_browser $PROFILE > /dev/null 2>&1"

# --- no profile: the start page ---
start_server
check "no profile: page" test "$(code /ui/)" = 200
err_is 404 "/api/meta" 'no profile loaded'
stop_server > /dev/null

# --- the corpus, when it is beside the repository: every profile's top matches the CLI ---
CORPUS=../shared/corpus/public
if [ -d "$CORPUS" ]; then
    for PROFILE in "$CORPUS"/*.pb.gz "$CORPUS"/*.pb "$CORPUS"/*.txt "$CORPUS"/*.bin; do
        [ -f "$PROFILE" ] || continue
        "$BIN" -top "$PROFILE" > /dev/null 2>&1 || continue
        start_server "$PROFILE" || { bad "start on $PROFILE"; continue; }
        same_as_cli top "" -top
        same_as_cli top "sort=cum&g=lines" -top -cum -lines
        stop_server > /dev/null || bad "stop on $PROFILE"
    done
fi

summary
