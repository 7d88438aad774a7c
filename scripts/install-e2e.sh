#!/usr/bin/env bash
# Installs what the real-editor test (tests/e2e/run.mjs) needs into a project-local, git-ignored
# prefix: Debian chromium (apt), code-server (pinned), playwright-core and @vscode/vsce (npm).
# Idempotent: ~75 s the first time (~20 s of it apt), well under a second after that.
# Nothing is downloaded from outside the package registries (see the ripgrep note below).
# Usage: bash scripts/install-e2e.sh            (prefix: <repo>/.e2e, or $WTB_E2E_DIR)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E="${WTB_E2E_DIR:-$ROOT/.e2e}"
CS_VERSION=4.100.3        # VS Code 1.100.3; the last code-server whose engines.node is 20
PLAYWRIGHT_VERSION=1.65.1
VSCE_VERSION=3.9.2
RG_VERSION=1.18.0         # @vscode/ripgrep-linux-x64: the only published version (rg 15.0.0)
mkdir -p "$E2E"
[ "$(node -p 'process.versions.node.split(".")[0]')" = 20 ] || { echo "install-e2e: needs Node 20" >&2; exit 1; }

# 1. System packages: chromium for playwright-core; a toolchain and libkrb5-dev for code-server's
#    native modules (built from source against the system Node's headers).
if ! command -v chromium >/dev/null || ! dpkg -s libkrb5-dev >/dev/null 2>&1 \
    || ! command -v g++ >/dev/null || ! command -v pkg-config >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    chromium build-essential python3 pkg-config libkrb5-dev >/dev/null
fi

# 2. Tools. No browser download: playwright-core drives /usr/bin/chromium.
if [ ! -x "$E2E/tools/node_modules/.bin/vsce" ] || [ ! -d "$E2E/tools/node_modules/playwright-core" ] \
    || [ ! -x "$E2E/tools/node_modules/@vscode/ripgrep-linux-x64/bin/rg" ]; then
  npm install --prefix "$E2E/tools" --no-audit --no-fund \
    "playwright-core@$PLAYWRIGHT_VERSION" "@vscode/vsce@$VSCE_VERSION" "@vscode/ripgrep-linux-x64@$RG_VERSION"
fi

# 3. code-server. Its postinstall (@vscode/ripgrep 1.15.11) downloads rg from GitHub, which is not
#    reachable: pre-seed the cache it looks in first ($TMPDIR/vscode-ripgrep-cache-<version>/)
#    with the rg that the npm package @vscode/ripgrep-linux-x64 ships.
if [ ! -x "$E2E/cs/node_modules/.bin/code-server" ]; then
  export TMPDIR="$E2E/tmp"
  cache="$TMPDIR/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$cache"
  tar -czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" \
    -C "$E2E/tools/node_modules/@vscode/ripgrep-linux-x64/bin" rg
  # nodedir=/usr: native modules against the system Node's headers (no header download).
  # unsafe_perm=true: as root, code-server's postinstall.sh exits 1 without it (npm 11 warns
  #   "Unknown env config unsafe-perm" but passes it on: the warning is harmless).
  # yes=true: node-pty's postinstall runs `npx node-gyp`, which a yes=false npmrc cancels.
  npm_config_nodedir=/usr npm_config_unsafe_perm=true npm_config_yes=true \
    npm install --prefix "$E2E/cs" --no-audit --no-fund "code-server@$CS_VERSION"
fi

# XDG_*: otherwise even `code-server --version` writes ~/.config/code-server/config.yaml.
XDG_CONFIG_HOME="$E2E/tmp" XDG_DATA_HOME="$E2E/tmp" "$E2E/cs/node_modules/.bin/code-server" --version \
  >/dev/null || { echo "install-e2e: code-server does not start" >&2; exit 1; }
echo "e2e tools ready in $E2E"
