# Issue 20: failover on a three-broker cluster (replication 3, min.insync.replicas 2), the one
# scripts/test.sh starts with `deploy/kafka/kafka.sh start --nodes 3` and names in
# SYN_TEST_CLUSTER_PORT; without it they are skipped (exit 77). They kill brokers of that one
# cluster, so they never run side by side (RESOURCE_LOCK). Label `cluster` as well, so the
# single-broker stage can leave them out (-LE cluster) and the cluster stage pick them (-L cluster).
foreach(scenario cluster_topics cluster_publish_failover cluster_consumers_failover cluster_quorum_loss)
  add_test(NAME reliability.${scenario}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/${scenario}.sh $<TARGET_FILE:syndicate>)
  set_tests_properties(reliability.${scenario} PROPERTIES LABELS "reliability;cluster" TIMEOUT 400
    SKIP_RETURN_CODE 77 RESOURCE_LOCK syn_kafka_cluster)
endforeach()
