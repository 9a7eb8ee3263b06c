# Shared by the translation e2e scripts: a work directory cleaned up on exit with the background
# processes listed in `pids`, and the LibreTranslate-compatible test server as its own process.
# Source it after setting `syndicate`, `mt` (the test server binary) and `src`.
work=$(mktemp -d)
pids=()
mt_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap mt_cleanup EXIT
source "$src/tests/e2e/lib.sh"

# start_mt [SERVER ARGS...]: serves on a free port ($mtport) once it says it listens.
start_mt() {
  mtport=$(free_port)
  "$mt" --port "$mtport" "$@" >"$work/mt.log" 2>&1 &
  pids+=($!)
  local deadline=$((SECONDS + 20))
  until grep -q listening "$work/mt.log" || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
  grep -q listening "$work/mt.log" || fail "MT test server did not start: $(cat "$work/mt.log")"
}
