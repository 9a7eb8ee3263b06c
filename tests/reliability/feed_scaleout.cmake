# Issue 20 item 3: three `consume feed` instances on one PostgreSQL feed state, under a SIGKILL
# and a SIGTERM mid-load, draft every article exactly once; two `serve feeds` instances serve the
# same pages. Needs SYN_TEST_BOOTSTRAP and SYN_TEST_PG_CONNINFO (scripts/test.sh).
add_test(NAME reliability.feed_scaleout
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/feed_scaleout.sh $<TARGET_FILE:syndicate>)
set_tests_properties(reliability.feed_scaleout PROPERTIES LABELS reliability TIMEOUT 240)
