import { isRoomName, isWorkspaceName } from './names';

/**
 * "Change name" from a room opens the lobby's name form with the room in the address
 * (`/?change-name=<workspace>/<room>`), and the form brings the person back there after.
 */
export const CHANGE_NAME_PARAM = 'change-name';

export function changeNameHref(workspace: string, room: string): string {
  return `/?${CHANGE_NAME_PARAM}=${workspace}/${room}`;
}

/**
 * Where the name form goes once done: the room it was opened from, or the lobby for anything
 * else, so an address someone was sent can never lead elsewhere.
 */
export function afterNameChange(from: string | null): string {
  const [workspace = '', room = '', ...rest] = (from ?? '').split('/');
  return rest.length === 0 && isWorkspaceName(workspace) && isRoomName(room)
    ? `/w/${workspace}/${room}`
    : '/';
}
