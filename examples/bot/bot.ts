/**
 * A Parley bot: joins a room as a guest and answers every message that says "ping" with "pong".
 *
 *   PARLEY_URL=http://localhost:3001 PARLEY_WORKSPACE=acme PARLEY_ROOM=general \
 *     pnpm --filter @parley/client bot
 */
import { createGuestSession, createParleyClient } from '@parley/client';
import { env } from './env';

const session = await createGuestSession({ url: env.url, name: env.name });
const client = createParleyClient({ url: env.url, workspace: env.workspace, session });

client.join(env.room);

client.on('message:new', (message) => {
  if (message.room === env.room && message.text.toLowerCase().includes('ping')) {
    client.send(env.room, 'pong');
  }
});

// Says once when it is in the room (whoever started it may wait for that), and gives up when
// the server refuses it.
const stop = client.subscribe(() => {
  const { connection, rooms } = client.getSnapshot();
  if (rooms[env.room]?.joined) {
    process.stdout.write(`ready: ${session.me().name} in ${env.workspace}/${env.room}\n`);
    stop();
  } else if (connection.refused) {
    process.stderr.write(`refused: ${connection.error?.message ?? connection.refused}\n`);
    process.exit(1);
  }
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    client.dispose();
    process.exit(0);
  });
}
