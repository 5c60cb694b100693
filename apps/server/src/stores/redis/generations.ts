/**
 * A map that forgets in generations: an entry not asked for in two of them (`generationMs`
 * each) is dropped, so an idle node holds nothing, and a generation holds at most `maxEntries`
 * (a full one starts the next early), so a flood of distinct keys costs bounded memory. What a
 * node keeps of Redis's answers to save reading or parsing them again (members, member lists).
 */
export interface Generations<K, V> {
  /** The value, kept in the current generation (brought forward from the previous one). */
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  /** Forgets everything. */
  clear(): void;
  /** Forgets everything and stops the clock (the store is closing). */
  stop(): void;
}

export interface GenerationLimits {
  maxEntries?: number;
  generationMs?: number;
}

export function createGenerations<K, V>({
  maxEntries = 20_000,
  generationMs = 10_000,
}: GenerationLimits = {}): Generations<K, V> {
  let current = new Map<K, V>();
  let previous = new Map<K, V>();
  const nextGeneration = () => {
    previous = current;
    current = new Map();
  };
  const clock = setInterval(nextGeneration, generationMs);
  clock.unref();
  const clear = () => {
    current = new Map();
    previous = new Map();
  };
  const set = (key: K, value: V) => {
    if (current.size >= maxEntries) nextGeneration();
    current.set(key, value);
  };

  return {
    get(key) {
      const value = current.get(key);
      if (value !== undefined) return value;
      const old = previous.get(key);
      if (old !== undefined) set(key, old);
      return old;
    },
    set,
    clear,
    stop() {
      clearInterval(clock);
      clear();
    },
  };
}
