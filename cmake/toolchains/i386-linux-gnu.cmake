# SPDX-License-Identifier: MIT
# i386 (32-bit x86) Linux on an x86-64 Debian host: gcc -m32, libraries from
# the i386 multiarch folder.  The programs run natively (the kernel runs
# 32-bit programs), so ctest needs no emulator.  What it needs (Debian):
#   apt-get install gcc-multilib
#   dpkg --add-architecture i386 && apt-get update &&
#     apt-get install libcmocka-dev:i386 liburcu-dev:i386
# (liburcu for the 9P client in tools/; Concurrency Kit's libck-dev cannot be
# installed beside the host's, so the CK and liburcu peers are left out.)
# tools/test.sh's i386 tree uses this file (tools/install-deps.sh --i386).
# Why a 32-bit tree: contexts are pointers of 32 bits there, packed into the
# same 64-bit slot words, and every test that packs its own fields into a
# context must fit them (the tree found five that did not).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR i686)
set(CMAKE_C_COMPILER gcc)
set(CMAKE_C_FLAGS_INIT -m32)
foreach(_kind EXE SHARED MODULE)
  set(CMAKE_${_kind}_LINKER_FLAGS_INIT -m32)
endforeach()
# No C++ (it would need g++-multilib): the C++ header test runs in the host's
# trees.  A compiler already named keeps check_language from looking.
set(CMAKE_CXX_COMPILER NOTFOUND)
set(CMAKE_LIBRARY_ARCHITECTURE i386-linux-gnu)
# pkg-config must not find the host's (x86-64) Concurrency Kit or cmocka.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/i386-linux-gnu/pkgconfig:/usr/share/pkgconfig)
