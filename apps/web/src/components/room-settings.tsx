'use client';

import { Topic } from '@parley/protocol';
import { type FormEvent, useEffect, useId, useState } from 'react';

interface RoomSettingsProps {
  room: string;
  topic: string | null;
  readOnly: boolean;
  /** Answers why it failed, or null once saved. */
  onSave(change: { topic: string | null; readOnly: boolean }): Promise<string | null>;
}

/** For moderators and owners: the room's topic, and whether only they may post. */
export function RoomSettings({ room, topic, readOnly, onSave }: RoomSettingsProps) {
  const id = useId();
  const [draftTopic, setDraftTopic] = useState(topic ?? '');
  const [draftReadOnly, setDraftReadOnly] = useState(readOnly);
  const [status, setStatus] = useState<{ text: string; failed: boolean } | null>(null);
  const [busy, setBusy] = useState(false);

  // Someone else changed the room: show what it is now.
  useEffect(() => setDraftTopic(topic ?? ''), [topic]);
  useEffect(() => setDraftReadOnly(readOnly), [readOnly]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = Topic.safeParse(draftTopic);
    if (!parsed.success) {
      setStatus({
        text: parsed.error.issues[0]?.message ?? 'That topic cannot be used.',
        failed: true,
      });
      return;
    }
    setBusy(true);
    const failure = await onSave({ topic: parsed.data || null, readOnly: draftReadOnly });
    setBusy(false);
    setStatus(failure ? { text: failure, failed: true } : { text: 'Saved.', failed: false });
  }

  return (
    <form className="stack room-settings" onSubmit={submit} noValidate>
      <h2>Room settings</h2>
      <label htmlFor={`${id}-topic`}>Topic of #{room}</label>
      <input
        id={`${id}-topic`}
        value={draftTopic}
        onChange={(event) => setDraftTopic(event.target.value)}
      />
      <label className="check">
        <input
          type="checkbox"
          checked={draftReadOnly}
          onChange={(event) => setDraftReadOnly(event.target.checked)}
        />
        Read-only: only moderators and owners post
      </label>
      <p className={status?.failed ? 'hint error' : 'hint'} role="status">
        {status?.text}
      </p>
      <button type="submit" className="secondary" disabled={busy}>
        {busy ? 'Saving…' : 'Save settings'}
      </button>
    </form>
  );
}
