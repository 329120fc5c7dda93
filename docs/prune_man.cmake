# SPDX-License-Identifier: MIT
# cmake -DMAN=<build>/docs/man/man3 -P prune_man.cmake
# Doxygen's MAN_LINKS gives every documented name a man3 page, struct fields
# and the RDBSS type names included: free.3, live.3, VOID.3...  Installed,
# those would shadow (or clash in dpkg with) other packages' pages such as
# free(3).  Keep only names midatlas owns.
file(GLOB _pages RELATIVE ${MAN} ${MAN}/*.3)
foreach(_page ${_pages})
  if(NOT _page MATCHES "^(midatlas|MIDATLAS_|MIDATLAX_|Rx|RX_MID_ATLAS|PRX_MID_ATLAS|STATUS_|PCONTEXT_|version\\.h)")
    file(REMOVE ${MAN}/${_page})
  endif()
endforeach()
