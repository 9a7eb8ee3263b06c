# The feed (issue 5): end to end on the real broker with the local WeChat API as its own process.
add_test(NAME e2e.feed_flow
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/feed_flow.sh $<TARGET_FILE:syndicate>
          $<TARGET_FILE:syndicate-wechat-testserver>)
set_tests_properties(e2e.feed_flow PROPERTIES LABELS integration TIMEOUT 600)

# The feed pages in headless Chromium (Debian `chromium`): text, layout (screenshot), inert
# markup, well-formed RSS.
add_test(NAME e2e.feed_pages
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/feed_pages.sh $<TARGET_FILE:syndicate>)
set_tests_properties(e2e.feed_pages PROPERTIES LABELS integration TIMEOUT 300)

# The publish result: the local WeChat API pushes PUBLISHJOBFINISH to a running `serve feeds`,
# which records it in the ledger (published / rejected).
add_test(NAME e2e.feed_callback
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/feed_callback.sh $<TARGET_FILE:syndicate>
          $<TARGET_FILE:syndicate-wechat-testserver>)
set_tests_properties(e2e.feed_callback PROPERTIES LABELS integration TIMEOUT 300)

# WeChat accounts through a real day (issue 17): a daily quota of 1 submit pauses one account
# (nothing dead-lettered, the other flows) until `feed quota reset`; a deleted cover re-uploaded
# once; drafts without multi-article digests or non-WeChat links; a real JPEG cover.
add_test(NAME e2e.feed_quota
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/feed_quota.sh $<TARGET_FILE:syndicate>
          $<TARGET_FILE:syndicate-wechat-testserver>)
set_tests_properties(e2e.feed_quota PROPERTIES LABELS integration TIMEOUT 300)

# Photos (issue 18): body images and per-article covers on the local WeChat API, uploaded once
# across a restart and a replay; the photos served by `serve feeds`. Records with photo
# references come from tests/node/produce_articles.mjs.
add_test(NAME e2e.feed_photos
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/feed_photos.sh $<TARGET_FILE:syndicate>
          $<TARGET_FILE:syndicate-wechat-testserver>)
set_tests_properties(e2e.feed_photos PROPERTIES LABELS integration TIMEOUT 300)

# Delivery receipts from every sink, read by a kafkajs subscriber, and the console showing them in
# headless Chromium (issue 23); screenshots of each page in the build dir's console-screenshots/.
add_test(NAME e2e.receipts_flow
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/receipts_flow.sh $<TARGET_FILE:syndicate>
          $<TARGET_FILE:syndicate-wechat-testserver> ${CMAKE_BINARY_DIR}/console-screenshots)
set_tests_properties(e2e.receipts_flow PROPERTIES LABELS integration TIMEOUT 600)
