# Cross-compiling the agent and its tests for arm64 (make test-arm64, test/arm64/run.sh).
# Compiler: Debian's g++-aarch64-linux-gnu. Sysroot: an unpacked arm64 Debian root holding the -dev
# packages (test/stack/roots.sh, kind "sysroot"), given as the environment variable DYNOSTATSD_SYSROOT
# (an environment variable, so CMake's try_compile projects see it too). Tests run under
# qemu-aarch64-static with the sysroot as its -L prefix: ctest uses CMAKE_CROSSCOMPILING_EMULATOR.
if(NOT DEFINED ENV{DYNOSTATSD_SYSROOT})
  message(FATAL_ERROR "test/arm64/toolchain.cmake: set DYNOSTATSD_SYSROOT to the arm64 sysroot (make test-arm64 does)")
endif()
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_SYSROOT $ENV{DYNOSTATSD_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static -L $ENV{DYNOSTATSD_SYSROOT})
# pkg-config answers for the sysroot's .pc files, with the sysroot prefixed to their paths.
set(ENV{PKG_CONFIG_SYSROOT_DIR} $ENV{DYNOSTATSD_SYSROOT})
set(ENV{PKG_CONFIG_LIBDIR}
    "$ENV{DYNOSTATSD_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:$ENV{DYNOSTATSD_SYSROOT}/usr/share/pkgconfig")
