import { describe, expect, it } from 'vitest';
import { ConfigError, DEVELOPMENT_AUTH_SECRET, parseConfig } from './config';

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
    expect(config.http).toEqual({
      port: 3001,
      host: '0.0.0.0',
      corsOrigins: ['http://localhost:3000', 'http://127.0.0.1:3000'],
    });
    expect(config.auth.secret).toBe(DEVELOPMENT_AUTH_SECRET);
    expect(config.auth.guestTokens).toBe(true);
    expect(config.limits).toMatchObject({
      messagesPerSecond: 10,
      messageBurst: 20,
      packetMaxBytes: 65536,
    });
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
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining(['PORT', 'PARLEY_AUTH_SECRET', 'GUEST_TOKENS', 'TRANSPORTS.0']),
    );
    expect(problems).toHaveLength(4);
  });

  it('parses lists, flags and limits', () => {
    const { config, warnings } = parseConfig({
      PARLEY_AUTH_SECRET: SECRET,
      CORS_ORIGINS: 'https://a.example, https://b.example',
      GUEST_TOKENS: 'off',
      TRANSPORTS: 'websocket',
      RATE_MESSAGES_PER_SECOND: '5',
      RATE_MESSAGES_BURST: '8',
      PORT: '',
    });
    expect(warnings).toEqual([]);
    expect(config.http.port).toBe(3001);
    expect(config.http.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.auth.guestTokens).toBe(false);
    expect(config.transports).toEqual(['websocket']);
    expect(config.limits).toMatchObject({ messagesPerSecond: 5, messageBurst: 8 });
  });

  it('refuses a burst smaller than the rate', () => {
    expect(problemsOf({ RATE_MESSAGES_PER_SECOND: '10', RATE_MESSAGES_BURST: '5' })).toEqual([
      'RATE_MESSAGES_BURST: must be at least RATE_MESSAGES_PER_SECOND',
    ]);
  });
});
