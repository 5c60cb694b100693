import { createHash } from 'node:crypto';
import type { ApiConfig } from '../config';
import { ParleyError } from '../errors';

/** Who is calling the server API: one configured key. */
export interface ApiCaller {
  name: string;
  workspaces: '*' | string[];
}

const digest = (key: string) => createHash('sha256').update(key).digest('base64');

/**
 * Recognises API keys. Keys are looked up by their SHA-256, so the comparison never runs over
 * the secret itself and takes the same time whatever the presented key shares with a real one.
 */
export function createApiKeyring({ keys, revoked }: ApiConfig) {
  const revokedNames = new Set(revoked);
  const byDigest = new Map(keys.map((key) => [digest(key.key), key]));

  return {
    authenticate(authorization: string | undefined): ApiCaller {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
      if (!match?.[1]) {
        throw new ParleyError(
          'unauthorized',
          'missing API key: send "Authorization: Bearer <key>"',
        );
      }
      const key = byDigest.get(digest(match[1]));
      if (!key) throw new ParleyError('unauthorized', 'unknown API key');
      if (revokedNames.has(key.name)) {
        throw new ParleyError('unauthorized', `API key "${key.name}" has been revoked`);
      }
      return { name: key.name, workspaces: key.workspaces };
    },
  };
}

export function callerMayUse(caller: ApiCaller, workspace: string): boolean {
  return caller.workspaces === '*' || caller.workspaces.includes(workspace);
}
