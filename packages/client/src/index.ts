export {
  createParleyClient,
  type ParleyClient,
  type ParleyClientOptions,
  type ParleySnapshot,
  type RoleChange,
} from './client';
export {
  type ConnectionEffect,
  type ConnectionEvent,
  type ConnectionRefusal,
  type ConnectionState,
  type ConnectionStatus,
  type ConnectionStep,
  connectionStep,
  initialConnection,
  retryDelay,
} from './connection';
export { newClientMsgId } from './ids';
export { listen, type ServerEventHandlers } from './listen';
export {
  acknowledged,
  failureDelivery,
  localByKey,
  queued,
  resending,
  toResend,
} from './outbox';
export {
  emptyPresencePages,
  mayLoadMore,
  nextPageRequest,
  PRESENCE_REFETCH_JITTER_MS,
  PRESENCE_WALK_MAX_PAGES,
  type PresenceEffect,
  type PresencePage,
  type PresencePageRequest,
  type PresencePages,
  type PresencePagesAction,
  presenceEffect,
  presencePagesReducer,
  refetchDelay,
  walkPresence,
} from './presence';
export {
  emptyRoom,
  type HistoryPurpose,
  LIVE_EVENT_TYPES_KEPT,
  type LiveEvent,
  type MembersStatus,
  mayPost,
  missingBefore,
  type PresenceFetch,
  type PresenceHeard,
  type Removal,
  type RoomAction,
  type RoomDetails,
  type RoomServerEvent,
  type RoomState,
  roomReducer,
  type Timeline,
} from './room';
export * from './room-directory';
export {
  createGuestSession,
  type GuestSession,
  type GuestSessionOptions,
  requestGuestToken,
  SessionError,
  type SessionSource,
} from './session';
export * from './timeline';
export * from './typing';
