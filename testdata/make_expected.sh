#!/usr/bin/env bash
# Regenerates testdata/expected/ from `go tool pprof` (Go 1.19) for pprofweb's own golden tests:
# annotated source (-list) of the shop program's profiles with its sources in shop/, and a few
# reports on those profiles and on extremes.pb.gz (tests/http/mkprof.py extremes). tests/conformance/run.sh replays COMMANDS.tsv with pprofweb.
# Run from anywhere: testdata/make_expected.sh
set -eu
cd "$(dirname "$0")"
rm -rf expected && mkdir -p expected
printf 'output\tstderr\texit_code\tseconds\truns_distinct\tcommand\n' > expected/COMMANDS.tsv
n=0
run() { # NAME ARGS...
    local name=$1; shift
    local cmd="TZ=UTC go tool pprof -symbolize=none $*"
    set +e
    eval "$cmd" > "expected/$name" 2> "expected/$name.stderr"
    local rc=$?
    set -e
    local err="expected/$name.stderr"
    if [ -s "$err" ]; then err="$name.stderr"; else rm -f "$err"; err=""; fi
    printf '%s\t%s\t%s\t0\t1/1\t%s\n' "$name" "$err" "$rc" "$cmd" >> expected/COMMANDS.tsv
    n=$((n + 1))
}
run list.render.txt -list "'main\\.render'" -source_path=shop profiles/shop.cpu.pb.gz
run list.main.txt -list "'main\\.'" -source_path=shop profiles/shop.cpu.pb.gz
run list.heap.txt -list "'main\\.remember|main\\.newOrder'" -source_path=shop -sample_index=alloc_space profiles/shop.heap-t1.pb.gz
run list.trim_path.txt -list "'main\\.checksum'" -source_path=. -trim_path=example.com profiles/shop.cpu.pb.gz
run list.noinlines.txt -list "'main\\.serve'" -noinlines -source_path=shop profiles/shop.cpu.pb.gz
run list.missing.txt -list "'main\\.checksum'" -source_path=nowhere profiles/shop.cpu.pb.gz
run list.nomatch.txt -list "'no_such_function'" -source_path=shop profiles/shop.cpu.pb.gz
run list.diff_base.txt -list "'main\\.remember'" -source_path=shop -diff_base=profiles/shop.heap-t0.pb.gz profiles/shop.heap-t1.pb.gz
run top.debug1.txt -top -nodecount=0 profiles/shop.heap-t1.debug1.txt
run top.base.txt -top -nodecount=0 -base=profiles/shop.heap-t0.pb.gz profiles/shop.heap-t1.pb.gz
run peek.cpu.txt -peek "'main\\.serve|json\\.Marshal'" profiles/shop.cpu.pb.gz
run top.cpu.focus.txt -top -nodecount=0 -focus=checksum -hide=runtime profiles/shop.cpu.pb.gz
# Values near INT64_MAX and INT64_MIN: Go's sums wrap around, and so must pprofweb's.
for r in top:-top top.cum:"-top -cum" traces:-traces tree:-tree peek:"-peek=." dot:-dot \
    raw:-raw lines:"-top -lines" samples:"-top -sample_index=samples" nodecount:"-top -nodecount=2"; do
    run "extremes.${r%%:*}.txt" ${r#*:} profiles/extremes.pb.gz
done
run extremes.merged.txt -top profiles/extremes.pb.gz profiles/extremes.pb.gz
run extremes.base.txt -top -base=profiles/extremes.pb.gz profiles/extremes.pb.gz
run extremes.diff.txt -top -diff_base=profiles/extremes.pb.gz profiles/extremes.pb.gz
run extremes.focus.txt -top -focus=cold -hide=leaf profiles/extremes.pb.gz
# "(inline)" marks hang on the edges an edge fraction keeps: an inlined function's only edge in
# is as heavy as the function, and a heavier cutoff drops it (and the mark) as it drops others.
run top.cpu.inline_cutoff.txt -top -nodecount=0 -nodefraction=0 -edgefraction=0.05 \
    profiles/shop.cpu.pb.gz
run top.heap.diff_inline_cutoff.txt -top -nodecount=0 -nodefraction=0 -edgefraction=0.02 \
    -diff_base=profiles/shop.heap-t0.pb.gz profiles/shop.heap-t1.pb.gz
echo "wrote $n outputs into testdata/expected"
