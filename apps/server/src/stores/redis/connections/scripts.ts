import { amendMessageScript, appendMessageScript, joinHistoryScript } from '../history-scripts';
import { enterRoomScript } from '../joins';
import { admissionScript } from '../members';
import { markOccupiedScript } from '../occupancy';
import {
  addConnectionScript,
  forgetDepartureScript,
  presencePageScript,
  presentMembersScript,
  removeConnectionScript,
  removeConnectionsScript,
  settleDepartureScript,
} from '../presence';
import { takeTokenScript } from '../rate-limiter';
import { indexAllRoomsScript, repairRoomScript } from '../repair';
import { createRoomScript, indexRoomsScript } from '../rooms';
import { claimWebhooksScript, enqueueWebhooksScript, retryWebhookScript } from '../webhook-queue';

/** Every Lua script Parley runs, loaded by name on each connection (EVALSHA, EVAL on a miss). */
export const scripts = {
  appendMessage: appendMessageScript,
  amendMessage: amendMessageScript,
  joinHistory: joinHistoryScript,
  takeToken: takeTokenScript,
  addConnection: addConnectionScript,
  enterRoom: enterRoomScript,
  removeConnection: removeConnectionScript,
  removeConnections: removeConnectionsScript,
  settleDeparture: settleDepartureScript,
  forgetDeparture: forgetDepartureScript,
  presencePage: presencePageScript,
  presentMembers: presentMembersScript,
  markOccupied: markOccupiedScript,
  admission: admissionScript,
  createRoom: createRoomScript,
  indexRooms: indexRoomsScript,
  repairRoom: repairRoomScript,
  indexAllRooms: indexAllRoomsScript,
  enqueueWebhooks: enqueueWebhooksScript,
  claimWebhooks: claimWebhooksScript,
  retryWebhook: retryWebhookScript,
};
