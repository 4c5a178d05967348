/**
 * The simulated Open Platform's OpenAPI routes. Kept whole because it is the one route table of every call the bot
 * makes, each handler a few lines applying the platform's rules (feishu-platform.md), read best side by side.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CARD_MAX_BYTES, isUpdatableCard, validateCard } from './card-validator.js';
import { addMembers, type ChatApiAnswer, createChat, pinMessage, updateChat } from './chats-api.js';
import { randomHex } from './crypto.js';
import type { FaultPlan } from './faults.js';
import { parseMultipart } from './multipart.js';
import type { OAuthBook } from './oauth.js';
import type { RateLimiter } from './rate-limiter.js';
import {
  CARD_TOKEN_TTL_MS,
  CARD_UPDATE_DAYS,
  type ResolvedChat,
  type SimState,
  TENANT_KEY,
  UUID_DEDUP_MS,
} from './state.js';
import type { TokenBook } from './tokens.js';
import type { RecordedCall, SimMessage, SimStats } from './types.js';

/** A Feishu business error: HTTP status + {code,msg}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    msg: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(msg);
  }
}

const bad = (code: number, msg: string) => new ApiError(400, code, msg);

const TEXT_MAX_BYTES = 150 * 1024;
const IMAGE_MAX_BYTES = 10 * 1024 * 1024;
const FILE_MAX_BYTES = 30 * 1024 * 1024;
const BODY_MAX_BYTES = 40 * 1024 * 1024;
const MSG_TYPES = new Set([
  'text',
  'post',
  'image',
  'file',
  'audio',
  'media',
  'sticker',
  'interactive',
  'share_chat',
  'share_user',
]);
const RECEIVE_ID_TYPES = new Set(['open_id', 'user_id', 'union_id', 'email', 'chat_id']);
/** The APIs Feishu's per-app message limits apply to. */
const RATE_LIMITED = new Set([
  'message.create',
  'message.reply',
  'message.patch',
  'message.urgent_app',
  'message.urgent_sms',
  'message.urgent_phone',
  'contact.batch_get_id',
  'image.create',
  'file.create',
  'message.resource',
]);

export interface WsEndpointInfo {
  url: string;
  clientConfig: Record<string, number>;
}

export interface ApiContext {
  state: SimState;
  faults: FaultPlan;
  limiter: RateLimiter;
  tokens: TokenBook;
  /** Web login: authorize codes and user access tokens. */
  oauth: OAuthBook;
  appId: string;
  appSecret: string;
  rateLimits: () => boolean;
  calls: RecordedCall[];
  stats: SimStats;
  wsEndpoint: () => WsEndpointInfo;
  /** Responses a fault keeps from answering, destroyed on close. */
  hanging: Set<ServerResponse>;
  /** Latency timers, cleared on close. */
  timers: Set<NodeJS.Timeout>;
}

interface Route {
  api: string;
  params: Record<string, string>;
}

interface Request {
  route: Route;
  method: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  raw: Buffer;
  json: any;
}

type Result =
  | { status: number; json: unknown; headers?: Record<string, string> }
  | { status: number; binary: Buffer; contentType: string; fileName: string };

/** [method, path pattern, api name, names of the captured path parameters] */
const ROUTES: [string, RegExp, string, string[]][] = [
  ['POST', /^\/open-apis\/auth\/v3\/tenant_access_token\/internal$/, 'token', []],
  ['POST', /^\/callback\/ws\/endpoint$/, 'ws.endpoint', []],
  ['POST', /^\/open-apis\/authen\/v2\/oauth\/token$/, 'authen.token', []],
  ['GET', /^\/open-apis\/authen\/v1\/user_info$/, 'authen.user_info', []],
  ['POST', /^\/open-apis\/im\/v1\/messages$/, 'message.create', []],
  ['POST', /^\/open-apis\/contact\/v3\/users\/batch_get_id$/, 'contact.batch_get_id', []],
  ['POST', /^\/open-apis\/im\/v1\/images$/, 'image.create', []],
  ['POST', /^\/open-apis\/im\/v1\/files$/, 'file.create', []],
  ['POST', /^\/open-apis\/interactive\/v1\/card\/update$/, 'card.update', []],
  ['PATCH', /^\/open-apis\/im\/v1\/messages\/([^/]+)$/, 'message.patch', ['messageId']],
  ['GET', /^\/open-apis\/im\/v1\/messages\/([^/]+)$/, 'message.get', ['messageId']],
  ['POST', /^\/open-apis\/im\/v1\/messages\/([^/]+)\/reply$/, 'message.reply', ['messageId']],
  [
    'PATCH',
    /^\/open-apis\/im\/v1\/messages\/([^/]+)\/urgent_(app|sms|phone)$/,
    'message.urgent_',
    ['messageId', 'kind'],
  ],
  ['GET', /^\/open-apis\/im\/v1\/messages\/([^/]+)\/resources\/([^/]+)$/, 'message.resource', ['messageId', 'key']],
  ['GET', /^\/open-apis\/im\/v1\/chats\/([^/]+)\/members\/is_in_chat$/, 'chat_members.is_in_chat', ['chatId']],
  ['POST', /^\/open-apis\/im\/v1\/chats$/, 'chat.create', []],
  ['PUT', /^\/open-apis\/im\/v1\/chats\/([^/]+)$/, 'chat.update', ['chatId']],
  ['POST', /^\/open-apis\/im\/v1\/chats\/([^/]+)\/members$/, 'chat_members.create', ['chatId']],
  ['POST', /^\/open-apis\/im\/v1\/pins$/, 'pin.create', []],
];

function route(method: string, path: string): Route | null {
  const p = path.replace(/\/+$/, '');
  for (const [routeMethod, pattern, api, names] of ROUTES) {
    if (routeMethod !== method) continue;
    const match = pattern.exec(p);
    if (!match) continue;
    const params: Record<string, string> = {};
    names.forEach((name, index) => {
      params[name] = decodeURIComponent(match[index + 1]!);
    });
    return { api: api === 'message.urgent_' ? `message.urgent_${params.kind}` : api, params };
  }
  return null;
}

/** The request handler for the simulator's HTTP server (OpenAPI + long-connection endpoint). */
export function createApiHandler(ctx: ApiContext) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const method = (req.method ?? 'GET').toUpperCase();
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch {
      sendJson(res, 413, { code: 413, msg: 'request body too large' });
      return;
    }
    const found = route(method, url.pathname);
    const api = found?.api ?? 'unknown';
    const call: RecordedCall = {
      api,
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: flattenHeaders(req.headers),
      body: undefined,
      status: 0,
      response: undefined,
      answered: false,
      at: ctx.state.now(),
    };
    ctx.calls.push(call);
    const apiStats = ctx.stats.byApi[api] ?? { requests: 0, rateLimited: 0, errors: 0 };
    ctx.stats.byApi[api] = apiStats;
    ctx.stats.requests++;
    apiStats.requests++;

    const contentType = String(req.headers['content-type'] ?? '');
    let json: any;
    if (contentType.startsWith('multipart/form-data')) {
      const parts = parseMultipart(raw, contentType);
      json = parts ? Object.fromEntries([...parts].map(([name, part]) => [name, part])) : null;
      call.body = parts ? describeMultipart(parts) : { invalidMultipart: true };
    } else if (raw.length > 0) {
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        json = undefined;
      }
      call.body = json === undefined ? raw.toString('utf8') : withParsedContent(json);
    }

    const delay = ctx.faults.latencyFor(api);
    if (delay > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          ctx.timers.delete(timer);
          resolve();
        }, delay);
        ctx.timers.add(timer);
      });
      if (res.destroyed) return;
    }

    let result: Result;
    let noAnswer = false;
    const fault = found ? ctx.faults.take(api) : null;
    if (fault?.kind === 'fail') {
      result = { status: fault.status, json: envelopeError(fault.code, fault.msg), headers: fault.headers };
    } else if (fault?.kind === 'rateLimit') {
      result = rateLimitedResult(50, 1);
    } else {
      noAnswer = fault?.kind === 'noAnswer';
      try {
        if (!found) throw new ApiError(404, 404, `404 page not found: ${method} ${url.pathname}`);
        if (json === undefined && raw.length > 0) throw bad(99992402, 'request body is not valid JSON');
        result = handle(ctx, { route: found, method, query: url.searchParams, headers: req.headers, raw, json });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        result = { status: error.status, json: envelopeError(error.code, error.message), headers: error.headers };
      }
    }

    call.status = result.status;
    call.response = 'binary' in result ? { binary: true, bytes: result.binary.length } : result.json;
    if (result.status === 429) {
      ctx.stats.rateLimited++;
      apiStats.rateLimited++;
    } else if (result.status >= 400) apiStats.errors++;
    if (noAnswer) {
      ctx.hanging.add(res);
      res.on('close', () => ctx.hanging.delete(res));
      return;
    }
    call.answered = true;
    if ('binary' in result) {
      res.writeHead(result.status, {
        'content-type': result.contentType,
        'content-length': result.binary.length,
        'content-disposition': `attachment; filename="${result.fileName}"`,
      });
      res.end(result.binary);
    } else {
      sendJson(res, result.status, result.json, result.headers);
    }
  };
}

function handle(ctx: ApiContext, req: Request): Result {
  const { api } = req.route;
  if (api === 'token') return issueToken(ctx, req);
  if (api === 'ws.endpoint') return wsEndpoint(ctx, req);
  // Web login authenticates with the app's secret (token) or the user's access token (user_info), not a tenant token.
  if (api === 'authen.token') return ctx.oauth.exchange(req.json);
  if (api === 'authen.user_info') return ctx.oauth.userInfo(req.headers.authorization);
  authenticate(ctx, req);
  switch (api) {
    case 'message.create':
      return createMessage(ctx, req);
    case 'message.reply':
      return replyMessage(ctx, req);
    case 'message.patch':
      return patchMessage(ctx, req);
    case 'message.get':
      return getMessage(ctx, req);
    case 'message.urgent_app':
    case 'message.urgent_sms':
    case 'message.urgent_phone':
      return urgent(ctx, req);
    case 'message.resource':
      return resource(ctx, req);
    case 'contact.batch_get_id':
      return batchGetId(ctx, req);
    case 'image.create':
      return uploadImage(ctx, req);
    case 'file.create':
      return uploadFile(ctx, req);
    case 'card.update':
      return delayedCardUpdate(ctx, req);
    case 'chat_members.is_in_chat':
      return isInChat(ctx, req);
    case 'chat.create':
      return chatAnswer(createChat(ctx.state, req.query, requireObject(req.json)));
    case 'chat.update':
      return chatAnswer(updateChat(ctx.state, req.route.params.chatId!, requireObject(req.json)));
    case 'chat_members.create':
      return chatAnswer(addMembers(ctx.state, req.route.params.chatId!, req.query, requireObject(req.json)));
    case 'pin.create':
      return chatAnswer(pinMessage(ctx.state, ctx.appId, requireObject(req.json)));
    default:
      throw new ApiError(404, 404, `404 page not found: ${api}`);
  }
}

// --- auth -------------------------------------------------------------------------------------------------------

function issueToken(ctx: ApiContext, req: Request): Result {
  const body = req.json ?? {};
  if (body.app_id !== ctx.appId) throw bad(10003, `invalid app_id: ${String(body.app_id)}`);
  if (body.app_secret !== ctx.appSecret) throw bad(10014, 'app secret invalid');
  const { token, expire } = ctx.tokens.issue();
  return ok({ code: 0, msg: 'ok', tenant_access_token: token, expire });
}

function wsEndpoint(ctx: ApiContext, req: Request): Result {
  const body = req.json ?? {};
  if (body.AppID !== ctx.appId || body.AppSecret !== ctx.appSecret) {
    return ok({ code: 514, msg: 'auth failed: wrong AppID or AppSecret', data: {} });
  }
  const { url, clientConfig } = ctx.wsEndpoint();
  return ok({ code: 0, msg: 'ok', data: { URL: url, ClientConfig: clientConfig } });
}

function authenticate(ctx: ApiContext, req: Request): void {
  const header = String(req.headers.authorization ?? '');
  const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  if (!token) {
    throw bad(99991661, 'Missing access token for authorization. Please make a request with token attached.');
  }
  if (!ctx.tokens.isValid(token)) {
    throw bad(99991663, 'Invalid access token for authorization. Please make a request with token attached.');
  }
}

function checkRate(ctx: ApiContext, api: string, key?: string): void {
  if (!ctx.rateLimits() || !RATE_LIMITED.has(api)) return;
  const verdict = ctx.limiter.take(Date.now(), key);
  if (verdict) {
    const result = rateLimitedResult(verdict.limit, verdict.resetSeconds);
    throw new ApiError(429, 99991400, 'request trigger frequency limit', result.headers);
  }
}

function rateLimitedResult(limit: number, resetSeconds: number) {
  return {
    status: 429,
    json: envelopeError(99991400, 'request trigger frequency limit'),
    headers: { 'x-ogw-ratelimit-limit': String(limit), 'x-ogw-ratelimit-reset': String(resetSeconds) },
  };
}

// --- messages ---------------------------------------------------------------------------------------------------

function createMessage(ctx: ApiContext, req: Request): Result {
  const receiveIdType = req.query.get('receive_id_type') ?? '';
  if (!RECEIVE_ID_TYPES.has(receiveIdType)) {
    throw bad(99992402, `field validation failed: receive_id_type must be one of ${[...RECEIVE_ID_TYPES].join(', ')}`);
  }
  const body = requireObject(req.json);
  if (typeof body.receive_id !== 'string' || body.receive_id === '') {
    throw bad(99992402, 'field validation failed: receive_id is required');
  }
  const uuid = checkUuid(body.uuid);
  checkRate(ctx, 'message.create', recipientKey(ctx, receiveIdType, body.receive_id));
  const duplicate = findDuplicate(ctx, uuid);
  if (duplicate) return ok(envelope(messageData(ctx.appId, duplicate)));
  const { msgType, content, rawContent } = checkContent(ctx, body);
  const chat = resolveRecipient(ctx, receiveIdType, body.receive_id);
  const message = storeBotMessage(ctx, {
    chat,
    receiveId: body.receive_id,
    receiveIdType,
    msgType,
    content,
    rawContent,
    uuid,
  });
  return ok(envelope(messageData(ctx.appId, message)));
}

function replyMessage(ctx: ApiContext, req: Request): Result {
  const body = requireObject(req.json);
  const uuid = checkUuid(body.uuid);
  const parent = ctx.state.messages.get(req.route.params.messageId!);
  checkRate(ctx, 'message.reply', parent ? `chat:${parent.chatId}` : undefined);
  const duplicate = findDuplicate(ctx, uuid);
  if (duplicate) return ok(envelope(messageData(ctx.appId, duplicate)));
  if (!parent) throw bad(230001, `invalid message_id: ${req.route.params.messageId} does not exist`);
  const { msgType, content, rawContent } = checkContent(ctx, body);
  const chat = ctx.state.resolveChat(parent.chatId);
  if (!chat) throw bad(230001, `the chat of message ${parent.messageId} no longer exists`);
  checkChatReachable(chat);
  const message = storeBotMessage(ctx, {
    chat,
    receiveId: parent.chatId,
    receiveIdType: 'chat_id',
    msgType,
    content,
    rawContent,
    uuid,
    parentId: parent.messageId,
    rootId: parent.rootId ?? parent.messageId,
  });
  return ok(envelope(messageData(ctx.appId, message, body.reply_in_thread === true)));
}

function patchMessage(ctx: ApiContext, req: Request): Result {
  const message = ctx.state.messages.get(req.route.params.messageId!);
  checkRate(ctx, 'message.patch', `message:${req.route.params.messageId}`);
  if (!message) throw bad(230001, `invalid message_id: ${req.route.params.messageId} does not exist`);
  if (message.senderType !== 'app') throw bad(230027, 'the bot can only update messages it sent');
  if (message.msgType !== 'interactive') throw bad(230001, `only card (interactive) messages can be patched`);
  const ageMs = ctx.state.now().getTime() - message.createdAt.getTime();
  if (ageMs > CARD_UPDATE_DAYS * 24 * 3600 * 1000) {
    throw bad(230031, 'the message was sent more than 14 days ago and can no longer be updated');
  }
  const body = requireObject(req.json);
  const { content, rawContent } = checkContent(ctx, { msg_type: 'interactive', content: body.content });
  if (content?.type !== 'template' && !isUpdatableCard(message.content)) {
    throw bad(230099, 'the sent card lacks config.update_multi:true, so it cannot be updated');
  }
  if (content?.type !== 'template' && !isUpdatableCard(content)) {
    throw bad(230099, 'the new card must keep config.update_multi:true');
  }
  replaceContent(ctx.state, message, content, rawContent);
  return ok(envelope({}));
}

function getMessage(ctx: ApiContext, req: Request): Result {
  const message = ctx.state.messages.get(req.route.params.messageId!);
  if (!message) throw bad(230001, `invalid message_id: ${req.route.params.messageId} does not exist`);
  return ok(envelope({ items: [messageData(ctx.appId, message)] }));
}

function urgent(ctx: ApiContext, req: Request): Result {
  checkRate(ctx, req.route.api);
  const userIdType = req.query.get('user_id_type') ?? '';
  if (!['open_id', 'user_id', 'union_id'].includes(userIdType)) {
    throw bad(99992402, 'field validation failed: user_id_type must be open_id, user_id or union_id');
  }
  const message = ctx.state.messages.get(req.route.params.messageId!);
  if (!message) throw bad(230001, `invalid message_id: ${req.route.params.messageId} does not exist`);
  if (message.senderType !== 'app') throw bad(230001, 'the bot can only buzz messages it sent');
  const body = requireObject(req.json);
  const ids: unknown = body.user_id_list;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > 200 || ids.some((id) => typeof id !== 'string')) {
    throw bad(99992402, 'field validation failed: user_id_list must hold 1 to 200 ids');
  }
  const chat = ctx.state.resolveChat(message.chatId);
  const members = new Set(chat?.memberOpenIds ?? []);
  const invalid = (ids as string[]).filter((id) => {
    const user = ctx.state.findUser(userIdType, id);
    return !user || !members.has(user.openId);
  });
  if (invalid.length === ids.length) {
    throw bad(230001, `invalid user ids (not in the chat of this message): ${invalid.join(', ')}`);
  }
  const kind = req.route.params.kind as 'app' | 'sms' | 'phone';
  if (kind !== 'app') {
    const left = ctx.state.urgentQuota[kind];
    const valid = ids.length - invalid.length;
    if (left !== undefined && left < valid) {
      throw bad(230024, 'Reach the upper limit of urgent message. Please contact the tenant administrator.');
    }
    if (left !== undefined) ctx.state.urgentQuota[kind] = left - valid;
  }
  message.urgents.push({
    kind,
    userIds: (ids as string[]).filter((id) => !invalid.includes(id)),
    invalidUserIds: invalid,
    at: ctx.state.now(),
  });
  return ok(envelope({ invalid_user_id_list: invalid }));
}

function resource(ctx: ApiContext, req: Request): Result {
  checkRate(ctx, 'message.resource');
  const type = req.query.get('type');
  if (type !== 'image' && type !== 'file') throw bad(234001, 'invalid request param: type must be image or file');
  const message = ctx.state.messages.get(req.route.params.messageId!);
  if (!message) throw bad(234003, `message ${req.route.params.messageId} does not exist`);
  if (message.msgType === 'interactive' || message.msgType === 'merge_forward') {
    throw bad(234043, 'resources of card and merge-forward messages cannot be downloaded');
  }
  const key = req.route.params.key!;
  if (!ctx.state.resourceKeys(message).has(key)) {
    throw bad(234003, `${key} is not a resource of message ${message.messageId}`);
  }
  const image = ctx.state.images.get(key);
  if (image) return { status: 200, binary: image, contentType: sniffImageType(image), fileName: key };
  const file = ctx.state.files.get(key);
  if (file) {
    return { status: 200, binary: file.bytes, contentType: 'application/octet-stream', fileName: file.fileName };
  }
  throw bad(234003, `resource ${key} not found`);
}

// --- chats -------------------------------------------------------------------------------------------------------

/** Whether the caller (the bot, with a tenant token) is in the group. A chat the simulator does not know: not in it. */
function isInChat(ctx: ApiContext, req: Request): Result {
  const chat = ctx.state.chats.get(req.route.params.chatId ?? '');
  return ok({ code: 0, msg: 'success', data: { is_in_chat: chat?.botIsMember === true } });
}

/** The group APIs (chats-api.ts) answer data or a business error. */
function chatAnswer(answer: ChatApiAnswer): Result {
  if (!answer.ok) throw bad(answer.code, answer.msg);
  return ok(envelope(answer.data));
}

// --- contact, uploads, delayed card update -------------------------------------------------------------------

function batchGetId(ctx: ApiContext, req: Request): Result {
  checkRate(ctx, 'contact.batch_get_id');
  const userIdType = req.query.get('user_id_type') ?? 'open_id';
  if (!['open_id', 'user_id', 'union_id'].includes(userIdType)) {
    throw bad(99992402, 'field validation failed: user_id_type must be open_id, user_id or union_id');
  }
  const body = requireObject(req.json);
  const emails: unknown = body.emails ?? [];
  const mobiles: unknown = body.mobiles ?? [];
  if (!Array.isArray(emails) || !Array.isArray(mobiles)) {
    throw bad(99992402, 'field validation failed: emails and mobiles must be arrays');
  }
  if (emails.length > 50) throw bad(99992402, `field validation failed: at most 50 emails (got ${emails.length})`);
  if (mobiles.length > 50) throw bad(99992402, `field validation failed: at most 50 mobiles (got ${mobiles.length})`);
  const idOf = (user: { openId: string; unionId?: string }) => (userIdType === 'union_id' ? user.unionId : user.openId);
  const status = { is_frozen: false, is_resigned: false, is_activated: true, is_exited: false, is_unjoin: false };
  const userList = [
    ...emails.map((email: unknown) => {
      const user = typeof email === 'string' ? ctx.state.findUser('email', email) : undefined;
      return user ? { user_id: idOf(user), email, status } : { email };
    }),
    ...mobiles.map((mobile: unknown) => {
      const user = typeof mobile === 'string' ? ctx.state.findByMobile(mobile) : undefined;
      return user ? { user_id: idOf(user), mobile, status } : { mobile };
    }),
  ];
  return ok(envelope({ user_list: userList }));
}

function uploadImage(ctx: ApiContext, req: Request): Result {
  checkRate(ctx, 'image.create');
  const parts = req.json as Record<string, { data: Buffer }> | null;
  if (!parts) throw bad(234001, 'invalid request param: expected multipart/form-data');
  const imageType = parts.image_type?.data.toString('utf8');
  if (imageType !== 'message' && imageType !== 'avatar') {
    throw bad(234001, 'invalid request param: image_type must be message or avatar');
  }
  const image = parts.image?.data;
  if (!image) throw bad(234001, 'invalid request param: the image part is missing');
  if (image.length === 0) throw bad(234010, 'image size cannot be 0');
  if (image.length > IMAGE_MAX_BYTES) throw bad(234006, 'image size exceeds the 10 MB limit');
  const key = ctx.state.newImageKey();
  ctx.state.images.set(key, image);
  return ok(envelope({ image_key: key }));
}

function uploadFile(ctx: ApiContext, req: Request): Result {
  checkRate(ctx, 'file.create');
  const parts = req.json as Record<string, { data: Buffer; filename?: string }> | null;
  if (!parts) throw bad(234001, 'invalid request param: expected multipart/form-data');
  const fileType = parts.file_type?.data.toString('utf8') ?? '';
  const fileName = parts.file_name?.data.toString('utf8') ?? parts.file?.filename ?? '';
  if (!['opus', 'mp4', 'pdf', 'doc', 'xls', 'ppt', 'stream'].includes(fileType)) {
    throw bad(234001, 'invalid request param: file_type must be opus, mp4, pdf, doc, xls, ppt or stream');
  }
  if (!fileName) throw bad(234001, 'invalid request param: file_name is required');
  const file = parts.file?.data;
  if (!file) throw bad(234001, 'invalid request param: the file part is missing');
  if (file.length === 0) throw bad(234010, 'file size cannot be 0');
  if (file.length > FILE_MAX_BYTES) throw bad(234006, 'file size exceeds the 30 MB limit');
  const key = ctx.state.newFileKey();
  ctx.state.files.set(key, { bytes: file, fileName, fileType });
  return ok(envelope({ file_key: key }));
}

function delayedCardUpdate(ctx: ApiContext, req: Request): Result {
  const body = requireObject(req.json);
  const entry = typeof body.token === 'string' ? ctx.state.cardTokens.get(body.token) : undefined;
  const nowMs = ctx.state.now().getTime();
  if (!entry || nowMs - entry.issuedAtMs > CARD_TOKEN_TTL_MS || entry.uses >= 2) {
    throw bad(230001, 'invalid card token: unknown, older than 30 minutes or already used twice');
  }
  const message = ctx.state.messages.get(entry.messageId);
  if (!message) throw bad(230001, 'the card of this token no longer exists');
  const card = body.card;
  const problem = validateCard(card, { knownImageKey: (k) => ctx.state.images.has(k) });
  if (problem) throw bad(230099, `Failed to create card content, ext=${problem}`);
  entry.uses++;
  replaceContent(ctx.state, message, card, JSON.stringify(card));
  return ok(envelope({}));
}

// --- helpers ----------------------------------------------------------------------------------------------------

interface CheckedContent {
  msgType: string;
  content: any;
  rawContent: string;
}

function checkContent(ctx: ApiContext, body: Record<string, any>): CheckedContent {
  const msgType = body.msg_type;
  if (typeof msgType !== 'string' || !MSG_TYPES.has(msgType)) {
    throw bad(99992402, `field validation failed: msg_type must be one of ${[...MSG_TYPES].join(', ')}`);
  }
  if (typeof body.content !== 'string') throw bad(99992402, 'field validation failed: content must be a JSON string');
  const rawContent: string = body.content;
  let content: any;
  try {
    content = JSON.parse(rawContent);
  } catch {
    throw bad(230001, 'invalid message content: content is not valid JSON');
  }
  if (typeof content !== 'object' || content === null) throw bad(230001, 'invalid message content: not a JSON object');
  const bytes = Buffer.byteLength(rawContent);
  switch (msgType) {
    case 'text':
      if (typeof content.text !== 'string') throw bad(230001, 'invalid message content: text needs {"text": string}');
      if (bytes > TEXT_MAX_BYTES) throw bad(230025, `text content is ${bytes} bytes; the limit is 150 KB`);
      break;
    case 'image':
      if (typeof content.image_key !== 'string' || !ctx.state.images.has(content.image_key)) {
        throw bad(230001, `invalid image_key: ${String(content.image_key)} was not uploaded by this app`);
      }
      break;
    case 'file':
      if (typeof content.file_key !== 'string' || !ctx.state.files.has(content.file_key)) {
        throw bad(230001, `invalid file_key: ${String(content.file_key)} was not uploaded by this app`);
      }
      break;
    case 'post':
      if (bytes > CARD_MAX_BYTES) throw bad(230025, `post content is ${bytes} bytes; the limit is 30 KB`);
      break;
    case 'interactive': {
      if (bytes > CARD_MAX_BYTES) throw bad(230025, `card content is ${bytes} bytes; the limit is 30 KB`);
      const problem = validateCard(content, { knownImageKey: (k) => ctx.state.images.has(k) });
      if (problem) throw bad(230099, `Failed to create card content, ext=${problem}`);
      break;
    }
  }
  return { msgType, content, rawContent };
}

function resolveRecipient(ctx: ApiContext, idType: string, id: string): ResolvedChat {
  if (idType === 'chat_id') {
    const chat = ctx.state.resolveChat(id);
    if (!chat) throw bad(230001, `invalid receive_id: chat ${id} does not exist`);
    checkChatReachable(chat);
    return chat;
  }
  const user = ctx.state.findUser(idType, id);
  if (!user) throw bad(230013, `Bot has NO availability to this user: ${id} is not in the app's availability scope`);
  const chat = ctx.state.resolveChat(ctx.state.p2pChatId(user.openId))!;
  checkChatReachable(chat);
  return chat;
}

/** The per-recipient limit counts per chat, whichever id the bot used to address it. */
function recipientKey(ctx: ApiContext, idType: string, id: string): string {
  if (idType === 'chat_id') return `chat:${id}`;
  const user = ctx.state.findUser(idType, id);
  return user ? `chat:${ctx.state.p2pChatId(user.openId)}` : `${idType}:${id}`;
}

function checkChatReachable(chat: ResolvedChat): void {
  if (chat.user?.blocked) throw bad(230053, 'The user has stopped the bot from sending messages.');
  if (!chat.botIsMember) throw bad(230002, `Bot/User can NOT be out of the chat (${chat.chatId}).`);
}

function checkUuid(uuid: unknown): string | undefined {
  if (uuid === undefined || uuid === null || uuid === '') return undefined;
  if (typeof uuid !== 'string' || uuid.length > 50) {
    throw bad(99992402, 'field validation failed: uuid must be a string of at most 50 characters');
  }
  return uuid;
}

function findDuplicate(ctx: ApiContext, uuid: string | undefined): SimMessage | undefined {
  if (!uuid) return undefined;
  const seen = ctx.state.uuids.get(uuid);
  if (!seen || ctx.state.now().getTime() - seen.atMs > UUID_DEDUP_MS) return undefined;
  return ctx.state.messages.get(seen.messageId);
}

function storeBotMessage(
  ctx: ApiContext,
  input: {
    chat: ResolvedChat;
    receiveId: string;
    receiveIdType: string;
    msgType: string;
    content: unknown;
    rawContent: string;
    uuid?: string;
    parentId?: string;
    rootId?: string;
  },
): SimMessage {
  const now = ctx.state.now();
  const message: SimMessage = {
    messageId: ctx.state.newMessageId(),
    senderType: 'app',
    chatId: input.chat.chatId,
    chatType: input.chat.chatType,
    receiveId: input.receiveId,
    receiveIdType: input.receiveIdType,
    recipientOpenId: input.chat.user?.openId,
    msgType: input.msgType,
    content: input.content,
    rawContent: input.rawContent,
    uuid: input.uuid,
    parentId: input.parentId,
    rootId: input.rootId,
    createdAt: now,
    updatedAt: now,
    updates: 0,
    urgents: [],
  };
  ctx.state.messages.set(message.messageId, message);
  if (input.uuid) ctx.state.uuids.set(input.uuid, { messageId: message.messageId, atMs: now.getTime() });
  return message;
}

export function replaceContent(state: SimState, message: SimMessage, content: unknown, raw: string) {
  message.content = content;
  message.rawContent = raw;
  message.updatedAt = state.now();
  message.updates++;
}

function messageData(appId: string, message: SimMessage, inThread = false) {
  return {
    message_id: message.messageId,
    root_id: message.rootId ?? '',
    parent_id: message.parentId ?? '',
    thread_id: inThread ? `omt_${message.messageId.slice(3, 19)}` : '',
    msg_type: message.msgType,
    create_time: String(message.createdAt.getTime()),
    update_time: String(message.updatedAt.getTime()),
    deleted: false,
    updated: message.updates > 0,
    chat_id: message.chatId,
    sender:
      message.senderType === 'app'
        ? { id: appId, id_type: 'app_id', sender_type: 'app', tenant_key: TENANT_KEY }
        : { id: message.fromOpenId, id_type: 'open_id', sender_type: 'user', tenant_key: TENANT_KEY },
    body: { content: message.rawContent },
    mentions: [],
  };
}

function requireObject(value: unknown): Record<string, any> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad(99992402, 'field validation failed: the request body must be a JSON object');
  }
  return value as Record<string, any>;
}

const ok = (json: unknown): Result => ({ status: 200, json });
const envelope = (data: unknown) => ({ code: 0, msg: 'success', data });
const envelopeError = (code: number, msg: string) => ({
  code,
  msg,
  error: { log_id: `sim${randomHex(8)}`, message: msg },
});

function sendJson(res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(json);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_MAX_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The recorded body of a JSON call, with a message's `content` string parsed for easy assertions. */
function withParsedContent(json: unknown): unknown {
  if (typeof json !== 'object' || json === null || typeof (json as any).content !== 'string') return json;
  try {
    return { ...json, content: JSON.parse((json as any).content) };
  } catch {
    return json;
  }
}

function describeMultipart(parts: Map<string, { data: Buffer; filename?: string; contentType?: string }>) {
  const fields: Record<string, string> = {};
  const files: Record<string, { size: number; filename?: string; contentType?: string }> = {};
  for (const [name, part] of parts) {
    if (part.filename === undefined && !part.contentType) fields[name] = part.data.toString('utf8');
    else files[name] = { size: part.data.length, filename: part.filename, contentType: part.contentType };
  }
  return { fields, files };
}

function sniffImageType(bytes: Buffer): string {
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes[0] === 0x47 && bytes[1] === 0x49) return 'image/gif';
  if (bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return 'application/octet-stream';
}
