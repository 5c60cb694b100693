import type { RoomSummary } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { byActivity } from './room-sections';

const room = (name: string, memberCount: number): RoomSummary => ({
  name,
  topic: null,
  memberCount,
  visibility: 'public',
  readOnly: false,
});
const names = (rooms: RoomSummary[]) => rooms.map((r) => r.name);

describe('byActivity', () => {
  it('puts rooms with people online first, busiest first, then the quiet ones, by name', () => {
    const sections = byActivity([
      room('alpha', 0),
      room('beta', 2),
      room('delta', 5),
      room('gamma', 0),
      room('omega', 2),
    ]);
    expect(names(sections.active)).toEqual(['delta', 'beta', 'omega']);
    expect(names(sections.quiet)).toEqual(['alpha', 'gamma']);
  });

  it('has empty parts when every room is quiet, or none is', () => {
    expect(byActivity([room('a', 0)])).toEqual({ active: [], quiet: [room('a', 0)] });
    expect(byActivity([room('a', 1)])).toEqual({ active: [room('a', 1)], quiet: [] });
  });
});
