/**
 * What REDIS_URL says about the data nodes when Sentinel or Cluster names their addresses: the
 * credentials, the database and TLS (`rediss:`). Host and port come from the topology instead.
 */
export function nodeOptions(url: string | undefined): {
  username?: string;
  password?: string;
  database?: number;
  socket: { tls?: true };
} {
  if (!url) return { socket: {} };
  const parsed = new URL(url);
  const database = parsed.pathname.replace(/^\//, '');
  return {
    ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
    ...(database && { database: Number(database) }),
    socket: parsed.protocol === 'rediss:' ? { tls: true } : {},
  };
}
