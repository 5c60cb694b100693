#!/usr/bin/env bash
# Runs Parley for development: the server (tsx watch) on :3001 and the web app (next dev) on
# :3000, until Ctrl+C. `pnpm dev` and scripts/start.sh run this.
#
# Ctrl+C (or SIGTERM) stops both, waits until they and what they started are gone, and exits 0:
# a stop is not a failure. (Turborepo's `turbo run dev` reports the same stop as failed tasks.)
# PARLEY_SERVER_PORT and PARLEY_WEB_PORT choose other ports.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node
require_installed

SERVER_PORT="${PARLEY_SERVER_PORT:-3001}"
WEB_PORT="${PARLEY_WEB_PORT:-3000}"
# How long each part may take to stop before it is killed: the server's own shutdown deadline.
STOP_TIMEOUT_SECONDS=12
export PARLEY_SERVER_URL="${PARLEY_SERVER_URL:-http://localhost:$SERVER_PORT}"
# The server lets in browsers from every address of this machine at :3000 by itself (config.ts);
# on another web port, from localhost and loopback (set CORS_ORIGINS for more).
if [[ "$WEB_PORT" != 3000 && -z "${CORS_ORIGINS:-}" ]]; then
  export CORS_ORIGINS="http://localhost:$WEB_PORT,http://127.0.0.1:$WEB_PORT,http://[::1]:$WEB_PORT"
fi
if command -v pnpm >/dev/null 2>&1; then PNPM=(pnpm); else PNPM=(npx --yes "pnpm@$PNPM_VERSION"); fi
# The output goes through a pipe (for the labels): keep Next's colours when it ends on a terminal.
[[ -t 1 ]] && export FORCE_COLOR=1

# Each line of a part's output, labelled with the part. It ignores Ctrl+C so that it outlives
# its part and shows the part's last words (it ends when the part closes its output).
label() {
  trap '' INT TERM
  exec awk -v label="$(printf '%-7s' "$1")" '{ print label " │ " $0; fflush() }'
}

# Each part runs in a process group of its own, so a stop reaches everything it started
# (pnpm → tsx watch → node; next dev → its workers) and nothing else. pnpm --silent: a part
# stopped by a signal is no "ELIFECYCLE Command failed".
if command -v setsid >/dev/null 2>&1; then
  NEW_GROUP=(setsid)
else
  # macOS has no setsid (util-linux); perl, which it has, makes the group.
  NEW_GROUP=(perl -e 'setpgrp(0, 0); exec { $ARGV[0] } @ARGV or die "$ARGV[0]: $!\n"' --)
fi
names=()
groups=()
start() {
  local name="$1"
  shift
  "${NEW_GROUP[@]}" "$@" </dev/null > >(label "$name") 2>&1 &
  names+=("$name")
  groups+=("$!")
}

running() { kill -0 -- "-$1" 2>/dev/null; }

stop_all() {
  trap '' INT TERM
  say "stopping Parley"
  local group deadline
  for group in "${groups[@]}"; do kill -INT -- "-$group" 2>/dev/null || true; done
  deadline=$((SECONDS + STOP_TIMEOUT_SECONDS))
  for group in "${groups[@]}"; do
    while running "$group" && ((SECONDS < deadline)); do sleep 0.1; done
    if running "$group"; then
      say "a part did not stop within ${STOP_TIMEOUT_SECONDS} s: killing it"
      kill -KILL -- "-$group" 2>/dev/null || true
    fi
  done
  wait 2>/dev/null || true
}

on_signal() {
  stop_all
  say "Parley stopped."
  exit 0
}
trap on_signal INT TERM

cd "$ROOT"
say "starting Parley: server http://localhost:$SERVER_PORT, web http://localhost:$WEB_PORT (Ctrl+C stops both)"
start server env PORT="$SERVER_PORT" "${PNPM[@]}" --silent --filter @parley/server dev
start "web app" env PORT="$WEB_PORT" "${PNPM[@]}" --silent --filter @parley/web dev

# Until a signal, or until a part exits by itself (a port in use, a crash at start-up): then the
# other is stopped too, and that is a failure. `sleep & wait` lets a signal in at once.
while true; do
  for i in "${!groups[@]}"; do
    if ! kill -0 "${groups[$i]}" 2>/dev/null; then
      say "the ${names[$i]} exited by itself (see above): stopping the rest"
      stop_all
      exit 1
    fi
  done
  sleep 1 &
  wait $! || true
done
