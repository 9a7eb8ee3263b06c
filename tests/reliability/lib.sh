# Shared by the reliability scenarios (tests/reliability/*.sh). Source it after setting
# $syndicate (the binary) and $work (a scratch directory). Adds to tests/e2e/lib.sh:
#   rel_config FILE ID WECHAT_PORT  config with every sink: SQLite archive, one WeChat account
#                                   (zh-Hans, pushed to the local WeChat API), OpenCC zh-Hant
#   start_wechat PORT               the local WeChat API test server (stopped on exit)
#   own_broker PORT                 a broker of the scenario's own (for scenarios that stop it)
#   count_* / expect / scenario     counting what each sink holds, printing `what: expected N, got N`
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

# Revisions and distinct articles of originals (ids without the `.<language>` of a translation)
# in the SQLite archive; revisions that repeat an (article, content hash) pair (must be 0).
archive_sql() { sqlite3 "$work/archive.db" "$1" 2>/dev/null || echo 0; }
count_archive_revisions() { archive_sql "SELECT count(*) FROM article_revisions WHERE article_id NOT LIKE '%.%'"; }
count_archive_articles() { archive_sql "SELECT count(DISTINCT article_id) FROM article_revisions WHERE article_id NOT LIKE '%.%'"; }
count_archive_translations() { archive_sql "SELECT count(*) FROM article_revisions WHERE article_id LIKE '%.%'"; }
count_archive_repeated_hashes() {
  archive_sql "SELECT count(*) - count(DISTINCT article_id || '/' || content_sha256) FROM article_revisions"
}
# Articles in drafts the WeChat test server received (every draft, published or not), and distinct.
wechat_articles() { # PORT [distinct]
  curl -sf "http://127.0.0.1:$1/__state" | python3 -c '
import json, sys
s = json.load(sys.stdin)
urls = [a.get("content_source_url", "") for d in s.get("drafts", []) for a in d.get("articles", [])]
print(len(set(urls)) if len(sys.argv) > 1 else len(urls))' ${2:+distinct}
}
# Records and distinct keys in a topic's read_committed view.
count_distinct_committed() {
  kcat -b "$SYN_TEST_BOOTSTRAP" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed -f '%k\n' 2>/dev/null |
    sort -u | grep -c . || true
}
# Dead letters in the dead-letter topic: records whose `schema` header is syndication.v1.DeadLetter
# (the topic also holds DeadLetterResolution records appended by `dlq redrive`; docs/TOPICS.md).
count_dlq() {
  kcat -b "$SYN_TEST_BOOTSTRAP" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed -f '%h\n' 2>/dev/null |
    grep -cE '(^|,)schema=syndication\.v1\.DeadLetter(,|$)' || true
}

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
# wait_for DESCRIPTION EXPECTED SECONDS FN [ARGS...]: polls FN until it prints EXPECTED.
wait_for() {
  local what=$1 want=$2 secs=$3 got=""; shift 3
  for _ in $(seq $((secs * 5))); do got=$("$@"); [ "$got" = "$want" ] && return 0; sleep 0.2; done
  echo "$what: still $got after ${secs}s (want $want)"
}
