import { randomBytes } from 'node:crypto';

/**
 * A list many packets carry unchanged — a room's member list, in the answer to every join of the
 * room until someone arrives or leaves — serialized once, not once per packet. In a reconnect
 * storm every client of a room of 100 is answered the same 100 members: `JSON.stringify` of the
 * list is ≈ 20 µs a join, most of the answer's encoding.
 *
 * A `SharedList` is an array in every other respect. While `encodeJson` runs, its `toJSON` hands
 * `JSON.stringify` a placeholder, which `encodeJson` then replaces with the list's JSON (made on
 * first use, then kept with the list); anywhere else it serializes as the plain array it is.
 * The placeholder holds a NUL and a random nonce of this process: no value a client sends can
 * spell it (and none is ever seen outside this module).
 */
export class SharedList<T> extends Array<T> {
  #json: string | undefined;

  /** Its JSON, made once. */
  json(): string {
    if (this.#json === undefined) {
      // Made outside any collection (an encodeJson under way further up the stack): its lists'
      // JSON must be their own, never a placeholder. And not JSON.stringify(this): that would
      // ask toJSON.
      const outer = collecting;
      collecting = undefined;
      try {
        this.#json = JSON.stringify([...this]);
      } finally {
        collecting = outer;
      }
    }
    return this.#json;
  }

  toJSON(): unknown {
    // Outside encodeJson: the array itself (JSON.stringify does not ask it for toJSON again).
    if (!collecting) return this;
    collecting.push(this);
    return `${PLACEHOLDER}${collecting.length - 1}`;
  }

  // Methods that make new arrays (map, filter, slice, …) make plain ones.
  static override get [Symbol.species]() {
    return Array;
  }
}

const PLACEHOLDER = `\u0000shared-json:${randomBytes(12).toString('hex')}:`;

/** The lists met by the `JSON.stringify` under way in `encodeJson`, in order. */
let collecting: SharedList<unknown>[] | undefined;

/** Lists already shared, by the list they copy: one copy (and one JSON) per list. */
const shared = new WeakMap<readonly unknown[], SharedList<unknown>>();

/**
 * The list as a `SharedList`: the same one for the same (unchanged, never mutated) list, so its
 * JSON is made once however many packets carry it. Frozen: every packet shares it (typed as a
 * plain array, as the protocol's answers are, but a push throws).
 */
export function sharedList<T>(list: readonly T[]): SharedList<T> {
  let copy = shared.get(list) as SharedList<T> | undefined;
  if (!copy) {
    copy = Object.freeze(SharedList.from(list)) as SharedList<T>;
    shared.set(list, copy);
  }
  return copy;
}

/** `JSON.stringify(value)`, each `SharedList` in it written from its kept JSON. */
export function encodeJson(value: unknown): string {
  const outer = collecting;
  collecting = [];
  let json: string;
  let lists: SharedList<unknown>[];
  try {
    json = JSON.stringify(value);
    lists = collecting;
  } finally {
    collecting = outer;
  }
  for (let index = 0; index < lists.length; index++) {
    const placeholder = JSON.stringify(`${PLACEHOLDER}${index}`);
    const at = json.indexOf(placeholder);
    // A toJSON that asked for a list and then dropped what it got: never write a half-spliced
    // packet (nor the nonce).
    if (at < 0) throw new Error('encodeJson: a shared list was asked for and not written');
    const list = (lists[index] as SharedList<unknown>).json();
    json = json.slice(0, at) + list + json.slice(at + placeholder.length);
  }
  return json;
}
