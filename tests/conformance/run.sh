#!/usr/bin/env bash
# Conformance: runs every command of the corpus's COMMANDS.tsv whose report pprofweb implements
# with build/pprofweb instead of `go tool pprof`, and compares stdout byte for byte (and the exit
# status, and stderr where pprof wrote some) with Go 1.19 pprof's recorded output.
#
# usage: tests/conformance/run.sh [-v] [KIND...]   KIND: top raw traces tags peek dot list
# (default: all). PPROFWEB_CORPUS names the directory holding expected/COMMANDS.tsv: the shared
# corpus by default; testdata/ holds pprofweb's own goldens (testdata/make_expected.sh).
# Rows whose runs_distinct is N/M with N > 1 vary in pprof itself (map order); they are compared
# as sets of lines with DOT node ids replaced by their labels (unordered.py). Cases listed in tests/conformance/known_failures.txt (output path, then a
# reason) are reported but do not fail the run; a listed case that passes is reported too.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${PPROFWEB_CORPUS:-$repo/../shared/corpus}
bin=${PPROFWEB_BIN:-$repo/build/pprofweb}
verbose=0
if [ "${1:-}" = -v ]; then verbose=1; shift; fi
kinds=${*:-top raw traces tags peek dot list}
[ -f "$corpus/expected/COMMANDS.tsv" ] || { echo "conformance: corpus not found at $corpus"; exit 1; }
known=$repo/tests/conformance/known_failures.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

kind_of() {
    case " $1 " in
    *" -raw "*) echo raw ;; *" -traces "*) echo traces ;; *" -tags "*) echo tags ;;
    *" -peek "*) echo peek ;; *" -dot "*) echo dot ;; *" -list "*) echo list ;;
    *" -top "*) echo top ;; *) echo other ;;
    esac
}

passed=0 failed=0 known_failed=0
declare -A per_pass per_fail
cd "$corpus"
# Tabs are whitespace to read, which would merge empty fields: split on \037 instead.
while IFS=$'\037' read -r output stderr_file exit_code seconds runs_distinct command; do
    [ "$output" = output ] && continue
    kind=$(kind_of "$command")
    case " $kinds " in *" $kind "*) ;; *) continue ;; esac
    args=${command#*go tool pprof }
    want=$tmp/want got=$tmp/got goterr=$tmp/goterr
    case $output in
    *.gz) gzip -dc "expected/$output" > "$want" ;;
    *) if [ -f "expected/$output" ]; then cp "expected/$output" "$want"; else : > "$want"; fi ;;
    esac
    # The command is a shell line from the corpus (quoted regexps); run it the same way.
    TZ=UTC eval "\"\$bin\" $args" > "$got" 2> "$goterr" < /dev/null
    rc=$?
    ok=1
    distinct=${runs_distinct%%/*}
    if [ "$distinct" != 1 ]; then
        cmp -s <("$repo/tests/conformance/unordered.py" "$want") \
            <("$repo/tests/conformance/unordered.py" "$got") || ok=0
    else
        cmp -s "$want" "$got" || ok=0
    fi
    [ "$rc" = "$exit_code" ] || ok=0
    if [ -n "$stderr_file" ]; then
        cmp -s "expected/$stderr_file" "$goterr" || ok=0
    fi
    reason=$(grep -v "^#" "$known" 2>/dev/null | grep -F -- "$output	" | head -n1 | cut -f2)
    if [ $ok = 1 ]; then
        passed=$((passed + 1)); per_pass[$kind]=$(( ${per_pass[$kind]:-0} + 1 ))
        [ -n "$reason" ] && echo "PASS (listed as known failure, remove it): $output"
    elif [ -n "$reason" ]; then
        known_failed=$((known_failed + 1))
        [ $verbose = 1 ] && echo "KNOWN $output: $reason"
    else
        failed=$((failed + 1)); per_fail[$kind]=$(( ${per_fail[$kind]:-0} + 1 ))
        echo "FAIL $output (exit $rc, want $exit_code): $command"
        if [ $verbose = 1 ]; then diff "$want" "$got" | head -n 10; head -n 3 "$goterr"; fi
    fi
done < <(tr '\t' '\037' < expected/COMMANDS.tsv)
for k in $kinds; do
    echo "conformance $k: ${per_pass[$k]:-0} matched, ${per_fail[$k]:-0} differ"
done
[ $known_failed -gt 0 ] && echo "conformance: $known_failed known failures (tests/conformance/known_failures.txt)"
echo "conformance: $passed passed, $failed failed"
[ $failed = 0 ]
