#!/usr/bin/env bash
# deploy/kafka/kafka.sh -- a real Apache Kafka 4.x broker (KRaft, combined broker+controller) for
# syndicate's tests, run from Maven Central jars with the JDK: one node (the default) or a cluster
# of N nodes on loopback (--nodes N, a static quorum of N voters).
# See deploy/kafka/README.md. Usage: kafka.sh help
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
POM=$HERE/pom.xml
CONF=$HERE/conf
CACHE_DIR=${KAFKA_CACHE_DIR:-$HERE/.cache}
LIBS=$CACHE_DIR/libs
START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}
LAST_NODE_GRACE=${KAFKA_LAST_NODE_GRACE:-5}
HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
# Each node of a cluster (--nodes N) gets less: three JVMs share the machine with the tests.
CLUSTER_HEAP_OPTS=${KAFKA_HEAP_OPTS:-${KAFKA_CLUSTER_HEAP_OPTS:--Xms128m -Xmx320m}}
JVM_OPTS=${KAFKA_JVM_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}
if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then JAVA=$JAVA_HOME/bin/java; else JAVA=java; fi

info() { echo "kafka.sh: $*" >&2; }
die() { echo "kafka.sh: error: $*" >&2; exit 1; }

usage() {
  cat <<'EOF'
usage: kafka.sh VERB [OPTIONS]
  fetch                      copy the Kafka jars into .cache/libs with mvn (skipped when up to date)
  start  [--port N] [--controller-port M] [--state-dir DIR] [--prop KEY=VALUE]...
                             start a broker on 127.0.0.1:N in the background and wait until it
                             answers metadata requests; a no-op if it already runs on that port
  stop   [--port N] [--state-dir DIR]
                             SIGTERM, wait (bounded), then SIGKILL; a no-op if not running
  status [--port N] [--state-dir DIR]
                             exit 0 if running, 3 if not
  wipe   [--port N] [--state-dir DIR]
                             stop, then delete the state dir (data and logs)
  tool CLASS [ARGS...]       run a Kafka tool class on the same classpath; short names:
                             TopicCommand ConsumerGroupCommand ProducerPerformance
                             ConsumerPerformance MetadataQuorumCommand StorageTool
  classpath                  print the classpath (jars joined with ':')
cluster (--nodes N, 2..9; node I listens on 127.0.0.1:BASE+2(I-1), its controller on the next
port; state in <root>/cluster-BASE/node-I, or DIR/node-I with --state-dir DIR):
  start  --nodes N [--port BASE] [--state-dir DIR] [--prop KEY=VALUE]...
                             start every node that is not running and wait until the metadata of
                             every node lists all N brokers
  stop | status | wipe [--nodes N] [--port BASE] [--state-dir DIR]
                             the whole cluster (found by its state dir, so --nodes is optional);
                             status exits 0 if every node runs, 3 if none, 4 if some
  kill-node ID [--port BASE] [--state-dir DIR]
                             SIGKILL node ID (the broker's node.id) and wait until it is gone
  start-node ID [--port BASE] [--state-dir DIR]
                             start node ID again and wait until it answers as broker ID
  bootstrap [--port BASE] [--state-dir DIR]
                             print the bootstrap list 127.0.0.1:P1,127.0.0.1:P2,...
env: KAFKA_PORT (9092) KAFKA_CONTROLLER_PORT (port+1) KAFKA_STATE_DIR KAFKA_STATE_ROOT
     KAFKA_CACHE_DIR KAFKA_START_TIMEOUT (90) KAFKA_STOP_TIMEOUT (30) KAFKA_HEAP_OPTS
     KAFKA_CLUSTER_HEAP_OPTS (-Xms128m -Xmx320m, per node) KAFKA_LAST_NODE_GRACE (5)
     KAFKA_JVM_OPTS KAFKA_TOOL_OPTS KAFKA_CDS (1) JAVA_HOME
EOF
}

# ---------------------------------------------------------------- jars

pom_hash() { sha256sum "$POM" | cut -d' ' -f1; }
libs_ok() { [[ -f $LIBS/.pom-sha256 && "$(<"$LIBS/.pom-sha256")" == "$(pom_hash)" ]]; }

# fetch [quiet]: idempotent; keyed on the pom's hash, serialised with a lock.
cmd_fetch() {
  if libs_ok; then [[ ${1:-} == quiet ]] || info "jars up to date in $LIBS"; return 0; fi
  mkdir -p "$CACHE_DIR"
  exec 8>"$CACHE_DIR/.fetch.lock"
  flock 8
  if libs_ok; then exec 8>&-; return 0; fi
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  local tmp=$CACHE_DIR/libs.tmp.$$ t0=$SECONDS
  rm -rf "$tmp"
  info "fetching Kafka jars with mvn into $LIBS ..."
  # (sed: Debian's mvn 3.8.7 prints stray ESC[0m resets even with -B)
  if ! mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" 2>&1 | sed 's/\x1b\[0m//g' >&2; then
    rm -rf "$tmp"; die "mvn dependency:copy-dependencies failed (see output above)"
  fi
  # Exactly one SLF4J 1.7 binding, or the broker logs nothing / picks one at random.
  local jars=("$tmp"/*.jar) bindings=() j
  for j in "${jars[@]##*/}"; do
    [[ $j =~ ^(log4j-slf4j-impl|log4j-slf4j2-impl|slf4j-reload4j|slf4j-log4j12|slf4j-simple|slf4j-nop|slf4j-jdk14|logback-classic)-[0-9] ]] &&
      bindings+=("$j")
  done
  if [[ ${#bindings[@]} -ne 1 || ${bindings[0]} != log4j-slf4j-impl-* ]]; then
    rm -rf "$tmp"; die "expected exactly one slf4j binding (log4j-slf4j-impl), got: ${bindings[*]:-none}"
  fi
  pom_hash >"$tmp/.pom-sha256"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  exec 8>&-
  info "fetched ${#jars[@]} jars in $((SECONDS - t0))s"
}

cmd_classpath() {
  cmd_fetch quiet
  local jars=("$LIBS"/*.jar)
  (IFS=:; echo "${jars[*]}")
}

# ---------------------------------------------------------------- options

parse_opts() {
  PORT=${KAFKA_PORT:-9092}
  CPORT=${KAFKA_CONTROLLER_PORT:-}
  STATE=${KAFKA_STATE_DIR:-}
  NODES=
  NODE_ID=1
  CLUSTER=0
  PROPS=()
  ARGS=() # positional arguments (the node id of kill-node / start-node)
  while (($#)); do
    case $1 in
      --nodes) NODES=${2:?--nodes needs a value}; shift 2 ;;
      --nodes=*) NODES=${1#*=}; shift ;;
      --port) PORT=${2:?--port needs a value}; shift 2 ;;
      --port=*) PORT=${1#*=}; shift ;;
      --controller-port) CPORT=${2:?--controller-port needs a value}; shift 2 ;;
      --controller-port=*) CPORT=${1#*=}; shift ;;
      --state-dir) STATE=${2:?--state-dir needs a value}; shift 2 ;;
      --state-dir=*) STATE=${1#*=}; shift ;;
      --prop) PROPS+=("${2:?--prop needs KEY=VALUE}"); shift 2 ;;
      --prop=*) PROPS+=("${1#*=}"); shift ;;
      -h|--help) usage; exit 0 ;;
      -*) die "unknown option: $1 (see kafka.sh help)" ;;
      *) ARGS+=("$1"); shift ;;
    esac
  done
  [[ $PORT =~ ^[0-9]{1,5}$ ]] || die "bad port: $PORT"
  PORT=$((10#$PORT))
  ((PORT >= 1 && PORT <= 65534)) || die "bad port: $PORT"
  [[ -z $NODES || $NODES =~ ^[1-9]$ ]] || die "bad --nodes: $NODES (1 to 9)"
  # A cluster: --nodes N > 1, or (without --nodes) the state dir of a cluster on this port.
  if [[ -n $NODES && $NODES != 1 ]] ||
    [[ -z $NODES && -f ${STATE:-${KAFKA_STATE_ROOT:-$CACHE_DIR}/cluster-$PORT}/cluster.properties ]]; then
    cluster_opts
    return 0
  fi
  ((${#ARGS[@]} == 0)) || die "unexpected argument: ${ARGS[0]} (no cluster on port $PORT; see kafka.sh help)"
  CPORT=${CPORT:-$((PORT + 1))}
  [[ $CPORT =~ ^[0-9]{1,5}$ ]] || die "bad controller port: $CPORT"
  CPORT=$((10#$CPORT))
  ((CPORT >= 1 && CPORT <= 65535 && CPORT != PORT)) || die "bad controller port: $CPORT"
  STATE=${STATE:-${KAFKA_STATE_ROOT:-$CACHE_DIR}/run-$PORT}
  mkdir -p "$STATE"
  STATE=$(cd "$STATE" && pwd)
  DATA=$STATE/data
  LOG=$STATE/kafka.log
  PIDFILE=$STATE/kafka.pid
  SERVER_PROPS=$STATE/server.properties
}

# ---------------------------------------------------------------- cluster layout

# A cluster of N nodes (--nodes N): node I is broker and controller with node.id I, client port
# BASE+2(I-1), controller port BASE+2(I-1)+1, state in CROOT/node-I; CROOT/cluster.properties
# keeps the node count and the cluster id, so later verbs find the cluster without --nodes.
cluster_opts() {
  [[ -z $CPORT ]] || die "--controller-port does not go with a cluster (node I uses BASE+2(I-1)+1)"
  ((${#ARGS[@]} <= 1)) || die "unexpected argument: ${ARGS[1]} (see kafka.sh help)"
  CLUSTER=1
  BASE=$PORT
  CROOT=${STATE:-${KAFKA_STATE_ROOT:-$CACHE_DIR}/cluster-$BASE}
  mkdir -p "$CROOT"
  CROOT=$(cd "$CROOT" && pwd)
  CPROPS=$CROOT/cluster.properties
  CLUSTER_ID=
  if [[ -f $CPROPS ]]; then
    local n
    n=$(sed -n 's/^nodes=//p' "$CPROPS")
    [[ $n =~ ^[1-9]$ ]] || die "$CPROPS: bad nodes= line"
    [[ -z $NODES || $NODES == "$n" ]] || die "the cluster in $CROOT has $n nodes, not $NODES (wipe it first)"
    NODES=$n
    CLUSTER_ID=$(sed -n 's/^cluster.id=//p' "$CPROPS")
  fi
  NODES=${NODES:-3}
  ((BASE + 2 * NODES - 1 <= 65535)) || die "bad port: $BASE (a cluster of $NODES needs ports up to BASE+$((2 * NODES - 1)))"
  RF=$((NODES < 3 ? NODES : 3))
  MIN_ISR=$((RF < 3 ? 1 : 2))
  HEAP_OPTS=$CLUSTER_HEAP_OPTS
}

node_vars() { # I: the globals of one node, as parse_opts sets them for a single broker
  NODE_ID=$1
  PORT=$((BASE + 2 * (NODE_ID - 1)))
  CPORT=$((PORT + 1))
  STATE=$CROOT/node-$NODE_ID
  mkdir -p "$STATE"
  DATA=$STATE/data
  LOG=$STATE/kafka.log
  PIDFILE=$STATE/kafka.pid
  SERVER_PROPS=$STATE/server.properties
}

node_arg() { # the ID argument of kill-node / start-node
  ((CLUSTER)) || die "no cluster on port $PORT (start one with: kafka.sh start --nodes 3 --port $PORT)"
  local id=${ARGS[0]:-}
  [[ $id =~ ^[1-9]$ ]] && ((id <= NODES)) || die "bad node id: '$id' (1 to $NODES, the broker's node.id)"
  echo "$id"
}

bootstrap_list() {
  local i out=
  for ((i = 1; i <= NODES; i++)); do out+=${out:+,}127.0.0.1:$((BASE + 2 * (i - 1))); done
  echo "$out"
}

cluster_props() { # what a node of the cluster adds to the template (a later key wins)
  local i voters=
  for ((i = 1; i <= NODES; i++)); do voters+=${voters:+,}$i@127.0.0.1:$((BASE + 2 * (i - 1) + 1)); done
  cat <<EOF

# kafka.sh start --nodes $NODES: node $NODE_ID of $NODES, each broker and controller (combined roles),
# a static quorum of $NODES voters. Internal and new topics: replication $RF, min ISR $MIN_ISR.
node.id=$NODE_ID
controller.quorum.voters=$voters
default.replication.factor=$RF
min.insync.replicas=$MIN_ISR
offsets.topic.replication.factor=$RF
transaction.state.log.replication.factor=$RF
transaction.state.log.min.isr=$MIN_ISR
share.coordinator.state.topic.replication.factor=$RF
share.coordinator.state.topic.min.isr=$MIN_ISR
EOF
}

# ---------------------------------------------------------------- process helpers

# The broker of this state dir is recognised by its command line, so a stale or reused pid
# (or a zombie, whose cmdline is empty) never counts as running.
is_our_broker() {
  [[ -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null |
    grep -qF " kafka.Kafka $SERVER_PROPS"
}

# Alive and not a zombie (used right after the launch, before the exec to java).
proc_alive() {
  local st
  st=$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}

running_pid() {
  local pid f
  if [[ -f $PIDFILE ]]; then
    pid=$(<"$PIDFILE")
    if [[ $pid =~ ^[0-9]+$ ]] && is_our_broker "$pid"; then echo "$pid"; return 0; fi
  fi
  for f in /proc/[0-9]*/cmdline; do # pid file lost: look for it
    pid=${f#/proc/}; pid=${pid%/cmdline}
    if is_our_broker "$pid"; then echo "$pid" >"$PIDFILE"; echo "$pid"; return 0; fi
  done
  return 1
}

port_in_use() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

answers_metadata() {
  timeout 10 kcat -b "127.0.0.1:$PORT" -L -m "${1:-2}" 2>/dev/null | grep -q "broker $NODE_ID at 127.0.0.1:$PORT"
}

# Log lines of the latest start only (kafka.sh writes a marker line before each start).
this_run_log() { [[ -f $LOG ]] && awk '/^===== kafka.sh start /{n=NR} {l[NR]=$0} END{for(i=n;i<=NR;i++) print l[i]}' "$LOG"; }
first_error() { # first ERROR line, plus the exception line that usually follows it
  this_run_log | awk '
    found { if ($0 ~ /^[A-Za-z_$][A-Za-z0-9_.$]*(Exception|Error)/) line = line " -- " $0; exit }
    / (ERROR|FATAL) / { line = $0; found = 1 }
    END { if (line != "") print substr(line, 1, 400) }' || true
}
log_tail() { this_run_log | tail -n "${1:-30}" | sed 's/^/    /' >&2 || true; }

# One clear line (with the first error of this run, if any), then the log's tail.
fail_start() {
  local err
  err=$(first_error)
  info "$1; log: $LOG${err:+; first error: $err}"
  log_tail 30
}

# ---------------------------------------------------------------- start

# Class-data sharing (AppCDS, JDK 13+ dynamic archive): the first broker run dumps the classes it
# loaded when it exits (at `stop`), later starts map them; this roughly halves the start-up time.
# The archive is keyed on everything it depends on; a stale one is only ignored by the JVM.
cds_opts() {
  CDS_OPTS=()
  [[ ${KAFKA_CDS:-1} == 1 ]] || return 0
  local key
  key=$({ pom_hash; "$JAVA" -version 2>&1; echo "$HEAP_OPTS $JVM_OPTS"; } | sha256sum | cut -c1-16)
  CDS_ARCHIVE=$CACHE_DIR/cds/broker-$key.jsa
  if [[ -s $CDS_ARCHIVE ]]; then
    CDS_OPTS=(-XX:SharedArchiveFile="$CDS_ARCHIVE")
  else
    mkdir -p "$CACHE_DIR/cds"
    # Written by the JVM at exit; `stop` renames it into place once the broker is gone.
    CDS_OPTS=(-XX:ArchiveClassesAtExit="$STATE/broker.jsa.tmp")
    rm -f "$STATE/broker.jsa.tmp"
    echo "$CDS_ARCHIVE" >"$STATE/broker.jsa.target"
  fi
}

# After the broker exited: move a freshly dumped CDS archive into place.
cds_collect() {
  [[ -s $STATE/broker.jsa.tmp && -f $STATE/broker.jsa.target ]] || return 0
  local target
  target=$(<"$STATE/broker.jsa.target")
  mv -f "$STATE/broker.jsa.tmp" "$target.tmp.$$" && mv -f "$target.tmp.$$" "$target"
  rm -f "$STATE/broker.jsa.target"
}

new_cluster_id() { # 16 random bytes, base64url without padding: what Uuid.randomUuid().toString() gives
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [[ $id != -* ]] && { echo "$id"; return; }
  done
}

write_server_props() {
  local p
  sed -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CPORT|g" -e "s|@DATA_DIR@|$DATA|g" \
    "$CONF/server.properties.in" >"$SERVER_PROPS.tmp"
  ((CLUSTER == 0)) || cluster_props >>"$SERVER_PROPS.tmp"
  if ((${#PROPS[@]})); then
    printf '\n# from kafka.sh start --prop (later keys win)\n' >>"$SERVER_PROPS.tmp"
    for p in "${PROPS[@]}"; do
      [[ $p == *=* ]] || die "--prop wants KEY=VALUE, got: $p"
      printf '%s\n' "$p" >>"$SERVER_PROPS.tmp"
    done
  fi
  mv "$SERVER_PROPS.tmp" "$SERVER_PROPS"
}

format_storage() {
  [[ -f $DATA/meta.properties ]] && return 0
  local id out
  id=${CLUSTER_ID:-$(new_cluster_id)}
  if ! out=$("$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
      -Dlog4j2.configurationFile="$CONF/tools-log4j2.properties" -cp "$LIBS/*" \
      kafka.tools.StorageTool format --cluster-id "$id" --config "$SERVER_PROPS" --ignore-formatted 2>&1); then
    die "formatting $DATA failed: $out"
  fi
  echo "$out" >>"$LOG"
}

wait_ready() { # pid t0
  local pid=$1 t0=$2 deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    if ! proc_alive "$pid"; then
      fail_start "broker on 127.0.0.1:$PORT exited during start-up"
      rm -f "$PIDFILE"; exit 1
    fi
    if port_in_use "$PORT" && answers_metadata 2; then
      info "broker ready on 127.0.0.1:$PORT (pid $pid, controller port $CPORT, $(elapsed "$t0")s, state $STATE)"
      return 0
    fi
    if ((SECONDS >= deadline)); then
      fail_start "broker on 127.0.0.1:$PORT did not answer metadata requests within ${START_TIMEOUT}s, stopping it"
      stop_pid "$pid" >/dev/null 2>&1 || true
      exit 1
    fi
    sleep 0.2
  done
}

now_ms() { date +%s%3N; }
elapsed() { local d=$(($(now_ms) - $1)); printf '%d.%d' $((d / 1000)) $((d % 1000 / 100)); }

cmd_start() {
  parse_opts "$@"
  local t0 pid
  if ((CLUSTER)); then cmd_cluster_start; return; fi
  t0=$(now_ms)
  command -v kcat >/dev/null || die "kcat not found (apt-get install kafkacat)"
  cmd_fetch quiet
  exec 9>"$STATE/.lock"
  flock -w "$START_TIMEOUT" 9 || die "another kafka.sh holds $STATE/.lock"
  if pid=$(running_pid); then
    if answers_metadata 2; then
      info "already running on 127.0.0.1:$PORT (pid $pid, state $STATE)"
      return 0
    fi
    info "broker pid $pid on port $PORT is running but not ready yet; waiting"
    wait_ready "$pid" "$t0"
    return 0
  fi
  launch_broker
  wait_ready "$LAUNCHED_PID" "$t0"
}

# Launches the broker of the current globals (PORT, CPORT, STATE...) in the background; its pid
# in LAUNCHED_PID and the pid file. The caller holds the lock and has checked it is not running.
launch_broker() {
  local pid
  port_in_use "$PORT" && die "port $PORT is in use by another process (not a broker of $STATE)"
  port_in_use "$CPORT" && die "controller port $CPORT is in use by another process (use --controller-port)"
  mkdir -p "$DATA"
  write_server_props
  cds_opts
  printf '\n===== kafka.sh start %s: port %s, controller port %s =====\n' "$(date -Is)" "$PORT" "$CPORT" >>"$LOG"
  format_storage
  # setsid: own session, so the caller's Ctrl-C, SIGHUP or process-group kill does not reach it.
  # 8>&- 9>&-: the broker must not inherit (and so keep holding) the lock files.
  # shellcheck disable=SC2086
  (cd "$STATE" && exec setsid "$JAVA" $HEAP_OPTS $JVM_OPTS \
      "${CDS_OPTS[@]}" -Dlog4j2.configurationFile="$CONF/log4j2.properties" \
      -cp "$LIBS/*" kafka.Kafka "$SERVER_PROPS" </dev/null >>"$LOG" 2>&1 8>&- 9>&-) &
  pid=$!
  echo "$pid" >"$PIDFILE"
  LAUNCHED_PID=$pid
}

# ---------------------------------------------------------------- cluster start / restart

# Every node: running, and its metadata lists all N brokers (in KRaft a broker opens its client
# listener once the controller has unfenced it, and metadata lists only unfenced brokers).
cluster_ready() {
  local i j md
  for ((i = 1; i <= NODES; i++)); do
    md=$(timeout 10 kcat -b "127.0.0.1:$((BASE + 2 * (i - 1)))" -L -m 2 2>/dev/null) || return 1
    for ((j = 1; j <= NODES; j++)); do
      grep -q "broker $j at 127.0.0.1:$((BASE + 2 * (j - 1)))" <<<"$md" || return 1
    done
  done
}

cmd_cluster_start() {
  local t0 i pid deadline launched=()
  t0=$(now_ms)
  command -v kcat >/dev/null || die "kcat not found (apt-get install kafkacat)"
  cmd_fetch quiet
  exec 9>"$CROOT/.lock"
  flock -w "$START_TIMEOUT" 9 || die "another kafka.sh holds $CROOT/.lock"
  if [[ ! -f $CPROPS ]]; then
    printf 'nodes=%s
cluster.id=%s
' "$NODES" "$(new_cluster_id)" >"$CPROPS.tmp"
    mv "$CPROPS.tmp" "$CPROPS"
  fi
  CLUSTER_ID=$(sed -n 's/^cluster.id=//p' "$CPROPS")
  # Format the new nodes' storage side by side (one JVM each, seconds on a busy machine).
  local formats=()
  for ((i = 1; i <= NODES; i++)); do
    node_vars "$i"
    running_pid >/dev/null && continue
    [[ -f $DATA/meta.properties ]] && continue
    (mkdir -p "$DATA" && write_server_props && format_storage) &
    formats+=($!)
  done
  for pid in "${formats[@]}"; do wait "$pid" || die "formatting the cluster's storage failed (see above)"; done
  for ((i = 1; i <= NODES; i++)); do
    node_vars "$i"
    if pid=$(running_pid); then continue; fi
    launch_broker
    launched+=("$i:$LAUNCHED_PID")
  done
  deadline=$((SECONDS + START_TIMEOUT))
  while ! cluster_ready; do
    for pid in "${launched[@]}"; do
      node_vars "${pid%%:*}"
      if ! proc_alive "${pid#*:}"; then
        fail_start "node $NODE_ID (127.0.0.1:$PORT) exited during start-up"
        rm -f "$PIDFILE"; exit 1
      fi
    done
    if ((SECONDS >= deadline)); then
      for pid in "${launched[@]}"; do
        node_vars "${pid%%:*}"
        fail_start "node $NODE_ID (127.0.0.1:$PORT): the cluster was not whole within ${START_TIMEOUT}s, stopping the nodes started"
      done
      for pid in "${launched[@]}"; do node_vars "${pid%%:*}"; stop_pid "${pid#*:}" >/dev/null 2>&1 || true; done
      exit 1
    fi
    sleep 0.3
  done
  info "cluster of $NODES ready on $(bootstrap_list) (${#launched[@]} node(s) started, $(elapsed "$t0")s, state $CROOT)"
}

cmd_start_node() {
  parse_opts "$@"
  local id t0 pid
  id=$(node_arg)
  t0=$(now_ms)
  cmd_fetch quiet
  exec 9>"$CROOT/.lock"
  flock -w "$START_TIMEOUT" 9 || die "another kafka.sh holds $CROOT/.lock"
  [[ -f $CPROPS ]] || die "no cluster in $CROOT (kafka.sh start --nodes $NODES --port $BASE)"
  node_vars "$id"
  if pid=$(running_pid); then
    info "node $id already running (pid $pid)"
  else
    launch_broker
    pid=$LAUNCHED_PID
  fi
  # After a SIGKILL the controller refuses the new registration until the old session expires
  # (broker.session.timeout.ms, 9 s): the wait covers it.
  wait_ready "$pid" "$t0"
}

cmd_kill_node() {
  parse_opts "$@"
  local id pid deadline
  id=$(node_arg)
  node_vars "$id"
  pid=$(running_pid) || die "node $id is not running (state $STATE)"
  kill -KILL "$pid"
  deadline=$((SECONDS + 10))
  while is_our_broker "$pid" && ((SECONDS < deadline)); do sleep 0.05; done
  is_our_broker "$pid" && die "node $id (pid $pid) survived SIGKILL"
  rm -f "$PIDFILE" "$STATE/broker.jsa.tmp"
  info "killed node $id (pid $pid, 127.0.0.1:$PORT) with SIGKILL"
}

# ---------------------------------------------------------------- stop / status / wipe

stop_pid() {
  local pid=$1 deadline
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while is_our_broker "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  if is_our_broker "$pid"; then
    info "broker pid $pid did not stop within ${STOP_TIMEOUT}s of SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while is_our_broker "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    is_our_broker "$pid" && die "broker pid $pid survived SIGKILL"
    rm -f "$STATE/broker.jsa.tmp" # possibly cut short
  fi
  rm -f "$PIDFILE"
  cds_collect
}

cmd_stop() {
  parse_opts "$@"
  local pid t0
  if ((CLUSTER)); then cluster_stop; return; fi
  if ! pid=$(running_pid); then
    rm -f "$PIDFILE"
    info "not running on port $PORT (state $STATE)"
    return 0
  fi
  t0=$(now_ms)
  stop_pid "$pid"
  info "stopped broker pid $pid on port $PORT in $(elapsed "$t0")s"
}

# All nodes get SIGTERM at once, so each broker's controlled shutdown finds the controller quorum.
# A node left alone cannot finish its controlled shutdown (no quorum to commit it; Kafka would
# wait minutes): once the others are gone it gets LAST_NODE_GRACE seconds, then SIGKILL. Its
# records are on disk (page cache) and on the other replicas; the next start recovers its logs.
cluster_stop() {
  local i pid t0 pids=() alive lone_since=-1 deadline killed=" "
  t0=$(now_ms)
  for ((i = 1; i <= NODES; i++)); do
    node_vars "$i"
    [[ -d $DATA ]] || continue # never formatted, so never started (spares running_pid's /proc scan)
    if pid=$(running_pid); then kill -TERM "$pid" 2>/dev/null || true; pids+=("$i:$pid"); else rm -f "$PIDFILE"; fi
  done
  deadline=$((SECONDS + STOP_TIMEOUT))
  while :; do
    alive=()
    for pid in "${pids[@]}"; do node_vars "${pid%%:*}"; is_our_broker "${pid#*:}" && alive+=("$pid"); done
    ((${#alive[@]} == 0)) && break
    if ((${#alive[@]} == 1 && ${#pids[@]} > 1)); then
      ((lone_since >= 0)) || lone_since=$SECONDS
      if ((SECONDS - lone_since >= LAST_NODE_GRACE)); then
        info "node ${alive[0]%%:*} is the last one up, without a controller quorum for its controlled shutdown: SIGKILL"
        kill -KILL "${alive[0]#*:}" 2>/dev/null || true
        killed+="${alive[0]%%:*} "
      fi
    fi
    if ((SECONDS >= deadline)); then
      for pid in "${alive[@]}"; do
        info "node ${pid%%:*} (pid ${pid#*:}) did not stop within ${STOP_TIMEOUT}s of SIGTERM; sending SIGKILL"
        kill -KILL "${pid#*:}" 2>/dev/null || true
        killed+="${pid%%:*} "
      done
      deadline=$((SECONDS + 10))
    fi
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    node_vars "${pid%%:*}"
    rm -f "$PIDFILE"
    if [[ $killed == *" ${pid%%:*} "* ]]; then rm -f "$STATE/broker.jsa.tmp"; else cds_collect; fi # a dump cut short
  done
  info "stopped ${#pids[@]} of $NODES node(s) of the cluster on $(bootstrap_list) in $(elapsed "$t0")s"
}

cluster_status() {
  local i pid up=0 ready
  for ((i = 1; i <= NODES; i++)); do
    node_vars "$i"
    if pid=$(running_pid); then
      up=$((up + 1))
      ready="NOT answering metadata requests"
      answers_metadata 1 && ready="answering metadata requests"
      echo "node $i: running, pid $pid on 127.0.0.1:$PORT (controller $CPORT), $ready; log $LOG"
    else
      echo "node $i: not running (127.0.0.1:$PORT)"
    fi
  done
  echo "cluster of $NODES on $(bootstrap_list): $up running; state $CROOT"
  ((up == NODES)) && return 0
  ((up == 0)) && return 3
  return 4
}

cmd_status() {
  parse_opts "$@"
  local pid d p
  if ((CLUSTER)); then cluster_status; return; fi
  if pid=$(running_pid); then
    local ready="NOT answering metadata requests"
    answers_metadata 1 && ready="answering metadata requests"
    echo "running: pid $pid on 127.0.0.1:$PORT, $ready; state $STATE; log $LOG"
    return 0
  fi
  echo "not running on port $PORT (state $STATE)"
  for d in "${KAFKA_STATE_ROOT:-$CACHE_DIR}"/run-*/; do # mention other brokers of this checkout
    [[ -f $d/kafka.pid ]] || continue
    p=$(<"$d/kafka.pid")
    [[ $p =~ ^[0-9]+$ && -r /proc/$p/cmdline ]] && tr '\0' ' ' <"/proc/$p/cmdline" | grep -q ' kafka.Kafka ' &&
      echo "other broker running: pid $p, state ${d%/}"
  done
  return 3
}

cmd_wipe() {
  parse_opts "$@"
  cmd_stop "$@"
  if ((CLUSTER)); then STATE=$CROOT; fi
  rm -rf "$STATE"
  info "deleted $STATE"
}

cmd_bootstrap() {
  parse_opts "$@"
  if ((CLUSTER)); then bootstrap_list; else echo "127.0.0.1:$PORT"; fi
}

# ---------------------------------------------------------------- tools

cmd_tool() {
  (($#)) || die "usage: kafka.sh tool CLASS [ARGS...]"
  local cls=$1 opts
  shift
  case $cls in
    TopicCommand|ProducerPerformance|ConsumerPerformance|MetadataQuorumCommand|ConfigCommand|GetOffsetShell|DeleteRecordsCommand)
      cls=org.apache.kafka.tools.$cls ;;
    ConsumerGroupCommand) cls=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    StorageTool) cls=kafka.tools.StorageTool ;;
  esac
  cmd_fetch quiet
  case $cls in
    *Performance) opts=${KAFKA_TOOL_OPTS:--Xmx512m -XX:+UseG1GC} ;;          # needs the full JIT
    *) opts=${KAFKA_TOOL_OPTS:--Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1} ;; # start fast
  esac
  unset COLUMNS # KAFKA-15413
  # shellcheck disable=SC2086
  exec "$JAVA" $opts -Dlog4j2.configurationFile="$CONF/tools-log4j2.properties" -cp "$LIBS/*" "$cls" "$@"
}

# ---------------------------------------------------------------- main

verb=${1:-help}
(($#)) && shift
case $verb in
  fetch) cmd_fetch "$@" ;;
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  status) cmd_status "$@" ;;
  wipe) cmd_wipe "$@" ;;
  kill-node) cmd_kill_node "$@" ;;
  start-node) cmd_start_node "$@" ;;
  bootstrap) cmd_bootstrap "$@" ;;
  tool) cmd_tool "$@" ;;
  classpath) cmd_classpath ;;
  help|-h|--help) usage ;;
  *) usage >&2; exit 2 ;;
esac
