import { fileURLToPath } from 'node:url';

/** apps/bench/ */
export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
export const SERVERS_DIR = fileURLToPath(new URL('./servers/', import.meta.url));
export const PARLEY_MAIN = fileURLToPath(new URL('../../server/dist/main.js', import.meta.url));
