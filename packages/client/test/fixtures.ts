import type { AckOf, Member, Message, MessageChange, RoomInfo } from '@parley/protocol';

/** Small builders for the unit tests: messages, change entries and answers of one room. */

export const ROOM = 'general';
export const ana: Member = { id: 'ana', name: 'Ana' };
export const bo: Member = { id: 'bo', name: 'Bo' };

export const at = (minute: number): string =>
  new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString();

export function stored(
  seq: number,
  author: Member = ana,
  clientMsgId: string | undefined = `c${seq}`,
  minute = seq,
): Message {
  return {
    id: `id${seq}`,
    room: ROOM,
    seq,
    author,
    text: `m${seq}`,
    sentAt: at(minute),
    ...(clientMsgId !== undefined && { clientMsgId }),
  };
}

/** The change entry at `seq` that made `message` what it is now. */
export function change(
  seq: number,
  message: Message,
  action: 'edit' | 'delete' = 'edit',
): MessageChange {
  return {
    type: 'change',
    id: `change${seq}`,
    room: message.room,
    seq,
    action,
    message,
    by: message.author,
    at: at(seq),
  };
}

export const edited = (message: Message, text: string, minute = 30): Message => ({
  ...message,
  text,
  editedAt: at(minute),
});

export const deleted = (message: Message): Message => {
  const { editedAt: _editedAt, ...rest } = message;
  return { ...rest, text: '', deleted: true };
};

export function info(extra: Partial<RoomInfo> = {}): RoomInfo {
  return {
    name: ROOM,
    topic: null,
    memberCount: 1,
    visibility: 'public',
    readOnly: false,
    presence: 'members',
    lastSeq: 0,
    role: null,
    ...extra,
  };
}

export function joinAnswer(
  messages: (Message | MessageChange)[],
  extra: Partial<Extract<AckOf<'room:join'>, { ok: true }>> = {},
): AckOf<'room:join'> {
  return {
    ok: true,
    room: info({ lastSeq: messages.at(-1)?.seq ?? 0 }),
    messages,
    members: [ana],
    hasMore: false,
    recovered: false,
    ...extra,
  };
}
