#!/usr/bin/env bash
# HTTP tests of Go's own text pages (testdata/gopages/pages, real outputs of a Go program): a
# ?debug=1 heap page has names from its comments and MemStats fields in /api/meta; a debug=2
# dump and a panic are goroutine profiles with tag filters and /api/goroutines; a malformed
# dump upload is refused with its line; a debug=1 page fetched from a live Go service (testdata/gopages
# -mode=serve, built here) is named by its /debug/pprof/symbol as go tool pprof names it, with
# the page's comments as the fallback when the endpoint fails. Ends with
# "gopages http: N passed, N failed".
cd "$(dirname "$0")/../.."
. tests/http/lib.sh "gopages http"
PAGES=testdata/gopages/pages
GOSVC_PID=
stop_gosvc() { [ -n "$GOSVC_PID" ] && kill "$GOSVC_PID" 2>/dev/null; GOSVC_PID=; }
CLEANUP_HOOK=stop_gosvc
jq_ok() { python3 -c "import json,sys; d=json.load(open('$TMP/body')); sys.exit(0 if ($1) else 1)"; }

start_server -store "$TMP/store" "$PAGES/heap.debug1.txt" || abort
check "meta 200" [ "$(code /api/meta)" = 200 ]
check "names_from_comments" jq_ok "d['names_from_comments'] is True"
check "memstats groups" jq_ok "[g['name'] for g in d['memstats_fields']['groups']][:2] == ['Heap', 'Derived']"
check "HeapAlloc as printed" jq_ok "d['memstats_fields']['groups'][0]['figures'][0]['value'] == int([l for l in d['memstats'].splitlines() if l.startswith('# HeapAlloc = ')][0].split('= ')[1])"
check "pause percentiles" jq_ok "d['memstats_fields']['pauses']['count'] > 0 and d['memstats_fields']['pauses']['p99_ns'] >= d['memstats_fields']['pauses']['p50_ns']"
check "top 200" [ "$(code /api/top)" = 200 ]
check "top has main.allocate" jq_ok "d['rows'][0]['name'] == 'main.allocate'"
check "legend says names from comments" jq_ok "\"Names: from the profile's comments\" in d['legend']"
check "goroutines on a heap profile is 404" [ "$(code /api/goroutines)" = 404 ]
stop_server

start_server -store "$TMP/store2" "$PAGES/goroutine.debug2.txt" || abort
check "dump top 200" [ "$(code /api/top)" = 200 ]
check "dump total 20" jq_ok "d['total'] == 20"
check "tf=state" [ "$(code '/api/top?tf=state%3Dchan%20receive')" = 200 ]
check "tf=state keeps 13" jq_ok "d['legend'][-1].startswith('Showing nodes accounting for 13,')"
check "tf=wait=1:" [ "$(code '/api/top?tf=wait%3D1%3A')" = 200 ]
check "tf=wait=1: keeps 19" jq_ok "d['legend'][-1].startswith('Showing nodes accounting for 19,')"
check "goroutines 200" [ "$(code /api/goroutines)" = 200 ]
check "largest group first" jq_ok "d['groups'][0]['count'] == 12 and d['groups'][0]['states'][0]['value'] == 'chan receive' and d['groups'][0]['wait_min'] == 1"
check "locked group" jq_ok "any(g['locked'] == 1 and g['frames'][0]['function'] == 'main.pinned' for g in d['groups'])"
# The summary is refined as the views are: its count is what top shows for the same settings.
for q in 'tf=state%3Dselect' 'ti=state%3Dchan%20receive' 'f=main%5C.poller' 'i=main%5C.consumer' 's=%5Emain%5C.' 'h=%5Emain%5C.write'; do
    code "/api/top?$q" > /dev/null
    shown=$(python3 -c "import json,re; d=json.load(open('$TMP/body')); print(re.search(r'accounting for ([0-9,]+)', d['legend'][-1]).group(1).replace(',', ''))")
    check "goroutines?$q 200" [ "$(code "/api/goroutines?$q")" = 200 ]
    check "goroutines?$q counts what top shows ($shown)" jq_ok "d['goroutines'] == $shown == sum(g['count'] for g in d['groups'])"
done
code '/api/goroutines?tf=state%3Dselect' > /dev/null
check "tf=state=select: only select groups" jq_ok "d['groups'] and all([s['value'] for s in g['states']] == ['select'] for g in d['groups'])"
code '/api/goroutines?ti=state%3Dchan%20receive' > /dev/null
check "ti=state=chan receive: none left" jq_ok "all('chan receive' not in [s['value'] for s in g['states']] for g in d['groups'])"
code '/api/goroutines?i=main%5C.consumer' > /dev/null
check "i=main.consumer: its 12 gone" jq_ok "d['goroutines'] == 8 and not any(f['function'] == 'main.consumer' for g in d['groups'] for f in g['frames'])"
code '/api/goroutines?s=%5Emain%5C.' > /dev/null
check "s=^main.: only main frames" jq_ok "all(f['function'].startswith('main.') for g in d['groups'] for f in g['frames'])"
code '/api/goroutines?h=%5Emain%5C.write' > /dev/null
check "h=^main.write: that frame hidden" jq_ok "d['goroutines'] == 20 and not any(f['function'] == 'main.write' for g in d['groups'] for f in g['frames'])"
code '/api/goroutines?g=functions' > /dev/null
check "lines kept at function granularity" jq_ok "all(f['line'] > 0 for f in d['groups'][0]['frames'])"
check "a bad regexp is 400" [ "$(code '/api/goroutines?f=%28')" = 400 ]
for v in graph flamegraph peek?f=main source?f=main.consumer; do
    check "$v 200" [ "$(code "/api/$v")" = 200 ]
done
# Uploads: a panic is a profile; a dump with a frame but no file line is 422 naming the line.
st=$(curl -s -o "$TMP/body" -w '%{http_code}' --data-binary @"$PAGES/panic.txt" "$URL/api/upload?name=panic.txt")
check "panic upload 200 ($st)" [ "$st" = 200 ]
id=$(python3 -c "import json; print(json.load(open('$TMP/body'))['id'])")
code "/p/$id/api/meta" > /dev/null
check "the panic's message is its comment" jq_ok "d['comments'] == ['$(head -1 "$PAGES/panic.txt")']"
printf 'goroutine 1 [running]:\nmain.main()\nnot a file line\n' > "$TMP/bad.txt"
st=$(curl -s -o "$TMP/body" -w '%{http_code}' --data-binary @"$TMP/bad.txt" "$URL/api/upload?name=bad.txt")
check "bad dump 422 ($st)" [ "$st" = 422 ]
check "bad dump names line 3" grep -q "line 3" "$TMP/body"
stop_server

# A gctrace log mixed with other lines: /api/gctrace has its cycles; an unreadable gc line is
# counted and shown, not fatal.
start_server -store "$TMP/store3" "$PAGES/gctrace.log" || abort
check "meta says gctrace" sh -c "[ \"\$(curl -s '$URL/api/meta' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"gctrace\"])')\" = True ]"
check "gctrace 200" [ "$(code /api/gctrace)" = 200 ]
check "one cycle per gc line" jq_ok "len(d['log']['cycles']) == $(grep -c '^gc [0-9]* @' "$PAGES/gctrace.log")"
check "cycle fields" jq_ok "all(k in d['log']['cycles'][0] for k in ['at_s','heap_start_mb','heap_end_mb','heap_live_mb','goal_mb','cpu_pct','clock_ms'])"
{ cat "$PAGES/gctrace.log"; printf 'gc 99 @9.9s 1%%: broken\n'; } > "$TMP/mixed.log"
st=$(curl -s -o "$TMP/body" -w '%{http_code}' --data-binary @"$TMP/mixed.log" "$URL/api/upload?name=mixed.log")
check "mixed log upload 200 ($st)" [ "$st" = 200 ]
id=$(python3 -c "import json; print(json.load(open('$TMP/body'))['id'])")
check "uploaded gctrace 200" [ "$(code "/p/$id/api/gctrace")" = 200 ]
check "unreadable line counted with its number" jq_ok "d['log']['unreadable'] == 1 and d['log']['unreadable_lines'][0]['line'] == $(($(wc -l < "$PAGES/gctrace.log") + 1))"
check "gctrace on a dump is 404" [ "$(code "/p/$id/api/goroutines")" = 404 ]
stop_server
# Remote symbolization against a live Go service. Its /frozen/debug/pprof/ pages are kept as first
# served (live pages change between two fetches) next to its live symbol endpoint, so pprofweb
# and go tool pprof read the same addresses and ask the same server.
if ! command -v go > /dev/null; then
    bad "go is not installed"
elif ! (cd testdata/gopages && GOFLAGS=-mod=mod go build -o "$TMP/gopages" .); then
    bad "building testdata/gopages"
else
    "$TMP/gopages" -mode=serve -addrfile "$TMP/gosvc.addr" 2> "$TMP/gosvc.err" &
    GOSVC_PID=$!
    for _ in $(seq 1 100); do [ -s "$TMP/gosvc.addr" ] && break; sleep 0.05; done
    SVC=http://$(cat "$TMP/gosvc.addr" 2>/dev/null)/frozen/debug/pprof
    for page in 'heap?debug=1' 'goroutine?debug=1'; do
        for mode in '' none remote; do
            HOME=$TMP PPROF_TMPDIR=$TMP go tool pprof ${mode:+-symbolize=$mode} -top "$SVC/$page" > "$TMP/go.top" 2> "$TMP/go.err"
            "$BIN" ${mode:+-symbolize=$mode} -top "$SVC/$page" > "$TMP/pw.top" 2> "$TMP/pw.err"
            check "$page ${mode:+-symbolize=$mode }-top equals go tool pprof's ($(diff "$TMP/go.top" "$TMP/pw.top" | head -3))" cmp -s "$TMP/go.top" "$TMP/pw.top"
            # Named by the service, not by the comments: runtime frames the comments leave out.
            [ -z "$mode" ] && check "$page: names from the service" grep -q ' runtime\.main$' "$TMP/pw.top"
        done
    done
    HOME=$TMP PPROF_TMPDIR=$TMP go tool pprof -raw "$SVC/heap?debug=1" > "$TMP/go.raw" 2> /dev/null
    "$BIN" -raw "$SVC/heap?debug=1" > "$TMP/pw.raw" 2> /dev/null
    check "heap?debug=1 -raw equals go tool pprof's" cmp -s "$TMP/go.raw" "$TMP/pw.raw"

    # The start page's Fetch: the kept profile has the service's names and the page's MemStats.
    start_server -store "$TMP/store4" || abort
    st=$(curl -s -o "$TMP/body" -w '%{http_code}' --data-urlencode "url=$SVC/heap?debug=1" "$URL/api/fetch")
    check "fetch 200 ($st)" [ "$st" = 200 ]
    id=$(python3 -c "import json; print(json.load(open('$TMP/body'))['id'])" 2>/dev/null)
    check "fetched top 200" [ "$(code "/p/$id/api/top")" = 200 ]
    check "fetched top named by the service" jq_ok "any(r['name'] == 'runtime.main' for r in d['rows']) and d['rows'][0]['name'] == 'main.allocate'"
    check "no comment legend" jq_ok "\"Names: from the profile's comments\" not in d['legend']"
    check "fetched meta keeps MemStats" sh -c "curl -s '$URL/p/$id/api/meta' | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d[\"memstats_fields\"][\"groups\"][0][\"name\"] == \"Heap\" and not d[\"names_from_comments\"] else 1)'"
    stop_server

    # The endpoint fails (a plain file server has no symbol handler): names from the comments,
    # and the failure said once.
    mkdir -p "$TMP/www/debug/pprof"
    curl -s "$SVC/heap?debug=1" > "$TMP/www/debug/pprof/heap"
    python3 -m http.server 0 --bind 127.0.0.1 --directory "$TMP/www" > "$TMP/www.out" 2>&1 &
    WWW_PID=$!
    for _ in $(seq 1 100); do grep -q 'port' "$TMP/www.out" && break; sleep 0.05; done
    WWW=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$TMP/www.out" | head -1)
    "$BIN" -top "http://127.0.0.1:$WWW/debug/pprof/heap" > "$TMP/pw.top" 2> "$TMP/pw.err"
    check "symbol endpoint fails: names from the comments" grep -q "Names: from the profile's comments" "$TMP/pw.top"
    check "symbol endpoint fails: said on stderr ($(head -c 200 "$TMP/pw.err"))" grep -q "http post http://127.0.0.1:$WWW/debug/pprof/symbol" "$TMP/pw.err"
    "$BIN" -symbolize=remote -top "http://127.0.0.1:$WWW/debug/pprof/heap" > "$TMP/pw.top" 2> "$TMP/pw.err"
    check "-symbolize=remote and the endpoint fails: an error, as pprof" [ ! -s "$TMP/pw.top" ]
    kill "$WWW_PID" 2>/dev/null
    stop_gosvc
fi
summary
