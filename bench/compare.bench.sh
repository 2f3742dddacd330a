#!/usr/bin/env bash
# Comparison benchmark (called by bench/run.sh with the M and L profiles; only M is used): a
# second M-sized profile is generated with another seed (build/M2.cpu.pb.gz, once), uploaded to a
# server holding M, and the views of M with diff_base=M2 and base=M2 are timed: the first request
# builds the compared profile (copies, merge) and the view; a repeated one is the view cache; a
# second view of the same comparison reuses the compared profile. Each first request is timed
# once per fresh server, on BENCH_COMPARE_RUNS servers (default 3): the median and the spread are
# printed. Targets: first view < 0.5 s, repeated < 20 ms.
set -u
cd "$(dirname "$0")/.."
bin=build/pprofweb
M=$1
[ -x $bin ] && [ -f "$M" ] || { echo "compare bench: build pprofweb and $M first"; exit 0; }
M2=build/M2.cpu.pb.gz
if [ ! -f $M2 ]; then
    echo "generating $M2"
    python3 ../shared/bench/genprof.py --samples 200000 --functions 20000 --seed 2 -o $M2
fi
log=build/compare-bench-server.log
results=build/compare-bench.tsv
: > $results
store=
. bench/lib.sh
trap 'server_stop; [ -n "$store" ] && rm -rf "$store"' EXIT

# The body is read and dropped, as a browser keeps it in memory: writing 9 MB to a file would
# time the disk, not the server. CURL_ARGS adds curl options (--compressed: gzip, as browsers).
request() { # label path: appends "label<TAB>seconds<TAB>bytes" to the results
    curl -s ${CURL_ARGS:-} -o /dev/null -w "%{time_total} %{size_download}" "$URL$2" |
        awk -v l="$1" '{ printf "%s\t%s\t%s\n", l, $1, $2 }' >> $results
}

one_server() {
    store=$(mktemp -d)
    server_start $log -store "$store" "$M" || return 1
    URL=$SERVER_URL
    ID=$(curl -s "$URL/api/meta" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    # The views the server warms at start, asked for so that the warm-up is over (a request for
    # a view it is computing waits for it): otherwise it would share the processors with the
    # first comparison timed below.
    for v in graph flamegraph top; do curl -s -o /dev/null "$URL/api/$v"; done
    B=$(curl -s --data-binary @$M2 "$URL/api/upload?name=M2.cpu.pb.gz" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    curl -s -o /dev/null "$URL/p/$B/api/meta" # the base decoded once, as it is when opened

    request "top diff_base first (builds the comparison)" "/p/$ID/api/top?diff_base=$B"
    request "top diff_base repeated" "/p/$ID/api/top?diff_base=$B"
    CURL_ARGS=--compressed request "top diff_base repeated, gzip (makes it)" \
        "/p/$ID/api/top?diff_base=$B"
    CURL_ARGS=--compressed request "top diff_base repeated, gzip" "/p/$ID/api/top?diff_base=$B"
    request "flame diff_base first (comparison cached)" "/p/$ID/api/flamegraph?diff_base=$B&w=1400"
    request "flame diff_base repeated" "/p/$ID/api/flamegraph?diff_base=$B&w=1400"
    request "graph diff_base first" "/p/$ID/api/graph?diff_base=$B"
    request "flame base first (builds the comparison)" "/p/$ID/api/flamegraph?base=$B&w=1400"
    request "flame base repeated" "/p/$ID/api/flamegraph?base=$B&w=1400"
    request "top base norm first (builds the comparison)" "/p/$ID/api/top?base=$B&norm=t"
    server_stop
    rm -rf "$store"
    store=
}

runs=${BENCH_COMPARE_RUNS:-3}
for _ in $(seq "$runs"); do
    one_server || exit 0
done
echo "== comparisons, M against M2 (targets: first view < 0.5 s, repeated < 20 ms; $runs fresh servers)"
# Labels in the order they were asked, each with the median, fastest and slowest of its runs.
python3 - "$results" << 'EOF'
import sys
rows = {}
for line in open(sys.argv[1]):
    label, secs, size = line.rstrip('\n').split('\t')
    rows.setdefault(label, []).append((float(secs), float(size)))
for label, got in rows.items():
    times = sorted(t for t, _ in got)
    median = times[(len(times) - 1) // 2]
    print('%-44s %8.3f s median %7.3f .. %.3f s %10.2f MB' %
          (label, median, times[0], times[-1], got[-1][1] / 1048576))
EOF
exit 0
