# SPDX-License-Identifier: MIT
# cmake -DMAN=<build>/docs/man/man3 -DOUT=<build>/docs/man-gz/man3 -DGZIP=gzip
#       -P gzip_man.cmake
# The installed man pages, each `gzip -9n` (Debian policy: compressed, and
# no name or time stamp in the .gz, so that rebuilds give the same bytes).
# The pages in MAN stay as Doxygen wrote them (docs.warnings looks there).
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
file(GLOB _pages RELATIVE ${MAN} ${MAN}/*.3)
foreach(_page ${_pages})
  execute_process(COMMAND ${GZIP} -9n -c ${MAN}/${_page}
                  OUTPUT_FILE ${OUT}/${_page}.gz RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "gzip_man: ${GZIP} ${MAN}/${_page}: ${_rc}")
  endif()
endforeach()
