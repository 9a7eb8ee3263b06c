# The trigger hardened (issue 16), on the real broker: a second instance on a taken port, kill -9
# after N accepted issues (held back by a broker quota, so the kill finds them unpublished), a
# stalled hot-folder writer, a symlink, a too-large record, unauthenticated 4 MiB bodies against
# the RSS, two publish runs at once, a fenced trigger (503, exit non-zero). About 32 s.
add_test(NAME e2e.trigger_hardening
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/trigger_hardening.sh $<TARGET_FILE:syndicate>)
set_tests_properties(e2e.trigger_hardening PROPERTIES LABELS integration TIMEOUT 300)
