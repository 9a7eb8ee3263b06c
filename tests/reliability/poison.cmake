# Scenario 4: poison records on the articles topic go to the dead-letter topic; consumption goes on.
add_test(NAME reliability.poison
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/poison.sh $<TARGET_FILE:syndicate> $<TARGET_FILE:syndicate-wechat-testserver>)
set_tests_properties(reliability.poison PROPERTIES LABELS reliability TIMEOUT 300)
