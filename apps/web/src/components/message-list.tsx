'use client';

import { groupByAuthor } from '@parley/client';
import { useParley } from '@parley/client/react';
import { memo, useCallback, useLayoutEffect, useRef } from 'react';
import { useMe, useMyRole, useTimeline } from '@/chat/hooks';
import { mayDelete, mayEdit } from '@/chat/roster';
import { describeError } from '@/chat/words';
import { MessageItem } from './message-item';

// Within this distance of an edge counts as "at" it.
const EDGE_PX = 48;

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const NO_MESSAGES: readonly never[] = [];

/**
 * The room's messages, grouped by author. Stays pinned to the bottom while the reader is there,
 * keeps the reader's place when older messages are added above, and loads them when scrolled
 * to the top.
 *
 * It reads the room's timeline (and this user's role and identity) through selectors, and takes
 * nothing else from its parent but the room's name: typing, presence, live events and other
 * rooms re-render neither it nor its messages (message-list.test.tsx).
 */
export const MessageList = memo(function MessageList({ room }: { room: string }) {
  const client = useParley();
  const timeline = useTimeline(client, room);
  const role = useMyRole(client, room);
  const me = useMe(client);
  const messages = timeline?.messages ?? NO_MESSAGES;
  const hasMore = timeline?.hasMore ?? false;
  const loadingOlder = timeline?.loadingOlder ?? false;

  const onLoadOlder = useCallback(() => void client?.loadOlder(room), [client, room]);
  const onRetry = useCallback((key: string) => client?.retry(room, key), [client, room]);
  const onEdit = useCallback(
    async (key: string, text: string) => {
      const error = client ? await client.edit(room, key, text) : null;
      return error && describeError(error, room);
    },
    [client, room],
  );
  const onDelete = useCallback(
    async (key: string) => {
      const error = client ? await client.delete(room, key) : null;
      return error && describeError(error, room);
    },
    [client, room],
  );

  const scroller = useRef<HTMLElement>(null);
  const atBottom = useRef(true);
  const previous = useRef<{ firstKey?: string; scrollHeight: number }>({ scrollHeight: 0 });

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const firstKey = messages[0]?.key;
    const last = messages.at(-1);
    if (previous.current.firstKey && firstKey !== previous.current.firstKey && !atBottom.current) {
      // Older messages were added above: keep what the reader was looking at in place.
      element.scrollTop += element.scrollHeight - previous.current.scrollHeight;
    } else if (atBottom.current || (last?.author.id === me.id && last.delivery === 'pending')) {
      element.scrollTop = element.scrollHeight;
    }
    previous.current = { firstKey, scrollHeight: element.scrollHeight };
  }, [messages, me.id]);

  function onScroll() {
    const element = scroller.current;
    if (!element) return;
    atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < EDGE_PX;
    if (element.scrollTop < EDGE_PX && hasMore && !loadingOlder) onLoadOlder();
  }

  const groups = groupByAuthor(messages);
  return (
    <section
      className="messages"
      ref={scroller}
      onScroll={onScroll}
      aria-label={`Messages in #${room}`}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region needs focus so keyboard users can scroll it.
      tabIndex={0}
    >
      <div className="history-edge">
        {hasMore ? (
          <button type="button" className="link" onClick={onLoadOlder} disabled={loadingOlder}>
            {loadingOlder ? 'Loading older messages…' : 'Load older messages'}
          </button>
        ) : (
          <p className="muted">This is the beginning of #{room}.</p>
        )}
      </div>
      <ol className="message-groups">
        {groups.map((group) => (
          <li key={group.key} className="group">
            <p className="group-header">
              <span className="author" dir="auto">
                {group.author.name}
                {group.author.id === me.id && <span className="muted"> (you)</span>}
              </span>
              {group.author.kind === 'integration' && (
                <span className="app-badge" title="Posted by an integration through the server API">
                  app
                </span>
              )}
              <time
                dateTime={group.messages[0]?.sentAt}
                title={formatFull(group.messages[0]?.sentAt)}
              >
                {formatTime(group.messages[0]?.sentAt)}
              </time>
            </p>
            <ul className="group-messages">
              {group.messages.map((message) => (
                <MessageItem
                  key={message.key}
                  room={room}
                  message={message}
                  canEdit={mayEdit(me.id, message)}
                  canDelete={mayDelete(role, me.id, message)}
                  onRetry={onRetry}
                  onEdit={onEdit}
                  onDelete={onDelete}
                />
              ))}
            </ul>
          </li>
        ))}
      </ol>
    </section>
  );
});

function formatTime(iso: string | undefined): string {
  return iso ? timeFormat.format(new Date(iso)) : '';
}

function formatFull(iso: string | undefined): string {
  return iso ? fullFormat.format(new Date(iso)) : '';
}
