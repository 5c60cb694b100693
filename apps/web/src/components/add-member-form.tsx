'use client';

import { type Member, Role, UserId } from '@parley/protocol';
import { type FormEvent, useId, useState } from 'react';
import { assignableRoles, personLabel } from '@/chat/roster';

/** Someone online in this tab's rooms, or anyone by id; moderators add members, owners any role. */
export function AddMember({
  room,
  role,
  candidates,
  onAdd,
}: {
  room: string;
  role: Role | null;
  candidates: Member[];
  onAdd(person: { userId: string; name?: string }, as: Role, label: string): Promise<boolean>;
}) {
  const id = useId();
  const roles = assignableRoles(role);
  // null: not chosen yet, so the first person offered.
  const [picked, setPicked] = useState<string | null>(null);
  const [typedId, setTypedId] = useState('');
  const [as, setAs] = useState<Role>('member');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // A candidate who went offline meanwhile is no longer offered: fall back to the first.
  const chosen =
    candidates.find((c) => c.id === picked) ?? (picked === BY_ID ? undefined : candidates[0]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const userId = chosen ? chosen.id : typedId.trim();
    if (!UserId.safeParse(userId).success) {
      setProblem('Enter the user id of the person to add (1 to 128 characters).');
      return;
    }
    setProblem(null);
    setBusy(true);
    const person = chosen ? { userId, name: chosen.name } : { userId };
    const added = await onAdd(person, as, chosen ? personLabel(chosen, candidates) : userId);
    setBusy(false);
    if (added) setTypedId('');
  }

  return (
    <form className="stack add-member" onSubmit={submit} noValidate>
      <label htmlFor={`${id}-person`}>Add someone to #{room}</label>
      <select
        id={`${id}-person`}
        value={chosen ? chosen.id : BY_ID}
        onChange={(event) => setPicked(event.target.value)}
      >
        {candidates.map((person) => (
          <option key={person.id} value={person.id}>
            {personLabel(person, candidates)}
          </option>
        ))}
        <option value={BY_ID}>Someone else, by user id…</option>
      </select>
      {candidates.length === 0 && (
        <p className="hint">Nobody else is online in your rooms: add someone by their user id.</p>
      )}
      {!chosen && (
        <>
          <label htmlFor={`${id}-user`}>User id</label>
          <input
            id={`${id}-user`}
            value={typedId}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? `${id}-problem` : undefined}
            onChange={(event) => setTypedId(event.target.value)}
          />
        </>
      )}
      {roles.length > 1 && (
        <RoleSelect id={`${id}-role`} roles={roles} value={as} onChange={setAs} />
      )}
      {problem && (
        <p id={`${id}-problem`} className="hint error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {busy ? 'Adding…' : 'Add'}
      </button>
    </form>
  );
}

/** The option for typing an id: user ids are never empty. */
const BY_ID = '';

export function RoleSelect({
  id,
  roles,
  value,
  onChange,
  label = 'Role',
}: {
  id: string;
  roles: Role[];
  value: Role;
  onChange(role: Role): void;
  label?: string;
}) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        onChange={(event) => {
          const picked = Role.safeParse(event.target.value);
          if (picked.success) onChange(picked.data);
        }}
      >
        {roles.map((role) => (
          <option key={role} value={role}>
            {role}
          </option>
        ))}
      </select>
    </>
  );
}
