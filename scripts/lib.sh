# Shared by scripts/run and scripts/test: install what is missing, build.
# Sourced, not run. Works on a fresh Debian/Ubuntu machine with Rust and Node.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TOOLS="${CAUSEWAY_TOOLS:-$HOME/.cache/causeway/tools}"
export PATH="$TOOLS/bin:$HOME/.cargo/bin:$PATH"

step() { printf '\n==> %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

APT_UPDATED=
# ensure_apt PKG...: installs the Debian packages that are not installed yet.
ensure_apt() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "installing ${missing[*]}"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What building the Tauri desktop app needs (WebKitGTK 4.1 and friends).
# libayatana-appindicator3-1 is loaded at run time for the tray icon.
DESKTOP_BUILD_PKGS=(build-essential pkg-config libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev
  libsoup-3.0-dev libjavascriptcoregtk-4.1-dev libayatana-appindicator3-1)
# What Tauri's bundler needs beyond the build to make the .deb (it looks
# for the tray library's development files).
PACKAGE_PKGS=(libayatana-appindicator3-dev)
# What running it headless and driving it needs.
DESKTOP_TEST_PKGS=(xvfb xauth dbus dbus-daemon dbus-x11 webkit2gtk-driver)
# The real OS keychain for the secrets tests: gnome-keyring on a private bus.
KEYCHAIN_TEST_PKGS=(gnome-keyring dbus-daemon)
# The real sources the pull connectors are tested against, on loopback ports
# (Dovecot: the IMAP server the e-mail connector reads alert mails from;
# openssl makes its test certificates).
PULL_TEST_PKGS=(prometheus prometheus-alertmanager redis-server dovecot-core dovecot-imapd openssl)
# A team member whose clock is off (libfaketime).
TEAM_TEST_PKGS=(faketime)

ensure_rust() {
  command -v cargo >/dev/null || { echo "Rust is required: https://rustup.rs" >&2; exit 1; }
  if command -v rustup >/dev/null; then
    for c in rustfmt clippy; do
      rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
    done
  fi
}

# npm_ci DIR: installs DIR's locked node packages when they changed.
npm_ci() {
  command -v npm >/dev/null || { echo "Node.js and npm are required" >&2; exit 1; }
  if [ ! -f "$1/node_modules/.package-lock.json" ] || [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
    step "npm ci in ${1#$ROOT/}"
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

build_ui() {
  npm_ci "$ROOT/ui"
  step "building the UI"
  (cd "$ROOT/ui" && npm run --silent build)
}
