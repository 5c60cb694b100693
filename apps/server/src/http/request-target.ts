/**
 * The request target of an HTTP request, checked before anything routes on it. Node hands the
 * raw target over as `req.url`, whatever the client wrote; the WHATWG `URL` parser reads a
 * leading `//` as an authority and throws on `//[`, `//a:99999/x` or `//%zz`, so no target is
 * given to it before it has passed the grammar below.
 *
 * Accepted: origin-form (RFC 9112 §3.2.1) — a path of RFC 3986 path characters with valid
 * percent-escapes, not starting with `//` (nothing Parley serves has an empty first segment, and
 * that is what parsers disagree on) — and an optional query of visible ASCII; or absolute-form
 * (`http://host/path`), which servers must accept and whose path is then checked the same way.
 */
export interface RequestTarget {
  /** The path as sent (still percent-encoded). */
  path: string;
  query: URLSearchParams;
}

const PATH = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
// Visible ASCII without `#`: what clients put in queries, escaped or not.
const QUERY = /^[\x21\x22\x24-\x7e]*$/;
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
const ABSOLUTE_FORM = /^https?:\/\//i;

/** The checked target, or undefined when it is not one Parley can route (answer 400). */
export function parseRequestTarget(raw: string | undefined): RequestTarget | undefined {
  if (raw === undefined) return undefined;
  if (ABSOLUTE_FORM.test(raw)) return parseAbsoluteForm(raw);
  const mark = raw.indexOf('?');
  const path = mark === -1 ? raw : raw.slice(0, mark);
  const query = mark === -1 ? '' : raw.slice(mark + 1);
  if (!PATH.test(path) || BAD_ESCAPE.test(path) || !QUERY.test(query)) return undefined;
  return { path, query: new URLSearchParams(query) };
}

function parseAbsoluteForm(raw: string): RequestTarget | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  return parseRequestTarget(`${url.pathname}${url.search}`);
}

/**
 * `decodeURIComponent`, except that an escape which is not UTF-8 (`%ff`) answers undefined
 * instead of throwing: a name in a path is then simply not a valid name.
 */
export function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
