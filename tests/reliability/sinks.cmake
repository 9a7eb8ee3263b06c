# Scenarios 1, 2, 3 and 6 (docs/RELIABILITY.md): broker restart while publishing, consumers
# killed with SIGKILL, sinks failing for a while, and the 1,000-issue load run.
foreach(scenario broker_restart kill_consumers sink_outage load)
  add_test(NAME reliability.${scenario}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/${scenario}.sh $<TARGET_FILE:syndicate>)
  set_tests_properties(reliability.${scenario} PROPERTIES LABELS reliability TIMEOUT 600)
endforeach()

# The helpers above fail when their tools fail (a dead broker, a broken archive db): no broker needed.
add_test(NAME reliability.helpers_fail COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/helpers_fail.sh)
set_tests_properties(reliability.helpers_fail PROPERTIES LABELS reliability TIMEOUT 300)
