# CMake toolchain file: Phantom for aarch64 Linux (Raspberry Pi class boards), built on x86-64 Debian
# with crossbuild-essential-arm64 and the arm64 multiarch -dev packages (scripts/install-deps.sh
# --aarch64). Used by `make cross-aarch64`; the tests of that build run under qemu-aarch64 (qemu-user).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Debian's multiarch layout: arm64 libraries in /usr/lib/aarch64-linux-gnu, found through the library
# architecture (the x86-64 ones, in /usr/lib/x86_64-linux-gnu, are never searched); headers in /usr/include.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
# pkg-config (the host's) must answer with the arm64 .pc files of Debian's multiarch packages.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
# Test binaries (and gtest_discover_tests) run under user-mode emulation, with the arm64 libraries of
# the multiarch libc6:arm64 (/lib/ld-linux-aarch64.so.1 and /lib/aarch64-linux-gnu). Not with
# `-L /usr/aarch64-linux-gnu`: that takes the dynamic loader of the cross package but libc.so.6 from
# multiarch, two builds whose private layout differs, and the first pthread_create loops forever.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
