'use client';

import { mayPost } from '@parley/client';
import { useParley, useTyping } from '@parley/client/react';
import { useMemo } from 'react';
import { useRoomDetails } from '@/chat/hooks';
import { postingRule, typingLine } from '@/chat/words';
import { NewMessageAnnouncer } from './announcer';
import { Composer } from './composer';
import { LiveEvents } from './live-events';
import { MessageList } from './message-list';

/**
 * A room's conversation: its messages, live events, who is typing, and the composer. Each part
 * reads its own slice of the client's snapshot, so what changes one re-renders that one only: a
 * typing event re-renders the typing line, not the message list.
 */
export function RoomBody({ room }: { room: string }) {
  const client = useParley();
  const details = useRoomDetails(client, room);
  const canPost = details ? mayPost(details) : true;
  return (
    <>
      <MessageList room={room} />
      <NewMessageAnnouncer room={room} />
      <LiveEvents room={room} />
      <TypingLine room={room} />
      <Composer
        room={room}
        canPost={canPost}
        rule={details?.readOnly ? postingRule(room, canPost) : null}
        onSend={(text) => client?.send(room, text)}
        onTyping={(typing) => client?.setTyping(room, typing)}
      />
    </>
  );
}

function TypingLine({ room }: { room: string }) {
  const typing = useTyping(useParley(), room);
  const names = useMemo(() => typing.map((entry) => entry.user.name), [typing]);
  return (
    <p className="typing" data-testid="typing">
      {typingLine(names)}
    </p>
  );
}
