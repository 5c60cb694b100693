'use client';

import type { ChatMessage } from '@parley/client';
import { LIMITS, MessageText, textLength } from '@parley/protocol';
import { type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { describeError } from '@/chat/words';

export interface MessageItemProps {
  /** The room it is in: the words for why it failed name it. */
  room: string;
  message: ChatMessage;
  canEdit: boolean;
  canDelete: boolean;
  onRetry(key: string): void;
  /** Each answers why it failed, or null once done. */
  onEdit(key: string, text: string): Promise<string | null>;
  onDelete(key: string): Promise<string | null>;
}

type Mode = 'view' | 'edit' | 'confirm-delete';
type FocusTarget = 'edit' | 'delete' | 'item';

const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
// Enough of a message for a button's name to say which one it acts on.
const EXCERPT_CHARS = 40;

/**
 * One message: its text, "edited" once edited, a tombstone once deleted, its delivery state,
 * and Edit / Delete where this user may. Editing happens in place; deleting asks first.
 */
export function MessageItem({
  room,
  message,
  canEdit,
  canDelete,
  onRetry,
  onEdit,
  onDelete,
}: MessageItemProps) {
  const [mode, setMode] = useState<Mode>('view');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const item = useRef<HTMLLIElement>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const cancelDelete = useRef<HTMLButtonElement>(null);
  // Where focus goes once a mode closes: back to what opened it, so the keyboard stays put.
  const returnFocus = useRef<FocusTarget | null>(null);

  useEffect(() => {
    if (mode === 'confirm-delete') cancelDelete.current?.focus();
    if (mode !== 'view' || !returnFocus.current) return;
    const targets = { edit: editButton, delete: deleteButton, item };
    targets[returnFocus.current].current?.focus();
    returnFocus.current = null;
  }, [mode]);

  // Demoted while asking whether to delete someone else's message: the question goes, and the
  // keyboard goes on from the message.
  const mayNoLongerDelete = mode === 'confirm-delete' && !canDelete;
  useEffect(() => {
    if (!mayNoLongerDelete) return;
    returnFocus.current = 'item';
    setMode('view');
  }, [mayNoLongerDelete]);

  function close(focusAfter: FocusTarget) {
    returnFocus.current = focusAfter;
    setError(null);
    setMode('view');
  }

  async function act(run: () => Promise<string | null>, focusAfter: FocusTarget) {
    setBusy(true);
    setError(null);
    const failure = await run();
    setBusy(false);
    if (failure) setError(failure);
    else close(focusAfter);
  }

  const excerpt = excerptOf(message.text);
  if (message.deleted) {
    return (
      <li
        ref={item}
        className="message message-deleted"
        data-seq={message.seq}
        data-deleted=""
        tabIndex={-1}
      >
        <p className="text deleted">Message deleted</p>
      </li>
    );
  }
  return (
    <li
      ref={item}
      className={`message message-${message.delivery}`}
      data-delivery={message.delivery}
      data-seq={message.seq}
      data-edited={message.editedAt ? '' : undefined}
      tabIndex={-1}
    >
      {mode === 'edit' ? (
        <MessageEditor
          initial={message.text}
          busy={busy}
          onSave={(text) =>
            text === message.text
              ? close('edit')
              : void act(() => onEdit(message.key, text), 'edit')
          }
          onCancel={() => close('edit')}
        />
      ) : (
        // Text is rendered as text: React escapes it, and dir="auto" lets RTL lines read right.
        <p className="text" dir="auto">
          {message.text}
        </p>
      )}
      {message.editedAt && mode !== 'edit' && (
        <span className="edited" title={`Edited ${fullFormat.format(new Date(message.editedAt))}`}>
          (edited)
        </span>
      )}
      {message.delivery === 'pending' && <span className="status">Sending…</span>}
      {message.delivery === 'failed' && (
        <span className="status failed" role="alert">
          {message.error ? describeError(message.error, room) : 'Not sent.'}{' '}
          <button type="button" className="link" onClick={() => onRetry(message.key)}>
            Retry
          </button>
        </span>
      )}
      {mode === 'view' && (canEdit || canDelete) && (
        <div className="message-actions">
          {canEdit && (
            <button
              ref={editButton}
              type="button"
              className="link"
              aria-label={`Edit message: ${excerpt}`}
              onClick={() => setMode('edit')}
            >
              Edit
            </button>
          )}
          {canDelete && (
            <button
              ref={deleteButton}
              type="button"
              className="link danger"
              aria-label={`Delete message: ${excerpt}`}
              onClick={() => setMode('confirm-delete')}
            >
              Delete
            </button>
          )}
        </div>
      )}
      {mode === 'confirm-delete' && (
        // biome-ignore lint/a11y/useSemanticElements: a fieldset would be a form; this is a choice.
        <div className="confirm" role="group" aria-label="Delete this message?">
          <span>Delete this message for everyone?</span>
          <button
            type="button"
            className="danger-button"
            disabled={busy}
            onClick={() => void act(() => onDelete(message.key), 'item')}
          >
            {busy ? 'Deleting…' : 'Delete'}
          </button>
          <button
            ref={cancelDelete}
            type="button"
            className="secondary"
            onClick={() => close('delete')}
          >
            Cancel
          </button>
        </div>
      )}
      {error && (
        <span className="status failed" role="alert">
          {error}
        </span>
      )}
    </li>
  );
}

/** Enter saves, Shift+Enter breaks the line, Escape cancels, as in the composer. */
function MessageEditor({
  initial,
  busy,
  onSave,
  onCancel,
}: {
  initial: string;
  busy: boolean;
  onSave(text: string): void;
  onCancel(): void;
}) {
  const [text, setText] = useState(initial);
  const input = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  const length = textLength(text.trim());
  const tooLong = length > LIMITS.messageTextMaxChars;

  useEffect(() => {
    const element = input.current;
    if (!element) return;
    element.focus();
    element.setSelectionRange(element.value.length, element.value.length);
  }, []);

  function save() {
    const parsed = MessageText.safeParse(text);
    if (parsed.success && !busy) onSave(parsed.data);
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Escape') {
      event.preventDefault();
      onCancel();
    } else if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      save();
    }
  }

  return (
    <div className="message-editor">
      <label htmlFor={id} className="visually-hidden">
        Edit message
      </label>
      <textarea
        ref={input}
        id={id}
        value={text}
        rows={1}
        dir="auto"
        aria-describedby={`${id}-hint`}
        aria-invalid={tooLong || undefined}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
      />
      <p id={`${id}-hint`} className={tooLong ? 'hint error' : 'hint'}>
        {tooLong
          ? `Too long: ${length} of ${LIMITS.messageTextMaxChars} characters.`
          : 'Enter to save, Escape to cancel.'}
      </p>
      <div className="row">
        <button type="button" onClick={save} disabled={busy || length === 0 || tooLong}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

function excerptOf(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > EXCERPT_CHARS ? `${line.slice(0, EXCERPT_CHARS)}…` : line;
}
