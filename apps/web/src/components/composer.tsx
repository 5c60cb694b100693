'use client';

import { LIMITS, MessageText, textLength } from '@parley/protocol';
import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';

interface ComposerProps {
  room: string;
  onSend(text: string): void;
  onTyping(typing: boolean): void;
}

// Show the counter once the text is this close to the limit.
const COUNTER_FROM = LIMITS.messageTextMaxChars - 500;
// Stop saying "typing" after this long without a keystroke.
const TYPING_IDLE_MS = 4000;

/** Enter sends, Shift+Enter breaks the line; the length rule is shown before anything is sent. */
export function Composer({ room, onSend, onTyping }: ComposerProps) {
  const [text, setText] = useState('');
  const idleTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const inputId = useId();
  const statusId = useId();
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
        aria-describedby={statusId}
        aria-invalid={tooLong || undefined}
        dir="auto"
      />
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
