/**
 * A short fingerprint of a room's member list, the same on every client and server: a
 * reconnecting client sends the fingerprint of the list it holds (`room:join`'s `membersHash`),
 * and when the server's list has the same one the answer leaves the list out
 * (`membersUnchanged`) — in a room of a hundred people that is most of a re-join's bytes.
 *
 * Canonical: the members sorted by id (UTF-16 code-unit order, as `<` compares strings), each as
 * `[id, name, kind or null]`, as JSON. Order does not count; every field a member shows does.
 * JSON.stringify writes lone surrogates as escapes, so ill-formed names hash the same everywhere.
 *
 * Not a cryptographic hash: it only decides whether to resend a list the asker may see anyway,
 * so someone who forged a collision would only keep an outdated list of their own.
 */
export const MEMBERS_HASH_PATTERN = /^[0-9a-f]{16}$/;

export function membersHash(
  members: readonly { id: string; name: string; kind?: string }[],
): string {
  const sorted = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return hash64(JSON.stringify(sorted.map(({ id, name, kind }) => [id, name, kind ?? null])));
}

/**
 * Two 32-bit multiply-xorshift lanes over the string's code units, each finished with an
 * avalanche step and mixed with the other: 16 hex digits.
 */
function hash64(text: string): string {
  let a = 0x9e3779b9 ^ text.length;
  let b = 0x85ebca6b ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    a = Math.imul(a ^ unit, 0xcc9e2d51);
    a = (a << 15) | (a >>> 17);
    b = Math.imul(b ^ unit, 0x1b873593);
    b = (b << 13) | (b >>> 19);
    b = Math.imul(b, 5) + 0xe6546b64;
  }
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b) ^ Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  b = Math.imul(b ^ (b >>> 16), 0x85ebca6b) ^ Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
  a ^= a >>> 16;
  b ^= b >>> 16;
  return hex8(b) + hex8(a);
}

function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}
