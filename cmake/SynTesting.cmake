include(GoogleTest)

# syn_add_test(NAME n SOURCES s... LIBS l... LABELS unit|integration|reliability)
# One GoogleTest binary; each TEST becomes a CTest test carrying the labels.
function(syn_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  # The sanitizer build runs the unit tests only (CMakePresets.json: asan-unit); building the
  # broker-backed test binaries there too cost the CI run minutes for nothing.
  if(SYN_SANITIZE AND NOT "unit" IN_LIST T_LABELS)
    return()
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest_main GTest::gmock syn_defaults)
  target_compile_definitions(${T_NAME} PRIVATE
    SYN_SOURCE_DIR="${PROJECT_SOURCE_DIR}" SYN_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${T_NAME}
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
endfunction()
