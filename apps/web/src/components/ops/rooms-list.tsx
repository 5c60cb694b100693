import type { OpsRoom } from '@parley/protocol';

/** The busiest rooms, most sockets first (the server's order). */
export function RoomsList({ rooms }: { rooms: readonly OpsRoom[] }) {
  if (rooms.length === 0) return <p>No room has anyone in it.</p>;
  return (
    <ol className="ops-rooms" data-testid="ops-rooms">
      {rooms.map((room) => (
        <li key={`${room.workspace}/${room.room}`}>
          <span className="ops-room-name">
            {room.workspace}/#{room.room}
          </span>{' '}
          <span className="ops-room-count">
            {room.sockets} {room.sockets === 1 ? 'socket' : 'sockets'}
          </span>
        </li>
      ))}
    </ol>
  );
}
