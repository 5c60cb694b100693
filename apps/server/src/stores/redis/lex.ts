/**
 * The ZRANGE BYLEX bounds of a page of names: after `after` (exclusive), starting with `prefix`.
 * Names are ASCII, so the first string past every one with the prefix is the prefix with its
 * last character's successor.
 */
export function lexRange(after: string | undefined, prefix = ''): { from: string; to: string } {
  const from = after !== undefined && after >= prefix ? `(${after}` : `[${prefix}`;
  if (prefix === '') return { from, to: '+' };
  const last = prefix.charCodeAt(prefix.length - 1);
  return { from, to: `(${prefix.slice(0, -1)}${String.fromCharCode(last + 1)}` };
}
