# Translation through an engine outage (issue 19): the LibreTranslate-compatible test server as
# its own process, failing on demand (500 nonstop, 403, 429 with Retry-After, a zh-only list).
add_test(NAME e2e.translation_outage
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/translation_outage.sh $<TARGET_FILE:syndicate>
          $<TARGET_FILE:syndicate-mt-testserver>)
set_tests_properties(e2e.translation_outage PROPERTIES LABELS integration TIMEOUT 300)

# Priorities: a backlog of page-2 jobs ahead of a front-page issue does not hold it back.
add_test(NAME e2e.translation_priority
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/translation_priority.sh $<TARGET_FILE:syndicate>
          $<TARGET_FILE:syndicate-mt-testserver>)
set_tests_properties(e2e.translation_priority PROPERTIES LABELS integration TIMEOUT 300)

# Three `translate` on one host, started with the RUNBOOK's command: every job exactly once.
add_test(NAME e2e.translation_instances
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/translation_instances.sh $<TARGET_FILE:syndicate>
          $<TARGET_FILE:syndicate-mt-testserver>)
set_tests_properties(e2e.translation_instances PROPERTIES LABELS integration TIMEOUT 300)
