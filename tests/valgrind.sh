#!/usr/bin/env bash
# Runs command-line reports and a short server session (views, a regexp, an upload, an aborted
# upload, shutdown) of build/pprofweb under valgrind's memcheck. A finding is an invalid access,
# a use of uninitialised memory, or a definite leak with a pprofweb frame in its stack (leaks
# entirely inside Graphviz and fontconfig are theirs: see tests/lsan.supp). Slow (minutes); not
# part of `make test`. Ends with "valgrind: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
BIN=${PPROFWEB_BIN:-build/pprofweb}
command -v valgrind > /dev/null || { echo "valgrind: 0 passed, 1 failed (apt-get install valgrind)"; exit 1; }
tmp=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && kill "$srv" 2> /dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
vg() { valgrind -q --leak-check=full --errors-for-leak-kinds=definite --num-callers=30 "$@"; }
# findings LOG: counts the findings of one valgrind log.
findings() {
    awk '/Invalid (read|write|free)|uninitialised|Conditional jump|Mismatched free/ { n++ }
         /definitely lost/ { leak = 1; own = 0; next }
         leak && /(server\/|pprofweb|tests\/)/ { own = 1 }
         leak && /^==[0-9]+== $/ { if (own) n++; leak = 0 }
         END { print n + 0 }' "$1"
}
judge() { # judge NAME LOG
    local n
    n=$(findings "$2")
    if [ "$n" = 0 ]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $1: $n findings"; head -n 60 "$2"; fi
}
P=testdata/profiles
for r in "-top $P/shop.cpu.pb.gz" "-traces $P/shop.heap-t1.pb.gz" "-tree $P/shop.cpu.pb.gz" \
    "-peek=main $P/shop.cpu.pb.gz" "-dot $P/shop.cpu.pb.gz" "-svg $P/shop.cpu.pb.gz" \
    "-top -diff_base=$P/shop.heap-t0.pb.gz $P/shop.heap-t1.pb.gz" "-top $P/shop.heap-t1.debug1.txt" \
    "-top $P/extremes.pb.gz" "-dot -focus=nomatch $P/extremes.pb.gz"; do
    vg --log-file="$tmp/cli.log" "$BIN" $r > /dev/null 2>&1
    judge "pprofweb $r" "$tmp/cli.log"
done
# valgrind itself in the background (not through vg, a function: $! would be a subshell).
valgrind -q --leak-check=full --errors-for-leak-kinds=definite --num-callers=30 \
    --log-file="$tmp/srv.log" "$BIN" -http=127.0.0.1:0 -no_browser -store "$tmp/store" \
    "$P/shop.heap-t1.pb.gz" > "$tmp/srv.out" 2>&1 &
srv=$!
for _ in $(seq 1 600); do grep -q '^Serving' "$tmp/srv.out" && break; sleep 0.1; done
url=$(sed -n 's/^Serving web UI on //p' "$tmp/srv.out")
codes=
for p in /ui/ /api/top /api/graph /api/flamegraph "/api/peek?f=main" "/api/source?f=main" \
    /download /api/meta "/api/top?f=(a|aa)%2B%24" /api/cache /static/app.js; do
    codes="$codes $(curl -s -m 300 -o /dev/null -w '%{http_code}' "$url$p")"
done
codes="$codes $(curl -s -m 300 -o /dev/null -w '%{http_code}' -F "f=@$P/shop.cpu.pb.gz" "$url/api/upload")"
python3 tests/http/upload.py abort "${url##*:}" 10000000 5000000 0.5
kill -TERM "$srv"
wait "$srv"
rc=$?
srv=
if [ "$rc" = 0 ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: the server under valgrind exited with $rc on SIGTERM"; fi
if [ "$codes" = "$(printf ' 200%.0s' $(seq 12))" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: server answers under valgrind:$codes"; fi
judge "server session" "$tmp/srv.log"
echo "valgrind: $pass passed, $fail failed"
[ "$fail" = 0 ]
