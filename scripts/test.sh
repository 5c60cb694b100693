#!/usr/bin/env bash
# Runs every check and test: lint, types, unit, integration and browser tests.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node
ensure_pnpm
ensure_redis_server
ensure_nginx
ensure_haproxy
ensure_ss
install_dependencies
ensure_chromium
cd "$ROOT"
say "lint";       "${PNPM[@]}" run lint
say "typecheck";  "${PNPM[@]}" exec turbo run typecheck --output-logs=errors-only
say "tests";      "${PNPM[@]}" exec turbo run test --concurrency=1
# Again with the fast path off (apps/server/src/socket/fast-path/), the server tests of what clients
# receive: it must change how fast bytes leave, never which bytes or in what order.
say "server delivery tests, FAST_PATH=false"
FAST_PATH=false "${PNPM[@]}" --filter @parley/server exec vitest run \
  src/socket src/messages src/typing src/rooms src/chat.integration.test.ts \
  src/server.integration.test.ts src/cluster/cross-node.integration.test.ts \
  src/cluster/ordering.integration.test.ts src/cluster/drain.integration.test.ts
