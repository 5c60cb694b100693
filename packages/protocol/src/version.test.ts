import { describe, expect, it } from 'vitest';
import { ClientEvent, ERROR_CODES, PROTOCOL_VERSION, ServerEvent } from './index';

describe('protocol version', () => {
  // Renaming or removing an event or error code breaks deployed clients: bump PROTOCOL_VERSION
  // and update this test in the same change. Adding one is compatible (clients ignore events
  // they do not know), but still deliberate: add it here.
  it('is 1 for this set of events and error codes', () => {
    expect(PROTOCOL_VERSION).toBe(1);
    expect(Object.values(ClientEvent)).toEqual([
      'room:join',
      'room:leave',
      'room:list',
      'message:send',
      'message:history',
      'typing:set',
    ]);
    expect(Object.values(ServerEvent)).toEqual([
      'message:new',
      'presence:joined',
      'presence:left',
      'typing:changed',
      'room:updated',
      'server:shutdown',
      'room:event',
      'connection:closing',
    ]);
    expect(ERROR_CODES).toHaveLength(9);
  });
});
