#!/bin/bash
# Broker entry point (see the Dockerfile): server.properties from the KAFKA_* variables, storage
# formatted with CLUSTER_ID when empty, then the broker in the foreground (PID 1, gets SIGTERM).
set -euo pipefail
conf=/opt/kafka/config/server.properties
: >"$conf"
while IFS='=' read -r name value; do
  case $name in
    KAFKA_HEAP_OPTS|KAFKA_JVM_PERFORMANCE_OPTS|KAFKA_OPTS|KAFKA_LOG4J_OPTS|KAFKA_GC_LOG_OPTS|KAFKA_JMX_OPTS|KAFKA_DEBUG) continue ;;
    KAFKA_*) ;;
    *) continue ;;
  esac
  key=${name#KAFKA_}
  key=${key,,}
  key=${key//___/$'\x01'}
  key=${key//__/-}
  key=${key//_/.}
  key=${key//$'\x01'/_}
  printf '%s=%s\n' "$key" "$value" >>"$conf"
done < <(env)
grep -q '^log.dirs=' "$conf" || echo "log.dirs=/var/lib/kafka/data" >>"$conf"
data=$(sed -n 's/^log.dirs=//p' "$conf" | cut -d, -f1)
if [ ! -f "$data/meta.properties" ]; then
  : "${CLUSTER_ID:?CLUSTER_ID must be set to format the storage of a new broker}"
  /opt/kafka/bin/kafka-run-class.sh kafka.tools.StorageTool format --cluster-id "$CLUSTER_ID" \
    --config "$conf" --ignore-formatted
fi
exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g} \
  ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true} \
  ${KAFKA_OPTS:-} -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties \
  -cp '/opt/kafka/libs/*' kafka.Kafka "$conf"
