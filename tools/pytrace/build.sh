#!/usr/bin/env bash
# Builds the allocation recorder (pytrace) and the pymalloc replay driver
# (pymalloc-replay) against one or more CPython installations.
#
#   tools/pytrace/build.sh                      # the default python3
#   tools/pytrace/build.sh python3 python3.9-config
#
# Each argument is a python executable or its pythonX.Y-config.  Output, in
# tools/pytrace/build/: pytrace-X.Y and pymalloc-replay-X.Y per interpreter,
# plus the symlinks pytrace and pymalloc-replay for the python3 on PATH.
#
# Exit status: 0 when everything that could be built was built, and also 0
# (with a message, building nothing) when there is no C compiler or no
# Python headers, so CI may call this unconditionally; non-zero only when a
# compilation actually fails.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/build"
cc="${CC:-gcc}"
cflags="-O2 -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers"

if ! command -v "$cc" >/dev/null 2>&1; then
    echo "pytrace/build.sh: no C compiler ($cc) found; nothing built."
    exit 0
fi

# The real executable behind `python3` (pyenv shims are shell scripts).
default_exe=""
if command -v python3 >/dev/null 2>&1; then
    default_exe="$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || true)"
fi

if [ "$#" -eq 0 ]; then
    if [ -z "$default_exe" ]; then
        echo "pytrace/build.sh: no python3 found; nothing built."
        exit 0
    fi
    set -- "$default_exe"
fi

# resolve ARG -> sets exe, config (empty if none found)
resolve() {
    local arg="$1" path
    exe=""
    config=""
    path="$(command -v "$arg" 2>/dev/null || true)"
    [ -n "$path" ] || path="$arg"
    case "$path" in
        *-config)
            config="$path"
            if [ -x "${path%-config}" ]; then
                exe="${path%-config}"
            else
                exe="$("$config" --prefix)/bin/python3"
            fi
            ;;
        *)
            exe="$path"
            ;;
    esac
    if [ ! -x "$exe" ] && ! command -v "$exe" >/dev/null 2>&1; then
        exe=""
        return
    fi
    # Real executable (not a shim), used for sys.executable of the recorder.
    exe="$("$exe" -c 'import sys; print(sys.executable)' 2>/dev/null || true)"
    if [ -z "$config" ] && [ -n "$exe" ]; then
        local bindir xy
        bindir="$("$exe" -c 'import sysconfig; print(sysconfig.get_config_var("BINDIR") or "")')"
        xy="$("$exe" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
        for c in "$exe-config" "$bindir/python$xy-config" "$bindir/python3-config"; do
            if [ -x "$c" ]; then
                config="$c"
                break
            fi
        done
    fi
}

built=0
failed=0
mkdir -p "$out"
for arg in "$@"; do
    resolve "$arg"
    if [ -z "$exe" ]; then
        echo "pytrace/build.sh: $arg: no such python; skipped."
        continue
    fi
    xy="$("$exe" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    incdir="$("$exe" -c 'import sysconfig; print(sysconfig.get_config_var("INCLUDEPY") or "")')"
    if [ -z "$config" ] || [ ! -f "$incdir/Python.h" ]; then
        echo "pytrace/build.sh: Python $xy ($exe): headers or python$xy-config missing; skipped."
        continue
    fi
    includes="$("$config" --includes)"
    # --embed (3.8+) adds -lpythonX.Y; 3.7's --ldflags has it already.
    ldflags="$("$config" --ldflags --embed 2>/dev/null)" || ldflags="$("$config" --ldflags)"
    libdir="$("$exe" -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR") or "")')"
    # With a static libpython, extension modules need the executable's symbols.
    linkforshared="$("$exe" -c 'import sysconfig; print(sysconfig.get_config_var("LINKFORSHARED") or "")')"
    rpath=""
    [ -n "$libdir" ] && rpath="-Wl,-rpath,$libdir"

    echo "pytrace/build.sh: Python $xy ($exe)"
    rm -f "$out/pytrace-$xy" "$out/pymalloc-replay-$xy"
    # shellcheck disable=SC2086
    if "$cc" $cflags $includes -DPYTRACE_PYTHON_EXE="\"$exe\"" \
            -o "$out/pytrace-$xy" "$here/recorder.c" \
            $ldflags $linkforshared $rpath -lpthread &&
       "$cc" $cflags $includes \
            -o "$out/pymalloc-replay-$xy" "$here/pymalloc-replay.c" \
            $ldflags $linkforshared $rpath; then
        echo "  -> $out/pytrace-$xy"
        echo "  -> $out/pymalloc-replay-$xy"
        built=$((built + 1))
        if [ -n "$default_exe" ] && [ "$exe" = "$default_exe" ]; then
            ln -sfn "pytrace-$xy" "$out/pytrace"
            ln -sfn "pymalloc-replay-$xy" "$out/pymalloc-replay"
            echo "  -> $out/pytrace, $out/pymalloc-replay (default python3)"
        fi
    else
        echo "pytrace/build.sh: compiling against Python $xy FAILED" >&2
        failed=$((failed + 1))
    fi
done

if [ "$built" -eq 0 ] && [ "$failed" -eq 0 ]; then
    rmdir "$out" 2>/dev/null || true
    echo "pytrace/build.sh: nothing built."
fi
[ "$failed" -eq 0 ]
