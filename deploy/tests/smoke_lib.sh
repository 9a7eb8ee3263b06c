# The deployment smoke tests' checks (sourced by compose-smoke.sh and kube-smoke.sh). The caller
# sets: TRIGGER_URL (http://127.0.0.1:PORT on the host), TOKEN, and the containers to ask:
# PG_CTR (psql as user syndicate, database syndicate), WECHAT_CTR (has curl; the local WeChat API
# on 127.0.0.1:8780), KAFKA_CTR (the image's /opt/kafka/bin tools), KAFKA_BOOTSTRAP (as seen from
# KAFKA_CTR).
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { # WHAT WANT GOT
  [ "$2" = "$3" ] || fail "$1: expected $2, got $3"
  echo "ok: $1 = $3"
}
# wait_until WHAT SECONDS COMMAND...: polls COMMAND (every 2 s) until it succeeds.
wait_until() {
  local what=$1 deadline=$((SECONDS + $2)); shift 2
  until "$@"; do
    [ $SECONDS -lt $deadline ] || fail "timed out waiting for $what"
    sleep 2
  done
}

# compose_workdir ROOT WORK: a copy of deploy/docker-compose.yml with deploy/tests/compose.smoke.yml,
# the smoke config (deploy/tests/smoke_config.py), the cover image and generated secrets in WORK;
# sets TOKEN (the trigger's bearer token) and PG_PASSWORD.
compose_workdir() {
  local root=$1 work=$2
  cp "$root/deploy/tests/compose.smoke.yml" "$work/"
  # The compose file without its depends_on: podman-compose turns them into podman --requires
  # links, and podman 4.3 cannot start a container whose graph holds an exited one-shot
  # ("depends on container ... not found in input list"); it also ignores service_healthy
  # conditions before podman 4.6. The tests start the services in the order depends_on gives.
  python3 -c 'import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
for s in d["services"].values(): s.pop("depends_on", None)
yaml.safe_dump(d, open(sys.argv[2], "w"), sort_keys=False)' "$root/deploy/docker-compose.yml" "$work/docker-compose.yml"
  mkdir -p "$work/config" "$work/secrets"
  python3 "$root/deploy/tests/smoke_config.py" "$root/deploy/config/syndication.yaml" "$work/config/syndication.yaml"
  # A real JPEG (written by tests/wechat's --write-jpeg): the WeChat test server decodes covers.
  cp "$root/deploy/tests/cover.jpg" "$work/cover.jpg"
  TOKEN=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
  PG_PASSWORD=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
  printf '%s\n' "$PG_PASSWORD" >"$work/secrets/postgres_password"
  printf '%s\n' "SYNDICATE_TRIGGER_TOKEN=$TOKEN" \
    "SYNDICATE_ARCHIVE_PG=host=postgres port=5432 dbname=syndicate user=syndicate password=$PG_PASSWORD" \
    "SYNDICATE_FEED_PG=host=postgres port=5432 dbname=syndicate user=syndicate password=$PG_PASSWORD" \
    "SYNDICATE_WECHAT_CJRB_SECRET=smoke-hans-secret" "SYNDICATE_WECHAT_CJRB_HANT_SECRET=smoke-hant-secret" \
    >"$work/secrets.env"
  chmod 0644 "$work/secrets.env" "$work/secrets/postgres_password" "$work/cover.jpg"
}

post_issue() { # FILE: POSTs it to the trigger; prints the HTTP status
  # As a client should: a 503 while the trigger is still connecting to Kafka (it is live, not yet
  # ready; the answer carries Retry-After) is retried for up to 60 s; any other status is final.
  local code i
  for i in $(seq 1 30); do
    code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
      --data-binary @"$1" "$TRIGGER_URL/v1/issues")
    [ "$code" = 503 ] || break
    sleep 2
  done
  echo "$code"
}
issue_published() { # ISSUE_ID
  curl -fsS -H "Authorization: Bearer $TOKEN" "$TRIGGER_URL/v1/issues/$1" 2>/dev/null | grep -q '"status":"published"'
}

psql_q() { podman exec "$PG_CTR" psql -U syndicate -d syndicate -tAc "$1"; }
# The archive: "rows distinct languages" of article revisions, e.g. "10 10 zh-Hans:5,zh-Hant:5".
archive_counts() {
  psql_q "SELECT count(*) || ' ' || count(DISTINCT (article_id, content_sha256)) || ' ' ||
            coalesce((SELECT string_agg(language || ':' || n, ',' ORDER BY language)
                      FROM (SELECT language, count(*) n FROM article_revisions GROUP BY language) l), '')
          FROM article_revisions" 2>/dev/null
}

# The feed: what the local WeChat API received, "articles distinct unpublished-drafts" per app.
wechat_counts() { # APP_ID
  podman exec "$WECHAT_CTR" curl -fsS http://127.0.0.1:8780/__state 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
d = [d for d in s["drafts"] if d["app_id"] == sys.argv[1]]
arts = [(a["content_source_url"], a["content_sha256"]) for x in d for a in x["articles"]]
print(len(arts), len(set(arts)), sum(1 for x in d if not x["published"]))' "$1"
}

archive_is() { [ "$(archive_counts)" = "$1" ]; }
wechat_is() { [ "$(wechat_counts "$1")" = "$2" ]; }

# A topic read to its end (read_committed): "records distinct-keys", keys counted from the output.
topic_counts() { # TOPIC
  podman exec "$KAFKA_CTR" /opt/kafka/bin/kafka-console-consumer.sh --bootstrap-server "$KAFKA_BOOTSTRAP" \
    --topic "$1" --from-beginning --isolation-level read_committed --timeout-ms 15000 \
    --formatter-property print.key=true --formatter-property print.value=false --formatter-property key.separator='|' 2>/dev/null |
    awk 'NF { n++; k[$0] = 1 } END { printf "%d %d\n", n, length(k) }'
}

# The whole flow: one issue, counted in every sink; then a broker and the archive killed, a second
# issue published while they are down, both back, every count exact (nothing lost, nothing twice).
# KILL_KAFKA / KILL_ARCHIVE / START_KAFKA / START_ARCHIVE: commands (functions) of the caller.
smoke_flow() {
  local fixture=$1 work=$2
  expect "POST of the fixture issue (HTTP status)" 202 "$(post_issue "$fixture")"
  wait_until "issue cjrb-20240130 published" 120 issue_published cjrb-20240130
  wait_until "5 + 5 articles in the archive" 180 archive_is '10 10 zh-Hans:5,zh-Hant:5'
  expect "archive: article revisions, distinct, per language" "10 10 zh-Hans:5,zh-Hant:5" "$(archive_counts)"
  wait_until "5 zh-Hans articles in WeChat drafts" 180 wechat_is wxsmokehans0000001 '5 5 0'
  wait_until "5 zh-Hant articles in WeChat drafts" 180 wechat_is wxsmokehant0000001 '5 5 0'
  expect "feed zh-Hans: articles, distinct, unpublished drafts" "5 5 0" "$(wechat_counts wxsmokehans0000001)"
  expect "feed zh-Hant: articles, distinct, unpublished drafts" "5 5 0" "$(wechat_counts wxsmokehant0000001)"
  expect "zh-Hant translations on news.articles.translated.v1: records, distinct keys" "5 5" \
    "$(topic_counts news.articles.translated.v1)"

  echo "--- killing a Kafka broker and the archive"
  "$KILL_KAFKA"
  "$KILL_ARCHIVE"
  sed 's/2024年1月/2024年3月/' "$fixture" >"$work/march.txt"
  expect "POST of a second issue with one broker and the archive down (HTTP status)" 202 "$(post_issue "$work/march.txt")"
  [ -z "${DOWN_STATE:-}" ] || expect "the broker and the archive still down after the POST" "false false" "$("$DOWN_STATE")"
  wait_until "issue cjrb-20240330 published" 180 issue_published cjrb-20240330
  "$START_KAFKA"
  "$START_ARCHIVE"
  wait_until "10 + 10 articles in the archive" 300 archive_is '20 20 zh-Hans:10,zh-Hant:10'
  expect "archive after the restarts: article revisions, distinct, per language" "20 20 zh-Hans:10,zh-Hant:10" "$(archive_counts)"
  wait_until "10 zh-Hans articles in WeChat drafts" 180 wechat_is wxsmokehans0000001 '10 10 0'
  wait_until "10 zh-Hant articles in WeChat drafts" 180 wechat_is wxsmokehant0000001 '10 10 0'
  expect "feed zh-Hans after the restarts" "10 10 0" "$(wechat_counts wxsmokehans0000001)"
  expect "feed zh-Hant after the restarts" "10 10 0" "$(wechat_counts wxsmokehant0000001)"
  expect "zh-Hant translations after the restarts: records, distinct keys" "10 10" \
    "$(topic_counts news.articles.translated.v1)"
}
