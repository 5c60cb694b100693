'use client';

import type { Member, Role, RoomMember } from '@parley/protocol';
import { useId, useRef, useState } from 'react';
import { assignableRoles, BAN_DURATIONS, mayManage } from '@/chat/roster';
import { roleName } from '@/chat/words';
import { AddMember, RoleSelect } from './add-member-form';

interface MembersPanelProps {
  room: string;
  me: Member;
  /** This user's role: the panel offers only what it allows. */
  role: Role | null;
  /** Null while the list is on its way. */
  members: RoomMember[] | null;
  error: string | null;
  /** People online in the rooms this tab is in who have no role here yet. */
  candidates: Member[];
  onAdd(person: { userId: string; name?: string }, role: Role): Promise<string | null>;
  onRemove(userId: string, banSeconds?: number): Promise<string | null>;
}

/**
 * For owners and moderators: who belongs to the room, with their roles; add someone (from
 * those online, or by id), change a role, remove or ban. What happened is said in a status line.
 */
export function MembersPanel(props: MembersPanelProps) {
  const { room, me, role, members, error } = props;
  const [status, setStatus] = useState<{ text: string; failed: boolean } | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const id = useId();

  async function run(action: Promise<string | null>, done: string, refocus = false) {
    const failure = await action;
    setStatus(failure ? { text: failure, failed: true } : { text: done, failed: false });
    // The entry acted on may be gone with its buttons: the keyboard goes on from the heading.
    if (!failure && refocus) heading.current?.focus();
    return failure === null;
  }

  return (
    <section className="manage stack" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`} ref={heading} tabIndex={-1}>
        Manage members
      </h2>
      <p className={status?.failed ? 'hint error' : 'hint'} role="status">
        {status?.text}
      </p>
      {error && (
        <p className="hint error" role="alert">
          {error}
        </p>
      )}
      {members === null && !error && <p className="hint">Loading members…</p>}
      {members && (
        <ul className="roster" data-testid="roster" aria-label={`Members of #${room}`}>
          {members.map((member) => (
            <RosterEntry
              key={member.id}
              room={room}
              member={member}
              isMe={member.id === me.id}
              manageable={mayManage(role, me.id, member)}
              roles={assignableRoles(role)}
              onRole={(as) =>
                run(
                  props.onAdd({ userId: member.id, name: member.name }, as),
                  `${member.name} is now ${as}.`,
                )
              }
              onRemove={(banSeconds, label) =>
                run(
                  props.onRemove(member.id, banSeconds),
                  label
                    ? `Banned ${member.name} from #${room} for ${label}.`
                    : `Removed ${member.name} from #${room}.`,
                  true,
                )
              }
            />
          ))}
        </ul>
      )}
      <AddMember
        room={room}
        role={role}
        candidates={props.candidates}
        onAdd={(person, as, label) =>
          run(props.onAdd(person, as), `Added ${label} to #${room} as ${as}.`)
        }
      />
    </section>
  );
}

function RosterEntry({
  room,
  member,
  isMe,
  manageable,
  roles,
  onRole,
  onRemove,
}: {
  room: string;
  member: RoomMember;
  isMe: boolean;
  manageable: boolean;
  roles: Role[];
  onRole(role: Role): Promise<boolean>;
  onRemove(banSeconds: number | undefined, label: string | undefined): Promise<boolean>;
}) {
  const id = useId();
  const [as, setAs] = useState<Role>(member.role ?? 'member');
  const [ban, setBan] = useState<number>(BAN_DURATIONS[0].seconds);
  const [busy, setBusy] = useState(false);
  const changesRole = roles.length > 1 || member.role === null;

  async function act(action: Promise<boolean>) {
    setBusy(true);
    await action;
    setBusy(false);
  }

  return (
    <li data-member={member.id} data-role={member.role ?? 'visitor'}>
      <span className="roster-name" dir="auto">
        <span
          className={member.online ? 'presence-dot' : 'presence-dot offline'}
          aria-hidden="true"
        />
        {member.name}
        {isMe && <span className="muted"> (you)</span>}
      </span>
      <span className="muted roster-role">
        {roleName(member.role)}
        <span className="visually-hidden">, {member.online ? 'online' : 'offline'}</span>
      </span>
      {manageable && (
        <details className="manage-member">
          <summary>
            Manage<span className="visually-hidden"> {member.name}</span>
          </summary>
          <div className="stack">
            {changesRole && (
              <div className="row">
                <RoleSelect
                  id={`${id}-role`}
                  roles={roles}
                  value={as}
                  onChange={setAs}
                  label={`Role of ${member.name}`}
                />
                <button
                  type="button"
                  className="secondary"
                  disabled={busy || as === member.role}
                  onClick={() => void act(onRole(as))}
                >
                  {member.role === null ? 'Add' : 'Change role'}
                </button>
              </div>
            )}
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() => void act(onRemove(undefined, undefined))}
            >
              Remove from #{room}
            </button>
            <div className="row">
              <label htmlFor={`${id}-ban`}>Ban for</label>
              <select
                id={`${id}-ban`}
                value={ban}
                onChange={(event) => setBan(Number(event.target.value))}
              >
                {BAN_DURATIONS.map((duration) => (
                  <option key={duration.seconds} value={duration.seconds}>
                    {duration.label}
                  </option>
                ))}
              </select>
              <button
                type="button"
                className="danger-button"
                disabled={busy}
                onClick={() =>
                  void act(onRemove(ban, BAN_DURATIONS.find((d) => d.seconds === ban)?.label ?? ''))
                }
              >
                Ban
              </button>
            </div>
          </div>
        </details>
      )}
    </li>
  );
}
