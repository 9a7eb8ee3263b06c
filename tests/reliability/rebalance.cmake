# Issue 9 scenario 5: a second instance of each consumer (archive on PostgreSQL, feed, translation
# jobs, translator) joins and leaves during a 200-issue load run on the test broker; every article
# in every sink exactly once. Needs SYN_TEST_BOOTSTRAP and SYN_TEST_PG_CONNINFO (scripts/test.sh).
add_test(NAME reliability.rebalance
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/rebalance.sh $<TARGET_FILE:syndicate>)
set_tests_properties(reliability.rebalance PROPERTIES LABELS reliability TIMEOUT 300)
