'use client';

import { LIMITS, MessageText, textLength } from '@parley/protocol';
import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';

interface ComposerProps {
  room: string;
  /** False in a read-only room for those below moderator: `rule` is shown instead. */
  canPost: boolean;
  /** Who may post, when not everyone may (a read-only room). */
  rule: string | null;
  onSend(text: string): void;
  onTyping(typing: boolean): void;
}

// Show the counter once the text is this close to the limit.
const COUNTER_FROM = LIMITS.messageTextMaxChars - 500;
// Stop saying "typing" after this long without a keystroke.
const TYPING_IDLE_MS = 4000;

/**
 * Enter sends, Shift+Enter breaks the line; the length rule is shown before anything is sent.
 * Where this user may not post, it says who may instead.
 */
export function Composer({ room, canPost, rule, onSend, onTyping }: ComposerProps) {
  if (!canPost) {
    return (
      <div className="composer composer-closed" data-testid="composer-closed">
        <p className="hint">{rule}</p>
      </div>
    );
  }
  return <OpenComposer room={room} rule={rule} onSend={onSend} onTyping={onTyping} />;
}

function OpenComposer({ room, rule, onSend, onTyping }: Omit<ComposerProps, 'canPost'>) {
  const [text, setText] = useState('');
  const idleTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const inputId = useId();
  const statusId = useId();
  const ruleId = useId();
  const length = textLength(text.trim());
  const tooLong = length > LIMITS.messageTextMaxChars;

  useEffect(() => () => clearTimeout(idleTimer.current), []);

  function stopTyping() {
    clearTimeout(idleTimer.current);
    onTyping(false);
  }

  function send() {
    const parsed = MessageText.safeParse(text);
    if (!parsed.success) return;
    onSend(parsed.data);
    setText('');
    stopTyping();
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    send();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    // While an IME is composing (Korean, Japanese…), Enter confirms the syllable, not the message.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  }

  function onChange(value: string) {
    setText(value);
    clearTimeout(idleTimer.current);
    if (value.trim()) {
      onTyping(true);
      idleTimer.current = setTimeout(() => onTyping(false), TYPING_IDLE_MS);
    } else {
      onTyping(false);
    }
  }

  return (
    <form className="composer" onSubmit={onSubmit}>
      <label htmlFor={inputId} className="visually-hidden">
        Message #{room}
      </label>
      <textarea
        id={inputId}
        name="message"
        rows={1}
        placeholder={`Message #${room}`}
        value={text}
        onChange={(event) => onChange(event.target.value)}
        onKeyDown={onKeyDown}
        onBlur={stopTyping}
        aria-describedby={rule ? `${ruleId} ${statusId}` : statusId}
        aria-invalid={tooLong || undefined}
        dir="auto"
      />
      {rule && (
        <p id={ruleId} className="composer-rule hint">
          {rule}
        </p>
      )}
      <div className="composer-side">
        <p id={statusId} className={tooLong ? 'counter error' : 'counter'} aria-live="polite">
          {tooLong
            ? `Too long: ${length} of ${LIMITS.messageTextMaxChars} characters. Shorten it to send.`
            : length >= COUNTER_FROM
              ? `${length} / ${LIMITS.messageTextMaxChars}`
              : ''}
        </p>
        <button type="submit" disabled={length === 0 || tooLong}>
          Send
        </button>
      </div>
    </form>
  );
}
