import { chatNamespace } from '@parley/protocol';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import type { Services } from '../services';
import { type ParleyIo, roomChannel } from '../socket/types';
import { createMemoryStores } from '../stores/memory';
import type { RoomFilter } from '../stores/types';
import { deliverStoredMessages } from './delivery';

const general = { workspace: 'acme', room: 'general' };

let io: ParleyIo;
let stores: Services['stores'];
afterEach(() => stores.close());

/**
 * Wires delivery to a Socket.IO server that is never attached (nothing to close); answers the
 * filter delivery gave the store's feed.
 */
function roomsDeliveryWants(): RoomFilter {
  io = new Server() as ParleyIo;
  stores = createMemoryStores({ historyRetention: 10 });
  let wants: RoomFilter | undefined;
  stores.history.onAppended = (_listener, filter) => {
    wants = filter;
  };
  deliverStoredMessages(io, { stores } as Services);
  if (!wants) throw new Error('delivery listens to every room');
  return wants;
}

describe('delivery of stored messages', () => {
  it('asks the store only for rooms this node has sockets in', () => {
    const wants = roomsDeliveryWants();
    expect(wants(general)).toBe(false); // no namespace for the workspace yet
    const { adapter } = io.of(chatNamespace('acme'));
    expect(wants(general)).toBe(false);
    adapter.addAll('socket-1', new Set([roomChannel('general')]));
    expect(wants(general)).toBe(true);
    expect(wants({ workspace: 'acme', room: 'random' })).toBe(false);
    expect(wants({ workspace: 'other', room: 'general' })).toBe(false);
    adapter.del('socket-1', roomChannel('general'));
    expect(wants(general)).toBe(false);
  });
});
