import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { describeIssues, devHosts, LIMITS } from '@parley/protocol';
import { z } from 'zod';
import { workersForAuto } from './workers/cpu-budget';

/**
 * The only place that reads the environment. Everything else receives the typed `ParleyConfig`
 * this file makes, so a test can build any configuration without touching `process.env`.
 */

/** Used only outside production, with a loud warning: anyone can mint tokens with it. */
export const DEVELOPMENT_AUTH_SECRET = 'parley-development-secret-do-not-use-in-production';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

function positiveInt(defaultValue: number) {
  return z.coerce.number().int().positive().default(defaultValue);
}

/** A limit that 0 turns off. */
function limitOrOff(defaultValue: number) {
  return z.coerce.number().int().nonnegative().default(defaultValue);
}

const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

/** `host:port`, as Sentinel and Cluster seed lists give them. */
const hostPort = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port')
  .transform((value) => {
    const at = value.lastIndexOf(':');
    return { host: value.slice(0, at), port: Number(value.slice(at + 1)) };
  })
  .refine(({ port }) => port >= 1 && port <= 65_535, 'port must be 1-65535');

/**
 * One server API key: `name:key`, or `name:key:ws1+ws2` to limit it to some workspaces. The
 * name shows in logs and as the default integration id; the key is the bearer secret.
 */
const ApiKeyEntry = z.string().transform((entry, context): ApiKeyConfig => {
  const [name = '', key = '', workspaces] = entry.split(':');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name) || key.length < 24 || /\s/.test(key)) {
    context.addIssue({
      code: 'custom',
      message: 'each entry is name:key or name:key:ws1+ws2, with a key of at least 24 characters',
    });
    return z.NEVER;
  }
  return { name, key, workspaces: workspaces ? workspaces.split('+') : '*' };
});

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
  HOST: z.string().min(1).default('0.0.0.0'),
  PARLEY_AUTH_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters (use: openssl rand -base64 48)')
    .optional(),
  CORS_ORIGINS: list.optional(),
  GUEST_TOKENS: flag.default(true),
  GUEST_TOKEN_TTL_SECONDS: positiveInt(7 * 24 * 3600),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  TRANSPORTS: list
    .pipe(z.array(z.enum(['websocket', 'polling'])).min(1))
    .default(['polling', 'websocket']),
  // Off: broadcasts take Socket.IO's own path (same bytes, slower); for ruling the fast path out.
  FAST_PATH: flag.default(true),
  // A bucket per user per room (a channel's slow mode) and one per room for everyone, so the
  // history store's append script can take both in the same round trip as the message.
  RATE_MESSAGES_PER_SECOND: positiveInt(LIMITS.messagesPerSecond),
  RATE_MESSAGES_BURST: positiveInt(LIMITS.messageBurst),
  RATE_ROOM_MESSAGES_PER_SECOND: positiveInt(50),
  RATE_ROOM_MESSAGES_BURST: positiveInt(100),
  // Per connection (every namespace it multiplexes shares them).
  RATE_EVENTS_PER_SECOND: positiveInt(50),
  RATE_EVENTS_BURST: positiveInt(100),
  RATE_TYPING_PER_SECOND: positiveInt(5),
  RATE_TYPING_BURST: positiveInt(10),
  MAX_PACKET_BYTES: positiveInt(LIMITS.packetMaxBytes),
  MAX_BUFFERED_BYTES: positiveInt(1024 * 1024),
  HISTORY_RETENTION: positiveInt(LIMITS.historyRetention),
  MAX_ROOMS_PER_SOCKET: positiveInt(LIMITS.roomsPerSocketMax),
  // Rooms: who may create how many, how many a workspace holds, when empty ones go.
  RATE_ROOM_CREATES_PER_MINUTE: positiveInt(10),
  RATE_ROOM_CREATES_BURST: positiveInt(20),
  RATE_WORKSPACE_ROOM_CREATES_PER_MINUTE: positiveInt(300),
  RATE_WORKSPACE_ROOM_CREATES_BURST: positiveInt(600),
  MAX_ROOMS_PER_WORKSPACE: positiveInt(10_000),
  ROOM_IDLE_TTL_SECONDS: limitOrOff(24 * 3600),
  // Per client address (0: off), and where that address comes from behind a proxy.
  RATE_GUEST_TOKENS_PER_MINUTE: limitOrOff(20),
  RATE_GUEST_TOKENS_BURST: limitOrOff(40),
  RATE_CONNECTIONS_PER_SECOND: limitOrOff(20),
  RATE_CONNECTIONS_BURST: limitOrOff(100),
  MAX_CONNECTIONS_PER_ADDRESS: limitOrOff(256),
  TRUSTED_PROXIES: list.default([]),
  CLIENT_ADDRESS_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name')
    .transform((name) => name.toLowerCase())
    .default('x-forwarded-for'),
  ORIGIN_CHECK: flag.default(true),
  TOKEN_MAX_TTL_SECONDS: positiveInt(30 * 24 * 3600),
  SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  // Unset: 5 s in production (load balancers poll /readyz every few seconds), none otherwise.
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().nonnegative().optional(),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })
    .optional(),
  REDIS_SENTINELS: list.pipe(z.array(hostPort)).optional(),
  REDIS_SENTINEL_MASTER: z.string().min(1).default('mymaster'),
  REDIS_CLUSTER_NODES: list.pipe(z.array(hostPort)).optional(),
  REDIS_KEY_PREFIX: z.string().max(64).default('parley:'),
  // Unset: on for a Redis Cluster (classic pub/sub reaches every shard), off otherwise.
  REDIS_SHARDED_PUBSUB: flag.optional(),
  REDIS_WAIT_REPLICAS: limitOrOff(0),
  REDIS_WAIT_TIMEOUT_MS: z.coerce.number().int().positive().optional(),
  REDIS_COMMAND_TIMEOUT_MS: positiveInt(1000),
  // Below 3 s a heartbeat every TTL/3 would be too tight to survive a short pause.
  PRESENCE_TTL_SECONDS: z.coerce.number().int().min(3).default(30),
  PRESENCE_GRACE_MS: limitOrOff(3000),
  // Past this many users online a room sends only its count; 0 always. At most what a join
  // answer lists, so a room that sends arrivals and departures has given everyone the whole list.
  PRESENCE_MEMBERS_MAX: z.coerce
    .number()
    .int()
    .min(0)
    .max(LIMITS.joinMembersMax)
    .default(LIMITS.joinMembersMax),
  // Worker processes sharing PORT on this host (workers/, docs/deploy.md); 0: this process alone.
  PARLEY_WORKERS: z
    .string()
    .regex(/^(auto|\d{1,4})$/, 'must be a number of processes or "auto"')
    .default('0'),
  // Set by the primary in each worker it forks; nobody else sets it.
  PARLEY_WORKER_INDEX: z.coerce.number().int().nonnegative().optional(),
  NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 of A-Z, a-z, 0-9, ".", "_" and "-"')
    .optional(),
  PARLEY_API_KEYS: list.pipe(z.array(ApiKeyEntry)).default([]),
  PARLEY_API_KEYS_REVOKED: list.default([]),
  RATE_API_PER_SECOND: positiveInt(50),
  RATE_API_BURST: positiveInt(100),
  WEBHOOK_URLS: list
    .pipe(z.array(z.url({ protocol: /^https?$/, error: 'must be http:// or https:// URLs' })))
    .default([]),
  WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  WEBHOOK_TIMEOUT_MS: positiveInt(5000),
  WEBHOOK_MAX_ATTEMPTS: positiveInt(10),
  WEBHOOK_RETRY_BASE_MS: positiveInt(1000),
  WEBHOOK_PRESENCE_COALESCE_MS: limitOrOff(1000),
  WEBHOOK_PRESENCE_EVENTS_PER_MINUTE: positiveInt(60),
  // Who may do what (docs/access-control.md).
  ROOM_CREATION: z.enum(['anyone', 'admins']).default('anyone'),
  JOIN_HOOK_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .optional(),
  JOIN_HOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  JOIN_HOOK_TIMEOUT_MS: positiveInt(2000),
  JOIN_HOOK_CACHE_SECONDS: limitOrOff(30),
  // Tokens signed by the team's identity provider (auth/identity-provider.ts).
  TOKEN_JWKS_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .optional(),
  TOKEN_PUBLIC_KEY: z.string().optional(),
  TOKEN_ALGORITHMS: list
    .pipe(z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'])).min(1))
    .default(['RS256', 'ES256', 'EdDSA']),
  TOKEN_ISSUER: z.string().min(1).optional(),
  TOKEN_AUDIENCE: z.string().min(1).optional(),
  // Prometheus metrics at /metrics (docs/observability.md).
  METRICS: flag.default(true),
  // Set: /metrics on a listener of its own (a private network's port), not on the public one.
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  METRICS_KEY: z
    .string()
    .min(16, 'must be at least 16 characters (use: openssl rand -base64 32)')
    .regex(/^\S+$/, 'must not contain spaces')
    .optional(),
});

export type Environment = Record<string, string | undefined>;
type Env = z.output<typeof EnvSchema>;

/** A token bucket: `perSecond` sustained, `burst` at once. */
export interface Rate {
  perSecond: number;
  burst: number;
}

export interface ParleyConfig {
  env: 'development' | 'production' | 'test';
  http: {
    port: number;
    host: string;
    corsOrigins: string[];
    /** Refuse connections whose browser `Origin` is not in `corsOrigins` (none: not a browser). */
    originCheck: boolean;
  };
  auth: {
    secret: string;
    guestTokens: boolean;
    guestTokenTtlSeconds: number;
    /** A token whose `exp` is further away than this is refused, whoever signed it. */
    maxTtlSeconds: number;
  };
  transports: ('websocket' | 'polling')[];
  /**
   * Broadcast frames written straight to idle sockets and writes batched per event-loop turn
   * (socket/fast-path/); off, or when an upgrade changed what it reads, Socket.IO's own paths.
   */
  fastPath: boolean;
  limits: {
    /** A message must fit the sender's bucket in the room and the room's own. */
    sendRates: { sender: Rate; room: Rate };
    /** Every event of one connection (all its namespaces together): the flood guard. */
    events: Rate;
    /** `typing:set` of one connection, within `events`. */
    typing: Rate;
    packetMaxBytes: number;
    /** What may wait to be written to one connection before it is dropped as a slow reader. */
    bufferedBytesPerConnection: number;
    historyRetention: number;
    /** Rooms one connection may be in at once, all its namespaces together. */
    roomsPerConnection: number;
  };
  rooms: {
    /** New rooms one user may create (per workspace), and a whole workspace. */
    createsPerUser: Rate;
    createsPerWorkspace: Rate;
    maxPerWorkspace: number;
    /** An empty room that never had a message is deleted after this long idle; 0: never. */
    idleTtlSeconds: number;
  };
  /** Limits per client address; a limit of 0 is off. */
  clients: {
    guestTokens: Rate | undefined;
    connections: Rate | undefined;
    maxConnectionsPerAddress: number;
    /** Peers whose `addressHeader` is believed; from anyone else the header is ignored. */
    trustedProxies: string[];
    addressHeader: string;
  };
  log: { level: (typeof LOG_LEVELS)[number] };
  shutdownTimeoutMs: number;
  /**
   * On SIGTERM, how long to keep serving with /readyz answering 503 before telling clients and
   * closing: the time a load balancer needs to stop sending new connections here.
   */
  shutdownDrainMs: number;
  /** Unique per running process: presence entries carry it so survivors can clean up after it. */
  nodeId: string;
  workers: WorkersConfig;
  /** Set: nodes share stores and broadcasts through Redis. Unset: the embedded in-memory default. */
  redis?: RedisConfig;
  presence: {
    /** How long a dead node's presence may linger before survivors remove it. */
    ttlSeconds: number;
    /**
     * How long a user whose last connection dropped (not one who left) still counts as present:
     * a reload, or a move to another node during a drain, is then no departure and no arrival.
     */
    graceMs: number;
    /**
     * How long the users of a node that stopped or restarted (a deploy, a crash and a restart
     * with the same NODE_ID) have to come back before they leave: PRESENCE_TTL_SECONDS (how long
     * a crashed node's users may linger anyway), at least `graceMs`. Their clients reconnect
     * all at once, slowed by one another.
     */
    restartGraceMs: number;
    /**
     * Rooms with more users online than this send only their count (`room:updated`), not every
     * arrival and departure: presence traffic in a big room stays bounded as people come and go.
     */
    membersMax: number;
  };
  api: ApiConfig;
  webhooks: WebhookConfig;
  access: AccessConfig;
  metrics: MetricsConfig;
}

/** Several processes of this host serving one port (node:cluster; workers/). */
export interface WorkersConfig {
  /** How many worker processes a primary forks; 0: none, this process serves PORT itself. */
  count: number;
  /**
   * In a worker: which one it is (0-based), set by its primary. A worker's NODE_ID ends in
   * `-w<index>` and its METRICS_PORT is offset by the index, so no two workers share either.
   */
  index?: number;
}

export interface MetricsConfig {
  /** `GET /metrics` is served; off: 404 (the server still counts, for nobody). */
  enabled: boolean;
  /** Set: `/metrics` needs `Authorization: Bearer <key>`. */
  key?: string;
  /**
   * Set: `/metrics` is served on this port (same HOST) by a listener of its own, and the public
   * port answers 404 for it — for a scrape network that clients cannot reach.
   */
  port?: number;
}

export interface ApiKeyConfig {
  name: string;
  key: string;
  workspaces: '*' | string[];
}

export interface ApiConfig {
  keys: ApiKeyConfig[];
  /** Names of keys that are known but no longer accepted (answered "revoked", not "unknown"). */
  revoked: string[];
  ratePerSecond: number;
  burst: number;
}

export interface WebhookConfig {
  /** Every event goes to each of these endpoints. Empty: webhooks are off. */
  urls: string[];
  /** Signs each body (HMAC-SHA256), so receivers can tell Parley's calls from forgeries. */
  secret: string;
  timeoutMs: number;
  /** Attempts per event and endpoint before it is given up (and logged). */
  maxAttempts: number;
  /** The first retry waits this long; each next one twice as long (capped). */
  retryBaseMs: number;
  /** Presence events (member.*, room.occupied/vacated) wait this long to be cancelled by their
   * opposite (a join and a leave of the same user and room); 0: sent at once. */
  presenceCoalesceMs: number;
  /** Presence events one user may cause per minute (per node); more are dropped and counted. */
  presenceEventsPerUserPerMinute: number;
}

export interface AccessConfig {
  /** Who may create rooms (`room:create`, or `room:join` of a new name): anyone, or admins. */
  roomCreation: 'anyone' | 'admins';
  /** The team's backend, asked about private rooms nobody else admits the user to. */
  joinHook?: {
    url: string;
    /** Signs each call like webhooks (`X-Parley-Signature`). */
    secret: string;
    timeoutMs: number;
    /** How long an answer holds for the same user and room; 0: ask every time. */
    cacheSeconds: number;
  };
  /**
   * Tokens signed by the team's identity provider, beside HS256 with the shared secret: keys
   * from a JWKS URL or one PEM public key, these algorithms only, and `iss` / `aud` when set.
   */
  identityProvider?: {
    jwksUrl?: string;
    publicKey?: string;
    algorithms: string[];
    issuer?: string;
    audience?: string;
  };
}

/** A Redis server as Sentinel and Cluster name them. */
export interface RedisNode {
  host: string;
  port: number;
}

/** Where Redis is: one server, a master found through Sentinel, or a Redis Cluster. */
export type RedisTopology =
  | { kind: 'standalone'; url: string }
  /** `url`, when set, gives the credentials, database and TLS of the data nodes. */
  | { kind: 'sentinel'; sentinels: RedisNode[]; masterName: string; url?: string }
  | { kind: 'cluster'; nodes: RedisNode[]; url?: string };

export interface RedisConfig {
  topology: RedisTopology;
  /** Prepended to every key and channel, so several deployments can share one Redis. */
  keyPrefix: string;
  /** SSUBSCRIBE/SPUBLISH (Redis 7, Redis Cluster) instead of classic pub/sub. */
  shardedPubSub: boolean;
  /** A store call that gets no answer within this fails as `unavailable` instead of hanging. */
  commandTimeoutMs: number;
  /**
   * Acknowledge (and announce) a message only once this many replicas have it (WAIT), waiting at
   * most `timeoutMs`: a failover then never loses an acknowledged message nor reuses its seq.
   */
  replication?: { replicas: number; timeoutMs: number };
}

export interface LoadedConfig {
  config: ParleyConfig;
  /** Things an operator must hear about but that do not stop the server. */
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Outside production, browsers may connect from the web app's dev server (port 3000) at every
 * name this machine answers to: localhost, loopback, its network addresses (a phone on the same
 * network) and its host name.
 */
function developmentOrigins(): string[] {
  const hosts = ['localhost', ...devHosts(networkInterfaces(), hostname())];
  return hosts.map((host) => `http://${host}:3000`);
}

/** Parses an environment into a config; throws one `ConfigError` listing every problem. */
export function parseConfig(environment: Environment): LoadedConfig {
  // Empty strings mean "unset", as in most .env tooling.
  const cleaned = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(describeIssues(parsed.error, 'environment'));
  }
  const env = parsed.data;
  const warnings: string[] = [];
  const problems: string[] = [];

  let secret = env.PARLEY_AUTH_SECRET;
  if (!secret) {
    if (env.NODE_ENV === 'production') {
      problems.push('PARLEY_AUTH_SECRET: required when NODE_ENV=production');
    } else {
      warnings.push(
        'PARLEY_AUTH_SECRET is not set: using the public development secret. Anyone can mint tokens for this server. Set PARLEY_AUTH_SECRET before exposing it.',
      );
    }
    secret = DEVELOPMENT_AUTH_SECRET;
  }
  // Every bucket: a burst below the sustained rate could never be used up to that rate.
  const rate = <P extends keyof Env, B extends keyof Env>(perName: P, burstName: B, per = 1) => {
    const perSecond = (env[perName] as number) / per;
    const burst = env[burstName] as number;
    if (burst < (env[perName] as number)) {
      problems.push(`${String(burstName)}: must be at least ${String(perName)}`);
    }
    return { perSecond, burst };
  };
  const optionalRate = <P extends keyof Env, B extends keyof Env>(per: P, burst: B, unit = 1) =>
    env[per] === 0 ? undefined : rate(per, burst, unit);
  const sendRates = {
    sender: rate('RATE_MESSAGES_PER_SECOND', 'RATE_MESSAGES_BURST'),
    room: rate('RATE_ROOM_MESSAGES_PER_SECOND', 'RATE_ROOM_MESSAGES_BURST'),
  };
  const events = rate('RATE_EVENTS_PER_SECOND', 'RATE_EVENTS_BURST');
  const typing = rate('RATE_TYPING_PER_SECOND', 'RATE_TYPING_BURST');
  const roomCreates = {
    createsPerUser: rate('RATE_ROOM_CREATES_PER_MINUTE', 'RATE_ROOM_CREATES_BURST', 60),
    createsPerWorkspace: rate(
      'RATE_WORKSPACE_ROOM_CREATES_PER_MINUTE',
      'RATE_WORKSPACE_ROOM_CREATES_BURST',
      60,
    ),
  };
  const guestTokens = optionalRate('RATE_GUEST_TOKENS_PER_MINUTE', 'RATE_GUEST_TOKENS_BURST', 60);
  const connections = optionalRate('RATE_CONNECTIONS_PER_SECOND', 'RATE_CONNECTIONS_BURST');
  rate('RATE_API_PER_SECOND', 'RATE_API_BURST');
  for (const proxy of env.TRUSTED_PROXIES) {
    if (!isAddressOrSubnet(proxy)) {
      problems.push(`TRUSTED_PROXIES: "${proxy}" is not an IP address or CIDR subnet`);
    }
  }
  if (env.GUEST_TOKEN_TTL_SECONDS > env.TOKEN_MAX_TTL_SECONDS) {
    problems.push('GUEST_TOKEN_TTL_SECONDS: must be at most TOKEN_MAX_TTL_SECONDS');
  }
  if (env.WEBHOOK_URLS.length > 0 && !env.WEBHOOK_SECRET) {
    problems.push('WEBHOOK_SECRET: required when WEBHOOK_URLS is set');
  }
  const joinHookSecret = env.JOIN_HOOK_SECRET ?? env.WEBHOOK_SECRET;
  if (env.JOIN_HOOK_URL && !joinHookSecret) {
    problems.push('JOIN_HOOK_SECRET: required when JOIN_HOOK_URL is set (or set WEBHOOK_SECRET)');
  }
  if (
    env.REDIS_WAIT_TIMEOUT_MS !== undefined &&
    env.REDIS_WAIT_TIMEOUT_MS >= env.REDIS_COMMAND_TIMEOUT_MS
  ) {
    problems.push('REDIS_WAIT_TIMEOUT_MS: must be less than REDIS_COMMAND_TIMEOUT_MS');
  }
  if (env.REDIS_SENTINELS && env.REDIS_CLUSTER_NODES) {
    problems.push(
      'REDIS_CLUSTER_NODES: set either REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both',
    );
  }
  if (env.TOKEN_JWKS_URL && env.TOKEN_PUBLIC_KEY) {
    problems.push('TOKEN_PUBLIC_KEY: set either TOKEN_JWKS_URL or TOKEN_PUBLIC_KEY, not both');
  }
  // Settings of an identity provider that is not configured would do nothing: say so.
  if (!env.TOKEN_JWKS_URL && !env.TOKEN_PUBLIC_KEY) {
    for (const name of ['TOKEN_ALGORITHMS', 'TOKEN_ISSUER', 'TOKEN_AUDIENCE'] as const) {
      if (cleaned[name] !== undefined) {
        problems.push(
          `${name}: applies to identity-provider tokens only: set TOKEN_JWKS_URL or TOKEN_PUBLIC_KEY`,
        );
      }
    }
  }
  if (!env.METRICS && env.METRICS_KEY) {
    warnings.push('METRICS_KEY is set but METRICS=false: /metrics is not served.');
  }
  const workers = parseWorkers(env, problems, warnings);
  const keyNames = env.PARLEY_API_KEYS.map((key) => key.name);
  if (new Set(keyNames).size !== keyNames.length) {
    problems.push('PARLEY_API_KEYS: key names must be unique');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const topology: RedisTopology | undefined = env.REDIS_SENTINELS
    ? {
        kind: 'sentinel',
        sentinels: env.REDIS_SENTINELS,
        masterName: env.REDIS_SENTINEL_MASTER,
        url: env.REDIS_URL,
      }
    : env.REDIS_CLUSTER_NODES
      ? { kind: 'cluster', nodes: env.REDIS_CLUSTER_NODES, url: env.REDIS_URL }
      : env.REDIS_URL
        ? { kind: 'standalone', url: env.REDIS_URL }
        : undefined;

  const corsOrigins =
    env.CORS_ORIGINS ?? (env.NODE_ENV === 'production' ? [] : developmentOrigins());
  if (env.NODE_ENV === 'production' && corsOrigins.length === 0) {
    warnings.push('CORS_ORIGINS is empty: browsers on other origins cannot connect.');
  }

  return {
    warnings,
    config: {
      env: env.NODE_ENV,
      http: { port: env.PORT, host: env.HOST, corsOrigins, originCheck: env.ORIGIN_CHECK },
      auth: {
        secret,
        guestTokens: env.GUEST_TOKENS,
        guestTokenTtlSeconds: env.GUEST_TOKEN_TTL_SECONDS,
        maxTtlSeconds: env.TOKEN_MAX_TTL_SECONDS,
      },
      transports: env.TRANSPORTS,
      fastPath: env.FAST_PATH,
      limits: {
        sendRates,
        events,
        typing,
        packetMaxBytes: env.MAX_PACKET_BYTES,
        bufferedBytesPerConnection: env.MAX_BUFFERED_BYTES,
        historyRetention: env.HISTORY_RETENTION,
        roomsPerConnection: env.MAX_ROOMS_PER_SOCKET,
      },
      rooms: {
        ...roomCreates,
        maxPerWorkspace: env.MAX_ROOMS_PER_WORKSPACE,
        idleTtlSeconds: env.ROOM_IDLE_TTL_SECONDS,
      },
      clients: {
        guestTokens,
        connections,
        maxConnectionsPerAddress: env.MAX_CONNECTIONS_PER_ADDRESS,
        trustedProxies: env.TRUSTED_PROXIES,
        addressHeader: env.CLIENT_ADDRESS_HEADER,
      },
      log: { level: env.LOG_LEVEL },
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      shutdownDrainMs: env.SHUTDOWN_DRAIN_MS ?? (env.NODE_ENV === 'production' ? 5000 : 0),
      nodeId: withWorkerSuffix(env.NODE_ID ?? defaultNodeId(hostname(), workers), workers),
      workers,
      redis: topology
        ? {
            topology,
            keyPrefix: env.REDIS_KEY_PREFIX,
            shardedPubSub: env.REDIS_SHARDED_PUBSUB ?? topology.kind === 'cluster',
            commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
            ...(env.REDIS_WAIT_REPLICAS > 0 && {
              replication: {
                replicas: env.REDIS_WAIT_REPLICAS,
                // Within the command deadline, so the write is answered by WAIT, not by it.
                timeoutMs:
                  env.REDIS_WAIT_TIMEOUT_MS ??
                  Math.max(1, Math.floor(env.REDIS_COMMAND_TIMEOUT_MS / 2)),
              },
            }),
          }
        : undefined,
      presence: {
        ttlSeconds: env.PRESENCE_TTL_SECONDS,
        graceMs: env.PRESENCE_GRACE_MS,
        restartGraceMs: Math.max(env.PRESENCE_GRACE_MS, env.PRESENCE_TTL_SECONDS * 1000),
        membersMax: env.PRESENCE_MEMBERS_MAX,
      },
      api: {
        keys: env.PARLEY_API_KEYS,
        revoked: env.PARLEY_API_KEYS_REVOKED,
        ratePerSecond: env.RATE_API_PER_SECOND,
        burst: env.RATE_API_BURST,
      },
      webhooks: {
        urls: env.WEBHOOK_URLS,
        secret: env.WEBHOOK_SECRET ?? '',
        timeoutMs: env.WEBHOOK_TIMEOUT_MS,
        maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
        retryBaseMs: env.WEBHOOK_RETRY_BASE_MS,
        presenceCoalesceMs: env.WEBHOOK_PRESENCE_COALESCE_MS,
        presenceEventsPerUserPerMinute: env.WEBHOOK_PRESENCE_EVENTS_PER_MINUTE,
      },
      access: {
        roomCreation: env.ROOM_CREATION,
        joinHook:
          env.JOIN_HOOK_URL && joinHookSecret
            ? {
                url: env.JOIN_HOOK_URL,
                secret: joinHookSecret,
                timeoutMs: env.JOIN_HOOK_TIMEOUT_MS,
                cacheSeconds: env.JOIN_HOOK_CACHE_SECONDS,
              }
            : undefined,
        identityProvider:
          env.TOKEN_JWKS_URL || env.TOKEN_PUBLIC_KEY
            ? {
                jwksUrl: env.TOKEN_JWKS_URL,
                publicKey: env.TOKEN_PUBLIC_KEY,
                algorithms: env.TOKEN_ALGORITHMS,
                issuer: env.TOKEN_ISSUER,
                audience: env.TOKEN_AUDIENCE,
              }
            : undefined,
      },
      metrics: {
        enabled: env.METRICS,
        key: env.METRICS_KEY,
        // 0 (any free port) stays 0 in every worker.
        port:
          env.METRICS_PORT === undefined || env.METRICS_PORT === 0
            ? env.METRICS_PORT
            : env.METRICS_PORT + (workers.index ?? 0),
      },
    },
  };
}

/**
 * PARLEY_WORKERS, and what it needs: processes that share nothing in memory can share rooms,
 * presence and history only through Redis; every worker needs a NODE_ID and METRICS_PORT of its
 * own, derived from the configured ones.
 */
function parseWorkers(env: Env, problems: string[], warnings: string[]): WorkersConfig {
  const auto = env.PARLEY_WORKERS === 'auto';
  const count = auto ? workersForAuto() : Number(env.PARLEY_WORKERS);
  const redis = env.REDIS_URL || env.REDIS_SENTINELS || env.REDIS_CLUSTER_NODES;
  // `auto` is refused without Redis even on a one-core host, where it would start one worker:
  // whether a configuration starts must not depend on the machine it lands on.
  if ((auto || count > 1) && !redis) {
    problems.push(
      'PARLEY_WORKERS: more than one worker process needs Redis (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES): in-memory rooms, presence and history cannot be shared between processes',
    );
  }
  if (count === 0) return { count };
  const suffix = workerSuffix(count - 1);
  if (env.NODE_ID && env.NODE_ID.length + suffix.length > NODE_ID_MAX) {
    problems.push(
      `NODE_ID: at most ${NODE_ID_MAX - suffix.length} characters with PARLEY_WORKERS=${env.PARLEY_WORKERS} (each worker appends "${suffix}")`,
    );
  }
  if (env.METRICS_PORT && env.METRICS_PORT + count - 1 > 65_535) {
    problems.push(`METRICS_PORT: worker ${count - 1} would listen on a port above 65535`);
  }
  if (env.METRICS_PORT && env.PORT >= env.METRICS_PORT && env.PORT < env.METRICS_PORT + count) {
    problems.push(
      `METRICS_PORT: workers listen on ${env.METRICS_PORT}-${env.METRICS_PORT + count - 1}, which includes PORT`,
    );
  }
  if (count > 1 && env.METRICS && env.METRICS_PORT === undefined) {
    warnings.push(
      'PARLEY_WORKERS: /metrics on PORT answers for whichever worker takes the connection; set METRICS_PORT to scrape each worker on a port of its own (METRICS_PORT + its index).',
    );
  }
  return env.PARLEY_WORKER_INDEX === undefined
    ? { count }
    : { count, index: env.PARLEY_WORKER_INDEX };
}

function workerSuffix(index: number): string {
  return `-w${index}`;
}

/** The most characters a NODE_ID may have (Redis keys and the operations overview carry it). */
const NODE_ID_MAX = 64;

/**
 * A node id made up when NODE_ID is unset: the host's name and 8 random hex digits, the name
 * cut (and anything outside NODE_ID's characters made "-") so the id, with the longest worker
 * suffix the workers append to it, is still a NODE_ID: a 60-character pod name once made
 * every worker refuse its own id, restarted again and again.
 */
export function defaultNodeId(host: string, workers: Pick<WorkersConfig, 'count'>): string {
  const suffixLength = workers.count > 0 ? workerSuffix(workers.count - 1).length : 0;
  const random = randomUUID().slice(0, 8);
  const room = NODE_ID_MAX - suffixLength - random.length - 1;
  const name = host.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, Math.max(0, room));
  return name ? `${name}-${random}` : random;
}

function withWorkerSuffix(nodeId: string, workers: WorkersConfig): string {
  return workers.index === undefined ? nodeId : `${nodeId}${workerSuffix(workers.index)}`;
}

/** `10.0.0.1`, `::1`, `10.0.0.0/8` or `fd00::/8`. */
function isAddressOrSubnet(value: string): boolean {
  const [address = '', bits, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const prefix = Number(bits);
  return /^\d+$/.test(bits) && prefix <= (family === 4 ? 32 : 128);
}

export function loadConfigFromEnvironment(): LoadedConfig {
  return parseConfig(process.env);
}

/** For entry points: the config, or the list of problems on stderr and exit status 1. */
export function loadConfigOrExit(): LoadedConfig {
  try {
    return loadConfigFromEnvironment();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
