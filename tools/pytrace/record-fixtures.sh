#!/usr/bin/env bash
# Records the committed allocation-trace fixtures:
#
#   test/fixtures/traces/<X.Y>/<workload>.trace.gz   the trace
#   test/fixtures/traces/<X.Y>/<workload>.stats.txt  sys._debugmallocstats()
#                                                    at the trace's last line
#
# for every workload in tools/pytrace/workloads/ and every recorder build
# that exists among: the default python3 (build/pytrace -> pytrace-X.Y),
# pytrace-3.9 and pytrace-3.8.  Build them first:
#
#   tools/pytrace/build.sh python3 \
#       python3.9 python3.8   (or their full paths, e.g. under ~/.pyenv/versions)
#   tools/pytrace/record-fixtures.sh
#
# Each trace is recorded with PYTHONHASHSEED=0, checked with check-trace.py
# against its statistics, and recompressed with `gzip -9n` (smaller, and no
# file name or time stamp in the header).  Budget: all committed .gz files
# together at most ~10 MB — hence the FIXTURE_SCALE table below; mixed_free90
# runs at 1,000,000 objects only when tests re-record it on demand.
#
# Memory addresses (mmap, ASLR) differ between recordings, so re-recording
# changes every file even when CPython behaved the same.
#
# Exit status: 0 when every trace was recorded and checked; 1 otherwise.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$here/build"
dest="$root/test/fixtures/traces"
python="${PYTHON:-python3}"

# Scale passed to each workload; empty = the workload's own default.
declare -A FIXTURE_SCALE=(
    [small_lists]=40000     # default 200,000 is ~2.5 MB of .gz per version
    [instances]=20000       # default 100,000 of each kind: same reason
)

versions=()
if [ -L "$build/pytrace" ]; then
    default_version="$(readlink "$build/pytrace")"
    versions+=("${default_version#pytrace-}")
fi
for v in 3.9 3.8; do
    if [ -x "$build/pytrace-$v" ] && [[ ! " ${versions[*]-} " =~ " $v " ]]; then
        versions+=("$v")
    fi
done
if [ "${#versions[@]}" -eq 0 ]; then
    echo "record-fixtures.sh: no recorder built in $build; run tools/pytrace/build.sh first." >&2
    exit 1
fi

workloads=()
for w in "$here"/workloads/*.py; do
    workloads+=("$(basename "$w" .py)")
done

# A clean, reproducible interpreter environment.
export PYTHONHASHSEED=0
unset PYTHONMALLOC PYTHONMALLOCSTATS PYTHONTRACEMALLOC PYTHONDEVMODE \
      PYTHONSTARTUP PYTHONPATH PYTHONHOME PYTHONINSPECT

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

status=0
rows=()
total=0
for v in "${versions[@]}"; do
    mkdir -p "$dest/$v"
    for w in "${workloads[@]}"; do
        scale="${FIXTURE_SCALE[$w]-}"
        trace="$dest/$v/$w.trace.gz"
        stats="$dest/$v/$w.stats.txt"
        echo "== $v $w ${scale:+(scale $scale)}"
        # shellcheck disable=SC2086
        if ! "$build/pytrace-$v" -q -o "$tmp/raw.trace.gz" --stats "$stats" \
                "$here/workloads/$w.py" $scale > "$tmp/stdout"; then
            echo "   recording FAILED" >&2
            status=1
            continue
        fi
        gzip -dc "$tmp/raw.trace.gz" | gzip -9n > "$trace"
        if "$python" "$here/check-trace.py" "$trace" "$stats" > "$tmp/check"; then
            check="ok"
        else
            check="FAILED"
            status=1
        fi
        sed 's/^/   /' "$tmp/check"
        lines="$(gzip -dc "$trace" | wc -l)"
        bytes="$(stat -c %s "$trace")"
        total=$((total + bytes))
        rows+=("$(printf '%-5s %-13s %8s %10s %10s %8s %6s' "$v" "$w" "${scale:-default}" \
            "$lines" "$bytes" "$(stat -c %s "$stats")" "$check")")
    done
done

echo
printf '%-5s %-13s %8s %10s %10s %8s %6s\n' python workload scale lines trace.gz stats check
for row in "${rows[@]}"; do
    echo "$row"
done
printf '%-5s %-13s %8s %10s %10s\n' total "" "" "" "$total"
if [ "$total" -gt 10500000 ]; then
    echo "record-fixtures.sh: warning: the traces total $total bytes, over the ~10 MB budget" >&2
fi
exit "$status"
