import { z } from 'zod';
import { ErrorBody } from './errors';
import { DisplayName, Member } from './schemas';

/** The HTTP API's paths, relative to the server's base URL. */
export const HttpPath = {
  Session: '/api/v1/session',
  Health: '/healthz',
  Ready: '/readyz',
} as const;

/** `POST /api/v1/session`: a guest token for a display name. */
export const SessionRequest = z.object({
  name: DisplayName,
  token: z.string().max(4096).optional().meta({
    description:
      'A guest token this server issued before: the new token keeps its user id, so a guest who changes their name stays the same member.',
  }),
});
export type SessionRequest = z.input<typeof SessionRequest>;

export const SessionResponse = z.object({
  token: z.string().meta({ description: 'Pass as `auth.token` when connecting.' }),
  user: Member,
  expiresAt: z.iso.datetime(),
});
export type SessionResponse = z.infer<typeof SessionResponse>;

/** Every HTTP error body. */
export const HttpErrorResponse = z.object({ error: ErrorBody });
export type HttpErrorResponse = z.infer<typeof HttpErrorResponse>;
