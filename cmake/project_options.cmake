# Settings for canaryd's own targets: warnings are errors. Third-party code is built without them.
add_library(canaryd_options INTERFACE)
# -Wno-restrict: GCC 12 reports false positives inside std::string concatenation (GCC bug 105329).
target_compile_options(canaryd_options INTERFACE -Wall -Wextra -Werror -Wno-missing-field-initializers
                                                 $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
target_include_directories(canaryd_options INTERFACE ${PROJECT_SOURCE_DIR}/src)

# canaryd_test(NAME SOURCES... LIBS ... [LABELS ...]): one GoogleTest binary, registered with
# ctest. Label `single-thread`: the binary and the code it tests start no thread (parsers,
# compilers, printers). ThreadSanitizer reports races between threads, so the TSan build
# (CANARYD_TSAN) neither builds nor runs those; the release and ASan+UBSan builds do.
function(canaryd_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  if(CANARYD_TSAN AND "single-thread" IN_LIST T_LABELS)
    return()
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} canaryd_options GTest::gtest GTest::gtest_main
                                        GTest::gmock)
  # A release build compiles the tests' own sources at -O1 (the code under test keeps -O3): the
  # GoogleTest-heavy test files cost about twice as much to compile at -O3, for nothing a test
  # needs. The flag comes after CMAKE_CXX_FLAGS_RELEASE's -O3, so it wins.
  target_compile_options(${name} PRIVATE $<$<CONFIG:Release>:-O1>)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES
    ENVIRONMENT "CANARYD_SOURCE_DIR=${PROJECT_SOURCE_DIR};CANARYD_BINARY_DIR=${CMAKE_BINARY_DIR}")
  if(T_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()
