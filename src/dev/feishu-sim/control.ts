import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FeishuSim } from './types.js';

export const CONTROL_PREFIX = '/__sim';

const HELP = {
  about: 'Local Feishu Open Platform simulator. Act as users with these endpoints (JSON bodies).',
  endpoints: {
    'GET /__sim': 'this help, the app id and the known users and chats',
    'POST /__sim/users': '{openId, name, mobile?, email?, blocked?}',
    'POST /__sim/chats': '{chatId:"oc_…", name, memberOpenIds:[…], botIsMember?}',
    'POST /__sim/text': '{from, text, chatId?, mentionBot?} → the bot’s answer',
    'POST /__sim/image': '{from, base64, chatId?}',
    'POST /__sim/menu': '{from, eventKey}',
    'POST /__sim/card': '{from, messageId, value?, formValue?, name?, tag?} → the bot’s answer (toast, card)',
    'GET /__sim/messages?to=&msgType=': 'messages the bot sent, with current content',
    'GET /__sim/chats': 'group chats (added here or made by the bot): name, members, pinned messages',
    'GET /__sim/files': 'files the bot uploaded (im/v1/files): fileKey, fileName, fileType, size',
    'GET /__sim/files/{fileKey}': 'a file the bot uploaded, as bytes (e.g. the ledger xlsx it sent)',
    'GET /__sim/calls?api=': 'OpenAPI calls received',
    'GET /__sim/stats': 'request and rate-limit counts',
  },
};

/** A small HTTP API to drive the simulator by hand (sandbox mode): curl instead of a Feishu client. */
export async function handleControl(
  sim: FeishuSim,
  listUsersAndChats: () => unknown,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim.local');
  const path = url.pathname.slice(CONTROL_PREFIX.length).replace(/\/+$/, '') || '/';
  const method = (req.method ?? 'GET').toUpperCase();
  try {
    const fileKey = method === 'GET' ? /^\/files\/([^/]+)$/.exec(path)?.[1] : undefined;
    if (fileKey !== undefined) return sendFile(sim, decodeURIComponent(fileKey), res);
    const body = method === 'POST' ? await readJson(req) : {};
    const answer = await dispatch(sim, listUsersAndChats, method, path, url.searchParams, body);
    send(res, 200, answer);
  } catch (error) {
    send(res, 400, { error: error instanceof Error ? error.message : String(error) });
  }
}

async function dispatch(
  sim: FeishuSim,
  listUsersAndChats: () => unknown,
  method: string,
  path: string,
  query: URLSearchParams,
  body: Record<string, any>,
): Promise<unknown> {
  const route = `${method} ${path}`;
  switch (route) {
    case 'GET /':
      return { ...HELP, appId: sim.appId, url: sim.url, eventMode: sim.eventMode, ...(listUsersAndChats() as object) };
    case 'POST /users':
      return sim.addUser(body as never);
    case 'POST /chats':
      sim.addChat(body as never);
      return { ok: true };
    case 'POST /text':
      return sim.sendText(need(body, 'from'), need(body, 'text'), { chatId: body.chatId, mentionBot: body.mentionBot });
    case 'POST /image':
      return sim.sendImage(need(body, 'from'), Buffer.from(need(body, 'base64'), 'base64'), { chatId: body.chatId });
    case 'POST /menu':
      return sim.clickMenu(need(body, 'from'), need(body, 'eventKey'));
    case 'POST /card':
      return sim.clickCard(need(body, 'from'), need(body, 'messageId'), {
        value: body.value,
        formValue: body.formValue,
        name: body.name,
        tag: body.tag,
      });
    case 'GET /messages':
      return sim.messages({ to: query.get('to') ?? undefined, msgType: query.get('msgType') ?? undefined });
    case 'GET /chats':
      return sim.chats();
    case 'GET /files':
      return sim.files();
    case 'GET /calls': {
      const api = query.get('api');
      return api ? sim.calls.filter((c) => c.api === api) : sim.calls;
    }
    case 'GET /stats':
      return sim.stats();
    default:
      throw new Error(`unknown simulator control route ${route}; GET ${CONTROL_PREFIX} lists them`);
  }
}

function need(body: Record<string, any>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw new Error(`"${field}" is required (a string)`);
  return value;
}

function readJson(req: IncomingMessage): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text === '') return resolve({});
      try {
        const parsed = JSON.parse(text);
        if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
        resolve(parsed);
      } catch {
        reject(new Error('the body must be a JSON object'));
      }
    });
    req.on('error', reject);
  });
}

/** The bytes of an uploaded file, named as the bot named it, so a browser or `curl -OJ` saves it under that name. */
function sendFile(sim: FeishuSim, fileKey: string, res: ServerResponse): void {
  const bytes = sim.file(fileKey);
  const meta = sim.files().find((f) => f.fileKey === fileKey);
  if (!bytes || !meta) {
    send(res, 404, { error: `no uploaded file ${fileKey}; GET ${CONTROL_PREFIX}/files lists them` });
    return;
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[meta.fileName.split('.').pop()?.toLowerCase() ?? ''] ?? 'application/octet-stream',
    'content-length': String(bytes.length),
    'content-disposition': `attachment; filename="${asciiName(meta.fileName, fileKey)}"; filename*=UTF-8''${encodeURIComponent(meta.fileName)}`,
  });
  res.end(bytes);
}

/** curl -OJ reads only `filename=`, which must be ASCII: the name itself when it is, else the key and extension. */
function asciiName(fileName: string, fileKey: string): string {
  if (/^[\x20-\x7e]+$/.test(fileName) && !fileName.includes('"')) return fileName;
  const extension = /\.[A-Za-z0-9]{1,8}$/.exec(fileName)?.[0] ?? '';
  return `${fileKey}${extension}`;
}

/** By the file name's extension (Feishu's file_type `xls` covers .xls and .xlsx alike); anything else is bytes. */
const CONTENT_TYPES: Record<string, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  xls: 'application/vnd.ms-excel',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  doc: 'application/msword',
  csv: 'text/csv; charset=utf-8',
  mp4: 'video/mp4',
  opus: 'audio/opus',
};

function send(res: ServerResponse, status: number, json: unknown): void {
  const text = JSON.stringify(json, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(text);
}
