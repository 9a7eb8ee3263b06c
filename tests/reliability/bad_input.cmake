# Scenario 7: fuzzed issues, malformed HTTP and broken configs; the trigger stays up.
add_test(NAME reliability.bad_input
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bad_input.sh $<TARGET_FILE:syndicate>)
set_tests_properties(reliability.bad_input PROPERTIES LABELS reliability TIMEOUT 300)
