# Scenario 8: tokens, request bounds, HTML escaping in Chromium, bound SQL parameters, secrets.
add_test(NAME reliability.security
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/security.sh $<TARGET_FILE:syndicate> $<TARGET_FILE:syndicate-wechat-testserver>)
set_tests_properties(reliability.security PROPERTIES LABELS reliability TIMEOUT 300)
