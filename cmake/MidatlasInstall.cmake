# SPDX-License-Identifier: MIT
# Install rules of the library, in two components that become two of the
# Debian packages (cmake/MidatlasPackaging.cmake; bench/ and stress/ add the
# third, `tools`):
#   runtime      the shared library's real file and its SONAME link
#   development  headers (the plugin ABI's harness.h: bench/), the static
#                library, the libmidatlas.so link, the CMake package, the
#                pkg-config file, the man pages
# Both generated package files locate the prefix from where they were
# installed, so `cmake --install --prefix P` and moving the tree both work.
include(CMakePackageConfigHelpers)
set(MIDATLAS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/midatlas)
set(MIDATLAS_PKGCONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES ${PROJECT_SOURCE_DIR}/include/midatlas.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT development)
install(FILES ${PROJECT_SOURCE_DIR}/include/midatlas/midatlax.h
              ${PROJECT_SOURCE_DIR}/include/midatlas/export.h
              ${PROJECT_SOURCE_DIR}/include/midatlas/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/midatlas COMPONENT development)

install(TARGETS midatlas EXPORT midatlas-targets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
                COMPONENT runtime NAMELINK_COMPONENT development
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS midatlas_static EXPORT midatlas-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development)
install(EXPORT midatlas-targets NAMESPACE midatlas::
        FILE midatlas-targets.cmake DESTINATION ${MIDATLAS_CMAKE_DIR}
        COMPONENT development)

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/src/midatlas-config.cmake.in
  ${PROJECT_BINARY_DIR}/midatlas-config.cmake
  INSTALL_DESTINATION ${MIDATLAS_CMAKE_DIR})
# Before 1.0 a minor release may change the API (README, "ABI policy"), so a
# request for 0.1 must not be satisfied by 0.2: SameMinorVersion until then.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_midatlas_compat SameMinorVersion)
else()
  set(_midatlas_compat SameMajorVersion)
endif()
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/midatlas-config-version.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${_midatlas_compat})
install(FILES ${PROJECT_BINARY_DIR}/midatlas-config.cmake
              ${PROJECT_BINARY_DIR}/midatlas-config-version.cmake
        DESTINATION ${MIDATLAS_CMAKE_DIR} COMPONENT development)

# pkg-config: prefix relative to the .pc file (${pcfiledir}) when the
# install dirs are relative, as they are by default.
if(IS_ABSOLUTE "${MIDATLAS_PKGCONFIG_DIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(MIDATLAS_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(MIDATLAS_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(MIDATLAS_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH _midatlas_pc_up "/${MIDATLAS_PKGCONFIG_DIR}" "/")
  string(REGEX REPLACE "/$" "" _midatlas_pc_up "${_midatlas_pc_up}")
  set(MIDATLAS_PC_PREFIX "\${pcfiledir}/${_midatlas_pc_up}")
  set(MIDATLAS_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(MIDATLAS_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/src/midatlas.pc.in
               ${PROJECT_BINARY_DIR}/midatlas.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/midatlas.pc DESTINATION ${MIDATLAS_PKGCONFIG_DIR}
        COMPONENT development)

# The license travels with each package as /usr/share/doc/PACKAGE/copyright
# (Debian policy), the change log with the headers.
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/libmidatlas${MIDATLAS_SOVERSION}
        RENAME copyright COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/libmidatlas-dev RENAME copyright
        COMPONENT development)
install(FILES ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT development)
