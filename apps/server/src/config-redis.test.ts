import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, type RedisNode } from './config';

/** What a `host:port,…` list setting became: the nodes, or the problems named. */
function parsedList(
  name: 'REDIS_SENTINELS' | 'REDIS_CLUSTER_NODES',
  value: string,
): { nodes?: RedisNode[]; problems?: string[] } {
  try {
    const topology = parseConfig({ [name]: value }).config.redis?.topology;
    if (topology?.kind === 'sentinel') return { nodes: topology.sentinels };
    if (topology?.kind === 'cluster') return { nodes: topology.nodes };
    return {};
  } catch (error) {
    if (error instanceof ConfigError) return { problems: error.problems };
    throw error;
  }
}

const hostChar = fc.constantFrom(...'abcz09.-_'.split(''));
const host = fc.string({ unit: hostChar, minLength: 1, maxLength: 20 });
const port = fc.integer({ min: 0, max: 99_999 });

describe('Redis node lists (REDIS_SENTINELS, REDIS_CLUSTER_NODES)', () => {
  it('any text is parsed into nodes or refused with the setting named, never anything else', () => {
    for (const name of ['REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const) {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (value) => {
          const parsed = parsedList(name, value);
          if (parsed.problems) {
            expect(parsed.problems.length).toBeGreaterThan(0);
            for (const problem of parsed.problems) expect(problem.startsWith(name)).toBe(true);
          } else if (parsed.nodes) {
            for (const node of parsed.nodes) {
              expect(node.host).toMatch(/^[^\s:]+$/);
              expect(node.port).toBeGreaterThanOrEqual(1);
              expect(node.port).toBeLessThanOrEqual(65_535);
            }
          }
        }),
        { seed: 7, numRuns: 300 },
      );
    }
  });

  it('keeps every host:port of a well-formed list, in order, and refuses ports out of range', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(host, port), { minLength: 1, maxLength: 6 }), (nodes) => {
        const value = nodes.map(([h, p]) => ` ${h}:${p} `).join(',');
        const parsed = parsedList('REDIS_CLUSTER_NODES', value);
        if (nodes.some(([, p]) => p < 1 || p > 65_535)) {
          const { problems = [] } = parsed;
          expect(problems.length).toBeGreaterThan(0);
          for (const problem of problems) expect(problem).toMatch(/port must be 1-65535/);
          return;
        }
        expect(parsed).toEqual({ nodes: nodes.map(([h, p]) => ({ host: h, port: p })) });
      }),
      { seed: 8, numRuns: 200 },
    );
  });
});
