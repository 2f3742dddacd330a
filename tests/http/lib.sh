# Shared harness of the HTTP tests, sourced from the repository root with the suite's name:
#   . tests/http/lib.sh "graph http"
# Sets BIN (a private copy of ${PPROFWEB_BIN:-build/pprofweb}, so a rebuild while the tests run
# cannot swap the binary under them), TMP (removed on exit) and the pass/fail counters; gives
# ok/bad/check, start_server/stop_server (URL and SRV_PID), code, err_is, summary and abort.
# A suite that starts processes of its own can name a function in CLEANUP_HOOK to stop them on exit.
set -u
TEST_NAME=$1
BIN=${PPROFWEB_BIN:-build/pprofweb}
TMP=$(mktemp -d)
pass=0 fail=0
SRV_PID=
CLEANUP_HOOK=
cleanup() {
    [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
    [ -n "$CLEANUP_HOOK" ] && "$CLEANUP_HOOK"
    rm -rf "$TMP"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check DESC CMD...: passes when CMD succeeds
    local desc=$1; shift
    if "$@"; then ok; else bad "$desc"; fi
}

# summary: the final "NAME: N passed, N failed" line; succeeds when nothing failed.
summary() { echo "$TEST_NAME: $pass passed, $fail failed"; [ "$fail" = 0 ]; }
# abort: ends the run now, counting one more failure (the step that made going on pointless).
abort() { echo "$TEST_NAME: $pass passed, $((fail + 1)) failed"; exit 1; }

# start_server ARGS...: starts pprofweb -http=127.0.0.1:0, waits for its URL (in URL).
start_server() {
    # Emptied here: the redirection below happens in the child, which the loop may outrun and
    # read the URL of the server stopped before (every request then fails with status 000).
    : > "$TMP/srv.out"
    "$BIN" -http=127.0.0.1:0 -no_browser "$@" > "$TMP/srv.out" 2> "$TMP/srv.err" &
    SRV_PID=$!
    for _ in $(seq 1 100); do
        URL=$(sed -n 's/^Serving web UI on \(http:.*\)$/\1/p' "$TMP/srv.out")
        [ -n "$URL" ] && return 0
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "server did not start: $(cat "$TMP/srv.err")"
    return 1
}

# stop_server: SIGTERM, then the server's exit status.
stop_server() {
    kill -TERM "$SRV_PID"
    local rc=0
    wait "$SRV_PID" || rc=$?
    SRV_PID=
    return $rc
}

# code PATH: prints the HTTP status of GET URL/PATH, leaves the body in $TMP/body.
code() { curl -s -o "$TMP/body" -w '%{http_code}' "$URL$1"; }

err_is() { # err_is STATUS PATH MESSAGE-REGEXP
    local st
    st=$(code "$2")
    if [ "$st" = "$1" ] && grep -Eq "$3" "$TMP/body"; then ok; else
        bad "$2: want $1 /$3/, got $st: $(head -c 200 "$TMP/body")"; fi
}

[ -x "$BIN" ] || { echo "build $BIN first (make)"; echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }
cp "$BIN" "$TMP/pprofweb"
BIN=$TMP/pprofweb
