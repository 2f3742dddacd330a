#!/usr/bin/env bash
# Browser tests: headless Debian chromium driven by playwright-core (installed by
# `make test-deps`) against the real server. Screenshots go to build/screenshots/.
# Ends with "browser: N passed, N failed".
set -u
cd "$(dirname "$0")"
if [ ! -d node_modules/playwright-core ]; then
    npm install --no-audit --no-fund --silent > /dev/null 2>&1 || true
fi
if [ ! -d node_modules/playwright-core ] || ! command -v chromium > /dev/null; then
    echo "browser tests need chromium and playwright-core: run make test-deps"
    echo "browser: 0 passed, 1 failed"
    exit 1
fi
# Each script prints "<name>: N passed, N failed"; the total is the last line.
passed=0 failed=0 status=0
for t in run.mjs flame.mjs graph.mjs store.mjs compare.mjs gopages.mjs timeline.mjs; do
    out=$(node "$t" 2>&1); rc=$?
    printf '%s\n' "$out"
    line=$(printf '%s\n' "$out" | grep -oE '[0-9]+ passed, [0-9]+ failed' | tail -n1)
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
    [ -n "$line" ] || { p=0; f=1; }
    [ $rc -ne 0 ] && [ "$f" = 0 ] && f=1
    passed=$((passed + p)); failed=$((failed + f)); [ $rc -ne 0 ] && status=1
done
echo "browser: $passed passed, $failed failed"
exit $status
