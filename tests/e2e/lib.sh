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
# free_port [N]: a port nothing is bound to (the first of N consecutive ones), not handed out
# before in this script, and below the kernel's ephemeral range (ip_local_port_range), so no
# client connection can take it before the server binds it or while a broker is restarted. A fixed
# port inside that range once failed CI: a test broker's port was a client socket's by then.
free_port() {
  python3 - "${1:-1}" "$work/.ports-handed-out" <<'PY'
import random, socket, sys
n, handed_out = int(sys.argv[1]), sys.argv[2]
lo, hi = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
first, end = (10000, lo) if lo > 12000 else (hi + 1, 65536)
try:
    taken = {int(p) for p in open(handed_out).read().split()}
except FileNotFoundError:
    taken = set()
for _ in range(2000):
    p = random.randrange(first, end - n + 1)
    ports = range(p, p + n)
    if taken.intersection(ports):
        continue
    socks = []
    try:
        for q in ports:
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", q))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    with open(handed_out, "a") as f:
        f.write(" ".join(map(str, ports)) + "\n")
    print(p)
    sys.exit(0)
sys.exit(f"free_port: no {n} free consecutive port(s) in {first}-{end - 1}")
PY
}
expect() { echo "$1: expected $2, got $3"; [ "$2" = "$3" ] || fail "$1"; }
# tool_fail WHAT: a tool a check depends on failed (kcat, sqlite3, curl, ...): the script fails
# now, also from inside $(...) (the subshell sends SIGTERM to the script, whose EXIT trap runs),
# so a failing count is never read as 0.
tool_fail() { echo "FAIL: $*" >&2; kill -TERM $$ 2>/dev/null; exit 1; }
# is_count VALUE: VALUE is a non-negative integer.
is_count() { [[ $1 =~ ^[0-9]+$ ]]; }

# kcat_dump TOPIC FORMAT FILE [ISOLATION]: every record of TOPIC a consumer sees (ISOLATION
# read_committed, the default, or read_uncommitted), one FORMAT each, into FILE; fails the script
# when kcat fails.
kcat_dump() {
  timeout 120 kcat -b "$SYN_TEST_BOOTSTRAP" -C -t "$1" -o beginning -e -q -X "isolation.level=${4:-read_committed}" \
    -f "$2" >"$3" 2>"$3.err" || tool_fail "kcat -C -t $1 on $SYN_TEST_BOOTSTRAP: $(head -c 300 "$3.err")"
}
# count_matching TOPIC FORMAT REGEX [ISOLATION]: records (raw: duplicates included) whose FORMAT
# line matches REGEX (grep basic regex); fails the script when kcat fails.
count_matching() {
  local f=$work/.kcat.$BASHPID n
  kcat_dump "$1" "$2" "$f" "${4:-read_committed}"
  n=$(grep -c -- "$3" "$f" 2>&1; true)  # grep -c prints 0 (and exits 1) when nothing matches
  rm -f "$f" "$f.err"
  is_count "$n" || tool_fail "count_matching $1: $n"
  echo "$n"
}
# distinct_matching TOPIC FORMAT REGEX: distinct FORMAT lines matching REGEX (read_committed).
distinct_matching() {
  local f=$work/.kcat.$BASHPID
  kcat_dump "$1" "$2" "$f"
  grep -- "$3" "$f" | sort -u | awk 'NF {n++} END {print n + 0}'
  rm -f "$f" "$f.err"
}
# count_committed TOPIC [KEY_PREFIX]: records (raw: duplicates included) a read_committed
# consumer sees, whose key starts with KEY_PREFIX (a grep basic regex).
count_committed() { count_matching "$1" '%k\n' "^${2:-}"; }
# count_distinct_committed TOPIC: distinct keys among them (count_committed minus duplicates).
count_distinct_committed() {
  local f=$work/.kcat.$BASHPID
  kcat_dump "$1" '%k\n' "$f"
  sort -u "$f" | awk 'NF {n++} END {print n + 0}'
  rm -f "$f" "$f.err"
}
# sqlite_count DB SQL: the single number SQL yields on the SQLite database DB (read-only); fails
# the script when the database is missing or the query fails.
sqlite_count() {
  local out
  [ -f "$1" ] || tool_fail "sqlite_count: no database at $1"
  out=$(sqlite3 -cmd '.timeout 10000' "file:$1?mode=ro" "$2" 2>"$1.sqlite-err") || tool_fail "sqlite3 $1 '$2': $(cat "$1.sqlite-err")"
  is_count "$out" || tool_fail "sqlite3 $1 '$2': not a count: '$out'"
  echo "$out"
}
