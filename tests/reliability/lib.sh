# Shared by the reliability scenarios (tests/reliability/*.sh). Source it after setting
# $syndicate (the binary) and $work (a scratch directory). Adds to tests/e2e/lib.sh:
#   rel_config FILE ID WECHAT_PORT  config with every sink: SQLite archive, one WeChat account
#                                   (zh-Hans, pushed to the local WeChat API), OpenCC zh-Hant
#   start_wechat PORT               the local WeChat API test server (stopped on exit)
#   own_broker PORT                 a broker of the scenario's own (for scenarios that stop it)
#   count_* / expect / expect_once  counting what each sink holds (raw, distinct), printing
#                                   `what: expected N, got N`; a count whose tool fails fails
#   wait_for / wait_until           bounded waits on observable state
src=${src:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
source "$src/tests/e2e/lib.sh"
bindir=$(dirname "$(dirname "$syndicate")")
wechat_server=$bindir/tests/wechat/syndicate-wechat-testserver
mt_server=$bindir/consumers/translation/mt/syndicate-mt-testserver
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
export SYN_REL_WECHAT_SECRET=rel-secret-not-logged
pids_to_stop=()
rel_cleanup() {
  local p
  for p in "${pids_to_stop[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids_to_stop[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "${own_broker_port:-}" ] && bash "$src/deploy/kafka/kafka.sh" stop --port "$own_broker_port" \
    --state-dir "$work/kafka" >/dev/null 2>&1
  [ -n "${SYN_REL_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap rel_cleanup EXIT

rel_config() { # FILE ID WECHAT_PORT
  "$wechat_server" --write-jpeg "$work/cover.jpg"  # a real JPEG: the WeChat API decodes covers
  write_config "$1" "$2" "  retry: {initial_backoff_ms: 100, max_backoff_ms: 1000, max_attempts: 5}" <<YAML
feed:
  api_base_url: http://127.0.0.1:$3
  request_timeout_ms: 2000
  retry: {initial_backoff_ms: 100, max_backoff_ms: 1000, multiplier: 2.0, max_attempts: 1000, jitter: 0.2}
  accounts:
    - name: rel
      app_id: wxrel$2
      app_secret_env: SYN_REL_WECHAT_SECRET
      language: zh-Hans
      cover_image: $work/cover.jpg
# No fixed metrics ports: scenarios run side by side (ctest -j); a scenario that scrapes one
# passes --metrics-listen.
observability:
  metrics: {trigger: "", feed: "", archive: "", translation: "", translator: "", feed_server: "", run: ""}
YAML
}

start_wechat() { # PORT
  "$wechat_server" --port "$1" >"$work/wechat.log" 2>&1 &
  pids_to_stop+=($!)
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$1/__state" >/dev/null && return 0; sleep 0.1; done
  fail "WeChat test server did not start: $(cat "$work/wechat.log")"
}
wechat_control() { curl -sf -XPOST "http://127.0.0.1:$1/__control" -d "$2" >/dev/null; }

own_broker() { # PORT: a broker in $work/kafka, stopped on exit
  own_broker_port=$1
  bash "$src/deploy/kafka/kafka.sh" start --port "$1" --controller-port "$(($1 + 1))" --state-dir "$work/kafka" >/dev/null
  SYN_TEST_BOOTSTRAP=127.0.0.1:$1
}

# Every count below fails the scenario when its tool fails (sqlite3, kcat, curl, psql): never
# is a failing query read as 0 (tool_fail, tests/e2e/lib.sh).

# Revisions and distinct articles of originals (ids without the `.<language>` of a translation)
# in the SQLite archive; revisions that repeat an (article, content hash) pair (must be 0).
archive_sql() { sqlite_count "$work/archive.db" "$1"; }
count_archive_revisions() { archive_sql "SELECT count(*) FROM article_revisions WHERE article_id NOT LIKE '%.%'"; }
count_archive_articles() { archive_sql "SELECT count(DISTINCT article_id) FROM article_revisions WHERE article_id NOT LIKE '%.%'"; }
count_archive_translations() { archive_sql "SELECT count(*) FROM article_revisions WHERE article_id LIKE '%.%'"; }
count_archive_repeated_hashes() {
  archive_sql "SELECT count(*) - count(DISTINCT article_id || '/' || content_sha256) FROM article_revisions"
}
# wechat_state PORT: the WeChat test server's /__state (fails the scenario when it does not answer).
wechat_state() {
  curl -sf -m 10 "http://127.0.0.1:$1/__state" || tool_fail "GET http://127.0.0.1:$1/__state (WeChat test server)"
}
# Articles in drafts the WeChat test server received (every draft, published or not), and distinct.
wechat_articles() { # PORT [distinct]
  local state
  state=$(wechat_state "$1") || tool_fail "GET /__state of the WeChat test server on port $1"
  printf '%s' "$state" | python3 -c '
import json, sys
s = json.load(sys.stdin)
urls = [a.get("content_source_url", "") for d in s.get("drafts", []) for a in d.get("articles", [])]
print(len(set(urls)) if len(sys.argv) > 1 else len(urls))' ${2:+distinct} || tool_fail "wechat_articles: bad /__state"
}
# wechat_faults_injected PORT: calls the WeChat test server answered with an injected fault.
wechat_faults_injected() {
  local state
  state=$(wechat_state "$1") || tool_fail "GET /__state of the WeChat test server on port $1"
  printf '%s' "$state" | python3 -c 'import json, sys; print(json.load(sys.stdin)["faults_injected"])' ||
    tool_fail "wechat_faults_injected: bad /__state"
}
# Dead letters in the dead-letter topic: records whose `schema` header is syndication.v1.DeadLetter
# (the topic also holds DeadLetterResolution records appended by `dlq redrive`; docs/TOPICS.md).
count_dlq() {
  local f=$work/.kcat.$BASHPID
  kcat_dump "$1" '%h\n' "$f"
  awk '/(^|,)schema=syndication\.v1\.DeadLetter(,|$)/ {n++} END {print n + 0}' "$f"
  rm -f "$f" "$f.err"
}
# expect_once WHAT N RAW DISTINCT: N things expected exactly once, RAW counted with duplicates,
# DISTINCT without: prints and checks lost (N - DISTINCT) and duplicated (RAW - DISTINCT) apart.
expect_once() {
  is_count "$2" && is_count "$3" && is_count "$4" || fail "$1: counts '$2' '$3' '$4'"
  expect "$1 lost" 0 $(($2 - $4))
  expect "$1 duplicated" 0 $(($3 - $4))
  expect "$1 distinct" "$2" "$4"
}
# expect_topic_once WHAT N TOPIC: expect_once over a topic's read_committed records and keys.
expect_topic_once() { expect_once "$1" "$2" "$(count_committed "$3")" "$(count_distinct_committed "$3")"; }

# cpu_seconds PID: user+system CPU time the process has used so far.
cpu_seconds() { awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / t}' "/proc/$1/stat"; }
# peak_rss_mb PID: the process's peak resident set so far.
peak_rss_mb() { awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }

# lag_caught_up GROUP: prints 1 when every partition with records has the group caught up
# (`syndicate lag --json`; a transaction marker after the last record counts as caught up).
lag_caught_up() {
  "$syndicate" lag --config "$cfg" --group "$1" --json 2>/dev/null | python3 -c '
import json, sys
rows = [r for g in json.load(sys.stdin)["groups"] for r in g["partitions"] if (r["end"] or 0) > 0]
print(1 if rows and all(r["caughtUp"] for r in rows) else 0)'
}
# wait_for DESCRIPTION EXPECTED SECONDS FN [ARGS...]: polls FN until it prints EXPECTED; fails
# the scenario (`DESCRIPTION: expected E, got G after Ns`) when it never does.
wait_for() {
  local what=$1 want=$2 secs=$3 got=""; shift 3
  for _ in $(seq $((secs * 5))); do got=$("$@"); [ "$got" = "$want" ] && return 0; sleep 0.2; done
  expect "$what (after ${secs}s)" "$want" "$got"
}
# wait_until DESCRIPTION SECONDS CMD [ARGS...]: polls CMD until it succeeds; fails the scenario
# when it never does within SECONDS.
wait_until() {
  local what=$1 secs=$2; shift 2
  for _ in $(seq $((secs * 5))); do "$@" && return 0; sleep 0.2; done
  fail "$what: did not happen within ${secs}s"
}
