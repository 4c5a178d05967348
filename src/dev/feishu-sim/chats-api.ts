/**
 * Group chats made by the bot (专班群): create, add members, rename, pin a message — with the platform's rules and
 * error codes (shared/docs/feishu-web-groups-sms.md §3–4). openapi.ts routes the calls here and wraps the answers.
 */
import { randomHex } from './crypto.js';
import type { SimState } from './state.js';

/** A business answer: data on success, or Feishu's {code,msg} (HTTP 400 unless said otherwise). */
export type ChatApiAnswer = { ok: true; data: unknown } | { ok: false; code: number; msg: string };

/** The same uuid (+ owner) makes at most one chat per 10 hours. */
export const CHAT_UUID_WINDOW_MS = 10 * 3_600_000;
const MAX_USERS_PER_CALL = 50;
const MAX_NAME = 60;

const fail = (code: number, msg: string): ChatApiAnswer => ({ ok: false, code, msg });

/** POST /open-apis/im/v1/chats (?user_id_type=open_id&uuid=…): the bot owns the chat unless owner_id is given. */
export function createChat(state: SimState, query: URLSearchParams, body: Record<string, any>): ChatApiAnswer {
  const idType = query.get('user_id_type') ?? 'open_id';
  if (!['open_id', 'union_id', 'user_id'].includes(idType)) return fail(232001, 'invalid user_id_type');
  const uuid = query.get('uuid') ?? undefined;
  if (uuid !== undefined && (uuid.length === 0 || uuid.length > 50)) return fail(232001, 'uuid must be 1-50 chars');
  const name = typeof body.name === 'string' ? body.name : '';
  if ([...name].length > MAX_NAME) return fail(232001, `name longer than ${MAX_NAME} characters`);
  const ids: unknown = body.user_id_list ?? [];
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) return fail(232001, 'user_id_list: strings');
  if (ids.length > MAX_USERS_PER_CALL) return fail(232001, `user_id_list: at most ${MAX_USERS_PER_CALL} users`);
  const unknown = (ids as string[]).filter((id) => !state.findUser(idType, id));
  if (unknown.length > 0) return fail(232043, `invalid ids: ${unknown.join(', ')}`);
  if (body.owner_id !== undefined && !state.findUser(idType, String(body.owner_id))) {
    return fail(232030, `invalid owner_id: ${String(body.owner_id)}`);
  }
  const nowMs = state.now().getTime();
  const key = uuid === undefined ? undefined : `${uuid}|${body.owner_id ?? ''}`;
  const seen = key ? state.chatUuids.get(key) : undefined;
  if (seen && nowMs - seen.atMs < CHAT_UUID_WINDOW_MS) {
    const chat = state.chats.get(seen.chatId);
    if (chat) return { ok: true, data: chatData(chat) };
  }
  const chatId = `oc_${randomHex(16)}`;
  const members = (ids as string[]).map((id) => state.findUser(idType, id)!.openId);
  state.chats.set(chatId, {
    chatId,
    name,
    memberOpenIds: [...new Set(members)],
    botIsMember: true,
    createdByBot: true,
    pinnedMessageIds: [],
    ...(typeof body.description === 'string' ? { description: body.description } : {}),
  });
  if (key) state.chatUuids.set(key, { chatId, atMs: nowMs });
  return { ok: true, data: chatData(state.chats.get(chatId)!) };
}

/** POST /open-apis/im/v1/chats/:chat_id/members (?member_id_type=open_id&succeed_type=0|1|2). */
export function addMembers(
  state: SimState,
  chatId: string,
  query: URLSearchParams,
  body: Record<string, any>,
): ChatApiAnswer {
  const chat = state.chats.get(chatId);
  if (!chat) return fail(232006, `invalid chat_id: ${chatId}`);
  if (!chat.botIsMember) return fail(232011, 'operator is not in the chat');
  const idType = query.get('member_id_type') ?? 'open_id';
  if (!['open_id', 'union_id', 'user_id'].includes(idType)) return fail(232001, 'invalid member_id_type');
  const succeedType = Number(query.get('succeed_type') ?? '0');
  if (![0, 1, 2].includes(succeedType)) return fail(232001, 'succeed_type must be 0, 1 or 2');
  const ids: unknown = body.id_list;
  if (!Array.isArray(ids) || ids.length === 0 || ids.some((id) => typeof id !== 'string')) {
    return fail(232001, 'id_list is required (non-empty, strings)');
  }
  if (ids.length > MAX_USERS_PER_CALL) return fail(232001, `id_list: at most ${MAX_USERS_PER_CALL} users per call`);
  const notExisted = (ids as string[]).filter((id) => !state.findUser(idType, id));
  if (notExisted.length > 0 && succeedType !== 1) {
    return fail(99992351, `The open_ids do not exist: ${notExisted.join(', ')}`);
  }
  const valid = (ids as string[]).filter((id) => !notExisted.includes(id));
  if (valid.length === 0) return fail(232027, 'no valid members in id_list');
  for (const id of valid) {
    const openId = state.findUser(idType, id)!.openId;
    if (!chat.memberOpenIds.includes(openId)) chat.memberOpenIds.push(openId);
  }
  return { ok: true, data: { invalid_id_list: [], not_existed_id_list: notExisted, pending_approval_id_list: [] } };
}

/** PUT /open-apis/im/v1/chats/:chat_id: fields left out are unchanged. */
export function updateChat(state: SimState, chatId: string, body: Record<string, any>): ChatApiAnswer {
  const chat = state.chats.get(chatId);
  if (!chat) return fail(232006, `invalid chat_id: ${chatId}`);
  if (!chat.botIsMember) return fail(232011, 'operator is not in the chat');
  if (!chat.createdByBot) return fail(232016, 'a member who is not owner or admin may edit only some fields');
  if (body.name !== undefined) {
    if (typeof body.name !== 'string' || [...body.name].length > MAX_NAME) {
      return fail(232001, `name: a string of at most ${MAX_NAME} characters`);
    }
    chat.name = body.name;
  }
  if (typeof body.description === 'string') chat.description = body.description;
  return { ok: true, data: {} };
}

/** POST /open-apis/im/v1/pins {message_id}: pinning a pinned message answers the existing pin. */
export function pinMessage(state: SimState, appId: string, body: Record<string, any>): ChatApiAnswer {
  const messageId = body.message_id;
  if (typeof messageId !== 'string' || messageId === '') return fail(230001, 'message_id is required');
  const message = state.messages.get(messageId);
  if (!message) return fail(230001, `invalid message_id: ${messageId}`);
  const chat = state.chats.get(message.chatId);
  if (!chat) return fail(230045, `the chat of message ${messageId} does not exist`);
  if (!chat.botIsMember) return fail(230002, `Bot/User can NOT be out of the chat (${chat.chatId}).`);
  chat.pinnedMessageIds ??= [];
  if (!chat.pinnedMessageIds.includes(messageId)) chat.pinnedMessageIds.push(messageId);
  return {
    ok: true,
    data: {
      pin: {
        message_id: messageId,
        chat_id: chat.chatId,
        operator_id: appId,
        operator_id_type: 'app_id',
        create_time: String(state.now().getTime()),
      },
    },
  };
}

function chatData(chat: { chatId: string; name: string }) {
  return {
    chat_id: chat.chatId,
    name: chat.name,
    owner_id: '',
    owner_id_type: 'app_id',
    chat_mode: 'group',
    chat_type: 'private',
    external: false,
    tenant_key: 'sim_tenant_key',
  };
}
