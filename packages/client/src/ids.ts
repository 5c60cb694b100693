/**
 * A fresh `clientMsgId`. `crypto.randomUUID` exists only in secure contexts (https, localhost);
 * a LAN address over plain http still has `getRandomValues`. Node 20 has both.
 */
export function newClientMsgId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
