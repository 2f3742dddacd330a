#!/usr/bin/env bash
# make bench: generates the M and L benchmark profiles into build/ (once; never committed) and
# times pprofweb beside `go tool pprof` (when Go is installed) on the same inputs: wall time and
# peak memory (GNU time's maximum resident set size).
#   BENCH_SKIP_L=1  skips the L profile;  BENCH_SKIP_GO=1 skips go tool pprof (17 s on M);
#   BENCH_RUNS=N    runs each -top command N times (default 5; M's and go's 7 times each, in
#                   turns, as the ratio is the headline);  BENCH_XL=1 also generates and
#   times XL (about 400 MB raw; its generation takes several minutes, once).
set -eu
cd "$(dirname "$0")/.."
gen=../shared/bench/genprof.py
M=build/M.cpu.pb.gz L=build/L.heap.pb.gz XL=build/XL.heap.pb.gz
[ -f $M ] || { echo "generating $M"; python3 $gen --samples 200000 --functions 20000 -o $M; }
if [ "${BENCH_SKIP_L:-0}" != 1 ] && [ ! -f $L ]; then
    echo "generating $L"; python3 $gen --samples 1000000 --functions 50000 --kind heap --labels -o $L
fi
if [ "${BENCH_XL:-0}" = 1 ] && [ ! -f $XL ]; then
    echo "generating $XL"
    python3 $gen --samples 5000000 --functions 100000 --kind heap --labels -o $XL
fi

# run_once CMD...: one run of CMD; sets $secs (wall time) and $rss (peak resident set, kB).
run_once() {
    local t0 t1
    # Nothing but the command between the two clock readings (bash's own clock, no date or
    # subshell to start): those took some 40 ms, a quarter of M's -top.
    t0=$EPOCHREALTIME
    /usr/bin/time -o build/bench.rss -f '%M' "$@" > /dev/null 2> build/bench.err
    t1=$EPOCHREALTIME
    rss=$(tail -n1 build/bench.rss)
    secs=$(echo "$t1 - $t0" | bc)
}

# summary LABEL MAX_RSS TIMES...: prints the median, fastest and slowest wall time and the
# largest peak RSS; the median is left in $median for ratios.
summary() {
    local label=$1 max_rss=$2; shift 2
    local sorted
    sorted=$(printf '%s\n' "$@" | sort -g)
    median=$(echo "$sorted" | sed -n "$(( ($# + 1) / 2 ))p")
    printf '%-40s %8.3f s median %8.3f s fastest %8.3f s slowest %8.1f MB  (%d runs)\n' "$label" \
        "$median" "$(echo "$sorted" | head -n1)" "$(echo "$sorted" | tail -n1)" \
        "$(echo "$max_rss / 1024" | bc -l)" "$#"
}

# measure LABEL CMD...: runs CMD $BENCH_RUNS times (default 5): single runs vary by a third on
# a shared machine, so the median is what is compared.
measure() {
    local label=$1; shift
    local max_rss=0 times=()
    for _ in $(seq "${BENCH_RUNS:-5}"); do
        run_once "$@"
        times+=("$secs")
        [ "$rss" -gt "$max_rss" ] && max_rss=$rss
    done
    summary "$label" "$max_rss" "${times[@]}"
}

# measure_pair LABEL_A LABEL_B CMD_A... -- CMD_B...: as measure, the two commands in turns
# (A, B, A, B, ...), so that both see the same machine: its speed drifts by a fifth over
# minutes, and a ratio of two medians taken a minute apart drifted with it. Leaves the medians
# in $median_a and $median_b.
measure_pair() {
    local la=$1 lb=$2; shift 2
    local a=() ra=0 rb=0 ta=() tb=()
    while [ "$1" != -- ]; do a+=("$1"); shift; done
    shift
    for _ in $(seq "${BENCH_RUNS:-7}"); do
        run_once "${a[@]}"
        ta+=("$secs")
        [ "$rss" -gt "$ra" ] && ra=$rss
        run_once "$@"
        tb+=("$secs")
        [ "$rss" -gt "$rb" ] && rb=$rss
    done
    summary "$la" "$ra" "${ta[@]}"
    median_a=$median
    summary "$lb" "$rb" "${tb[@]}"
    median_b=$median
}

[ -x /usr/bin/time ] || { echo "bench needs GNU time (apt-get install time)"; exit 1; }
echo "== -top (targets: M 50x faster than go tool pprof in this run; L <= 1.0 s and 400 MB;"
echo "   XL <= 5 s and 2 GB; -call_tree: M <= 0.3 s, L <= 3 s)"
if command -v go > /dev/null && [ "${BENCH_SKIP_GO:-0}" != 1 ]; then
    measure_pair "pprofweb -top M" "go tool pprof -top M" build/pprofweb -top $M -- \
        go tool pprof -top $M
    printf '%-40s %8.1fx (target 50x; runs in turns)\n' "pprofweb -top M speed-up" \
        "$(echo "$median_b / $median_a" | bc -l)"
else
    measure "pprofweb -top M" build/pprofweb -top $M
fi
[ -f $L ] && measure "pprofweb -top L" build/pprofweb -top $L
[ -f $XL ] && measure "pprofweb -top XL" build/pprofweb -top $XL
measure "pprofweb -top -call_tree M" build/pprofweb -top -call_tree $M
[ -f $L ] && measure "pprofweb -top -call_tree L" build/pprofweb -top -call_tree $L
if command -v go > /dev/null && [ "${BENCH_SKIP_GO:-0}" != 1 ] && [ -f $L ] &&
    [ "${BENCH_SKIP_GO_L:-1}" != 1 ]; then
    measure "go tool pprof -top L" go tool pprof -top $L
fi
for extra in bench/*.bench.sh; do
    [ -x "$extra" ] && "$extra" "$M" "$L"
done
exit 0
