#!/bin/bash
# kafka-run-class.sh CLASS [ARGS...]: a Kafka tool on the broker's classpath, started for speed
# (serial GC, C1 only), logging warnings to stderr.
unset COLUMNS # KAFKA-15413
exec java ${KAFKA_TOOL_OPTS:--Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1} \
  -Dlog4j2.configurationFile=/opt/kafka/config/tools-log4j2.properties -cp '/opt/kafka/libs/*' "$@"
