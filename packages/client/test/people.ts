/** People using the client against a real server, and waiting for what they see. */
import {
  createGuestSession,
  createParleyClient,
  type ParleyClient,
  type ParleyClientOptions,
  type ParleySnapshot,
  type RoomState,
} from '../src/index';

export const WORKSPACE = 'acme';

/** A guest with a client of their own, reconnecting fast (tests wait for reconnections). */
export async function person(
  serverUrl: string,
  name: string,
  options: Partial<ParleyClientOptions> & { via?: string } = {},
): Promise<ParleyClient> {
  const session = await createGuestSession({ url: serverUrl, name });
  const { via, ...rest } = options;
  return createParleyClient({
    url: via ?? serverUrl,
    workspace: WORKSPACE,
    session,
    transports: ['websocket'],
    socketOptions: { reconnectionDelay: 50, reconnectionDelayMax: 200 },
    ...rest,
  });
}

/** Resolves with the first snapshot for which `check` holds; fails after `timeoutMs`. */
export function waitFor(
  client: ParleyClient,
  what: string,
  check: (snapshot: ParleySnapshot) => boolean,
  timeoutMs = 8_000,
): Promise<ParleySnapshot> {
  return new Promise((resolve, reject) => {
    const test = () => {
      const snapshot = client.getSnapshot();
      if (!check(snapshot)) return false;
      clearTimeout(timer);
      stop();
      resolve(snapshot);
      return true;
    };
    const timer = setTimeout(() => {
      stop();
      const snapshot = client.getSnapshot();
      reject(
        new Error(
          `${snapshot.me.name} never saw: ${what}\nconnection: ${JSON.stringify(snapshot.connection)}\nrooms: ${JSON.stringify(summary(snapshot), null, 1)}`,
        ),
      );
    }, timeoutMs);
    const stop = client.subscribe(test);
    test();
  });
}

function summary(snapshot: ParleySnapshot) {
  return Object.values(snapshot.rooms).map((room) => ({
    name: room.name,
    joined: room.joined,
    error: room.error,
    messages: room.timeline.messages.map((m) => [m.seq, m.text, m.delivery]),
    gaps: room.timeline.gaps,
    typing: room.typing.map((t) => t.user.name),
  }));
}

export const room = (client: ParleyClient, name: string): RoomState | undefined =>
  client.getSnapshot().rooms[name];

/** The texts a person sees in a room, oldest first (change entries left out). */
export const textsIn = (client: ParleyClient, name: string): string[] =>
  (room(client, name)?.timeline.messages ?? []).filter((m) => !m.hidden).map((m) => m.text);

export const joined = (client: ParleyClient, name: string) =>
  waitFor(client, `${name} joined`, (s) => s.rooms[name]?.joined === true);

export const sees = (client: ParleyClient, name: string, text: string) =>
  waitFor(client, `"${text}" in ${name}`, (s) =>
    (s.rooms[name]?.timeline.messages ?? []).some((m) => m.text === text && m.delivery === 'sent'),
  );

export const connected = (client: ParleyClient) =>
  waitFor(client, 'connected', (s) => s.connection.status === 'connected');
