import { describe, expect, it } from 'vitest';
import {
  REQUEST_LINE_MAX_BYTES,
  readFirstRequest,
  sessionIdFor,
  workerOfSessionId,
} from './session-route';

const request = (target: string) => Buffer.from(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);

describe('session routing', () => {
  it('makes session ids that name their worker, each one new', () => {
    const ids = new Set(Array.from({ length: 100 }, () => sessionIdFor(7)));
    expect(ids.size).toBe(100);
    for (const id of ids) {
      expect(id).toMatch(/^7\.[A-Za-z0-9_-]{20}$/);
      expect(workerOfSessionId(id)).toBe(7);
    }
  });

  it('names no worker for a session id no worker made', () => {
    expect(workerOfSessionId('Qk3xYz-AbCdEfGhIjKlM')).toBeUndefined();
    expect(workerOfSessionId('12')).toBeUndefined();
    expect(workerOfSessionId('')).toBeUndefined();
  });

  it("routes a polling request and a websocket upgrade by their session's worker", () => {
    const sid = sessionIdFor(3);
    expect(readFirstRequest(request(`/socket.io/?EIO=4&transport=polling&sid=${sid}`))).toEqual({
      kind: 'complete',
      workerId: 3,
    });
    expect(readFirstRequest(request(`/socket.io/?sid=${sid}&transport=websocket&EIO=4`))).toEqual({
      kind: 'complete',
      workerId: 3,
    });
  });

  it('routes a handshake, a websocket-only client and any other request to anyone', () => {
    for (const target of ['/socket.io/?EIO=4&transport=polling', '/healthz', '/api/v1/ops?x=1']) {
      expect(readFirstRequest(request(target))).toEqual({ kind: 'complete', workerId: undefined });
    }
    expect(readFirstRequest(Buffer.from('\u0016\u0003\u0001 not http\r\n'))).toEqual({
      kind: 'complete',
      workerId: undefined,
    });
  });

  it('waits for the whole request line, but not past its limit', () => {
    const whole = request(`/socket.io/?EIO=4&transport=polling&sid=${sessionIdFor(5)}`);
    const cut = whole.indexOf('\r\n');
    expect(readFirstRequest(whole.subarray(0, cut))).toEqual({ kind: 'incomplete' });
    expect(readFirstRequest(whole.subarray(0, cut + 2))).toEqual({ kind: 'complete', workerId: 5 });
    expect(readFirstRequest(Buffer.alloc(REQUEST_LINE_MAX_BYTES, 'a'))).toEqual({
      kind: 'complete',
      workerId: undefined,
    });
  });
});
