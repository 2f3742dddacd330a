#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for FUZZ_SECONDS (default
# 60), seeded with the corpus profiles and testdata. Crashes are written to build/fuzz/ and must
# become regression tests. Not part of `make test` (it is slow); run with `make fuzz`.
set -eu
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-60}
out=build/fuzz
mkdir -p "$out/seeds-decode" "$out/seeds-query" "$out/seeds-regex"
# Go's own text pages (testdata/gopages) seed the parsers of those pages.
for t in gonames memstats goroutines gctrace symbolz; do
    mkdir -p "$out/seeds-$t"
    cp testdata/gopages/pages/* "$out/seeds-$t/"
done
cp testdata/profiles/* "$out/seeds-decode/" 2>/dev/null || true
for f in ../shared/corpus/public/* ../shared/corpus/local/profiles/*; do
    [ -f "$f" ] && [ "$(stat -c %s "$f")" -lt 200000 ] && cp "$f" "$out/seeds-decode/"
done
printf 'si=alloc_space&f=main%%5C.&g=lines&n=10&nf=0.01' > "$out/seeds-query/1"
printf 'main\\.(foo|bar)+$' > "$out/seeds-regex/1"
srcs=$(ls server/*.c | grep -v -e server/main.c -e server/http.c)
flags="-g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Ibuild/gen $(pkg-config --cflags libgvc)"
libs="$(pkg-config --libs libprotobuf-c zlib libdeflate libgvc libpcre2-8 libcurl libcrypto libmicrohttpd) -liberty -lm -lpthread"
for t in ${FUZZ_TARGETS:-decode query regex gonames memstats goroutines gctrace symbolz}; do
    clang $flags -o "$out/fuzz_$t" tests/fuzz/fuzz_$t.c $srcs build/obj/profile.pb-c.o build/obj/assets.o $libs
    echo "fuzzing $t for ${secs}s"
    "$out/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -artifact_prefix="$out/crash-$t-" \
        "$out/seeds-$t" > "$out/$t.log" 2>&1 || { tail -n 30 "$out/$t.log"; exit 1; }
    tail -n 1 "$out/$t.log"
done
