import { describe, expect, it } from 'vitest';
import {
  ClientMsgId,
  chatNamespace,
  DisplayName,
  LIMITS,
  MessageHistoryPayload,
  MessageSendPayload,
  MessageText,
  RoomJoinPayload,
  RoomName,
  textLength,
  WorkspaceSlug,
  workspaceOfNamespace,
} from './index';

const accepts = (schema: { safeParse(v: unknown): { success: boolean } }, value: unknown) =>
  schema.safeParse(value).success;

describe('message text', () => {
  const max = LIMITS.messageTextMaxChars;

  it('accepts exactly the limit and refuses one past it', () => {
    expect(accepts(MessageText, 'a'.repeat(max))).toBe(true);
    expect(accepts(MessageText, 'a'.repeat(max + 1))).toBe(false);
  });

  it('counts code points, so emoji and Hangul count as one character each', () => {
    expect(textLength('😀')).toBe(1);
    expect(textLength('한국어')).toBe(3);
    expect(accepts(MessageText, '😀'.repeat(max))).toBe(true);
    expect(accepts(MessageText, '😀'.repeat(max + 1))).toBe(false);
    expect(accepts(MessageText, '한'.repeat(max))).toBe(true);
  });

  it('trims before checking and stores the trimmed text', () => {
    expect(MessageText.parse(`  ${'a'.repeat(max)}  \n`)).toBe('a'.repeat(max));
    expect(MessageText.parse('\t hello\nworld \n')).toBe('hello\nworld');
  });

  it('refuses empty and whitespace-only text', () => {
    for (const text of ['', ' ', '\n\t  \r\n', '\u3000'])
      expect(accepts(MessageText, text)).toBe(false);
  });

  it('keeps right-to-left text, newlines and tabs, refuses stray control characters', () => {
    expect(MessageText.parse('שלום עולם')).toBe('שלום עולם');
    expect(MessageText.parse('a\tb\nc')).toBe('a\tb\nc');
    expect(accepts(MessageText, 'nul\u0000')).toBe(false);
    expect(accepts(MessageText, 'esc\u001b[31m')).toBe(false);
  });
});

describe('display name', () => {
  const max = LIMITS.displayNameMaxChars;
  it('is 1 to 32 characters after trimming', () => {
    expect(DisplayName.parse(`  ${'b'.repeat(max)} `)).toBe('b'.repeat(max));
    expect(accepts(DisplayName, 'b'.repeat(max + 1))).toBe(false);
    expect(accepts(DisplayName, '   ')).toBe(false);
    expect(accepts(DisplayName, '🦊'.repeat(max))).toBe(true);
  });
  it('refuses line breaks and bidi overrides', () => {
    expect(accepts(DisplayName, 'Ana\nAdmin')).toBe(false);
    expect(accepts(DisplayName, 'Ana\u202eevil')).toBe(false);
  });
});

describe('names', () => {
  it('room names: lowercase, digits, "-" and "_", 1-64, not starting with a symbol', () => {
    expect(accepts(RoomName, 'a')).toBe(true);
    expect(accepts(RoomName, `a${'b'.repeat(63)}`)).toBe(true);
    expect(accepts(RoomName, `a${'b'.repeat(64)}`)).toBe(false);
    for (const bad of ['', '_a', '-a', 'A', 'a b', 'café', 'a/b', 'a.b'])
      expect(accepts(RoomName, bad)).toBe(false);
    expect(accepts(RoomName, '0day_room-1')).toBe(true);
  });

  it('workspace slugs: 1-32, no underscore', () => {
    expect(accepts(WorkspaceSlug, `a${'b'.repeat(31)}`)).toBe(true);
    expect(accepts(WorkspaceSlug, `a${'b'.repeat(32)}`)).toBe(false);
    expect(accepts(WorkspaceSlug, 'a_b')).toBe(false);
  });

  it('maps workspaces to namespaces and back', () => {
    expect(chatNamespace('acme')).toBe('/chat/acme');
    expect(workspaceOfNamespace('/chat/acme')).toBe('acme');
    expect(workspaceOfNamespace('/chat/Acme')).toBeUndefined();
    expect(workspaceOfNamespace('/chat/acme/x')).toBeUndefined();
    expect(workspaceOfNamespace('/')).toBeUndefined();
  });

  it('clientMsgId: 1-64 url-safe characters', () => {
    expect(accepts(ClientMsgId, crypto.randomUUID())).toBe(true);
    expect(accepts(ClientMsgId, 'x'.repeat(64))).toBe(true);
    expect(accepts(ClientMsgId, 'x'.repeat(65))).toBe(false);
    expect(accepts(ClientMsgId, '')).toBe(false);
  });
});

describe('payloads', () => {
  it('since and before are whole numbers in range', () => {
    expect(accepts(RoomJoinPayload, { room: 'a', since: 0 })).toBe(true);
    expect(accepts(RoomJoinPayload, { room: 'a', since: -1 })).toBe(false);
    expect(accepts(RoomJoinPayload, { room: 'a', since: 0.5 })).toBe(false);
    expect(
      accepts(MessageHistoryPayload, { room: 'a', before: 1, limit: LIMITS.historyPageMax }),
    ).toBe(true);
    expect(accepts(MessageHistoryPayload, { room: 'a', limit: LIMITS.historyPageMax + 1 })).toBe(
      false,
    );
    expect(accepts(MessageHistoryPayload, { room: 'a', before: 0 })).toBe(false);
  });

  it('drops unknown fields rather than passing them on', () => {
    const parsed = MessageSendPayload.parse({
      room: 'a',
      text: 'hi',
      clientMsgId: 'c',
      admin: true,
    });
    expect(parsed).toEqual({ room: 'a', text: 'hi', clientMsgId: 'c' });
  });
});
