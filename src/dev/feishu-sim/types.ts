/** Public types of the local Feishu Open Platform simulator. */

export interface SimUser {
  openId: string;
  name: string;
  mobile?: string;
  email?: string;
  unionId?: string;
  /** The user has blocked the bot: every message to them fails with 230053. */
  blocked?: boolean;
}

export interface SimChat {
  chatId: string;
  name: string;
  memberOpenIds: string[];
  botIsMember: boolean;
}

export type EventMode = 'webhook' | 'websocket';

export interface SimOptions {
  /** Default 'cli_a0b1c2d3e4f5a6b7' (must match /^cli_[0-9a-fA-F]{16}$/ for the SDK's WSClient). */
  appId?: string;
  /** Default 'sim-secret'. */
  appSecret?: string;
  /** When set, events and callbacks sent by webhook are AES-encrypted and signed. */
  encryptKey?: string;
  /** Default 'sim-verification-token'; put in header.token of every event. */
  verificationToken?: string;
  /** Webhook target, e.g. 'http://127.0.0.1:3000/feishu/events' (settable later). */
  botUrl?: string;
  /** How events reach the bot (default webhook). */
  eventMode?: EventMode;
  /** Enforce Feishu's rate limits with 429 (default false). */
  rateLimits?: boolean;
  /** Lifetime of issued tenant tokens, default 7200. */
  tokenTtlSeconds?: number;
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RecordedCall {
  /** 'token', 'message.create', 'message.reply', 'message.patch', 'message.urgent_app', …, or 'unknown'. */
  api: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Parsed JSON body; a message's `content` JSON string is parsed too. Multipart: {fields, files}. */
  body: unknown;
  status: number;
  response: unknown;
  /** False when a fault (acceptButNoAnswer) kept the answer from the client. */
  answered: boolean;
  /** Simulator clock time when the call arrived. */
  at: Date;
}

export interface SimUrgent {
  kind: 'app' | 'sms' | 'phone';
  userIds: string[];
  invalidUserIds: string[];
  at: Date;
}

export interface SimMessage {
  messageId: string;
  /** 'app' for messages the bot sent, 'user' for messages the simulator sent as a user. */
  senderType: 'app' | 'user';
  /** The sending user's open_id (user messages only). */
  fromOpenId?: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  /** The id the bot addressed (receive_id), or the parent's chat for replies. */
  receiveId: string;
  receiveIdType: string;
  /** For p2p chats: the user's open_id. */
  recipientOpenId?: string;
  msgType: string;
  /** Current content, parsed (after patches and card-callback updates). */
  content: any;
  /** Current content as the JSON string Feishu stores. */
  rawContent: string;
  uuid?: string;
  parentId?: string;
  rootId?: string;
  createdAt: Date;
  updatedAt: Date;
  /** Number of times the content was replaced (patch, callback answer, delayed update). */
  updates: number;
  urgents: SimUrgent[];
}

export interface Delivery {
  /** HTTP status of the bot's answer (webhook) or the ack code (websocket: 200 or 500). */
  status: number;
  /** The bot's answer: parsed JSON when possible, else the raw text ({} for an empty answer). */
  body: any;
  headers: Record<string, string>;
  eventId: string;
  via: EventMode;
  durationMs: number;
  /** For messages sent as a user: the message's id, and the envelope delivered (to redeliver it in tests). */
  messageId?: string;
  envelope?: object;
  /** For card clicks answered with a card: whether the simulator accepted it and replaced the message. */
  cardUpdate?: { applied: boolean; code?: number; msg?: string };
}

export interface DeliverOptions {
  eventId?: string;
  /** Send a wrong X-Lark-Signature. */
  badSignature?: boolean;
  /** Shift X-Lark-Request-Timestamp, e.g. -600 for a stale request. */
  timestampOffsetSeconds?: number;
  /** Put this in header.token instead of the Verification Token. */
  token?: string;
  /** Force (true) or suppress (false) encryption; default: encrypt when an encryptKey is set. */
  encrypt?: boolean;
  via?: EventMode;
}

export interface FaultSpec {
  times?: number;
  status?: number;
  code?: number;
  msg?: string;
  headers?: Record<string, string>;
}

export interface Faults {
  /** The next `times` calls of `api` fail with this status and {code,msg} (default 500 / code 500). */
  failNext(api: string, spec?: FaultSpec): void;
  /** The next `times` calls of `api` get 429 + 99991400 + x-ogw-ratelimit-reset. */
  rateLimitBurst(api: string, times?: number): void;
  /** Every call of `api` waits `ms` before it is handled (0 removes it). */
  latency(api: string, ms: number): void;
  /** The next `times` calls of `api` are performed, then never answered. */
  acceptButNoAnswer(api: string, times?: number): void;
  clear(): void;
}

export interface SimStats {
  requests: number;
  rateLimited: number;
  byApi: Record<string, { requests: number; rateLimited: number; errors: number }>;
}
