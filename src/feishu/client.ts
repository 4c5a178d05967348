import * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from 'pino';
import { classifyFeishuResult, FeishuApiError, toFeishuError } from './errors.js';

/** Feishu answers in well under a second; a call that hangs must not hold an outbox lease forever. */
const DEFAULT_TIMEOUT_MS = 10_000;

export type ReceiveIdType = 'open_id' | 'chat_id' | 'email' | 'user_id' | 'union_id';

export interface SentMessage {
  messageId: string;
  chatId: string | undefined;
}

export interface FeishuClient {
  sendMessage(input: {
    receiveIdType: ReceiveIdType;
    receiveId: string;
    msgType: string;
    content: unknown;
    uuid?: string;
  }): Promise<SentMessage>;
  replyMessage(input: { messageId: string; msgType: string; content: unknown; uuid?: string }): Promise<SentMessage>;
  /** Replaces a card sent by the bot (JSON 2.0 with `update_multi: true`, under 14 days old). */
  patchCard(input: { messageId: string; card: unknown }): Promise<void>;
  /** 加急 in the app: returns the open_ids Feishu could not buzz. */
  urgentApp(input: { messageId: string; openIds: string[] }): Promise<{ invalidOpenIds: string[] }>;
  /** 加急 by SMS or phone call (after urgentApp): spends the tenant's urgent quota (230024 when it is used up). */
  urgentCall(input: {
    messageId: string;
    openIds: string[];
    channel: 'sms' | 'phone';
  }): Promise<{ invalidOpenIds: string[] }>;
  /** Resolves mobiles and emails to open_ids, 50 per call; users not found are simply absent from the maps. */
  resolveUserIds(query: { mobiles?: string[]; emails?: string[] }): Promise<{
    byMobile: Map<string, string>;
    byEmail: Map<string, string>;
  }>;
  /** Whether the bot is a member of this group (it can post there only if it is). */
  isBotInChat(chatId: string): Promise<boolean>;
  /** 专班群: makes a group owned by the bot (no members yet); `uuid` makes a retry return the same group. */
  createChat(input: { name: string; description?: string; uuid: string }): Promise<{ chatId: string }>;
  /**
   * Adds people by open_id (at most 50), adding every valid one (succeed_type 1): answers those Feishu refused —
   * `notExisted` (no such open_id), `invalid` (resigned, inactive or outside the app's availability), `pending`.
   */
  addChatMembers(input: { chatId: string; openIds: string[] }): Promise<{
    invalid: string[];
    notExisted: string[];
    pending: string[];
  }>;
  renameChat(input: { chatId: string; name: string }): Promise<void>;
  /** Pins a message in its chat (pinning one already pinned answers the existing pin). */
  pinMessage(messageId: string): Promise<void>;
  uploadImage(image: Buffer): Promise<string>;
  uploadFile(input: { file: Buffer; fileName: string; fileType: 'xls' | 'pdf' | 'doc' | 'stream' }): Promise<string>;
  downloadResource(input: {
    messageId: string;
    fileKey: string;
    type: 'image' | 'file';
  }): Promise<{ data: Buffer; contentType: string | undefined }>;
}

export interface FeishuClientOptions {
  appId: string;
  appSecret: string;
  /** https://open.feishu.cn, https://open.larksuite.com, or a simulator's URL. */
  baseUrl: string;
  logger?: Logger;
  /** Called before each rate-limited call (message APIs, contact, uploads): waits for a permit. */
  acquirePermit?: (recipient?: string) => Promise<void>;
  /** Per-request timeout. The SDK's HTTP instance is shared by the process, so this applies process-wide. */
  timeoutMs?: number;
}

/**
 * The SDK's token cache, one per client: the SDK's default cache is shared by the whole process, and it does not
 * refresh a token that Feishu has invalidated (99991663). Clearing this cache makes the next call fetch a new one.
 */
// biome-ignore lint/complexity/noBannedTypes: the SDK's Cache interface declares its keys as `Symbol`.
type CacheKey = string | Symbol;

class TokenCache {
  private values = new Map<string, { value: unknown; expiredTime?: number }>();
  async get(key: CacheKey, options?: { namespace?: string }) {
    const entry = this.values.get(this.key(key, options));
    if (entry && (!entry.expiredTime || entry.expiredTime > Date.now())) return entry.value;
    return undefined;
  }
  async set(key: CacheKey, value: unknown, expiredTime?: number, options?: { namespace?: string }) {
    this.values.set(this.key(key, options), { value, expiredTime });
    return true;
  }
  clear() {
    this.values.clear();
  }
  private key(key: CacheKey, options?: { namespace?: string }) {
    return `${options?.namespace ?? ''}/${key.toString()}`;
  }
}

interface Envelope<T> {
  code?: number;
  msg?: string;
  data?: T;
}

export function createFeishuClient(options: FeishuClientOptions): FeishuClient {
  lark.defaultHttpInstance.defaults.timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cache = new TokenCache();
  const sdk = new lark.Client({
    appId: options.appId,
    appSecret: options.appSecret,
    domain: options.baseUrl,
    cache,
    // The SDK prints every failed call to the console; we log failures ourselves with context, so its own
    // messages go to our logger at debug level.
    loggerLevel: lark.LoggerLevel.error,
    logger: sdkLogger(options.logger),
  });
  const acquire = options.acquirePermit ?? (async () => {});

  /** Runs one SDK call; on an invalid-token answer refreshes the token once and retries. */
  async function call<T>(name: string, fn: () => Promise<Envelope<T> | null | undefined>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await fn();
        if (result && typeof result.code === 'number' && result.code !== 0) {
          throw classifyFeishuResult(result.code, result.msg, 200);
        }
        return (result?.data ?? {}) as T;
      } catch (raw) {
        const error = toFeishuError(raw);
        if (error.kind === 'invalid_token' && attempt === 0) {
          options.logger?.warn({ api: name, code: error.code }, 'tenant token rejected; refreshing it once');
          cache.clear();
          continue;
        }
        throw error;
      }
    }
  }

  const content = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

  return {
    async sendMessage(input) {
      await acquire(input.receiveId);
      const data = await call<{ message_id?: string; chat_id?: string }>('message.create', () =>
        sdk.im.v1.message.create({
          params: { receive_id_type: input.receiveIdType },
          data: {
            receive_id: input.receiveId,
            msg_type: input.msgType,
            content: content(input.content),
            ...(input.uuid ? { uuid: input.uuid } : {}),
          },
        }),
      );
      if (!data.message_id)
        throw new FeishuApiError('transient', undefined, 200, 'message.create answered without a message_id');
      return { messageId: data.message_id, chatId: data.chat_id };
    },

    async replyMessage(input) {
      await acquire(input.messageId);
      const data = await call<{ message_id?: string; chat_id?: string }>('message.reply', () =>
        sdk.im.v1.message.reply({
          path: { message_id: input.messageId },
          data: {
            msg_type: input.msgType,
            content: content(input.content),
            ...(input.uuid ? { uuid: input.uuid } : {}),
          },
        }),
      );
      if (!data.message_id)
        throw new FeishuApiError('transient', undefined, 200, 'message.reply answered without a message_id');
      return { messageId: data.message_id, chatId: data.chat_id };
    },

    async patchCard(input) {
      await acquire(input.messageId);
      await call('message.patch', () =>
        sdk.im.v1.message.patch({ path: { message_id: input.messageId }, data: { content: content(input.card) } }),
      );
    },

    async urgentApp(input) {
      await acquire(input.messageId);
      const data = await call<{ invalid_user_id_list?: string[] }>('message.urgent_app', () =>
        sdk.im.v1.message.urgentApp({
          path: { message_id: input.messageId },
          params: { user_id_type: 'open_id' },
          data: { user_id_list: input.openIds },
        }),
      );
      return { invalidOpenIds: data.invalid_user_id_list ?? [] };
    },

    async urgentCall(input) {
      await acquire(input.messageId);
      const request = {
        path: { message_id: input.messageId },
        params: { user_id_type: 'open_id' as const },
        data: { user_id_list: input.openIds },
      };
      const data = await call<{ invalid_user_id_list?: string[] }>(`message.urgent_${input.channel}`, () =>
        input.channel === 'sms' ? sdk.im.v1.message.urgentSms(request) : sdk.im.v1.message.urgentPhone(request),
      );
      return { invalidOpenIds: data.invalid_user_id_list ?? [] };
    },

    async resolveUserIds(query) {
      const byMobile = new Map<string, string>();
      const byEmail = new Map<string, string>();
      const mobiles = [...new Set(query.mobiles ?? [])];
      const emails = [...new Set(query.emails ?? [])];
      for (let i = 0; i < Math.max(mobiles.length, emails.length); i += 50) {
        const mobileChunk = mobiles.slice(i, i + 50);
        const emailChunk = emails.slice(i, i + 50);
        const data = await withRateLimitRetry(async () => {
          await acquire();
          return call<{ user_list?: { user_id?: string; mobile?: string; email?: string }[] }>(
            'contact.batch_get_id',
            () =>
              sdk.contact.v3.user.batchGetId({
                params: { user_id_type: 'open_id' },
                data: {
                  ...(mobileChunk.length ? { mobiles: mobileChunk } : {}),
                  ...(emailChunk.length ? { emails: emailChunk } : {}),
                },
              }),
          );
        });
        for (const user of data.user_list ?? []) {
          if (!user.user_id) continue;
          if (user.mobile) byMobile.set(stripCountryCode(user.mobile), user.user_id);
          if (user.email) byEmail.set(user.email.toLowerCase(), user.user_id);
        }
      }
      return { byMobile, byEmail };
    },

    async isBotInChat(chatId) {
      const data = await call<{ is_in_chat?: boolean }>('im.chat_members.is_in_chat', () =>
        sdk.im.v1.chatMembers.isInChat({ path: { chat_id: chatId } }),
      );
      return data.is_in_chat === true;
    },

    async createChat(input) {
      const data = await call<{ chat_id?: string }>('chat.create', () =>
        sdk.im.v1.chat.create({
          params: { user_id_type: 'open_id', set_bot_manager: false, uuid: input.uuid },
          data: {
            name: input.name,
            ...(input.description ? { description: input.description } : {}),
            chat_mode: 'group',
            chat_type: 'private',
          },
        }),
      );
      if (!data.chat_id)
        throw new FeishuApiError('transient', undefined, 200, 'chat.create answered without a chat_id');
      return { chatId: data.chat_id };
    },

    async addChatMembers(input) {
      const data = await call<{
        invalid_id_list?: string[];
        not_existed_id_list?: string[];
        pending_approval_id_list?: string[];
      }>('chat_members.create', () =>
        sdk.im.v1.chatMembers.create({
          path: { chat_id: input.chatId },
          params: { member_id_type: 'open_id', succeed_type: 1 },
          data: { id_list: input.openIds },
        }),
      );
      return {
        invalid: data.invalid_id_list ?? [],
        notExisted: data.not_existed_id_list ?? [],
        pending: data.pending_approval_id_list ?? [],
      };
    },

    async renameChat(input) {
      await call('chat.update', () =>
        sdk.im.v1.chat.update({
          path: { chat_id: input.chatId },
          params: { user_id_type: 'open_id' },
          data: { name: input.name },
        }),
      );
    },

    async pinMessage(messageId) {
      await acquire(messageId);
      await call('pin.create', () => sdk.im.v1.pin.create({ data: { message_id: messageId } }));
    },

    async uploadImage(image) {
      await acquire();
      try {
        // The SDK unwraps this response: `{image_key}`, or null when Feishu answered 200 with an error code.
        const result = await sdk.im.v1.image.create({ data: { image_type: 'message', image } });
        if (!result?.image_key) throw new FeishuApiError('permanent', undefined, 200, 'image upload rejected');
        return result.image_key;
      } catch (error) {
        throw toFeishuError(error);
      }
    },

    async uploadFile(input) {
      await acquire();
      try {
        const result = await sdk.im.v1.file.create({
          data: { file_type: input.fileType, file_name: input.fileName, file: input.file },
        });
        if (!result?.file_key) throw new FeishuApiError('permanent', undefined, 200, 'file upload rejected');
        return result.file_key;
      } catch (error) {
        throw toFeishuError(error);
      }
    },

    async downloadResource(input) {
      await acquire(input.messageId);
      try {
        const response = await sdk.im.v1.messageResource.get({
          path: { message_id: input.messageId, file_key: input.fileKey },
          params: { type: input.type },
        });
        const chunks: Buffer[] = [];
        for await (const chunk of response.getReadableStream()) chunks.push(Buffer.from(chunk));
        const headers = response.headers as Record<string, string | undefined> | undefined;
        return { data: Buffer.concat(chunks), contentType: headers?.['content-type'] };
      } catch (error) {
        throw toFeishuError(error);
      }
    },
  };
}

function sdkLogger(logger: Logger | undefined) {
  const log = (...args: unknown[]) =>
    logger?.debug({ sdk: args.map((a) => (a instanceof Error ? a.message : a)) }, 'node-sdk');
  return { error: log, warn: log, info: log, debug: log, trace: log };
}

/** Feishu returns mobiles as typed in the contact book, sometimes with +86; the directory keeps 11 digits. */
function stripCountryCode(mobile: string): string {
  return mobile.replace(/^\+?86-?/, '').replace(/\s+/g, '');
}

/** For calls made on a person's behalf (not the outbox): wait as Feishu asks, at most three times. */
async function withRateLimitRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof FeishuApiError) || attempt >= 3) throw error;
      if (error.kind === 'rate_limited' || error.kind === 'transient') {
        await new Promise((r) => setTimeout(r, error.retryAfterMs ?? 500 * 2 ** attempt));
        continue;
      }
      throw error;
    }
  }
}
