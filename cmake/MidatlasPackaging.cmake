# SPDX-License-Identifier: MIT
# `cpack -G DEB` in a build tree: three Debian packages from the install
# components (cmake/MidatlasInstall.cmake, bench/, stress/).
#   libmidatlas0     the shared library (named after its SONAME number), with
#                    a shlibs file for its users' dpkg-shlibdeps
#   libmidatlas-dev  headers (harness.h, the plugin ABI, among them), static
#                    library, libmidatlas.so link, CMake and pkg-config files,
#                    man pages; depends on the exact libmidatlas0 it was built
#                    with
#   midatlas-tools   midatlas-conform, -stress, -cycle (and -bench with Google
#                    Benchmark), the peers as plugins, the report script: the
#                    harness for anyone's allocator; only when bench/ built
# Each has its /usr/share/doc/PACKAGE/copyright; binaries are stripped.
# Configure with -DCMAKE_INSTALL_PREFIX=/usr for Debian's multiarch libdir;
# packages install under /usr whatever the prefix (CPACK_PACKAGING_INSTALL_PREFIX).
set(CPACK_PACKAGE_NAME midatlas)
set(CPACK_PACKAGE_VENDOR "midatlas developers")
set(CPACK_PACKAGE_CONTACT "midatlas developers <midatlas@example.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Each package's description starts with its own synopsis line.  CPack puts
# CPACK_PACKAGE_DESCRIPTION_SUMMARY above every description unless that is
# CPack's default summary (CPackDeb.cmake), and it defaults to the project's
# DESCRIPTION: all three packages then had one synopsis, repeated below it.
# So the summary is set to CPack's default, which CPack leaves out.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CMAKE_PROJECT_NAME} built using CMake")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL runtime development)
if(TARGET midatlas-conform)
  list(APPEND CPACK_COMPONENTS_ALL tools)
endif()
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_STRIP_FILES ON)
set(_what "lock-free 16-bit request ids (MIDs) mapped to request contexts")
set(_long "midatlas hands out 16-bit request ids lock-free and maps them back to
request contexts, for transports that keep many requests in flight on one
connection (SMB, 9P, NVMe-style command ids), with an RDBSS-compatible layer.")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libmidatlas${MIDATLAS_SOVERSION})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "${_what} (shared library)\n${_long}")
# The shlibs file: every package with a library that has a SONAME, which is
# libmidatlas0 alone (the plugins of midatlas-tools have none: CPack notes
# that and skips them).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
# libc's version from dpkg-shlibdeps when it is there (Debian: dpkg-dev).
find_program(MIDATLAS_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(MIDATLAS_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_TOOLS_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "libc6 (>= 2.34)")
  set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "libc6 (>= 2.34)")
endif()

set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME libmidatlas-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEVELOPMENT_DESCRIPTION "${_what} (development files)\n${_long}
This package holds the headers, among them the plugin ABI for the harness
programs of midatlas-tools, the static library, the pkg-config and CMake
package files and the man3 pages.")
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS
    "libmidatlas${MIDATLAS_SOVERSION} (= ${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE})")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME midatlas-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_TOOLS_DESCRIPTION "${_what} (test and benchmark harness)\n${_long}
This package holds midatlas-conform, midatlas-stress and midatlas-cycle (and
midatlas-bench where Google Benchmark was found), which load any MID
allocator as a plugin, with midatlas and its peers as plugins: measure and
torture your own tag allocator against them.")
if(TARGET midatlas-bench)
  # bench-report.py renders midatlas-bench --report.
  set(CPACK_DEBIAN_TOOLS_PACKAGE_RECOMMENDS python3)
endif()

include(CPack)
