import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderReference } from './reference';

export const REFERENCE_PATH = fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url));

writeFileSync(REFERENCE_PATH, renderReference());
console.log(`wrote ${REFERENCE_PATH}`);
