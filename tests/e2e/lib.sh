# Shared by the e2e scripts: a config with topics and groups of their own, and checks that print
# `what: expected N, got N` before they fail. Source it; needs $work and SYN_TEST_BOOTSTRAP.
: "${SYN_TEST_BOOTSTRAP:?SYN_TEST_BOOTSTRAP must point at the test broker (scripts/test.sh sets it)}"

# write_config FILE ID [CONSUMERS_YAML]: topics `<ID>.*`, groups `<ID>-*`, transactional ids
# `<ID>-*`, a SQLite archive in $work; CONSUMERS_YAML (indented lines) is added to the consumers
# section; more YAML on stdin is appended (top-level sections not used here).
write_config() {
  cat >"$1" <<YAML
kafka:
  bootstrap_servers: $SYN_TEST_BOOTSTRAP
  transactional_id_prefix: $2
  # Kafka's smallest session: a consumer the tests kill is out of its group in 6 s, not 30.
  client: {session.timeout.ms: "6000", heartbeat.interval.ms: "1000"}
  topics:
    issues: {name: $2.issues, partitions: 3, replication_factor: 1, config: {cleanup.policy: compact}}
    articles: {name: $2.articles, partitions: 3, replication_factor: 1}
    translated: {name: $2.translated, partitions: 3, replication_factor: 1}
    translation_jobs: {name: $2.jobs, partitions: 3, replication_factor: 1}
    deadletter: {name: $2.dlq, partitions: 1, replication_factor: 1}
consumers:
  groups: {feed: $2-feed, archive: $2-archive, translation: $2-translation, translator: $2-translator}
${3:-}
archive:
  sqlite: {path: $work/archive.db}
YAML
  [ -t 0 ] || cat >>"$1"
}

fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { echo "$1: expected $2, got $3"; [ "$2" = "$3" ] || fail "$1"; }

# count_committed TOPIC [KEY_PREFIX]: records a read_committed consumer sees.
count_committed() {
  kcat -b "$SYN_TEST_BOOTSTRAP" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed -f '%k\n' 2>/dev/null |
    grep -c "^${2:-}" || true
}
