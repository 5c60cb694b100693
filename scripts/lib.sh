# Shared by scripts/start.sh and scripts/test.sh: make sure Node, pnpm and the dependencies are
# there, or say exactly what to do.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$ROOT/package.json")"
export NEXT_TELEMETRY_DISABLED=1

say() { printf '\033[1m[parley]\033[0m %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

ensure_node() {
  command -v node >/dev/null 2>&1 || die "Node.js 20.9 or newer is required: install it from https://nodejs.org (or your package manager), then run this again."
  local version major minor
  version="$(node -p 'process.versions.node')"
  major="${version%%.*}"; minor="$(echo "$version" | cut -d. -f2)"
  if (( major < 20 || (major == 20 && minor < 9) )); then
    die "Node.js $version is too old: Parley needs 20.9 or newer."
  fi
}

# Sets PNPM to a command that runs the pinned pnpm, installing it when missing.
ensure_pnpm() {
  if command -v pnpm >/dev/null 2>&1 && [[ "$(pnpm --version)" == "$PNPM_VERSION" ]]; then
    PNPM=(pnpm); return
  fi
  say "installing pnpm $PNPM_VERSION (npm install -g pnpm@$PNPM_VERSION)"
  if npm install -g "pnpm@$PNPM_VERSION" >/dev/null 2>&1 && [[ "$(pnpm --version 2>/dev/null)" == "$PNPM_VERSION" ]]; then
    PNPM=(pnpm); return
  fi
  say "no permission for a global install; using npx pnpm@$PNPM_VERSION"
  PNPM=(npx --yes "pnpm@$PNPM_VERSION")
}

# For commands that use what `pnpm install` puts in node_modules (pnpm dev, pnpm turbo …): on a
# fresh clone they would fail with "turbo: not found" or the like; this says what to run instead.
require_installed() {
  [[ -x "$ROOT/node_modules/.bin/turbo" && -d "$ROOT/apps/web/node_modules/next" ]] ||
    die "the dependencies are not installed: run pnpm install, then this again (or ./scripts/start.sh, which installs everything and starts Parley)."
}

install_dependencies() {
  say "installing dependencies"
  (cd "$ROOT" && "${PNPM[@]}" install --frozen-lockfile --reporter=append-only >/dev/null) ||
    die "pnpm install failed (see above). Check your access to the npm registry and run this again."
}

can_apt_install() { [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; }

# Installs Debian packages when running as root (CI, containers); otherwise says what to run.
apt_install() {
  if can_apt_install; then
    say "installing $* (apt-get)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@") >/dev/null ||
      die "apt-get install $* failed; install them by hand and run this again."
  else
    die "missing $*: install them (on Debian/Ubuntu: sudo apt-get install -y $*) and run this again."
  fi
}

# The Debian font packages missing for Korean (CJK) and emoji text, one a line: without them
# browsers draw those characters as boxes. No fontconfig (fc-list) counts as none installed.
missing_fonts() {
  local fonts
  fonts="$(fc-list 2>/dev/null || true)"
  grep -qi "Noto Sans CJK" <<<"$fonts" || echo fonts-noto-cjk
  grep -qi "Noto Color Emoji" <<<"$fonts" || echo fonts-noto-color-emoji
}

# Browser tests drive Debian's Chromium; CJK and emoji fonts make screenshots show real text.
ensure_chromium() {
  local missing=()
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  # shellcheck disable=SC2207 # package names: no spaces
  missing+=($(missing_fonts))
  if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
}

# For scripts/start.sh: a browser on this machine shows Korean and emoji, not boxes. Fonts are
# installed when that is possible (root with apt-get); otherwise it says what to run and goes on,
# since everything works without them. Machines without fontconfig (macOS, Windows, a server
# browsed from elsewhere) have their own fonts or no browser: nothing to do there.
ensure_fonts() {
  command -v fc-list >/dev/null 2>&1 || return 0
  local missing
  # shellcheck disable=SC2207 # package names: no spaces
  missing=($(missing_fonts))
  ((${#missing[@]})) || return 0
  if can_apt_install; then
    say "installing fonts for Korean and emoji: ${missing[*]} (apt-get)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") \
      >/dev/null && return 0
    say "warning: apt-get install ${missing[*]} failed; going on without them."
  fi
  say "Korean and emoji will show as boxes in a browser on this machine until you install fonts:"
  say "  sudo apt-get install -y ${missing[*]}   (Debian/Ubuntu; elsewhere: Noto Sans CJK and Noto Color Emoji)"
}

# The server's Redis tests (and scripts/cluster.sh) start their own redis-server from the PATH.
ensure_redis_server() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
}

# The load balancer test runs deploy/nginx.conf and deploy/haproxy.cfg with Debian's nginx and
# HAProxy, as processes of its own (never the system services). They live in /usr/sbin.
has_sbin() { command -v "$1" >/dev/null 2>&1 || [[ -x "/usr/sbin/$1" ]]; }
ensure_nginx() {
  has_sbin nginx || apt_install nginx
}
ensure_haproxy() {
  has_sbin haproxy || apt_install haproxy
}

# A fast-path test reads the kernel's per-socket counters with `ss` (iproute2).
ensure_ss() {
  has_sbin ss || apt_install iproute2
}
