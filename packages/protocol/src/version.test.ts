import { describe, expect, it } from 'vitest';
import { ClientEvent, ERROR_CODES, PROTOCOL_VERSION, ServerEvent } from './index';

describe('protocol version', () => {
  // Renaming or removing an event or error code breaks deployed clients: bump PROTOCOL_VERSION
  // and update this test in the same change. Adding one is compatible (clients ignore events
  // they do not know), but still deliberate: add it here.
  //
  // 2: who may do what (private rooms, roles, members, bans, edits and deletions). History
  // holds change entries beside messages, and rooms say their visibility and the caller's role.
  //
  // 3: presence modes: a room past the server's threshold sends only its count (`presence`
  // on rooms), `presence:list` pages through who is there, and `presence:changed` batches.
  // Added since, compatibly: the handshake's `join` (rooms joined as part of the connection),
  // answered by `rooms:joined`; a server without it ignores `join` and never answers.
  it('is 3 for this set of events and error codes', () => {
    expect(PROTOCOL_VERSION).toBe(3);
    expect(Object.values(ClientEvent)).toEqual([
      'room:join',
      'room:leave',
      'room:list',
      'message:send',
      'message:history',
      'typing:set',
      'room:create',
      'room:update',
      'member:list',
      'member:add',
      'member:remove',
      'message:edit',
      'message:delete',
      'presence:list',
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
      'message:updated',
      'message:deleted',
      'room:removed',
      'room:role',
      'presence:changed',
      'rooms:joined',
    ]);
    expect(ERROR_CODES).toHaveLength(10);
  });
});
