# Sourced by scripts/test, scripts/fuzz and scripts/package: the compiler cache and the two build configurations.
# Expects $root (the checkout) to be set.

# ccache, shared by every checkout on this machine (a fresh clone in another folder hits it:
# paths under the checkout are rewritten relative to it, see CCACHE_BASEDIR and the prefix map
# below). TTA_CCACHE=0 turns it off; TTA_CCACHE_DIR (default /var/cache/tta/ccache, or
# ~/.cache/tta/ccache when that cannot be created) moves it.
tta_launcher=()
tta_prefix_map=()
if [[ ${TTA_CCACHE:-1} != 0 ]] && command -v ccache >/dev/null 2>&1; then
  CCACHE_DIR="${TTA_CCACHE_DIR:-/var/cache/tta/ccache}"
  if ! mkdir -p "$CCACHE_DIR" 2>/dev/null || [[ ! -w $CCACHE_DIR ]]; then
    CCACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/tta/ccache"
    mkdir -p "$CCACHE_DIR"
  fi
  export CCACHE_DIR
  export CCACHE_BASEDIR="$root"
  export CCACHE_MAXSIZE="${TTA_CCACHE_MAXSIZE:-5G}"
  # No hits are lost to the mtimes of a fresh clone or to generated precompiled headers.
  export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
  tta_launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # __FILE__ and the debug information name files relative to the checkout, so the objects
  # (and ccache's hash of the working directory under -g) are the same in every clone.
  tta_prefix_map=("-DCMAKE_CXX_FLAGS=-ffile-prefix-map=$root=.")
fi

# tta_configure release|asan|package|arm64|arm64-package [MODELS_DIR]: configures build/$1 and sets $dir.
tta_configure() {
  case "$1" in
    release)
      dir=build/release
      cmake -S "$root" -B "$root/$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTTA_WERROR=ON \
        -DTTA_BENCH=ON -DCMAKE_CXX_COMPILER=g++ "${tta_launcher[@]}" "${tta_prefix_map[@]}" >/dev/null
      ;;
    asan)
      dir=build/asan
      cmake -S "$root" -B "$root/$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
        -DTTA_WERROR=ON -DTTA_SANITIZE=ON -DTTA_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
        "${tta_launcher[@]}" "${tta_prefix_map[@]}" >/dev/null
      export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
      export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
      ;;
    package)
      # The Release build again (same flags, so the compiler cache hits), installed under /usr,
      # with CPack and no build-tree plugin lookup (scripts/package). $2: the verified models.
      dir=build/package
      cmake -S "$root" -B "$root/$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTTA_WERROR=ON \
        -DCMAKE_CXX_COMPILER=g++ -DCMAKE_INSTALL_PREFIX=/usr -DTTA_PACKAGE=ON \
        -DTTA_PLUGIN_FROM_BUILD_TREE=OFF -DTTA_PACKAGE_MODELS_DIR="$2" \
        "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-z,relro,-z,now" "-DCMAKE_MODULE_LINKER_FLAGS=-Wl,-z,relro,-z,now" \
        "${tta_launcher[@]}" "${tta_prefix_map[@]}" >/dev/null
      ;;
    arm64)
      # The Release build cross-compiled for arm64 (scripts/build-arm64; $TTA_ARM64_SYSROOT),
      # with the tests (run under qemu-user) and the benchmarks.
      dir=build/arm64
      cmake -S "$root" -B "$root/$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTTA_WERROR=ON \
        -DTTA_BENCH=ON -DCMAKE_TOOLCHAIN_FILE="$root/cmake/arm64-toolchain.cmake" \
        "${tta_launcher[@]}" "${tta_prefix_map[@]}" >/dev/null
      ;;
    arm64-package)
      # `package` cross-compiled for arm64 (scripts/build-arm64). $2: the verified models.
      dir=build/arm64-package
      cmake -S "$root" -B "$root/$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTTA_WERROR=ON \
        -DCMAKE_TOOLCHAIN_FILE="$root/cmake/arm64-toolchain.cmake" -DCMAKE_INSTALL_PREFIX=/usr \
        -DTTA_PACKAGE=ON -DTTA_PLUGIN_FROM_BUILD_TREE=OFF -DTTA_PACKAGE_MODELS_DIR="$2" \
        "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-z,relro,-z,now" "-DCMAKE_MODULE_LINKER_FLAGS=-Wl,-z,relro,-z,now" \
        "${tta_launcher[@]}" "${tta_prefix_map[@]}" >/dev/null
      ;;
    *) echo "unknown build '$1' (release, asan, package, arm64 or arm64-package)" >&2; return 2 ;;
  esac
}

# tta_ccache_counts: "HITS MISSES" so far (for a per-build difference).
tta_ccache_counts() {
  [[ -n ${CCACHE_DIR:-} ]] || { echo "0 0"; return; }
  ccache --print-stats 2>/dev/null | awk '
    $1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { h += $2 }
    $1 == "cache_miss" { m += $2 }
    END { print h + 0, m + 0 }'
}
