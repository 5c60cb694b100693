// Pure JS and synchronous, the same in browsers and Node. 1.x, pinned: 2.x asks for Node
// ≥ 20.19, and Parley runs on any Node ≥ 20.9 (package.json engines).
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * A fingerprint of a room's member list, the same on every client and server: a reconnecting
 * client sends the fingerprint of the list it holds (`room:join`'s `membersHash`), and when the
 * server's list has the same one the answer leaves the list out (`membersUnchanged`) — in a
 * room of a hundred people that is most of a re-join's bytes.
 *
 * Defined so any client can make it: the members sorted by id (UTF-16 code-unit order, as JS's
 * `<` compares strings), each as the JSON array `[id, name, kind or null]`, the whole list as a
 * JSON array written without spaces (JSON.stringify: a lone surrogate is written as its `\uXXXX`
 * escape, so the text is well-formed), its UTF-8 bytes hashed with SHA-256, and the first 16
 * bytes of the digest as lowercase hex. Order does not count; every field a member shows does.
 *
 * A cryptographic hash, because the list is not the asker's alone: someone who could pick a
 * display name whose arrival leaves the fingerprint unchanged would be hidden from the lists of
 * everyone re-joining. With 128 bits of SHA-256 that takes a second preimage (2^128 work).
 */
export const MEMBERS_HASH_PATTERN = /^[0-9a-f]{32}$/;

export function membersHash(
  members: readonly { id: string; name: string; kind?: string }[],
): string {
  const sorted = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const canonical = JSON.stringify(sorted.map(({ id, name, kind }) => [id, name, kind ?? null]));
  return bytesToHex(sha256(utf8ToBytes(canonical)).subarray(0, 16));
}
