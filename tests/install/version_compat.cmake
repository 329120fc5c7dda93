# SPDX-License-Identifier: MIT
# cmake -DVERSION_FILE=.../midatlas-config-version.cmake -DVERSION=X.Y.Z -P version_compat.cmake
# What find_package(midatlas <request>) would accept: the exact minor while
# the major version is 0 (0.1 must not satisfy a request for 0.0 or 0.2),
# the same major from 1.0 on.
string(REPLACE "." ";" _v "${VERSION}")
list(GET _v 0 _major)
list(GET _v 1 _minor)
math(EXPR _next_minor "${_minor} + 1")
math(EXPR _next_major "${_major} + 1")
set(CMAKE_SIZEOF_VOID_P 8)

function(check request want)
  string(REPLACE "." ";" _r "${request}")
  list(LENGTH _r PACKAGE_FIND_VERSION_COUNT)
  list(APPEND _r 0 0)
  list(GET _r 0 PACKAGE_FIND_VERSION_MAJOR)
  list(GET _r 1 PACKAGE_FIND_VERSION_MINOR)
  list(GET _r 2 PACKAGE_FIND_VERSION_PATCH)
  set(PACKAGE_FIND_VERSION ${request})
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
  include(${VERSION_FILE})
  if(NOT PACKAGE_VERSION_COMPATIBLE STREQUAL want)
    message(FATAL_ERROR "midatlas ${VERSION}: a request for ${request} gives "
                        "compatible=${PACKAGE_VERSION_COMPATIBLE}, expected ${want}")
  endif()
endfunction()

check(${_major}.${_minor} TRUE)
check(${VERSION} TRUE)
check(${_major}.${_next_minor} FALSE)
check(${_next_major}.0 FALSE)
if(_major EQUAL 0)
  if(_minor GREATER 0)
    math(EXPR _prev "${_minor} - 1")
    check(0.${_prev} FALSE)
  endif()
else()
  check(${_major}.0 TRUE)
endif()
message(STATUS "version_compat: ${VERSION} ok")
