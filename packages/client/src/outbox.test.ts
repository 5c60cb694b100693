import { type AckOf, ErrorCode, fail } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { ana, at, bo, stored } from '../test/fixtures';
import { acknowledged, failureDelivery, localByKey, queued, resending, toResend } from './outbox';
import { type ChatMessage, localMessage, mergeStored } from './timeline';

const written = localMessage(ana, 'hello', 'k1', at(9));
const second = localMessage(ana, 'again', 'k2', at(10));
const history = mergeStored([], [stored(1, bo), stored(2, bo)]);
const withPending = queued(history, written);
const failedWith = (code: (typeof ErrorCode)[keyof typeof ErrorCode]) =>
  acknowledged(withPending, written.key, fail(code, 'no'), true);
const storedCopy = (seq: number): AckOf<'message:send'> => ({
  ok: true,
  message: { ...stored(seq, ana, 'k1'), text: 'hello' },
});
const deliveries = (list: readonly ChatMessage[]) =>
  list.map((m) => [m.seq ?? m.clientMsgId, m.delivery, m.error?.code]);

describe('a message written', () => {
  it('waits after the stored ones, pending, with its clientMsgId as its key', () => {
    expect(deliveries(withPending)).toEqual([
      [1, 'sent', undefined],
      [2, 'sent', undefined],
      ['k1', 'pending', undefined],
    ]);
    expect(written.key).toBe('ana:k1');
  });
});

describe('the answer to message:send', () => {
  const cases: {
    name: string;
    result: AckOf<'message:send'>;
    connected: boolean;
    delivery: 'pending' | 'sent' | 'failed';
    code?: string;
  }[] = [
    { name: 'stored', result: storedCopy(3), connected: true, delivery: 'sent' },
    {
      name: 'unavailable, disconnected (outcome unknown: resent after the re-join)',
      result: fail(ErrorCode.Unavailable, 'no answer'),
      connected: false,
      delivery: 'pending',
    },
    {
      name: 'unavailable, still connected (resends used up: the person decides)',
      result: fail(ErrorCode.Unavailable, 'no answer'),
      connected: true,
      delivery: 'failed',
      code: 'unavailable',
    },
    {
      name: 'not_joined (re-joined, then resent)',
      result: fail(ErrorCode.NotJoined, 'join first'),
      connected: true,
      delivery: 'pending',
    },
    {
      name: 'rate_limited',
      result: fail(ErrorCode.RateLimited, 'slow down', { retryAfterMs: 500 }),
      connected: true,
      delivery: 'failed',
      code: 'rate_limited',
    },
    {
      name: 'forbidden (read-only room)',
      result: fail(ErrorCode.Forbidden, 'read only', { reason: 'read_only' }),
      connected: true,
      delivery: 'failed',
      code: 'forbidden',
    },
    {
      name: 'invalid_payload',
      result: fail(ErrorCode.InvalidPayload, 'text: too long'),
      connected: false,
      delivery: 'failed',
      code: 'invalid_payload',
    },
  ];
  it.each(cases)('$name → $delivery', ({ result, connected, delivery, code }) => {
    const next = acknowledged(withPending, written.key, result, connected);
    const message = next.find((m) => m.key === written.key);
    expect(message?.delivery).toBe(delivery);
    expect(message?.error?.code).toBe(code);
    if (delivery === 'sent') {
      expect(message?.seq).toBe(3);
      expect(localByKey(next, written.key)).toBeUndefined();
      expect(next).toHaveLength(3);
    }
  });

  it('a stored answer keeps the key, so a view keeps the element', () => {
    const next = acknowledged(withPending, written.key, storedCopy(3), true);
    expect(next.at(-1)).toMatchObject({ key: written.key, seq: 3, delivery: 'sent' });
  });

  it('a stored answer after the message arrived otherwise (a recovery) leaves one copy', () => {
    const recovered = mergeStored(withPending, [stored(3, ana, 'k1')]);
    expect(recovered.filter((m) => m.clientMsgId === 'k1')).toHaveLength(1);
    const next = acknowledged(recovered, written.key, storedCopy(3), true);
    expect(next.filter((m) => m.clientMsgId === 'k1')).toHaveLength(1);
  });

  it('keeps other local messages in the order they were written', () => {
    const two = queued(withPending, second);
    const next = acknowledged(two, written.key, storedCopy(3), true);
    expect(deliveries(next).map(([seq]) => seq)).toEqual([1, 2, 3, 'k2']);
  });

  it('an unavailable answer offline changes nothing', () => {
    expect(acknowledged(withPending, written.key, fail(ErrorCode.Unavailable, 'x'), false)).toBe(
      withPending,
    );
  });
});

describe('retrying', () => {
  it('a failed message goes back to pending with the same clientMsgId and no error', () => {
    const failed = failedWith(ErrorCode.RateLimited);
    const again = resending(failed, written.key);
    expect(localByKey(again, written.key)).toMatchObject({
      delivery: 'pending',
      clientMsgId: 'k1',
    });
    expect(localByKey(again, written.key)?.error).toBeUndefined();
  });

  it('a pending message, or one already stored, is left as it is', () => {
    expect(resending(withPending, written.key)).toBe(withPending);
    const sent = acknowledged(withPending, written.key, storedCopy(3), true);
    expect(resending(sent, written.key)).toBe(sent);
  });
});

describe('what a (re)join resends', () => {
  it.each([
    { name: 'a pending message', list: withPending, resent: ['k1'] },
    {
      name: 'nothing once stored',
      list: acknowledged(withPending, written.key, storedCopy(3), true),
      resent: [],
    },
    {
      name: 'not a failed one (the person retries it)',
      list: failedWith(ErrorCode.Forbidden),
      resent: [],
    },
    {
      name: 'one left pending by a lost answer',
      list: acknowledged(withPending, written.key, fail(ErrorCode.Unavailable, 'x'), false),
      resent: ['k1'],
    },
    {
      name: 'every pending one, in order',
      list: queued(withPending, second),
      resent: ['k1', 'k2'],
    },
  ])('$name', ({ list, resent }) => {
    expect(toResend(list).map((m) => m.clientMsgId)).toEqual(resent);
  });
});

describe('failureDelivery', () => {
  it.each([
    [ErrorCode.Unavailable, false, 'pending'],
    [ErrorCode.Unavailable, true, 'failed'],
    [ErrorCode.NotJoined, true, 'pending'],
    [ErrorCode.NotJoined, false, 'pending'],
    [ErrorCode.RateLimited, true, 'failed'],
    [ErrorCode.Internal, false, 'failed'],
  ] as const)('%s (connected: %s) → %s', (code, connected, delivery) => {
    expect(failureDelivery({ code, message: '' }, connected)).toBe(delivery);
  });
});
