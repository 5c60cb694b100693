import { WEBHOOK_HEADERS } from '@parley/protocol';
import type { WebhookDelivery } from '../stores/types';
import { signBody } from './signature';

export type SendOutcome = { ok: true; status: number } | { ok: false; reason: string };

/**
 * One attempt: POSTs the delivery's body, signed, and reports how it went as a value. Any 2xx
 * is a delivery; anything else (another status, a redirect, no answer in time, a network
 * error) is a failure to retry.
 */
export async function sendDelivery(
  delivery: WebhookDelivery,
  { secret, timeoutMs }: { secret: string; timeoutMs: number },
): Promise<SendOutcome> {
  try {
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Parley-Webhooks',
        [WEBHOOK_HEADERS.event]: delivery.eventType,
        [WEBHOOK_HEADERS.eventId]: delivery.eventId,
        [WEBHOOK_HEADERS.signature]: signBody(delivery.body, secret),
      },
      body: delivery.body,
      // A redirect would send the signed body somewhere nobody configured.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Nothing in the answer matters but its status; reading nothing frees the connection.
    await response.body?.cancel().catch(() => {});
    if (response.status >= 200 && response.status < 300)
      return { ok: true, status: response.status };
    return { ok: false, reason: `answered ${response.status}` };
  } catch (error) {
    return { ok: false, reason: describeFailure(error, timeoutMs) };
  }
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `no answer within ${timeoutMs} ms`;
  }
  // fetch rejects with "fetch failed" and the socket's error as the cause.
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string }) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
