#!/usr/bin/env bash
# The code checks, warnings as errors (run by scripts/test.sh; the README's "Code checks" says how
# to fix what they find):
#   1. clang-format: every tracked C++ file formatted as .clang-format says (--dry-run -Werror);
#   2. clang-tidy: the checks .clang-tidy names, over every production source file (tests and the
#      test servers excluded), with the compile commands of a configured build dir.
#
#   scripts/lint.sh [--format-only | --tidy-only] [BUILD_DIR]     (BUILD_DIR default: build)
#
# Fix formatting with: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i
# Environment: SYN_LINT_JOBS (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
do_format=1 do_tidy=1
case "${1:-}" in
  --format-only) do_tidy=0; shift ;;
  --tidy-only) do_format=0; shift ;;
  -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
build=${1:-build}
jobs=${SYN_LINT_JOBS:-$(nproc)}
rc=0

if ((do_format)); then
  command -v clang-format >/dev/null || { echo "lint.sh: clang-format is not installed (scripts/install-deps.sh)" >&2; exit 2; }
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc')
  bad=()
  for f in "${files[@]}"; do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if ((${#bad[@]})); then
    echo "clang-format: ${#bad[@]} of ${#files[@]} files not formatted (.clang-format):"
    printf '  %s\n' "${bad[@]}"
    echo "  fix: clang-format -i ${bad[*]:0:3}${bad[3]:+ ...}"
    rc=1
  else
    echo "clang-format: ${#files[@]} files formatted"
  fi
fi

if ((do_tidy)); then
  tidy=$(command -v run-clang-tidy || command -v run-clang-tidy-14 || true)
  [ -n "$tidy" ] || { echo "lint.sh: run-clang-tidy is not installed (scripts/install-deps.sh)" >&2; exit 2; }
  [ -f "$build/compile_commands.json" ] || { echo "lint.sh: $build/compile_commands.json missing: configure $build first" >&2; exit 2; }
  # Production sources: the libraries and the binary. A unity build lists its batch files
  # (…/Unity/unity_N_cxx.cxx), which include the sources; both forms are matched.
  prod='/(core|producer|consumers/[a-z]+|ops|app)/(src/|[a-z_]+\.cpp$|CMakeFiles/syn(dicate|_[a-z]+)\.dir/Unity/)'
  exclude='_testserver|/tests/'
  mapfile -t units < <(python3 - "$build/compile_commands.json" "$prod" "$exclude" <<'EOF'
import json, re, sys
db, prod, exclude = json.load(open(sys.argv[1])), re.compile(sys.argv[2]), re.compile(sys.argv[3])
for e in db:
    f = e["file"]
    if prod.search(f) and not exclude.search(f):
        print(f)
EOF
)
  ((${#units[@]})) || { echo "lint.sh: no production sources in $build/compile_commands.json" >&2; exit 2; }
  log=$(mktemp)
  # -quiet: only findings; run-clang-tidy exits non-zero when any file has one (WarningsAsErrors).
  # -Wno-everything: compiler warnings are GCC's job (every build has them as errors); clang's
  # differ, and differ again inside a unity batch. Compile errors and the checks still report.
  if "$tidy" -quiet -j "$jobs" -p "$build" -extra-arg=-Wno-everything "${units[@]/#/^}" >"$log" 2>&1; then
    echo "clang-tidy: ${#units[@]} translation units clean (.clang-tidy)"
  else
    grep -E '(warning|error):' "$log" | sort -u | head -200
    echo "clang-tidy: findings above (${#units[@]} translation units; full output: $log)"
    rc=1
  fi
fi
exit $rc
