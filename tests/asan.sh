#!/usr/bin/env bash
# Runs the whole suite (tests/run_all.sh) against the sanitizer build in DIR (make test-asan
# builds it): the binary and unit tests of DIR, with AddressSanitizer, LeakSanitizer and UBSan
# writing every report to DIR/logs/. Ends with "asan: N passed, N failed", where each report
# file is one more failure, after the suite's own totals.
set -u
cd "$(dirname "$0")/.."
dir=${1:-build-asan}
[ -x "$dir/pprofweb" ] || { echo "build $dir first (make test-asan)"; echo "asan: 0 passed, 1 failed"; exit 1; }
logs=$PWD/$dir/logs
rm -rf "$logs"
mkdir -p "$logs"
supp=$PWD/tests/lsan.supp
export ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0"
export LSAN_OPTIONS="suppressions=$supp:print_suppressions=0"
export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1:halt_on_error=0"
PPROFWEB_SANITIZED=1 PPROFWEB_BUILD=$dir PPROFWEB_BIN=$PWD/$dir/pprofweb tests/run_all.sh
status=$?
n=0
for f in "$logs"/*; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    echo "--- sanitizer report $f"
    head -n 40 "$f"
done
echo "asan: $((n == 0 ? 1 : 0)) passed, $n failed"
[ "$status" = 0 ] && [ "$n" = 0 ]
