// Preloaded (node --import) into every server the harness measures, Parley included, so no
// server needs code of its own for the benchmark. Over the IPC channel the harness opens:
//  - { type: 'memory' } runs a full garbage collection (node --expose-gc) and answers
//    process.memoryUsage(), so idle memory is compared after collection, not by luck of timing;
//  - a closed channel means the harness is gone: exit rather than linger as an orphan.
// Plain JavaScript on purpose: no TypeScript loader sits in a measured process.

if (typeof process.send === 'function') {
  process.on('message', (request) => {
    if (request?.type !== 'memory') return;
    if (typeof globalThis.gc === 'function') {
      // Twice: the first pass can leave work (weak references, finalizers) for a second one.
      globalThis.gc();
      globalThis.gc();
    }
    process.send({ type: 'memory', id: request.id, usage: process.memoryUsage() });
  });
  process.on('disconnect', () => process.exit(0));
  // The IPC channel must not keep a server alive by itself, nor count as work.
  process.channel?.unref();
}
