# Operations on the real broker (issue 8): replay --issue and the refusal on an active group
# (archive), a WeChat outage then replay --to-datetime exactly once and a DLQ redrive (feed and the
# local WeChat API), /metrics of the consumers and the trigger parsed strictly as Prometheus text.
add_test(NAME e2e.ops_flow
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ops_flow.sh $<TARGET_FILE:syndicate>
          $<TARGET_FILE:syndicate-wechat-testserver>)
set_tests_properties(e2e.ops_flow PROPERTIES LABELS integration TIMEOUT 600)
