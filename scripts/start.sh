#!/usr/bin/env bash
# Starts Parley for development: the server on :3001 and the web app on :3000.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node
ensure_pnpm
install_dependencies
say "starting Parley: server http://localhost:3001, web http://localhost:3000 (Ctrl+C stops both)"
cd "$ROOT" && exec "${PNPM[@]}" turbo run dev
