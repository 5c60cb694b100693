// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionError, type StoredSession, sessionSource } from './session';

const stored: StoredSession = {
  serverUrl: 'http://parley.test',
  token: 'old-token',
  user: { id: 'ana', name: 'Ana' },
  expiresAt: '2026-01-01T00:00:00.000Z',
};

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the session a workspace client uses', () => {
  it('gives the stored token and user, and after a renewal the new ones, under the same name', async () => {
    const fetch = vi.fn(async (_url: string, _init?: RequestInit) =>
      Response.json({
        token: 'new-token',
        user: { id: 'ana-2', name: 'Ana' },
        expiresAt: '2026-01-02T00:00:00.000Z',
      }),
    );
    vi.stubGlobal('fetch', fetch);
    const renewed: StoredSession[] = [];
    const source = sessionSource(stored, (session) => renewed.push(session));
    expect([source.token(), source.me().id]).toEqual(['old-token', 'ana']);

    await source.renew?.();
    expect([source.token(), source.me().id]).toEqual(['new-token', 'ana-2']);
    expect(renewed.map((session) => session.token)).toEqual(['new-token']);
    // An expired token cannot be renamed: the renewal asks by name alone.
    expect(JSON.parse(String(fetch.mock.calls[0]?.[1]?.body))).toEqual({ name: 'Ana' });
  });

  it('keeps what it had when the renewal fails, and says why', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('network down');
    });
    const source = sessionSource(stored, () => {});
    await expect(source.renew?.()).rejects.toBeInstanceOf(SessionError);
    expect(source.token()).toBe('old-token');
  });
});
