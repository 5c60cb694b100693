import { request } from '@parley/protocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, collect, nextEvent, settle, startServer, type TestServer } from '../../test/helpers';

let t: TestServer;
beforeEach(async () => {
  t = await startServer();
});
afterEach(() => t.close());

describe('typing', () => {
  it('tells the others in the room, not the typist, and not other rooms', async () => {
    const ana = await t.connect('acme', await t.token('Ana', { sub: 'ana' }));
    const bo = await t.connect('acme', await t.token('Bo', { sub: 'bo' }));
    const elsewhere = await t.connect('acme', await t.token('Cy', { sub: 'cy' }));
    await call(ana, 'room:join', { room: 'general' });
    await call(bo, 'room:join', { room: 'general' });
    await call(elsewhere, 'room:join', { room: 'random' });
    const atAna = collect(ana, 'typing:changed');
    const atElsewhere = collect(elsewhere, 'typing:changed');

    const started = nextEvent(bo, 'typing:changed');
    ana.emit('typing:set', { room: 'general', typing: true });
    expect(await started).toEqual({
      room: 'general',
      user: { id: 'ana', name: 'Ana' },
      typing: true,
    });
    const stopped = nextEvent(bo, 'typing:changed');
    ana.emit('typing:set', { room: 'general', typing: false });
    expect(await stopped).toMatchObject({ typing: false });
    await settle(ana, elsewhere);
    expect(atAna).toEqual([]);
    expect(atElsewhere).toEqual([]);
  });

  it('clears a typing indicator when the typist sends, leaves or disconnects', async () => {
    const ana = await t.connect('acme', await t.token('Ana', { sub: 'ana' }));
    const bo = await t.connect('acme', await t.token('Bo', { sub: 'bo' }));
    await call(ana, 'room:join', { room: 'general' });
    await call(bo, 'room:join', { room: 'general' });

    for (const end of [
      () => call(ana, 'message:send', { room: 'general', text: 'done', clientMsgId: 'x' }),
      () => call(ana, 'room:leave', { room: 'general' }),
      () => ana.disconnect(),
    ]) {
      const on = nextEvent(bo, 'typing:changed', (e) => e.typing);
      ana.emit('typing:set', { room: 'general', typing: true });
      await on;
      const off = nextEvent(bo, 'typing:changed', (e) => !e.typing);
      await end();
      expect(await off).toMatchObject({ user: { id: 'ana' }, typing: false });
      if (!ana.connected) break;
      await call(ana, 'room:join', { room: 'general' });
    }
  });

  it('answers not_joined (when asked for an answer) for a room not joined', async () => {
    const ana = await t.connect('acme', await t.token('Ana'));
    expect(await request(ana, 'typing:set', { room: 'general', typing: true })).toMatchObject({
      ok: false,
      error: { code: 'not_joined' },
    });
  });
});
