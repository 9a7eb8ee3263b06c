# Photos in (issue 18) on the real broker: bundle folder and --photos, the blob store filled and
# referenced, the same bundle again a no-op, a bad image publishing nothing. About 10 s.
add_test(NAME e2e.photos_flow
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/photos_flow.sh $<TARGET_FILE:syndicate>)
set_tests_properties(e2e.photos_flow PROPERTIES LABELS integration TIMEOUT 300)

# Photo bundles through the trigger's hot folder: a kill in the bundle's transaction after its
# blob is stored (crash point asserted hit), the restart publishing it once, bad bundles to
# failed/ whole. About 20 s.
add_test(NAME e2e.photos_hotfolder
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/photos_hotfolder.sh $<TARGET_FILE:syndicate>)
set_tests_properties(e2e.photos_hotfolder PROPERTIES LABELS integration TIMEOUT 300)
