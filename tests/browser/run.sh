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
exec node run.mjs
