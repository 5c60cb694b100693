// The ceiling for anything on Node: a plain `ws` server that prebuilds one WebSocket frame per
// message and writes it to every socket of the room, the way Socket.IO's broadcast does at best
// (engine.io hands precomputed frames to ws's sender the same way), coalescing each socket's
// frames of one event-loop turn into one write. It answers just enough of
// Engine.IO / Socket.IO v4 for the benchmark's client: the open packet, namespace connect,
// acks for room:join and message:send. No validation, no parsing on the hot path beyond
// locating the payload. Plain JavaScript: run as is, like Parley's bundle.
import { Sender, WebSocket, WebSocketServer } from 'ws';

const port = Number(process.argv[2]);
const OPEN_PACKET = `0${JSON.stringify({
  sid: 'ceiling',
  upgrades: [],
  pingInterval: 300_000,
  pingTimeout: 300_000,
  maxPayload: 1_000_000,
})}`;
const SEND_EVENT = '["message:send",';
const NEW_EVENT = '["message:new",';

/** room name -> sockets in it */
const rooms = new Map();

// The accept queue every target listens with (see bare-socketio.mjs).
const server = new WebSocketServer({ host: '127.0.0.1', port, path: '/socket.io/', backlog: 4096 });

server.on('connection', (socket) => {
  socket.send(OPEN_PACKET);
  socket.on('message', (data) => {
    const packet = data.toString();
    if (packet === '2') return socket.send('3');
    if (packet.startsWith('40')) {
      const namespace = packet.slice(2, packet.indexOf(','));
      return socket.send(`40${namespace},{"sid":"ceiling"}`);
    }
    if (!packet.startsWith('42')) return;
    // 42<namespace>,<ack id>["event",payload]
    const comma = packet.indexOf(',');
    const bracket = packet.indexOf('[', comma);
    const namespace = packet.slice(2, comma);
    const ackId = packet.slice(comma + 1, bracket);
    const ack = () => ackId && socket.send(`43${namespace},${ackId}[{"ok":true}]`);
    if (packet.startsWith(SEND_EVENT, bracket)) {
      broadcast(socket, `42${namespace},${NEW_EVENT}${packet.slice(bracket + SEND_EVENT.length)}`);
      return ack();
    }
    const [event, payload] = JSON.parse(packet.slice(bracket));
    if (event === 'room:join') {
      socket.room?.delete(socket);
      let members = rooms.get(payload.room);
      if (!members) {
        members = new Set();
        rooms.set(payload.room, members);
      }
      members.add(socket);
      socket.room = members;
      ack();
    }
  });
  socket.on('close', () => socket.room?.delete(socket));
});

/** TCP sockets corked during this event-loop turn; uncorked together at the end of it. */
const corked = new Set();

function uncorkAll() {
  for (const raw of corked) raw.uncork();
  corked.clear();
}

function broadcast(sender, text) {
  const members = sender.room;
  if (!members) return;
  // One frame for everyone: header and payload built once, written to each socket as is.
  const frame = Sender.frame(Buffer.from(text), {
    fin: true,
    rsv1: false,
    opcode: 1,
    mask: false,
    readOnly: false,
  });
  for (const socket of members) {
    if (socket === sender || socket.readyState !== WebSocket.OPEN) continue;
    // Frames for one socket within one turn leave in one write (as engine.io batches packets
    // while a write is pending): under load, a syscall per frame would make this no ceiling.
    const raw = socket._socket;
    if (!corked.has(raw)) {
      raw.cork();
      corked.add(raw);
      if (corked.size === 1) setImmediate(uncorkAll);
    }
    socket._sender.sendFrame(frame);
  }
}
