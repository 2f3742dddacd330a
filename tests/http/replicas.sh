#!/usr/bin/env bash
# HTTP tests of a team deployment: two pprofweb replicas on two ports share one PostgreSQL store
# (a private server started here, tests/http/pglib.sh). A profile uploaded to one opens on the
# other under the same /p/ID link; a watch started on one is listed and stoppable on both and is
# fetched by one at a time; killing the replica that holds it hands it to the other within two
# intervals, the snapshot count goes on and no snapshot time appears twice; -watch_keep frees
# the dropped snapshots' rows; the database going down: profiles already open keep answering,
# uploads and new opens answer 503, and the replica recovers by itself when it comes back;
# -store_copy moves a store between PostgreSQL and a directory keeping every link.
# Everything listens on 127.0.0.1 / a Unix socket. Ends with "replicas http: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
. tests/http/lib.sh "replicas http"
. tests/http/pglib.sh
A_PID= B_PID= LEAKY_PID=
stop_all() {
    for p in $A_PID $B_PID $LEAKY_PID; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    pg_remove
}
CLEANUP_HOOK=stop_all
finish() { summary; exit; }
json() { python3 -c "import json,sys; d=json.load(open('$TMP/body')); print($1)"; }
# get URL: GETs into $TMP/body, prints the status.
get() { curl -s -m 30 -o "$TMP/body" -w '%{http_code}' "$@"; }
wait_for() { # wait_for SECONDS CMD...: polls CMD every 0.2 s
    local n=$(( $1 * 5 )); shift
    for _ in $(seq 1 "$n"); do "$@" && return 0; sleep 0.2; done
    return 1
}
# start_replica NAME ARGS...: pprofweb on an ephemeral port; sets NAME_PID and NAME_URL.
start_replica() {
    local name=$1; shift
    : > "$TMP/$name.out" # not a previous replica's URL (lib.sh's start_server says why)
    "$BIN" -http=127.0.0.1:0 -no_browser -store "$PG_URL" "$@" > "$TMP/$name.out" 2> "$TMP/$name.err" &
    local pid=$! url=
    for _ in $(seq 1 100); do
        url=$(sed -n 's/^Serving web UI on \(http:.*\)$/\1/p' "$TMP/$name.out")
        [ -n "$url" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    eval "${name}_PID=$pid ${name}_URL=$url"
    [ -n "$url" ] || { echo "replica $name did not start: $(cat "$TMP/$name.err")"; return 1; }
}

CPU=testdata/profiles/shop.cpu.pb.gz
HEAP=testdata/profiles/shop.heap-t0.pb.gz
HEAP1=testdata/profiles/shop.heap-t1.pb.gz

pg_start || { bad "starting postgresql"; finish; }
start_replica A || { bad "replica A"; finish; }
start_replica B || { bad "replica B"; finish; }
check "two replicas on two ports" test "$A_URL" != "$B_URL"

# --- a profile uploaded to one opens on the other, same link ---
st=$(get "$A_URL/api/upload?name=cpu.pb.gz" --data-binary @"$CPU")
check "upload to A: 200 ($st)" test "$st" = 200
ID=$(json 'd["id"]') LINK=$(json 'd["link"]')
check "B opens A's upload at the same link ($LINK)" test "$(get "$B_URL$LINK")" = 200
get "$A_URL/p/$ID/api/top" > /dev/null; cp "$TMP/body" "$TMP/a.top"
get "$B_URL/p/$ID/api/top" > /dev/null
check "B's numbers are A's" cmp -s "$TMP/a.top" "$TMP/body"
check "B's numbers are pprofweb -top's" diff -q <(python3 tests/http/json2text.py top < "$TMP/body") <("$BIN" -top "$CPU" 2> /dev/null)
get "$B_URL/api/store" > /dev/null
check "B lists A's upload" test "$(json '[p["name"] for p in d["profiles"]]')" = "['cpu.pb.gz']"
check "uploading the same bytes to B: the same id" test "$(get "$B_URL/api/upload" --data-binary @"$CPU" > /dev/null; json 'd["id"]')" = "$ID"
check "stored once" test "$(pg_sql 'SELECT count(*) FROM pprofweb_profiles')" = 1

# --- a watch shared by the replicas ---
command -v go > /dev/null || { bad "go is not installed"; finish; }
(cd testdata/leaky && GOFLAGS=-mod=mod go build -o "$TMP/leaky" .) || { bad "building testdata/leaky"; finish; }
"$TMP/leaky" -addr 127.0.0.1:0 -addrfile "$TMP/leaky.addr" 2> "$TMP/leaky.err" &
LEAKY_PID=$!
for _ in $(seq 1 100); do [ -s "$TMP/leaky.addr" ] && break; sleep 0.05; done
HEAP_URL=http://$(cat "$TMP/leaky.addr")/debug/pprof/heap

st=$(get "$A_URL/api/watch" --data-urlencode "url=$HEAP_URL" --data-urlencode interval=1s)
check "watch started on A: 200 ($st $(head -c 200 "$TMP/body"))" test "$st" = 200
SID=$(json 'd["series"]["id"]' 2>/dev/null || json 'd["id"]')
listed_on_b() { get "$B_URL/api/watch" > /dev/null; [ "$(json '[w["id"] for w in d["watches"]]')" = "['$SID']" ]; }
check "B lists the watch started on A" wait_for 5 listed_on_b
n_snaps() { pg_sql "SELECT count(*) FROM pprofweb_snapshots WHERE series_id = '$SID' AND profile_id IS NOT NULL"; }
holder() { get "$1/api/watch" > /dev/null; json 'd["watches"][0]["holder"]'; }
at_least() { [ "$(n_snaps)" -ge "$1" ]; }
check "snapshots come in" wait_for 10 at_least 3
H=$(holder "$A_URL")
check "one replica holds the watch ($H)" grep -Eq "/($A_PID|$B_PID)/" <<< "$H"
check "both replicas name the same holder" test "$(holder "$B_URL")" = "$H"
if grep -q "/$A_PID/" <<< "$H"; then VICTIM=A VPID=$A_PID OTHER_URL=$B_URL OTHER_PID=$B_PID;
else VICTIM=B VPID=$B_PID OTHER_URL=$A_URL OTHER_PID=$A_PID; fi
# One fetch a second between both replicas, not one each.
N_A=$(n_snaps); sleep 5; N_B=$(n_snaps)
GAPS=$(pg_sql "SELECT string_agg(((time_nanos - p) / 1000000)::text, ' ' ORDER BY time_nanos) FROM (SELECT time_nanos, lag(time_nanos) OVER (ORDER BY time_nanos) AS p FROM pprofweb_snapshots WHERE series_id = '$SID') x")
check "one fetch a second, not one per replica ($((N_B - N_A)) in 5 s; ms between snapshots: $GAPS)" test $((N_B - N_A)) -le 7
kill -9 "$VPID"; wait "$VPID" 2>/dev/null
eval "${VICTIM}_PID="
KILLED_AT=$(date +%s%N)
N0=$(n_snaps)
taken() { grep -q "/$OTHER_PID/" <<< "$(holder "$OTHER_URL")"; }
check "the other replica takes the watch over" wait_for 10 taken
check "the snapshot count goes on after the holder died" wait_for 10 at_least $((N0 + 3))
check "no snapshot time twice" test "$(pg_sql "SELECT count(*) FROM (SELECT time_nanos FROM pprofweb_snapshots WHERE series_id = '$SID' GROUP BY 1 HAVING count(*) > 1) x")" = 0
GAP=$(pg_sql "SELECT coalesce(max(d), 0) FROM (SELECT (time_nanos - lag(time_nanos) OVER (ORDER BY time_nanos)) / 1000000 AS d FROM pprofweb_snapshots WHERE series_id = '$SID' AND profile_id IS NOT NULL) x")
check "taken over within two intervals: the longest pause between snapshots is ${GAP} ms (1 s interval)" test "$GAP" -le 3500
start_replica "$VICTIM" || bad "restarting replica $VICTIM"

# -watch_keep: the rows of dropped snapshots go, and their profiles' bytes with them.
kill "$A_PID" "$B_PID"; wait "$A_PID" "$B_PID" 2>/dev/null
start_replica A -watch_keep=3 || { bad "replica A with -watch_keep"; finish; }
start_replica B -watch_keep=3 || { bad "replica B with -watch_keep"; finish; }
kept3() { [ "$(pg_sql "SELECT count(*) FROM pprofweb_snapshots WHERE series_id = '$SID'")" -le 3 ]; }
check "-watch_keep=3 trims the series" wait_for 10 kept3
sleep 1.5
check "-watch_keep=3: the dropped snapshots' bytes are freed ($(pg_sql 'SELECT count(*) FROM pprofweb_profiles WHERE snapshot_only') kept)" \
    test "$(pg_sql 'SELECT count(*) FROM pprofweb_profiles WHERE snapshot_only')" -le 4
check "-watch_keep: the uploaded profile stays" test "$(get "$A_URL/p/$ID/api/meta")" = 200
get "$A_URL/api/store" > /dev/null
check "the start page lists the upload, and the snapshots as their series ($(json '(len(d["profiles"]), d["in_series"])'))" \
    test "$(json '(len(d["profiles"]), d["in_series"] >= 2)')" = "(1, True)"

# --- stopping on one replica stops it on all ---
st=$(get "$B_URL/api/watch/stop" --data-urlencode "id=$SID")
check "watch stopped on B: 200 ($st $(head -c 200 "$TMP/body"))" test "$st" = 200
gone_on_a() { get "$A_URL/api/watch" > /dev/null; [ "$(json 'len(d["watches"])')" = 0 ]; }
check "A no longer lists it" wait_for 5 gone_on_a
sleep 2.5
N1=$(n_snaps); sleep 2.5
check "no replica fetches it any more" test "$(n_snaps)" = "$N1"
check "its series stays" test "$(get "$A_URL/api/series" > /dev/null; json 'len(d["series"])')" = 1

# --- the database going away and coming back ---
check "A has opened the profile" test "$(get "$A_URL/p/$ID/api/top")" = 200
st=$(get "$B_URL/api/upload?name=heap" --data-binary @"$HEAP")
HID=$(json 'd["id"]')
pg_stop
check "database down: a profile A has open still answers" test "$(get "$A_URL/p/$ID/api/top")" = 200
check "database down: its flame graph too" test "$(get "$A_URL/p/$ID/api/flamegraph")" = 200
st=$(get "$A_URL/api/upload?name=heap1" --data-binary @"$HEAP1")
check "database down: an upload answers 503 ($st)" test "$st" = 503
check "database down: with a message ($(head -c 200 "$TMP/body"))" grep -q 'database unavailable' "$TMP/body"
st=$(get "$A_URL/p/$HID/api/top")
check "database down: a profile A never opened answers 503 ($st)" test "$st" = 503
check "database down: the listing answers 503" test "$(get "$A_URL/api/store")" = 503
check "database down: the replica runs on" kill -0 "$A_PID"
pg_restart || bad "restarting postgresql"
up() { [ "$(get "$A_URL/api/upload?name=heap1" --data-binary @"$HEAP1")" = 200 ]; }
check "database back: uploads work again, no restart" wait_for 10 up
check "database back: the new profile opens on B" test "$(get "$B_URL/p/$(json 'd["id"]')/api/top")" = 200
check "database back: the profile A had not opened opens" test "$(get "$A_URL/p/$HID/api/top")" = 200

# --- -store_copy: PostgreSQL to a directory and back, links kept ---
N_PROF=$(pg_sql 'SELECT count(*) FROM pprofweb_profiles')
"$BIN" -store_copy "$PG_URL" "$TMP/copy" 2> "$TMP/copy.err"
check "-store_copy to a directory: exit 0 ($(tail -n 1 "$TMP/copy.err"))" test $? = 0
check "-store_copy: every profile ($N_PROF)" test "$(find "$TMP/copy" -name '*.meta' | wc -l)" = "$N_PROF"
check "-store_copy: the series" test "$(find "$TMP/copy" -name '*.series' | wc -l)" = 1
"$BIN" -http=127.0.0.1:0 -no_browser -store "$TMP/copy" > "$TMP/c.out" 2>&1 &
C_PID=$!
for _ in $(seq 1 100); do C_URL=$(sed -n 's/^Serving web UI on \(http:.*\)$/\1/p' "$TMP/c.out"); [ -n "$C_URL" ] && break; sleep 0.1; done
get "$C_URL/p/$ID/api/top" > /dev/null
check "-store_copy: the same link serves the same numbers from the directory" cmp -s "$TMP/a.top" "$TMP/body"
get "$C_URL/api/series" > /dev/null
check "-store_copy: the series' snapshots came along" test "$(json 'd["series"][0]["snapshots"]')" = "$(pg_sql "SELECT count(*) FROM pprofweb_snapshots WHERE series_id = '$SID'")"
kill "$C_PID"; wait "$C_PID" 2>/dev/null
pg_sql "CREATE DATABASE back" > /dev/null
BACK_URL="postgresql://postgres@/back?host=$PG_DIR"
"$BIN" -store_copy "$TMP/copy" "$BACK_URL" 2> "$TMP/copy.err"
check "-store_copy back to a new database: exit 0 ($(tail -n 1 "$TMP/copy.err"))" test $? = 0
ids="SELECT string_agg(id, ',' ORDER BY id) FROM pprofweb_profiles"
check "-store_copy: the copy of the copy has the same ids" test "$(PG_DBNAME=back pg_sql "$ids")" = "$(pg_sql "$ids")"
"$BIN" -store_copy "$TMP/copy" "$BACK_URL" 2> "$TMP/copy.err"
n_all="SELECT (SELECT count(*) FROM pprofweb_profiles), (SELECT count(*) FROM pprofweb_snapshots)"
check "-store_copy again: nothing doubled" test "$(PG_DBNAME=back pg_sql "$n_all")" = "$(pg_sql "$n_all")"
check "-store_copy with one store: exit 2" sh -c "'$BIN' -store_copy '$TMP/copy' > /dev/null 2>&1; test \$? = 2"
finish
