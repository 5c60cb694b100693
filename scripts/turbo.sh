#!/usr/bin/env bash
# `pnpm turbo …`, `pnpm build`, `pnpm test`, …: Turborepo, once the dependencies are installed.
# On a fresh clone it says what to run, where pnpm alone would answer "turbo: not found".
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_installed
exec "$ROOT/node_modules/.bin/turbo" "$@"
