/** The bot's settings, from the environment. */
export const env = {
  url: process.env.PARLEY_URL ?? 'http://localhost:3001',
  workspace: process.env.PARLEY_WORKSPACE ?? 'acme',
  room: process.env.PARLEY_ROOM ?? 'general',
  name: process.env.BOT_NAME ?? 'Ping bot',
};
