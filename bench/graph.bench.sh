#!/usr/bin/env bash
# Graph view benchmark (run by bench/run.sh with the M and L profiles): /api/graph on M, first
# request and repeated (cached), the default settings (computed by the start-up warm-up) and a
# setting nothing has computed yet; the Graphviz layout alone; and pprofweb -dot / -svg beside
# go tool pprof -dot / -svg when Go (and, for pprof's -svg, Graphviz's dot binary) is installed.
# Targets on M: first graph response under 500 ms, repeated under 20 ms.
set -u
cd "$(dirname "$0")/.."
M=${1:-build/M.cpu.pb.gz}
BIN=build/pprofweb
out=$(mktemp)
dot=$(mktemp)
. bench/lib.sh
trap 'rm -f "$out" "$dot"; server_stop' EXIT

secs() { # secs CMD...: wall seconds of CMD, output discarded
    local t0 t1
    t0=$(date +%s.%N)
    "$@" > /dev/null 2>&1
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}

echo "== graph view (targets on M: first < 0.5 s, repeated < 0.02 s)"
server_start "$out" "$M" || exit 0
url=$SERVER_URL
# Right after start the default graph is being computed by the warm-up; this waits for it.
first=$(curl -s -o /dev/null -w '%{http_code} %{time_starttransfer}' "$url/api/graph")
again=$(curl -s -o /dev/null -w '%{time_starttransfer}' "$url/api/graph")
printf 'web: /api/graph (default)    status %s first %8.3f s  repeated %8.4f s\n' \
    "${first% *}" "${first#* }" "$again"
for q in "n=79" "f=main" "calltree=t" "g=lines"; do
    first=$(curl -s -o /dev/null -w '%{http_code} %{time_starttransfer}' "$url/api/graph?$q")
    again=$(curl -s -o /dev/null -w '%{time_starttransfer}' "$url/api/graph?$q")
    printf 'web: /api/graph?%-12s status %s first %8.3f s  repeated %8.4f s\n' \
        "$q" "${first% *}" "${first#* }" "$again"
done
server_stop

# The command line: -dot (report only) and -svg (report + layout); the difference is Graphviz.
"$BIN" -dot "$M" > "$dot"
printf '%-40s %8.3f s\n' "pprofweb -dot M" "$(secs "$BIN" -dot "$M")"
printf '%-40s %8.3f s\n' "pprofweb -svg M" "$(secs "$BIN" -svg "$M")"
printf '%-40s %8s (%d nodes, %d edges)\n' "  graph of M" "" "$(grep -c '^N[0-9]* \[' "$dot")" \
    "$(grep -c '^N[0-9]* -> ' "$dot")"
if command -v go > /dev/null && [ "${BENCH_SKIP_GO:-0}" != 1 ]; then
    printf '%-40s %8.3f s\n' "go tool pprof -dot M" "$(secs go tool pprof -dot "$M")"
    if command -v dot > /dev/null; then
        printf '%-40s %8.3f s\n' "go tool pprof -svg M" "$(secs go tool pprof -svg "$M")"
    else
        echo "go tool pprof -svg M: skipped (needs Graphviz's dot binary: apt-get install graphviz)"
    fi
fi
