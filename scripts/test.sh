#!/usr/bin/env bash
# Runs every check and test: lint, types, unit, integration and browser tests.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node
ensure_pnpm
ensure_redis_server
ensure_nginx
ensure_haproxy
install_dependencies
ensure_chromium
cd "$ROOT"
say "lint";       "${PNPM[@]}" run lint
say "typecheck";  "${PNPM[@]}" turbo run typecheck --output-logs=errors-only
say "tests";      "${PNPM[@]}" turbo run test --concurrency=1
