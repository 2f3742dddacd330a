#!/usr/bin/env bash
# Command-line behaviour a user notices: malformed inputs give one line naming the file and what
# is wrong, exit status 1, no crash; bad flags exit 2 with usage; pprof's flag spellings work.
set -u
cd "$(dirname "$0")/../.."
bin=${PPROFWEB_BIN:-build/pprofweb}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }

# expect_error NAME FILE PATTERN: exit 1, stderr names FILE and matches PATTERN, no crash.
expect_error() {
    local name=$1 file=$2 pattern=$3
    "$bin" -top "$file" > "$tmp/out" 2> "$tmp/err" < /dev/null
    local rc=$?
    if [ $rc -ne 1 ]; then bad "$name: exit $rc, want 1 ($(head -c 200 "$tmp/err"))"; return; fi
    if ! head -n1 "$tmp/err" | grep -qF -- "$file"; then bad "$name: error does not name the file: $(head -n1 "$tmp/err")"; return; fi
    if ! grep -qE -- "$pattern" "$tmp/err"; then bad "$name: error lacks /$pattern/: $(cat "$tmp/err")"; return; fi
    [ -s "$tmp/out" ] && { bad "$name: printed a report"; return; }
    ok
}

good=testdata/profiles/shop.heap-t0.pb.gz
expect_error "missing file" "$tmp/nope.pb.gz" "No such file"
head -c 1000 "$good" > "$tmp/truncated.pb.gz"
expect_error "truncated gzip" "$tmp/truncated.pb.gz" "decompressing profile"
gzip -dc "$good" > "$tmp/raw.pb"
head -c 700 "$tmp/raw.pb" > "$tmp/truncated.pb"
expect_error "truncated protobuf" "$tmp/truncated.pb" "parsing profile|malformed"
printf 'hello, this is not a profile\n' > "$tmp/garbage.txt"
expect_error "garbage" "$tmp/garbage.txt" "unrecognized profile format"
: > "$tmp/empty"
expect_error "empty file" "$tmp/empty" "empty input"
printf '\x0a\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80' > "$tmp/badvarint.pb"
expect_error "bad varint" "$tmp/badvarint.pb" "varint|unrecognized"
printf 'heap profile: 1: 2 [3: 4] @ heap/1048576\n1: 2 [3: 4] @ 0xzz\n' > "$tmp/badheap.txt"
"$bin" -top "$tmp/badheap.txt" > /dev/null 2> "$tmp/err" < /dev/null
rc=$?; [ $rc -le 1 ] && ok || bad "malformed legacy heap: exit $rc (crash?)"

# One good and one bad source: pprof reports the bad one and goes on.
"$bin" -top "$good" "$tmp/garbage.txt" > "$tmp/out" 2> "$tmp/err" < /dev/null
if [ $? -eq 0 ] && grep -q "garbage.txt" "$tmp/err" && grep -q "Fetched 1 source profiles out of 2" "$tmp/err" && grep -q "flat%" "$tmp/out"; then ok; else bad "partial sources: $(cat "$tmp/err")"; fi

# Flags: unknown flag and missing value exit 2 with usage; both spellings work.
"$bin" -no_such_flag "$good" > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "flag provided but not defined: -no_such_flag" "$tmp/err" && ok || bad "unknown flag: exit $rc"
"$bin" -top -nodecount > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && ok || bad "missing flag value: exit $rc"
a=$("$bin" -top -nodecount=3 -sample_index=alloc_space "$good" 2>&1)
b=$("$bin" --top -nodecount 3 -alloc_space "$good" 2>&1)
[ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "-flag=value and -flag value differ"
"$bin" -top -sample_index=bogus "$good" > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q 'sample_index "bogus" must be one of' "$tmp/err" && ok || bad "bad sample_index: exit $rc $(cat "$tmp/err")"

# -output writes the report to a file.
"$bin" -top -output="$tmp/report.txt" "$good" 2> /dev/null
grep -q "flat%" "$tmp/report.txt" 2> /dev/null && ok || bad "-output"

# make install puts the binary where PREFIX says.
make -s install PREFIX="$tmp/prefix" > /dev/null 2>&1 && [ -x "$tmp/prefix/bin/pprofweb" ] && ok || bad "make install"

# Go ?debug=1 pages: names from their comment lines by default, with the legend saying so;
# -symbolize=none stays pprof's output byte for byte (its golden file has no names).
debug1=testdata/profiles/shop.heap-t1.debug1.txt
"$bin" -top -nodecount=3 "$debug1" > "$tmp/names" 2>&1
if grep -q "main.remember" "$tmp/names" && grep -qx "Names: from the profile's comments" "$tmp/names"; then ok; else bad "debug=1 names: $(cat "$tmp/names")"; fi
"$bin" -symbolize=none -top -nodecount=0 "$debug1" > "$tmp/none" 2>&1
if cmp -s "$tmp/none" testdata/expected/top.debug1.txt; then ok; else bad "-symbolize=none differs from pprof: $(diff "$tmp/none" testdata/expected/top.debug1.txt | head -5)"; fi

echo "cli: $passed passed, $failed failed"
[ $failed -eq 0 ]
