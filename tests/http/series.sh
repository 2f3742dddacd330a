#!/usr/bin/env bash
# HTTP tests of series: a real Go service that leaks (testdata/leaky, built here with the
# installed go) is watched at a 1 s interval; the leaking function ranks first in /api/growth and
# the one that allocates and frees does not, and the numbers equal each snapshot's top view; the
# service going away gives a gap with the error and the watch recovers when it comes back; after
# a restart with the same flags the series is still there; -watch_keep bounds it; an idle watch
# uses no CPU; -series opens files as one series (a profile of another kind skipped); the Watch
# API needs the token.
# Everything listens on 127.0.0.1 with ephemeral ports. Ends with "series http: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
. tests/http/lib.sh "series http"
LEAKY_PID=
stop_leaky() { [ -n "$LEAKY_PID" ] && kill "$LEAKY_PID" 2>/dev/null; LEAKY_PID=; }
CLEANUP_HOOK=stop_leaky
finish() { summary; exit; }
get() { local p=$1; shift; curl -s -m 30 -o "$TMP/body" -w "%{http_code}" "$@" "$URL$p"; }
post() { local p=$1; shift; curl -s -m 30 -o "$TMP/body" -w '%{http_code}' "$@" "$URL$p"; }
json() { python3 -c "import json,sys; d=json.load(open('$TMP/body')); print($1)"; }
STORE=$TMP/store

# --- the service ---
command -v go > /dev/null || { bad "go is not installed"; finish; }
(cd testdata/leaky && GOFLAGS=-mod=mod go build -o "$TMP/leaky" .) || { bad "building testdata/leaky"; finish; }
# start_leaky [ADDR]: runs the service (on ADDR, else an ephemeral port) and sets LEAKY_ADDR.
start_leaky() {
    rm -f "$TMP/leaky.addr"
    "$TMP/leaky" -addr "${1:-127.0.0.1:0}" -addrfile "$TMP/leaky.addr" 2> "$TMP/leaky.err" &
    LEAKY_PID=$!
    for _ in $(seq 1 100); do
        [ -s "$TMP/leaky.addr" ] && break
        sleep 0.05
    done
    LEAKY_ADDR=$(cat "$TMP/leaky.addr" 2>/dev/null)
    [ -n "$LEAKY_ADDR" ]
}
start_leaky || { bad "leaky did not start: $(cat "$TMP/leaky.err")"; finish; }
HEAP_URL=http://$LEAKY_ADDR/debug/pprof/heap

# snapshots: present snapshots of the default series; gaps: its gaps.
snapshots() { get /api/series > /dev/null; json 'sum(s["snapshots"] for s in d["series"] if s["id"]==d["default"])'; }
gaps() { get /api/series > /dev/null; json 'sum(s["gaps"] for s in d["series"] if s["id"]==d["default"])'; }
more_snapshots() { [ "$(snapshots)" -ge "$1" ]; }
more_gaps() { [ "$(gaps)" -ge "$1" ]; }
wait_for() { # wait_for SECONDS CMD...: polls CMD every 0.2 s
    local n=$(( $1 * 5 )); shift
    for _ in $(seq 1 "$n"); do "$@" && return 0; sleep 0.2; done
    return 1
}

# --- watching at 1 s ---
start_server -store "$STORE" -watch=1s "$HEAP_URL" || finish
check "watch lists the URL" test "$(get /api/watch > /dev/null; json 'd["watches"][0]["url"]')" = "$HEAP_URL"
SID=$(json 'd["watches"][0]["id"]')
check "a series id" grep -Eq '^[0-9a-f]{16}$' <<< "$SID"
wait_for 12 more_snapshots 6 || bad "six snapshots in 12 s: $(snapshots)"

st=$(get "/api/growth?si=inuse_space")
check "growth: 200 ($st)" test "$st" = 200
check "growth: the leak ranks first ($(json '[r["name"] for r in d["rows"][:4]]'))" \
    test "$(json 'd["rows"][0]["name"]')" = main.leakSessions
check "growth: the leak grew steadily" python3 -c "
import json; d=json.load(open('$TMP/body')); r=d['rows'][0]
assert r['steadiness'] > 0.8 and r['per_hour'] > 0 and r['change'] > 0, r"
check "growth: allocating and freeing is not growth" python3 -c "
import json; d=json.load(open('$TMP/body')); names=[r['name'] for r in d['rows']]
churn=[r for r in d['rows'] if r['name']=='main.churn']
assert not churn or (names.index('main.churn') > names.index('main.leakSessions') and churn[0]['steadiness'] < 0.5), churn"
check "growth: the cache that filled once ranks below the leak" python3 -c "
import json; d=json.load(open('$TMP/body')); names=[r['name'] for r in d['rows']]
assert names.index('main.warmCache') > names.index('main.leakSessions')"
check "growth: /s/SID/api/growth is the same" test "$(get "/s/$SID/api/growth?si=inuse_space" > /dev/null; json 'd["rows"][0]["name"]')" = main.leakSessions
# The last snapshot's values equal that snapshot's top view.
get /api/timeline > /dev/null
LEAK_LAST=$(json '[l["values"][-1] for l in d["lines"] if l["name"]=="main.leakSessions"][0]')
LAST_ID=$(json '[p["id"] for p in d["points"] if "total" in p][-1]')
LAST_TOTAL=$(json '[p["total"] for p in d["points"] if "total" in p][-1]')
check "timeline: a line for the leak" test "$(json 'd["lines"][0]["name"]')" = main.leakSessions
get "/p/$LAST_ID/api/top" > /dev/null
check "the leak's last value is its top view's flat" test "$(json '[r["flat"] for r in d["rows"] if r["name"]=="main.leakSessions"][0]')" = "$LEAK_LAST"
check "the last total is its top view's total" test "$(json 'd["total"]' 2>/dev/null || echo "$LAST_TOTAL")" = "$LAST_TOTAL"
check "timeline page" test "$(get /ui/timeline)" = 200
check "timeline page of the series" test "$(get "/s/$SID/ui/timeline")" = 200
err_is 404 /s/0123456789abcdef/api/timeline 'no series'
err_is 404 "/s/..%2f..%2fetc/api/timeline" 'series|not found'
err_is 400 "/api/growth?order=bogus" 'order: want'
err_is 400 "/api/timeline?si=nosuch" 'sample_index'
err_is 400 "/api/timeline?value=x" 'value: want flat or cum'

# --- the service goes away, then comes back on the same address ---
stop_leaky
wait_for 8 more_gaps 1 || bad "a gap after the service stopped"
get /api/timeline > /dev/null
check "the gap has the error text ($(json '[p.get("error") for p in d["points"] if "error" in p][:1]'))" \
    python3 -c "import json; d=json.load(open('$TMP/body')); assert any('error' in p and len(p['error']) > 5 for p in d['points'])"
check "the server is still up" test "$(get /api/series)" = 200
BEFORE=$(snapshots)
start_leaky "$LEAKY_ADDR" || bad "leaky restarted on $LEAKY_ADDR"
wait_for 10 more_snapshots $((BEFORE + 1)) || bad "the watch recovered when the service came back"
get /api/watch > /dev/null
check "the watch counts its failures" test "$(json 'd["watches"][0]["failures"]')" -ge 1
N_BEFORE=$(snapshots)
check "SIGTERM stops the watching server" stop_server

# --- restart with the same flags: the same series goes on ---
start_server -store "$STORE" -watch=1s "$HEAP_URL" || finish
get /api/series > /dev/null
check "after a restart: the same series" test "$(json 'd["default"]')" = "$SID"
check "after a restart: its snapshots are kept" test "$(snapshots)" -ge "$N_BEFORE"
check "after a restart: one series" test "$(get /api/series > /dev/null; json 'len(d["series"])')" = 1
stop_server

# --- -watch_keep bounds the series, oldest dropped first ---
start_server -store "$STORE" -watch=1s -watch_keep=3 "$HEAP_URL" || finish
fetched() { [ "$(get /api/watch > /dev/null; json 'd["watches"][0]["fetches"]')" -ge 1 ]; }
wait_for 5 fetched || bad "a fetch with -watch_keep"
get /api/timeline > /dev/null
check "-watch_keep=3: three snapshots kept ($(json 'len(d["points"])'))" test "$(json 'len(d["points"])')" = 3
check "-watch_keep: the newest kept" test "$(json 'd["points"][-1]["t"] >= d["series"]["last_time"]')" = True
# The dropped snapshots' bytes are gone too (each fetch of the leaking service is new bytes).
n_prof() { find "$STORE" -name '*.prof' | wc -l; }
check "-watch_keep=3: the dropped snapshots' files are freed ($(n_prof) profiles kept)" test "$(n_prof)" -le 4
get /api/store > /dev/null
check "the start page lists snapshots as their series, not as profiles ($(json '(len(d["profiles"]), d["in_series"])'))" \
    test "$(json '(len(d["profiles"]), d["in_series"]>=3)')" = "(0, True)"
stop_server
stop_leaky

# --- an idle watch uses no CPU ---
start_server -store "$STORE" -watch=60s "$HEAP_URL" || finish
sleep 0.5
cpu() { awk '{print $14 + $15}' "/proc/$SRV_PID/stat"; }
c0=$(cpu); sleep 2; c1=$(cpu)
check "idle watch: no CPU between fetches ($((c1 - c0)) ticks in 2 s)" test $((c1 - c0)) -le 1
stop_server

# --- -series: files as one series ---
mkdir -p "$TMP/dumps"
cp testdata/profiles/shop.heap-t0.pb.gz testdata/profiles/shop.heap-t1.pb.gz testdata/profiles/shop.cpu.pb.gz "$TMP/dumps/"
start_server -store "$TMP/store2" -series "$TMP/dumps" || finish
check "-series: the CPU profile is skipped, named" grep -q 'shop.cpu.pb.gz: skipped: its sample types are samples,cpu' "$TMP/srv.err"
get /api/timeline > /dev/null
check "-series: two snapshots, by the profiles' own time" test "$(json 'len(d["points"])')" = 2
check "-series: ordered by time" python3 -c "import json; d=json.load(open('$TMP/body')); t=[p['t'] for p in d['points']]; assert t == sorted(t), t"
check "-series: heap's default sample" test "$(json 'd["sample_type"]')" = inuse_space
check "-series: the first total is heap-t0's" test "$(json 'd["points"][0]["total"]')" = \
    "$(get "/p/$(sha256sum testdata/profiles/shop.heap-t0.pb.gz | cut -c1-24)/api/top" > /dev/null; json 'd["total"]' 2>/dev/null || echo missing)"
stop_server

# --- the Watch API: the token, bad input, start and stop ---
start_server -store "$TMP/store3" -auth_token s3cret || finish
st=$(post /api/watch -d url=http://127.0.0.1:9/debug/pprof/heap -d interval=30s)
check "watch without the token: 401 ($st)" test "$st" = 401
st=$(post /api/watch -H 'Authorization: Bearer s3cret' -d url=http://127.0.0.1:9/x -d interval=1ms)
check "watch with a bad interval: 400 ($st $(head -c 100 "$TMP/body"))" test "$st" = 400
st=$(post /api/watch -H 'Authorization: Bearer s3cret' -d url=http://127.0.0.1:9/debug/pprof/heap -d interval=30s)
check "watch with the token: 200 ($st $(head -c 200 "$TMP/body"))" test "$st" = 200
WID=$(json 'd["id"]')
check "started watch listed" test "$(get /api/watch > /dev/null; json 'len(d["watches"])')" = 1
has_points() { [ "$(get "/s/$WID/api/timeline" > /dev/null; json 'len(d["points"])')" -ge 1 ]; }
wait_for 5 has_points || bad "an unreachable endpoint is a gap"
check "unreachable endpoint's gap says why" python3 -c "import json; d=json.load(open('$TMP/body')); assert d['points'][0]['error'], d"
st=$(post /api/watch/stop -d id="$WID")
check "stop without the token: 401 ($st)" test "$st" = 401
st=$(post /api/watch/stop -H 'Authorization: Bearer s3cret' -d id="$WID")
check "stop with the token: 200 ($st)" test "$st" = 200
check "stopped watch gone" test "$(get /api/watch > /dev/null; json 'len(d["watches"])')" = 0
st=$(post /api/watch/stop -H 'Authorization: Bearer s3cret' -d id="$WID")
check "stopping again: 404 ($st)" test "$st" = 404
check "the series stays" test "$(get /api/series > /dev/null; json 'len(d["series"])')" = 1
check "the server stops cleanly" stop_server
finish
