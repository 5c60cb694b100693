/**
 * Renders docs/protocol.md from the protocol's own schemas, so the reference cannot drift:
 * `reference.test.ts` fails when the committed file differs from what this renders.
 */
import { z } from 'zod';
import {
  clientEvents,
  ERROR_CODE_MEANINGS,
  ERROR_CODES,
  HandshakeAuth,
  HttpErrorResponse,
  HttpPath,
  LIMITS,
  PROTOCOL_VERSION,
  REFUSAL_MEANINGS,
  SessionRequest,
  SessionResponse,
  serverEvents,
  WEBHOOK_EVENT_MEANINGS,
  WebhookEvent,
} from '../src/index';

interface JsonSchema {
  type?: string | string[];
  $ref?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  description?: string;
  $defs?: Record<string, JsonSchema>;
}

const definitions = new Map<string, JsonSchema>();

function toJson(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  for (const [name, definition] of Object.entries(json.$defs ?? {}))
    definitions.set(name, definition);
  return json;
}

function typeOf(schema: JsonSchema): string {
  if (schema.$ref) {
    const name = schema.$ref.split('/').at(-1) ?? '';
    return `[${name}](#${name.toLowerCase()})`;
  }
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.enum) return schema.enum.map((value) => `\`${JSON.stringify(value)}\``).join(' \\| ');
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return union.map(typeOf).join(' \\| ');
  if (schema.type === 'array' && schema.items) return `${typeOf(schema.items)}[]`;
  if (Array.isArray(schema.type)) return schema.type.join(' \\| ');
  if (schema.type === 'object' && !schema.properties) return 'object';
  return schema.type ?? 'any';
}

function rulesOf(schema: JsonSchema): string {
  const rules: string[] = [];
  if (schema.format) rules.push(schema.format);
  else if (schema.pattern) rules.push(`\`${schema.pattern}\``);
  if (schema.minLength !== undefined && schema.minLength > 0)
    rules.push(`≥ ${schema.minLength} chars`);
  if (schema.maxLength !== undefined) rules.push(`≤ ${schema.maxLength} chars`);
  if (schema.minimum !== undefined) rules.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER)
    rules.push(`≤ ${schema.maximum}`);
  return rules.join(', ');
}

function fieldTable(schema: JsonSchema): string {
  if (schema.$ref) return `${typeOf(schema)}\n`;
  const union = schema.anyOf ?? schema.oneOf;
  if (union && !schema.properties) return `One of: ${union.map(typeOf).join(', or ')}.\n`;
  // A named value that is not an object (an enum such as PresenceMode): its values.
  if (schema.enum || schema.const !== undefined) return `One of: ${typeOf(schema)}.\n`;
  const entries = Object.entries(schema.properties ?? {});
  if (entries.length === 0) return '`{}` (no fields)\n';
  const required = new Set(schema.required ?? []);
  const rows = entries.map(([name, field]) => {
    const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
    return `| \`${name}\` | ${typeOf(field)} | ${required.has(name) ? 'yes' : 'no'} | ${cell(rulesOf(field))} | ${cell(field.description ?? '')} |`;
  });
  return [
    '| field | type | required | rules | meaning |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

function section(title: string, summary: string, parts: [string, JsonSchema][]): string {
  const body = parts.map(([label, schema]) => `${label}\n\n${fieldTable(schema)}`).join('\n');
  return `### \`${title}\`\n\n${summary}\n\n${body}`;
}

export function renderReference(): string {
  definitions.clear();
  const out: string[] = [];
  out.push(`# Parley protocol reference (v${PROTOCOL_VERSION})

<!-- Generated from packages/protocol by \`pnpm docs:protocol\`; a test fails if it is stale. Do not edit. -->

Clients connect with Socket.IO 4 to the namespace \`/chat/<workspace>\` and pass a token in the
handshake: \`io(url + "/chat/acme", { auth: { token } })\` (see Handshake). A refused connection gets a
\`connect_error\` whose \`message\` says why and whose \`data.code\` is an error code below.

Every client event takes an acknowledgement callback, answered with a \`Result\`:
\`{ ok: true, ...data }\` or \`{ ok: false, error: { code, message, retryAfterMs?, reason?, until? } }\`. Payloads are
validated against the schemas below; a payload that does not match answers \`invalid_payload\`
with a message naming the field. Each event takes exactly one payload object.

Each room's log carries a \`seq\` that grows by exactly one per entry: a stored message, or a
change entry (\`type: "change"\`) that records an edit or deletion of an earlier message, which
keeps its own \`seq\`. A client that sees \`seq\` jump fetches the gap with \`message:history\`; a
client that reconnects re-joins with \`since\` and gets the messages and changes it missed. An
entry can arrive both in an answer and as an event: deduplicate by \`seq\`.

A refusal answers \`forbidden\` with a \`reason\` a client can word (see ErrorBody); who may do what
is explained in docs/access-control.md.
`);

  out.push(`## Handshake

Socket.IO's \`auth\` object. With \`join\`, the connection joins those rooms itself and answers each
in a \`rooms:joined\` event: a reconnecting client is back in its rooms, caught up from \`since\`,
without a \`room:join\` round trip per room.

${fieldTable(toJson(HandshakeAuth, 'input'))}`);

  out.push('## Client → server events\n');
  for (const [event, spec] of Object.entries(clientEvents)) {
    const ackNote = 'volatile' in spec ? ' Sent volatile; the acknowledgement is optional.' : '';
    out.push(
      section(event, spec.summary + ackNote, [
        ['Payload:', toJson(spec.payload, 'input')],
        ['Acknowledgement data (with `ok: true`):', toJson(spec.ack, 'output')],
      ]),
    );
  }

  out.push('## Server → client events\n');
  for (const [event, spec] of Object.entries(serverEvents)) {
    const note = 'volatile' in spec ? ' Volatile: may be dropped under load.' : '';
    out.push(section(event, spec.summary + note, [['Payload:', toJson(spec.payload, 'output')]]));
  }

  out.push(`## HTTP

### \`POST ${HttpPath.Session}\`

A guest token for a display name (when guest tokens are enabled). Answers \`201\`.

Request body:

${fieldTable(toJson(SessionRequest, 'input'))}
Response:

${fieldTable(toJson(SessionResponse, 'output'))}
Errors answer \`{ "error": { "code", "message" } }\` with status 400, 403, 413 or 415:

${fieldTable(toJson(HttpErrorResponse, 'output'))}
\`GET ${HttpPath.Health}\` answers \`200 {"status":"ok"}\` while the process runs; \`GET ${HttpPath.Ready}\`
answers \`200 {"status":"ready"}\`, or \`503\` while shutting down or while a backing store is unreachable.
`);

  out.push(`## Webhooks

With \`WEBHOOK_URLS\` set, Parley POSTs one JSON envelope per event to each endpoint, at least
once (deduplicate by \`id\`), signed with \`X-Parley-Signature: sha256=<HMAC-SHA256 of the body>\`.
See docs/webhooks.md for retries and verification.
`);
  for (const option of WebhookEvent.options) {
    const type = option.shape.type.value;
    out.push(
      section(type, WEBHOOK_EVENT_MEANINGS[type], [
        ['Envelope:', toJson(option, 'output')],
        ['`data`:', toJson(option.shape.data, 'output')],
      ]),
    );
  }

  out.push('## Types\n');
  for (const [name, definition] of [...definitions].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`### ${name}\n\n${definition.description ?? ''}\n\n${fieldTable(definition)}`);
  }

  out.push('## Error codes\n');
  out.push(
    [
      '| code | meaning |',
      '|---|---|',
      ...ERROR_CODES.map((code) => `| \`${code}\` | ${ERROR_CODE_MEANINGS[code]} |`),
      '',
      'A `forbidden` answer says why in `reason`:',
      '',
      '| reason | meaning |',
      '|---|---|',
      ...Object.entries(REFUSAL_MEANINGS).map(
        ([reason, meaning]) => `| \`${reason}\` | ${meaning} |`,
      ),
      '',
    ].join('\n'),
  );

  out.push('## Limits\n');
  out.push(
    [
      '| limit | value |',
      '|---|---|',
      ...Object.entries(LIMITS).map(([name, value]) => `| \`${name}\` | ${value} |`),
      '',
      "Text lengths count Unicode code points (an emoji or a Hangul syllable is one). The server's",
      'operational limits (rates, packet size, retention, rooms per connection) are these defaults',
      'and can be changed in its configuration.',
      '',
    ].join('\n'),
  );
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
