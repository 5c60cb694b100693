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

install_dependencies() {
  say "installing dependencies"
  (cd "$ROOT" && "${PNPM[@]}" install --frozen-lockfile --reporter=append-only >/dev/null) ||
    die "pnpm install failed (see above). Check your access to the npm registry and run this again."
}
