# Cross-compiling tta for arm64 (scripts/build-arm64): Debian's aarch64-linux-gnu GCC 12 against
# a sysroot of Debian 12 arm64 development packages (TTA_ARM64_SYSROOT, made by scripts/build-arm64).
# Programs the build runs (test discovery) and CTest's tests go through qemu-user.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

if(NOT TTA_ARM64_SYSROOT)
  set(TTA_ARM64_SYSROOT "$ENV{TTA_ARM64_SYSROOT}")
endif()
if(NOT IS_DIRECTORY "${TTA_ARM64_SYSROOT}/usr/include")
  message(FATAL_ERROR "TTA_ARM64_SYSROOT must name the arm64 sysroot (scripts/build-arm64 makes it)")
endif()
set(TTA_ARM64_SYSROOT "${TTA_ARM64_SYSROOT}" CACHE PATH "arm64 sysroot" FORCE)
# try_compile projects get the variable too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES TTA_ARM64_SYSROOT)

set(CMAKE_SYSROOT "${TTA_ARM64_SYSROOT}")
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc-12)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++-12)
set(CMAKE_FIND_ROOT_PATH "${TTA_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config reads the sysroot's .pc files and prefixes their paths with it.
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${TTA_ARM64_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
  "${TTA_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${TTA_ARM64_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

find_program(TTA_QEMU_AARCH64 qemu-aarch64-static REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${TTA_QEMU_AARCH64};-L;${TTA_ARM64_SYSROOT}")
# The .deb's architecture (CPack would otherwise ask dpkg for the build machine's).
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
# dpkg-shlibdeps (CPack's Depends) looks for the libraries the binaries need in the sysroot.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS
  "${TTA_ARM64_SYSROOT}/lib/aarch64-linux-gnu" "${TTA_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")
