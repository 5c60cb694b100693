import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { LIMITS } from '@parley/protocol';
import { z } from 'zod';

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

const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

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
  // A bucket per user per room (a channel's slow mode), so the history store's append script
  // can take it in the same round trip as the message.
  RATE_MESSAGES_PER_SECOND: positiveInt(LIMITS.messagesPerSecond),
  RATE_MESSAGES_BURST: positiveInt(LIMITS.messageBurst),
  RATE_EVENTS_PER_SECOND: positiveInt(50),
  RATE_EVENTS_BURST: positiveInt(100),
  MAX_PACKET_BYTES: positiveInt(LIMITS.packetMaxBytes),
  HISTORY_RETENTION: positiveInt(LIMITS.historyRetention),
  MAX_ROOMS_PER_SOCKET: positiveInt(LIMITS.roomsPerSocketMax),
  SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })
    .optional(),
  REDIS_KEY_PREFIX: z.string().max(64).default('parley:'),
  REDIS_SHARDED_PUBSUB: flag.default(false),
  REDIS_COMMAND_TIMEOUT_MS: positiveInt(1000),
  // Below 3 s a heartbeat every TTL/3 would be too tight to survive a short pause.
  PRESENCE_TTL_SECONDS: z.coerce.number().int().min(3).default(30),
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
});

export type Environment = Record<string, string | undefined>;

export interface ParleyConfig {
  env: 'development' | 'production' | 'test';
  http: { port: number; host: string; corsOrigins: string[] };
  auth: { secret: string; guestTokens: boolean; guestTokenTtlSeconds: number };
  transports: ('websocket' | 'polling')[];
  limits: {
    messagesPerSecond: number;
    messageBurst: number;
    eventsPerSecond: number;
    eventBurst: number;
    packetMaxBytes: number;
    historyRetention: number;
    roomsPerSocket: number;
  };
  log: { level: (typeof LOG_LEVELS)[number] };
  shutdownTimeoutMs: number;
  /** Unique per running process: presence entries carry it so survivors can clean up after it. */
  nodeId: string;
  /** Set: nodes share stores and broadcasts through Redis. Unset: the embedded in-memory default. */
  redis?: RedisConfig;
  presence: {
    /** How long a dead node's presence may linger before survivors remove it. */
    ttlSeconds: number;
  };
  api: ApiConfig;
  webhooks: WebhookConfig;
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
}

export interface RedisConfig {
  url: string;
  /** Prepended to every key and channel, so several deployments can share one Redis. */
  keyPrefix: string;
  /** SSUBSCRIBE/SPUBLISH (Redis 7, Redis Cluster) instead of classic pub/sub. */
  shardedPubSub: boolean;
  /** A store call that gets no answer within this fails as `unavailable` instead of hanging. */
  commandTimeoutMs: number;
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

const DEVELOPMENT_ORIGINS = ['http://localhost:3000', 'http://127.0.0.1:3000'];

/** Parses an environment into a config; throws one `ConfigError` listing every problem. */
export function parseConfig(environment: Environment): LoadedConfig {
  // Empty strings mean "unset", as in most .env tooling.
  const cleaned = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`,
      ),
    );
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
  if (env.RATE_MESSAGES_BURST < env.RATE_MESSAGES_PER_SECOND) {
    problems.push('RATE_MESSAGES_BURST: must be at least RATE_MESSAGES_PER_SECOND');
  }
  if (env.RATE_EVENTS_BURST < env.RATE_EVENTS_PER_SECOND) {
    problems.push('RATE_EVENTS_BURST: must be at least RATE_EVENTS_PER_SECOND');
  }
  if (env.WEBHOOK_URLS.length > 0 && !env.WEBHOOK_SECRET) {
    problems.push('WEBHOOK_SECRET: required when WEBHOOK_URLS is set');
  }
  if (env.RATE_API_BURST < env.RATE_API_PER_SECOND) {
    problems.push('RATE_API_BURST: must be at least RATE_API_PER_SECOND');
  }
  const keyNames = env.PARLEY_API_KEYS.map((key) => key.name);
  if (new Set(keyNames).size !== keyNames.length) {
    problems.push('PARLEY_API_KEYS: key names must be unique');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const corsOrigins =
    env.CORS_ORIGINS ?? (env.NODE_ENV === 'production' ? [] : DEVELOPMENT_ORIGINS);
  if (env.NODE_ENV === 'production' && corsOrigins.length === 0) {
    warnings.push('CORS_ORIGINS is empty: browsers on other origins cannot connect.');
  }

  return {
    warnings,
    config: {
      env: env.NODE_ENV,
      http: { port: env.PORT, host: env.HOST, corsOrigins },
      auth: {
        secret,
        guestTokens: env.GUEST_TOKENS,
        guestTokenTtlSeconds: env.GUEST_TOKEN_TTL_SECONDS,
      },
      transports: env.TRANSPORTS,
      limits: {
        messagesPerSecond: env.RATE_MESSAGES_PER_SECOND,
        messageBurst: env.RATE_MESSAGES_BURST,
        eventsPerSecond: env.RATE_EVENTS_PER_SECOND,
        eventBurst: env.RATE_EVENTS_BURST,
        packetMaxBytes: env.MAX_PACKET_BYTES,
        historyRetention: env.HISTORY_RETENTION,
        roomsPerSocket: env.MAX_ROOMS_PER_SOCKET,
      },
      log: { level: env.LOG_LEVEL },
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      nodeId: env.NODE_ID ?? `${hostname()}-${randomUUID().slice(0, 8)}`,
      redis: env.REDIS_URL
        ? {
            url: env.REDIS_URL,
            keyPrefix: env.REDIS_KEY_PREFIX,
            shardedPubSub: env.REDIS_SHARDED_PUBSUB,
            commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
          }
        : undefined,
      presence: { ttlSeconds: env.PRESENCE_TTL_SECONDS },
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
      },
    },
  };
}

export function loadConfigFromEnvironment(): LoadedConfig {
  return parseConfig(process.env);
}
