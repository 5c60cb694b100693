// The bare Socket.IO baseline: Socket.IO's defaults and the documented minimal broadcast
// server (a room; `socket.to(room).emit` of what it receives). It speaks Parley's event names
// and namespaces so the very same client drives it, but has no auth, validation, store or
// presence. Acks answer at once so the sender's flow control works the same as with Parley.
// Plain JavaScript: run as is, like Parley's bundle (see probe-preload.mjs).
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.argv[2]);
const httpServer = createServer();
const io = new Server(httpServer, { serveClient: false });

io.of(/^\/chat\/[a-z0-9-]+$/).on('connection', (socket) => {
  socket.on('room:join', (payload, ack) => {
    socket.join(payload.room);
    ack?.({ ok: true });
  });
  socket.on('message:send', (payload, ack) => {
    socket.to(payload.room).emit('message:new', payload);
    ack?.({ ok: true });
  });
});

// The accept queue Parley listens with (apps/server/src/http/listen-backlog.ts), not Node's 511:
// with 511 a reconnect storm overflowed it (46 696 connections dropped in one 10 000-client
// storm), and the baseline's time was TCP's retry timers (6 s in one run, 17 s in the next),
// not its work.
httpServer.listen(port, '127.0.0.1', 4096);
