#!/usr/bin/env bash
# Runs every test suite (unit, conformance, HTTP, browser) and ends with the totals as
# "N passed, N failed". Each suite prints its own "<suite>: N passed, N failed" line.
set -u
cd "$(dirname "$0")/.."
total_pass=0 total_fail=0 status=0
# Servers the tests start without -store keep uploads in a scratch store, not the user's.
PPROFWEB_STORE=$(mktemp -d); export PPROFWEB_STORE; trap 'rm -rf "$PPROFWEB_STORE"' EXIT
run_suite() {
    local name=$1; shift
    echo "=== $name"
    local out rc
    out=$("$@" 2>&1); rc=$?
    printf '%s\n' "$out"
    local line p f
    line=$(printf '%s\n' "$out" | grep -oE '[0-9]+ passed, [0-9]+ failed' | tail -n1)
    p=${line%% passed*}
    f=${line#*passed, }; f=${f%% failed*}
    [ -n "$line" ] || { p=0; f=1; }
    [ $rc -ne 0 ] && [ "$f" = 0 ] && f=1
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    [ $rc -ne 0 ] && status=1
}
# PPROFWEB_BUILD: the build directory whose binary and unit tests run (build-asan for
# `make test-asan`); the scripts take the binary from PPROFWEB_BIN.
build=${PPROFWEB_BUILD:-build}
export PPROFWEB_BIN=${PPROFWEB_BIN:-$PWD/$build/pprofweb}
run_suite unit tests/unit/run.sh "$build"/tests/test_*
run_suite cli tests/cli/run.sh
run_suite conformance tests/conformance/run.sh
run_suite golden env PPROFWEB_CORPUS=testdata tests/conformance/run.sh
[ -x tests/http/run.sh ] && run_suite http tests/http/run.sh
[ -x tests/http/graph.sh ] && run_suite graph-http tests/http/graph.sh
[ -x tests/http/store.sh ] && run_suite store-http tests/http/store.sh
[ -x tests/http/store.sh ] && run_suite store-http-postgresql tests/http/store.sh postgresql
[ -x tests/http/replicas.sh ] && run_suite replicas-http tests/http/replicas.sh
[ -x tests/http/compare.sh ] && run_suite compare-http tests/http/compare.sh
[ -x tests/http/gopages.sh ] && run_suite gopages-http tests/http/gopages.sh
[ -x tests/http/hostile.sh ] && run_suite hostile-http tests/http/hostile.sh
[ -x tests/http/series.sh ] && run_suite series-http tests/http/series.sh
[ -x tests/http/series.sh ] && run_suite series-http-postgresql tests/http/series.sh postgresql
[ -x tests/browser/run.sh ] && run_suite browser tests/browser/run.sh
echo "all suites: $total_pass passed, $total_fail failed"
exit $status
