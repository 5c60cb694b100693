/**
 * Connections the kernel holds for the process to accept (capped by `net.core.somaxconn`, 4096
 * on current Linux). Node's default, 511, is less than what a restarted node of thousands of
 * clients sees arrive within a moment in a reconnect storm: past it, new connections are
 * dropped and their clients wait for TCP to retry them (1 s, then 3 s, 7 s, 15 s…) however idle
 * the node is by then.
 */
export const LISTEN_BACKLOG = 4096;
