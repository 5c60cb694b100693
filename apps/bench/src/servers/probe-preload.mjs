// Preloaded (node --import) into every server the harness measures, Parley included, so no
// server needs code of its own for the benchmark. Over the IPC channel the harness opens:
//  - { type: 'memory' } runs a full garbage collection (node --expose-gc) and answers
//    process.memoryUsage(), so idle memory is compared after collection, not by luck of timing;
//  - { type: 'profile-start' } / { type: 'profile-stop', path } run V8's CPU profiler (the one
//    behind node --cpu-prof) over just the measured window, not the setup around it, and write
//    the .cpuprofile to `path`;
//  - a closed channel means the harness is gone: exit rather than linger as an orphan.
// A PARLEY_WORKERS worker (forked with the same flags) has no channel to the harness, only to its
// primary: on SIGUSR2 it collects garbage the same way and writes process.memoryUsage() to
// `workerMemoryFile(pid)` (targets.ts reads it), so a multi-process node is measured as one.
// Plain JavaScript on purpose: no TypeScript loader sits in a measured process.
import cluster from 'node:cluster';
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let profiler;

function answer(request, fields) {
  process.send({ type: request.type, id: request.id, ...fields });
}

const handlers = {
  memory(request) {
    collectGarbage();
    answer(request, { usage: process.memoryUsage() });
  },
  'profile-start'(request) {
    profiler = new Session();
    profiler.connect();
    profiler.post('Profiler.enable', () =>
      profiler.post('Profiler.start', (error) => answer(request, { error: error?.message })),
    );
  },
  'profile-stop'(request) {
    if (!profiler) return answer(request, { error: 'profiler not started' });
    profiler.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(request.path, JSON.stringify(result.profile));
      profiler.disconnect();
      profiler = undefined;
      answer(request, { error: error?.message });
    });
  },
};

function collectGarbage() {
  if (typeof globalThis.gc === 'function') {
    // Twice: the first pass can leave work (weak references, finalizers) for a second one.
    globalThis.gc();
    globalThis.gc();
  }
}

if (cluster.isWorker) {
  process.on('SIGUSR2', () => {
    collectGarbage();
    const file = join(tmpdir(), `parley-bench-memory-${process.pid}.json`);
    // Written aside, then renamed: the harness sees the whole file or none.
    writeFileSync(`${file}.part`, JSON.stringify(process.memoryUsage()));
    renameSync(`${file}.part`, file);
  });
} else if (typeof process.send === 'function') {
  process.on('message', (request) => handlers[request?.type]?.(request));
  process.on('disconnect', () => process.exit(0));
  // The IPC channel must not keep a server alive by itself.
  process.channel?.unref();
}
