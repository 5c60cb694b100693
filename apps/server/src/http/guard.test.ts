import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { capturingLogger } from '../../test/logs';
import { guardRequests } from './guard';

describe('guardRequests', () => {
  it('answers 500 for what escapes a handler, keeps serving, reports each and logs a count', async () => {
    const { logger: log, lines } = capturingLogger('error');
    const reported: unknown[] = [];
    let calls = 0;
    const server = createServer(
      guardRequests(
        async (_req, res) => {
          calls++;
          if (calls === 2) throw new TypeError('a bug before anything was written');
          if (calls === 3) {
            res.writeHead(200);
            throw new Error('a bug after the headers');
          }
          if (calls === 4) throw 'not even an Error';
          res.end('fine');
        },
        { log, onUnexpected: (error) => reported.push(error) },
      ),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const get = () => fetch(`http://127.0.0.1:${port}/`);
    try {
      expect((await get()).status).toBe(200);
      const failed = await get();
      expect(failed.status).toBe(500);
      expect(await failed.json()).toEqual({
        error: { code: 'internal', message: 'unexpected server error; it was logged' },
      });
      await expect(get().then((r) => r.text())).rejects.toThrow(); // headers sent: cut off
      expect((await get()).status).toBe(500);
      expect(await (await get()).text()).toBe('fine');
      expect(reported).toHaveLength(3);
      // Throttled: the first is logged at once, the next two wait for the interval's count.
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ count: 1 });
    } finally {
      server.close();
    }
  });
});
