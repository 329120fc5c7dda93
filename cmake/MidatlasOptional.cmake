# SPDX-License-Identifier: MIT
# The optional folders of a top-level build, each under MIDATLAS_BUILD_<X>
# (AUTO, ON or OFF; see the top of CMakeLists.txt for the folder contract).
# Dependencies found here are the ones more than one folder needs.

# midatlas_missing(X "what is missing" "Debian packages"): the one line a
# skipped part prints, or the configure error when it was asked for.
function(midatlas_missing x what packages)
  if(MIDATLAS_BUILD_${x} STREQUAL "ON")
    message(FATAL_ERROR "MIDATLAS_BUILD_${x}=ON but ${what} was not found "
                        "(Debian: apt-get install ${packages})")
  endif()
  message(STATUS "${what} not found: ${x} skipped (Debian: apt-get install ${packages})")
endfunction()

# Google Benchmark (C++) decides whether bench/ builds midatlas-bench; the
# rest of bench/ (the implementation table stress/ and tools/ use, and the
# conformance program) is plain C and is included whenever one of them is.
if(NOT MIDATLAS_BUILD_BENCH STREQUAL "OFF")
  if(CMAKE_CXX_COMPILER)
    find_package(benchmark QUIET)
  endif()
  if(NOT benchmark_FOUND)
    if(MIDATLAS_BUILD_BENCH STREQUAL "ON")
      midatlas_missing(BENCH "Google Benchmark (C++)" "libbenchmark-dev g++")
    endif()
    # bench/ prints the one line that says midatlas-bench is skipped.
    set(MIDATLAS_BUILD_BENCH OFF)
  endif()
endif()

# Doxygen: the `docs` target (HTML and man3), installed man pages, and the
# test that fails on any documentation warning.
if(NOT MIDATLAS_BUILD_DOCS STREQUAL "OFF")
  find_package(Doxygen QUIET)
  if(DOXYGEN_FOUND)
    add_subdirectory(docs)
  else()
    midatlas_missing(DOCS "Doxygen" "doxygen")
    set(MIDATLAS_BUILD_DOCS OFF)
  endif()
endif()

# midatlas_label_cross(TEST...): label `cross` on tests of the calling folder:
# the single-threaded contract tests that tools/test.sh's aarch64 tree runs
# under qemu-user (the threaded ones spin for minutes there).
function(midatlas_label_cross)
  foreach(_t ${ARGN})
    set_property(TEST ${_t} APPEND PROPERTY LABELS cross)
  endforeach()
endfunction()

if(NOT MIDATLAS_BUILD_TESTS STREQUAL "OFF")
  add_subdirectory(tests)
endif()
if(NOT MIDATLAS_BUILD_EXAMPLES STREQUAL "OFF")
  add_subdirectory(examples)
endif()
if(NOT (MIDATLAS_BUILD_TESTS STREQUAL "OFF" AND MIDATLAS_BUILD_BENCH STREQUAL "OFF"
        AND MIDATLAS_BUILD_STRESS STREQUAL "OFF" AND MIDATLAS_BUILD_TOOLS STREQUAL "OFF"))
  add_subdirectory(bench)
endif()
foreach(_dir STRESS TOOLS)
  string(TOLOWER ${_dir} _sub)
  if(NOT MIDATLAS_BUILD_${_dir} STREQUAL "OFF")
    add_subdirectory(${_sub})
  endif()
endforeach()

if(MIDATLAS_INSTALL)
  include(${PROJECT_SOURCE_DIR}/cmake/MidatlasPackaging.cmake)
endif()

# ------------------------------------------------------------------ summary
message(STATUS "midatlas ${PROJECT_VERSION}: ${CMAKE_C_COMPILER_ID} ${CMAKE_C_COMPILER_VERSION}, "
               "${CMAKE_BUILD_TYPE}, sanitizer '${MIDATLAS_SANITIZE}', -Werror ${MIDATLAS_WERROR}")
message(STATUS "  tests ${MIDATLAS_BUILD_TESTS}, bench ${MIDATLAS_BUILD_BENCH}, "
               "stress ${MIDATLAS_BUILD_STRESS}, tools ${MIDATLAS_BUILD_TOOLS}, "
               "examples ${MIDATLAS_BUILD_EXAMPLES}, docs ${MIDATLAS_BUILD_DOCS}")
