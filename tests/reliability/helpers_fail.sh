#!/usr/bin/env bash
# The suite's counting helpers fail when their tools fail (issue 16: `archive_sql … || echo 0`,
# `count_dlq … || true` turned a failing query into 0, so every "expected 0" passed when the tool
# failed). Each probe is a scenario-shaped script that checks a count whose tool cannot work — a
# dead broker (kcat), an archive database that is not SQLite or is missing, a WeChat test server
# that is not there, a wait that never holds — and must fail without reaching its end. A control
# shows the same helpers count right, and expect_once catching a duplicate, when the tools work.
# Needs no broker (it points at a dead one); sqlite3, kcat, curl, python3.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
top=$(mktemp -d)
trap 'rm -rf "$top"' EXIT
dead_port=1  # nothing listens on port 1
passed=0

# probe WHAT WANT SCRIPT: runs SCRIPT after lib.sh in a fresh bash; WANT is fail or pass.
probe() {
  local what=$1 want=$2 rc=0 out dir
  dir=$(mktemp -d -p "$top")
  out=$(SYN_TEST_BOOTSTRAP=127.0.0.1:$dead_port bash -c '
set -euo pipefail
syndicate=/bin/true; work=$1; src=$2
source "$src/tests/reliability/lib.sh"
trap - EXIT
eval "$3"
echo "REACHED THE END"' probe "$dir" "$src" "$3" 2>&1) || rc=$?
  local got=pass
  if [ "$rc" != 0 ] || ! grep -q 'REACHED THE END' <<<"$out"; then got=fail; fi
  echo "$what: expected $want, got $got (exit $rc)"
  sed 's/^/    | /' <<<"$out" | tail -n 4
  [ "$got" = "$want" ] || { echo "FAIL: $what"; exit 1; }
  passed=$((passed + 1))
}

probe "dead letters on a dead broker" fail 'expect "dead letters" 0 "$(count_dlq t.dlq)"'
probe "distinct records on a dead broker" fail 'expect "distinct" 0 "$(count_distinct_committed t.articles)"'
probe "raw records on a dead broker" fail 'expect "records" 0 "$(count_committed t.articles)"'
probe "exactly once on a dead broker" fail 'expect_topic_once "articles" 0 t.articles'
probe "archive that is not SQLite" fail \
  'echo "not a database" >"$work/archive.db"; expect "repeated hashes" 0 "$(count_archive_repeated_hashes)"'
probe "archive that is missing" fail 'expect "archive revisions" 0 "$(count_archive_revisions)"'
probe "archive without the table" fail \
  'sqlite3 "$work/archive.db" "CREATE TABLE t(x)"; expect "archive revisions" 0 "$(count_archive_revisions)"'
probe "WeChat test server not there" fail "expect 'WeChat articles' 0 \"\$(wechat_articles $dead_port)\""
probe "WeChat faults on a dead server" fail "expect 'faults' 0 \"\$(wechat_faults_injected $dead_port)\""
probe "a wait that never holds" fail 'wait_for "zero becomes one" 1 1 echo 0'
probe "a condition that never holds" fail 'wait_until "false becomes true" 1 false'
probe "a count inside a condition" fail '[ "$(count_dlq t.dlq)" -ge 0 ] || true'
# Controls: with working tools the helpers count, and duplicates are told apart from loss.
probe "archive counts (control)" pass '
sqlite3 "$work/archive.db" "CREATE TABLE article_revisions(article_id TEXT, content_sha256 TEXT);
  INSERT INTO article_revisions VALUES (\"a\", \"h1\"), (\"a\", \"h1\"), (\"b\", \"h2\"), (\"b.en\", \"h3\")"
expect "revisions" 3 "$(count_archive_revisions)"
expect "articles" 2 "$(count_archive_articles)"
expect "translations" 1 "$(count_archive_translations)"
expect "repeated hashes" 1 "$(count_archive_repeated_hashes)"'
probe "exactly once with none lost or duplicated (control)" pass 'expect_once "articles" 5 5 5'
probe "a duplicate (control)" fail 'expect_once "articles" 5 6 5'
probe "a loss (control)" fail 'expect_once "articles" 5 4 4'
echo "helpers_fail: $passed probes as expected"
