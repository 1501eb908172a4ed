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
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES
    ENVIRONMENT "CANARYD_SOURCE_DIR=${PROJECT_SOURCE_DIR};CANARYD_BINARY_DIR=${CMAKE_BINARY_DIR}")
  if(T_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()

# Precompiled headers (GCC, -DCANARYD_PCH=ON; scripts/test.sh turns them on for its two sanitizer
# builds). The standard library, nlohmann/json and GoogleTest/GoogleMock headers are parsed in
# nearly every translation unit and cost seconds each; with this they are compiled once per build
# tree: one header for canaryd's libraries and programs (canaryd_pch), one for the test binaries
# (canaryd_pch_test, which adds GoogleTest). Every C++ target gets one of them with REUSE_FROM
# (canaryd_apply_pch, called at the end of the top-level CMakeLists.txt), so new targets need
# nothing. Only system headers are in them: the code means the same with or without, and each file
# still includes what it uses (a build without PCH, such as test.sh's release build, checks that).
# GCC refuses a precompiled header built with other flags, and CMake adds -Winvalid-pch, so with
# -Werror a mismatch fails the build instead of silently costing time.
#
# Off by default, for two reasons. GCC 12 at -O2/-O3 reports false -Wstringop-overflow errors
# inside std::string (char_traits.h, from "literal" + std::string) in some files when the
# standard headers come from a precompiled header, and not when they are parsed (at -O1, the
# sanitizer builds' level, it does not). And ccache cannot cache compilations that use a
# precompiled header unless configured for it (sloppiness pch_defines,time_macros).
option(CANARYD_PCH "Precompile the common system headers (GCC; for -O1 builds, see above)" OFF)
if(CANARYD_PCH AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  message(STATUS "CANARYD_PCH: only set up for GCC, ignored")
  set(CANARYD_PCH OFF)
endif()

# -pthread defines _REENTRANT, which glibc's <features.h> tests, so a precompiled header is only
# valid for targets compiled with the same -pthread. Some targets got it from their dependencies
# (GoogleTest, re2, spdlog) and some did not; now all of canaryd's do. With glibc 2.34+ and
# g++ (which defines _GNU_SOURCE) it changes nothing else.
target_compile_options(canaryd_options INTERFACE -pthread)

set(CANARYD_PCH_HEADERS
    <algorithm> <atomic> <chrono> <cstdint> <cstring> <filesystem> <functional> <map> <memory>
    <mutex> <optional> <set> <sstream> <string> <string_view> <thread> <unordered_map> <utility>
    <variant> <vector> <nlohmann/json.hpp>)
set(CANARYD_PCH_TEST_HEADERS <gtest/gtest.h> <gmock/gmock.h>)

if(CANARYD_PCH)
  file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/canaryd_pch.cc
       CONTENT "// Compiled only to build the precompiled headers (cmake/project_options.cmake).\n")
  add_library(canaryd_pch OBJECT ${CMAKE_BINARY_DIR}/canaryd_pch.cc)
  target_link_libraries(canaryd_pch PRIVATE canaryd_options nlohmann_json::nlohmann_json)
  target_precompile_headers(canaryd_pch PRIVATE ${CANARYD_PCH_HEADERS})
  if(CANARYD_TESTS)
    add_library(canaryd_pch_test OBJECT ${CMAKE_BINARY_DIR}/canaryd_pch.cc)
    # The same usage requirements as canaryd_test() gives a test binary (GTEST_HAS_PTHREAD=1).
    target_link_libraries(canaryd_pch_test PRIVATE canaryd_options nlohmann_json::nlohmann_json
                                                   GTest::gtest GTest::gmock)
    target_precompile_headers(canaryd_pch_test PRIVATE ${CANARYD_PCH_HEADERS}
                                                       ${CANARYD_PCH_TEST_HEADERS})
  endif()
endif()

# canaryd_apply_pch(DIR): gives every C++ target defined in DIR and below the precompiled header
# that matches its flags: canaryd_pch_test for targets linking GoogleTest, canaryd_pch otherwise.
# Skipped: C-only targets (llhttp), position-independent targets (-fPIE/-fPIC must match too),
# and targets that set precompiled headers of their own.
function(canaryd_apply_pch dir)
  if(NOT CANARYD_PCH)
    return()
  endif()
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t IN LISTS targets)
    get_target_property(type ${t} TYPE)
    if(NOT type MATCHES "^(STATIC_LIBRARY|OBJECT_LIBRARY|EXECUTABLE)$" OR t MATCHES "^canaryd_pch")
      continue()
    endif()
    get_target_property(sources ${t} SOURCES)
    get_target_property(pic ${t} POSITION_INDEPENDENT_CODE)
    get_target_property(own ${t} PRECOMPILE_HEADERS)
    get_target_property(reuse ${t} PRECOMPILE_HEADERS_REUSE_FROM)
    if(NOT sources MATCHES "\\.(cc|cpp|cxx)(;|$)" OR pic OR own OR reuse)
      continue()
    endif()
    get_target_property(libs ${t} LINK_LIBRARIES)
    if(TARGET canaryd_pch_test AND "GTest::gtest" IN_LIST libs)
      target_precompile_headers(${t} REUSE_FROM canaryd_pch_test)
    else()
      target_precompile_headers(${t} REUSE_FROM canaryd_pch)
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(d IN LISTS subdirs)
    canaryd_apply_pch(${d})
  endforeach()
endfunction()
