# Precompiled headers for the targets that compile several files against the same heavy
# third-party headers (Asio, Beast, nlohmann/json, spdlog, CLI11, GoogleTest): parsed once per
# target instead of once per file. A target of one or two files gains nothing (building the
# PCH costs about what it saves) and gets none. TTA_PCH=OFF turns it off.
#
# GCC only. With ccache (CCACHE_SLOPPINESS has pch_defines,time_macros: scripts/lib/build.sh)
# GCC's PCH users hit the cache in a fresh clone in another folder (seen: 209 hits, 5 misses
# for the Release build). Clang's .pch holds the build folder's absolute paths, so in another
# clone every file of a PCH target missed (120 of 221 in the ASan build, even with
# -fno-pch-timestamp): the clang builds go without.
option(TTA_PCH "Precompile the heavy third-party headers of multi-file targets" ON)

# tta_precompile(TARGET HEADER...): HEADER as for target_precompile_headers (<...> or a path).
function(tta_precompile target)
  if(NOT TTA_PCH OR NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    return()
  endif()
  get_target_property(sources ${target} SOURCES)
  list(FILTER sources INCLUDE REGEX "\\.cpp$")
  list(LENGTH sources n)
  if(n LESS 3)
    return()
  endif()
  # <utility> first: Boost 1.74's Asio needs it before its own headers with GCC 12 in C++20.
  target_precompile_headers(${target} PRIVATE <utility> ${ARGN})
endfunction()
