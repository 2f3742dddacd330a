#!/usr/bin/env bash
# Web server benchmark (run by bench/run.sh with the M and L profiles): time to load and serve,
# time to first byte of /ui/top after start, and of each JSON view, first and repeated (cached).
# Targets on M: first response of any view under 300 ms, repeated under 20 ms.
set -u
cd "$(dirname "$0")/.."
M=${1:-build/M.cpu.pb.gz}
BIN=build/pprofweb
out=$(mktemp)
. bench/lib.sh
trap 'rm -f "$out"; server_stop' EXIT

# From launch to a view's data received, as a browser would get it: one client process starts
# the server (with a store of its own, so the profile is stored anew) and asks for the view's
# JSON as soon as the server says where it listens; median of 5 launches. The graph is what /ui/
# shows first; the top table is timed too. (Timing from this shell would add the start of date
# and curl, some 0.1 s.)
launch_to_data() { # profile view
    python3 - "$BIN" "$1" "$2" <<'PY'
import http.client, shutil, statistics, subprocess, sys, tempfile, time
times = []
for _ in range(5):
    store = tempfile.mkdtemp()
    t0 = time.monotonic()
    p = subprocess.Popen([sys.argv[1], "-http=127.0.0.1:0", "-no_browser", "-store", store,
                          sys.argv[2]], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    host = p.stdout.readline().split("http://")[1].strip()
    c = http.client.HTTPConnection(host)
    c.request("GET", "/api/" + sys.argv[3])
    c.getresponse().read()
    times.append(time.monotonic() - t0)
    p.terminate()
    p.wait()
    shutil.rmtree(store)
times.sort()
print("%-40s %8.3f s median %8.3f s fastest %8.3f s slowest  (target 0.3 s)"
      % ("web: from launch to the %s data" % sys.argv[3], statistics.median(times), times[0],
         times[-1]))
PY
}

bench_profile() {
    local prof=$1
    local t0 t1
    # Before the server below starts: its warm-up would share the processors.
    launch_to_data "$prof" graph
    launch_to_data "$prof" top
    t0=$(date +%s.%N)
    # Polled every 5 ms, so the figures measure the server rather than this loop.
    SERVER_POLL=0.005 server_start "$out" "$prof" || return 0
    t1=$(date +%s.%N)
    local url=$SERVER_URL
    printf '%-40s %8.3f s\n' "web: load $(basename "$prof") and listen" "$(echo "$t1 - $t0" | bc)"
    curl -s -o /dev/null -w "web: /ui/top page, first byte             %{time_starttransfer} s\n" "$url/ui/top"
    curl -s -o /dev/null -w "web: /api/top right after start, first byte %{time_starttransfer} s\n" "$url/api/top"
    local fn
    fn=$(curl -s "$url/api/top?n=1" | python3 -c 'import json,sys; r=json.load(sys.stdin)["rows"]; print(r[0]["name"] if r else "main")')
    local re
    re=$(python3 -c 'import re,sys,urllib.parse; print(urllib.parse.quote("^"+re.escape(sys.argv[1])+"( |$)"))' "$fn")
    for v in meta top "peek?f=$re" "source?f=$re" flamegraph; do
        local sep='?' first again cold st
        [[ $v == *\?* ]] && sep='&'
        # first request of the view (the default settings are warmed at start), the same again
        # (cached), and a setting nothing has computed yet (sort=cum, then g=lines)
        first=$(curl -s -o /dev/null -w '%{http_code} %{time_starttransfer}' "$url/api/$v")
        again=$(curl -s -o /dev/null -w '%{time_starttransfer}' "$url/api/$v")
        cold=$(curl -s -o /dev/null -w '%{time_starttransfer}' "$url/api/$v${sep}g=lines")
        printf 'web: /api/%-12s status %s first %8.3f s  repeated %8.4f s  new setting %8.3f s\n' \
            "${v%%\?*}" "${first% *}" "${first#* }" "$again" "$cold"
    done
    server_stop
}

bench_profile "$M"
