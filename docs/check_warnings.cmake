# SPDX-License-Identifier: MIT
# cmake -DLOG=warnings.log -DMAN=man/man3 -P check_warnings.cmake
# The docs.warnings test: Doxygen left no warning, and made a man page for
# the functions every user reaches for first.
if(NOT EXISTS "${LOG}")
  message(FATAL_ERROR "docs: ${LOG} missing: build the `docs` target first")
endif()
file(READ "${LOG}" _warnings)
if(NOT _warnings STREQUAL "")
  message(FATAL_ERROR "docs: Doxygen warnings (document every public name):\n${_warnings}")
endif()
foreach(_page midatlas_associate midatlas_map midatlas_foreach midatlas_version
              midatlas_status MIDATLAS_F_NO_FFFF RxAssociateContextWithMid)
  if(NOT EXISTS "${MAN}/${_page}.3")
    message(FATAL_ERROR "docs: no man page ${MAN}/${_page}.3")
  endif()
endforeach()
# Every page that is a link (".so man3/PAGE") must find its PAGE: the RDBSS
# names' pages once pointed at midatlax.h.3, which prune_man.cmake removed,
# and `man RxMapMidToContext` failed.
file(GLOB _pages ${MAN}/*.3)
foreach(_page ${_pages})
  file(STRINGS ${_page} _so REGEX "^\\.so ")
  foreach(_line ${_so})
    string(REGEX REPLACE "^\\.so man3/" "" _target "${_line}")
    if(NOT EXISTS "${MAN}/${_target}")
      get_filename_component(_name ${_page} NAME)
      message(FATAL_ERROR "docs: ${_name} links to ${_target}, which is not there")
    endif()
  endforeach()
endforeach()
message(STATUS "docs: no warnings, man pages present, every link found")
