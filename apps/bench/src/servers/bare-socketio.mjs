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

httpServer.listen(port, '127.0.0.1');
