#!/usr/bin/env bash
# Series benchmark (run by bench/run.sh): 1000 snapshots of a 5000-sample heap profile
# (bench/genseries.py, generated into build/ once) opened with -series. Prints each figure beside
# its target:
#   first       /api/timeline at settings no request has asked for yet (every snapshot read
#               cold), then /api/growth at the same settings: within 1 s. Five different settings
#               (sample types, granularity, a hide), median, fastest and slowest; with the server's
#               CPU time for it (its /proc/PID/stat ticks), which a busy machine inflates less.
#   repeated    the same requests again: 20 ms (median of 5).
#   new         one more snapshot appended to the series, then both again (only it is read):
#               50 ms (median of 5 appends); with the server's CPU time for both requests.
#   size        the timeline JSON: under 1 MB.
#   idle watch  a watch of a local endpoint every 3 s: the server's CPU ticks over 2 s between
#               two fetches: 0.
# Timings on a shared machine vary: medians, and the spread beside them.
set -u
cd "$(dirname "$0")/.."
DIR=build/series-bench N=${BENCH_SNAPSHOTS:-1000}
[ -f $DIR/heap-$(printf %04d $((N - 1))).pb.gz ] || {
    echo "generating $N snapshots into $DIR"
    python3 bench/genseries.py --snapshots "$N" --samples 5000 --functions 500 -o $DIR || exit 1
}
store=$(mktemp -d) out=$(mktemp) web=$(mktemp -d)
files=
. bench/lib.sh
cleanup() {
    server_stop
    [ -n "$files" ] && kill "$files" 2>/dev/null
    rm -rf "$store" "$out" "$out".* "$web"
}
trap cleanup EXIT

start() { # start ARGS...: the server, its URL in $url and its pid in $pid
    server_start "$out" "$@" || exit 1
    url=$SERVER_URL pid=$SERVER_PID
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# stats VALUES...: "median M fastest F slowest S" of the values.
stats() {
    local sorted med
    sorted=$(printf '%s\n' "$@" | sort -g)
    med=$(median "$@")
    printf 'median %7.3f s  fastest %7.3f s  slowest %7.3f s' "$med" \
        "$(echo "$sorted" | head -n1)" "$(echo "$sorted" | tail -n1)"
}
verdict() { # verdict VALUE TARGET: "ok" or "MISSED"
    if [ "$(echo "$1 <= $2" | bc -l)" = 1 ]; then echo "ok"; else echo "MISSED"; fi
}
timed() { curl -s -o "$out.body" -w "%{time_total} %{size_download} %{http_code}" "$url$1"; }

echo "== series: $N snapshots of a 5000-sample heap profile" \
    "(load average: $(cut -d' ' -f1-3 /proc/loadavg))"
t0=$(date +%s.%N)
start -store "$store" -series $DIR
t1=$(date +%s.%N)
printf '%-44s %8.3f s\n' "series: import $N files and listen" "$(echo "$t1 - $t0" | bc)"
# The server computes its default view on its own at start: let it finish before timing.
curl -s -o /dev/null "$url/api/timeline"

settings=("si=alloc_space" "si=inuse_objects" "si=alloc_objects" "g=filefunctions" "h=fn000")
first_t=() first_g=() cpu_t=() rep_t=() rep_g=()
size=0
for s in "${settings[@]}"; do
    c0=$(ticks "$pid")
    read -r t size code <<< "$(timed "/api/timeline?$s")"
    c1=$(ticks "$pid")
    [ "$code" = 200 ] || echo "series: /api/timeline?$s answered $code: $(head -c 300 "$out.body")"
    read -r g _ _ <<< "$(timed "/api/growth?$s")"
    first_t+=("$t") first_g+=("$g") cpu_t+=("$(echo "($c1 - $c0) / 100" | bc -l)")
    for _ in 1 2 3 4 5; do
        read -r t _ _ <<< "$(timed "/api/timeline?$s")"
        read -r g _ _ <<< "$(timed "/api/growth?$s")"
        rep_t+=("$t") rep_g+=("$g")
    done
done
printf '%-44s %s  %s (target 1 s)\n' "series: /api/timeline first" "$(stats "${first_t[@]}")" \
    "$(verdict "$(median "${first_t[@]}")" 1)"
printf '%-44s %s\n' "series:   server CPU for it" "$(stats "${cpu_t[@]}")"
printf '%-44s %s  %s (target 1 s)\n' "series: /api/growth first (same settings)" \
    "$(stats "${first_g[@]}")" "$(verdict "$(median "${first_g[@]}")" 1)"
printf '%-44s %s  %s (target 0.020 s)\n' "series: /api/timeline repeated" "$(stats "${rep_t[@]}")" \
    "$(verdict "$(median "${rep_t[@]}")" 0.020)"
printf '%-44s %s  %s (target 0.020 s)\n' "series: /api/growth repeated" "$(stats "${rep_g[@]}")" \
    "$(verdict "$(median "${rep_g[@]}")" 0.020)"
printf '%-44s %8d bytes  %s (target under 1 MB)\n' "series: timeline JSON" "$size" \
    "$(verdict "$size" 1048575)"

# New snapshots, appended to the same series (named after the directory): the last one a minute
# later each time (a later time_nanos, field 9: the last one read wins).
name=$(cd $DIR && pwd -P)
new_t=() new_g=() new_cpu=()
for k in 1 2 3 4 5; do
    python3 - "$DIR/heap-$(printf %04d $((N - 1))).pb.gz" "$out.new" "$k" <<'PY'
import gzip, sys
def varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)
b = gzip.decompress(open(sys.argv[1], 'rb').read())
t = 1_800_000_000_000_000_000 + int(sys.argv[3]) * 60_000_000_000
open(sys.argv[2], 'wb').write(gzip.compress(b + b'\x48' + varint(t), 1))
PY
    id=$(curl -s --data-binary @"$out.new" "$url/api/upload?name=new$k.pb.gz" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    curl -s -o /dev/null --data-urlencode "name=$name" -d "ids=$id" "$url/api/series"
    c0=$(ticks "$pid")
    read -r t _ _ <<< "$(timed "/api/timeline")"
    read -r g _ _ <<< "$(timed "/api/growth")"
    c1=$(ticks "$pid")
    new_t+=("$t") new_g+=("$g") new_cpu+=("$(echo "($c1 - $c0) / 100" | bc -l)")
done
printf '%-44s %s  %s (target 0.050 s)\n' "series: /api/timeline after a new snapshot" \
    "$(stats "${new_t[@]}")" "$(verdict "$(median "${new_t[@]}")" 0.050)"
printf '%-44s %s  %s (target 0.050 s)\n' "series: /api/growth after a new snapshot" \
    "$(stats "${new_g[@]}")" "$(verdict "$(median "${new_g[@]}")" 0.050)"
printf '%-44s %s\n' "series:   server CPU for both" "$(stats "${new_cpu[@]}")"
server_stop

# An idle watch: a local endpoint (python's http.server) fetched every 3 s; the server's CPU
# ticks (1/100 s) over 2 s after a fetch, when nothing is due.
cp "$DIR/heap-0000.pb.gz" "$web/heap"
python3 -m http.server 0 --bind 127.0.0.1 --directory "$web" > "$out.web" 2>&1 &
files=$!
for _ in $(seq 1 100); do grep -q 'port' "$out.web" && break; sleep 0.05; done
port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$out.web" | head -n1)
start -store "$store.watch" -watch=3s "http://127.0.0.1:$port/heap"
sleep 3.5 # the first fetch, at start, is over
c0=$(ticks "$pid")
sleep 2
c1=$(ticks "$pid")
fetches=$(curl -s "$url/api/watch" | python3 -c \
    'import json,sys; print(sum(w["fetches"] for w in json.load(sys.stdin)["watches"]))')
printf '%-44s %8d ticks  %s (target 0; %s fetches so far)\n' "series: idle watch CPU over 2 s" \
    "$((c1 - c0))" "$(verdict "$((c1 - c0))" 0)" "$fetches"
rm -rf "$store.watch"
