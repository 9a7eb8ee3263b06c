# Shared by the three-broker scenarios (tests/reliability/cluster_*.sh, docs/RELIABILITY.md "On a
# three-broker cluster"). Source it after setting $syndicate (the binary) and $work (a scratch
# directory); it sources lib.sh. Needs the cluster scripts/test.sh starts
# (`deploy/kafka/kafka.sh start --nodes 3 --port BASE`): SYN_TEST_CLUSTER_PORT=BASE. Without it the
# scenario exits 77 (CTest: skipped). It makes the cluster whole first (a node an earlier scenario
# left down is started) and again on exit. Adds:
#   kafka_sh VERB ARGS...            deploy/kafka/kafka.sh VERB ARGS... --port BASE
#   cluster_config FILE ID WECHAT    rel_config, every topic with replication 3, min.insync.replicas 2
#   leader_of TOPIC PARTITION        the node id leading the partition (cluster metadata)
#   dump_committed TOPIC FILE        the read_committed view as `key<TAB>issue-id` lines
#   count_records / count_distinct TOPIC   records and distinct keys of that view
#   expect_once WHAT EXPECTED RECORDS DISTINCT   `WHAT lost: expected 0, got N` (EXPECTED - DISTINCT)
#                                    and `WHAT duplicated: expected 0, got N` (RECORDS - DISTINCT)
#   count_dead_letters TOPIC         DeadLetter records (schema header) of the dead-letter topic
#   count_lines PATTERN FILE         lines of FILE matching PATTERN (grep -c, failing on a grep error)
#   http_status URL                  the HTTP status of a GET (000: no answer)
# Every count fails (FAIL on stderr, no number) when its tool fails: a count is never made up.
src=${src:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if [ -z "${SYN_TEST_CLUSTER_PORT:-}" ]; then
  echo "SYN_TEST_CLUSTER_PORT is not set: no three-broker cluster to run on (scripts/test.sh starts one); skipped"
  rm -rf "$work"
  exit 77
fi
kafka_sh() { local verb=$1; shift; bash "$src/deploy/kafka/kafka.sh" "$verb" "$@" --port "$SYN_TEST_CLUSTER_PORT"; }
kafka_sh start --nodes 3 >/dev/null 2>"$work/cluster-start.log" ||
  { cat "$work/cluster-start.log" >&2; echo "FAIL: the three-broker cluster is not whole" >&2; exit 1; }
SYN_TEST_BOOTSTRAP=$(kafka_sh bootstrap)
source "$src/tests/reliability/lib.sh"
cluster_heal() { kafka_sh start --nodes 3 >/dev/null 2>&1 || echo "could not make the cluster whole again" >&2; }
trap 'cluster_heal; rel_cleanup' EXIT

cluster_config() { # FILE ID WECHAT_PORT
  rel_config "$@"
  sed -i -E 's/replication_factor: 1, config: \{/replication_factor: 3, config: {min.insync.replicas: "2", /;
             s/replication_factor: 1\}/replication_factor: 3, config: {min.insync.replicas: "2"}}/' "$1"
  [ "$(grep -c 'replication_factor: 3, config: {min.insync.replicas: "2"' "$1")" = 5 ] ||
    fail "cluster_config: not every topic of $1 got replication 3 and min ISR 2"
}

leader_of() { # TOPIC PARTITION
  local md leader
  md=$(kcat -b "$SYN_TEST_BOOTSTRAP" -L -t "$1" -m 5) || fail "kcat could not read the metadata of $1"
  leader=$(awk -v p="$2," '$1 == "partition" && $2 == p {sub(",", "", $4); print $4}' <<<"$md")
  [[ $leader =~ ^[0-9]+$ ]] || fail "no leader of $1 partition $2 in: $md"
  echo "$leader"
}

dump_committed() { # TOPIC FILE
  kcat -b "$SYN_TEST_BOOTSTRAP" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed \
    -f '%k\t%h\n' >"$2.raw" || fail "kcat could not read $1"
  # The issue-id header of each record (headers print as k=v,k=v).
  awk -F'\t' 'NF { id = ""; n = split($2, h, ","); for (i = 1; i <= n; i++) if (h[i] ~ /^issue-id=/) id = substr(h[i], 10); print $1 "\t" id }' \
    "$2.raw" >"$2"
}
count_records() { local f=$work/.count.$$.$RANDOM; dump_committed "$1" "$f" && wc -l <"$f"; }
count_distinct() { local f=$work/.count.$$.$RANDOM; dump_committed "$1" "$f" && cut -f1 "$f" | sort -u | wc -l; }

expect_once() { expect "$1 lost" 0 $(($2 - $4)); expect "$1 duplicated" 0 $(($3 - $4)); }
count_dead_letters() {
  local f=$work/.dlq.$$.$RANDOM
  kcat -b "$SYN_TEST_BOOTSTRAP" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed -f '%h\n' >"$f" ||
    fail "kcat could not read $1"
  count_lines 'schema=syndication\.v1\.DeadLetter\(,\|$\)' "$f"
}
count_lines() { grep -c -- "$1" "$2" || [ $? = 1 ]; } # grep -c prints 0 and exits 1 when nothing matches
http_status() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" || true; } # 000 when nothing answers
