import { describe, expect, it } from 'vitest';
import { suggestRoomName } from './names';

describe('suggestRoomName', () => {
  it('makes a valid room name out of what people type', () => {
    expect(suggestRoomName('Design Review!')).toBe('design-review');
    expect(suggestRoomName('  Café  Crème ')).toBe('cafe-creme');
    expect(suggestRoomName('_hidden')).toBe('hidden');
    expect(suggestRoomName('v1.2 launch')).toBe('v1-2-launch');
    expect(suggestRoomName('x'.repeat(80))).toHaveLength(64);
  });

  it('gives up when nothing usable is left', () => {
    expect(suggestRoomName('한국어')).toBe('');
    expect(suggestRoomName('!!!')).toBe('');
  });
});
