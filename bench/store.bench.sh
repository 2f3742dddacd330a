#!/usr/bin/env bash
# Store benchmark (run by bench/run.sh with the M profile as $1): the directory store and a
# PostgreSQL store side by side, on one machine, in the same run. Measures
#   uploads per second: 300 distinct small profiles POSTed one after another on one kept-alive
#     connection (each stored durably: fsync for the directory, a commit for the database),
#     BENCH_RUNS rounds, median;
#   first open of a stored profile (M): a server started afresh (nothing cached), the time of
#     the first /p/ID/api/top (read the bytes, decode, report), BENCH_RUNS starts, median.
# The database is a private server (tests/http/pglib.sh) on a Unix socket with its default
# settings, fsync on: both stores make each upload durable before answering.
set -u
cd "$(dirname "$0")/.."
M=${1:-build/M.cpu.pb.gz} RUNS=${BENCH_RUNS:-5}
[ -f "$M" ] || { echo "store bench: $M missing"; exit 0; }
TMP=$(mktemp -d)
. tests/http/pglib.sh
. bench/lib.sh
trap 'server_stop; pg_remove; rm -rf "$TMP"' EXIT
PG_SERVER_OPTS="-c fsync=on" pg_start > /dev/null || { echo "store bench: no PostgreSQL (make test-deps)"; exit 0; }

start() { # start STORE: a server on an ephemeral port; sets url
    server_start "$TMP/out" -store "$1" && url=$SERVER_URL
}
stop() { server_stop; }

# uploads URL ROUND: uploads/s of 300 distinct goroutine profiles (about 6 kB each).
uploads() {
    python3 - "$1" "$2" <<'PY'
import http.client, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); rnd = int(sys.argv[2])
bodies = []
for i in range(300):
    lines = ["goroutine profile: total %d" % (i + 1)]
    for k in range(100):
        lines.append("%d @ 0x%x 0x%x 0x%x" % (k + 1, 0x400000 + rnd * 100000 + i * 1000 + k, 0x401000 + k, 0x402000))
    bodies.append(("\n".join(lines) + "\n").encode())
c = http.client.HTTPConnection(u.hostname, u.port)
t0 = time.time()
for b in bodies:
    c.request("POST", "/api/upload?name=g", body=b)
    r = c.getresponse(); r.read()
    if r.status != 200: sys.exit("upload answered %d" % r.status)
print("%.1f" % (len(bodies) / (time.time() - t0)))
PY
}

declare -A RATE OPEN
for backend in directory postgresql; do
    if [ $backend = directory ]; then store=$TMP/dir; else store=$PG_URL; fi
    start "$store" || { echo "store bench: the $backend server did not start"; continue; }
    rates=()
    for r in $(seq "$RUNS"); do rates+=("$(uploads "$url" "$r")"); done
    RATE[$backend]=$(median "${rates[@]}")
    id=$(curl -s --data-binary @"$M" "$url/api/upload?name=M" | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p' | head -n1)
    stop
    opens=()
    for _ in $(seq "$RUNS"); do
        start "$store" || break
        opens+=("$(curl -s -o /dev/null -w '%{time_total}' "$url/p/$id/api/top")")
        stop
    done
    OPEN[$backend]=$(median "${opens[@]}")
done
echo "== store: directory vs PostgreSQL (same machine, same run; medians of $RUNS)"
printf '%-46s %12s %12s\n' "" directory postgresql
printf '%-46s %12s %12s\n' "uploads per second (300 small, sequential)" "${RATE[directory]:-?}" "${RATE[postgresql]:-?}"
printf '%-46s %10s s %10s s\n' "first open of stored M (/p/ID/api/top)" "${OPEN[directory]:-?}" "${OPEN[postgresql]:-?}"
exit 0
