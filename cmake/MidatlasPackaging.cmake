# SPDX-License-Identifier: MIT
# `cpack -G DEB` in a build tree: two Debian packages from the install
# components of cmake/MidatlasInstall.cmake.
#   libmidatlas0     the shared library (named after its SONAME number)
#   libmidatlas-dev  headers, static library, libmidatlas.so link, CMake and
#                    pkg-config files, man pages; depends on the exact
#                    libmidatlas0 it was built with
# Configure with -DCMAKE_INSTALL_PREFIX=/usr for Debian's multiarch libdir;
# packages install under /usr whatever the prefix (CPACK_PACKAGING_INSTALL_PREFIX).
set(CPACK_PACKAGE_NAME midatlas)
set(CPACK_PACKAGE_VENDOR "midatlas developers")
set(CPACK_PACKAGE_CONTACT "midatlas developers <midatlas@example.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL runtime development)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libmidatlas${MIDATLAS_SOVERSION})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
    "${PROJECT_DESCRIPTION} - shared library\n A C11 library that hands out 16-bit request ids lock-free and maps them\n back to request contexts, with an RDBSS-compatible layer.")
# libc's version from dpkg-shlibdeps when it is there (Debian: dpkg-dev).
find_program(MIDATLAS_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(MIDATLAS_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "libc6 (>= 2.34)")
endif()

set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME libmidatlas-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEVELOPMENT_DESCRIPTION
    "${PROJECT_DESCRIPTION} - development files\n Headers, static library, pkg-config and CMake package files and man3\n pages for libmidatlas.")
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS
    "libmidatlas${MIDATLAS_SOVERSION} (= ${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE})")

include(CPack)
