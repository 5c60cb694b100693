import { describe, expect, it } from 'vitest';
import { held, released, shownWorkspace } from './registry';

describe('which workspace the tab shows', () => {
  it('is the one held last, and none once nothing holds one', () => {
    expect(shownWorkspace([])).toBeNull();
    const one = held([], 'acme');
    expect(shownWorkspace(one)).toBe('acme');
    expect(shownWorkspace(held(one, 'other'))).toBe('other');
    expect(shownWorkspace(released(one, 'acme'))).toBeNull();
  });

  it('stays while the next screen of the same workspace holds it before the last lets go', () => {
    // A room, then the lobby: the lobby holds it, then the room's release comes.
    const handedOver = released(held(held([], 'acme'), 'acme'), 'acme');
    expect(handedOver).toEqual(['acme']);
    expect(shownWorkspace(handedOver)).toBe('acme');
  });

  it('goes to the other workspace when the lobby switches, whatever the order of the releases', () => {
    const switched = released(held(['acme'], 'other'), 'acme');
    expect(shownWorkspace(switched)).toBe('other');
    expect(released(switched, 'nowhere')).toBe(switched);
  });
});
