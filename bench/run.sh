#!/usr/bin/env bash
# make bench: generates the M and L benchmark profiles into build/ (once; never committed) and
# times pprofweb beside `go tool pprof` (when Go is installed) on the same inputs: wall time and
# peak memory (GNU time's maximum resident set size).
#   BENCH_SKIP_L=1  skips the L profile;  BENCH_SKIP_GO=1 skips go tool pprof (17 s on M).
set -eu
cd "$(dirname "$0")/.."
gen=../shared/bench/genprof.py
M=build/M.cpu.pb.gz L=build/L.heap.pb.gz
[ -f $M ] || { echo "generating $M"; python3 $gen --samples 200000 --functions 20000 -o $M; }
if [ "${BENCH_SKIP_L:-0}" != 1 ] && [ ! -f $L ]; then
    echo "generating $L"; python3 $gen --samples 1000000 --functions 50000 --kind heap --labels -o $L
fi

# measure LABEL CMD...: prints wall seconds and peak RSS in MB.
measure() {
    local label=$1; shift
    local t0 t1 rss
    t0=$(date +%s.%N)
    rss=$( { /usr/bin/time -f '%M' "$@" > /dev/null 2> build/bench.err; } 2>&1; tail -n1 build/bench.err)
    t1=$(date +%s.%N)
    printf '%-40s %8.3f s %8.1f MB\n' "$label" "$(echo "$t1 - $t0" | bc)" "$(echo "$rss / 1024" | bc -l)"
}

[ -x /usr/bin/time ] || { echo "bench needs GNU time (apt-get install time)"; exit 1; }
echo "== -top (targets: M <= 0.3 s and 150 MB; L < 2.5 s and 1 GB)"
measure "pprofweb -top M" build/pprofweb -top $M
[ -f $L ] && measure "pprofweb -top L" build/pprofweb -top $L
if command -v go > /dev/null && [ "${BENCH_SKIP_GO:-0}" != 1 ]; then
    measure "go tool pprof -top M" go tool pprof -top $M
    [ -f $L ] && [ "${BENCH_SKIP_GO_L:-1}" != 1 ] && measure "go tool pprof -top L" go tool pprof -top $L
fi
for extra in bench/*.bench.sh; do
    [ -x "$extra" ] && "$extra" "$M" "$L"
done
exit 0
