#!/usr/bin/env bash
# deploy/kafka/kafka.sh -- a real single-node Apache Kafka 4.x broker (KRaft, combined
# broker+controller) for syndicate's tests, run from Maven Central jars with the JDK.
# See deploy/kafka/README.md. Usage: kafka.sh help
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
POM=$HERE/pom.xml
CONF=$HERE/conf
CACHE_DIR=${KAFKA_CACHE_DIR:-$HERE/.cache}
LIBS=$CACHE_DIR/libs
START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}
HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
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
env: KAFKA_PORT (9092) KAFKA_CONTROLLER_PORT (port+1) KAFKA_STATE_DIR KAFKA_STATE_ROOT
     KAFKA_CACHE_DIR KAFKA_START_TIMEOUT (90) KAFKA_STOP_TIMEOUT (30) KAFKA_HEAP_OPTS
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
  PROPS=()
  while (($#)); do
    case $1 in
      --port) PORT=${2:?--port needs a value}; shift 2 ;;
      --port=*) PORT=${1#*=}; shift ;;
      --controller-port) CPORT=${2:?--controller-port needs a value}; shift 2 ;;
      --controller-port=*) CPORT=${1#*=}; shift ;;
      --state-dir) STATE=${2:?--state-dir needs a value}; shift 2 ;;
      --state-dir=*) STATE=${1#*=}; shift ;;
      --prop) PROPS+=("${2:?--prop needs KEY=VALUE}"); shift 2 ;;
      --prop=*) PROPS+=("${1#*=}"); shift ;;
      -h|--help) usage; exit 0 ;;
      *) die "unknown option: $1 (see kafka.sh help)" ;;
    esac
  done
  [[ $PORT =~ ^[0-9]{1,5}$ ]] || die "bad port: $PORT"
  PORT=$((10#$PORT))
  ((PORT >= 1 && PORT <= 65534)) || die "bad port: $PORT"
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
  timeout 10 kcat -b "127.0.0.1:$PORT" -L -m "${1:-2}" 2>/dev/null | grep -q "broker 1 at 127.0.0.1:$PORT"
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
  id=$(new_cluster_id)
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
  wait_ready "$pid" "$t0"
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
  if ! pid=$(running_pid); then
    rm -f "$PIDFILE"
    info "not running on port $PORT (state $STATE)"
    return 0
  fi
  t0=$(now_ms)
  stop_pid "$pid"
  info "stopped broker pid $pid on port $PORT in $(elapsed "$t0")s"
}

cmd_status() {
  parse_opts "$@"
  local pid d p
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
  rm -rf "$STATE"
  info "deleted $STATE"
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
  tool) cmd_tool "$@" ;;
  classpath) cmd_classpath ;;
  help|-h|--help) usage ;;
  *) usage >&2; exit 2 ;;
esac
