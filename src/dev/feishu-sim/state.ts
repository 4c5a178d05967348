import { randomHex } from './crypto.js';
import type { SimChat, SimMessage, SimUser } from './types.js';

export const TENANT_KEY = 'sim_tenant_key';
export const BOT_OPEN_ID = 'ou_sim_bot_0000000000000000000000';
export const BOT_NAME = '隐患闭环助手';
export const UUID_DEDUP_MS = 60 * 60 * 1000;
export const CARD_UPDATE_DAYS = 14;
export const CARD_TOKEN_TTL_MS = 30 * 60 * 1000;

export interface ResolvedChat {
  chatId: string;
  chatType: 'p2p' | 'group';
  memberOpenIds: string[];
  botIsMember: boolean;
  /** For p2p chats: the user on the other side. */
  user?: SimUser;
}

export interface StoredFile {
  bytes: Buffer;
  fileName: string;
  fileType: string;
}

/** Everything the simulated platform knows: directory, chats, messages, uploads, tokens, and its own clock. */
export class SimState {
  readonly users = new Map<string, SimUser>();
  readonly chats = new Map<string, SimChat>();
  readonly messages = new Map<string, SimMessage>();
  readonly uuids = new Map<string, { messageId: string; atMs: number }>();
  /** Chats the bot made, by create uuid (+ owner): a repeat within 10 hours answers the same chat. */
  readonly chatUuids = new Map<string, { chatId: string; atMs: number }>();
  readonly images = new Map<string, Buffer>();
  readonly files = new Map<string, StoredFile>();
  /** Card update tokens handed out with card clicks: valid 30 minutes, usable twice. */
  readonly cardTokens = new Map<string, { messageId: string; issuedAtMs: number; uses: number }>();
  /**
   * The tenant's urgent quota left for SMS and phone 加急, in people buzzed (unset: unlimited). At 0 the API answers
   * 230024 "Reach the upper limit of urgent message", as Feishu does when the quota is used up.
   */
  readonly urgentQuota: { sms?: number; phone?: number } = {};
  /** The simulator's clock runs with real time, shifted by setNow/advance. */
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  setNow(at: Date | string | number): void {
    this.offsetMs = new Date(at).getTime() - Date.now();
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  addUser(user: SimUser): SimUser {
    if (!user.openId || !user.name) throw new Error('sim.addUser needs openId and name');
    const stored: SimUser = { ...user, unionId: user.unionId ?? `on_${user.openId.replace(/^ou_/, '')}` };
    this.users.set(stored.openId, stored);
    return stored;
  }

  /** Finds a user by any id Feishu accepts; in the simulator user_id equals open_id. */
  findUser(idType: string, id: string): SimUser | undefined {
    switch (idType) {
      case 'open_id':
      case 'user_id':
        return this.users.get(id);
      case 'union_id':
        return [...this.users.values()].find((u) => u.unionId === id);
      case 'email':
        return [...this.users.values()].find(
          (u) => u.email !== undefined && u.email.toLowerCase() === id.toLowerCase(),
        );
      default:
        return undefined;
    }
  }

  findByMobile(mobile: string): SimUser | undefined {
    const wanted = normalizeMobile(mobile);
    return [...this.users.values()].find((u) => u.mobile !== undefined && normalizeMobile(u.mobile) === wanted);
  }

  p2pChatId(openId: string): string {
    return `oc_p2p_${openId}`;
  }

  resolveChat(chatId: string): ResolvedChat | undefined {
    const group = this.chats.get(chatId);
    if (group) {
      return { chatId, chatType: 'group', memberOpenIds: group.memberOpenIds, botIsMember: group.botIsMember };
    }
    if (chatId.startsWith('oc_p2p_')) {
      const user = this.users.get(chatId.slice('oc_p2p_'.length));
      if (user) return { chatId, chatType: 'p2p', memberOpenIds: [user.openId], botIsMember: true, user };
    }
    return undefined;
  }

  newMessageId(): string {
    return `om_${randomHex(16)}`;
  }
  newImageKey(): string {
    return `img_v3_sim_${randomHex(12)}`;
  }
  newFileKey(): string {
    return `file_v3_sim_${randomHex(12)}`;
  }

  /** Keys of the images and files a message carries (for resource download). */
  resourceKeys(message: SimMessage): Set<string> {
    const keys = new Set<string>();
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          if ((k === 'image_key' || k === 'file_key') && typeof v === 'string') keys.add(v);
          else visit(v);
        }
      }
    };
    visit(message.content);
    return keys;
  }
}

export function normalizeMobile(mobile: string): string {
  const digits = mobile.replace(/[\s-]/g, '');
  return digits.startsWith('+86') ? digits.slice(3) : digits;
}
