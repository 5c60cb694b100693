import { hostname, networkInterfaces } from 'node:os';
import { devHosts } from '@parley/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEVELOPMENT_AUTH_SECRET, defaultNodeId, parseConfig } from './config';
import { workersForAuto } from './workers/cpu-budget';

const SECRET = 's'.repeat(32);

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('has working defaults for development, with a loud warning about the secret', () => {
    const { config, warnings } = parseConfig({});
    expect(config.http).toMatchObject({ port: 3001, host: '0.0.0.0', originCheck: true });
    // The web app's dev server at every name of this machine: a phone on the network included.
    const machine = devHosts(networkInterfaces(), hostname()).map((host) => `http://${host}:3000`);
    expect(config.http.corsOrigins).toEqual(['http://localhost:3000', ...machine]);
    expect(config.http.corsOrigins).toContain('http://127.0.0.1:3000');
    expect(
      parseConfig({ NODE_ENV: 'production', PARLEY_AUTH_SECRET: 'x'.repeat(32) }).config.http
        .corsOrigins,
    ).toEqual([]);
    expect(config.auth.secret).toBe(DEVELOPMENT_AUTH_SECRET);
    expect(config.auth.guestTokens).toBe(true);
    expect(config.limits).toMatchObject({
      sendRates: { sender: { perSecond: 10, burst: 20 }, room: { perSecond: 50, burst: 100 } },
      events: { perSecond: 50, burst: 100 },
      typing: { perSecond: 5, burst: 10 },
      packetMaxBytes: 65536,
      bufferedBytesPerConnection: 1024 * 1024,
      roomsPerConnection: 100,
    });
    expect(config.rooms).toEqual({
      createsPerUser: { perSecond: 10 / 60, burst: 20 },
      createsPerWorkspace: { perSecond: 300 / 60, burst: 600 },
      maxPerWorkspace: 10_000,
      idleTtlSeconds: 86_400,
    });
    expect(config.clients).toEqual({
      guestTokens: { perSecond: 20 / 60, burst: 40 },
      connections: { perSecond: 20, burst: 100 },
      maxConnectionsPerAddress: 256,
      trustedProxies: [],
      addressHeader: 'x-forwarded-for',
    });
    expect(config.http.originCheck).toBe(true);
    expect(config.auth.maxTtlSeconds).toBe(30 * 24 * 3600);
    expect(config.fastPath).toBe(true);
    expect(warnings.join()).toMatch(/PARLEY_AUTH_SECRET is not set/);
  });

  it('refuses production without a secret', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'PARLEY_AUTH_SECRET: required when NODE_ENV=production',
    ]);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({
      PORT: '70000',
      PARLEY_AUTH_SECRET: 'short',
      GUEST_TOKENS: 'maybe',
      TRANSPORTS: 'carrier-pigeon',
      FAST_PATH: 'fastest',
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining([
        'PORT',
        'PARLEY_AUTH_SECRET',
        'GUEST_TOKENS',
        'TRANSPORTS.0',
        'FAST_PATH',
      ]),
    );
    expect(problems).toHaveLength(5);
  });

  it('parses lists, flags and limits', () => {
    const { config, warnings } = parseConfig({
      PARLEY_AUTH_SECRET: SECRET,
      CORS_ORIGINS: 'https://a.example, https://b.example',
      GUEST_TOKENS: 'off',
      TRANSPORTS: 'websocket',
      FAST_PATH: 'false',
      RATE_MESSAGES_PER_SECOND: '5',
      RATE_MESSAGES_BURST: '8',
      PORT: '',
    });
    expect(warnings).toEqual([]);
    expect(config.http.port).toBe(3001);
    expect(config.http.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.auth.guestTokens).toBe(false);
    expect(config.transports).toEqual(['websocket']);
    expect(config.fastPath).toBe(false);
    expect(config.limits.sendRates.sender).toEqual({ perSecond: 5, burst: 8 });
  });

  it('refuses a burst smaller than the rate, for every bucket', () => {
    expect(problemsOf({ RATE_MESSAGES_PER_SECOND: '10', RATE_MESSAGES_BURST: '5' })).toEqual([
      'RATE_MESSAGES_BURST: must be at least RATE_MESSAGES_PER_SECOND',
    ]);
    expect(
      problemsOf({
        RATE_ROOM_CREATES_PER_MINUTE: '30',
        RATE_ROOM_CREATES_BURST: '10',
        RATE_TYPING_PER_SECOND: '9',
        RATE_TYPING_BURST: '3',
      }),
    ).toEqual([
      'RATE_TYPING_BURST: must be at least RATE_TYPING_PER_SECOND',
      'RATE_ROOM_CREATES_BURST: must be at least RATE_ROOM_CREATES_PER_MINUTE',
    ]);
  });

  it('turns the per-address limits off with 0, and checks the trusted proxies', () => {
    const { config } = parseConfig({
      RATE_GUEST_TOKENS_PER_MINUTE: '0',
      RATE_CONNECTIONS_PER_SECOND: '0',
      MAX_CONNECTIONS_PER_ADDRESS: '0',
      TRUSTED_PROXIES: '10.0.0.0/8, ::1, 192.168.1.7',
      CLIENT_ADDRESS_HEADER: 'X-Real-IP',
      ORIGIN_CHECK: 'off',
    });
    expect(config.clients).toMatchObject({
      guestTokens: undefined,
      connections: undefined,
      maxConnectionsPerAddress: 0,
      trustedProxies: ['10.0.0.0/8', '::1', '192.168.1.7'],
      addressHeader: 'x-real-ip',
    });
    expect(config.http.originCheck).toBe(false);
    expect(problemsOf({ TRUSTED_PROXIES: '10.0.0.0/33,nginx,fd00::/129' })).toEqual([
      'TRUSTED_PROXIES: "10.0.0.0/33" is not an IP address or CIDR subnet',
      'TRUSTED_PROXIES: "nginx" is not an IP address or CIDR subnet',
      'TRUSTED_PROXIES: "fd00::/129" is not an IP address or CIDR subnet',
    ]);
    expect(problemsOf({ GUEST_TOKEN_TTL_SECONDS: '9999999' })).toEqual([
      'GUEST_TOKEN_TTL_SECONDS: must be at most TOKEN_MAX_TTL_SECONDS',
    ]);
  });

  it('runs embedded (no Redis) unless REDIS_URL is set, with a presence TTL of 30 s and a grace of 3 s', () => {
    const { config } = parseConfig({});
    expect(config.redis).toBeUndefined();
    expect(config.presence).toEqual({
      ttlSeconds: 30,
      graceMs: 3000,
      restartGraceMs: 30_000,
      membersMax: 100,
    });
    // No drain in development; 5 s in production, where a load balancer polls /readyz.
    expect(config.shutdownDrainMs).toBe(0);
    expect(
      parseConfig({ NODE_ENV: 'production', PARLEY_AUTH_SECRET: 'x'.repeat(32) }).config
        .shutdownDrainMs,
    ).toBe(5000);
    expect(parseConfig({ SHUTDOWN_DRAIN_MS: '1500' }).config.shutdownDrainMs).toBe(1500);
    expect(config.nodeId).toMatch(/.+-[0-9a-f]{8}$/);
    expect(parseConfig({}).config.nodeId).not.toBe(config.nodeId);
  });

  it('parses the Redis settings', () => {
    const { config } = parseConfig({
      REDIS_URL: 'redis://cache.internal:6380/0',
      REDIS_KEY_PREFIX: 'chat:',
      REDIS_SHARDED_PUBSUB: 'true',
      PRESENCE_TTL_SECONDS: '12',
      NODE_ID: 'web-1',
    });
    expect(config.redis).toEqual({
      topology: { kind: 'standalone', url: 'redis://cache.internal:6380/0' },
      keyPrefix: 'chat:',
      shardedPubSub: true,
      commandTimeoutMs: 1000,
    });
    expect(config.presence.ttlSeconds).toBe(12);
    expect(config.nodeId).toBe('web-1');
    expect(parseConfig({ REDIS_URL: 'rediss://x:6379' }).config.redis).toMatchObject({
      keyPrefix: 'parley:',
      shardedPubSub: false,
    });
  });

  it('finds Redis through Sentinel or as a Cluster, with REDIS_URL giving the credentials', () => {
    const sentinel = parseConfig({
      REDIS_SENTINELS: 'sentinel-a:26379, sentinel-b:26380,10.0.0.7:26379',
      REDIS_SENTINEL_MASTER: 'chat',
      REDIS_URL: 'rediss://parley:secret@ignored:6379/2',
      REDIS_WAIT_REPLICAS: '1',
    }).config.redis;
    expect(sentinel).toMatchObject({
      topology: {
        kind: 'sentinel',
        masterName: 'chat',
        url: 'rediss://parley:secret@ignored:6379/2',
        sentinels: [
          { host: 'sentinel-a', port: 26379 },
          { host: 'sentinel-b', port: 26380 },
          { host: '10.0.0.7', port: 26379 },
        ],
      },
      shardedPubSub: false,
      replication: { replicas: 1, timeoutMs: 500 },
    });
    expect(parseConfig({ REDIS_SENTINELS: 's:26379' }).config.redis?.topology).toEqual({
      kind: 'sentinel',
      sentinels: [{ host: 's', port: 26379 }],
      masterName: 'mymaster',
      url: undefined,
    });
    const cluster = parseConfig({ REDIS_CLUSTER_NODES: 'r1:7000,r2:7001' }).config.redis;
    expect(cluster).toMatchObject({
      topology: {
        kind: 'cluster',
        nodes: [
          { host: 'r1', port: 7000 },
          { host: 'r2', port: 7001 },
        ],
      },
      // Classic pub/sub is broadcast to every shard of a cluster: sharded is the default there.
      shardedPubSub: true,
    });
    expect(
      parseConfig({ REDIS_CLUSTER_NODES: 'r1:7000', REDIS_SHARDED_PUBSUB: 'false' }).config.redis
        ?.shardedPubSub,
    ).toBe(false);
    expect(problemsOf({ REDIS_SENTINELS: 'a:1,b' })).toEqual([
      'REDIS_SENTINELS.1: must be host:port',
    ]);
    expect(problemsOf({ REDIS_URL: 'redis://r', REDIS_WAIT_TIMEOUT_MS: '1000' })).toEqual([
      'REDIS_WAIT_TIMEOUT_MS: must be less than REDIS_COMMAND_TIMEOUT_MS',
    ]);
    expect(
      problemsOf({ REDIS_SENTINELS: 'a:1', REDIS_CLUSTER_NODES: 'r1:7000' }).map(
        (p) => p.split(':')[0],
      ),
    ).toEqual(['REDIS_CLUSTER_NODES']);
  });

  it('refuses a Redis URL of another scheme, a too short presence TTL and a bad node id', () => {
    const problems = problemsOf({
      REDIS_URL: 'http://cache:6379',
      PRESENCE_TTL_SECONDS: '1',
      NODE_ID: 'two words',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'NODE_ID',
      'PRESENCE_TTL_SECONDS',
      'REDIS_URL',
    ]);
  });

  it('has webhooks off by default, with retries of 10 attempts from 1 s and a 5 s timeout', () => {
    expect(parseConfig({}).config.webhooks).toEqual({
      urls: [],
      secret: '',
      timeoutMs: 5000,
      maxAttempts: 10,
      retryBaseMs: 1000,
      presenceCoalesceMs: 1000,
      presenceEventsPerUserPerMinute: 60,
    });
  });

  it('parses the webhook settings', () => {
    const { config } = parseConfig({
      WEBHOOK_URLS: 'https://hooks.example.com/parley, http://10.0.0.5:8080/events',
      WEBHOOK_SECRET: 'whsec-0123456789abcdef',
      WEBHOOK_TIMEOUT_MS: '2500',
      WEBHOOK_MAX_ATTEMPTS: '4',
      WEBHOOK_RETRY_BASE_MS: '250',
    });
    expect(config.webhooks).toEqual({
      urls: ['https://hooks.example.com/parley', 'http://10.0.0.5:8080/events'],
      secret: 'whsec-0123456789abcdef',
      timeoutMs: 2500,
      maxAttempts: 4,
      retryBaseMs: 250,
      presenceCoalesceMs: 1000,
      presenceEventsPerUserPerMinute: 60,
    });
  });

  it('refuses webhook URLs without a secret, other schemes, a short secret and zero attempts', () => {
    expect(problemsOf({ WEBHOOK_URLS: 'https://hooks.example.com/parley' })).toEqual([
      'WEBHOOK_SECRET: required when WEBHOOK_URLS is set',
    ]);
    const problems = problemsOf({
      WEBHOOK_URLS: 'ftp://hooks.example.com/parley',
      WEBHOOK_SECRET: 'short',
      WEBHOOK_MAX_ATTEMPTS: '0',
      WEBHOOK_TIMEOUT_MS: 'soon',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'WEBHOOK_MAX_ATTEMPTS',
      'WEBHOOK_SECRET',
      'WEBHOOK_TIMEOUT_MS',
      'WEBHOOK_URLS.0',
    ]);
  });

  it('parses the access settings, and refuses what could not work', () => {
    const { config } = parseConfig({
      ROOM_CREATION: 'admins',
      JOIN_HOOK_URL: 'https://app.example.com/parley/join',
      WEBHOOK_SECRET: 'whsec-0123456789abcdef',
      TOKEN_JWKS_URL: 'https://id.example.com/.well-known/jwks.json',
      TOKEN_ISSUER: 'https://id.example.com/',
    });
    expect(config.access).toMatchObject({
      roomCreation: 'admins',
      // The webhook secret signs join-hook calls when the hook has none of its own.
      joinHook: { secret: 'whsec-0123456789abcdef', timeoutMs: 2000, cacheSeconds: 30 },
      identityProvider: {
        issuer: 'https://id.example.com/',
        algorithms: ['RS256', 'ES256', 'EdDSA'],
      },
    });
    expect(problemsOf({ JOIN_HOOK_URL: 'https://app.example.com/join' })).toEqual([
      'JOIN_HOOK_SECRET: required when JOIN_HOOK_URL is set (or set WEBHOOK_SECRET)',
    ]);
    // Provider settings without a provider would be ignored: refused instead.
    const stray = problemsOf({ TOKEN_ISSUER: 'x', TOKEN_AUDIENCE: 'y', TOKEN_ALGORITHMS: 'RS256' });
    expect(stray.map((p) => p.split(':')[0]).sort()).toEqual([
      'TOKEN_ALGORITHMS',
      'TOKEN_AUDIENCE',
      'TOKEN_ISSUER',
    ]);
    const both = problemsOf({
      TOKEN_JWKS_URL: 'https://id.example.com/jwks',
      TOKEN_PUBLIC_KEY: 'k',
    });
    expect(both).toEqual([
      'TOKEN_PUBLIC_KEY: set either TOKEN_JWKS_URL or TOKEN_PUBLIC_KEY, not both',
    ]);
    expect(problemsOf({ TOKEN_ALGORITHMS: 'HS256', TOKEN_PUBLIC_KEY: 'k' })[0]).toMatch(
      /^TOKEN_ALGORITHMS/,
    );
  });

  it('serves metrics by default, without a key; METRICS=false turns them off', () => {
    expect(parseConfig({}).config.metrics).toEqual({ enabled: true, key: undefined });
    expect(parseConfig({ METRICS: 'false' }).config.metrics).toEqual({
      enabled: false,
      key: undefined,
    });
    const key = 'k'.repeat(16);
    expect(parseConfig({ METRICS_KEY: key }).config.metrics).toEqual({ enabled: true, key });
    expect(parseConfig({ METRICS_PORT: '9464' }).config.metrics.port).toBe(9464);
    expect(problemsOf({ METRICS_PORT: '70000' }).map((p) => p.split(':')[0])).toEqual([
      'METRICS_PORT',
    ]);
    // A key for metrics that are off does nothing: said, not refused.
    expect(parseConfig({ METRICS: 'off', METRICS_KEY: key }).warnings).toContainEqual(
      expect.stringMatching(/^METRICS_KEY is set but METRICS=false/),
    );
  });

  it('refuses a short metrics key, one with spaces and a METRICS that is not a flag', () => {
    const problems = problemsOf({ METRICS: 'maybe', METRICS_KEY: 'short' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['METRICS', 'METRICS_KEY']);
    expect(problemsOf({ METRICS_KEY: 'has spaces in it, sixteen+' })[0]).toMatch(/^METRICS_KEY/);
  });

  describe('PARLEY_WORKERS', () => {
    const REDIS = { REDIS_URL: 'redis://127.0.0.1:6379' };

    it('is off by default: this process serves the port alone', () => {
      expect(parseConfig({}).config.workers).toEqual({ count: 0 });
      expect(parseConfig({ PARLEY_WORKERS: '0' }).config.workers).toEqual({ count: 0 });
    });

    it('takes a count, or auto for every core the process may use', () => {
      expect(parseConfig({ ...REDIS, PARLEY_WORKERS: '4' }).config.workers).toEqual({ count: 4 });
      expect(parseConfig({ ...REDIS, PARLEY_WORKERS: 'auto' }).config.workers).toEqual({
        count: workersForAuto(),
      });
      expect(problemsOf({ ...REDIS, PARLEY_WORKERS: 'all' })[0]).toMatch(/^PARLEY_WORKERS/);
      expect(problemsOf({ ...REDIS, PARLEY_WORKERS: '-1' })[0]).toMatch(/^PARLEY_WORKERS/);
    });

    it('makes up a node id that fits NODE_ID with every worker suffix, whatever the host is called', () => {
      fc.assert(
        fc.property(
          fc.string({ unit: 'grapheme', maxLength: 300 }),
          fc.integer({ min: 0, max: 9999 }),
          (host, count) => {
            const id = defaultNodeId(host, { count });
            const longest = count > 0 ? `${id}-w${count - 1}` : id;
            expect(longest).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
            // As the primary hands it to each worker: accepted with the suffix to come.
            const env = { ...REDIS, NODE_ID: id, PARLEY_WORKERS: String(count) };
            expect(parseConfig(env).config.nodeId).toBe(id);
          },
        ),
      );
      // A pod name that fits is kept whole: the id still says which host it is.
      expect(defaultNodeId('parley-7d9f8c6b5-x2k4q', { count: 8 })).toMatch(
        /^parley-7d9f8c6b5-x2k4q-[0-9a-f]{8}$/,
      );
    });

    it('refuses more than one worker, or auto, without Redis: memory is not shared', () => {
      for (const workers of ['2', 'auto']) {
        expect(problemsOf({ PARLEY_WORKERS: workers })).toEqual([
          expect.stringMatching(
            /^PARLEY_WORKERS: more than one worker process needs Redis \(REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES\)/,
          ),
        ]);
      }
      // One worker under a primary shares nothing: it may keep its memory.
      expect(parseConfig({ PARLEY_WORKERS: '1' }).config.workers).toEqual({ count: 1 });
      for (const redis of [
        { REDIS_SENTINELS: 'localhost:26379' },
        { REDIS_CLUSTER_NODES: 'localhost:7000' },
      ]) {
        expect(parseConfig({ ...redis, PARLEY_WORKERS: '2' }).config.workers.count).toBe(2);
      }
    });

    it('gives each worker a NODE_ID and a METRICS_PORT of its own', () => {
      const worker = (index: string, env: Record<string, string> = {}) =>
        parseConfig({ ...REDIS, PARLEY_WORKERS: '3', PARLEY_WORKER_INDEX: index, ...env }).config;
      expect(worker('2', { NODE_ID: 'pod-a' }).nodeId).toBe('pod-a-w2');
      expect(worker('2', { NODE_ID: 'pod-a' }).workers).toEqual({ count: 3, index: 2 });
      expect(worker('0').nodeId).toMatch(/-w0$/);
      expect(worker('2', { METRICS_PORT: '9464' }).metrics.port).toBe(9466);
      // Any free port, in every worker.
      expect(worker('2', { METRICS_PORT: '0' }).metrics.port).toBe(0);
      // The primary (no index) keeps the configured ones.
      const primary = parseConfig({ ...REDIS, PARLEY_WORKERS: '3', NODE_ID: 'pod-a' }).config;
      expect(primary.nodeId).toBe('pod-a');
    });

    it('refuses a NODE_ID or METRICS_PORT the workers would overflow or collide with', () => {
      expect(
        problemsOf({ ...REDIS, PARLEY_WORKERS: '12', NODE_ID: 'n'.repeat(62) }).map(
          (p) => p.split(':')[0],
        ),
      ).toEqual(['NODE_ID']);
      expect(problemsOf({ ...REDIS, PARLEY_WORKERS: '4', METRICS_PORT: '65534' })).toEqual([
        expect.stringMatching(/^METRICS_PORT: worker 3 would listen on a port above 65535/),
      ]);
      expect(
        problemsOf({ ...REDIS, PARLEY_WORKERS: '4', PORT: '9466', METRICS_PORT: '9464' }),
      ).toEqual([expect.stringMatching(/^METRICS_PORT: workers listen on 9464-9467/)]);
    });

    it("warns that /metrics on the public port is one worker's at a time", () => {
      expect(parseConfig({ ...REDIS, PARLEY_WORKERS: '2' }).warnings).toContainEqual(
        expect.stringMatching(/^PARLEY_WORKERS: \/metrics on PORT answers for whichever worker/),
      );
      const quiet = [{ METRICS_PORT: '9464' }, { METRICS: 'off' }];
      for (const env of quiet) {
        expect(parseConfig({ ...REDIS, PARLEY_WORKERS: '2', ...env }).warnings).toEqual([
          expect.stringMatching(/^PARLEY_AUTH_SECRET is not set/),
        ]);
      }
    });
  });
});
