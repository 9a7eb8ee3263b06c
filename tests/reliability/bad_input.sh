#!/usr/bin/env bash
# Reliability scenario 7: the bad-input sweep. `serve trigger` takes seeded mutations of the
# fixture issues through HTTP and the hot folder, malformed HTTP (oversized body and headers, bad
# or missing tokens, wrong methods, garbage request lines, slow partial requests that must be cut
# off after request_timeout_ms), and keeps serving good requests throughout. Then broken configs:
# `config check` and every command give one clear error naming file:line and exit non-zero.
# Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary.
set -euo pipefail
syndicate=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
work=$(mktemp -d)
id=bad$(date +%s)$$
seed=${SYN_BAD_INPUT_SEED:-20240130}
count=${SYN_BAD_INPUT_COUNT:-60}
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
source "$src/tests/e2e/lib.sh"
port=$(free_port)
t0=$(date +%s)
write_config "$work/cfg.yaml" "$id" <<YAML
producer:
  trigger:
    listen: 127.0.0.1:$port
    max_body_bytes: 1048576
    token_env: SYN_BAD_TOKEN
    spool_dir: $work/spool    # accepted issues: this run's own, never replayed by another
    max_connections_per_client: 64  # the 50 slow clients below and a good one, all from 127.0.0.1
    request_timeout_ms: 2000
  hot_folder:
    enabled: true
    dir: $work/hot
    poll_interval_ms: 200
    stable_wait_ms: 300
observability:
  metrics: {trigger: ""}
YAML
fail() { echo "FAIL: $*" >&2; [ -f "$work/trigger.log" ] && tail -20 "$work/trigger.log" >&2; exit 1; }
url=http://127.0.0.1:$port/v1/issues
auth=(-H 'Authorization: Bearer t0ken-bad-input')
status() { curl -s -m 10 -o "$work/body" -w '%{http_code}' "$@" || true; }
alive() { kill -0 "$pid" 2>/dev/null || fail "serve trigger exited"; }

"$syndicate" topics create --config "$work/cfg.yaml" >/dev/null
SYN_BAD_TOKEN=t0ken-bad-input "$syndicate" serve trigger --config "$work/cfg.yaml" >"$work/trigger.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || fail "the trigger did not answer /healthz in 20 s"

# A good request between the bad ones, each its own issue (the date makes the id).
good_sent=0 good_ok=0
good() {
  good_sent=$((good_sent + 1))
  local s
  s=$(status -X POST "${auth[@]}" --data-binary @"$fixture" "$url?date=2030-01-$(printf %02d "$good_sent")")
  [ "$s" = 202 ] && good_ok=$((good_ok + 1))
  alive
}

# 1. Fuzzed issue files: half through HTTP, half through the hot folder.
mkdir -p "$work/mut"
python3 "$src/tests/reliability/mutate_issues.py" "$seed" "$count" "$work/mut" \
  "$src"/tests/data/issues/{beijiang-daily-2024-03-12-p1,binhai-metro-2024-06-18-p2,changji-daily-2024-01-30-p1}.txt
http_accepted=0 http_refused=0 http_other=0
: >"$work/accepted"
n=0
for f in "$work"/mut/*.txt; do
  n=$((n + 1))
  if [ $((n % 2)) = 0 ]; then
    cp "$f" "$work/hot/incoming/"
    continue
  fi
  s=$(status -X POST "${auth[@]}" --data-binary @"$f" "$url")
  case $s in
    202) http_accepted=$((http_accepted + 1)); python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["issueId"])' "$work/body" >>"$work/accepted" ;;
    400) http_refused=$((http_refused + 1)); grep -q '"error"' "$work/body" || fail "400 without an error: $(head -c 300 "$work/body")" ;;
    *) http_other=$((http_other + 1)); echo "fuzzed $(basename "$f"): HTTP $s $(head -c 300 "$work/body")" ;;
  esac
  [ $((n % 5)) = 1 ] && good
  alive
done
echo "bad_input: fuzzed over HTTP: $http_accepted accepted (202), $http_refused refused (400), $http_other other"
hot_total=$((count / 2))
for _ in $(seq 1 150); do
  [ "$(find "$work/hot/done" "$work/hot/failed" -name 'mut-*.txt' | wc -l)" -ge $hot_total ] && break
  sleep 0.2
done
hot_done=$(find "$work/hot/done" -name 'mut-*.txt' | wc -l)
hot_failed=$(find "$work/hot/failed" -name 'mut-*.txt' | wc -l)
hot_errors=$(find "$work/hot/failed" -name 'mut-*.txt.error' | wc -l)
echo "bad_input: fuzzed through the hot folder: $hot_done published, $hot_failed refused"
expect "bad_input: fuzzed HTTP answers other than 202/400" 0 "$http_other"
expect "bad_input: hot-folder files done or failed" $hot_total $((hot_done + hot_failed))
expect "bad_input: refused hot-folder files with an .error note" "$hot_failed" "$hot_errors"
# The hot folder's published issues are accepted ones too (awk: no match is no line, a missing or
# unreadable log fails the scenario, where grep's "no match" was hidden by `|| true`).
awk '/publication via=hotfolder who=mut-[0-9]*\.txt .* result=published / {sub(/.* issue=/, ""); sub(/ .*/, ""); print}' \
  "$work/trigger.log" >>"$work/accepted" || fail "reading trigger.log"

# 2. Malformed HTTP, each followed by a good request.
big=$work/big.txt
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' 'x' >"$big"
refused=0
refuse() {  # refuse WHAT EXPECTED_STATUS CURL_ARGS...
  local what=$1 want=$2
  shift 2
  expect "bad_input: $what" "$want" "$(status "$@")"
  refused=$((refused + 1))
  good
}
refuse "body over max_body_bytes" 413 -X POST "${auth[@]}" --data-binary @"$big" "$url"
refuse "no token" 401 -X POST --data-binary @"$fixture" "$url"
refuse "wrong token" 401 -X POST -H 'Authorization: Bearer t0ken-bad-inpuT' --data-binary @"$fixture" "$url"
refuse "token as a prefix" 401 -X POST -H 'Authorization: Bearer t0ken-bad-input-and-more' --data-binary @"$fixture" "$url"
refuse "empty bearer" 401 -X POST -H 'Authorization: Bearer ' --data-binary @"$fixture" "$url"
refuse "basic auth" 401 -X POST -u user:t0ken-bad-input --data-binary @"$fixture" "$url"
refuse "PUT on the collection" 405 -X PUT "${auth[@]}" --data-binary @"$fixture" "$url"
refuse "DELETE on the collection" 405 -X DELETE "${auth[@]}" "$url"
refuse "GET on the collection" 405 "${auth[@]}" "$url"
refuse "POST on an issue" 405 -X POST "${auth[@]}" --data-binary @"$fixture" "$url/cjrb-20240130"
refuse "unknown path" 404 "${auth[@]}" "http://127.0.0.1:$port/v2/nothing"
refuse "bad date parameter" 400 -X POST "${auth[@]}" --data-binary @"$fixture" "$url?date=2024-13-99x"
refuse "bad paper parameter" 400 -X POST "${auth[@]}" --data-binary @"$fixture" "$url?paper=%3Cscript%3E"
refuse "empty body" 400 -X POST "${auth[@]}" --data-binary '' "$url"
refuse "header fields over 16 KiB" 431 -X POST "${auth[@]}" -H "X-Pad: $(head -c 20000 /dev/zero | tr '\0' a)" \
  --data-binary @"$fixture" "$url"
# Raw sockets: garbage request lines, a lying Content-Length, and slow partial requests.
python3 - "$port" >"$work/raw.txt" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def exchange(data, wait=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    s.sendall(data)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        pass
    s.close()
    return out.split(b"\r\n", 1)[0].decode("latin-1")
print("garbage request line:", exchange(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 hello\r\n\r\n"))
print("bad HTTP version:", exchange(b"POST /v1/issues HTTP/9.7\r\nHost: x\r\n\r\n"))
# With the token: without it the head alone is refused (401) and the body is never parsed.
print("bad chunked body:", exchange(b"POST /v1/issues HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken-bad-input\r\n"
                                    b"Transfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n"))
# Slow partial requests: the headers never finish, or the body stops half way. The server must
# close each within request_timeout_ms (2 s), not wait forever.
def slow(data):
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    t = time.monotonic()
    s.sendall(data)
    try:
        while s.recv(65536):
            pass
    except socket.timeout:
        return None  # our own 15 s bound ran out: the server never closed it
    except ConnectionResetError:
        pass
    s.close()
    return time.monotonic() - t
def secs(x):
    return "never" if x is None else "%.1f" % x
print("slow headers closed after %s s" % secs(slow(b"POST /v1/issues HTTP/1.1\r\nHost: x\r\nX-Slow: ")))
print("slow body closed after %s s" % secs(slow(b"POST /v1/issues HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken-bad-input\r\n"
                                              b"Content-Length: 100000\r\n\r\nabc")))
# A drip-feed: one byte every 0.5 s must not keep the connection open past the timeout either.
s = socket.create_connection(("127.0.0.1", port), timeout=15)
t = time.monotonic()
closed_after = None
for c in b"POST /v1/issues HTTP/1.1\r\nHost: x\r\nX-Drip: " + b"a" * 100:
    try:
        s.sendall(bytes([c]))
    except (BrokenPipeError, ConnectionResetError):
        closed_after = time.monotonic() - t
        break
    time.sleep(0.5)
    if time.monotonic() - t > 10:
        break
print("drip-feed closed after %s s" % ("%.1f" % closed_after if closed_after is not None else "never"))
PY
cat "$work/raw.txt"
alive
expect "bad_input: garbage request line" "HTTP/1.1 400 Bad Request" "$(sed -n 's/^garbage request line: //p' "$work/raw.txt")"
expect "bad_input: bad HTTP version" "HTTP/1.1 400 Bad Request" "$(sed -n 's/^bad HTTP version: //p' "$work/raw.txt")"
expect "bad_input: bad chunked body" "HTTP/1.1 400 Bad Request" "$(sed -n 's/^bad chunked body: //p' "$work/raw.txt")"
refused=$((refused + 3))
for what in "slow headers" "slow body" "drip-feed"; do
  secs=$(sed -n "s/^$what closed after \([0-9.]*\|never\) s/\1/p" "$work/raw.txt")
  # Closed by the server (not by our own 15 s bound), and by its timeout: not before 2 s.
  expect "bad_input: $what closed by the server at its request timeout (after $secs s)" yes \
    "$(python3 -c "s='$secs'; print('yes' if s != 'never' and float(s) >= 1.5 else 'no')")"
  refused=$((refused + 1))
done
good
# Many slow clients at once must not starve a good request: it is answered while the 50 are
# still connected (the server cuts them at its 2 s request timeout; the holder records when the
# first of them was cut, on the same clock as our answer's time).
rm -f "$work/held" "$work/first_cut"
python3 - "$port" "$work" <<'PY' &
import socket, sys, time
socks = []
for _ in range(50):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"POST /v1/issues HTTP/1.1\r\nHost: x\r\n")
    s.settimeout(30)
    socks.append(s)
open(sys.argv[2] + "/held", "w").close()
first = None
for s in socks:
    try:
        while s.recv(65536):
            pass
    except (socket.timeout, ConnectionResetError):
        pass
    t = time.time()
    first = t if first is None else min(first, t)
with open(sys.argv[2] + "/first_cut", "w") as f:
    f.write("%.3f" % first)
PY
slowpid=$!
for _ in $(seq 1 100); do [ -f "$work/held" ] && break; sleep 0.1; done
[ -f "$work/held" ] || fail "the 50 slow clients did not connect in 10 s"
good
answered=$(date +%s.%N)
wait "$slowpid" || fail "the slow-client holder failed"
first_cut=$(cat "$work/first_cut")
expect "bad_input: good request answered before any of the 50 slow clients was cut off" yes \
  "$(python3 -c "print('yes' if $answered < $first_cut else 'no')")"
alive
expect "bad_input: good requests accepted between the bad ones" "$good_sent" "$good_ok"
echo "bad_input: malformed HTTP refused: $refused kinds, each followed by a good request"

# 3. What got published: every accepted issue (fuzzed and good) and nothing else.
sort -u "$work/accepted" >"$work/accepted.sorted"
accepted_issues=$(($(wc -l <"$work/accepted.sorted") + good_ok))
articles=0
for issue in $(cat "$work/accepted.sorted") $(seq -f 'cjrb-203001%02g' 1 "$good_sent"); do
  for _ in $(seq 1 100); do
    status "${auth[@]}" "$url/$issue" >/dev/null
    grep -q '"status":"published"' "$work/body" && break
    grep -q '"status":"failed"' "$work/body" && fail "issue $issue failed: $(cat "$work/body")"
    sleep 0.2
  done
  grep -q '"status":"published"' "$work/body" || fail "issue $issue not published: $(cat "$work/body")"
  articles=$((articles + $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["articleIds"]))' "$work/body")))
done
# Raw records and distinct keys apart: an issue published twice shows as duplicated.
issues_raw=$(count_committed "$id.issues")
issues_on_topic=$(count_distinct_committed "$id.issues")
articles_raw=$(count_committed "$id.articles")
articles_on_topic=$(count_distinct_committed "$id.articles")
expect "bad_input: issues published (accepted fuzzed + good)" "$accepted_issues" "$issues_on_topic"
expect "bad_input: issues lost" 0 $((accepted_issues - issues_on_topic))
expect "bad_input: issues duplicated" 0 $((issues_raw - issues_on_topic))
expect "bad_input: distinct articles published" "$articles" "$articles_on_topic"
expect "bad_input: articles lost" 0 $((articles - articles_on_topic))
expect "bad_input: articles duplicated" 0 $((articles_raw - articles_on_topic))
alive

# 4. Broken configs: one clear error naming file:line, non-zero exit, for config check and each command.
mkdir -p "$work/cfgs"
printf 'kafka:\n  bootstrap_servers: [unclosed\n' >"$work/cfgs/syntax.yaml"
printf 'kafka:\n  bootstrap_servers: x:1\n   topics: 3\n' >"$work/cfgs/indent.yaml"
printf 'kafka:\n  topics:\n    articles:\n      partitions: six\n' >"$work/cfgs/type.yaml"
printf 'kafka:\n  bootstrap_server: x:1\n' >"$work/cfgs/unknown-key.yaml"
printf 'producer:\n  trigger:\n    listen: nowhere\n' >"$work/cfgs/bad-listen.yaml"
printf '\xff\xfe\x00k\x00a\x00' >"$work/cfgs/binary.yaml"
printf 'a: &x [*x]\n' >"$work/cfgs/alias.yaml"
printf 'kafka: !!binary "not base64"\n' >"$work/cfgs/tag.yaml"
: >"$work/cfgs/empty-ok.yaml"  # an empty file is all defaults: valid
commands=("config check" "serve trigger" "consume archive" "consume feed" "consume translation" "translate"
  "serve feeds" "publish $fixture" "topics create" "topics list" "dlq list" "lag" "replay --group g --topic t --to-earliest")
checked=0
for cfg in "$work"/cfgs/*.yaml; do
  name=$(basename "$cfg")
  [ "$name" = empty-ok.yaml ] && continue  # checked below; the commands would run for real
  for cmd in "${commands[@]}"; do
    set +e
    read -ra words <<<"$cmd"
    timeout 20 "$syndicate" "${words[@]}" --config "$cfg" >"$work/out" 2>"$work/err" </dev/null
    rc=$?
    set -e
    checked=$((checked + 1))
    [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "$cmd on $name: exit $rc, stderr: $(head -3 "$work/err")"
    grep -q "$cfg:[0-9]\+" "$work/err" || fail "$cmd on $name: no $name:LINE in stderr: $(head -3 "$work/err")"
    ! grep -qi 'terminate called\|what():\|Aborted\|Segmentation' "$work/err" || fail "$cmd on $name crashed: $(head -3 "$work/err")"
    [ "$(grep -vc "^syndicate: \(config invalid: \)\?$cfg:[0-9]\+\|^$cfg:[0-9]\+\|^  \|^syndicate: config invalid: [0-9]* errors\?$" "$work/err")" = 0 ] ||
      fail "$cmd on $name: stderr has lines that are not config errors: $(head -5 "$work/err")"
  done
  echo "bad_input: $name -> $(tail -1 "$work/err")"
done
expect "bad_input: command x broken-config runs refused with file:line" $((8 * ${#commands[@]})) "$checked"
set +e
"$syndicate" config check "$work/cfgs/empty-ok.yaml" >/dev/null 2>&1
rc=$?
set -e
expect "bad_input: config check of an empty file (all defaults)" 0 "$rc"
alive
echo "bad_input: ok in $(($(date +%s) - t0)) s"
