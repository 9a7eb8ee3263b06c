#!/usr/bin/env bash
# Cluster check 0: `syndicate topics create` with the production settings
# (deploy/config/syndication.yaml: replication factor 3, min.insync.replicas 2) on the three-broker
# cluster creates every topic with 3 replicas on 3 distinct brokers, every replica in sync, and
# min.insync.replicas=2 (read back with Kafka's TopicCommand). Only the bootstrap servers and the
# topic names (a prefix of the test's own) differ from the production file.
# $1 is the syndicate binary; uses the three-broker cluster (SYN_TEST_CLUSTER_PORT).
set -euo pipefail
syndicate=$(realpath "$1")
work=$(mktemp -d)
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/reliability/cluster_lib.sh"
id=ctop$(date +%s)$$
cfg=$work/syndication.yaml
sed -e "s|^  bootstrap_servers: .*|  bootstrap_servers: $SYN_TEST_BOOTSTRAP|" -e "s|^      name: news\.|      name: $id.news.|" \
  "$src/deploy/config/syndication.yaml" >"$cfg"
expect "topics of the production config renamed for the test" 6 "$(count_lines "name: $id.news." "$cfg")"
"$syndicate" topics create --config "$cfg" >"$work/create.out" 2>&1 || fail "topics create: $(cat "$work/create.out")"
bash "$src/deploy/kafka/kafka.sh" tool TopicCommand --bootstrap-server "$SYN_TEST_BOOTSTRAP" --describe \
  --topic "$id\\..*" >"$work/describe.out" || fail "TopicCommand --describe"
# Header lines: "Topic: T  TopicId: ..  PartitionCount: N  ReplicationFactor: 3  Configs: k=v,..."
# Partition lines: "Topic: T  Partition: P  Leader: L  Replicas: a,b,c  Isr: a,b,c ..."
python3 - "$work/describe.out" >"$work/check" <<'PY'
import re, sys
topics, parts = {}, []
for line in open(sys.argv[1]):
    f = dict(re.findall(r"(\w+): (\S+)", line))
    if "PartitionCount" in f:
        topics[f["Topic"]] = (int(f["ReplicationFactor"]), "min.insync.replicas=2" in line)
    elif "Partition" in f:
        reps, isr = f["Replicas"].split(","), f["Isr"].split(",")
        parts.append((f["Topic"], len(set(reps)), sorted(reps) == sorted(isr)))
print("topics", len(topics))
print("rf3", sum(1 for rf, _ in topics.values() if rf == 3))
print("minisr2", sum(1 for _, m in topics.values() if m))
print("partitions", len(parts))
print("three_brokers", sum(1 for _, n, _ in parts if n == 3))
print("in_sync", sum(1 for _, _, s in parts if s))
PY
val() { awk -v k="$1" '$1 == k {print $2}' "$work/check"; }
partitions=$(grep -E '^ *partitions: ' "$cfg" | awk '{s += $2} END {print s}')
expect "cluster topics created from the production config" 6 "$(val topics)"
expect "cluster topics with replication factor 3" 6 "$(val rf3)"
expect "cluster topics with min.insync.replicas=2" 6 "$(val minisr2)"
expect "cluster partitions of those topics" "$partitions" "$(val partitions)"
expect "cluster partitions with replicas on 3 distinct brokers" "$partitions" "$(val three_brokers)"
expect "cluster partitions with every replica in sync" "$partitions" "$(val in_sync)"
echo "cluster_topics: ok"
