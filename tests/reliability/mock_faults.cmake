# Issue 9 scenario 9: protocol faults injected with librdkafka's in-process mock cluster
# (request errors on Produce, EndTxn, OffsetCommit, JoinGroup/SyncGroup/Heartbeat; delayed
# responses; the broker down and up). No external broker needed.
syn_add_test(NAME reliability_mock_faults
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/mock_faults_test.cpp
  LIBS syn::core syn::proto
  LABELS reliability
  TIMEOUT 120)
