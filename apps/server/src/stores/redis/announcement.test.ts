import { describe, expect, it } from 'vitest';
import { announcedMessage, announcedRoom, announcementHeader } from './announcement';

// What the append script publishes: the header the storing node built, then `seq \n json`.
const publish = (header: string, seq: number, json: string) => `${header}${seq}\n${json}`;

describe('message announcements', () => {
  it('read back the room, origin, seq and the message JSON as written', () => {
    const json = JSON.stringify({ id: 'm1', text: 'two\nlines' });
    const payload = publish(
      announcementHeader({ workspace: 'acme', room: 'general' }, 'sock-1'),
      42,
      json,
    );
    const { ref, rest } = announcedRoom(payload);
    expect(ref).toEqual({ workspace: 'acme', room: 'general' });
    expect(announcedMessage(payload, rest)).toEqual({ origin: 'sock-1', seq: 42, json });
  });

  it('carry an empty origin for messages from the server API', () => {
    const payload = publish(announcementHeader({ workspace: 'acme', room: 'ops' }, ''), 7, '{}');
    expect(announcedMessage(payload, announcedRoom(payload).rest)).toEqual({
      origin: '',
      seq: 7,
      json: '{}',
    });
  });

  it('name their room without reading the message, so unwanted rooms cost no JSON parsing', () => {
    const payload = 'acme\nrandom\n\n3\n{this is not json';
    expect(announcedRoom(payload).ref).toEqual({ workspace: 'acme', room: 'random' });
  });
});
