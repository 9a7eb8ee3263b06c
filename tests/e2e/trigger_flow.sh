#!/usr/bin/env bash
# `syndicate serve trigger` on the real broker: every HTTP status of the API, a publication seen
# by read_committed, the hot folder (success, failure with .error, a .part file left alone), and
# observability.log_format: json honoured (one JSON object per log line).
# Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary.
set -euo pipefail
syndicate=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
work=$(mktemp -d)
id=trg$(date +%s)$$
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
source "$src/tests/e2e/lib.sh"
port=$(free_port)
write_config "$work/cfg.yaml" "$id" <<YAML
producer:
  trigger:
    listen: 127.0.0.1:$port
    max_body_bytes: 100000
    token_env: SYN_E2E_TOKEN
    spool_dir: $work/spool    # accepted issues: this run's own, never replayed by another
  hot_folder:
    enabled: true
    dir: $work/hot
    poll_interval_ms: 200
    stable_wait_ms: 400
observability:
  log_format: json
YAML
fail() { echo "FAIL: $*" >&2; [ -f "$work/trigger.log" ] && tail -20 "$work/trigger.log" >&2; exit 1; }
status() { curl -s -o "$work/body" -w '%{http_code}' "$@"; }
url=http://127.0.0.1:$port/v1/issues

"$syndicate" topics create --config "$work/cfg.yaml" >/dev/null
SYN_E2E_TOKEN=tok3n "$syndicate" serve trigger --config "$work/cfg.yaml" >"$work/trigger.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

expect "POST without token" 401 "$(status -X POST --data-binary @"$fixture" "$url")"
expect "POST with a wrong token" 401 "$(status -X POST -H 'Authorization: Bearer nope' --data-binary @"$fixture" "$url")"
expect "POST of an empty body" 400 "$(status -X POST -H 'Authorization: Bearer tok3n' --data-binary '' "$url")"
expect "POST with a bad date" 400 "$(status -X POST -H 'Authorization: Bearer tok3n' --data-binary @"$fixture" "$url?date=yesterday")"
head -c 200000 /dev/zero | tr '\0' 'x' >"$work/big.txt"
expect "POST over max_body_bytes" 413 "$(status -X POST -H 'Authorization: Bearer tok3n' --data-binary @"$work/big.txt" "$url")"
expect "GET on the collection" 405 "$(status -H 'Authorization: Bearer tok3n' "$url")"
expect "POST of the fixture" 202 "$(status -X POST -H 'Authorization: Bearer tok3n' --data-binary @"$fixture" "$url")"
grep -q '"issueId":"cjrb-20240130"' "$work/body" || fail "202 body: $(cat "$work/body")"
for _ in $(seq 1 100); do
  status -H 'Authorization: Bearer tok3n' "$url/cjrb-20240130" >/dev/null
  grep -q '"status":"published"' "$work/body" && break
  sleep 0.2
done
grep -q '"status":"published"' "$work/body" || fail "not published: $(cat "$work/body")"
expect "GET of an unknown issue" 404 "$(status -H 'Authorization: Bearer tok3n' "$url/nope-20000101")"
count() { count_committed "$id.articles" "$1"; }
expect "articles published through HTTP" 5 "$(count cjrb-20240130-)"

# Hot folder: a good file, a bad one, and a file still being written (.part).
sed 's/2024年1月/2024年3月/' "$fixture" >"$work/hot/incoming/mar.txt.part"
printf '\x01\x02binary' >"$work/hot/incoming/garbage.txt"
cp "$fixture" "$work/hot/incoming/p1-again.txt"
for _ in $(seq 1 100); do [ -f "$work/hot/failed/garbage.txt.error" ] && [ -f "$work/hot/done/p1-again.txt" ] && break; sleep 0.2; done
[ -f "$work/hot/done/p1-again.txt" ] || fail "the good file did not reach done/"
[ -f "$work/hot/failed/garbage.txt" ] || fail "the bad file did not reach failed/"
grep -q "binary" "$work/hot/failed/garbage.txt.error" || fail ".error says: $(cat "$work/hot/failed/garbage.txt.error")"
[ -f "$work/hot/incoming/mar.txt.part" ] || fail "a .part file must be left alone"
expect "articles after the unchanged hot-folder file (republish is a no-op)" 5 "$(count cjrb-20240130-)"
mv "$work/hot/incoming/mar.txt.part" "$work/hot/incoming/mar.txt"
for _ in $(seq 1 100); do [ -f "$work/hot/done/mar.txt" ] && break; sleep 0.2; done
[ -f "$work/hot/done/mar.txt" ] || fail "the renamed file did not reach done/"
expect "articles of the March issue from the hot folder" 5 "$(count cjrb-20240330-)"
grep -q 'publication via=http who=127.0.0.1' "$work/trigger.log" || fail "no structured publication line for HTTP"
grep -q 'publication via=hotfolder who=garbage.txt .*result=rejected' "$work/trigger.log" || fail "no structured line for the rejected file"
# observability.log_format: json holds for the trigger too: every line it wrote is one object.
python3 - "$work/trigger.log" <<'PY' || fail "trigger.log is not one JSON object per line"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert lines, "empty log"
for n, line in enumerate(lines, 1):
    obj = json.loads(line)
    assert {"time", "level", "msg"} <= obj.keys(), (n, line)
assert any(json.loads(l)["msg"].startswith("publication via=http") for l in lines)
PY
echo "trigger_flow: ok"
