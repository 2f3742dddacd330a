#!/usr/bin/env bash
# Load benchmark of the web server on 127.0.0.1 (run by bench/run.sh with the M profile), with
# ab (Debian's apache2-utils):
#   - cached views at 200 concurrent connections for 30 s: failed requests (target 0) and the
#     server's RSS before and after (target: stable);
#   - 10 000 distinct uncached queries (on the bundled CPU profile): the view cache (/api/cache)
#     and RSS stay under the bound;
#   - during a slowloris of 1 000 connections (bench/slowloris.py), a normal request is answered
#     within 1 s (target).
# LOAD_SECONDS changes the 30 s. Figures on a shared machine vary: compare runs made together.
set -u
cd "$(dirname "$0")/.."
M=${1:-build/M.cpu.pb.gz}
secs=${LOAD_SECONDS:-30}
command -v ab > /dev/null || { echo "load bench needs ab (apt-get install apache2-utils)"; exit 0; }
out=$(mktemp -d)
slow=
. bench/lib.sh
trap 'rm -rf "$out"; server_stop; [ -n "$slow" ] && kill "$slow" 2>/dev/null' EXIT
rss() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }

server_start "$out/srv" "$M" || exit 0
url=$SERVER_URL
port=${url##*:}
for v in top flamegraph graph meta; do curl -s -o /dev/null "$url/api/$v"; done

echo "== load (targets: no failed request at 200 connections, stable RSS; 10 000 distinct queries"
echo "   within the view cache bound; a request answered within 1 s during 1 000 slow clients)"
for v in top flamegraph; do
    before=$(rss)
    ab -q -k -c 200 -t "$secs" -n 10000000 "$url/api/$v" > "$out/ab" 2>&1
    after=$(rss)
    printf '%-40s %8s req/s %6s failed %6s non-2xx  RSS %s -> %s MB  (%s s, 200 connections)\n' \
        "load: cached /api/$v" "$(awk '/^Requests per second/ { print $4 }' "$out/ab")" \
        "$(awk '/^Failed requests/ { print $3 }' "$out/ab")" \
        "$(awk '/^Non-2xx responses/ { n = $3 } END { print n + 0 }' "$out/ab")" \
        "$before" "$after" "$secs"
done

# Distinct queries against a second server of the bundled CPU profile: each is a real filter
# and top over its samples (on M one takes about 0.1 s, so 10 000 would take many minutes), and
# the cache is as exposed to them whatever the profile.
server_stop
server_start "$out/srv" testdata/profiles/shop.cpu.pb.gz || exit 0
url=$SERVER_URL
port=${url##*:}
before=$(rss)
res=$(python3 tests/http/distinct.py "$port" /api/top 10000 8)
cache=$(curl -s "$url/api/cache")
printf '%-40s %s  RSS %s -> %s MB  cache %s\n' "load: 10 000 distinct /api/top?f=" "$res" \
    "$before" "$(rss)" "$cache"

python3 bench/slowloris.py "$port" 1000 20 "$out/ready" &
slow=$!
for _ in $(seq 1 200); do [ -s "$out/ready" ] && break; sleep 0.1; done
sleep 2
for _ in $(seq 1 10); do
    t=$(curl -s -m 10 -o /dev/null -w '%{http_code} %{time_total}' "$url/api/top")
    echo "$t" >> "$out/slow.times"
    sleep 0.5
done
kill "$slow" 2> /dev/null
wait "$slow" 2> /dev/null
slow=
worst=$(awk '{ if ($2 > m) m = $2 } END { print m }' "$out/slow.times")
codes=$(awk '{ print $1 }' "$out/slow.times" | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
printf '%-40s worst %s s of 10 requests (%s) with %s slow connections held\n' \
    "load: /api/top during a slowloris" "$worst" "${codes% }" "$(cat "$out/ready")"
exit 0
