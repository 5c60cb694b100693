#!/usr/bin/env bash
# A local Parley cluster for development: Redis, two server nodes (:3001 and :3002) sharing it,
# and the web app (:3000). Open the web app once per node to watch two nodes chat. Ctrl+C stops
# everything this script started.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node
ensure_pnpm
install_dependencies
cd "$ROOT"

# A Redis already answering at REDIS_URL is used as it is; otherwise one is started here, on a
# port of its own so it never touches a Redis on the default 6379.
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6390}"
export PARLEY_AUTH_SECRET="${PARLEY_AUTH_SECRET:-parley-development-secret-do-not-use-in-production}"
export PRESENCE_TTL_SECONDS="${PRESENCE_TTL_SECONDS:-15}"

redis_address="${REDIS_URL#redis://}"
redis_address="${redis_address#*@}"
redis_address="${redis_address%%/*}"
redis_host="${redis_address%%:*}"
redis_port="${redis_address##*:}"
[[ "$redis_port" == "$redis_address" ]] && redis_port=6379

# A PING over bash's /dev/tcp, in a subshell so its redirections stay there.
redis_answers() {
  (
    exec 3<>"/dev/tcp/$redis_host/$redis_port" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 1 reply <&3 || exit 1
    [[ "$reply" == +PONG* ]]
  ) 2>/dev/null
}

# Every child runs in its own process group, so stopping it also stops what it started
# (pnpm -> tsx watch -> node, next dev -> its workers).
groups=()
start() {
  setsid "$@" &
  groups+=("$!")
}
stop_all() {
  trap - EXIT INT TERM
  ((${#groups[@]})) || exit 0
  say "stopping the cluster"
  for group in "${groups[@]}"; do kill -TERM -- "-$group" 2>/dev/null || true; done
  sleep 2
  for group in "${groups[@]}"; do kill -KILL -- "-$group" 2>/dev/null || true; done
  exit 0
}
trap stop_all EXIT INT TERM

if redis_answers; then
  say "using the Redis answering at $REDIS_URL"
else
  [[ "$redis_host" == 127.0.0.1 || "$redis_host" == localhost ]] ||
    die "nothing answers at $REDIS_URL, and only a local Redis can be started here."
  ensure_redis_server
  say "starting redis-server on port $redis_port (in memory: stopping it forgets everything)"
  start redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no
  for _ in $(seq 50); do redis_answers && break; sleep 0.1; done
  redis_answers || die "redis-server did not answer on port $redis_port."
fi

for port in 3001 3002; do
  start env PORT="$port" NODE_ID="dev-$port" "${PNPM[@]}" --filter @parley/server dev
done
start "${PNPM[@]}" --filter @parley/web dev

say "cluster up (Ctrl+C stops everything):"
say "  node 1: http://localhost:3000/?server=http://localhost:3001"
say "  node 2: http://localhost:3000/?server=http://localhost:3002"
wait -n || true
say "a process of the cluster exited; stopping the rest"
