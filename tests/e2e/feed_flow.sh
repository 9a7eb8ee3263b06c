#!/usr/bin/env bash
# The feed consumer end to end on the real broker, pushing to the local WeChat API
# (syndicate-wechat-testserver, a separate process on a free port), checked against its /__state:
#   1. routing: the fixture issue lands as the right drafts on two accounts with different rules,
#      during a rate-limit storm (45009 on one account pauses that account only, and it is not
#      called again; -1 and 5xx are retried with backoff) -- then the paused account gets its
#      drafts once its quota is back (`syndicate feed quota reset`);
#   2. a token expiring mid-run (the client refreshes; a correction lands as a new draft);
#   3. a restart mid-issue: the consumer is killed (-9) while WeChat is creating its second
#      draft; the restarted consumer finds that draft (draft/batchget) instead of adding it again;
#   4. a permanent content error (45002) dead-letters the records with the API's message;
#   5. translated articles (consume translation + translate) land as zh-Hant drafts on the
#      zh-Hant account only;
#   6. a forced republish and a replay of both topics from the beginning post nothing twice.
# Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary, $2 syndicate-wechat-testserver.
set -euo pipefail
syndicate=$1
wechat=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
work=$(mktemp -d)
id=feed$(date +%s)$$
cfg=$work/syndication.yaml
api_pid='' consumer_pid=''
cleanup() {
  [ -z "$consumer_pid" ] || kill -9 "$consumer_pid" 2>/dev/null || true
  [ -z "$api_pid" ] || kill "$api_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "${FEED_E2E_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
source "$src/tests/e2e/lib.sh"

FRONT=wxfeede2efront0001 KICK=wxfeede2ekicker001 HANT=wxfeede2ehant00001
export FEED_E2E_FRONT_SECRET=front-secret FEED_E2E_KICK_SECRET=kick-secret FEED_E2E_HANT_SECRET=hant-secret

# The local WeChat API, on a port the kernel picks.
"$wechat" --port 0 --threads 4 --app "$FRONT:front-secret" --app "$KICK:kick-secret" --app "$HANT:hant-secret" \
  >"$work/wechat.log" 2>&1 &
api_pid=$!
for _ in $(seq 100); do grep -q '^listening on ' "$work/wechat.log" && break; sleep 0.1; done
api=$(sed -n 's/^listening on //p' "$work/wechat.log")
[ -n "$api" ] || fail "the WeChat test server did not start: $(cat "$work/wechat.log")"

"$wechat" --write-jpeg "$work/cover.jpg" || fail "writing the cover"  # a real JPEG: the server decodes it
write_config "$cfg" "$id" \
  "  retry: {initial_backoff_ms: 100, max_backoff_ms: 400, multiplier: 2.0, max_attempts: 400, jitter: 0.2}" <<YAML
feed:
  api_base_url: $api
  request_timeout_ms: 3000
  max_articles_per_draft: 2
  retry: {initial_backoff_ms: 50, max_backoff_ms: 200, multiplier: 2.0, max_attempts: 3, jitter: 0.2}
  server: {listen: 127.0.0.1:0, public_base_url: http://feeds.example}
  accounts:
    - {name: front, app_id: $FRONT, app_secret_env: FEED_E2E_FRONT_SECRET, language: zh-Hans,
       cover_image: $work/cover.jpg, rules: {pages: [1]}}
    - {name: kicker, app_id: $KICK, app_secret_env: FEED_E2E_KICK_SECRET, language: zh-Hans,
       cover_image: $work/cover.jpg, rules: {kickers: [新春走基层, 典范地州•典范行动]}}
    - {name: hant, app_id: $HANT, app_secret_env: FEED_E2E_HANT_SECRET, language: zh-Hant,
       cover_image: $work/cover.jpg, rules: {}}
YAML

control() { curl -sf -XPOST "$api/__control" -d "$1" >/dev/null || fail "control $1"; }
# q PYTHON: evaluates PYTHON with `s` = GET /__state and helpers; prints the result.
q() {
  curl -sf "$api/__state" | python3 -c '
import json, sys
s = json.load(sys.stdin)
def drafts(app): return [d for d in s["drafts"] if d["app_id"] == app]
def ids(app): return [a["content_source_url"].rsplit("/", 1)[1] for d in drafts(app) for a in d["articles"]]
def unpublished(app): return sum(1 for d in drafts(app) if not d["published"])
def dups(app):
    seen = [(a["content_source_url"], a["content_sha256"]) for d in drafts(app) for a in d["articles"]]
    return len(seen) - len(set(seen))
print('"$1"')'
}
# wait_for WHAT PYTHON_CONDITION [SECONDS]
wait_for() {
  local deadline=$((SECONDS + ${3:-60}))
  until [ "$(q "$2")" = True ]; do
    [ $SECONDS -lt $deadline ] || { tail -n 20 "$work"/consumer*.log >&2 || true; fail "timed out waiting for $1"; }
    sleep 0.3
  done
}
consumer_n=0
start_consumer() {
  consumer_n=$((consumer_n + 1))
  "$syndicate" consume feed --config "$cfg" --state "$work/feed-state.db" --metrics-listen 127.0.0.1:0 \
    >"$work/consumer$consumer_n.log" 2>&1 &
  consumer_pid=$!
}
stop_consumer() {
  kill -TERM "$consumer_pid"
  wait "$consumer_pid" || fail "consume feed exited with $? after SIGTERM: $(tail -n 5 "$work/consumer$consumer_n.log")"
  consumer_pid=''
}
consume_until_caught_up() {
  timeout 120 "$syndicate" consume feed --config "$cfg" --state "$work/feed-state.db" --until-caught-up \
    --metrics-listen "" >"$work/consumer-once.log" 2>&1 || fail "consume feed: $(tail -n 5 "$work/consumer-once.log")"
}
publish() { "$syndicate" publish --config "$cfg" "$@" >/dev/null 2>&1 || fail "publish $*"; }
a=cjrb-20240130-01

"$syndicate" topics create --config "$cfg" >/dev/null

# 1. Routing, during a rate-limit storm: the kicker account's daily quota is exhausted (45009 on
# every draft/add), the front account's first two draft/add calls answer -1 (system busy) and the
# first two freepublish/submit calls answer HTTP 503.
control "{\"fail_next\": 100000, \"path\": \"draft/add\", \"app_id\": \"$KICK\", \"errcode\": 45009, \"errmsg\": \"reach max api daily quota limit\"}"
control "{\"fail_next\": 2, \"path\": \"draft/add\", \"app_id\": \"$FRONT\", \"errcode\": -1}"
control '{"fail_next": 2, "path": "freepublish/submit", "http_status": 503}'
publish "$fixture"
start_consumer
wait_for "the front account's drafts during the storm" "len(ids('$FRONT')) == 5 and unpublished('$FRONT') == 0"
expect "front account: articles in draft order" "$a-01 $a-02 $a-03 $a-04 $a-05" "$(q "' '.join(ids('$FRONT'))")"
expect "front account: drafts (2 articles each at most)" 3 "$(q "len(drafts('$FRONT'))")"
expect "kicker account: drafts while its quota is exhausted" 0 "$(q "len(drafts('$KICK'))")"
sleep 2
kill -0 "$consumer_pid" || fail "the consumer died during the storm"
# 45009 is a state: the kicker account is paused after its first refusal, not called again.
expect "kicker account: draft/add refused once, then paused" 1 \
  "$(q "s['calls'].get('/cgi-bin/draft/add', 0) - len(drafts('$FRONT')) - 2")"
expect "dead letters during the storm" 0 "$(count_committed "$id.dlq")"
control '{"clear_faults": true}'
"$syndicate" feed quota reset kicker --config "$cfg" --state "$work/feed-state.db" --execute >/dev/null ||
  fail "feed quota reset kicker"
wait_for "the kicker account's drafts after its quota is back" "len(ids('$KICK')) == 2 and unpublished('$KICK') == 0"
expect "kicker account: articles (kicker rule)" "$a-01 $a-04" "$(q "' '.join(ids('$KICK'))")"
expect "kicker account: drafts" 1 "$(q "len(drafts('$KICK'))")"
expect "front account: drafts after the storm (no duplicate)" 3 "$(q "len(drafts('$FRONT'))")"
expect "zh-Hant account: drafts of originals" 0 "$(q "len(drafts('$HANT'))")"
title=$(q "drafts('$FRONT')[0]['articles'][0]['title']")
# Per-account metrics of the running consumer.
metrics_url=$(grep -o 'http://127.0.0.1:[0-9]*/metrics' "$work/consumer1.log" | head -1)
curl -sf "$metrics_url" >"$work/metrics.txt" || fail "GET $metrics_url"
metric() { sed -n "s/^$1{account=\"$2\"} //p" "$work/metrics.txt"; }
expect "metric: articles routed to front" 5 "$(metric syndicate_feed_articles_routed_total front)"
expect "metric: drafts created for front" 3 "$(metric syndicate_feed_drafts_created_total front)"
expect "metric: drafts created for kicker" 1 "$(metric syndicate_feed_drafts_created_total kicker)"
expect "metric: kicker paused by its quota once" 1 "$(metric syndicate_feed_quota_pauses_total kicker)"
expect "metric: kicker not paused any more" 0 "$(metric syndicate_feed_quota_paused kicker)"
expect "metric: failures on front" 0 "$(metric syndicate_feed_failures_total front)"
expect "front account: lead draft's title" '昌吉州:实施"典范行动"打造高质量发展先行区' "$title"

# 2. Tokens expire mid-run; a correction of article 05 lands as one new draft.
issued=$(q "s['tokens']['stable_issued']")
control '{"expire_tokens": true}'
sed 's/两地群众来往将更加便利。/两地群众往来将更加便利。/' "$fixture" >"$work/correction1.txt"
publish "$work/correction1.txt"
wait_for "the corrected article after the tokens expired" "len(ids('$FRONT')) == 6 and unpublished('$FRONT') == 0"
expect "front account: the correction's draft" "$a-05" "$(q "' '.join(ids('$FRONT')[5:])")"
expect "tokens fetched again after expiry" True "$(q "s['tokens']['stable_issued'] > $issued")"
expect "front account: duplicates" 0 "$(q "dups('$FRONT')")"

# 3. Restart mid-issue: a correction of articles 01-04 makes two drafts for the front account.
# Its second draft/add hangs 4 s on WeChat's side and is then created; the consumer is killed
# during the hang, so the ledger never hears of that draft.
sed -e 's/大潮澎湃起/大潮澎湃涌/' -e 's/科创中心共建单位/科创中心各共建单位/' \
  -e 's/应急管理局副局长古延龙/应急管理局副局长古延龙同志/' -e 's/做好新疆粮食精深加工/做好新疆粮油精深加工/' \
  "$work/correction1.txt" >"$work/correction2.txt"
control "{\"fail_next\": 1, \"skip\": 1, \"path\": \"draft/add\", \"app_id\": \"$FRONT\", \"hang_ms\": 4000, \"process\": true}"
publish "$work/correction2.txt"
wait_for "the consumer to reach the hanging draft/add" "s['faults_pending'] == 0" 60
kill -9 "$consumer_pid"
wait "$consumer_pid" 2>/dev/null || true
consumer_pid=''
wait_for "WeChat to create the draft of the killed call" "len(drafts('$FRONT')) == 6" 20
start_consumer
wait_for "the drafts of the interrupted issue" "len(ids('$FRONT')) == 10 and unpublished('$FRONT') == 0 and len(ids('$KICK')) == 4"
expect "front account: drafts after the restart (none added twice)" 6 "$(q "len(drafts('$FRONT'))")"
expect "front account: duplicates after the restart" 0 "$(q "dups('$FRONT')")"
expect "front account: publications" 6 "$(q "sum(1 for p in s['publishes'] if p['app_id'] == '$FRONT')")"
grep -q 'ambiguous draft/add resolved' "$work/consumer$consumer_n.log" ||
  fail "the restarted consumer did not look the draft up: $(tail -n 5 "$work/consumer$consumer_n.log")"

# 4. A permanent content error: WeChat rejects the kicker account's next draft (45002); the
# records go to the dead-letter topic with the API's message, and the consumer goes on.
control "{\"fail_next\": 1, \"path\": \"draft/add\", \"app_id\": \"$KICK\", \"errcode\": 45002, \"errmsg\": \"content size out of limit\"}"
sed 's/做好新疆粮油精深加工/做好新疆粮油深加工/' "$work/correction2.txt" >"$work/correction3.txt"
publish "$work/correction3.txt"
wait_for "the front account's draft of revision 3" "len(ids('$FRONT')) == 11 and unpublished('$FRONT') == 0"
deadline=$((SECONDS + 60))
until [ "$(count_committed "$id.dlq")" -ge 1 ] || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
expect "dead letters" 1 "$(count_committed "$id.dlq")"
letters=$("$syndicate" dlq list --config "$cfg" --json)
expect "dead letter: article" "$id.articles" "$(python3 -c 'import json,sys; d=json.load(sys.stdin)["deadLetters"][0]; print(d["topic"])' <<<"$letters")"
grep -q '45002' <<<"$letters" || fail "dead letter without the errcode: $letters"
grep -q 'content size out of limit' <<<"$letters" || fail "dead letter without the API's message: $letters"
expect "kicker account: drafts after the rejection" 2 "$(q "len(drafts('$KICK'))")"
stop_consumer

# 5. zh-Hant: translations land on the zh-Hant account as traditional-Chinese drafts.
"$syndicate" consume translation --config "$cfg" --until-idle >/dev/null 2>&1 || fail "consume translation"
"$syndicate" translate --config "$cfg" --until-idle --done-store "$work/done.db" >/dev/null 2>&1 || fail "translate"
consume_until_caught_up
expect "zh-Hant account: articles (each revision once)" \
  "$a-01.zh-Hant $a-02.zh-Hant $a-03.zh-Hant $a-04.zh-Hant $a-05.zh-Hant" \
  "$(q "' '.join(sorted(set(ids('$HANT'))))")"
expect "zh-Hant account: duplicates" 0 "$(q "dups('$HANT')")"
hant_title=$(q "[a['title'] for d in drafts('$HANT') for a in d['articles'] if a['content_source_url'].endswith('$a-01.zh-Hant')][0]")
grep -q '實施' <<<"$hant_title" || fail "zh-Hant title is not traditional: $hant_title"
expect "originals' accounts: translated articles" 0 "$(q "sum(1 for i in ids('$FRONT') + ids('$KICK') if 'zh-Hant' in i)")"

# 6. A forced republish and a replay of both topics from the beginning post nothing again. The
# only new draft is the one WeChat rejected in step 4 (dead-lettered, never posted): a replay
# delivers that record again and this time WeChat takes it.
drafts_before=$(q "len(s['drafts'])") publishes_before=$(q "len(s['publishes'])")
publish --force "$fixture"
for t in "$id.articles" "$id.translated"; do
  "$syndicate" replay --config "$cfg" --group "$id-feed" --topic "$t" --to-earliest --execute >/dev/null ||
    fail "replay $t"
done
consume_until_caught_up
expect "drafts added by republish and replay" 1 "$(q "len(s['drafts']) - $drafts_before")"
expect "publications added by republish and replay" 1 "$(q "len(s['publishes']) - $publishes_before")"
expect "the replay's one new draft: the record rejected before" "$KICK $a-04" \
  "$(q "s['drafts'][-1]['app_id'] + ' ' + ids('$KICK')[-1]")"
for app in "$FRONT" "$KICK" "$HANT"; do expect "duplicates on $app after the replay" 0 "$(q "dups('$app')")"; done
echo "feed_flow: ok"
