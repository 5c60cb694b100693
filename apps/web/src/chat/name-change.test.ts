import { describe, expect, it } from 'vitest';
import { afterNameChange, changeNameHref } from './name-change';

describe('changing the name from a room', () => {
  it('comes back to the room it was opened from', () => {
    const from = new URL(changeNameHref('lobby', 'team-standup'), 'http://parley.test');
    expect(afterNameChange(from.searchParams.get('change-name'))).toBe('/w/lobby/team-standup');
  });

  it('goes to the lobby for anything that is not a room', () => {
    for (const from of [null, '', 'lobby', '//evil.example/x', 'lobby/room/extra', 'Lobby/Room'])
      expect(afterNameChange(from)).toBe('/');
  });
});
