import { OpsOverview } from '@parley/protocol';

export const OPS_PATH = '/api/v1/ops';

/** What one request for the overview came to. */
export type OpsAnswer =
  | { kind: 'ok'; overview: OpsOverview }
  /** 401 or 403: the key is wrong, revoked or not allowed to read the overview. */
  | { kind: 'unauthorized'; status: number }
  /** The server answered, but not with an overview (another status, or a body that does not parse). */
  | { kind: 'invalid'; status: number; detail: string }
  /** No answer at all: the server is down, the address is wrong, or CORS refused it. */
  | { kind: 'unreachable'; detail: string };

type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/** One `GET /api/v1/ops` with the key, its answer checked against the protocol's schema. */
export async function fetchOps(
  serverUrl: string,
  apiKey: string,
  options: { signal?: AbortSignal; fetch?: Fetch } = {},
): Promise<OpsAnswer> {
  const doFetch: Fetch = options.fetch ?? ((input, init) => fetch(input, init));
  let response: Response;
  try {
    response = await doFetch(`${serverUrl.replace(/\/+$/, '')}${OPS_PATH}`, {
      method: 'GET',
      headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
      cache: 'no-store',
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return { kind: 'unreachable', detail: error instanceof Error ? error.message : String(error) };
  }
  if (response.status === 401 || response.status === 403) {
    return { kind: 'unauthorized', status: response.status };
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return {
      kind: 'invalid',
      status: response.status,
      detail: response.ok ? 'the answer is not JSON' : `HTTP ${response.status}`,
    };
  }
  if (!response.ok) {
    return { kind: 'invalid', status: response.status, detail: errorDetail(response.status, body) };
  }
  const parsed = OpsOverview.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    return {
      kind: 'invalid',
      status: response.status,
      detail: `the answer does not match the expected shape (${issues.join('; ')})`,
    };
  }
  return { kind: 'ok', overview: parsed.data };
}

/** `HTTP 500: message` from an error body when it has one. */
function errorDetail(status: number, body: unknown): string {
  const message =
    body && typeof body === 'object' && 'error' in body
      ? (body as { error: unknown }).error
      : undefined;
  const text =
    typeof message === 'string'
      ? message
      : message && typeof message === 'object' && 'message' in message
        ? String((message as { message: unknown }).message)
        : '';
  return text ? `HTTP ${status}: ${text}` : `HTTP ${status}`;
}

/** One line a person on call can act on. */
export function answerProblem(answer: Exclude<OpsAnswer, { kind: 'ok' }>): string {
  switch (answer.kind) {
    case 'unauthorized':
      return answer.status === 403
        ? 'This key may not read the operations overview: it needs a key for every workspace (one in PARLEY_API_KEYS without a workspace list).'
        : 'The server refused this key (wrong or revoked). Paste a key from PARLEY_API_KEYS.';
    case 'invalid':
      return `The server answered, but not with an operations overview: ${answer.detail}.`;
    case 'unreachable':
      return `The server could not be reached (${answer.detail}). It may be down, or its CORS_ORIGINS may not include this page.`;
  }
}
