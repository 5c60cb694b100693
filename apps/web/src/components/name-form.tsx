'use client';

import { DisplayName, LIMITS, textLength } from '@parley/protocol';
import { type FormEvent, useId, useState } from 'react';

interface NameFormProps {
  heading: string;
  initialName: string;
  submitLabel: string;
  onSubmit(name: string): Promise<void>;
  onCancel?(): void;
}

/** Picks the display name others will see; the rules are checked before anything is sent. */
export function NameForm({ heading, initialName, submitLabel, onSubmit, onCancel }: NameFormProps) {
  const [name, setName] = useState(initialName);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  const hintId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = DisplayName.safeParse(name);
    if (!parsed.success) {
      setError(
        textLength(name.trim()) === 0
          ? 'Enter a name so others know who you are.'
          : `Use 1 to ${LIMITS.displayNameMaxChars} characters, without line breaks.`,
      );
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onSubmit(parsed.data);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : 'Something went wrong. Try again.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card stack" onSubmit={submit} noValidate>
      <h2>{heading}</h2>
      <label htmlFor={inputId}>Display name</label>
      <input
        id={inputId}
        name="name"
        autoComplete="nickname"
        value={name}
        maxLength={LIMITS.displayNameMaxChars * 2}
        aria-describedby={hintId}
        aria-invalid={error ? true : undefined}
        onChange={(event) => setName(event.target.value)}
      />
      <p id={hintId} className={error ? 'hint error' : 'hint'} role={error ? 'alert' : undefined}>
        {error ?? `Up to ${LIMITS.displayNameMaxChars} characters. Emoji welcome.`}
      </p>
      <div className="row">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
