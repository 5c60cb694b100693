'use client';

import type { Visibility } from '@parley/protocol';
import { type FormEvent, useId, useState } from 'react';
import { isRoomName, ROOM_RULES, suggestRoomName } from '@/chat/names';

export interface NewRoom {
  room: string;
  visibility: Visibility;
  readOnly: boolean;
}

interface CreateRoomFormProps {
  /** Answers why not (and whether the room exists, so joining it is offered), or null. */
  onCreate(room: NewRoom): Promise<{ error: string; exists: boolean } | null>;
  onJoin(room: string): void;
}

/** A new room the user will own: public or private (members only), and maybe read-only. */
export function CreateRoomForm({ onCreate, onJoin }: CreateRoomFormProps) {
  const id = useId();
  const [name, setName] = useState('');
  const [visibility, setVisibility] = useState<Visibility>('public');
  const [readOnly, setReadOnly] = useState(false);
  const [problem, setProblem] = useState<{ text: string; exists: string | null } | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!isRoomName(name)) {
      const suggestion = suggestRoomName(name);
      setProblem({
        text: suggestion ? `${ROOM_RULES} Try “${suggestion}”.` : ROOM_RULES,
        exists: null,
      });
      return;
    }
    setBusy(true);
    const failure = await onCreate({ room: name, visibility, readOnly });
    setBusy(false);
    setProblem(failure && { text: failure.error, exists: failure.exists ? name : null });
  }

  return (
    <form className="card stack create-room" onSubmit={submit} noValidate>
      <h2>Create a room</h2>
      <label htmlFor={`${id}-name`}>New room name</label>
      <div className="row">
        <span className="prefix" aria-hidden="true">
          #
        </span>
        <input
          id={`${id}-name`}
          value={name}
          placeholder="design-review"
          autoComplete="off"
          spellCheck={false}
          aria-invalid={problem ? true : undefined}
          aria-describedby={`${id}-hint`}
          onChange={(event) => {
            setName(event.target.value);
            setProblem(null);
          }}
        />
      </div>
      <fieldset className="stack choice">
        <legend>Who can see and join it</legend>
        <label className="check">
          <input
            type="radio"
            name={`${id}-visibility`}
            checked={visibility === 'public'}
            onChange={() => setVisibility('public')}
          />
          Anyone in the workspace (public)
        </label>
        <label className="check">
          <input
            type="radio"
            name={`${id}-visibility`}
            checked={visibility === 'private'}
            onChange={() => setVisibility('private')}
          />
          Only people you add (private)
        </label>
      </fieldset>
      <label className="check">
        <input
          type="checkbox"
          checked={readOnly}
          onChange={(event) => setReadOnly(event.target.checked)}
        />
        Read-only: only moderators and owners post
      </label>
      <p
        id={`${id}-hint`}
        className={problem ? 'hint error' : 'hint'}
        role={problem ? 'alert' : undefined}
      >
        {problem?.text ?? 'You will own it: you add people, choose moderators, and remove people.'}
      </p>
      {problem?.exists && (
        <button type="button" className="link" onClick={() => onJoin(problem.exists ?? '')}>
          Join #{problem.exists} instead
        </button>
      )}
      <button type="submit" disabled={busy}>
        {busy ? 'Creating…' : 'Create room'}
      </button>
    </form>
  );
}
