import type { Member } from '@parley/protocol';
import type { Services } from '../services';
import type { RoomRef } from '../stores/types';

/**
 * A user's first connection entered a room: `member.joined`, preceded by `room.occupied` when
 * the room was empty. Runs in the background: the join's answer does not wait for it.
 */
export function reportArrival(services: Services, ref: RoomRef, member: Member): void {
  const { webhooks, stores, log } = services;
  if (!webhooks.enabled) return;
  const work = stores.occupancy
    .mark(ref, true)
    .then(
      (occupied) => {
        if (occupied) webhooks.emit('room.occupied', ref.workspace, { room: ref.room }, member.id);
      },
      (error: unknown) => {
        if (services.outage.failed('room.occupied', error)) return;
        log.warn({ err: error, ...ref }, 'could not mark the room occupied; no room.occupied');
      },
    )
    .finally(() =>
      webhooks.emit('member.joined', ref.workspace, { room: ref.room, member }, member.id),
    );
  services.track(work);
}

/**
 * A user's last connection left a room (or their node died, or a failed removal was retried):
 * `member.left`, followed by `room.vacated` when nobody is left.
 */
export function reportDeparture(services: Services, ref: RoomRef, member: Member): void {
  const { webhooks, stores, log } = services;
  if (!webhooks.enabled) return;
  webhooks.emit('member.left', ref.workspace, { room: ref.room, member }, member.id);
  const work = stores.occupancy.mark(ref, false).then(
    (vacated) => {
      if (vacated) webhooks.emit('room.vacated', ref.workspace, { room: ref.room }, member.id);
    },
    (error: unknown) => {
      if (services.outage.failed('room.vacated', error)) return;
      log.warn({ err: error, ...ref }, 'could not mark the room vacant; no room.vacated');
    },
  );
  services.track(work);
}
