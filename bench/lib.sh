# lib: what the bench scripts share, sourced from the repository's root.
#
# server_start LOG ARGS...: starts pprofweb -http=127.0.0.1:0 -no_browser ARGS (build/pprofweb,
# or PPROFWEB_BIN: another build, for a paired run), its output in LOG, and waits until it says where it serves (polling every SERVER_POLL seconds, 0.05 by
# default, for at most SERVER_WAIT, 120): sets SERVER_PID and SERVER_URL. Fails, printing LOG,
# when the server exits or does not serve in time.
# server_stop: stops it and waits for it.
# median VALUES...: the median of the values (the lower middle one of an even count).
server_start() {
    local log=$1 deadline
    shift
    # Emptied first: the redirection below happens in the child, which the loop may outrun and
    # read the URL of a server stopped before (a refused connection).
    : > "$log"
    "${PPROFWEB_BIN:-build/pprofweb}" -http=127.0.0.1:0 -no_browser "$@" > "$log" 2>&1 &
    SERVER_PID=$!
    SERVER_URL=
    deadline=$(( $(date +%s) + ${SERVER_WAIT:-120} ))
    while [ "$(date +%s)" -le $deadline ]; do
        SERVER_URL=$(sed -n 's/^Serving web UI on \(http:[^ ]*\).*/\1/p' "$log" 2> /dev/null)
        [ -n "$SERVER_URL" ] && return 0
        kill -0 $SERVER_PID 2> /dev/null || break
        sleep "${SERVER_POLL:-0.05}"
    done
    echo "bench: the server did not start (pprofweb $*)"
    cat "$log"
    server_stop
    return 1
}

server_stop() {
    [ -n "${SERVER_PID:-}" ] || return 0
    kill $SERVER_PID 2> /dev/null
    wait $SERVER_PID 2> /dev/null
    SERVER_PID=
}

median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
