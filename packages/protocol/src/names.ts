import { z } from 'zod';

/** A workspace is a Socket.IO namespace: `/chat/<workspace>`. */
export const WORKSPACE_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const ROOM_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const CHAT_NAMESPACE_PREFIX = '/chat/';
/** Matches every chat namespace; the server registers it as one dynamic namespace. */
export const CHAT_NAMESPACE_PATTERN = new RegExp(
  `^${CHAT_NAMESPACE_PREFIX.replaceAll('/', '\\/')}(${WORKSPACE_PATTERN.source.slice(1, -1)})$`,
);

export function chatNamespace(workspace: string): string {
  return `${CHAT_NAMESPACE_PREFIX}${workspace}`;
}

/** The workspace of a chat namespace's name, or undefined when it is not one. */
export function workspaceOfNamespace(namespace: string): string | undefined {
  return CHAT_NAMESPACE_PATTERN.exec(namespace)?.[1];
}

export const WorkspaceSlug = z
  .string()
  .regex(WORKSPACE_PATTERN, 'must be 1-32 of a-z, 0-9 and "-", starting with a letter or digit')
  .meta({ description: 'Workspace slug.' });

export const RoomName = z
  .string()
  .regex(ROOM_PATTERN, 'must be 1-64 of a-z, 0-9, "_" and "-", starting with a letter or digit')
  .meta({ description: 'Room name.' });
