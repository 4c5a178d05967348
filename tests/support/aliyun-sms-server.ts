/**
 * A stand-in for Alibaba Cloud's SMS API on loopback (SendSms and QuerySendDetails, RPC style: the action in the
 * `x-acs-action` header, the parameters in the query string, JSON answers with capitalised keys), so the adapter is
 * tested through the real SDK with nothing leaving the machine. Answers can be scripted: an error body, an HTTP
 * status, a hang past the client's read timeout, a dropped connection.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AliyunCall {
  action: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
}

export interface AliyunSms {
  phone: string;
  signName: string;
  templateCode: string;
  params: Record<string, string>;
  outId: string;
  bizId: string;
  sendDate: string;
}

export type Scripted =
  | { status?: number; body: Record<string, unknown>; headers?: Record<string, string> }
  | { hangMs: number; thenSend?: boolean }
  | { drop: true };

export interface AliyunSmsServer {
  url: string;
  calls: AliyunCall[];
  sent: AliyunSms[];
  /** The next SendSms (or QuerySendDetails) answers this way instead. */
  script(action: 'SendSms' | 'QuerySendDetails', ...answers: Scripted[]): void;
  close(): Promise<void>;
}

function beijingDate(at = new Date()): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10).replaceAll('-', '');
}

export async function startAliyunSmsServer(): Promise<AliyunSmsServer> {
  const calls: AliyunCall[] = [];
  const sent: AliyunSms[] = [];
  const scripts = new Map<string, Scripted[]>();
  let next = 1;
  const sockets = new Set<import('node:net').Socket>();

  const record = (query: Record<string, string>): AliyunSms => {
    const sms = {
      phone: query['PhoneNumbers'] ?? '',
      signName: query['SignName'] ?? '',
      templateCode: query['TemplateCode'] ?? '',
      params: JSON.parse(query['TemplateParam'] ?? '{}') as Record<string, string>,
      outId: query['OutId'] ?? '',
      bizId: `${900000 + next++}^0`,
      sendDate: beijingDate(),
    };
    sent.push(sms);
    return sms;
  };

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const query = Object.fromEntries(url.searchParams);
    const action = String(request.headers['x-acs-action'] ?? '');
    calls.push({ action, query, headers: request.headers });
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...headers });
      response.end(JSON.stringify(body));
    };
    const scripted = scripts.get(action)?.shift();
    if (scripted && 'drop' in scripted) {
      request.socket.destroy();
      return;
    }
    if (scripted && 'hangMs' in scripted) {
      if (scripted.thenSend && action === 'SendSms') record(query);
      setTimeout(() => json(200, { Code: 'OK', Message: 'OK', RequestId: 'late' }), scripted.hangMs).unref();
      return;
    }
    if (scripted) {
      json(scripted.status ?? 200, scripted.body, scripted.headers);
      return;
    }
    if (!String(request.headers.authorization ?? '').startsWith('ACS3-HMAC-SHA256 Credential=')) {
      json(400, { Code: 'MissingAuthorization', Message: 'no signature', RequestId: 'r' });
      return;
    }
    if (action === 'SendSms') {
      const sms = record(query);
      json(200, { Code: 'OK', Message: 'OK', BizId: sms.bizId, RequestId: `req-${next}` });
      return;
    }
    if (action === 'QuerySendDetails') {
      const page = Number(query['CurrentPage'] ?? 1);
      const size = Number(query['PageSize'] ?? 10);
      const matches = sent.filter((s) => s.phone === query['PhoneNumber'] && s.sendDate === query['SendDate']);
      const pageItems = matches.slice((page - 1) * size, page * size).map((s) => ({
        PhoneNum: s.phone,
        OutId: s.outId,
        TemplateCode: s.templateCode,
        SendStatus: 3,
        SendDate: s.sendDate,
      }));
      json(200, {
        Code: 'OK',
        Message: 'OK',
        RequestId: 'q',
        TotalCount: String(matches.length),
        SmsSendDetailDTOs: { SmsSendDetailDTO: pageItems },
      });
      return;
    }
    json(404, { Code: 'InvalidAction.NotFound', Message: `no action ${action}`, RequestId: 'r' });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    sent,
    script(action, ...answers) {
      scripts.set(action, [...(scripts.get(action) ?? []), ...answers]);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
