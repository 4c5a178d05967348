/**
 * A local fake of Feishu's Open Platform on loopback, spoken to through the official node-sdk (domain = sim.url).
 * It serves the OpenAPI calls the bot makes, acts as users (messages, menu clicks, card clicks) by webhook or over
 * the long connection, records every call and can inject faults. See feishu-platform.md for the rules it mirrors.
 *
 * Kept whole because `Simulator` is the facade tests hold (one class of some 450 lines): and each method is a few lines handing
 * off to the modules beside it (state, openapi, events, webhook, callback-card, long-connection).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyCallbackCard } from './callback-card.js';
import { CONTROL_PREFIX, handleControl } from './control.js';
import { encryptEvent, randomHex } from './crypto.js';
import {
  botMembershipChanged,
  cardClicked,
  type EnvelopeContext,
  menuClicked,
  messageReceived,
  type ReceivedMessage,
  type V2Envelope,
} from './events.js';
import { FaultPlan } from './faults.js';
import { CLIENT_CONFIG, LongConnectionServer } from './long-connection.js';
import { OAuthBook } from './oauth.js';
import { type ApiContext, createApiHandler } from './openapi.js';
import { RateLimiter } from './rate-limiter.js';
import { BOT_OPEN_ID, CARD_UPDATE_DAYS, type ResolvedChat, SimState } from './state.js';
import { TokenBook } from './tokens.js';
import type {
  CardClickOptions,
  DeliverOptions,
  Delivery,
  EventMode,
  FeishuSim,
  RecordedCall,
  SimChat,
  SimFile,
  SimMessage,
  SimOptions,
  SimStats,
  SimUser,
} from './types.js';
import { postWebhook, signedWebhookRequest } from './webhook.js';

export { validateCard } from './card-validator.js';
export type {
  CardClickOptions,
  DeliverOptions,
  Delivery,
  EventMode,
  FaultSpec,
  Faults,
  FeishuSim,
  RecordedCall,
  SimChat,
  SimFile,
  SimMessage,
  SimOptions,
  SimStats,
  SimUrgent,
  SimUser,
} from './types.js';

export const DEFAULT_APP_ID = 'cli_a0b1c2d3e4f5a6b7';
export const DEFAULT_APP_SECRET = 'sim-secret';
export const DEFAULT_VERIFICATION_TOKEN = 'sim-verification-token';

export async function startFeishuSim(options: SimOptions = {}): Promise<FeishuSim> {
  const sim = new Simulator(options);
  await sim.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return sim;
}

class Simulator implements FeishuSim {
  url = '';
  readonly appId: string;
  readonly appSecret: string;
  readonly encryptKey?: string;
  readonly verificationToken: string;
  readonly botOpenId = BOT_OPEN_ID;
  readonly calls: RecordedCall[] = [];
  readonly faults: FaultPlan = new FaultPlan();
  private botUrl?: string;
  private mode: EventMode;
  private rateLimitsOn: boolean;
  private readonly state = new SimState();
  private readonly tokens: TokenBook;
  private readonly limiter = new RateLimiter();
  private readonly statsData: SimStats = { requests: 0, rateLimited: 0, byApi: {} };
  private readonly longConnection = new LongConnectionServer();
  private readonly hanging = new Set<ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly server: Server;
  private closed?: Promise<void>;

  constructor(options: SimOptions) {
    this.appId = options.appId ?? DEFAULT_APP_ID;
    this.appSecret = options.appSecret ?? DEFAULT_APP_SECRET;
    this.encryptKey = options.encryptKey || undefined;
    this.verificationToken = options.verificationToken ?? DEFAULT_VERIFICATION_TOKEN;
    this.botUrl = options.botUrl;
    this.mode = options.eventMode ?? 'webhook';
    this.rateLimitsOn = options.rateLimits ?? false;
    this.tokens = new TokenBook(options.tokenTtlSeconds ?? 7200);
    const oauth = new OAuthBook(this.state, this.appId, this.appSecret);
    const ctx: ApiContext = {
      state: this.state,
      faults: this.faults,
      limiter: this.limiter,
      tokens: this.tokens,
      oauth,
      appId: this.appId,
      appSecret: this.appSecret,
      rateLimits: () => this.rateLimitsOn,
      calls: this.calls,
      stats: this.statsData,
      wsEndpoint: () => ({ url: this.longConnection.connectUrl(this.url), clientConfig: { ...CLIENT_CONFIG } }),
      hanging: this.hanging,
      timers: this.timers,
    };
    const handler = createApiHandler(ctx);
    const listUsersAndChats = () => ({
      users: [...this.state.users.values()],
      chats: [...this.state.chats.values()],
    });
    this.server = createServer((req, res) => {
      // The authorize page is a browser page on accounts.feishu.cn (FEISHU_ACCOUNTS_URL = this simulator).
      if (oauth.handlePage((req.method ?? 'GET').toUpperCase(), new URL(req.url ?? '/', 'http://sim.local'), res))
        return;
      const handled = (req.url ?? '').startsWith(`${CONTROL_PREFIX}`)
        ? handleControl(this, listUsersAndChats, req, res)
        : handler(req, res);
      handled.catch((error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ code: 500, msg: `simulator bug: ${String(error)}` }));
        }
      });
    });
    this.server.on('upgrade', (req, socket, head) => this.longConnection.handleUpgrade(req, socket, head));
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const address = this.server.address() as AddressInfo;
        const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
        this.url = `http://${shownHost}:${address.port}`;
        resolve();
      });
    });
  }

  get eventMode(): EventMode {
    return this.mode;
  }
  setBotUrl(url: string): void {
    this.botUrl = url;
  }
  setEventMode(mode: EventMode): void {
    this.mode = mode;
  }
  setRateLimits(on: boolean): void {
    this.rateLimitsOn = on;
  }
  setUrgentQuota(kind: 'sms' | 'phone', left: number | undefined): void {
    if (left === undefined) delete this.state.urgentQuota[kind];
    else this.state.urgentQuota[kind] = left;
  }

  addUser(user: SimUser): SimUser {
    return this.state.addUser(user);
  }
  blockBot(openId: string, blocked = true): void {
    this.requireUser(openId).blocked = blocked;
  }
  addChat(chat: { chatId: string; name: string; memberOpenIds: string[]; botIsMember?: boolean }): void {
    if (!chat.chatId.startsWith('oc_')) throw new Error(`sim.addChat: chat ids start with "oc_" (got ${chat.chatId})`);
    const stored: SimChat = { ...chat, memberOpenIds: [...chat.memberOpenIds], botIsMember: chat.botIsMember ?? true };
    this.state.chats.set(chat.chatId, stored);
  }
  chats(): SimChat[] {
    return [...this.state.chats.values()];
  }
  setBotInChat(chatId: string, isMember: boolean): void {
    const chat = this.state.chats.get(chatId);
    if (!chat) throw new Error(`sim.setBotInChat: unknown chat ${chatId}`);
    chat.botIsMember = isMember;
  }
  changeBotMembership(chatId: string, operatorOpenId: string, isMember: boolean): Promise<Delivery> {
    const operator = this.requireUser(operatorOpenId);
    const chat = this.state.chats.get(chatId);
    if (!chat) throw new Error(`sim.changeBotMembership: unknown chat ${chatId}`);
    chat.botIsMember = isMember;
    return this.deliver(botMembershipChanged(this.envelopeContext(), isMember ? 'added' : 'deleted', operator, chat));
  }

  messages(filter: { to?: string; msgType?: string } = {}): SimMessage[] {
    return [...this.state.messages.values()].filter(
      (m) =>
        m.senderType === 'app' &&
        (filter.to === undefined ||
          m.receiveId === filter.to ||
          m.chatId === filter.to ||
          m.recipientOpenId === filter.to) &&
        (filter.msgType === undefined || m.msgType === filter.msgType),
    );
  }
  message(messageId: string): SimMessage | undefined {
    return this.state.messages.get(messageId);
  }
  image(imageKey: string): Buffer | undefined {
    return this.state.images.get(imageKey);
  }
  file(fileKey: string): Buffer | undefined {
    return this.state.files.get(fileKey)?.bytes;
  }
  files(): SimFile[] {
    return [...this.state.files].map(([fileKey, f]) => ({
      fileKey,
      fileName: f.fileName,
      fileType: f.fileType,
      size: f.bytes.length,
    }));
  }

  now(): Date {
    return this.state.now();
  }
  setNow(at: Date | string | number): void {
    this.state.setNow(at);
  }
  advance(ms: number): void {
    this.state.advance(ms);
  }
  stats(): SimStats {
    return structuredClone(this.statsData);
  }
  connectionCount(): number {
    return this.longConnection.connectionCount;
  }
  invalidateTokens(): void {
    this.tokens.invalidateAll();
  }

  // --- acting as users -----------------------------------------------------------------------------------------

  sendText(fromOpenId: string, text: string, opts: { chatId?: string; mentionBot?: boolean } = {}) {
    return this.sendAsUser(fromOpenId, opts, (mention) => ({
      messageType: 'text',
      content: { text: mention ? `@_user_1 ${text}` : text },
    }));
  }

  sendImage(fromOpenId: string, image: Buffer, opts: { chatId?: string } = {}) {
    const imageKey = this.storeUserImage(image);
    return this.sendAsUser(fromOpenId, { ...opts, mentionBot: false }, () => ({
      messageType: 'image',
      content: { image_key: imageKey },
    }));
  }

  sendPost(
    fromOpenId: string,
    post: { title?: string; text: string; images: Buffer[] },
    opts: { chatId?: string; mentionBot?: boolean } = {},
  ) {
    const imageKeys = post.images.map((image) => this.storeUserImage(image));
    return this.sendAsUser(fromOpenId, opts, (mention) => ({
      messageType: 'post',
      content: {
        title: post.title ?? '',
        content: [
          [
            ...(mention ? [{ tag: 'at', user_id: '@_user_1', user_name: '隐患闭环助手' }] : []),
            { tag: 'text', text: post.text, style: [] },
          ],
          ...imageKeys.map((key) => [{ tag: 'img', image_key: key, width: 800, height: 600 }]),
        ],
      },
    }));
  }

  clickMenu(operatorOpenId: string, eventKey: string): Promise<Delivery> {
    const operator = this.requireUser(operatorOpenId);
    return this.deliver(menuClicked(this.envelopeContext(), operator, eventKey));
  }

  async clickCard(operatorOpenId: string, messageId: string, action: CardClickOptions): Promise<Delivery> {
    const operator = this.requireUser(operatorOpenId);
    const message = this.state.messages.get(messageId);
    if (message?.senderType !== 'app' || message.msgType !== 'interactive') {
      throw new Error(`sim.clickCard: ${messageId} is not a card the bot sent`);
    }
    if (this.state.now().getTime() - message.createdAt.getTime() > CARD_UPDATE_DAYS * 24 * 3600 * 1000) {
      throw new Error(`sim.clickCard: card ${messageId} is older than 14 days; Feishu no longer lets users click it`);
    }
    const chat = this.state.resolveChat(message.chatId);
    if (!chat?.memberOpenIds.includes(operator.openId)) {
      throw new Error(`sim.clickCard: ${operatorOpenId} is not in chat ${message.chatId} and cannot see the card`);
    }
    const updateToken = `c-${randomHex(16)}`;
    this.state.cardTokens.set(updateToken, { messageId, issuedAtMs: this.state.now().getTime(), uses: 0 });
    const envelope = cardClicked(
      this.envelopeContext(),
      operator,
      { messageId, chatId: message.chatId, updateToken },
      action,
    );
    const delivery = await this.deliver(envelope);
    if (delivery.status === 200) applyCallbackCard(this.state, message, delivery);
    return delivery;
  }

  clickForwardedCard(
    operatorOpenId: string,
    card: { messageId: string; chatId: string },
    action: CardClickOptions,
  ): Promise<Delivery> {
    const operator = this.state.users.get(operatorOpenId) ?? { openId: operatorOpenId, name: operatorOpenId };
    const updateToken = `c-${randomHex(16)}`;
    return this.deliver(cardClicked(this.envelopeContext(), operator, { ...card, updateToken }, action));
  }

  async deliver(envelope: object, opts: DeliverOptions = {}): Promise<Delivery> {
    const env = structuredClone(envelope) as Partial<V2Envelope> & Record<string, unknown>;
    if (env.header && typeof env.header === 'object') {
      if (opts.eventId !== undefined) env.header.event_id = opts.eventId;
      if (opts.token !== undefined) env.header.token = opts.token;
    }
    return this.deliverText(JSON.stringify(env), env.header?.event_id ?? '', opts);
  }

  /**
   * Delivers an event written as text, signed (and encrypted) as Feishu would: for bodies an object cannot carry
   * through deliver(), e.g. nesting too deep to clone.
   */
  async deliverText(plaintext: string, eventId: string, opts: DeliverOptions = {}): Promise<Delivery> {
    const via = opts.via ?? this.mode;
    const started = Date.now();
    if (via === 'websocket') {
      const ack = await this.longConnection.push(plaintext);
      return {
        status: ack.code,
        body: ack.data,
        headers: ack.headers,
        eventId,
        via,
        durationMs: Date.now() - started,
      };
    }
    const encrypt = opts.encrypt ?? this.encryptKey !== undefined;
    const { rawBody, headers } = signedWebhookRequest(plaintext, {
      encryptKey: encrypt ? this.requireEncryptKey() : undefined,
      signingKey: this.encryptKey,
      now: this.state.now(),
      options: opts,
    });
    const answer = await postWebhook(this.requireBotUrl(), rawBody, headers);
    return { ...answer, eventId, via: 'webhook', durationMs: Date.now() - started };
  }

  async urlVerification(opts: { encrypt?: boolean; token?: string } = {}): Promise<Delivery & { challenge: string }> {
    const challenge = randomHex(16);
    const body = JSON.stringify({ challenge, token: opts.token ?? this.verificationToken, type: 'url_verification' });
    const encrypt = opts.encrypt ?? this.encryptKey !== undefined;
    const rawBody = encrypt ? JSON.stringify({ encrypt: encryptEvent(this.requireEncryptKey(), body) }) : body;
    const started = Date.now();
    // The URL check carries no signature headers.
    const answer = await postWebhook(this.requireBotUrl(), rawBody, {});
    return { ...answer, eventId: '', via: 'webhook', durationMs: Date.now() - started, challenge };
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      for (const res of this.hanging) res.destroy();
      this.hanging.clear();
      await this.longConnection.close();
      await new Promise<void>((resolve) => {
        this.server.close(() => resolve());
        this.server.closeAllConnections();
      });
    })();
    return this.closed;
  }

  // --- internals -----------------------------------------------------------------------------------------------

  private async sendAsUser(
    fromOpenId: string,
    opts: { chatId?: string; mentionBot?: boolean },
    build: (mentionBot: boolean) => Pick<ReceivedMessage, 'messageType' | 'content'>,
  ): Promise<Delivery> {
    const user = this.requireUser(fromOpenId);
    const chat = this.chatForUser(user, opts.chatId);
    // In groups the bot only hears messages that @-mention it, so that is the default there.
    const mentionBot = opts.mentionBot ?? chat.chatType === 'group';
    const { messageType, content } = build(mentionBot);
    const now = this.state.now();
    const message: SimMessage = {
      messageId: this.state.newMessageId(),
      senderType: 'user',
      fromOpenId: user.openId,
      chatId: chat.chatId,
      chatType: chat.chatType,
      receiveId: chat.chatId,
      receiveIdType: 'chat_id',
      recipientOpenId: chat.chatType === 'p2p' ? user.openId : undefined,
      msgType: messageType,
      content,
      rawContent: JSON.stringify(content),
      createdAt: now,
      updatedAt: now,
      updates: 0,
      urgents: [],
    };
    this.state.messages.set(message.messageId, message);
    const envelope = messageReceived(this.envelopeContext(), user, {
      messageId: message.messageId,
      chatId: chat.chatId,
      chatType: chat.chatType,
      messageType,
      content,
      mentionBot,
    });
    const delivery = await this.deliver(envelope);
    return { ...delivery, messageId: message.messageId, envelope };
  }

  private chatForUser(user: SimUser, chatId: string | undefined): ResolvedChat {
    if (chatId === undefined) return this.state.resolveChat(this.state.p2pChatId(user.openId))!;
    const chat = this.state.resolveChat(chatId);
    if (!chat) throw new Error(`sim: unknown chat ${chatId}; add it with sim.addChat() first`);
    if (!chat.memberOpenIds.includes(user.openId)) throw new Error(`sim: ${user.openId} is not a member of ${chatId}`);
    return chat;
  }

  private storeUserImage(image: Buffer): string {
    const key = this.state.newImageKey();
    this.state.images.set(key, Buffer.from(image));
    return key;
  }

  private envelopeContext(): EnvelopeContext {
    return { appId: this.appId, verificationToken: this.verificationToken, now: this.state.now() };
  }

  private requireUser(openId: string): SimUser {
    const user = this.state.users.get(openId);
    if (!user) throw new Error(`sim: unknown user ${openId}; add it with sim.addUser() first`);
    return user;
  }

  private requireBotUrl(): string {
    if (!this.botUrl) throw new Error('sim: no bot URL to deliver to; pass botUrl or call sim.setBotUrl()');
    return this.botUrl;
  }

  private requireEncryptKey(): string {
    if (!this.encryptKey) throw new Error('sim: cannot encrypt without an encryptKey (start the sim with one)');
    return this.encryptKey;
  }
}
