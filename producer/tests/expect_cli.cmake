# Runs COMMAND with ARGS (a ;-list) and checks its exit status, that stdout is empty and that
# stderr matches EXPECT_STDERR (a regex). Used by the CLI error tests.
execute_process(COMMAND ${COMMAND} ${ARGS}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL EXPECT_STATUS)
  message(FATAL_ERROR "exit status ${status}, expected ${EXPECT_STATUS}; stderr: ${err}")
endif()
if(NOT out STREQUAL "")
  message(FATAL_ERROR "stdout not empty: ${out}")
endif()
if(NOT err MATCHES "${EXPECT_STDERR}")
  message(FATAL_ERROR "stderr '${err}' does not match '${EXPECT_STDERR}'")
endif()
