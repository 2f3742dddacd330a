#!/usr/bin/env bash
# Series benchmark (run by bench/run.sh): 1000 snapshots of a 5000-sample heap profile
# (bench/genseries.py, generated into build/ once) opened with -series. Times the import, the
# timeline and the growth ranking first and repeated, and both again after one new snapshot is
# appended (only it is computed); prints the timeline JSON's size and the per-snapshot cache's
# hits and misses. Targets: first within 1 s, repeated 20 ms, after a new snapshot 50 ms, the
# timeline under 1 MB.
set -u
cd "$(dirname "$0")/.."
DIR=build/series-bench N=${BENCH_SNAPSHOTS:-1000}
BIN=build/pprofweb
[ -f $DIR/heap-$(printf %04d $((N - 1))).pb.gz ] || {
    echo "generating $N snapshots into $DIR"
    python3 bench/genseries.py --snapshots "$N" --samples 5000 --functions 500 -o $DIR || exit 1
}
store=$(mktemp -d) out=$(mktemp)
trap 'rm -rf "$store" "$out" "$out.new"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null' EXIT
t0=$(date +%s.%N)
"$BIN" -http=127.0.0.1:0 -no_browser -store "$store" -series $DIR > "$out" 2>/dev/null &
pid=$!
for _ in $(seq 1 2400); do grep -q '^Serving' "$out" && break; sleep 0.05; done
t1=$(date +%s.%N)
url=$(sed -n 's/^Serving web UI on //p' "$out")
printf '%-46s %8.3f s\n' "series: import $N files and listen" "$(echo "$t1 - $t0" | bc)"
timed() { curl -s -o "$out.body" -w "%{time_total} %{size_download}" "$url$1"; }
for round in "first" "repeated"; do
    for api in timeline growth; do
        read -r t size <<< "$(timed "/api/$api")"
        printf '%-46s %8.3f s %9d bytes\n' "series: /api/$api ($round)" "$t" "$size"
    done
done
# One more snapshot, appended to the same series (named after the directory).
python3 - "$DIR/heap-$(printf %04d $((N - 1))).pb.gz" "$out.new" <<'PY'
import gzip, sys
def varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)
b = gzip.decompress(open(sys.argv[1], 'rb').read())
# A later time_nanos (field 9; the last one read wins): the same heap a minute later.
open(sys.argv[2], 'wb').write(gzip.compress(b + b'\x48' + varint(1_800_000_000_000_000_000), 1))
PY
id=$(curl -s --data-binary @"$out.new" "$url/api/upload?name=new.pb.gz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
name=$(cd $DIR && pwd -P)
curl -s -o /dev/null --data-urlencode "name=$name" -d "ids=$id" "$url/api/series"
for api in timeline growth; do
    read -r t size <<< "$(timed "/api/$api")"
    printf '%-46s %8.3f s %9d bytes\n' "series: /api/$api (after one new snapshot)" "$t" "$size"
done
