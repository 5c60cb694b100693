/**
 * What text Parley accepts from anyone: the rules every schema with free text (message text,
 * display names, topics, event data) is built from, so one character class is decided once.
 */

/**
 * A lone UTF-16 surrogate: not a character, cannot be encoded as UTF-8, and turns into an
 * escape that some JSON decoders (Redis's Lua cjson among them) refuse. In Unicode mode a
 * surrogate pair is one code point and never matches; only a half of one does.
 */
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether `text` is well-formed UTF-16: every surrogate is half of a pair. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** `text` with every lone surrogate replaced by U+FFFD, as a UTF-8 encoder would. */
export function toWellFormed(text: string): string {
  return text.replace(/\p{Cs}/gu, '\ufffd');
}

/**
 * A character someone can see. Not: whitespace, controls (C0 and C1), format characters (zero
 * width spaces and joiners, bidi marks, overrides and isolates, tag characters), combining marks
 * on their own (variation selectors among them), and the blank letters that render as nothing
 * (the Hangul fillers, the blank Braille pattern).
 */
const VISIBLE = /[^\p{White_Space}\p{Cc}\p{Cf}\p{M}\p{Cs}\u115f\u1160\u3164\uffa0\u2800]/u;

/** Whether `text` shows anything at all: text made only of invisible characters is refused. */
export function hasVisibleCharacter(text: string): boolean {
  return VISIBLE.test(text);
}

/**
 * C0 controls other than tab, line feed and carriage return, DEL, and the C1 controls: never
 * meaningful in chat text, and some (NUL, ESC, CSI) break terminals and log pipelines downstream.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
export const STRAY_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/**
 * In a name (one line, shown next to everything its owner says) also: every control character,
 * line and paragraph separators, the bidi controls that let a name reorder what follows it, and
 * the invisible spaces that make "Ana" and "An​a" two people. Zero width joiners stay: emoji
 * sequences and several scripts need them.
 */
export const NAME_FORBIDDEN =
  /[\p{Cc}\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]/u;

/**
 * A JSON value as a publisher may send it: only well-formed strings (keys included), finite
 * numbers, at most `maxDepth` levels of nesting. Walked without recursion, so no value can
 * exhaust the stack of whoever checks it. Answers the first problem found, or undefined.
 */
export function jsonProblem(value: unknown, maxDepth: number): string | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    if (current === null || typeof current === 'boolean') continue;
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return 'numbers must be finite';
      continue;
    }
    if (typeof current === 'string') {
      if (!isWellFormed(current)) return 'strings must be well-formed Unicode';
      continue;
    }
    if (typeof current !== 'object') return `${typeof current} is not JSON`;
    if (depth >= maxDepth) return `nested deeper than ${maxDepth} levels`;
    if (Array.isArray(current)) {
      for (const item of current) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    const prototype = Object.getPrototypeOf(current);
    if (prototype !== Object.prototype && prototype !== null) return 'only plain objects are JSON';
    for (const [key, item] of Object.entries(current)) {
      if (!isWellFormed(key)) return 'keys must be well-formed Unicode';
      stack.push({ value: item, depth: depth + 1 });
    }
  }
  return undefined;
}
