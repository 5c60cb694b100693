import { ROOM_PATTERN, WORKSPACE_PATTERN } from '@parley/protocol';

/**
 * Turns what someone typed ("Design Review!") into a valid room name ("design-review"), or ''
 * when nothing usable is left. Shown as a suggestion, never applied silently.
 */
export function suggestRoomName(input: string): string {
  const slug = input
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .trim()
    .replace(/[\s.]+/g, '-')
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[-_]+/, '')
    .slice(0, 64);
  return ROOM_PATTERN.test(slug) ? slug : '';
}

export const ROOM_RULES =
  'Room names use lowercase letters, digits, “-” and “_” (up to 64), starting with a letter or digit.';
export const WORKSPACE_RULES =
  'Workspace names use lowercase letters, digits and “-” (up to 32), starting with a letter or digit.';

export function isRoomName(value: string): boolean {
  return ROOM_PATTERN.test(value);
}

export function isWorkspaceName(value: string): boolean {
  return WORKSPACE_PATTERN.test(value);
}
