# Helpers of the feed's end-to-end tests (sourced after lib.sh).

# start_serve_feeds SYNDICATE CONFIG STATE LOG: starts `serve feeds` in the background (the
# config's listen port, 0 = the kernel picks); sets server_pid and base (http://127.0.0.1:PORT).
start_serve_feeds() {
  "$1" serve feeds --config "$2" --state "$3" >"$4" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do grep -q 'listening on' "$4" && break; sleep 0.1; done
  local port
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$4" | head -1)
  [ -n "$port" ] || fail "serve feeds did not start: $(cat "$4")"
  base=http://127.0.0.1:$port
}

# start_wechat_api WECHAT LOG [ARGS...]: starts the local WeChat API (syndicate-wechat-testserver)
# on a port the kernel picks; sets api_pid and api (http://127.0.0.1:PORT).
start_wechat_api() {
  local bin=$1 log=$2
  shift 2
  "$bin" --port 0 "$@" >"$log" 2>&1 &
  api_pid=$!
  for _ in $(seq 100); do grep -q '^listening on ' "$log" && break; sleep 0.1; done
  api=$(sed -n 's/^listening on //p' "$log")
  [ -n "$api" ] || fail "the WeChat test server did not start: $(cat "$log")"
}
