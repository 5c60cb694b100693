import { Decoder, type Packet, protocol } from 'socket.io-parser';
import { encodeJson } from './shared-json';

/**
 * Socket.IO's packet encoder for a server whose events carry JSON only, as every Parley event
 * does (the protocol's schemas: strings, numbers, booleans, arrays and objects). Socket.IO's own
 * encoder first walks every event and acknowledgement, to its last array element, looking for
 * binary attachments Parley never sends — a join's answer is a hundred members and the messages
 * missed, and in the reconnect storm's profile the walk cost as much as the JSON itself. The
 * string written is Socket.IO's, byte for byte (json-packets.test.ts compares the two over every
 * JSON packet): the packet type, the namespace unless it is the main one, the ack id, the data.
 *
 * A list shared by many packets (`shared-json.ts`: a room's member list) is written from the JSON
 * it keeps, not serialized again.
 *
 * A Buffer given to it would be written as JSON (`{"type":"Buffer","data":[…]}`), not as an
 * attachment: Parley's events never hold one.
 */
export class JsonPacketEncoder {
  encode(packet: Packet): string[] {
    let encoded = `${packet.type}`;
    if (packet.nsp && packet.nsp !== '/') encoded += `${packet.nsp},`;
    if (packet.id != null) encoded += packet.id;
    if (packet.data != null) encoded += encodeJson(packet.data);
    return [encoded];
  }
}

/** The `parser` option of Parley's Socket.IO server: Socket.IO's decoder, the encoder above. */
export const jsonPacketParser = { protocol, Encoder: JsonPacketEncoder, Decoder };
