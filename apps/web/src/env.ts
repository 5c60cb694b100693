import { z } from 'zod';

/**
 * The web app's environment, read once on the server at request time (not inlined at build
 * time), so one build can point at any Parley server.
 */
const Env = z.object({
  PARLEY_SERVER_URL: z.url().default('http://localhost:3001'),
});

export const env = Env.parse({ PARLEY_SERVER_URL: process.env.PARLEY_SERVER_URL || undefined });
