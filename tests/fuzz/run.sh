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
printf '(a|aa)+$' > "$out/seeds-regex/2"
# Routes, views, multipart bodies, merges and names of the newer targets.
mkdir -p "$out/seeds-routes" "$out/seeds-views" "$out/seeds-multipart" "$out/seeds-merge" \
    "$out/seeds-dot"
printf '/api/top?f=main&si=alloc_space' > "$out/seeds-routes/1"
printf '/p/heap1/api/graph?diff_base=heap0&n=5' > "$out/seeds-routes/2"
printf '/p/cpu/ui/flamegraph?tagfocus=x' > "$out/seeds-routes/3"
printf '/static/app.js' > "$out/seeds-routes/4"
printf '\x01f=main&si=inuse_space&n=3&g=lines' > "$out/seeds-views/1"
printf '\x0adiff_base=heap0&normalize=t' > "$out/seeds-views/2"
printf '\x05focus=Shop&show_from=main&hide=runtime' > "$out/seeds-views/3"
printf 'multipart/form-data; boundary=zz\n--zz\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\nxyz\r\n--zz--\r\n' \
    > "$out/seeds-multipart/1"
python3 - "$out/seeds-merge/1" testdata/profiles/shop.heap-t0.pb.gz testdata/profiles/shop.heap-t1.pb.gz <<'PY'
import sys
a, b = open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
open(sys.argv[1], "wb").write(bytes([len(a) >> 8 & 255, len(a) & 255]) + a + b)
PY
printf '<script>\0a&b "q"\0\xff\xfe\0]]>\0{}[]|<>\\' > "$out/seeds-dot/1"
srcs=$(ls server/*.c | grep -v -e server/main.c -e server/http.c)
flags="-g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Ibuild/gen $(pkg-config --cflags libgvc libpq)"
libs="$(pkg-config --libs libprotobuf-c zlib libdeflate libgvc libpcre2-8) -liberty -lm -lpthread -ldl"
# Leaks of third-party libraries kept for the process's life (tests/lsan.supp) are not findings.
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
all="decode query regex gonames memstats goroutines gctrace symbolz multipart routes views merge dot"
for t in ${FUZZ_TARGETS:-$all}; do
    clang $flags -Itests/fuzz -o "$out/fuzz_$t" tests/fuzz/fuzz_$t.c $srcs build/obj/profile.pb-c.o build/obj/assets.o $libs
    echo "fuzzing $t for ${secs}s"
    "$out/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -artifact_prefix="$out/crash-$t-" \
        "$out/seeds-$t" > "$out/$t.log" 2>&1 || { tail -n 30 "$out/$t.log"; exit 1; }
    tail -n 1 "$out/$t.log"
done
