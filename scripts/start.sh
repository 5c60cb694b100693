#!/usr/bin/env bash
# Starts Parley for development: the server on :3001 and the web app on :3000, after installing
# what they need (and fonts for Korean and emoji where it can). Ctrl+C stops both.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node
ensure_pnpm
install_dependencies
ensure_fonts
exec "$ROOT/scripts/dev.sh"
