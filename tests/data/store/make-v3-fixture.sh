#!/usr/bin/env bash
# Makes v3/ (tta.db and its store.key): a store written by the code of the last commit whose
# schema was v3 — the previous release's store, for tests/unit/store/upgrade_test.cpp and the
# installed-package test. It checks that commit out in a temporary worktree, builds its
# tta_store with make_v3_fixture.cpp, runs it and copies the result here.
#   tests/data/store/make-v3-fixture.sh [COMMIT]
# The default commit is 7669048 (the parent of 00faf5b, which introduced schema v4).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(git -C "$here" rev-parse --show-toplevel)
commit=${1:-7669048cf90595062d4abc3644f99a28dc10ceba}
work=$(mktemp -d)
cleanup() {
  git -C "$root" worktree remove --force "$work/src" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

git -C "$root" worktree add --detach "$work/src" "$commit" >/dev/null
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$work/src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PROJECT_tta_INCLUDE="$here/make_v3_fixture.cmake" \
  -DTTA_FIXTURE_SOURCE="$here/make_v3_fixture.cpp" "${launcher[@]}" >/dev/null
cmake --build "$work/build" --target make_v3_fixture -j "$(nproc)" >/dev/null
mkdir -p "$work/out"
"$work/build/make_v3_fixture" "$work/out"
mkdir -p "$here/v3"
cp "$work/out/tta.db" "$here/v3/tta.db"
cp "$work/out/store.key" "$here/v3/store.key"
echo "made $here/v3 with the store of $commit" >&2
