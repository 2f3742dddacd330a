#!/usr/bin/env bash
# HTTP tests of a server under hostile or heavy use, on 127.0.0.1 only: flame graphs of many
# uploaded profiles each show their own functions; a backtracking regexp over very long names is
# a 400 within the matching budget while static files keep being served; bodies are refused
# (token, origin, method, size) before they are read; Host headers naming another site are
# refused; NUL bytes in parameters and paths are 400; every page has a Content-Security-Policy;
# a multipart upload decodes one part at a time, whatever the number of parts; aborted uploads
# leave nothing; slow clients do not keep a normal request from being answered; 10 000
# distinct queries leave the view cache within its bound (/api/cache); an empty graph and values
# near the int64 limits are served.
# Ends with "hostile http: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
. tests/http/lib.sh "hostile http"
finish() { summary; exit; }

get() { local p=$1; shift; curl -s -m 60 -o "$TMP/body" -w "%{http_code}" "$@" "$URL$p"; }
post() { local p=$1; shift; curl -s -m 60 -o "$TMP/body" -w '%{http_code}' "$@" "$URL$p"; }
json() { python3 -c "import json,sys; d=json.load(open('$TMP/body')); print($1)"; }
jtrue() { test "$(json "$1")" = True; }
# memcheck DESC CMD...: a check of memory figures, skipped under the sanitizers (tests/asan.sh),
# whose quarantine and shadow memory make RSS say nothing about the server's own use.
memcheck() { [ -n "${PPROFWEB_SANITIZED:-}" ] || check "$@"; }
STORE=$TMP/store

start_server -store "$STORE" || finish

# --- 1. many small distinct profiles: each flame graph shows that profile's functions ---
# The store keeps 16 decoded profiles; with 20, freed ones' addresses are reused.
ids=()
for i in $(seq 1 20); do
    python3 tests/http/mkprof.py distinct "$i" "$TMP/d$i.pb.gz"
    post "/api/upload?name=d$i.pb.gz" --data-binary @"$TMP/d$i.pb.gz" > /dev/null
    ids+=("$(json 'd["id"]')")
done
wrong=0
for round in 1 2; do
    for i in $(seq 1 20); do
        get "/p/${ids[$((i - 1))]}/api/flamegraph" > /dev/null
        roots=$(grep -o 'main\.p[0-9]*_root' "$TMP/body" | sort -u | tr '\n' ' ')
        [ "$roots" = "main.p${i}_root " ] || wrong=$((wrong + 1))
    done
done
check "20 uploaded profiles, each flame graph is its own ($wrong wrong)" test "$wrong" = 0

# --- 2. a backtracking regexp over names of 200 000 characters ---
python3 tests/http/mkprof.py longnames "$TMP/long.pb.gz"
post "/api/upload?name=long.pb.gz" --data-binary @"$TMP/long.pb.gz" > /dev/null
LONG=$(json 'd["id"]')
start=$(date +%s.%N)
pids=()
for k in 1 2 3 4; do
    curl -s -m 60 -o "$TMP/re$k" -w '%{http_code}' "$URL/p/$LONG/api/top?f=(a|aa)%2B%24" \
        > "$TMP/re$k.code" &
    pids+=($!)
done
sleep 0.5
st=$(curl -s -m 10 -o /dev/null -w '%{http_code} %{time_total}' "$URL/static/app.js")
check "static file answered while regexps run ($st)" \
    awk -v s="$st" 'BEGIN { split(s, a, " "); exit !(a[1] == 200 && a[2] < 5) }'
wait "${pids[@]}"
took=$(echo "$(date +%s.%N) - $start" | bc)
for k in 1 2 3 4; do
    check "backtracking regexp $k: 400 ($(cat "$TMP/re$k.code"): $(head -c 200 "$TMP/re$k"))" \
        test "$(cat "$TMP/re$k.code")" = 400
    check "backtracking regexp $k: says why" grep -q "took over" "$TMP/re$k"
done
check "four backtracking regexps answered within 20 s (took $took s)" \
    awk -v t="$took" 'BEGIN { exit !(t < 20) }'
check "a plain regexp on the same names still works" test "$(get "/p/$LONG/api/top?f=b7%24")" = 200
check "and finds its function" grep -q 'b7"' "$TMP/body"

# --- 3. small ones: %00, Host, CSP ---
check "%00 in a parameter: 400" test "$(get "/api/top?f=a%00b")" = 400
check "%00 in the path: 400" test "$(get "/static/app.js%00.png")" = 400
check "Host naming another site: 403" \
    test "$(get /api/top -H 'Host: rebind.example:8080')" = 403
check "Host localhost with a port: 200" test "$(get /static/app.js -H 'Host: localhost:1')" = 200
curl -s -D "$TMP/hdr" -o /dev/null "$URL/static/index.html"
check "/static/index.html has the page CSP" grep -qi "^content-security-policy: default-src 'self'" "$TMP/hdr"
stop_server

# --- 4. bodies are refused on their headers, before they are read ---
start_server -store "$STORE" -auth_token=s3cret -private || finish
vm() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$SRV_PID/status"; } # kB
base=$(vm VmHWM)
pids=()
for k in 1 2 3 4; do
    python3 tests/http/upload.py refused "${URL##*:}" $((200 << 20)) | tr -d '\n' \
        > "$TMP/noauth$k" &
    pids+=($!)
done
wait "${pids[@]}"
grown=$(( ($(vm VmHWM) - base) / 1024 ))
check "unauthenticated 200 MB uploads: 401 ($(cat "$TMP"/noauth*))" \
    test "$(cat "$TMP"/noauth*)" = 401401401401
memcheck "and the server never read them (peak grew $grown MB)" test "$grown" -lt 50
stop_server

# --- 5. multipart uploads: one part decoded at a time, many parts cost no more than one ---
start_server -store "$STORE" || finish
PORT=${URL##*:}
n_meta() { find "$STORE" -name '*.meta' | wc -l; }
python3 tests/http/mkprof.py bomb 1 24 "$TMP/bomb.pb.gz"
base=$(vm VmHWM)
python3 tests/http/upload.py multipart "$PORT" "$TMP/bomb.pb.gz" 1 > "$TMP/mp1"
one=$(( $(vm VmHWM) - base ))
python3 tests/http/upload.py multipart "$PORT" "$TMP/bomb.pb.gz" 8 > "$TMP/mp8"
eight=$(( $(vm VmHWM) - base ))
check "multipart of one $(stat -c %s "$TMP/bomb.pb.gz")-byte part: 200 ($(head -c 80 "$TMP/mp1"))" \
    grep -q '^200 ' "$TMP/mp1"
check "multipart of 8 such parts: 200 ($(head -c 80 "$TMP/mp8"))" grep -q '^200 ' "$TMP/mp8"
memcheck "8 parts take no more memory than about one (peak +$((one / 1024)) MB for 1, +$((eight / 1024)) MB for 8)" \
    test "$eight" -lt $((one * 2))
rss=$(vm VmRSS)
memcheck "memory handed back after the uploads (RSS $((rss / 1024)) MB, base $((base / 1024)) MB)" \
    test "$rss" -lt $((base + 40 * 1024))
python3 tests/http/mkprof.py distinct 99 "$TMP/tiny.pb.gz"
python3 tests/http/upload.py multipart "$PORT" "$TMP/tiny.pb.gz" 64 > "$TMP/mp64"
check "multipart of 64 tiny parts: 200" grep -q '^200 ' "$TMP/mp64"
python3 tests/http/upload.py multipart "$PORT" "$TMP/tiny.pb.gz" 65 > "$TMP/mp65"
check "multipart of 65 parts: 400 that says why ($(head -c 120 "$TMP/mp65"))" \
    grep -q '^400 .*more than 64 parts' "$TMP/mp65"

# --- 6. an aborted upload is freed when the client goes, and nothing of it is stored ---
before=$(n_meta)
base=$(vm VmRSS)
python3 tests/http/upload.py abort "$PORT" $((200 << 20)) $((120 << 20)) 3 > "$TMP/abort.out" &
apid=$!
for _ in $(seq 1 100); do grep -q sent "$TMP/abort.out" 2> /dev/null && break; sleep 0.1; done
held=$(vm VmRSS)
wait $apid
sleep 1
after=$(vm VmRSS)
memcheck "half an upload is held while it arrives (RSS +$(( (held - base) / 1024 )) MB)" \
    test "$held" -gt $((base + 100 * 1024))
memcheck "and freed within 1 s of the disconnect (RSS +$(( (after - base) / 1024 )) MB)" \
    test "$after" -lt $((base + 20 * 1024))
check "the store holds nothing of it" test "$(n_meta)" = "$before"
check "the server keeps serving" test "$(get /static/app.js)" = 200

# --- 7. slow clients: 1000 connections sending headers slowly ---
python3 bench/slowloris.py "$PORT" 1000 8 "$TMP/slow.ready" &
slow=$!
for _ in $(seq 1 100); do [ -s "$TMP/slow.ready" ] && break; sleep 0.1; done
sleep 1
st=$(curl -s -m 5 -o /dev/null -w "%{http_code} %{time_total}" "$URL/static/app.js")
check "$(cat "$TMP/slow.ready" 2> /dev/null || echo 0) slow connections held open" \
    test "$(cat "$TMP/slow.ready" 2> /dev/null)" -ge 900
check "a normal request during them is answered within 1 s ($st)" \
    awk -v s="$st" 'BEGIN { split(s, a, " "); exit !(a[1] == 200 && a[2] < 1) }'
kill $slow 2> /dev/null
wait $slow 2> /dev/null

stop_server

# --- 8. the view cache is bounded by bytes: 10 000 distinct queries stay under it ---
start_server -view_cache=1MB testdata/profiles/shop.cpu.pb.gz || finish
base=$(vm VmRSS)
out=$(python3 tests/http/distinct.py "${URL##*:}" /api/top 10000)
check "10 000 distinct queries answered 200 ($out)" test "${out%% *}" = 200:10000
get /api/cache > /dev/null
check "/api/cache: within its bound of 1 MB ($(cat "$TMP/body"))" \
    jtrue '0 < d["bytes"] <= d["bound"] == 1048576 and d["evictions"] > 0' 
rss=$(vm VmRSS)
memcheck "memory stays near where it started (RSS +$(( (rss - base) / 1024 )) MB)" \
    test "$rss" -lt $((base + 40 * 1024))
get "/api/top?f=main" > /dev/null
get "/api/top?f=main" > /dev/null
get /api/cache > /dev/null
check "a repeated view is still a cache hit" jtrue 'd["hits"] >= 1' 
check "bad -view_cache: exit 2" sh -c "'$BIN' -http=127.0.0.1:0 -no_browser -view_cache=12 > /dev/null 2>&1; test \$? = 2"
stop_server

# --- 9. an empty graph and values near the int64 limits: every view answers (sums wrap as Go's;
# under tests/asan.sh, UBSan reports any overflow or null copy these used to hit) ---
python3 tests/http/mkprof.py wide 0 "$TMP/empty.pb.gz"
for prof in "$TMP/empty.pb.gz" testdata/profiles/extremes.pb.gz; do
    start_server "$prof" || finish
    codes=
    for p in /api/top /api/graph /api/flamegraph "/api/graph?calltree=t" "/api/flamegraph?mean=t" \
        "/api/top?focus=nomatch" "/api/graph?focus=nomatch" "/api/flamegraph?focus=nomatch" \
        "/api/top?sort=cum&g=lines" /download /api/meta; do
        codes="$codes $(get "$p")"
    done
    check "$(basename "$prof"): every view 200 ($codes)" test "$codes" = "$(printf ' 200%.0s' $(seq 11))"
    stop_server
done
finish
