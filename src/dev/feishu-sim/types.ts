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
  /** Made by the bot (im/v1/chats): the bot owns it and may rename it. */
  createdByBot?: boolean;
  description?: string;
  /** Messages pinned in it (im/v1/pins), oldest first. */
  pinnedMessageIds?: string[];
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

/** A file the bot uploaded through im/v1/files (e.g. a ledger xlsx it then sent as a file message). */
export interface SimFile {
  fileKey: string;
  fileName: string;
  /** Feishu's file_type: opus, mp4, pdf, doc, xls, ppt or stream. */
  fileType: string;
  size: number;
}

export interface CardClickOptions {
  value?: Record<string, unknown>;
  formValue?: Record<string, string | string[]>;
  name?: string;
  tag?: string;
}

export interface FeishuSim {
  /** e.g. 'http://127.0.0.1:41234': use as FEISHU_BASE_URL / the SDK's domain (no trailing slash). */
  readonly url: string;
  readonly appId: string;
  readonly appSecret: string;
  readonly encryptKey?: string;
  readonly verificationToken: string;
  /** The bot's own open_id (as it appears in mentions). */
  readonly botOpenId: string;
  readonly eventMode: EventMode;
  setBotUrl(url: string): void;
  setEventMode(mode: EventMode): void;
  /** Turns Feishu's rate limits on or off at run time. */
  setRateLimits(on: boolean): void;
  /**
   * The tenant's quota of SMS / phone 加急 left, in people (undefined: unlimited); past it urgent_sms / urgent_phone
   * answer 230024 "Reach the upper limit of urgent message".
   */
  setUrgentQuota(kind: 'sms' | 'phone', left: number | undefined): void;
  addUser(user: SimUser): SimUser;
  /** The user blocks (or, with false, unblocks) the bot: messages to them fail with 230053. */
  blockBot(openId: string, blocked?: boolean): void;
  addChat(chat: { chatId: string; name: string; memberOpenIds: string[]; botIsMember?: boolean }): void;
  setBotInChat(chatId: string, isMember: boolean): void;
  /** The group chats the simulator knows (added by tests, or made by the bot), with members and pins. */
  chats(): SimChat[];
  /** A user adds the bot to a group (or, with false, removes it): membership changes and the bot gets the event. */
  changeBotMembership(chatId: string, operatorOpenId: string, isMember: boolean): Promise<Delivery>;
  /** Every call received, in order (clear with `calls.length = 0`). */
  readonly calls: RecordedCall[];
  /** Messages the bot sent, with their current content (after patches / card-callback updates). */
  messages(filter?: { to?: string; msgType?: string }): SimMessage[];
  /** Any message by id: the bot's, or one the simulator sent as a user. */
  message(messageId: string): SimMessage | undefined;
  image(imageKey: string): Buffer | undefined;
  file(fileKey: string): Buffer | undefined;
  /** The files the bot uploaded (im/v1/files), oldest first, without their bytes. */
  files(): SimFile[];
  /** The simulator's clock (message ages, uuid window, event times). Real time, shifted by setNow/advance. */
  now(): Date;
  setNow(at: Date | string | number): void;
  advance(ms: number): void;
  stats(): SimStats;
  /** Number of long-connection clients connected right now. */
  connectionCount(): number;
  sendText(fromOpenId: string, text: string, opts?: { chatId?: string; mentionBot?: boolean }): Promise<Delivery>;
  sendImage(fromOpenId: string, image: Buffer, opts?: { chatId?: string }): Promise<Delivery>;
  sendPost(
    fromOpenId: string,
    post: { title?: string; text: string; images: Buffer[] },
    opts?: { chatId?: string; mentionBot?: boolean },
  ): Promise<Delivery>;
  clickMenu(operatorOpenId: string, eventKey: string): Promise<Delivery>;
  clickCard(operatorOpenId: string, messageId: string, action: CardClickOptions): Promise<Delivery>;
  /**
   * A click on a card someone forwarded to `operatorOpenId`: they are not in the chat it was sent to, so clickCard
   * would refuse. The card is left as it is (the callback's card is not applied to the original message).
   */
  clickForwardedCard(
    operatorOpenId: string,
    card: { messageId: string; chatId: string },
    action: CardClickOptions,
  ): Promise<Delivery>;
  /** Low level: deliver any v2 envelope (header+event) the way the current mode does; options to forge. */
  deliver(envelope: object, opts?: DeliverOptions): Promise<Delivery>;
  /** Lower still: deliver an envelope written as text (e.g. nested too deep to be an object here). */
  deliverText(plaintext: string, eventId: string, opts?: DeliverOptions): Promise<Delivery>;
  /** Sends the URL check; `challenge` is what the bot must echo. */
  urlVerification(opts?: { encrypt?: boolean; token?: string }): Promise<Delivery & { challenge: string }>;
  readonly faults: Faults;
  /** Make every issued tenant token invalid (the next call with one gets 99991663). */
  invalidateTokens(): void;
  close(): Promise<void>;
}
