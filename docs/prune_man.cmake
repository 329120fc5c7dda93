# SPDX-License-Identifier: MIT
# cmake -DMAN=<build>/docs/man/man3 -P prune_man.cmake
# Doxygen's MAN_LINKS gives every documented name a man3 page, struct fields
# and the RDBSS type names included: free.3, live.3, VOID.3...  Installed,
# those would shadow (or clash in dpkg with) other packages' pages such as
# free(3).  Keep only names midatlas owns.  Doxygen names a header's own
# page after its file: midatlas.h.3 and midatlax.h.3 are ours (the names'
# link pages point at them), version.h.3 may be anyone's, so it becomes
# midatlas-version.h.3 and the links that point at it follow.
file(GLOB _pages RELATIVE ${MAN} ${MAN}/*.3)
foreach(_page ${_pages})
  if(_page STREQUAL "version.h.3")
    file(RENAME ${MAN}/${_page} ${MAN}/midatlas-version.h.3)
  elseif(NOT _page MATCHES
         "^(midatlas|midatlax\\.h\\.3$|MIDATLAS_|MIDATLAX_|Rx|RX_MID_ATLAS|PRX_MID_ATLAS|STATUS_|PCONTEXT_)")
    file(REMOVE ${MAN}/${_page})
  endif()
endforeach()
file(GLOB _pages ${MAN}/*.3)
foreach(_page ${_pages})
  file(READ ${_page} _text)
  if(_text MATCHES "^\\.so man3/version\\.h\\.3")
    string(REPLACE ".so man3/version.h.3" ".so man3/midatlas-version.h.3" _text "${_text}")
    file(WRITE ${_page} "${_text}")
  endif()
endforeach()
