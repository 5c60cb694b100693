import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { clientEvents, ERROR_CODES, serverEvents } from '../src/index';
import { renderReference } from './reference';

const committed = readFileSync(
  fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url)),
  'utf8',
);

describe('docs/protocol.md', () => {
  it('is exactly what the schemas render (run `pnpm docs:protocol` after changing them)', () => {
    expect(committed).toBe(renderReference());
  });

  it('documents every event and error code', () => {
    for (const event of [...Object.keys(clientEvents), ...Object.keys(serverEvents)]) {
      expect(committed).toContain(`### \`${event}\``);
    }
    for (const code of ERROR_CODES) expect(committed).toContain(`| \`${code}\` |`);
  });
});
